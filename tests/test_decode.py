"""Unit tests for harness.observe.decode, checked bit by bit against the Intel SDM's tables."""
from __future__ import annotations

import pytest

from ringlab.observe import decode
from ringlab.observe.decode import (Escalation, ExceptionClass, PageFaultError, Selector,
                                    SelectorError, Signal)

pytestmark = pytest.mark.unit


# --- #PF error code: SDM Vol. 3A 4.7, Figure 4-12 ---------------------------------------

PF_BITS = [  # (bit, attribute, short name)
    (0, "present", "P"),
    (1, "write", "W"),
    (2, "user", "U"),
    (3, "reserved", "RSVD"),
    (4, "fetch", "I"),
    (5, "pkey", "PK"),
    (6, "shadow_stack", "SS"),
    (7, "hlat", "HLAT"),
    (15, "sgx", "SGX"),
]
PF_ATTRS = [attr for _, attr, _ in PF_BITS]


@pytest.mark.parametrize("bit,attr,name", PF_BITS)
def test_pf_each_bit_alone(bit: int, attr: str, name: str) -> None:
    err = PageFaultError.decode(1 << bit)
    assert getattr(err, attr) is True
    assert [a for a in PF_ATTRS if getattr(err, a)] == [attr]
    assert str(err) == name
    assert err.undefined_bits == 0


def test_pf_zero_is_supervisor_read_not_present() -> None:
    err = decode.PageFaultError.decode(0)
    assert not any(getattr(err, a) for a in PF_ATTRS)
    assert str(err) == "-"
    assert err.describe() == "supervisor read from a not-present page"


def test_pf_all_defined_bits() -> None:
    err = PageFaultError.decode(0x80FF)
    assert all(getattr(err, a) for a in PF_ATTRS)
    assert str(err) == "P W U RSVD I PK SS HLAT SGX"
    assert err.undefined_bits == 0


@pytest.mark.parametrize("code,text", [
    (0x7, "user write to a present page (protection violation)"),
    (0x6, "user write to a not-present page"),
    (0x4, "user read from a not-present page"),
    (0x5, "user read from a present page (protection violation)"),
    (0x15, "user instruction fetch from a present page (protection violation)"),
    (0x14, "user instruction fetch from a not-present page"),
    (0x11, "supervisor instruction fetch from a present page (protection violation)"),
    (0x2, "supervisor write to a not-present page"),
    (0x3, "supervisor write to a present page (protection violation)"),
    (0x1, "supervisor read from a present page (protection violation)"),
    (0xD, "user read from a present page (protection violation); "
          "reserved bit set in a paging-structure entry"),
    (0x25, "user read from a present page (protection violation); protection-key violation"),
    (0x47, "user write to a present page (protection violation); shadow-stack access"),
    (0x8007, "user write to a present page (protection violation); "
             "SGX access-control violation"),
    (0x81, "supervisor read from a present page (protection violation); during HLAT paging"),
])
def test_pf_describe(code: int, text: str) -> None:
    assert PageFaultError.decode(code).describe() == text


def test_pf_str_typical() -> None:
    assert str(PageFaultError.decode(0x7)) == "P W U"
    assert str(PageFaultError.decode(0x15)) == "P U I"


def test_pf_undefined_bits_are_kept_and_shown() -> None:
    err = PageFaultError.decode(0x100 | 0x6)
    assert err.raw == 0x106
    assert err.undefined_bits == 0x100
    assert str(err) == "W U ?0x100"
    assert "undefined bits 0x100" in err.describe()


@pytest.mark.parametrize("bad", [-1, 1 << 32])
def test_pf_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError):
        PageFaultError.decode(bad)


def test_pf_is_frozen() -> None:
    err = PageFaultError.decode(7)
    with pytest.raises(AttributeError):
        err.present = False  # type: ignore[misc]


# --- selector error code: SDM Vol. 3A 6.13, Figure 6-7 ----------------------------------

def test_sel_error_zero_is_null() -> None:
    err = decode.SelectorError.decode(0)
    assert (err.ext, err.idt, err.ti, err.index) == (False, False, False, 0)
    assert err.is_null
    assert err.describe() == "no selector (null)"
    assert str(err) == "null"


@pytest.mark.parametrize("code,ext,idt,ti,index", [
    (0x1, True, False, False, 0),
    (0x2, False, True, False, 0),
    (0x4, False, False, True, 0),
    (0x8, False, False, False, 1),
    (0xFFF8, False, False, False, 0x1FFF),
    (0xFFFF, True, True, True, 0x1FFF),
])
def test_sel_error_bits(code: int, ext: bool, idt: bool, ti: bool, index: int) -> None:
    err = SelectorError.decode(code)
    assert (err.ext, err.idt, err.ti, err.index) == (ext, idt, ti, index)


