"""Unit tests for the event parser (no QEMU)."""
import pytest

from ringlab.core.errors import EventParseError
from ringlab.observe.events import (Boot, EnterUser, Event, Exit, Fault, Halt, Kill, Mem, Panic,
                                    Syscall, of, parse_console, parse_line, parse_value)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text,value", [
    ("0", 0), ("42", 42), ("-14", -14), ("0x0", 0), ("0x2b", 0x2B), ("0X2B", 0x2B),
    ("0xffffffff80100000", 0xFFFFFFFF80100000), ("#GP", "#GP"), ("SIGSEGV", "SIGSEGV"),
    ("0x", "0x"), ("12ab", "12ab"), ("", ""), ("-0x10", -16),
])
def test_parse_value(text, value):
    assert parse_value(text) == value


def test_enter_user_typed():
    ev = parse_line("ringlab: enter-user pid=1 rip=0x401000 rsp=0x7fffffffef00 cs=0x33 ss=0x2b")
    assert isinstance(ev, EnterUser)
    assert (ev.pid, ev.rip, ev.rsp, ev.cs, ev.ss) == (1, 0x401000, 0x7FFFFFFFEF00, 0x33, 0x2B)
    assert ev.rpl == 3
    assert ev.kind == "enter-user" and ev.fields["cs"] == 0x33


def test_fault_with_and_without_cr2():
    gp = parse_line("ringlab: fault pid=1 vector=13 name=#GP error=0x0 cpl=3 rip=0x401abc "
                    "cs=0x33 rsp=0x7fffffffee00 ss=0x2b rflags=0x246\r\n")
    assert isinstance(gp, Fault)
    assert (gp.vector, gp.name, gp.error, gp.cpl, gp.rip) == (13, "#GP", 0, 3, 0x401ABC)
    assert gp.rflags == 0x246 and gp.cr2 is None
    pf = parse_line("ringlab: fault pid=2 vector=14 name=#PF error=0x6 cpl=3 rip=0x401000 "
                    "cs=0x33 rsp=0x7ff0 ss=0x2b rflags=0x202 cr2=0x0")
    assert pf.cr2 == 0 and pf.error == 6 and pf.pid == 2


def test_syscall_negative_ret():
    ev = parse_line("ringlab: syscall pid=1 nr=1 name=write ret=-14")
    assert isinstance(ev, Syscall)
    assert (ev.nr, ev.name, ev.ret) == (1, "write", -14)


def test_syscall_that_does_not_return():
    ev = parse_line("ringlab: syscall pid=1 nr=231 name=exit_group arg0=0")
    assert isinstance(ev, Syscall) and ev.ret is None and ev.fields["arg0"] == 0


@pytest.mark.parametrize("line,cls,attrs", [
    ("ringlab: kill pid=1 signal=11 name=SIGSEGV", Kill, {"pid": 1, "signal": 11, "name": "SIGSEGV"}),
    ("ringlab: exit pid=1 status=0", Exit, {"pid": 1, "status": 0}),
    ("ringlab: halt status=139", Halt, {"status": 139}),
    ("ringlab: mem free_pages=31000", Mem, {"free_pages": 31000}),
    ("ringlab: panic reason=page-fault vector=14 error=0x2 rip=0xffffffff80101234 cr2=0x0",
     Panic, {"reason": "page-fault", "vector": 14, "error": 2, "cr2": 0}),
    ('ringlab: boot cmdline="/work/main/images/kernel.elf trace=syscall" mem_kib=130048', Boot,
     {"cmdline": "/work/main/images/kernel.elf trace=syscall", "mem_kib": 130048}),
])
def test_known_events(line, cls, attrs):
    ev = parse_line(line)
    assert type(ev) is cls
    for k, v in attrs.items():
        assert getattr(ev, k) == v


def test_quoted_value_with_escapes():
    ev = parse_line(r'ringlab: boot cmdline="a \"b\" c\\d" mem_kib=1')
    assert ev.cmdline == 'a "b" c\\d'


def test_unknown_event_kept_generically():
    ev = parse_line("ringlab: panic-regs rax=0x1 rbx=0x2 free text here")
    assert type(ev) is Event
    assert ev.kind == "panic-regs"
    assert ev.fields == {"rax": 1, "rbx": 2}
    assert ev.words == ["free", "text", "here"]


def test_not_a_kernel_line():
    assert parse_line("hello from ring 3: cs=0x33 cpl=3") is None
    assert parse_line("  ringlab: halt status=0") is None


@pytest.mark.parametrize("line", [
    "ringlab: halt",                        # required field missing
    "ringlab: halt status=zero",            # not a number
    "ringlab: fault pid=1 vector=13 cpl=3",  # no rip
])
def test_contract_violations_raise(line):
    with pytest.raises(EventParseError):
        parse_line(line)


def test_parse_console_splits_events_and_user_output():
    text = ("ringlab: boot cmdline=\"k\" mem_kib=1\r\r\n"
            "hello from ring 3: cs=0x33 cpl=3\r\n"
            "\r\n"
            "no newline at exitringlab: exit pid=1 status=3\r\n"
            "ringlab: halt status=3\r\n")
    parsed = parse_console(text)
    assert [e.kind for e in parsed.events] == ["boot", "exit", "halt"]
    assert parsed.user_lines == ["hello from ring 3: cs=0x33 cpl=3", "", "no newline at exit"]
    assert parsed.errors == []
    assert parsed.of(Halt)[0].status == 3
    assert parsed.events[1].index == 3


def test_of_is_the_one_event_filter():
    parsed = parse_console("ringlab: exit pid=2 status=0\n"
                           "ringlab: kill pid=1 signal=11 name=SIGSEGV\n"
                           "ringlab: exit pid=1 status=3\n"
                           "ringlab: halt status=x\n"         # breaks the contract: generic
                           "ringlab: halt status=3\n")
    events = parsed.events
    assert [e.line for e in of(events, Exit, Kill, pid=1)] == [events[1].line, events[2].line]
    assert [e.kind for e in of(events, "exit", Kill)] == ["exit", "kill", "exit"]
    assert of(events, Exit, status=3) == [events[2]]
    # a class selects its typed events; the kind string also the line that broke the contract
    assert of(events, Halt) == [events[4]]
    assert of(events, "halt") == [events[3], events[4]]
    assert of(events) == events and of(events, pid=2) == [events[0]]
    assert parsed.of(Exit, pid=1) == of(events, Exit, pid=1)
    with pytest.raises(TypeError):
        of(events, int)


def test_parse_console_records_violations_without_raising():
    parsed = parse_console("ringlab: halt status=x\nringlab: exit pid=1 status=0\n")
    assert len(parsed.errors) == 1 and "status='x'" in parsed.errors[0]
    assert [e.kind for e in parsed.events] == ["halt", "exit"]
    assert type(parsed.events[0]) is Event


def test_user_text_mentioning_ringlab_is_user_output():
    parsed = parse_console("I like ringlab: it is nice\n")
    assert parsed.events == [] and parsed.user_lines == ["I like ringlab: it is nice"]
