"""The cost of a system call, in instructions: ``getpid`` from ``syscall`` to ``sysretq``.

Counted by single-stepping in real gdb (harness/ringlab/bench/syscall.py prints the figure and where
the instructions go); an instruction count, not a time, so it is the same on every run.
The path is the complete trap frame (22 pushes, 22 pops) plus one table call: the crash= and
trace=syscall hooks, pending signal work and a user TF cost one predictable branch each.
"""
import pytest

from ringlab.bench import syscall as bench_syscall
from ringlab.core import constants as C

pytestmark = [pytest.mark.boot, pytest.mark.gdb]


@pytest.mark.skipif(C.SANITIZE, reason="the budget is the normal kernel's: the sanitizer kernel "
                                       "(RINGLAB_SANITIZE=1) checks the kernel stack and the "
                                       "page tables at every return to ring 3 (203 instructions)")
def test_getpid_costs_at_most_80_kernel_instructions(images):
    counts, by_function, _ = bench_syscall.measure(2, images.kernel)
    assert max(counts) <= bench_syscall.TARGET_INSTRUCTIONS, dict(by_function)
    assert set(by_function) >= {"syscall_entry", "syscall_dispatch", "sys_getpid", "sysret_path"}
