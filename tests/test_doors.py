"""Every door from ring 3 into ring 0 stays shut, on both CPU models, as on Linux.

``userland/doors.c`` forks a child per door (segment loads, far calls and jumps through GDT
and LDT selectors, iretq and sysret tricks, debug registers, I/O ports, UMIP instructions,
``int n`` for every n) and prints each child's status; then lar/lsl/verr/verw on every GDT
selector and the data segment registers. One boot per CPU model runs it all, with QEMU's
``-d int`` log. For each door the test checks the status (the Linux signal), the kernel's
fault event for that pid (vector, error code, CPL 3), that no exception was ever taken at
CPL 0, and, where the door means the same on Linux, the status the very same binary gets on
the host's Linux.
"""
import resource
import subprocess
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import pytest

from ringlab.core import constants as C
from ringlab import lab
from ringlab.observe import decode, qemulog
from ringlab.observe.events import Fault, Panic
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.verdict import Outcome

pytestmark = pytest.mark.boot

GP, UD, PF, BP, OF = (decode.VECTOR_GP, decode.VECTOR_UD, decode.VECTOR_PF,
                      decode.VECTOR_BP, 4)
SEGV, ILL, TRAP, RETURNED = 139, 132, 133, 77
CPUS = (C.DEFAULT_CPU, C.LEGACY_CPU)

# QEMU 7.2 TCG reads a ring-3 iretq's frame with a supervisor access: with SMAP (-cpu max) the
# read of the user stack is #PF error 0x1 (P, read, supervisor), CR2 = RSP. On hardware the
# frame read is a user access and the door ends in the #GP listed (SDM Vol. 2A IRET).
IRET_SMAP_TCG = (SEGV, PF, 0x1)


@dataclass(frozen=True)
class Door:
    """One door and how it must end.

    Attributes:
        status: shell status (128 + signal; 77: the instruction returned without a fault).
        vector, error: the ring-3 exception the kernel must report (None: no fault).
        host: the status the same binary gets on the host's Linux, when the door means the same
            there; None: not run on the host (``why`` says why).
        on_max: (status, vector, error) on the default model when it differs.
        why: the reason for anything unusual (a QEMU deviation, a different Linux GDT).
    """

    status: int
    vector: Optional[int]
    error: Optional[int]
    host: Optional[int] = None
    on_max: Optional[Tuple[int, Optional[int], Optional[int]]] = None
    why: str = ""

    def expect(self, cpu: str) -> Tuple[int, Optional[int], Optional[int]]:
        if cpu == C.DEFAULT_CPU and self.on_max is not None:
            return self.on_max
        return self.status, self.vector, self.error


def gp(sel: int, host: Optional[int] = SEGV, **kw) -> Door:
    """#GP whose error code is the selector's index and TI bit (SDM Vol. 3A 6.13)."""
    return Door(SEGV, GP, sel, host, **kw)


UMIP = ("CR4.UMIP on the default model: #GP(0) (SDM Vol. 3A 2.5); qemu64 has no UMIP and the "
        "instruction runs. Linux 5.10+ emulates sgdt/sidt/smsw (and the host's str/sldt run): "
        "the host differs by design")
