"""Kernel object lifetimes attacked from ring 3 (docs/lifetimes.md): every case once panicked
the kernel, used a freed slot or ran a table dry. Each runs the same static binary
(userland/lifetimes.c, userland/execstate.c) on the host's Linux and as init in ringlab, on
both CPU models, and compares the transcripts and exit statuses (tests/parity.py); a panic or
a machine that did not end well fails the ringlab run by itself.

What each case did before its fix:
- vfork-tids: clone(CLONE_VFORK|CLONE_CHILD_SETTID...) with a child that ends at once: sys_clone
  looked the child up again after the vfork sleep, found nothing and wrote through NULL (#PF in
  ring 0); with page 0 mapped by mremap the kernel wrote a thread id into its own data.
- exec-thread: a thread of pid 1 execs; init's pointer kept naming the freed leader slot, the
  new image's exit panicked (or a later child was taken for init).
- exec-full: with 63 children init's execve needed a 65th address space: panic mm-table-full.
- chdir-rmdir: chdir dropped the old directory before taking the new one; chdir(".") in a
  removed directory made a freed inode the cwd, later reused by another process's mkdir.
- sigchld-ign: with SIGCHLD ignored zombies were reaped only in wait4, so they filled the table.
- mremap: MREMAP_FIXED to page 0 mapped it; a shrink with a huge old_len unmapped the stack.
- execstate: XMM registers and the GS selector survived execve.
- nproc: RLIMIT_NPROC was not enforced: one user's fork loop took every slot of the table.
"""
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Panic
from tests.parity import Case, assert_same_as_linux, run_on_ringlab

pytestmark = pytest.mark.boot

CPUS = (C.DEFAULT_CPU, C.LEGACY_CPU)

# Root on the host may map below vm.mmap_min_addr (CAP_SYS_RAWIO); ringlab never does, for any
# process (include/mmu.h): those lines are checked on ringlab's side below.
BELOW_64K = "below 64 KiB:"

CASES = {
    "vfork-tids": Case("lifetimes", args=["vfork-tids"]),
    "exec-thread-of-init": Case("lifetimes", args=["exec-thread"]),
    "exec-thread-of-a-child": Case("lifetimes", args=["exec-thread-child"]),
    "exec-with-a-full-process-table": Case("lifetimes", args=["exec-full"]),
    "chdir-into-a-removed-directory": Case("lifetimes", args=["chdir-rmdir"]),
    "sigchld-ignored-children-are-released": Case("lifetimes", args=["sigchld-ign"]),
    "mremap-page-0-and-huge-lengths": Case("lifetimes", args=["mremap"], ignore=[BELOW_64K]),
    "fresh-state-after-execve": Case("execstate"),
    # one user cannot take the whole process table: RLIMIT_NPROC per real uid, as Linux's
    "rlimit-nproc-of-an-unprivileged-user": Case("nproc", user=(1000, 1000)),
}


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("name", list(CASES))
def test_same_as_linux(name, cpu, images, tmp_path):
    case = CASES[name]
    assert_same_as_linux(Case(case.program, case.args, ignore=case.ignore, cpu=cpu, user=case.user),
                         images, tmp_path)


@pytest.mark.parametrize("cpu", CPUS)
def test_mremap_never_maps_below_64k(cpu, images, tmp_path):
    lines, status, _ = run_on_ringlab(Case("lifetimes", args=["mremap"], cpu=cpu), images, tmp_path)
    below = [l for l in lines if l.startswith(BELOW_64K)]
    assert below == [f"{BELOW_64K} mremap to {t}: EPERM" for t in ("0", "0x1000", "0xf000")], lines
    assert status == 0


@pytest.mark.parametrize("cpu", CPUS)
def test_every_table_full_at_once(cpu, images):
    """userland/tablesfull.c: children take every process slot, descriptor, pipe, inode, name,
    file page and most of memory, each with a copy of the largest LDT (16 pages, copied by
    every fork); the calls that then fail say why and the kernel lives on; once they let go,
    ordinary work works again and not one page is lost (Linux's limits are far larger, so this
    one is ringlab's alone). A loss is printed with its number of pages."""
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("tablesfull"), cpu=cpu),
                  timeout_s=60)
    assert not run.of(Panic) and run.outcome.machine_ok and run.status == 0, run.report()
    lines = run.user_lines
    for expected in ("ldt: entry 8191 set", "before: ordinary work works", "children holding everything: many",
                     "reaped every child: yes", "after: ordinary work works",
                     "free memory back: exactly"):
        assert expected in lines, run.report()
    assert any(l.startswith("fork stopped with ") for l in lines), run.report()
