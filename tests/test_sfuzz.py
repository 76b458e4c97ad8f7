"""The syscall-aware fuzzer (userland/sfuzz.c, harness/ringlab/lab/fuzzing.py, ``invoke fuzz``).

- Unit: the text form's call removal keeps references right (what minimizing relies on); the
  system-call table the fuzzer gets is the kernel's (images/kabi.json), line for line, its
  i386 table too; ``--disable``'s items become sfuzz's masks, and a bad one is refused; a
  run's crash is the kernel's own end (a panic) before sfuzz's first finding, which comes
  before a hang.
- A short run on the sanitizer kernel, on both CPU models: sfuzz says every system call in
  the kernel's table has a description (a new call without one fails here), fewer than 5% of
  its calls answer ENOSYS, kcov feeds it (distinct PCs, a corpus), and nothing is found;
  with ``--disable vfork,clone:CLONE_VFORK`` no program it ran has a vfork or a clone with
  CLONE_VFORK, and some of its calls went through ``int $0x80``.
- A reproducer as ``invoke fuzz`` prints one (sfuzz_runtime.h plus the program as C) builds
  with musl-gcc and runs its program on the kernel, in one boot.
"""
from __future__ import annotations

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.core.errors import BadConfig
from ringlab.lab import fuzzing
from ringlab.machine import coverage
from ringlab.lab.session import Run
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.verdict import Outcome, Verdict

FUZZ_SECONDS = 20
#: A program in sfuzz's text form: a file made in the tree, written, mapped, a pipe, a thread.
PROGRAM = ("openat#257:cffffffffffffff9c/0,p1/0,c42/0,c1a4/0,c0/0,c0/0 "
           "write#1:r0/0,b0/0,c40/0,c0/0,c0/0,c0/0 "
           "mmap#9:c0/0,c2000/0,c3/0,c22/0,cffffffffffffffff/0,c0/0 "
           "pipe2#293@1:b8010/0,c80000/0,c0/0,c0/0,c0/0,c0/0 "
           "munmap#11:r2/1000,c1000/0,c0/0,c0/0,c0/0,c0/0")



@pytest.mark.unit
def test_dropping_a_call_fixes_the_references():
    calls = fuzzing.split_calls(PROGRAM)
    out = fuzzing.drop_call(calls, 2)                       # the mmap
    assert len(out) == 4
    assert out[3].split(":")[1].startswith("cffffffffffffffff/0,")   # munmap's r2 is gone
    out = fuzzing.drop_call(calls, 0)                       # the openat
    assert out[0].startswith("write#1:cffffffffffffffff/0,")
    assert out[3].startswith("munmap#11:r1/1000,")          # r2 moved down


@pytest.mark.unit
def test_the_table_is_the_kernels(images):
    k = kabi.load(C.IMAGES_DIR / "kabi.json")
    lines = fuzzing.syscall_table(C.IMAGES_DIR / "kabi.json").splitlines()
    i386 = [l for l in lines if l.startswith("i386 ")]
    assert len(lines) - len(i386) == len(k.syscalls) and len(i386) == len(k.syscalls32)
    assert "0 read" in lines and "59 execve" in lines
    assert "i386 4 write" in i386 and "i386 252 exit_group" in i386   # int $0x80's numbers
    assert lines.index("i386 4 write") > lines.index("59 execve")     # after the 64-bit table


@pytest.mark.unit
def test_disable_items_become_sfuzz_masks():
    calls = ["clone", "mremap", "open"]
    assert fuzzing.parse_disable([], calls) == "-"
    assert fuzzing.parse_disable(["clone:CLONE_VFORK"], calls) == "clone:4000"
    assert fuzzing.parse_disable(["clone:CLONE_VFORK|CLONE_CHILD_SETTID,mremap"], calls) == "clone:1004000+mremap"
    assert fuzzing.parse_disable(["mremap:MREMAP_FIXED", "open:0x40"], calls) == "mremap:2+open:40"
    for bad in ("nosuchcall", "clone:CLONE_NOSUCH", "clone:0", "clone:", "Clone", "clone:1:2"):
        with pytest.raises(BadConfig):
            fuzzing.parse_disable([bad], calls)
    assert fuzzing.parse_disable(["nosuchcall"], None) == "nosuchcall"     # unchecked