@pytest.mark.parametrize("code,text,short", [
    (14 << 3 | 2, "IDT vector 14", "IDT[14]"),
    (0x21 << 3 | 2, "IDT vector 33", "IDT[33]"),
    (0x80 << 3 | 3, "IDT vector 128 (external event)", "IDT[128] EXT"),
    (0x28, "GDT selector 0x28", "GDT[5]"),
    (0x48, "GDT selector 0x48", "GDT[9]"),
    (0x4C, "LDT selector 0x4c", "LDT[9]"),
    (0x29, "GDT selector 0x28 (external event)", "GDT[5] EXT"),
    (0x6, "IDT vector 0", "IDT[0]"),   # TI is ignored when IDT is set
])
def test_sel_error_describe(code: int, text: str, short: str) -> None:
    err = SelectorError.decode(code)
    assert err.describe() == text
    assert str(err) == short


def test_sel_error_bits_16_31_are_outside_the_index() -> None:
    err = SelectorError.decode(0x1_0028)
    assert err.index == 5 and err.raw == 0x1_0028


def test_idt_error_code_sdm_and_qemu72() -> None:
    assert decode.idt_error_code(0x21) == 0x10A
    assert decode.idt_error_code(13, ext=True) == 0x6B
    # Measured: QEMU 7.2 TCG, long mode, int $0x21 through a DPL-0 gate -> e=0212.
    assert decode.idt_error_code(0x21, qemu72_long_mode=True) == 0x212
    assert SelectorError.decode(decode.idt_error_code(0x80)).describe() == "IDT vector 128"
    with pytest.raises(ValueError):
        decode.idt_error_code(256)


# --- selectors: SDM Vol. 3A 3.4.2, Figure 3-6; CPL: 5.5 ---------------------------------

@pytest.mark.parametrize("value,index,ti,rpl,cpl", [
    (0x10, 2, False, 0, 0),     # KERNEL_CS (Linux's GDT layout)
    (0x18, 3, False, 0, 0),     # KERNEL_SS
    (0x23, 4, False, 3, 3),     # USER32_CS
    (0x2B, 5, False, 3, 3),     # USER_SS
    (0x33, 6, False, 3, 3),     # USER_CS
    (0x63, 12, False, 3, 3),    # the first TLS entry
    (0x4C, 9, True, 0, 0),
    (0x0F, 1, True, 3, 3),
    (0xFFFF, 0x1FFF, True, 3, 3),
])
def test_selector(value: int, index: int, ti: bool, rpl: int, cpl: int) -> None:
    sel = Selector.decode(value)
    assert (sel.index, sel.ti, sel.rpl) == (index, ti, rpl)
    assert decode.cpl_of(value) == cpl


def test_selector_str_and_null() -> None:
    assert str(Selector.decode(0x33)) == "0x33 (GDT[6] RPL 3)"
    assert Selector.decode(0).is_null and Selector.decode(3).is_null
    assert not Selector.decode(4).is_null     # LDT index 0 is not the null selector
    with pytest.raises(ValueError):
        decode.cpl_of(0x10000)


# --- vectors: SDM Vol. 3A 6.3.1, Table 6-1 ----------------------------------------------

TABLE_6_1 = [  # vector, mnemonic, error code, Linux signal
    (0, "#DE", False, Signal.SIGFPE),
    (1, "#DB", False, Signal.SIGTRAP),
    (2, "NMI", False, None),
    (3, "#BP", False, Signal.SIGTRAP),
    (4, "#OF", False, Signal.SIGSEGV),
    (5, "#BR", False, Signal.SIGSEGV),
    (6, "#UD", False, Signal.SIGILL),
    (7, "#NM", False, None),
    (8, "#DF", True, None),
    (9, "#CSO", False, Signal.SIGFPE),
    (10, "#TS", True, Signal.SIGSEGV),
    (11, "#NP", True, Signal.SIGBUS),
    (12, "#SS", True, Signal.SIGBUS),
    (13, "#GP", True, Signal.SIGSEGV),
    (14, "#PF", True, Signal.SIGSEGV),
    (15, "", False, None),
    (16, "#MF", False, Signal.SIGFPE),
    (17, "#AC", True, Signal.SIGBUS),
    (18, "#MC", False, None),
    (19, "#XM", False, Signal.SIGFPE),
    (20, "#VE", False, None),
    (21, "#CP", True, Signal.SIGSEGV),
] + [(v, "", False, None) for v in range(22, 32)]


