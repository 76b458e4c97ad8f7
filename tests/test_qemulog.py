"""Unit tests for harness.observe.qemulog against real QEMU 7.2 logs (tests/data/qemulog/)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

import pytest

from ringlab.observe import decode, qemulog
from ringlab.observe.qemulog import IntRecord, QemuLog

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent / "data" / "qemulog"


def _text(name: str) -> str:
    return (DATA / name).read_text()


@pytest.fixture(scope="module")
def catalogue() -> QemuLog:
    return qemulog.parse_file(DATA / "catalogue_long_mode.log")


# The whole SCENARIO=0 run, in order: (vector, error, software, hardware, cpl, cs, rip, cr2).
# Symbols: tests/data/qemulog/README.md.
CATALOGUE: List[Tuple[int, int, bool, bool, int, int, int, Optional[int]]] = [
    (0x03, 0x000, True, False, 0, 0x08, 0x100199, None),         # int3
    (0x06, 0x000, False, False, 0, 0x08, 0x1001A8, None),        # ud2
    (0x00, 0x000, False, False, 0, 0x08, 0x1001C1, None),        # div by 0
    (0x0D, 0x000, False, False, 0, 0x08, 0x1001DB, None),        # non-canonical load
    (0x0E, 0x000, False, False, 0, 0x08, 0x1001F1, 0x40000000),  # not-present read
    (0x0E, 0x003, False, False, 0, 0x08, 0x100207, 0x600010),    # write to read-only
    (0x0D, 0x048, False, False, 0, 0x08, 0x100225, None),        # mov 0x48 -> ds
    (0x0D, 0x04C, False, False, 0, 0x08, 0x100239, None),        # mov 0x4c -> es (LDT)
    (0x80, 0x000, True, False, 0, 0x08, 0x100249, None),         # int $0x80 in ring 0
    (0x80, 0x000, True, False, 3, 0x2B, 0x200005, None),         # u_int80
    (0x0D, 0x000, False, False, 3, 0x2B, 0x200008, None),        # u_hlt
    (0x21, 0x000, True, False, 3, 0x2B, 0x200009, None),         # u_int21: attempt...
    (0x0D, 0x212, False, False, 3, 0x2B, 0x200009, None),        # ...#GP, QEMU 7.2 code
    (0x06, 0x000, False, False, 3, 0x2B, 0x20000B, None),        # u_ud2
    (0x03, 0x000, True, False, 3, 0x2B, 0x20000D, None),         # u_int3
    (0x0D, 0x000, False, False, 3, 0x2B, 0x20000E, None),        # u_cli
    (0x0E, 0x005, False, False, 3, 0x2B, 0x20000F, 0x100000),    # u_rd_kernel
    (0x0E, 0x006, False, False, 3, 0x2B, 0x200017, 0x40000008),  # u_wr_unmapped
    (0x0E, 0x015, False, False, 3, 0x2B, 0x400800, 0x400800),    # u_nx
    (0x0D, 0x000, False, False, 3, 0x2B, 0x20003B, None),        # u_noncanon
    (0x00, 0x000, False, False, 3, 0x2B, 0x200042, None),        # u_div
    (0x06, 0x000, False, False, 3, 0x2B, 0x200055, None),        # u_ac: no #AC in TCG
    (0x01, 0x000, False, False, 3, 0x2B, 0x200061, None),        # u_tf single step
    (0x20, 0x000, False, True, 3, 0x2B, 0x200066, None),         # PIT IRQ0
    (0x06, 0x000, False, False, 0, 0x08, 0x1002A8, None),        # ud2, rsp unmapped
    (0x0E, 0x002, False, False, 0, 0x08, 0x1002A8, 0x40000FF8),  # push faults
    (0x08, 0x000, False, False, 0, 0x08, 0x1002A8, None),        # -> #DF
]


def test_catalogue_every_record(catalogue: QemuLog) -> None:
    got = [(r.vector, r.error, r.software, r.hardware, r.cpl, r.cs, r.rip, r.cr2)
           for r in catalogue.interrupts]
    assert got == CATALOGUE
    assert [r.seq for r in catalogue.interrupts] == list(range(len(CATALOGUE)))


def test_catalogue_log_level_facts(catalogue: QemuLog) -> None:
    assert catalogue.resets == 2
    assert not catalogue.triple_fault
    assert not catalogue.truncated
    assert catalogue.unknown == []


def test_catalogue_first_user_gp_all_fields(catalogue: QemuLog) -> None:
    (hlt,) = catalogue.find(vector=13, cpl=3, rip=0x200008)
    assert hlt == IntRecord(seq=10, vector=13, error=0, software=False, cpl=3, cs=0x2B,
                            rip=0x200008, pc=0x200008, ss=0x23, rsp=0x401000, rax=0x5555,
                            cr2=None, hardware=False, lineno=hlt.lineno)
    assert hlt.mnemonic == "#GP"
    assert hlt.info.signal is decode.Signal.SIGSEGV
    assert hlt.rflags == 0x202
    assert hlt.cr3 == 0x102000
    assert hlt.efer == 0xD00                  # LME | LMA | NXE
    assert hlt.dump.long_mode
    assert hlt.dump.segments["cs"].selector == 0x2B
    assert hlt.dump.segments["tr"].selector == 0x30
    assert hlt.dump.tables["idt"] == (0x105000, 0xFFF)
    assert decode.cpl_of(hlt.cs) == hlt.cpl


def test_catalogue_pf_cr2_line_matches_dump(catalogue: QemuLog) -> None:
    for rec in catalogue.exceptions(vector=14):
        assert rec.rax is None                # QEMU prints CR2 instead of RAX on #PF
        assert rec.cr2 == rec.dump["cr2"]
    nx = catalogue.find(vector=14, error=0x15)[0]
    assert str(decode.PageFaultError.decode(nx.error)) == "P U I"
    assert "cr2=0x400800" in nx.describe()


def test_catalogue_no_cr2_on_other_vectors(catalogue: QemuLog) -> None:
    # The dump of the #GP right after the NX #PF still shows that #PF's CR2: stale.
    gp = catalogue.find(vector=13, rip=0x20003B)[0]
    assert gp.cr2 is None and gp.dump["cr2"] == 0x400800


def test_catalogue_exceptions_filter(catalogue: QemuLog) -> None:
    user = catalogue.exceptions(cpl=3)
    assert [r.mnemonic for r in user] == [
        "#GP", "#GP", "#UD", "#BP", "#GP", "#PF", "#PF", "#PF", "#GP", "#DE", "#UD", "#DB"]
    assert all(r.is_exception for r in user)
    assert not any(r.vector >= 32 for r in catalogue.exceptions())
    assert len(catalogue.exceptions(cpl=0, vector=14)) == 3


def test_catalogue_double_fault_escalation(catalogue: QemuLog) -> None:
    (df,) = catalogue.double_faults
    assert df.escalated_from == 14
    assert df.rsp == 0x40001000
    esc = catalogue.escalations[-1]
    assert (esc.old, esc.new) == (14, 14)
    assert esc.during_delivery
    assert esc.outcome is decode.Escalation.DOUBLE_FAULT
    assert all(not e.during_delivery for e in catalogue.escalations[:-1])
    assert all(r.escalated_from is None for r in catalogue.interrupts[:-1])
    # Software and hardware interrupts do not go through check_exception.
    assert len(catalogue.escalations) == sum(
        1 for r in catalogue.interrupts if not r.software and not r.hardware)


def test_catalogue_int_through_dpl0_gate_qemu72(catalogue: QemuLog) -> None:
    attempt, gp = catalogue.find(rip=0x200009)
    assert (attempt.vector, attempt.software) == (0x21, True)
    assert gp.error == decode.idt_error_code(0x21, qemu72_long_mode=True)
    assert gp.error != decode.idt_error_code(0x21)


@pytest.mark.parametrize("name,records,escalations,last_old", [
    ("triple_long_mode.log", [(14, 0, 0x40000000), (8, 0, None)], [(None, 14), (14, 13), (8, 13)], 14),
    ("triple_32bit_de.log", [(0, 0, None), (8, 0, None)], [(None, 0), (0, 13), (8, 13)], 0),
    ("triple_32bit_ud.log", [(6, 0, None), (13, 0x32, None), (8, 0, None)],
     [(None, 6), (None, 13), (13, 13), (8, 13)], 13),
])
def test_triple_faults(name: str, records: list, escalations: list, last_old: int) -> None:
    parsed = qemulog.parse(_text(name))
    assert parsed.triple_fault
    assert parsed.triple_fault_lineno == len(_text(name).splitlines())   # last line
    assert parsed.resets == 2
    assert [(r.vector, r.error, r.cr2) for r in parsed.interrupts] == records
    assert [(e.old, e.new) for e in parsed.escalations] == escalations
    assert parsed.escalations[-1].outcome is decode.Escalation.TRIPLE_FAULT
    assert parsed.interrupts[-1].escalated_from == last_old
    assert parsed.unknown == []
    assert "TRIPLE FAULT" in parsed.summary()


def test_32bit_dump_is_normalised() -> None:
    rec = qemulog.parse(_text("triple_32bit_ud.log")).interrupts[0]
    assert not rec.dump.long_mode
    assert rec.dump["rax"] == 0x1234 == rec.rax      # from EAX=
    assert rec.dump["rip"] == rec.rip == 0x100015    # from EIP=
    assert rec.rflags == 0x6                         # from EFL=
    assert rec.cr3 == 0 and rec.efer == 0
    # The #GP from reading the BIOS IVT as an IDT: SDM error code vector*8+2 in 32-bit mode.
    gp = qemulog.parse(_text("triple_32bit_ud.log")).interrupts[1]
    assert gp.error == decode.idt_error_code(6)
    assert decode.SelectorError.decode(gp.error).describe() == "IDT vector 6"


def test_parse_int_log_is_interrupts() -> None:
    text = _text("triple_long_mode.log")
    assert qemulog.parse_int_log(text) == qemulog.parse(text).interrupts


# --- edge cases -------------------------------------------------------------------------

GP_LINE = ("    10: v=0d e=0000 i=0 cpl=3 IP=002b:0000000000200008 pc=0000000000200008 "
           "SP=0023:0000000000401000 env->regs[R_EAX]=0000000000005555")


def test_documented_sample() -> None:
    """The sample in docs/qemu-facts.md (QEMU's interrupt log)."""
    text = (
        "     0: v=80 e=0000 i=1 cpl=3 IP=002b:000000000030100a pc=000000000030100a "
        "SP=0023:0000000000301430 env->regs[R_EAX]=0000000000001234\n"
        "check_exception old: 0xffffffff new 0xd\n"
        "     1: v=0d e=0000 i=0 cpl=3 IP=002b:000000000030101d pc=000000000030101d "
        "SP=0023:0000000000301430 env->regs[R_EAX]=0000000000000008\n"
        "     0: v=0e e=0001 i=0 cpl=0 IP=0008:00000000001004b0 pc=00000000001004b0 "
        "SP=0010:000000000010b0b0 CR2=0000000000301000\n")
    recs = qemulog.parse_int_log(text)
    assert [(r.seq, r.vector, r.software, r.rax, r.cr2) for r in recs] == [
        (0, 0x80, True, 0x1234, None), (1, 13, False, 8, None), (0, 14, False, None, 0x301000)]
    assert recs[2].dump.regs == {}


@pytest.mark.parametrize("cut", [1, 20, 60, len(GP_LINE) - 3, len(GP_LINE)])
def test_truncated_last_line_is_not_a_record(cut: int) -> None:
    text = "CPU Reset (CPU 0)\n" + GP_LINE + "\n" + GP_LINE[:cut]
    parsed = qemulog.parse(text)
    assert len(parsed.interrupts) == 1
    assert parsed.truncated and parsed.truncated_line == GP_LINE[:cut]
    assert "truncated" in parsed.summary()


def test_truncated_real_log_at_every_record_boundary() -> None:
    text = _text("catalogue_long_mode.log")
    full = qemulog.parse(text).interrupts
    for rec in full[::5]:
        # Cut inside the record's own line: every earlier record survives intact
        # (their dumps included), this one and later ones are gone.
        start = sum(len(l) + 1 for l in text.split("\n")[: rec.lineno - 1])
        parsed = qemulog.parse(text[: start + 40])
        assert parsed.interrupts == full[: full.index(rec)]
        assert [r.dump for r in parsed.interrupts] == [r.dump for r in full[: full.index(rec)]]


def test_truncated_inside_dump_keeps_record_with_partial_dump() -> None:
    text = _text("triple_long_mode.log")
    lines = text.split("\n")
    first = qemulog.parse(text).interrupts[0]
    cut = "\n".join(lines[: first.lineno + 2]) + "\n" + lines[first.lineno + 2][:10]
    parsed = qemulog.parse(cut)
    (rec,) = parsed.interrupts
    assert rec == first                    # compare ignores the dump
    assert rec.dump.get("rax") is not None and rec.dump.get("cr3") is None


def test_unknown_lines_are_kept_not_parsed() -> None:
    text = ("hello from somewhere else\n"
            + GP_LINE + "\n"
            + "RAX=0000000000000001 RBX=0000000000000002\n"
            + "qemu: fatal: something odd\n"
            + "RAX=00000000000000ff\n"          # dump-like, but not after a record
            + "\n"
            + "check_exception old: 0xffffffff new 0xd\n"
            + "  7: v=zz broken\n")
    parsed = qemulog.parse(text)
    (rec,) = parsed.interrupts
    assert rec.dump["rax"] == 1 and rec.dump["rbx"] == 2
    assert [l for _, l in parsed.unknown] == [
        "hello from somewhere else", "qemu: fatal: something odd",
        "RAX=00000000000000ff", "  7: v=zz broken"]
    assert [n for n, _ in parsed.unknown] == [1, 4, 5, 8]
    assert not parsed.truncated


def test_multiple_resets_and_crlf() -> None:
    reset = _text("triple_long_mode.log").split("\n")[:28]   # one "CPU Reset" + its dump
    text = "\r\n".join(reset * 3 + [GP_LINE, "Triple fault", "CPU Reset (CPU 0)", ""])
    parsed = qemulog.parse(text)
    assert parsed.resets == 4
    assert parsed.triple_fault
    assert len(parsed.interrupts) == 1
    assert parsed.unknown == []


def test_hardware_flag_needs_matching_vector() -> None:
    text = "Servicing hardware INT=0x08\n" + GP_LINE + "\n"
    (rec,) = qemulog.parse_int_log(text)
    assert not rec.hardware and rec.is_exception   # the BIOS IRQ in real mode logs no line


def test_check_exception_accepts_colon_after_new() -> None:
    parsed = qemulog.parse("check_exception old: 0xe new: 0xe\n" + GP_LINE + "\n")
    assert (parsed.escalations[0].old, parsed.escalations[0].new) == (14, 14)
    assert parsed.interrupts[0].escalated_from == 14


def test_empty_and_junk_input() -> None:
    assert qemulog.parse("").interrupts == []
    assert qemulog.parse("").resets == 0
    junk = qemulog.parse("\x00\x01garbage")
    assert junk.truncated and junk.interrupts == []


def test_parse_file_replaces_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "q.log"
    path.write_bytes(b"\xff\xfe\n" + GP_LINE.encode() + b"\n")
    parsed = qemulog.parse_file(path)
    assert len(parsed.interrupts) == 1 and len(parsed.unknown) == 1


# --- ringlab's own kernel: the `hlt` probe, two witnesses ----------------------------------

def _kernel_fault_event(console: str) -> dict:
    """The first ``ringlab: fault`` line of a console transcript as a dict of ints."""
    for line in console.splitlines():
        if line.startswith("ringlab: fault "):
            pairs = (tok.split("=", 1) for tok in line.split()[2:] if "=" in tok)
            return {k: (v if k == "name" else int(v, 0)) for k, v in pairs}
    raise AssertionError("no fault event in the console transcript")


def test_ringlab_hlt_probe_matches_kernel_event() -> None:
    parsed = qemulog.parse(_text("ring3_hlt_ringlab.log"))
    event = _kernel_fault_event(_text("ring3_hlt_ringlab.console"))
    (rec,) = parsed.exceptions(cpl=3)
    assert (rec.vector, rec.error, rec.cpl, rec.cs, rec.rip, rec.ss, rec.rsp) == (
        event["vector"], event["error"], event["cpl"], event["cs"], event["rip"],
        event["ss"], event["rsp"])
    assert rec.mnemonic == event["name"] == "#GP"
    assert rec.rflags == event["rflags"]            # from the dump after the line
    assert rec.rip == 0x40104A                      # fault_insn in that build of hlt
    assert rec.info.shell_status == 139
    assert parsed.resets == 2 and not parsed.triple_fault and parsed.unknown == []
