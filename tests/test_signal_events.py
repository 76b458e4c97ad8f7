"""The signal events of the console contract, parsed without QEMU."""
import pytest

from ringlab.debug.gdbext.ringfmt import Transition
from ringlab.observe.events import Sigreturn, SignalDelivery, Stop, parse_line
from ringlab.observe.witness import (HANDLER, KERNEL, Evidence, expect_fault, from_handler,
                                     from_kernel)

pytestmark = pytest.mark.unit


def test_signal_delivery_event():
    ev = parse_line("ringlab: signal pid=3 signal=11 name=SIGSEGV handler=0x401590 code=1 "
                    "addr=0xffffffff80100000\r\n")
    assert isinstance(ev, SignalDelivery)
    assert (ev.pid, ev.signal, ev.name, ev.handler, ev.code, ev.addr) == (
        3, 11, "SIGSEGV", 0x401590, 1, 0xFFFFFFFF80100000)


def test_signal_delivery_negative_code():
    ev = parse_line("ringlab: signal pid=1 signal=10 name=SIGUSR1 handler=0x4011a0 code=-6 addr=0x0")
    assert ev.code == -6 and ev.addr == 0          # SI_TKILL


def test_sigreturn_and_stop_events():
    ret = parse_line("ringlab: sigreturn pid=1 rip=0x401077 rsp=0x7fffffffed80")
    assert isinstance(ret, Sigreturn) and (ret.rip, ret.rsp) == (0x401077, 0x7FFFFFFFED80)
    stop = parse_line("ringlab: stop pid=2 signal=19 name=SIGSTOP")
    assert isinstance(stop, Stop) and (stop.pid, stop.signal, stop.name) == (2, 19, "SIGSTOP")


HANDLER_LINE = ("handler: pid=3 signo=11 code=1 addr=0xffffffff80100000 trapno=14 err=0x5 "
                "rip=0x4010f5 rsp=0x7fffffffee40 cs=0x33 ss=0x2b rflags=0x246 "
                "cr2=0xffffffff80100000")


def test_handler_line_is_a_sighting():
    h = from_handler(HANDLER_LINE + "\r")
    assert (h.pid, h.signo, h.code, h.addr) == (3, 11, 1, 0xFFFFFFFF80100000)
    s = h.sighting
    assert (s.witness, s.vector, s.error, s.cpl, s.rip, s.cr2) == (
        HANDLER, 14, 5, 3, 0x4010F5, 0xFFFFFFFF80100000)
    assert (s.cs, s.ss, s.rsp, s.rflags) == (0x33, 0x2B, 0x7FFFFFFFEE40, 0x246)


def test_handler_line_normalises_like_the_others():
    h = from_handler("handler: pid=4 signo=4 code=2 addr=0x401000 trapno=6 err=0 rip=0x401000 "
                     "rsp=0x7ff0 cs=0x33 ss=0x2b rflags=0x246 cr2=0")
    assert h.sighting.error is None and h.sighting.cr2 is None   # #UD pushes no error code
    assert from_handler("handler: something else") is None
    assert from_handler("f_all: prog=f_hlt pid=3 status=139") is None


def test_a_handler_that_disagrees_is_named():
    k = from_kernel(parse_line("ringlab: fault pid=3 vector=14 name=#PF error=0x5 cpl=3 "
                               "rip=0x4010f5 cs=0x33 rsp=0x7fffffffee40 ss=0x2b rflags=0x246 "
                               "cr2=0xffffffff80100000"))
    h = from_handler(HANDLER_LINE.replace("err=0x5", "err=0x4")).sighting
    ev = Evidence(k, handler=h, collected=(KERNEL, HANDLER))
    with pytest.raises(AssertionError, match=r"handler: error = 0x4, expected 0x5"):
        expect_fault(ev, vector=14, cpl=3, rip=0x4010F5, error=5)
    expect_fault(Evidence(k, handler=from_handler(HANDLER_LINE).sighting,
                          collected=(KERNEL, HANDLER)), vector=14, cpl=3, rip=0x4010F5, error=5)


def test_step_ring_line_with_a_delivery_round_trips():
    t = Transition(0, 3, 5938, 0xFFFFFFFF8010646D, "sysretq", 0xFFFFFFFF8010646D, 0x7FF0,
                   0x4011A0, 0x7E48, 0x33, 0x2B, event="delivery", signal=10)
    assert t.line().endswith(" event=delivery signal=10")
    assert Transition.parse(t.line()) == t
    back = Transition(0, 3, 4072, 1, "iretq", 1, 2, 0x401077, 4, 0x33, 0x2B, event="rt_sigreturn")
    assert Transition.parse(back.line()) == back and "signal=" not in back.line()
