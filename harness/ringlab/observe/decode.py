"""Decoders for what the CPU reports about an exception: vectors, error codes, selectors.

Pure functions and frozen records, no I/O: the kernel's ``fault`` events, the frame gdb
sees and QEMU's ``-d int`` log all carry raw numbers, and this module turns them into
names a test failure can show side by side.

Hardware facts come from the Intel SDM (Intel 64 and IA-32 Architectures Software
Developer's Manual), Volume 3A; each table below names its section. Signal numbers are
Linux x86-64's (``arch/x86/include/uapi/asm/signal.h``), and the signal a ring-3
exception earns is the one Linux's ``arch/x86/kernel/traps.c`` / ``fault.c`` sends.
"""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------
# Page-fault error code: SDM Vol. 3A 4.7 "Page-Fault Exceptions", Figure 4-12.
# ---------------------------------------------------------------------------------------
PF_P = 1 << 0       # 0: not-present page; 1: protection violation
PF_WR = 1 << 1      # 0: read; 1: write
PF_US = 1 << 2      # 0: supervisor-mode access; 1: user-mode access
PF_RSVD = 1 << 3    # 1: a reserved bit was set in some paging-structure entry
PF_ID = 1 << 4      # 1: instruction fetch
PF_PK = 1 << 5      # 1: protection-key violation
PF_SS = 1 << 6      # 1: shadow-stack access
PF_HLAT = 1 << 7    # 1: fault during HLAT paging
PF_SGX = 1 << 15    # 1: SGX-specific access-control violation
PF_DEFINED_BITS = PF_P | PF_WR | PF_US | PF_RSVD | PF_ID | PF_PK | PF_SS | PF_HLAT | PF_SGX

# Short flag names in bit order, as ``str(PageFaultError)`` prints them.
_PF_FLAG_NAMES: Tuple[Tuple[int, str], ...] = (
    (PF_P, "P"), (PF_WR, "W"), (PF_US, "U"), (PF_RSVD, "RSVD"), (PF_ID, "I"),
    (PF_PK, "PK"), (PF_SS, "SS"), (PF_HLAT, "HLAT"), (PF_SGX, "SGX"),
)


def _check_error_code(code: int) -> None:
    """Reject values that cannot be an error code pushed by the CPU.

    The CPU pushes the error code as a doubleword (or quadword in 64-bit mode, upper
    half zero): SDM Vol. 3A 6.13 "Error Code".

    Args:
        code: the candidate error code.

    Raises:
        ValueError: if ``code`` is negative or does not fit in 32 bits.
    """
    if not 0 <= code <= 0xFFFF_FFFF:
        raise ValueError(f"error code out of range: {code!r}")


