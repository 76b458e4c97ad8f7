"""Signals under gdb: one delivery and its return, seen from the CPU's registers,
and `invoke trace` naming both.

The kernel's only call out to ring 3: gdb stops on the `iretq` that leaves the `kill`
system call and steps it - ring 3 resumes in the handler, not after the `syscall`, with the
signal frame at RSP (return address = musl's restorer) and RCX still the address after the
`syscall` (Linux leaves through IRET, not SYSRET, when RIP is no longer RCX) - then stops on
the `iretq` that leaves the restorer's `rt_sigreturn` and steps it back to the instruction
after the `kill`.
Real QEMU, real gdb.
"""
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.debug.machine import DebugMachine
from ringlab.debug.gdbext.ringfmt import Transition
from ringlab.debug.trace import compare_with_qemu_log, trace
from ringlab.machine import symbols
from ringlab.machine.qemu import QemuConfig

pytestmark = [pytest.mark.boot, pytest.mark.gdb]

USER_CS, USER_SS = 0x33, 0x2B    # kernel/include/gdt.h (Linux's __USER_CS, __USER_DS)
SIGUSR1 = 10
UC_OFFSET = 8                  # struct rt_sigframe: pretcode, then the ucontext
MCONTEXT_OFFSET = 40           # ucontext: uc_flags, uc_link, uc_stack (24), then uc_mcontext
MC_RSP, MC_RIP = 120, 128      # sigcontext: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip
SIGINFO_OFFSET = 312           # siginfo follows the 304-byte ucontext
TF_RAX = 112                   # struct trapframe (kernel/include/trap.h)


def sym(name: str) -> int:
    return symbols.symbol_address(lab.program("gdb_signal"), name)


def test_step_through_one_delivery_and_its_rt_sigreturn(images):
    with DebugMachine(QemuConfig(init=images.program("gdb_signal"))) as dm:
        g = dm.gdb
        g.break_at(sym("kill_insn"))
        g.cont(timeout_s=30, what="kill_insn")
        user_rsp = g.registers(["rsp"])["rsp"]

        # Leaving the kill system call: iretq to the handler, not to kill_next, with RCX and
        # R11 as the syscall left them (Linux arch/x86/entry/syscall_64.c: SYSRET only when
        # regs->cx == regs->ip and regs->r11 == regs->flags).
        into = g.break_at("iret_insn")
        for _ in range(20):                          # timer interrupts leave through it too
            g.cont(timeout_s=30, what="iretq")
            rip, cs = g.read_u64s(g.registers(["rsp"])["rsp"], 2)
            if cs == USER_CS and rip == sym("on_usr1"):
                break
        else:
            raise AssertionError("no iretq into on_usr1")
        g.delete(into)                               # the handler's rt_sigreturn comes next
        g.stepi()
        r = g.registers()
        assert g.cpl() == 3 and (r["cs"], r["ss"]) == (USER_CS, USER_SS)
        assert r["rip"] == sym("on_usr1")
        assert r["rcx"] == sym("kill_next")         # the syscall's return address, not the handler
        frame = r["rsp"]
        assert frame % 16 == 8                      # as if `call`ed: RSP + 8 16-byte aligned
        assert frame < user_rsp - 128               # below the red zone
        assert r["rdi"] == SIGUSR1
        assert r["rdx"] == frame + UC_OFFSET and r["rsi"] == frame + SIGINFO_OFFSET
        pretcode, = g.read_u64s(frame, 1)
        assert pretcode == sym("__restore_rt")
        saved_rsp, saved_rip = g.read_u64s(frame + UC_OFFSET + MCONTEXT_OFFSET + MC_RSP, 2)
        assert (saved_rsp, saved_rip) == (user_rsp, sym("kill_next"))
        signo, = g.read_u64s(frame + SIGINFO_OFFSET, 1)
        assert signo & 0xffffffff == SIGUSR1

        # The handler returns into the restorer; its rt_sigreturn leaves through iretq.
        g.break_at("sys_rt_sigreturn")
        g.cont(timeout_s=30, what="sys_rt_sigreturn")
        tf = g.registers(["rdi"])["rdi"]             # sys_rt_sigreturn(struct trapframe *tf)
        assert g.read_u64s(tf + TF_RAX, 1) == [15]   # the system call the restorer made
        g.break_at("iret_insn")
        for _ in range(20):                          # timer interrupts leave through it too
            g.cont(timeout_s=30, what="iretq")
            rip, cs = g.read_u64s(g.registers(["rsp"])["rsp"], 2)
            if cs == USER_CS and rip == sym("kill_next"):
                break
        else:
            raise AssertionError("no iretq back to kill_next")
        g.stepi()
        r = g.registers()
        assert g.cpl() == 3 and r["rip"] == sym("kill_next") and r["rsp"] == user_rsp
        run = dm.finish()
    assert run.status == 0, run.report()


