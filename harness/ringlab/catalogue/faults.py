"""The fault catalogue: every way a ring-3 program can try to cross into the kernel, as data.

One row per program ``userland/f_NAME.c``; each program puts its faulting instruction at the
global symbol ``fault_insn`` (and ``fault_next`` right after it). A row says what the CPU must
do: vector, error code, where RIP and CR2 point, the signal the kernel must kill with and the
status a shell sees (Linux's, 128 + signal). Where QEMU 7.2 TCG differs from the SDM, the row
expects what QEMU does and ``tcg_deviation`` says what hardware does and why.

Rows of 32-bit programs (``f_m32NAME.c``, built only as static i386 ELF32 executables,
images/user/f_m32NAME-m32) fault in compatibility mode: their ``cs`` is ``USER32_CS`` (0x23)
where the 64-bit rows have ``USER_CS`` (0x33), and their addresses are named from the i386
ELF's own symbols; their handler witness reads the ia32 signal frame (fault_witness.h).

``harness.catalogue.runner`` boots every row at once and checks it with four witnesses;
``harness.catalogue.crashes`` is the same for the kernel's own ``crash=KIND`` failures.
``python -m ringlab.catalogue.faults`` prints the table.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple, Union

from ..core import kabi
from ..machine.symbols import Symbolizer
from ..observe import decode
from ..observe.decode import Signal
from ..observe.witness import Expected, in_range, same_as

log = logging.getLogger(__name__)


def user_stack() -> Tuple[int, int]:
    """[bottom, top) of every process's fixed user stack (the kernel's ABI file: mmu.h's
    USER_STACK_TOP, USER_STACK_PAGES, PAGE_SIZE).

    Raises:
        BadImage: no images/kabi.json (build first). KabiError: a constant missing.
    """
    k = kabi.load()
    top = k.const("USER_STACK_TOP")
    return top - k.const("USER_STACK_PAGES") * k.const("PAGE_SIZE"), top


def kernel_text() -> int:
    """The kernel's first code byte: KERNBASE + KERNEL_PHYS (linker.ld's load address)."""
    k = kabi.load()
    return k.const("KERNBASE") + k.const("KERNEL_PHYS")


# ---------------------------------------------------------------------------------------------
# Where an address must point, resolved against the row's program

@dataclass(frozen=True)
class Sym:
    """The address of a symbol in the row's program (``fault_insn``, ``fault_next``)."""

    name: str

    def resolve(self, syms: Symbolizer) -> Expected:
        return syms.address(self.name)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Const:
    """A fixed address (the kernel's text, the end of the user stack...)."""

    value: int
    what: str = ""

    def resolve(self, syms: Symbolizer) -> Expected:
        return self.value

    def __str__(self) -> str:
        return f"{self.value:#x}" + (f" ({self.what})" if self.what else "")


@dataclass(frozen=True)
class KernelAddr:
    """An address the kernel's build states (images/kabi.json), read when a row is checked.

    Attributes:
        what: what it is, for people.
        of: computes it from the kernel's ABI file.
        delta: added to it (e.g. -8: the word below).
    """

    what: str
    of: Callable[[], int]
    delta: int = 0

    @property
    def value(self) -> int:
        return self.of() + self.delta

    def resolve(self, syms: Symbolizer) -> Expected:
        return self.value

    def __str__(self) -> str:
        return self.what


@dataclass(frozen=True)
class InUserStack:
    """Somewhere in the user stack (e.g. code the program put there)."""

    def resolve(self, syms: Symbolizer) -> Expected:
        lo, hi = user_stack()
        return in_range(lo, hi, "the user stack")

    def __str__(self) -> str:
        return "in the user stack"


@dataclass(frozen=True)
class SameAs:
    """Equal to another field of the same witness (CR2 == RIP for an instruction fetch)."""

    field: str

    def resolve(self, syms: Symbolizer) -> Expected:
        return same_as(self.field)

    def __str__(self) -> str:
        return f"= {self.field}"


Addr = Union[Sym, Const, KernelAddr, InUserStack, SameAs]


def pf_error(*, p: bool = False, w: bool = False, u: bool = True, i: bool = False) -> int:
    """A #PF error code from its bits (SDM Vol. 3A 4.7, Figure 4-12)."""
    return ((decode.PF_P if p else 0) | (decode.PF_WR if w else 0)
            | (decode.PF_US if u else 0) | (decode.PF_ID if i else 0))


# ---------------------------------------------------------------------------------------------
# Ring 3

RFLAGS_TF = 1 << 8    # trap flag: single-step (SDM Vol. 1 3.4.3.3)
RFLAGS_AC = 1 << 18   # alignment check (SDM Vol. 1 3.4.3.3)