@dataclass(frozen=True)
class PageFaultError:
    """A decoded #PF error code (SDM Vol. 3A 4.7, Figure 4-12).

    Attributes:
        raw: the error code as pushed by the CPU.
        present: P (bit 0): the fault was a protection violation on a present page;
            clear for a not-present page.
        write: W/R (bit 1): the access was a write (clear: a read).
        user: U/S (bit 2): the access was a user-mode access (clear: supervisor).
        reserved: RSVD (bit 3): a reserved bit was set in a paging-structure entry.
        fetch: I/D (bit 4): the access was an instruction fetch.
        pkey: PK (bit 5): a protection-key violation.
        shadow_stack: SS (bit 6): a shadow-stack access.
        hlat: HLAT (bit 7): the fault happened during HLAT paging.
        sgx: SGX (bit 15): an SGX-specific access-control violation.
    """

    raw: int
    present: bool
    write: bool
    user: bool
    reserved: bool
    fetch: bool
    pkey: bool
    shadow_stack: bool
    hlat: bool
    sgx: bool

    @classmethod
    def decode(cls, code: int) -> "PageFaultError":
        """Decode a #PF error code (SDM Vol. 3A 4.7, Figure 4-12).

        Args:
            code: the error code the CPU pushed for vector 14.

        Returns:
            The decoded error code. Bits the SDM leaves reserved are kept in ``raw``
            and reported by ``undefined_bits``.

        Raises:
            ValueError: if ``code`` is negative or wider than 32 bits.
        """
        _check_error_code(code)
        return cls(
            raw=code,
            present=bool(code & PF_P),
            write=bool(code & PF_WR),
            user=bool(code & PF_US),
            reserved=bool(code & PF_RSVD),
            fetch=bool(code & PF_ID),
            pkey=bool(code & PF_PK),
            shadow_stack=bool(code & PF_SS),
            hlat=bool(code & PF_HLAT),
            sgx=bool(code & PF_SGX),
        )

    @property
    def undefined_bits(self) -> int:
        """Bits set in ``raw`` that Figure 4-12 (SDM Vol. 3A 4.7) leaves reserved.

        Returns:
            The mask of those bits; 0 for every error code a CPU should push.
        """
        return self.raw & ~PF_DEFINED_BITS

    @property
    def access(self) -> str:
        """The kind of access that faulted: ``"instruction fetch"``, ``"write"`` or ``"read"``.

        Returns:
            I/D wins over W/R: SDM Vol. 3A 4.7 says W/R is 0 for instruction fetches.
        """
        if self.fetch:
            return "instruction fetch"
        return "write" if self.write else "read"

    def describe(self) -> str:
        """One line of plain English, e.g. ``"user write to a present page (protection violation)"``.

        Returns:
            Who (user/supervisor, from U/S), what (read/write/instruction fetch, from
            W/R and I/D), on what (present or not, from P), then any of RSVD, PK, SS,
            HLAT, SGX (SDM Vol. 3A 4.7).
        """
        who = "user" if self.user else "supervisor"
        prep = "to" if (self.write and not self.fetch) else "from"
        page = ("a present page (protection violation)" if self.present
                else "a not-present page")
        text = f"{who} {self.access} {prep} {page}"
        extras = []
        if self.reserved:
            extras.append("reserved bit set in a paging-structure entry")
        if self.pkey:
            extras.append("protection-key violation")
        if self.shadow_stack:
            extras.append("shadow-stack access")
        if self.hlat:
            extras.append("during HLAT paging")
        if self.sgx:
            extras.append("SGX access-control violation")
        if self.undefined_bits:
            extras.append(f"undefined bits {self.undefined_bits:#x}")
        if extras:
            text += "; " + "; ".join(extras)
        return text

    def __str__(self) -> str:
        """The set flags in bit order, e.g. ``"P W U"``; ``"-"`` for error code 0.

        Returns:
            Space-separated names of the set bits (SDM Vol. 3A 4.7, Figure 4-12).
        """
        names = [name for bit, name in _PF_FLAG_NAMES if self.raw & bit]
        if self.undefined_bits:
            names.append(f"?{self.undefined_bits:#x}")
        return " ".join(names) if names else "-"


# ---------------------------------------------------------------------------------------
# Selector error code: SDM Vol. 3A 6.13 "Error Code", Figure 6-7.
# ---------------------------------------------------------------------------------------
SEL_ERR_EXT = 1 << 0      # the exception happened while delivering an external event
SEL_ERR_IDT = 1 << 1      # the index refers to an IDT gate descriptor
SEL_ERR_TI = 1 << 2       # (IDT clear) 1: the index refers to the LDT; 0: the GDT
SEL_ERR_INDEX_SHIFT = 3   # bits 3-15: descriptor index
SEL_ERR_INDEX_MASK = 0x1FFF