DOORS: Dict[str, Door] = {
    # Segment loads (SDM Vol. 3A 5.5, Vol. 2B MOV): DPL 0 descriptors, the zero descriptor,
    # the TSS, the (null) LDT and beyond the GDT limit are all #GP(selector). ringlab's GDT is
    # Linux's (kernel/include/gdt.h), so every selector means the same on the host.
    "mov_ds_kcs": gp(0x10), "mov_es_kss": gp(0x18), "mov_fs_nulldesc": gp(0x38),
    "mov_gs_kss": gp(0x18), "mov_ss_kss": gp(0x18), "mov_ss_null": gp(0),
    "mov_ss_ucs": gp(0x30, why="the 64-bit user CS is code: not a stack segment"),
    "mov_ds_ldt": gp(0x1004), "mov_fs_tss": gp(0x40),
    "mov_gs_beyond": gp(0x100),
    # Far calls and jumps (SDM Vol. 2A CALL/JMP): no call gate anywhere, a TSS is #GP in
    # IA-32e mode (no task switches).
    "lcall_kcs": gp(0x10), "ljmp_kcs": gp(0x10), "lcall_kss": gp(0x18),
    "lcall_ldt": gp(0x1004), "lcall_beyond": gp(0x100),
    "lcall_tss": gp(0x40), "ljmp_tss": gp(0x40),
    # iretq and sysret tricks (SDM Vol. 2A IRET, Vol. 2B SYSRET/SYSEXIT/SWAPGS).
    "iretq_kcs": gp(0x10, on_max=IRET_SMAP_TCG, why="return to a more privileged CS"),
    "iretq_kss": gp(0x18, on_max=IRET_SMAP_TCG),
    "iretq_noncanon": gp(0, on_max=IRET_SMAP_TCG,
                         why="QEMU reports the #GP at the non-canonical RIP after the iretq; "
                             "hardware faults at the iretq"),
    "iretq_iopl3": gp(0, on_max=IRET_SMAP_TCG,
                      why="IOPL is unchanged by iretq at CPL 3: the cli after it is #GP"),
    "iretq_nt": gp(0, why="NT set by popf: a task return, #GP(0) in IA-32e mode"),
    "sysretq": gp(0), "swapgs": gp(0),
    "sysexit": Door(ILL, UD, None, why="QEMU 7.2 raises #UD for a non-Intel vendor before the "
                                       "CPL check; AMD hardware gives #GP(0) (host: 139)"),
    "sysenter": Door(ILL, UD, None, why="#UD in 64-bit mode on AMD and under QEMU; on Intel "
                                        "Linux would take it as a 32-bit system call"),
    "wrgsbase": Door(ILL, UD, None, RETURNED, on_max=(RETURNED, None, None),
                     why="CR4.FSGSBASE where CPUID has it (max, and the host: Linux 5.9+ sets "
                         "it), so ring 3 may write its own GS base; qemu64 has none: #UD"),
    "syscall_last_page": Door(SEGV, PF, 0x14, SEGV,
                              why="the last user page is never mappable (mmap -ENOMEM), so "
                                  "the jump to its syscall is a user fetch #PF (U, I/D)"),
    "icebp": Door(ILL, UD, None, why="SDM: INT1 (0xf1) raises #DB, SIGTRAP (host: 133); "
                                     "QEMU 7.2 TCG raises #UD"),
    "into": Door(ILL, UD, None, ILL, why="into is invalid in 64-bit mode"),
    # Debug registers (SDM Vol. 3A 18.2.2): mov to/from DRn at CPL 3 is #GP(0).
    "dr7_read": gp(0), "dr7_write": gp(0), "dr0_write": gp(0), "dr6_read": gp(0),
    # I/O ports: IOPL 0 and no I/O bitmap in the TSS (SDM Vol. 1 19.5): #GP(0).
    "inb_f4": gp(0), "outb_f4": gp(0), "outl_cf8": gp(0), "inl_cfc": gp(0), "inw_60": gp(0),
    "insb_3f8": gp(0), "outsb_80": gp(0),
    # Other privileged instructions (SDM Vol. 3A 5.9).
    "rdmsr": gp(0), "ltr": gp(0), "lldt": gp(0), "clts": gp(0), "wbinvd": gp(0),
    # UMIP.
    **{name: Door(RETURNED, None, None, on_max=(SEGV, GP, 0), why=UMIP)
       for name in ("sgdt", "sidt", "smsw", "str", "sldt")},
}

# lar/lsl/verr/verw at CPL 3 see exactly the DPL-3 descriptors of Linux's GDT, which ringlab's
# is (kernel/gdt.c): access rights masked by 0x00f0ff00 (SDM Vol. 2A LAR, 64-bit mode; the
# accessed bit may be set by the CPU), limit 0xfffff pages = 0xffffffff. CPUNODE's limit is
# (node << 12) | cpu (Linux's vgetcpu): 0 in ringlab (one CPU), the running CPU on the host.
VISIBLE = {0x23: (0x00C0FA00, 0xFFFFFFFF, 1, 0),   # user 32-bit code: P DPL3 S X R, D/B G
           0x2B: (0x00C0F200, 0xFFFFFFFF, 1, 1),   # user data: P DPL3 S RW, D/B G
           0x33: (0x00A0FA00, 0xFFFFFFFF, 1, 0),   # user 64-bit code: P DPL3 S X R, L G
           0x7B: (0x0040F400, 0, 1, 0)}            # CPUNODE: P DPL3 S read-only expand-down, D/B