def test_trace_names_the_delivery_and_the_rt_sigreturn(images):
    """`invoke trace` of a SIGALRM taken while spinning in ring 3, in order - the timer IRQ, the
    delivery into the handler, the handler's system call, rt_sigreturn back into the loop -
    and QEMU's -d int log agrees with every IDT entry."""
    tr = trace(QemuConfig(init=images.program("sigalrm_spin"), int_log=True), timeout_s=60)
    assert tr.run.status == 0, tr.run.report()
    assert compare_with_qemu_log(tr, tr.qemu_log) == []
    rows = without_preemption(tr.transitions)
    d = next(i for i, t in enumerate(rows) if t.kind == "delivery")
    irq, delivery, write, write_ret, sigret, back = rows[d - 1:d + 5]
    assert (irq.kind, irq.vector) == ("interrupt", 32) and irq.direction == "3->0"
    assert delivery.cause == "signal SIGALRM -> handler" and delivery.direction == "0->3"
    assert delivery.user_rip == sym_of("sigalrm_spin", "on_alarm")
    assert delivery.kernel_symbol.startswith("trapret")         # the IRQ's own iretq
    assert (write.kind, write.syscall_name) == ("syscall", "write")
    assert write_ret.kind == "sysretq"
    assert (sigret.kind, sigret.syscall_name) == ("syscall", "rt_sigreturn")
    assert sigret.user_symbol.startswith("__restore_rt")
    assert back.kind == "sigreturn" and back.direction == "0->3"
    assert back.user_rip == irq.user_rip                         # where the IRQ interrupted
    assert back.kernel_symbol.startswith("trapret")             # iretq: every register back
    assert [t.kind for t in rows].count("delivery") == 1


def without_preemption(rows):
    """The timeline without timer ticks that changed nothing: an interrupt whose next
    transition is a plain iretq back to the same instruction (ticks land anywhere)."""
    out, i = [], 0
    while i < len(rows):
        t = rows[i]
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        if (t.kind == "interrupt" and nxt is not None and nxt.kind == "iretq"
                and nxt.user_rip == t.user_rip):
            i += 2
            continue
        out.append(t)
        i += 1
    return out


def sym_of(program: str, name: str) -> int:
    return symbols.symbol_address(lab.program(program), name)


@pytest.mark.skipif(C.SANITIZE, reason="single-steps a whole kernel path: on the sanitizer kernel "
                                       "(RINGLAB_SANITIZE=1) every basic block's coverage hook and "
                                       "the checks at each return to ring 3 make it minutes long")
def test_step_ring_names_the_delivery_and_the_rt_sigreturn(images):
    """Stepping instruction by instruction names the return into the handler (signal 10) and
    the one out of rt_sigreturn: the harness's MI stepping across the whole delivery, the gdb
    extension's `step-ring` from the rt_sigreturn system call on (each path is a few
    thousand kernel instructions, most of them printing the kernel's event line)."""
    with DebugMachine(QemuConfig(init=images.program("gdb_signal"))) as dm:
        g = dm.gdb
        g.break_at(sym("kill_insn"))
        g.cont(timeout_s=30, what="kill_insn")
        assert g.step_until_ring_change().insn == "syscall"
        into = g.step_until_ring_change()
        assert (into.direction, into.event, into.signal) == ("0->3", "delivery", SIGUSR1), into
        assert into.insn == "iretq" and into.rip_after == sym("on_usr1")   # RIP is no longer RCX
        g.break_at("sys_rt_sigreturn")
        g.cont(timeout_s=30, what="sys_rt_sigreturn")
        back = Transition.parse(g.console("step-ring", timeout_s=120))
        assert (back.direction, back.event, back.insn) == ("0->3", "rt_sigreturn", "iretq"), back
        assert back.rip_after == sym("kill_next")