@dataclass(frozen=True)
class SelectorError:
    """A decoded selector error code (SDM Vol. 3A 6.13, Figure 6-7).

    Pushed with #TS, #NP, #SS and #GP when the fault concerns a segment selector or an
    IDT gate.

    Attributes:
        raw: the error code as pushed by the CPU.
        ext: EXT (bit 0): the exception happened during delivery of an event external
            to the program (an interrupt or an earlier exception).
        idt: IDT (bit 1): the index refers to a gate descriptor in the IDT.
        ti: TI (bit 2), meaningful only when ``idt`` is clear: the index refers to the
            LDT (set) or the GDT (clear).
        index: bits 3-15, the descriptor index (for the IDT, the vector number).
    """

    raw: int
    ext: bool
    idt: bool
    ti: bool
    index: int

    @classmethod
    def decode(cls, code: int) -> "SelectorError":
        """Decode a selector error code (SDM Vol. 3A 6.13, Figure 6-7).

        Args:
            code: the error code pushed with #TS, #NP, #SS or #GP.

        Returns:
            The decoded error code. Bits 16-31 are reserved by Figure 6-7; they stay in
            ``raw``.

        Raises:
            ValueError: if ``code`` is negative or wider than 32 bits.
        """
        _check_error_code(code)
        return cls(
            raw=code,
            ext=bool(code & SEL_ERR_EXT),
            idt=bool(code & SEL_ERR_IDT),
            ti=bool(code & SEL_ERR_TI),
            index=(code >> SEL_ERR_INDEX_SHIFT) & SEL_ERR_INDEX_MASK,
        )

    @property
    def table(self) -> str:
        """Which descriptor table the index refers to: ``"IDT"``, ``"LDT"`` or ``"GDT"``.

        Returns:
            IDT when bit 1 is set, else LDT or GDT by TI (SDM Vol. 3A 6.13).
        """
        if self.idt:
            return "IDT"
        return "LDT" if self.ti else "GDT"

    @property
    def selector(self) -> int:
        """The selector value that names the descriptor, with RPL 0 (``index << 3 | TI << 2``).

        Returns:
            For a GDT/LDT error, the selector the faulting instruction used, less its
            RPL (SDM Vol. 3A 3.4.2); for an IDT error, ``vector << 3``.
        """
        return (self.index << 3) | (SEL_ERR_TI if (self.ti and not self.idt) else 0)

    @property
    def is_null(self) -> bool:
        """True for error code 0: no selector involved, or the null selector.

        Returns:
            Whether ``raw`` is 0 (SDM Vol. 3A 6.13: #GP(0) carries error code 0).
        """
        return self.raw == 0

    def describe(self) -> str:
        """One line of plain English: ``"IDT vector 14"``, ``"GDT selector 0x28"``, ...

        Returns:
            ``"no selector (null)"`` for 0; otherwise the table and index (the vector in
            decimal for the IDT, the selector in hex for GDT/LDT), plus
            ``" (external event)"`` when EXT is set (SDM Vol. 3A 6.13, Figure 6-7).
        """
        if self.raw == 0:
            return "no selector (null)"
        if self.idt:
            text = f"IDT vector {self.index}"
        else:
            text = f"{self.table} selector {self.selector:#x}"
        if self.ext:
            text += " (external event)"
        return text

    def __str__(self) -> str:
        """Short form, e.g. ``"IDT[14]"``, ``"GDT[5] EXT"``, ``"null"``.

        Returns:
            Table, index in brackets, and ``EXT`` when bit 0 is set.
        """
        if self.raw == 0:
            return "null"
        text = f"{self.table}[{self.index}]"
        return text + " EXT" if self.ext else text