@pytest.mark.parametrize("vector,mnem,error_code,signal", TABLE_6_1)
def test_vector_table(vector: int, mnem: str, error_code: bool, signal: Signal) -> None:
    info = decode.vector_info(vector)
    assert info.vector == vector
    assert info.mnemonic == mnem
    assert info.error_code is error_code
    assert decode.has_error_code(vector) is error_code
    assert info.signal is signal
    assert decode.vector_info(vector).signal is signal
    assert decode.VECTORS[vector] == info
    if not mnem:
        assert info.kind == "reserved" and info.name == "Intel reserved"


def test_vectors_with_error_code_exactly() -> None:
    assert [v.vector for v in decode.VECTORS if v.error_code] == [8, 10, 11, 12, 13, 14, 17, 21]


def test_vector_names_and_kinds() -> None:
    assert decode.vector_info(13).name == "General Protection"
    assert decode.vector_info(14).name == "Page Fault"
    assert decode.vector_info(8).kind == "abort"
    assert decode.vector_info(3).kind == "trap"
    assert decode.vector_info(1).kind == "fault/trap"
    assert decode.vector_info(0x80).kind == "user-defined"
    assert not decode.vector_info(0x80).error_code
    assert decode.mnemonic(14) == "#PF"
    assert decode.mnemonic(0x80) == "vector 128"
    for bad in (-1, 256):
        with pytest.raises(ValueError):
            decode.vector_info(bad)


# --- signals: Linux x86-64 numbering; shell status 128+N -------------------------------

@pytest.mark.parametrize("sig,number,status", [
    (Signal.SIGILL, 4, 132),
    (Signal.SIGTRAP, 5, 133),
    (Signal.SIGBUS, 7, 135),
    (Signal.SIGFPE, 8, 136),
    (Signal.SIGSEGV, 11, 139),
])
def test_signal_numbers(sig: Signal, number: int, status: int) -> None:
    assert int(sig) == number
    assert sig.shell_status == status


def test_linux_statuses_of_fault_signals() -> None:
    """The status a shell sees: 139 (#GP/#PF), 132 (#UD), 136 (#DE), 133 (#BP/#DB), 135 (#AC)."""
    expect = {13: 139, 14: 139, 6: 132, 0: 136, 3: 133, 1: 133, 17: 135}
    assert {v: decode.vector_info(v).shell_status for v in expect} == expect
    assert decode.vector_info(8).shell_status is None


def test_signal_names() -> None:
    assert Signal.SIGSEGV.name == "SIGSEGV" and Signal(11) is Signal.SIGSEGV


# --- double-fault rules: SDM Vol. 3A 6.15, Tables 6-4 and 6-5 ---------------------------

def test_exception_classes() -> None:
    contributory = [v.vector for v in decode.VECTORS
                    if v.exception_class is ExceptionClass.CONTRIBUTORY]
    page = [v.vector for v in decode.VECTORS
            if v.exception_class is ExceptionClass.PAGE_FAULT]
    assert contributory == [0, 10, 11, 12, 13, 21]
    assert page == [14, 20]


@pytest.mark.parametrize("first,second,outcome", [
    (0, 13, Escalation.DOUBLE_FAULT),     # contributory + contributory
    (13, 13, Escalation.DOUBLE_FAULT),
    (13, 14, Escalation.SERIAL),          # contributory + page fault
    (14, 14, Escalation.DOUBLE_FAULT),    # page fault + page fault
    (14, 13, Escalation.DOUBLE_FAULT),    # page fault + contributory
    (6, 13, Escalation.SERIAL),           # benign + anything
    (3, 14, Escalation.SERIAL),
    (13, 6, Escalation.SERIAL),           # anything + benign
    (8, 13, Escalation.TRIPLE_FAULT),
    (8, 14, Escalation.TRIPLE_FAULT),
    (8, 6, Escalation.SERIAL),
])
def test_escalation(first: int, second: int, outcome: Escalation) -> None:
    assert decode.escalation(first, second) is outcome


# --- describe_error ---------------------------------------------------------------------

@pytest.mark.parametrize("vector,error,text", [
    (14, 0x6, "user write to a not-present page"),
    (13, 0, "no selector (null)"),
    (13, 0x10A, "IDT vector 33"),
    (11, 0x28, "GDT selector 0x28"),
    (8, 0, "always 0"),
    (17, 0, "always 0"),
    (8, 5, "0x5, expected 0"),
    (6, 0, "no error code"),
    (0x80, 0, "no error code"),
    (21, 3, "control-protection cause 3"),
])
def test_describe_error(vector: int, error: int, text: str) -> None:
    assert decode.describe_error(vector, error) == text