@pytest.mark.boot
@pytest.mark.parametrize("cpu", [C.LEGACY_CPU, "max"])
def test_a_short_run_finds_nothing_and_rarely_gets_enosys(images, sanitizer_kernel, cpu):
    res = fuzzing.fuzz(fuzzing.FuzzOptions(kernel=sanitizer_kernel, seconds=FUZZ_SECONDS, seed=7, cpu=cpu,
                                           disable=["vfork,clone:CLONE_VFORK"]))
    table = [l for l in res.run.user_lines if l.startswith("sfuzz: table ")]
    assert table, res.run.report()
    fields = fuzzing.parse_fields(table[0][len("sfuzz: table "):])
    assert fields["undescribed"] == "-" and fields["described"] == fields["calls"], table[0]
    assert fields["disabled"] == "vfork+clone:4000" and int(fields["i386"]) > 50, table[0]
    calls = [c for l in res.run.user_lines if fuzzing.RUN_RE.match(l)
             for c in fuzzing.split_calls(fuzzing.RUN_RE.match(l).group(2))]
    clones = [c for c in calls if c.startswith(("clone#", "i386.clone#"))]
    assert clones and any(c.startswith("i386.") for c in calls)
    assert not any(c.startswith(("vfork#", "i386.vfork#")) for c in calls)
    assert all(c.split(":")[1].startswith("c") and not int(c.split(":")[1][1:].split("/")[0], 16) & 0x4000
               for c in clones), [c for c in clones if "4000" in c][:3]
    assert res.crash is None, (res.crash, res.run.report())
    done = res.progress[-1]
    assert done["what"] == "done"
    assert int(done["calls"]) > 500 and int(done["execs"]) > 50
    assert float(done["enosys_pct"]) < 5.0
    assert int(done["pcs"]) > 1000 and int(done["corpus"]) > 10      # kcov's feedback
    assert int(done["findings"]) == 0


@pytest.mark.boot
def test_a_reproducer_builds_with_musl_and_runs_in_one_boot(images, sanitizer_kernel, tmp_path):
    source = fuzzing.csource(PROGRAM, repeat=3)
    assert "fz_syscall(257, -100" not in source              # arguments as the fuzzer wrote them:
    assert "fz_r[0] = fz_syscall(257, 0xffffffffffffff9c, (long)fz_paths[1]" in source
    binary = fuzzing.build_csource(source, tmp_path / "repro")
    run = lab.run(QemuConfig(kernel=sanitizer_kernel, init=binary), timeout_s=60)
    assert run.status == 0 and run.user_lines[-1:] == ["repro: done"], run.report()


@pytest.mark.unit
def test_line_coverage_counts_the_kcov_call_sites(sanitizer_kernel):
    sites = coverage.hook_call_sites(sanitizer_kernel)
    assert len(sites) > 5000                                 # a call at every basic block
    assert not coverage.hook_call_sites(C.IMAGES_DIR / "kernel.elf")   # the normal kernel: none
    full = coverage.line_coverage(sanitizer_kernel, sites)
    assert "sysfile.c" in full and "kcov.c" not in full and "trap.c" not in full
    assert all(c.hit == c.total > 0 for c in full.values())
    none = coverage.line_coverage(sanitizer_kernel, [])
    assert all(c.hit == 0 for c in none.values())
    assert coverage.format_report(full)[-1].endswith("100.0%")


def _run(outcome: Outcome, lines) -> Run:
    return Run(config=QemuConfig(), command=["qemu-system-x86_64"],
               verdict=Verdict(outcome, None, None, f"{outcome.value}: detail"), events=[],
               user_lines=list(lines), console="", raw_console="", rc=None, qemu_signal=None,
               log="", stderr="", duration_s=1.0)


@pytest.mark.unit
def test_the_kernels_end_comes_before_sfuzzs_findings():
    lines = ["sfuzz: run 0 getpid#39:c0/0,c0/0,c0/0,c0/0,c0/0,c0/0",
             "sfuzz: finding kind=execleak w=0 execve#59@1:p18/0,v0/0,c0/0,c0/0,c0/0,c0/0",
             "sfuzz: finding kind=lowmap w=1 mremap#25:b5000/0,c1/0,c3000/0,c3/0,c1000/0,c0/0",
             "sfuzz: run 1 clone#56:c1194900/0,s0/0,s38/0,s24/0,b3000/0,c0/0"]
    panic = fuzzing.crash_of(_run(Outcome.PANIC, lines))
    assert panic.kind == "panic" and panic.candidates[0].startswith("clone#56:")
    first = fuzzing.crash_of(_run(Outcome.EXITED, lines))
    assert first.kind == "execleak" and first.candidates == [lines[1].split(" ", 4)[4]]
    assert fuzzing.crash_of(_run(Outcome.TIMEOUT, lines)).kind == "execleak"
    assert fuzzing.crash_of(_run(Outcome.TIMEOUT, lines[:1])).kind == "hang"
    assert fuzzing.crash_of(_run(Outcome.EXITED, lines[:1])) is None