@dataclass(frozen=True)
class SyscallClaim:
    """What the kernel's ``syscall`` event (``trace=syscall``) must say of a row's call.

    Attributes:
        nr: the system-call number the program passed (EAX).
        ret: the value returned to ring 3 (signed: -38 is -ENOSYS).
        abi: the table the kernel used: ``i386`` (``int $0x80``), None for x86-64's.
        name: the name the kernel gives it (``unknown``: not in that table).
    """

    nr: int
    ret: int
    abi: Optional[str]
    name: str


@dataclass(frozen=True)
class Row:
    """One ring-3 fault of the catalogue.

    Attributes:
        name: short id (test ids, messages).
        program: the userland program (images/user/PROGRAM).
        vector: the exception vector; None when the program must NOT fault (it exits).
        error: the error code (None for vectors that push none).
        rip: where the saved RIP points (kernel event and gdb's frame).
        signal: the signal the kernel kills with (Linux's for this fault); None: no signal.
        status: the status a shell (f_all) sees: 128 + signal, or the program's exit status.
        cr2: #PF only: where CR2 points.
        cpu: ``None`` (any CPU model), ``"qemu64"`` or ``"max"`` (SMEP/SMAP/UMIP).
        log_rip: where QEMU's -d int line puts RIP, when not ``rip`` (software interrupts
            log the ``int`` itself; the pushed frame holds the next instruction).
        rsp: optional claim on the saved RSP.
        rflags_set: RFLAGS bits that must be set in the saved RFLAGS.
        tcg_deviation: what the SDM/hardware does instead, and why QEMU 7.2 TCG differs.
        linux_status: what Linux on hardware gives, when ``status`` differs from it.
        kernel_issue: a known difference between ringlab's kernel and Linux that makes this
            row fail today (the test is then an expected failure that must start passing).
        what: one line for people: what the program does.
        cs: the name (images/kabi.json) of the code selector the fault happens under:
            ``USER_CS`` (64-bit mode, 0x33) or ``USER32_CS`` (compatibility mode, 0x23).
        handler_error: the error code the handler's signal frame shows, when it differs from
            the CPU's (kernel/signal.c: a #PF from ring 3 always carries the user bit).
        syscall: for a row that must not fault: the kernel's ``syscall`` event its call
            must produce (the catalogue boot then runs with ``trace=syscall``).
    """

    name: str
    program: str
    vector: Optional[int]
    error: Optional[int]
    rip: Optional[Addr]
    signal: Optional[Signal]
    status: int
    what: str = ""
    cr2: Optional[Addr] = None
    cpu: Optional[str] = None
    log_rip: Optional[Addr] = None
    rsp: Optional[Addr] = None
    rflags_set: int = 0
    tcg_deviation: str = ""
    linux_status: Optional[int] = None
    kernel_issue: str = ""
    cs: str = "USER_CS"
    handler_error: Optional[int] = None
    syscall: Optional[SyscallClaim] = None

    @property
    def id(self) -> str:
        return self.name + (f"-{self.cpu}" if self.cpu else "")

    def runs_on(self, cpu: str) -> bool:
        return self.cpu is None or self.cpu == cpu

    @property
    def compat(self) -> bool:
        """A 32-bit program's row: it faults in compatibility mode (CS ``USER32_CS``)."""
        return self.cs == "USER32_CS"

    @property
    def source(self) -> str:
        """The program's source file name in userland/ (``f_m32gp.c`` for ``f_m32gp-m32``)."""
        return self.program.removesuffix(M32_SUFFIX) + ".c"

    def selector(self) -> int:
        """The CS value the row claims (images/kabi.json's ``cs`` constant).

        Raises:
            BadImage: no images/kabi.json. KabiError: the constant is missing.
        """
        return kabi.load().const(self.cs)

    def describe(self) -> str:
        """One line: program, expected fault, signal and status."""
        mode = " cs=USER32_CS" if self.compat else ""
        if self.vector is None:
            call = (f" (int $0x80 nr={self.syscall.nr} -> {self.syscall.ret})"
                    if self.syscall else "")
            return f"{self.program}: no fault{call}{mode}, exits {self.status}"
        err = "" if self.error is None else f"({self.error:#x})"
        cr2 = f" cr2={self.cr2}" if self.cr2 is not None else ""
        sig = self.signal.name if self.signal else "-"
        return (f"{self.program}: {decode.mnemonic(self.vector)}{err} rip={self.rip}{cr2}{mode} "
                f"-> {sig} {self.status}")


def _gp0(name: str, what: str, **kw) -> Row:
    return Row(name, f"f_{name}", decode.VECTOR_GP, 0, Sym("fault_insn"), Signal.SIGSEGV, 139,
               what=what, **kw)


def _pf(name: str, what: str, error: int, cr2: Addr, rip: Addr = Sym("fault_insn"), **kw) -> Row:
    return Row(name, f"f_{name}", decode.VECTOR_PF, error, rip, Signal.SIGSEGV, 139, what=what,
               cr2=cr2, **kw)


