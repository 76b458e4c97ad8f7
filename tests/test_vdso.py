"""The vDSO and the vsyscall page (kernel/vdso/, kernel/vdso.c, kernel/vsyscall.c).

userland/vdsoprobe.c (musl; vdsoprobe-glibc the same source on glibc) prints facts, never
addresses, so the same static binary prints the same lines on the host's Linux and in ringlab:

- ``clock``: AT_SYSINFO_EHDR names an x86-64 ET_DYN whose symbols __vdso_clock_gettime,
  __vdso_gettimeofday, __vdso_time, __vdso_getcpu, __vdso_clock_getres (and the weak unprefixed
  names) carry version LINUX_2.6; every clock read through the C library and through the vDSO
  itself falls between two ``syscall(SYS_clock_gettime)`` (the same time as the system call,
  acceptance 4 of issue 20); clock_getres as the system call's; an unknown clock goes to the
  system call (-EINVAL); 50 ms of reads never go backwards.
- ``vsyscall``: gettimeofday, time and getcpu at 0xffffffffff600000/0x400/0x800 (Linux's default
  vsyscall=xonly on the host too).
- ``reexec``: a program that unmapped its vDSO execs itself: the new image has one again.
- ``hostile``: each attack in a child reporting its signal (signal, si_code, which address):
  a fetch at a misaligned vsyscall offset or the next page, a read and a write of the page, a
  vsyscall with RSP unmapped, in the kernel half, non-canonical, with a kernel or unmapped
  output pointer; a write to the vDSO, a munmap of it then a call into it, mprotect RWX (the
  child's own copy: its fork sees the write, the parent does not), mremap growing it, to page
  0, over the kernel. Run as uid 1000: root on Linux may mremap to page 0 (CAP_SYS_RAWIO).
  Both CPU models: under ``max`` SMEP and SMAP are on.

userland/vdso32probe.c (``vdso32probe-m32``, an i386 glibc program) sees the 32-bit vDSO:
AT_SYSINFO (= __kernel_vsyscall) and AT_SYSINFO_EHDR, an ELF32 i386 image whose
__kernel_vsyscall, __kernel_sigreturn and __kernel_rt_sigreturn carry LINUX_2.5, the sigreturns
with Linux's bytes; system calls through __kernel_vsyscall (six arguments, callee-saved
registers kept); the clock functions (LINUX_2.6) and i386 glibc's clock_gettime between two
clock_gettime64 system calls; a compatibility-mode ``syscall`` returning through the vDSO's landing pad (AMD:
the host's CPU and QEMU's TCG models); a call to 0xff600000 ends in SIGSEGV (no vsyscall page
for a 32-bit process).

In ringlab only:
- ``quiet`` with trace=syscall: between two marker writes, 400 clock reads through musl and
  glibc make no system call (acceptance 4).
- ``moves``: [vvar] and [vdso] moved by mremap keep working (their bases move: mprotect of the
  moved [vvar] is -EACCES, of the old place -ENOMEM) and keep working in a fork; a MAP_FIXED over
  [vvar] makes it ordinary memory.
- gdb, through the harness's set-up (images/vdso.so added at kabi's VDSO_ADDR), stops at
  __vdso_clock_gettime in ring 3 and names it.
"""
import pytest

from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.debug.machine import DebugMachine
from ringlab.machine import symbols
from ringlab.machine.qemu import QemuConfig
from ringlab import lab
from ringlab.observe.events import Panic, Syscall

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

PROBES = ("vdsoprobe", "vdsoprobe-glibc")
CPUS = (C.DEFAULT_CPU, C.LEGACY_CPU)
QUIET_BEGIN, QUIET_END = len("quiet: begin\n"), len("quiet: end\n")   # the marker writes' returns


@pytest.mark.parametrize("probe", PROBES)
def test_clock_reads_agree_with_the_system_call_as_on_linux(images, tmp_path, probe):
    assert_same_as_linux(Case(probe, args=("clock",)), images, tmp_path)


@pytest.mark.parametrize("cpu", CPUS)
def test_vsyscall_page_calls_as_on_linux(images, tmp_path, cpu):
    assert_same_as_linux(Case("vdsoprobe", args=("vsyscall",), cpu=cpu), images, tmp_path)


@pytest.mark.parametrize("cpu", CPUS)
def test_attacks_on_the_vdso_and_the_vsyscall_page_as_on_linux(images, tmp_path, cpu):
    assert_same_as_linux(Case("vdsoprobe", args=("hostile",), cpu=cpu, user=(1000, 1000)), images, tmp_path)


@pytest.mark.parametrize("probe", PROBES)
def test_exec_gives_a_new_vdso_after_munmap_as_on_linux(images, tmp_path, probe):
    assert_same_as_linux(Case(probe, args=("reexec",)), images, tmp_path)


@pytest.mark.parametrize("cpu", CPUS)
def test_i386_vdso_as_on_linux(images, tmp_path, cpu):
    assert_same_as_linux(Case("vdso32probe-m32", cpu=cpu), images, tmp_path)