def idt_error_code(vector: int, *, ext: bool = False, qemu72_long_mode: bool = False) -> int:
    """The error code a fault on IDT gate ``vector`` pushes, e.g. ``int 0x21`` via a DPL-0 gate.

    The SDM (Vol. 3A 6.13, Figure 6-7) puts the vector in bits 3-15 with IDT (bit 1)
    set: ``vector << 3 | 2``. QEMU 7.2's TCG gets this wrong in 64-bit mode and pushes
    ``vector * 16 + 2`` (measured here: ``int $0x21`` from ring 3 through a DPL-0 gate
    gives ``v=0d e=0212``; fixed upstream in QEMU 8.0, "i386: Emit correct error code
    for 64-bit IDT entry"). Every witness under QEMU 7.2 - the kernel,
    gdb and the ``-d int`` log - sees the QEMU value, so a test on QEMU 7.2 must expect it.

    Args:
        vector: the IDT vector, 0-255.
        ext: set EXT (bit 0): the event was external (hardware interrupt or exception).
        qemu72_long_mode: give QEMU 7.2 TCG's 64-bit-mode value instead of the SDM's.

    Returns:
        The error code.

    Raises:
        ValueError: if ``vector`` is not 0-255.
    """
    if not 0 <= vector <= 255:
        raise ValueError(f"IDT vector out of range: {vector!r}")
    code = (vector * 16 if qemu72_long_mode else vector << SEL_ERR_INDEX_SHIFT) | SEL_ERR_IDT
    return code | SEL_ERR_EXT if ext else code


# ---------------------------------------------------------------------------------------
# Segment selectors: SDM Vol. 3A 3.4.2 "Segment Selectors", Figure 3-6.
# ---------------------------------------------------------------------------------------
SELECTOR_RPL_MASK = 0x3   # bits 0-1: requested privilege level
SELECTOR_TI = 1 << 2      # bit 2: table indicator, 1 = LDT
SELECTOR_INDEX_SHIFT = 3  # bits 3-15: descriptor index


@dataclass(frozen=True)
class Selector:
    """A decoded segment selector (SDM Vol. 3A 3.4.2, Figure 3-6).

    Attributes:
        raw: the 16-bit selector.
        index: bits 3-15, the descriptor index in the GDT or LDT.
        ti: bit 2, the table indicator: True for the LDT, False for the GDT.
        rpl: bits 0-1, the requested privilege level.
    """

    raw: int
    index: int
    ti: bool
    rpl: int

    @classmethod
    def decode(cls, value: int) -> "Selector":
        """Decode a segment selector (SDM Vol. 3A 3.4.2, Figure 3-6).

        Args:
            value: the 16-bit selector value, e.g. 0x33.

        Returns:
            The decoded selector.

        Raises:
            ValueError: if ``value`` is not 0-0xffff.
        """
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"segment selector out of range: {value!r}")
        return cls(raw=value, index=value >> SELECTOR_INDEX_SHIFT,
                   ti=bool(value & SELECTOR_TI), rpl=value & SELECTOR_RPL_MASK)

    @property
    def table(self) -> str:
        """``"LDT"`` or ``"GDT"``, by TI (SDM Vol. 3A 3.4.2).

        Returns:
            The table name.
        """
        return "LDT" if self.ti else "GDT"

    @property
    def is_null(self) -> bool:
        """True for a null selector: index 0 in the GDT, any RPL (SDM Vol. 3A 3.4.2).

        Returns:
            Whether the selector is null.
        """
        return self.index == 0 and not self.ti

    def __str__(self) -> str:
        """E.g. ``"0x33 (GDT[6] RPL 3)"``.

        Returns:
            The selector in hex with its decoded fields.
        """
        return f"{self.raw:#x} ({self.table}[{self.index}] RPL {self.rpl})"


def cpl_of(cs: int) -> int:
    """The current privilege level of code running with ``cs`` loaded.

    The CPL is the RPL field (bits 0-1) of the CS register (SDM Vol. 3A 5.5
    "Privilege Levels": "the CPL is stored in bits 0 and 1 of the CS and SS segment
    registers"), so a CS saved by the CPU in an exception frame tells the ring the
    exception came from.

    Args:
        cs: the CS selector, e.g. 0x33 or 0x23 (ring 3), 0x10 (ring 0).

    Returns:
        0-3.

    Raises:
        ValueError: if ``cs`` is not 0-0xffff.
    """
    return Selector.decode(cs).rpl