M32_SUFFIX = "-m32"      # userland/Makefile: NAME.c built as an i386 program is NAME-m32


def _m32(name: str, vector: int, error: Optional[int], signal: Signal, what: str,
         **kw) -> Row:
    """A compatibility-mode row: program f_NAME-m32 (userland/f_NAME.c, i386 only)."""
    return Row(name, f"f_{name}{M32_SUFFIX}", vector, error, kw.pop("rip", Sym("fault_insn")),
               signal, kw.pop("status", signal.shell_status if signal else 0), what=what,
               cs="USER32_CS", **kw)


def _catalogue() -> Tuple[Row, ...]:
    ktext = KernelAddr("kernel text", kernel_text)
    int0e_sdm = decode.idt_error_code(0x0E)
    int0e_qemu = decode.idt_error_code(0x0E, qemu72_long_mode=True)
    return (
        # Privileged instructions at CPL 3: #GP(0) (SDM Vol. 3A 5.9 "Privileged Instructions").
        _gp0("hlt", "hlt"),
        _gp0("cli", "cli with IOPL 0 (CPL > IOPL)"),
        _gp0("lgdt", "lgdt"),
        _gp0("lidt", "lidt"),
        _gp0("cr0_read", "mov %cr0, %rax"),
        _gp0("cr3_write", "mov %rax, %cr3"),
        _gp0("wrmsr", "wrmsr IA32_LSTAR"),
        _gp0("invlpg", "invlpg"),
        _gp0("in", "inb from COM1 with IOPL 0 and no I/O bitmap"),
        _gp0("out", "outb to isa-debug-exit with IOPL 0 and no I/O bitmap"),
        _gp0("ioperm", "ioperm(0x3f8, 8, 1), then outb to isa-debug-exit 0xf4: the bitmap opens "
                       "the 8 UART ports only, 0xf4's bit is still 1"),
        # Descriptor tables: the kernel loads a null LDTR, so no ring-3 LDT call gate exists.
        Row("ldt_gate", "f_ldt_gate", decode.VECTOR_GP, 0x1004, Sym("fault_insn"),
            Signal.SIGSEGV, 139,
            what="lcall through LDT selector 0x1007 to a call gate the program wrote at 0x1000: "
                 "#GP(0x1004), the LDTR is null (never CPL 0)"),
        # Software interrupts.
        Row("int0e", "f_int0e", decode.VECTOR_GP, int0e_qemu, Sym("fault_insn"), Signal.SIGSEGV,
            139, what="int $0x0e through the DPL-0 #PF gate",
            tcg_deviation=f"SDM Vol. 3A 6.13: the error code names the IDT gate, "
                          f"(0x0e << 3) | 2 = {int0e_sdm:#x}; QEMU 7.2 TCG pushes 0x0e * 16 + 2 = "
                          f"{int0e_qemu:#x} in 64-bit mode (fixed in QEMU 8.0)"),
        Row("int3", "f_int3", decode.VECTOR_BP, None, Sym("fault_next"), Signal.SIGTRAP, 133,
            what="int3 (#BP is a trap: the frame holds the next instruction)",
            log_rip=Sym("fault_insn")),
        # Exceptions of ordinary instructions.
        Row("ud2", "f_ud2", decode.VECTOR_UD, None, Sym("fault_insn"), Signal.SIGILL, 132,
            what="ud2"),
        Row("div0", "f_div0", decode.VECTOR_DE, None, Sym("fault_insn"), Signal.SIGFPE, 136,
            what="divl by zero"),
        Row("popf_tf", "f_popf_tf", decode.VECTOR_DB, None, Sym("fault_next"), Signal.SIGTRAP,
            133, what="popf sets TF: #DB after the next instruction (a trap)",
            rflags_set=RFLAGS_TF),
        Row("ac", "f_ac", decode.VECTOR_UD, None, Sym("fault_next"), Signal.SIGILL, 132,
            what="AC=1, CR0.AM=1, misaligned 8-byte load, then ud2", rflags_set=RFLAGS_AC,
            linux_status=135,
            tcg_deviation="SDM Vol. 3A 6.15 (Interrupt 17): the misaligned load at fault_insn "
                          "raises #AC(0) and Linux sends SIGBUS (135); QEMU 7.2 TCG never checks "
                          "alignment, so the load runs and the ud2 at fault_next raises #UD "
                          "(SIGILL, 132). RFLAGS.AC is set in the frame: the check was armed"),
        # Memory.
        _pf("null", "read address 0", pf_error(), Const(0, "NULL")),
        _pf("kread", "read the kernel's text", pf_error(p=True), ktext),
        _pf("kwrite", "write the kernel's text", pf_error(p=True, w=True), ktext),
        _pf("wcode", "write the program's own code (R-X)", pf_error(p=True, w=True),
            Sym("fault_insn")),
        _pf("nxstack", "call into code on the NX stack", pf_error(p=True, i=True),
            SameAs("rip"), rip=InUserStack()),
        _pf("kjump", "jmp to the kernel's text", pf_error(p=True, i=True), ktext, rip=ktext),
        _gp0("noncanon", "read 0x0000800000000000 (non-canonical): #GP, not #PF"),
        _pf("stack", "push past the bottom of the 128 KiB user stack", pf_error(w=True),
            KernelAddr("below the user stack", lambda: user_stack()[0], delta=-8),
            rsp=KernelAddr("bottom of the user stack", lambda: user_stack()[0])),
        # UMIP (-cpu max): sgdt/sidt at CPL 3 are #GP(0); without it they leak kernel addresses.
        _gp0("sgdt", "sgdt with CR4.UMIP=1", cpu="max"),
        _gp0("sidt", "sidt with CR4.UMIP=1", cpu="max"),
        Row("sgdt", "f_sgdt", None, None, None, None, 0, cpu="qemu64",
            what="sgdt without UMIP: succeeds, prints the GDT's kernel address, exits 0"),
        Row("sidt", "f_sidt", None, None, None, None, 0, cpu="qemu64",
            what="sidt without UMIP: succeeds, prints the IDT's kernel address, exits 0"),
        # Compatibility mode: static i386 programs, CS 0x23, named from their ELF32 symbols.
        _m32("m32gp", decode.VECTOR_GP, 0x10, Signal.SIGSEGV,
             "32-bit: mov $0x10 (the kernel's CS) to %ds: #GP(0x10), the selector"),
        _m32("m32pf", decode.VECTOR_PF, pf_error(), Signal.SIGSEGV,
             "32-bit: read 0xffffe000, the first address above 32-bit user space (the "
             "kernel half is beyond 32-bit addresses)",
             cr2=KernelAddr("USER32_STACK_TOP", lambda: kabi.load().const("USER32_STACK_TOP"))),
        _m32("m32ud2", decode.VECTOR_UD, None, Signal.SIGILL, "32-bit: ud2"),
        _m32("m32nullret", decode.VECTOR_GP, 0, Signal.SIGSEGV,
             "32-bit: lret to CS 0 (the null selector): #GP(0) at the lret", cpu="qemu64"),
        _m32("m32nullret", decode.VECTOR_PF, pf_error(p=True, u=False), Signal.SIGSEGV,
             "32-bit: lret to CS 0 with SMAP on: QEMU's own supervisor read of the user stack "
             "faults first", cpu="max", cr2=SameAs("rsp"), handler_error=pf_error(p=True),
             tcg_deviation="SDM Vol. 2B RET (far return, protected mode): the return CS is read "
                           "with the program's privilege and a null one is #GP(0), as under "
                           "-cpu qemu64; QEMU 7.2 TCG pops a far return's frame with a "
                           "supervisor access (seg_helper.c's helper_ret_protected, "
                           "cpu_ldl_kernel_ra), so with CR4.SMAP on that read of the user "
                           "stack is #PF(0x1) at CR2 = ESP. Both are SIGSEGV (139), as Linux"),
        _m32("m32badsys", None, None, None,
             "32-bit: int $0x80 with EAX 1000, not an i386 call: -ENOSYS back in ring 3, "
             "the kernel's event names the i386 table; exits 0",
             rip=None, syscall=SyscallClaim(nr=1000, ret=-38, abi="i386", name="unknown")),
    )


CATALOGUE: Tuple[Row, ...] = _catalogue()
CPUS = ("qemu64", "max")


def rows_for(cpu: str) -> List[Row]:
    return [r for r in CATALOGUE if r.runs_on(cpu)]


def programs_for(cpu: str) -> List[str]:
    """The catalogue programs a boot on ``cpu`` runs (sorted, as f_all runs them)."""
    return sorted({r.program for r in rows_for(cpu)})


def format_table(rows: Sequence[Row] = CATALOGUE) -> str:
    """The catalogue as a text table (docs/testing.md, ``python -m ringlab.catalogue.faults``)."""
    out = [f"{'row':14} {'cpu':7} {'program':12} expectation"]
    for r in rows:
        out.append(f"{r.name:14} {r.cpu or 'any':7} {r.program:12} {r.describe()}")
        for note in (r.tcg_deviation and "TCG: " + r.tcg_deviation,
                     r.kernel_issue and "kernel: " + r.kernel_issue):
            if note:
                out.append(" " * 36 + note)
    return "\n".join(out)



if __name__ == "__main__":  # python -m ringlab.catalogue.faults: print the catalogue
    print(format_table())