@pytest.mark.parametrize("probe", PROBES)
def test_clock_reads_make_no_system_call(images, probe):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program(probe),
                             append="trace=syscall init.args=quiet"))
    assert run.outcome.machine_ok and run.status == 0 and not run.of(Panic), run.report()
    assert "quiet: done" in run.user_lines, run.report()
    calls = run.of(Syscall)
    begin = [i for i, s in enumerate(calls) if s.name == "write" and s.ret == QUIET_BEGIN]
    assert len(begin) == 1, run.report()
    after = calls[begin[0] + 1]
    assert (after.name, after.ret) == ("write", QUIET_END), (
        f"a system call between the markers: {after.name}\n" + run.report())
    assert not run.of("vsyscall"), run.report()


def test_moved_vdso_and_vvar_keep_working_and_keep_their_rules(images):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("vdsoprobe"), append="init.args=moves"))
    assert run.outcome.machine_ok and run.status == 0 and not run.of(Panic), run.report()
    assert run.user_lines == [
        "moves: [vvar] moved yes, [vdso] moved yes",
        "moves: the moved vDSO's clock between syscalls yes",
        "moves: mprotect(moved [vvar], write) -1 errno 13",
        "moves: mprotect(old [vvar], read) -1 errno 12",
        "moves: in a child the moved clock between syscalls yes",
        "moves: in a child mprotect(moved [vvar], exec) -1 errno 13",
        "moves: back yes, the C library's clock between syscalls yes",
        "moves: MAP_FIXED over [vvar] yes, then mprotect write 0 errno 0",
    ], run.report()


def test_the_kernel_reports_bad_vsyscalls(images):
    """Linux's warn_bad_vsyscall lines, as ``vsyscall`` events: a misaligned entry, a bad
    stack (RSP in the kernel half: never read), an output pointer the call could not write."""
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("vdsoprobe"), append="init.args=hostile"))
    assert run.outcome.machine_ok and run.status == 0 and not run.of(Panic), run.report()
    bad = [(e.fields["bad"], e.fields["rip"], e.fields["rsp"]) for e in run.of("vsyscall")]
    vsys = kabi.load().const("VSYSCALL_PAGE")
    assert (("misaligned", vsys + 1) == bad[0][:2] and ("misaligned", vsys + 0x100) == bad[1][:2]), run.report()
    assert [b[0] for b in bad[2:]] == ["stack", "stack", "stack", "fault", "fault"], run.report()
    assert [b[2] for b in bad[2:5]] == [0x1000, 0xffffffff80001000, 0x800000000000], run.report()


def test_gdb_names_the_vdso_function_it_stops_in(images):
    vdso_addr = kabi.load().const("VDSO_ADDR")
    offset = symbols.symbol_address(C.IMAGES_DIR / "vdso.so", "__vdso_clock_gettime")
    cfg = QemuConfig(kernel=images.kernel, init=images.program("vdsoprobe"), append="init.args=quiet")
    with DebugMachine(cfg) as dm:
        g = dm.gdb
        g.break_at("__vdso_clock_gettime")
        stop = g.cont(timeout_s=60, what="__vdso_clock_gettime")
        assert stop.rip == vdso_addr + offset and g.cpl() == 3
        # Its first instruction belongs to clock_ns, inlined there: gdb's frame names that one
        # (with the vDSO's source line), the symbol table the function itself or its alias.
        assert stop.func in ("clock_ns", "__vdso_clock_gettime", "clock_gettime"), stop
        assert stop.record["frame"]["file"].endswith("vdso/vclock.c"), stop
        where = g.console(f"info symbol {stop.rip:#x}").split()
        assert where[0] in ("__vdso_clock_gettime", "clock_gettime") and where[1:3] == ["in", "section"], where


def test_a_clock_read_during_an_update_retries_until_it_ends(images):
    """A [vvar] read while the kernel writes it (the sequence count odd) retries until the
    count is even again. gdb stops a reader in __vdso_clock_gettime, makes the count odd, as
    the timer interrupt leaves it mid-update, and steps it (QEMU masks interrupts while
    stepping: no tick ends the update meanwhile): it never leaves the vDSO. With the count
    even again (an update ended) it returns 0 to the C library."""
    k = kabi.load()
    vdso, vvar, page = k.const("VDSO_ADDR"), k.const("VVAR_ADDR"), k.const("PAGE_SIZE")
    cfg = QemuConfig(kernel=images.kernel, init=images.program("vdsoprobe"), append="init.args=quiet")
    with DebugMachine(cfg) as dm:
        g = dm.gdb
        bp = g.break_at("__vdso_clock_gettime")
        g.cont(timeout_s=60, what="__vdso_clock_gettime")
        g.delete(bp)
        seq = int.from_bytes(g.read_memory(vvar, 4), "little")
        assert seq % 2 == 0, seq
        g.console(f"set {{unsigned int}}{vvar:#x} = {seq + 1}")
        assert int.from_bytes(g.read_memory(vvar, 4), "little") == seq + 1
        for _ in range(60):
            rip = g.stepi().rip
            assert vdso <= rip < vdso + page, f"left the vDSO at {rip:#x} during an update"
        g.console(f"set {{unsigned int}}{vvar:#x} = {seq + 2}")
        for _ in range(200):
            rip = g.stepi().rip
            if not vdso <= rip < vdso + page:
                break
        else:
            pytest.fail("the read did not end once the update had")
        assert rip < vvar and g.cpl() == 3 and g.register("rax") == 0, hex(rip)