# ---------------------------------------------------------------------------------------
# Signals: Linux x86-64 numbering (arch/x86/include/uapi/asm/signal.h).
# ---------------------------------------------------------------------------------------
class Signal(enum.IntEnum):
    """The Linux x86-64 signals a fault or a shell status can name."""

    SIGHUP = 1
    SIGINT = 2
    SIGQUIT = 3
    SIGILL = 4
    SIGTRAP = 5
    SIGABRT = 6
    SIGBUS = 7
    SIGFPE = 8
    SIGKILL = 9
    SIGUSR1 = 10
    SIGSEGV = 11
    SIGUSR2 = 12
    SIGPIPE = 13
    SIGALRM = 14
    SIGTERM = 15

    @property
    def shell_status(self) -> int:
        """The status a POSIX shell reports for a process killed by this signal: 128 + N.

        Returns:
            E.g. 139 for SIGSEGV, 132 for SIGILL, 136 for SIGFPE, 133 for SIGTRAP,
            135 for SIGBUS.
        """
        return 128 + int(self)


# ---------------------------------------------------------------------------------------
# Exception and interrupt vectors: SDM Vol. 3A 6.3.1, Table 6-1
# "Protected-Mode Exceptions and Interrupts"; classes from 6.15, Table 6-4.
# ---------------------------------------------------------------------------------------
class ExceptionClass(enum.Enum):
    """Class of an exception for double-fault rules (SDM Vol. 3A 6.15, Table 6-4)."""

    BENIGN = "benign"
    CONTRIBUTORY = "contributory"
    PAGE_FAULT = "page fault"
    DOUBLE_FAULT = "double fault"


@dataclass(frozen=True)
class VectorInfo:
    """One row of SDM Vol. 3A 6.3.1, Table 6-1, plus what Linux does with it in ring 3.

    Attributes:
        vector: 0-255.
        mnemonic: e.g. ``"#GP"``; ``"NMI"`` for vector 2; ``""`` for reserved and
            user-defined vectors.
        name: the SDM's description, e.g. ``"General Protection"``.
        kind: ``"fault"``, ``"trap"``, ``"fault/trap"``, ``"abort"``, ``"interrupt"``,
            ``"reserved"`` or ``"user-defined"``.
        error_code: whether the CPU pushes an error code for it (Table 6-1 "Error Code"
            column; 64-bit mode pushes the same set).
        signal: the signal Linux x86-64 sends a user process that raises it, or None
            where Linux sends none (NMI, #NM, #DF, #MC, #VE, reserved vectors).
        exception_class: double-fault class (SDM Vol. 3A 6.15, Table 6-4).
    """

    vector: int
    mnemonic: str
    name: str
    kind: str
    error_code: bool
    signal: Optional[Signal]
    exception_class: ExceptionClass

    @property
    def label(self) -> str:
        """The mnemonic, or ``"vector N"`` when there is none.

        Returns:
            E.g. ``"#PF"``, ``"NMI"``, ``"vector 128"``.
        """
        return self.mnemonic or f"vector {self.vector}"

    @property
    def shell_status(self) -> Optional[int]:
        """128 + signal for a user process killed by this exception, else None.

        Returns:
            E.g. 139 for #GP and #PF.
        """
        return self.signal.shell_status if self.signal is not None else None


_B = ExceptionClass.BENIGN
_C = ExceptionClass.CONTRIBUTORY
_P = ExceptionClass.PAGE_FAULT
_S = Signal