CPUNODE = 0x7B


def _no_core() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def parse(lines):
    doors, ints, sels, segs, readonly = {}, {}, {}, None, None
    for line in lines:
        words = line.split()
        if len(words) < 2 or words[0] != "doors:":
            continue
        kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if "door" in kv:
            doors[kv["door"]] = (int(kv["pid"]), int(kv["status"]))
        elif "int" in kv:
            ints[int(kv["int"])] = (int(kv["pid"]), int(kv["status"]))
        elif "sel" in kv:
            sels[int(kv["sel"], 16)] = kv
        elif words[1] == "segs":
            segs = kv
        elif words[1] == "readonly":
            readonly = kv
    return doors, ints, sels, segs, readonly


@pytest.fixture(scope="module", params=CPUS)
def doors_run(request, images):
    cpu = request.param
    run = lab.run(QemuConfig(init=images.program("doors"), append="init.args=all", cpu=cpu,
                             int_log=True), timeout_s=120)
    return cpu, run, parse(run.user_lines)


@pytest.fixture(scope="module")
def host_run(images):
    names = [n for n, d in DOORS.items() if d.host is not None]
    prog = str(images.program("doors"))
    res = subprocess.run([prog, "all"] + names, capture_output=True, text=True, timeout=120,
                         preexec_fn=_no_core, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    return parse(res.stdout.splitlines())


def _faults_by_pid(run):
    return {e.pid: e for e in run.events if isinstance(e, Fault)}


def test_every_door_ends_in_the_linux_signal_never_cpl0(doors_run):
    cpu, run, (doors, _, _, _, _) = doors_run
    ev = run.report()
    assert run.outcome is Outcome.EXITED and run.status == 0, ev
    assert not run.of(Panic), ev
    assert sorted(doors) == sorted(DOORS), ev
    faults = _faults_by_pid(run)
    wrong = []
    for name, door in DOORS.items():
        pid, status = doors[name]
        want_status, vector, error = door.expect(cpu)
        f = faults.get(pid)
        got = (status, f.vector if f else None, f.error if f and vector is not None
               and decode.has_error_code(vector) else None)
        want = (want_status, vector, error if vector is not None and decode.has_error_code(vector)
                else None)
        if got != want or (f is not None and f.cpl != 3):
            wrong.append(f"{name}: got status/vector/error {got}, want {want}"
                         + (f" (cpl {f.cpl})" if f else "") + (f"; {door.why}" if door.why else ""))
    assert not wrong, "\n".join(wrong) + "\n\n" + ev
    assert all(f.cpl == 3 for f in run.of(Fault)), ev


def test_int_n_every_vector(doors_run):
    """Only int3 (#BP), int 4 (#OF) and int 0x80 have DPL-3 gates; every other ``int n`` is
    #GP naming the gate. The SDM's error code is (n << 3) | 2; QEMU 7.2 TCG pushes n*16+2
    in 64-bit mode (harness.decode.idt_error_code)."""
    cpu, run, (_, ints, _, _, _) = doors_run
    faults = _faults_by_pid(run)
    assert sorted(ints) == list(range(256)), run.report()
    wrong = []
    for n, (pid, status) in ints.items():
        f = faults.get(pid)
        if n == 0x80:
            want = (RETURNED, None, None)
        elif n == 3:
            want = (TRAP, BP, None)
        elif n == 4:
            want = (SEGV, OF, None)
        else:
            want = (SEGV, GP, decode.idt_error_code(n, qemu72_long_mode=True))
        got = (status, f.vector if f else None, f.error if f and f.vector == GP else None)
        if got != want or (f is not None and f.cpl != 3):
            wrong.append(f"int {n:#x}: got {got}, want {want}")
    assert not wrong, "\n".join(wrong)


def test_qemu_log_no_exception_at_cpl0(doors_run):
    """QEMU's own log: every exception of the run came from CPL 3, none from the kernel."""
    cpu, run, (doors, ints, _, _, _) = doors_run
    log = qemulog.parse(run.log)
    assert not log.truncated
    assert not log.exceptions(cpl=0), [r.describe() for r in log.exceptions(cpl=0)][:5]
    assert len(log.exceptions(cpl=3)) >= len(run.of(Fault)) > 250


def test_lar_lsl_verr_verw_see_only_user_segments(doors_run):
    """Only the user code, data and CPUNODE descriptors are visible at CPL 3; the kernel's,
    the TSS, the zero slots, the (unset) TLS entries, LDT selectors and selectors past the
    limit all clear ZF."""
    cpu, run, (_, _, sels, _, _) = doors_run
    assert len(sels) == 18, run.report()
    for sel, kv in sels.items():
        if sel in VISIBLE:
            ar, lim, r, w = VISIBLE[sel]
            assert int(kv["lar"], 16) & ~0x100 == ar, (hex(sel), kv)
            assert (int(kv["lsl"], 16), int(kv["verr"]), int(kv["verw"])) == (lim, r, w), kv
        else:
            assert kv == {"sel": kv["sel"], "lar": "-0x1", "lsl": "-0x1", "verr": "0",
                          "verw": "0"}, kv


def test_same_statuses_as_linux(doors_run, host_run):
    """The same binary on the host's Linux: every door that means the same there ends the
    same way; every ``int n`` too; and both start with null DS, ES, FS, GS."""
    cpu, run, (doors, ints, _, segs, readonly) = doors_run
    host_doors, host_ints, _, host_segs, host_readonly = host_run
    for name, door in DOORS.items():
        if door.host is not None:
            assert host_doors[name][1] == door.host, (name, host_doors[name])
            assert doors[name][1] == door.host or door.on_max, (name, doors[name])
    assert {n: s for n, (_, s) in ints.items()} == {n: s for n, (_, s) in host_ints.items()}
    assert segs == host_segs == {"ds": "0", "es": "0", "fs": "0", "gs": "0"}
    assert readonly == host_readonly, (readonly, host_readonly)


def test_gdt_seen_from_ring3_is_linuxs(doors_run, host_run):
    """lar/verr/verw on every GDT selector (and lsl, but CPUNODE's, which holds the CPU number)
    give the same answers on the host's Linux: the same GDT layout and descriptor rights."""
    cpu, run, (_, _, sels, _, _) = doors_run
    _, _, host_sels, _, _ = host_run

    # Intel's LAR masks the rights with 0x00f0ff00 (QEMU too); AMD's also returns limit bits
    # 19:16 (AMD APM Vol. 3 LAR): compare under Intel's mask, without the accessed bit.
    def view(table):
        return {sel: (int(kv["lar"], 16) & 0x00F0FE00 if not kv["lar"].startswith("-") else -1,
                      kv["lsl"] if sel != CPUNODE else None, kv["verr"], kv["verw"])
                for sel, kv in table.items()}
    assert view(sels) == view(host_sels)


def test_kernel_never_writes_read_only_user_memory(doors_run):
    """uname, clock_gettime and getcwd into a PROT_READ mapping or the program's own code:
    -EFAULT each (copyout honours the user page's rights; CR0.WP covers ring 0), and the
    read-only page is still all zeros."""
    cpu, run, (_, _, _, _, readonly) = doors_run
    assert readonly == {"uname": "-14", "clock_gettime": "-14", "getcwd": "-14",
                        "uname_text": "-14", "untouched": "1"}, run.report()


def test_invoke_boot_default_model_has_smep_smap_umip(images, invoke_cli):
    """Plain ``invoke boot`` (no --cpu): the kernel reports SMEP, SMAP and UMIP on, and ring-3
    sgdt, sidt, smsw and str are #GP: SIGSEGV, 139 each."""
    umip = ["sgdt", "sidt", "smsw", "str"]
    res = invoke_cli(["boot", "--init", str(images.program("doors")),
                      "--append", "init.args=" + ",".join(umip)])
    assert res.returncode == 0, res.stderr
    assert "ringlab: cpu smep=1 smap=1 umip=1 nx=1" in res.stdout, res.stdout
    doors = parse(res.stdout.splitlines())[0]
    assert {n: s for n, (_, s) in doors.items()} == {n: SEGV for n in umip}, res.stdout
