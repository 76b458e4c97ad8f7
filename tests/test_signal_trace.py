"""Signal delivery and return events only on request: the kernel prints `signal` and
`sigreturn` lines with the kernel argument ``trace=signal`` (kernel/include/kargs.h), none
without it, while a fault that kills a process (`fault`, `kill`) is reported either way. The
program's own output is the same with and without the lines. ``lab.with_trace`` merges the
word into an append's ``trace=`` token.
"""
import pytest

from ringlab import lab
from ringlab.core.errors import BadConfig
from ringlab.core import kabi
from ringlab.machine.qemu import QemuConfig
from ringlab.machine.symbols import symbol_address
from ringlab.observe.events import Fault, Kill, Panic, Sigreturn, SignalDelivery, Syscall
from ringlab.observe.witness import from_handler

SIGUSR1, SIGSEGV = 10, 11
SI_USER, SI_TKILL = 0, -6
ROUNDS = 4                  # bench_signals: signals per sender (kill, raise, tgkill)


# -- the harness's side, without QEMU ----------------------------------------------------------

@pytest.mark.parametrize("append,kinds,merged", [
    ("", ("signal",), "trace=signal"),
    ("init.args=2", ("signal",), "init.args=2 trace=signal"),
    ("trace=syscall init.args=2", ("signal",), "trace=syscall,signal init.args=2"),
    ("trace=syscall,signal", ("signal", "mem"), "trace=syscall,signal,mem"),
    ("init.args=2", (), "init.args=2"),
    ("trace=mem", ("signal", "signal"), "trace=mem,signal"),
])
def test_with_trace_merges_into_one_token(append, kinds, merged):
    assert lab.with_trace(append, *kinds) == merged
    assert set(lab.trace_kinds(merged)) == set(lab.trace_kinds(append)) | set(kinds)


@pytest.mark.parametrize("kind", ["", "syscall,signal", "a b", "trace=signal"])
def test_with_trace_refuses_what_is_not_one_word(kind):
    with pytest.raises(BadConfig, match="trace kind"):
        lab.with_trace("", kind)


def test_the_kernel_abi_lists_signal_among_the_trace_words():
    assert kabi.load().kargs["trace"].split(" ", 1)[1].split("|") == ["syscall", "mem", "signal"]


# -- the kernel's side ------------------------------------------------------------------------

def _bench(images, append: str):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("bench_signals"),
                             append=lab.with_init_args(append, str(ROUNDS))), timeout_s=120)
    assert run.status == 0 and not run.of(Panic), run.report()   # every handler ran (it counts)
    return run


@pytest.mark.boot
def test_self_sent_signals_print_nothing_by_default_and_every_event_with_the_flag(images):
    """bench_signals sends itself SIGUSR1 ROUNDS times each with kill (SI_USER), raise and
    tgkill (SI_TKILL); its handler counts them. Without the flag no delivery or return line;
    with it one `signal` event naming the handler and one `sigreturn` per signal."""
    quiet = _bench(images, "")
    assert not quiet.of(SignalDelivery) and not quiet.of(Sigreturn), quiet.report()
    assert "ringlab: signal " not in quiet.console and "ringlab: sigreturn " not in quiet.console

    traced = _bench(images, "trace=signal")
    handler = symbol_address(images.program("bench_signals"), "on_usr1")
    got = [(e.pid, e.signal, e.name, e.handler, e.code, e.addr) for e in traced.of(SignalDelivery)]
    assert got == [(1, SIGUSR1, "SIGUSR1", handler, code, 0)
                   for code in [SI_USER] * ROUNDS + [SI_TKILL] * 2 * ROUNDS], traced.report()
    assert [e.pid for e in traced.of(Sigreturn)] == [1] * 3 * ROUNDS, traced.report()
    # each return follows its delivery: the events alternate
    kinds = [e.kind for e in traced.events if isinstance(e, (SignalDelivery, Sigreturn))]
    assert kinds == ["signal", "sigreturn"] * 3 * ROUNDS, traced.report()
    # only the figures' timings differ
    assert ([l.split("=")[0] for l in quiet.user_lines]
            == [l.split("=")[0] for l in traced.user_lines]), (quiet.user_lines, traced.user_lines)


@pytest.mark.boot
def test_ia32_frames_too_and_the_flag_combines_with_syscall(images):
    """The i386 sigreturn and rt_sigreturn (signal32.c, m32sig-m32) follow the same flag;
    ``trace=syscall,signal`` gives both families; the program's transcript is unchanged."""
    prog = images.program("m32sig-m32")
    quiet = lab.run(QemuConfig(kernel=images.kernel, init=prog), timeout_s=120)
    assert quiet.status == 0 and not quiet.of(Panic), quiet.report()
    assert not quiet.of(SignalDelivery) and not quiet.of(Sigreturn), quiet.report()
    traced = lab.run(QemuConfig(kernel=images.kernel, init=prog,
                                append=lab.with_trace("trace=syscall", "signal")), timeout_s=180)
    assert traced.status == 0 and not traced.of(Panic), traced.report()
    assert traced.of(SignalDelivery) and traced.of(Sigreturn), traced.report()
    returns = {e.name for e in traced.of(Syscall) if e.abi == "i386"}
    assert {"sigreturn", "rt_sigreturn"} <= returns, traced.report()
    assert quiet.user_lines == traced.user_lines


@pytest.mark.boot
def test_a_fault_that_kills_is_reported_without_the_flag(images):
    """f_all runs f_hlt with its handler witness (userland/fault_witness.h): the handler
    reports the #GP, then the default action ends it. The kernel's `fault` and `kill` lines
    are there without trace=signal, the delivery to the handler and its return are not."""
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("f_all"),
                             files=[images.program("f_hlt")]), timeout_s=120)
    assert run.status == 0 and not run.of(Panic), run.report()
    victim = [h for h in map(from_handler, run.user_lines) if h]
    assert [h.signo for h in victim] == [SIGSEGV], run.report()
    pid = victim[0].pid
    assert [(f.pid, f.cpl, f.name) for f in run.of(Fault)] == [(pid, 3, "#GP")], run.report()
    assert [(k.pid, k.signal) for k in run.of(Kill)] == [(pid, SIGSEGV)], run.report()
    assert not run.of(SignalDelivery) and not run.of(Sigreturn), run.report()