# vector: (mnemonic, name, kind, error code?, Linux signal, class)
# Signals: Linux arch/x86/kernel/traps.c (DO_ERROR / do_error_trap / exc_*) and
# arch/x86/mm/fault.c. Note Linux sends SIGBUS, not SIGSEGV, for #NP and #SS.
_VECTOR_ROWS: Dict[int, Tuple[str, str, str, bool, Optional[Signal], ExceptionClass]] = {
    0: ("#DE", "Divide Error", "fault", False, _S.SIGFPE, _C),
    1: ("#DB", "Debug", "fault/trap", False, _S.SIGTRAP, _B),
    2: ("NMI", "Nonmaskable Interrupt", "interrupt", False, None, _B),
    3: ("#BP", "Breakpoint", "trap", False, _S.SIGTRAP, _B),
    4: ("#OF", "Overflow", "trap", False, _S.SIGSEGV, _B),
    5: ("#BR", "BOUND Range Exceeded", "fault", False, _S.SIGSEGV, _B),
    6: ("#UD", "Invalid Opcode (Undefined Opcode)", "fault", False, _S.SIGILL, _B),
    7: ("#NM", "Device Not Available (No Math Coprocessor)", "fault", False, None, _B),
    8: ("#DF", "Double Fault", "abort", True, None, ExceptionClass.DOUBLE_FAULT),
    9: ("#CSO", "Coprocessor Segment Overrun (reserved)", "fault", False, _S.SIGFPE, _B),
    10: ("#TS", "Invalid TSS", "fault", True, _S.SIGSEGV, _C),
    11: ("#NP", "Segment Not Present", "fault", True, _S.SIGBUS, _C),
    12: ("#SS", "Stack-Segment Fault", "fault", True, _S.SIGBUS, _C),
    13: ("#GP", "General Protection", "fault", True, _S.SIGSEGV, _C),
    14: ("#PF", "Page Fault", "fault", True, _S.SIGSEGV, _P),
    16: ("#MF", "x87 FPU Floating-Point Error (Math Fault)", "fault", False, _S.SIGFPE, _B),
    17: ("#AC", "Alignment Check", "fault", True, _S.SIGBUS, _B),
    18: ("#MC", "Machine Check", "abort", False, None, _B),
    19: ("#XM", "SIMD Floating-Point Exception", "fault", False, _S.SIGFPE, _B),
    20: ("#VE", "Virtualization Exception", "fault", False, None, _P),
    21: ("#CP", "Control Protection Exception", "fault", True, _S.SIGSEGV, _C),
}

VECTOR_DE = 0     # divide error
VECTOR_DB = 1     # debug
VECTOR_NMI = 2    # nonmaskable interrupt
VECTOR_BP = 3     # breakpoint (int3)
VECTOR_UD = 6     # invalid opcode
VECTOR_DF = 8     # double fault
VECTOR_TS = 10    # invalid TSS
VECTOR_NP = 11    # segment not present
VECTOR_SS = 12    # stack-segment fault
VECTOR_GP = 13    # general protection
VECTOR_PF = 14    # page fault
VECTOR_AC = 17    # alignment check
VECTOR_CP = 21    # control protection
FIRST_USER_VECTOR = 32  # SDM Vol. 3A 6.2: 32-255 are user-defined (not reserved)


def vector_info(vector: int) -> VectorInfo:
    """The Table 6-1 row (SDM Vol. 3A 6.3.1) for ``vector``, with Linux's signal for it.

    Args:
        vector: 0-255.

    Returns:
        The row. Vectors 15 and 22-31 are "Intel reserved" (SDM Vol. 3A 6.2); 32-255
        are user-defined interrupts (no error code, no signal).

    Raises:
        ValueError: if ``vector`` is not 0-255.
    """
    if not 0 <= vector <= 255:
        raise ValueError(f"vector out of range: {vector!r}")
    row = _VECTOR_ROWS.get(vector)
    if row is not None:
        mnemonic, name, kind, has_error, signal, klass = row
        return VectorInfo(vector, mnemonic, name, kind, has_error, signal, klass)
    if vector < FIRST_USER_VECTOR:
        return VectorInfo(vector, "", "Intel reserved", "reserved", False, None, _B)
    return VectorInfo(vector, "", "User-defined interrupt", "user-defined", False, None, _B)


VECTORS: Tuple[VectorInfo, ...] = tuple(vector_info(v) for v in range(FIRST_USER_VECTOR))
"""Rows 0-31 of SDM Vol. 3A 6.3.1, Table 6-1, indexed by vector."""


