"""Signals: the same static musl programs on the host's Linux and in ringlab.

Each program prints what its handlers saw - si_signo, si_code, si_addr, REG_TRAPNO, REG_ERR,
REG_CR2, the masks, the results and errnos of the signal system calls - so one transcript
comparison (tests/parity.py: same argv, environment, terminal and keystrokes) checks
delivery, the frame, rt_sigreturn and the default actions at once. The exit status is
compared too (128 + N for a program a signal ended).
"""
import pexpect
import pytest

from ringlab.core import constants as C
from ringlab.observe.events import Kill, Panic
from tests.helpers import invoke_on_a_terminal
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

CASES = {
    "faults-caught-by-a-handler": Case("sig_faults"),
    "sigaction-kill-tkill-masks-sigchld-abort": Case("sig_basic"),
    # The first read is cut short by SIGALRM (EINTR); the second is restarted (SA_RESTART)
    # and returns the line typed once the ninth SIGALRM has been handled.
    "alarm-itimer-nanosleep-eintr-restart": Case(
        # ringlab: typed once the kernel has said the ninth handler returned (its sigreturn
        # line, asked for with trace=signal): typed earlier, the echo lands mid-line and that
        # kernel line starts a new one (an extra empty line in the transcript, seen on the
        # slower sanitizer kernel).
        "sig_timers", keys=[("", r"SIGALRM \(14\) #9"), ("hello\n", r"read with SA_RESTART")],
        ringlab_keys=[("", r"SIGALRM \(14\) #9[\s\S]*?ringlab: sigreturn [^\n]*\n"),
                      ("hello\n", r"read with SA_RESTART")], trace=("signal",)),
    "sigaltstack-overflow-caught-on-the-alternate-stack": Case("sig_altstack"),
    "stack-overflow-without-an-alternate-stack": Case("sig_altstack", args=["nostack"]),
    "single-step-a-loop-and-a-syscall-int3": Case("sig_step"),
    "sigalrm-while-spinning-in-ring-3": Case("sigalrm_spin"),
    **{f"default-action-{mode}": Case("sig_default", args=[mode])
       for mode in ("alarm", "pipe", "usr1", "quit", "ignore")},
    **{f"hostile-sigreturn-{mode}": Case("sig_hostile", args=[mode])
       for mode in ("flags", "cs", "ss", "rip", "rip-caught", "kernel-rip", "mxcsr", "badframe",
                    "forged", "bad-handler", "kernel-altstack")},
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_as_linux(images, tmp_path, name):
    assert_same_as_linux(CASES[name], images, tmp_path)


# -- the console's signal keys, through the shell ---------------------------------------------

@pytest.mark.parametrize("key,sig,name,mode", [
    ("\x03", 2, "SIGINT", "spin"),      # Ctrl-C while the program runs in ring 3
    ("\x03", 2, "SIGINT", "read"),      # ... while it sleeps in read(0)
    ("\x1c", 3, "SIGQUIT", "pause"),    # Ctrl-\ while it sleeps in pause()
])
def test_console_key_kills_the_running_program_only(ringlab, key, sig, name, mode):
    sh = ringlab.shell()
    sh.start(f"sigready {mode}")
    sh.expect(rf"sigready: ready \({mode}\)")
    sh.send(key)
    done = sh.wait()
    assert (done.signal, done.status) == (sig, 128 + sig), done.describe()
    assert f"sigready: killed by {name}" in done.lines, done.describe()
    assert [e.pid for e in done.of(Kill)] == [done.pid], done.describe()   # the shell lives on
    sh.console.send("\x03")             # at the prompt: echoed, and the shell ignores it
    sh.console.expect(r"\^C", 20.0)
    again = sh.run("hello")
    assert again.status == 0, again.describe()
    sh.exit()
    run = sh.session.finish()
    assert run.status == 0 and not run.of(Panic), run.report()


def test_invoke_boot_shell_ctrl_c_is_the_guests_and_ctrl_close_bracket_stops(images):
    """On `invoke boot --shell` Ctrl-C reaches the guest: the running program dies of SIGINT,
    the shell and QEMU go on; Ctrl-] (the harness's own key) still stops QEMU."""
    with invoke_on_a_terminal("boot", "--shell") as child:
        child.expect(r"\n\$ ")
        child.send("sigready\r")
        child.expect(r"sigready: ready \(spin\)")
        child.send("\x03")
        child.expect(r"ringlab: kill pid=\d+ ppid=1 signal=2 name=SIGINT")
        child.expect(r"sigready: killed by SIGINT")
        child.expect(r"\n\$ ")
        child.send("\x1d")
        child.expect(r"ringlab-boot: interrupted \(QEMU stopped\)")
        child.expect(pexpect.EOF)
    assert child.exitstatus == C.EXIT_INTERRUPTED, child.before
