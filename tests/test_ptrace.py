"""ptrace as Linux's: the same static tracer (userland/ptparity.c) on the host's Linux and as
init in ringlab, on both CPU models, the transcripts compared (tests/parity.py).

What each mode proves (acceptance 2 of issue 20):
- syscall: syscall-entry and -exit stops with TRACESYSGOOD (status 0x857f); RAX reads -ENOSYS
  at entry; the call number changed through orig_rax; orig_rax -1 skips a call (RAX as the
  tracer left it, and -ENOSYS when it left RAX alone); the return value changed at exit.
- step: PTRACE_SINGLESTEP across a `syscall` instruction: one stop right after it (TRAP_BRKPT),
  then one per instruction (TRAP_TRACE); the tracer's TF hidden from GETREGS but seen by pushf;
  DR6 reads as Linux's virtual DR6.
- watch: a write watchpoint set through POKEUSER (DR0, DR7) fires as SIGTRAP TRAP_HWBKPT after
  the write, DR6 naming DR0.
- dr: the debug-register writes Linux refuses (kernel and non-canonical addresses, the last
  user page, I/O and 4-byte execute breakpoints, misaligned addresses, DR4/DR5) and what each
  reads back afterwards.
- signal: signal-delivery stops; a signal suppressed, another injected (SI_USER), an ignored one
  still reported, SETSIGINFO's si_code reaching the handler.
- regs: hostile register sets - kernel CS/SS and data selectors (-EIO), IOPL 3/VM/VIF and a
  cleared IF (made safe), kernel and non-canonical FS/GS bases (-EIO), reserved MXCSR bits
  (-EINVAL); a non-canonical RIP, a kernel RIP and CS 0x2b accepted and ending in SIGSEGV in
  ring 3 (never a kernel fault); SETREGS stopping at the first refused word; the regsets.
- errors: EPERM, ESRCH, EIO, EINVAL, EFAULT as Linux; POKETEXT into read-only text.
- events: TRACEFORK/CLONE/EXEC/EXIT with GETEVENTMSG, SEIZE + INTERRUPT (EVENT_STOP), the
  new tracees' first SIGSTOP.
- perm: a uid-1000 tracer: EPERM for a root process and for one that changed its ids without
  exec (not dumpable), ok for one that exec'd since; root (CAP_SYS_PTRACE) may.
- lifetimes: a tracer exits while its tracee runs: the tracee is detached and runs on, or with
  PTRACE_O_EXITKILL dies; SIGKILL in a stop; a detach at the exit event.

A 32-bit tracee (test_a_32_bit_tracee): its system-call stops through int $0x80 and the compat
entries, orig_rax its i386 number, RAX -ENOSYS at entry, an argument changed by the tracer.

pid 1 cannot be traced in ringlab (test_init_cannot_be_traced); on the host that case is not
run (root could attach the host's own init).
"""
import shutil

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine.qemu import QemuConfig
from tests.parity import Case, assert_same_as_linux, start_on_host, transcript

pytestmark = pytest.mark.boot

CPUS = (C.DEFAULT_CPU, C.LEGACY_CPU)
MODES = ("syscall", "step", "watch", "dr", "signal", "regs", "errors", "events", "perm", "lifetimes")


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("mode", MODES)
def test_ptrace_same_as_linux(mode, cpu, images, tmp_path):
    assert_same_as_linux(Case("ptparity", args=[mode], cpu=cpu), images, tmp_path)


def test_init_cannot_be_traced(images):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("ptparity"), append="init.args=init"))
    assert run.outcome.machine_ok, run.report()
    for line in ("init: traceme: EPERM", "init: a child attaches pid 1: EPERM", "init: a child seizes pid 1: EPERM"):
        assert line in run.user_lines, run.report()


@pytest.mark.parametrize("cpu", CPUS)
def test_a_32_bit_tracee(cpu, images, tmp_path):
    """ptparity traces the static i386 glibc program m32hello-m32, shortening each write to 3
    bytes at its entry stop: the same stops and results on Linux and in ringlab."""
    for name in ("ptparity", "m32hello-m32"):
        shutil.copy(images.program(name), tmp_path / name)
    with start_on_host(["./ptparity", "m32", "./m32hello-m32"], tmp_path) as host:   # beside the boot
        run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("ptparity"),
                                 files=[images.program("m32hello-m32")], append="init.args=m32,m32hello-m32",
                                 cpu=cpu))
        linux = transcript(host.result()[0], ())
    assert run.outcome.machine_ok, run.report()
    ring = transcript(run.console, ())
    assert any(l.startswith("m32: write exit: rax=3") for l in linux), linux
    assert ring == linux, f"Linux:   {linux}\nringlab: {ring}\n{run.report()}"


@pytest.mark.parametrize("cpu", CPUS)
def test_tracers_leaving_at_any_moment(cpu, images):
    """ptparity race: 40 tracers each follow a tracee (threads ending at once, a fork, an exec)
    through PTRACE_SYSCALL and leave after 0..39 stops - exiting (with and without EXITKILL),
    detaching or PTRACE_KILLing the last one seen. The kernel lives on (no panic; on the
    sanitizer kernel, `invoke test`'s second pass, no freed slot used) and init finishes."""
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("ptparity"), append="init.args=race",
                             cpu=cpu), timeout_s=120)
    assert run.outcome.machine_ok and run.status == 0, run.report()
    assert "race: done" in run.user_lines, run.report()