def has_error_code(vector: int) -> bool:
    """Whether the CPU pushes an error code with exception ``vector``.

    SDM Vol. 3A 6.3.1, Table 6-1: #DF, #TS, #NP, #SS, #GP, #PF, #AC and #CP do; no
    other exception does, and neither do external or software interrupts (``int n``)
    whatever their vector (SDM Vol. 3A 6.13).

    Args:
        vector: 0-255.

    Returns:
        True when the CPU pushes an error code for that exception.

    Raises:
        ValueError: if ``vector`` is not 0-255.
    """
    return vector_info(vector).error_code


def mnemonic(vector: int) -> str:
    """The mnemonic of ``vector`` or ``"vector N"`` (SDM Vol. 3A 6.3.1, Table 6-1).

    Args:
        vector: 0-255.

    Returns:
        E.g. ``"#PF"``.

    Raises:
        ValueError: if ``vector`` is not 0-255.
    """
    return vector_info(vector).label


class Escalation(enum.Enum):
    """What the CPU does when a second exception arises while delivering a first.

    SDM Vol. 3A 6.15 "Interrupt 8-Double Fault Exception (#DF)", Table 6-5.
    """

    SERIAL = "handle serially"      # deliver the second exception normally
    DOUBLE_FAULT = "double fault"   # deliver #DF instead
    TRIPLE_FAULT = "triple fault"   # shutdown (QEMU: reset, or exit with -no-reboot)


def escalation(first: int, second: int) -> Escalation:
    """Combine two exceptions per SDM Vol. 3A 6.15, Table 6-5 (classes from Table 6-4).

    Contributory + contributory, and page fault + (page fault or contributory), give a
    #DF; any contributory or page-fault exception while delivering #DF shuts the
    processor down (triple fault); everything else is handled serially.

    QEMU 7.2 (``check_exception`` in target/i386/tcg/excp_helper.c) follows the same
    rules except that it treats ANY exception during #DF delivery as a triple fault and
    does not count #VE/#CP in the classes.

    Args:
        first: the vector being delivered.
        second: the vector raised during that delivery.

    Returns:
        The outcome.

    Raises:
        ValueError: if either vector is not 0-255.
    """
    a = vector_info(first).exception_class
    b = vector_info(second).exception_class
    second_bad = b in (ExceptionClass.CONTRIBUTORY, ExceptionClass.PAGE_FAULT,
                       ExceptionClass.DOUBLE_FAULT)
    if a is ExceptionClass.DOUBLE_FAULT and second_bad:
        return Escalation.TRIPLE_FAULT
    if a is ExceptionClass.CONTRIBUTORY and b is ExceptionClass.CONTRIBUTORY:
        return Escalation.DOUBLE_FAULT
    if a is ExceptionClass.PAGE_FAULT and b in (ExceptionClass.CONTRIBUTORY,
                                                ExceptionClass.PAGE_FAULT):
        return Escalation.DOUBLE_FAULT
    return Escalation.SERIAL


def describe_error(vector: int, error: int) -> str:
    """Plain-English reading of ``error`` for exception ``vector``.

    Args:
        vector: the exception vector.
        error: the error code pushed with it.

    Returns:
        The #PF decoding for vector 14 (SDM Vol. 3A 4.7), the selector decoding for
        #TS/#NP/#SS/#GP (SDM Vol. 3A 6.13), ``"always 0"`` for #DF/#AC, the cause
        for #CP, else ``"no error code"``.

    Raises:
        ValueError: if ``vector`` is not 0-255 or ``error`` does not fit in 32 bits.
    """
    info = vector_info(vector)
    if vector == VECTOR_PF:
        return PageFaultError.decode(error).describe()
    if vector in (VECTOR_TS, VECTOR_NP, VECTOR_SS, VECTOR_GP):
        return SelectorError.decode(error).describe()
    if not info.error_code:
        return "no error code"
    _check_error_code(error)
    if vector == VECTOR_CP:
        return f"control-protection cause {error & 0x7fff}"
    # #DF and #AC push an error code that is always zero (SDM Vol. 3A 6.3.1, Table 6-1).
    return "always 0" if error == 0 else f"{error:#x}, expected 0"
