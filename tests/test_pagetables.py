"""The page-table audit: the pure walker on synthetic tables, then live machines.

Unit part (no QEMU): each test builds a tiny physical memory (a dict of 4 KiB frames) holding the shape ringlab's
kernel builds: PML4[511] -> PDPT[510] -> a PD whose entry 0 is a PT of 4 KiB pages and whose
other entries are 2 MiB pages, plus a user PML4[0] subtree. Rights combine as SDM Vol. 3A 4.6
says: U and W are ANDed over the levels, NX is ORed.

Live part (real QEMU, real gdb): ``userland/gdb_ptpoints.c`` stops at labelled points (after
boot, in a forked child, after exec, in the parent, after mmap/mprotect/munmap, inside a
signal handler) and ``harness.debug.ptaudit`` walks every address space from guest physical memory
at each; the kernel argument ``test.ukpage=1`` (kernel/testhook.c) plants one
user-accessible kernel page that the audit must catch.
"""
from __future__ import annotations

import random
from typing import Dict, List

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.debug import ptaudit
from ringlab.machine.qemu import QemuConfig
from ringlab.observe import pagetables as pt
from ringlab.observe.events import Kill
from ringlab.observe.pagetables import PTE_NX, PTE_P, PTE_PS, PTE_U, PTE_W

unit = pytest.mark.unit
CPUS = ("qemu64", "max")

KERNBASE = 0xFFFF_FFFF_8000_0000
TEXT = (KERNBASE + 0x100000, KERNBASE + 0x102000)      # two text pages at physical 1 MiB


class Memory:
    """Physical memory of 4 KiB tables, allocated from 0x10000 upwards."""

    def __init__(self) -> None:
        self.frames: Dict[int, List[int]] = {}
        self.next = 0x10000
        self.reads = 0

    def table(self) -> int:
        pa, self.next = self.next, self.next + 0x1000
        self.frames[pa] = [0] * 512
        return pa

    def read_phys(self, addr: int, size: int) -> bytes:
        self.reads += 1
        return b"".join(e.to_bytes(8, "little") for e in self.frames[addr])[:size]


def ringlab_like(mem: Memory, *, text_flags: int = PTE_P, data_flags: int = PTE_P | PTE_W | PTE_NX,
                 upper_flags: int = PTE_P | PTE_W) -> int:
    """A kernel half like vm.c's plus one user text page and one user data page; returns CR3."""
    pml4, pdpt, pd, ptab = mem.table(), mem.table(), mem.table(), mem.table()
    mem.frames[pml4][511] = pdpt | upper_flags
    mem.frames[pdpt][510] = pd | upper_flags
    mem.frames[pd][0] = ptab | upper_flags
    for i in range(512):
        pa = i * 0x1000
        flags = text_flags if 0x100000 <= pa < 0x102000 else data_flags
        mem.frames[ptab][i] = pa | flags
    mem.frames[pd][1] = 0x200000 | PTE_P | PTE_W | PTE_PS | PTE_NX
    updpt, upd, upt = mem.table(), mem.table(), mem.table()
    mem.frames[pml4][0] = updpt | PTE_P | PTE_W | PTE_U
    mem.frames[updpt][0] = upd | PTE_P | PTE_W | PTE_U
    mem.frames[upd][2] = upt | PTE_P | PTE_W | PTE_U                  # 0x400000
    mem.frames[upt][0] = 0x900000 | PTE_P | PTE_U                      # text: ur-x
    mem.frames[upt][1] = 0x901000 | PTE_P | PTE_U | PTE_W | PTE_NX     # data: urw-
    return pml4 | 0x18   # PWT/PCD bits of CR3 are ignored


def audit(mem: Memory, cr3: int, **kw) -> List[pt.Violation]:
    return pt.check(pt.walk(mem.read_phys, cr3), text=[TEXT], **kw)


@unit
def test_walk_combines_rights_and_sign_extends():
    mem = Memory()
    cr3 = ringlab_like(mem)
    leaves = pt.walk(mem.read_phys, cr3)
    by_va = {lf.va: lf for lf in leaves}
    assert by_va[0x400000] == pt.Leaf(0x400000, 0x1000, 0x900000, True, False, False, 1)
    assert by_va[0x401000] == pt.Leaf(0x401000, 0x1000, 0x901000, True, True, True, 1)
    text = by_va[TEXT[0]]
    assert (text.user, text.write, text.nx, text.pa) == (False, False, False, 0x100000)
    huge = by_va[KERNBASE + 0x200000]
    assert (huge.size, huge.level, huge.pa, huge.nx) == (0x200000, 2, 0x200000, True)
    assert [lf.va for lf in leaves] == sorted(lf.va for lf in leaves)
    assert mem.reads == 7                       # every table read exactly once


@unit
def test_a_second_space_walks_only_its_own_half_with_a_shared_memo():
    """Two address spaces with one kernel half (as every process's PML4 shares vm.c's): with
    ``shared`` the second walk reads only its own user tables and gives the very leaves a
    walk of its own gives, user half and kernel half."""
    mem = Memory()
    first = ringlab_like(mem)
    second = mem.table()
    mem.frames[second][511] = mem.frames[first & ~0xFFF][511]          # the same kernel half
    updpt, upd, upt = mem.table(), mem.table(), mem.table()
    mem.frames[second][0] = updpt | PTE_P | PTE_W | PTE_U
    mem.frames[updpt][0] = upd | PTE_P | PTE_W | PTE_U
    mem.frames[upd][3] = upt | PTE_P | PTE_W | PTE_U                   # 0x600000
    mem.frames[upt][5] = 0x905000 | PTE_P | PTE_U | PTE_W | PTE_NX
    alone = [pt.walk(mem.read_phys, cr3) for cr3 in (first, second)]
    shared: Dict[tuple, tuple] = {}
    pt.walk(mem.read_phys, first, shared=shared)
    mem.reads = 0
    assert pt.walk(mem.read_phys, second, shared=shared) == alone[1]
    assert mem.reads == 4                       # its PML4 and its three user tables only
    assert pt.walk(mem.read_phys, first, shared=shared) == alone[0]
    # another NXE gives other rights: nothing of the first walks is reused for it
    assert pt.walk(mem.read_phys, second, nxe=False, shared=shared) == \
        pt.walk(mem.read_phys, second, nxe=False)


@unit
def test_a_shared_kernel_half_is_checked_once_with_the_same_violations():
    """``check(shared=...)`` over spaces walked with one ``walk`` memo gives each space what a
    check of its own gives (violations in both halves, a supervisor user-half alias of a text
    frame, an unsorted list), and checks the kernel half's leaves once."""
    mem = Memory()
    first = ringlab_like(mem, data_flags=PTE_P | PTE_W,          # kernel-nx-missing, -wx
                         upper_flags=PTE_P | PTE_W | PTE_U)
    ptab = sorted(mem.frames)[3]
    mem.frames[ptab][0x150] |= PTE_U                             # user-in-kernel-half
    second, third = mem.table(), mem.table()
    for cr3 in (second, third):
        mem.frames[cr3][511] = mem.frames[first & ~0xFFF][511]   # the same kernel half
        updpt, upd, upt = mem.table(), mem.table(), mem.table()
        mem.frames[cr3][0] = updpt | PTE_P | PTE_W | PTE_U
        mem.frames[updpt][0] = upd | PTE_P | PTE_W | PTE_U
        mem.frames[upd][3] = upt | PTE_P | PTE_W | PTE_U
        mem.frames[upt][5] = 0x101000 | PTE_P | PTE_U | PTE_W | PTE_NX   # kernel image frame
    mem.frames[upt][6] = 0x100000 | PTE_P | PTE_W | PTE_NX    # third: writable text alias
    walked: Dict[tuple, tuple] = {}
    spaces = [pt.walk(mem.read_phys, cr3, shared=walked) for cr3 in (first, second, third)]
    spaces.append(list(reversed(spaces[1])))
    kw = dict(text=[TEXT], image_phys=[(0x100000, 0x200000)], user_limit=0x7000_0000_0000)
    alone = [pt.check(leaves, **kw) for leaves in spaces]
    checked: list = []
    assert [pt.check(leaves, shared=checked, **kw) for leaves in spaces] == alone
    assert len(checked) == 1                # the kernel half once (the unsorted list: no memo)
    assert {v.rule for v in alone[0]} >= {"user-in-kernel-half", "kernel-wx", "kernel-nx-missing"}
    assert "user-maps-kernel-image" in {v.rule for v in alone[1]}
    assert ("kernel-text-writable", 0x606000) in {(v.rule, v.start) for v in alone[2]}


@unit
def test_spans_answer_as_the_pairwise_overlap():
    """check's span lookup (merged, bisected) says what ``a0 < end and start < a1`` over every
    span says, empty spans and empty queries included."""
    rng = random.Random(21)
    for _ in range(3000):
        spans = [(a, a + rng.choice((0, 1, 2, 5))) for a in
                 (rng.randrange(40) for _ in range(rng.randrange(6)))]
        a0 = rng.randrange(45)
        a1 = a0 + rng.choice((0, 1, 3, 8))
        want = any(a0 < b1 and b0 < a1 for b0, b1 in spans)
        assert pt._Spans(spans).overlaps(a0, a1) == want, (spans, a0, a1)


@unit
def test_merge_and_map():
    mem = Memory()
    ranges = pt.merge(pt.walk(mem.read_phys, ringlab_like(mem)))
    text = (f"{TEXT[0]:016x}-{TEXT[1]:016x} 0000000000002000 -r-x")
    lines = pt.format_map(ranges).splitlines()
    assert lines[0] == "0000000000400000-0000000000401000 0000000000001000 ur-x"
    assert lines[1] == "0000000000401000-0000000000402000 0000000000001000 urw-"
    assert text in lines
    # kernel data below text, then above it up to 4 MiB (4 KiB pages and a 2 MiB page merge)
    assert lines[-1] == f"{KERNBASE + 0x102000:016x}-{KERNBASE + 0x400000:016x} " \
                        f"{0x400000 - 0x102000:016x} -rw-"
    assert len(lines) == 5


@unit
def test_ringlab_like_tables_are_clean():
    mem = Memory()
    assert audit(mem, ringlab_like(mem), cr0=0x80010033, efer=0xD01) == []


@unit
def test_user_bit_needs_every_level():
    """A U leaf under a supervisor PML4 entry is not user-accessible (AND over the levels)."""
    mem = Memory()
    cr3 = ringlab_like(mem, data_flags=PTE_P | PTE_W | PTE_NX | PTE_U)
    assert audit(mem, cr3) == []
    mem = Memory()
    cr3 = ringlab_like(mem, data_flags=PTE_P | PTE_W | PTE_NX | PTE_U,
                       upper_flags=PTE_P | PTE_W | PTE_U)
    v = audit(mem, cr3)
    assert {x.rule for x in v} == {"user-in-kernel-half"}
    assert v[0].start == KERNBASE and v[0].end == TEXT[0]     # merged run of leaves


@unit
def test_planted_user_kernel_page_is_one_violation():
    mem = Memory()
    cr3 = ringlab_like(mem, upper_flags=PTE_P | PTE_W | PTE_U)
    ptab = sorted(mem.frames)[3]
    mem.frames[ptab][0x150] |= PTE_U
    v = audit(mem, cr3)
    assert [(x.rule, x.start, x.end) for x in v] == \
        [("user-in-kernel-half", KERNBASE + 0x150000, KERNBASE + 0x151000)]
    assert "pa=0x150000" in str(v[0])


@unit
def test_nx_is_ored_and_text_rules():
    mem = Memory()
    cr3 = ringlab_like(mem, text_flags=PTE_P | PTE_W, data_flags=PTE_P | PTE_W)
    rules = {x.rule for x in audit(mem, cr3)}
    assert rules == {"kernel-wx", "kernel-text-writable", "kernel-nx-missing"}
    # NX at the PD level covers every leaf under it, whatever the leaves say
    mem = Memory()
    cr3 = ringlab_like(mem, data_flags=PTE_P | PTE_W)
    pd = sorted(mem.frames)[2]
    mem.frames[pd][0] |= PTE_NX
    v = audit(mem, cr3)
    assert v == []            # the text pages lost X too, which no invariant forbids
    assert not any(not lf.nx for lf in pt.walk(mem.read_phys, cr3) if lf.va >= KERNBASE)
    # without EFER.NXE bit 63 means nothing
    assert any(not lf.nx and lf.va == KERNBASE
               for lf in pt.walk(mem.read_phys, cr3, nxe=False))


@unit
def test_writable_alias_of_text_frames():
    mem = Memory()
    cr3 = ringlab_like(mem)
    pml4 = cr3 & ~0xFFF
    alias_pt = mem.table()
    pd = sorted(mem.frames)[2]
    mem.frames[pd][5] = alias_pt | PTE_P | PTE_W
    mem.frames[alias_pt][0] = 0x101000 | PTE_P | PTE_W | PTE_NX     # text frame, writable
    v = audit(mem, pml4)
    assert [(x.rule, x.start) for x in v] == [("kernel-text-writable", KERNBASE + 0xA00000)]


@unit
def test_user_rules():
    mem = Memory()
    cr3 = ringlab_like(mem)
    upt = sorted(mem.frames)[-1]
    mem.frames[upt][2] = 0x101000 | PTE_P | PTE_U | PTE_NX         # a kernel-image frame
    v = pt.check(pt.walk(mem.read_phys, cr3), text=[TEXT],
                 image_phys=[(0x100000, 0x200000)], user_limit=0x402000)
    assert [(x.rule, x.start) for x in v] == [("user-above-limit", 0x402000),
                                              ("user-maps-kernel-image", 0x402000)]


@unit
def test_registers():
    mem = Memory()
    v = audit(mem, ringlab_like(mem), cr0=0x80000011, efer=0x501)
    assert [x.rule for x in v] == ["cr0-wp-clear", "efer-nxe-clear"]


@unit
def test_kernel_half_differences():
    a = [0] * 512
    a[511] = 0x2003
    b = list(a)
    b[0] = 0x9007                     # user half: allowed to differ
    c = list(a)
    c[300] = 0x5003
    v = pt.kernel_half_differences({"kernel": a, "pid 1": b, "pid 2": c}, "kernel")
    assert len(v) == 1 and v[0].rule == "kernel-half-differs"
    assert v[0].start == 0xFFFF_9600_0000_0000 and "pid 2: PML4[300]=0x5003" in v[0].detail


@unit
def test_short_read_is_an_error():
    with pytest.raises(pt.PageTableError, match="gave 8 bytes"):
        pt.walk(lambda addr, size: b"\0" * 8, 0x1000)


@unit
def test_pml4_indices_limit_the_walk():
    mem = Memory()
    leaves = pt.walk(mem.read_phys, ringlab_like(mem), pml4_indices=range(256, 512))
    assert leaves and all(lf.va >= pt.KERNEL_HALF for lf in leaves)


# -----------------------------------------------------------------------------------------
# Live machines: real QEMU, real gdb, physical reads through QEMU's gdbstub.

MMAP_BASE = 0x7000_0000_0000      # kernel/include/mmu.h: the anonymous mmap region
SIGUSR1 = 10                      # Linux x86-64


def ranges_in(audit: ptaudit.Audit, start: int, end: int) -> List[str]:
    return [f"{r.start:#x}-{r.end:#x} {r.rights}" for r in audit.current.ranges
            if start <= r.start < end]


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.boot
@pytest.mark.gdb
def test_audit_at_every_point_is_clean(images, cpu):
    cfg = QemuConfig(init=images.program("gdb_ptpoints"), cpu=cpu)
    audits, run = ptaudit.audit_points(cfg, ptaudit.DEFAULT_POINTS)

    def report() -> str:            # every map and the run: formatted only for a failure
        return "\n".join(a.report() for a in audits) + "\n" + run.report()

    by = {a.point: a for a in audits}
    assert sorted(by) == sorted(ptaudit.DEFAULT_POINTS), report()
    assert run.outcome.value == "exited" and run.status == 0, report()
    for a in audits:
        assert a.violations == [], report()
        assert a.spaces[0].cr3 == a.cr3 & pt.CR3_ADDR_MASK and a.pid is not None, report()
        names = [s.name for s in a.spaces]
        assert "kernel" in names and any(n.startswith("pid 1 ") for n in names), report()
        # user text, data and stack are user pages; the kernel half is supervisor-only
        assert any(r.user and not r.nx for r in a.current.ranges), report()
        assert all(not r.user for r in a.current.ranges if r.start >= pt.KERNEL_HALF), report()
    # fork: two processes, the child's own PML4; exec: the child gets yet another one
    assert by["pt_fork_child"].pid != by["pt_fork_parent"].pid, report()
    # whichever side of the fork stopped first saw both address spaces (the child may run to
    # its exit before the parent is scheduled again)
    first = next(a for a in audits if a.point in ("pt_fork_child", "pt_fork_parent"))
    assert {s.pid for s in first.spaces} >= {1, by["pt_fork_child"].pid}, report()
    assert len({s.cr3 for s in first.spaces if s.pid is not None}) == 2, report()
    assert by["pt_exec"].pid == by["pt_fork_child"].pid, report()
    assert by["pt_exec"].cr3 != by["pt_fork_child"].cr3, report()
    # mmap: three read-write pages; mprotect: the middle one r-x; munmap: gone
    top = MMAP_BASE + 0x1000_0000
    assert ranges_in(by["pt_mmap"], MMAP_BASE, top) == \
        [f"{MMAP_BASE:#x}-{MMAP_BASE + 0x3000:#x} urw-"], report()
    assert ranges_in(by["pt_mprotect"], MMAP_BASE, top) == \
        [f"{MMAP_BASE:#x}-{MMAP_BASE + 0x1000:#x} urw-",
         f"{MMAP_BASE + 0x1000:#x}-{MMAP_BASE + 0x2000:#x} ur-x",
         f"{MMAP_BASE + 0x2000:#x}-{MMAP_BASE + 0x3000:#x} urw-"], report()
    assert ranges_in(by["pt_munmap"], MMAP_BASE, top) == [], report()


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.boot
@pytest.mark.gdb
def test_audit_catches_a_planted_user_kernel_page(images, cpu):
    """``test.ukpage=1`` sets U/S along the walk of one kernel page: the audit names exactly
    that page, in every address space, at every point."""
    cfg = QemuConfig(init=images.program("gdb_ptpoints"), cpu=cpu, append="test.ukpage=1")
    audits, run = ptaudit.audit_points(cfg, ["pt_boot", "pt_fork_child"])
    planted = run.first("test").get("va")
    assert planted == kabi.load().address("ukpage"), run.report()
    assert [a.point for a in audits] == ["pt_boot", "pt_fork_child"], run.report()
    for a in audits:
        hits = [v for s in a.spaces for v in s.violations if v.rule == "user-in-kernel-half"]
        assert len(hits) == len(a.spaces), a.report()        # once per address space
        assert {(v.start, v.end) for v in hits} == {(planted, planted + pt.PAGE_SIZE)}
        assert all(v.start == planted for s in a.spaces for v in s.violations), a.report()


@pytest.mark.boot
@pytest.mark.gdb
def test_audit_inside_a_signal_handler(images):
    """Runs once the kernel delivers signals to handlers. Until then `gdb_ptpoints signal` says
    "handler did not run" (status 21) or dies of SIGUSR1, and the test skips, saying so."""
    plain = lab.run(QemuConfig(init=images.program("gdb_ptpoints"), append="init.args=signal"),
                    timeout_s=C.DEFAULT_BOOT_TIMEOUT_S)
    if plain.status == 21 or any(k.signal == SIGUSR1 for k in plain.of(Kill)):
        pytest.skip("this kernel does not run signal handlers yet: "
                    + (plain.user_lines[-1] if plain.user_lines else "killed by SIGUSR1"))
    assert plain.status == 0, plain.report()
    audits, run = ptaudit.audit_points(
        QemuConfig(init=images.program("gdb_ptpoints"), append="init.args=signal"),
        [ptaudit.SIGNAL_POINT])
    assert [a.point for a in audits] == [ptaudit.SIGNAL_POINT], run.report()
    assert audits[0].violations == [], audits[0].report()
    assert run.status == 0, run.report()


@pytest.mark.boot
@pytest.mark.gdb
def test_invoke_pagetables(images, invoke_cli):
    ok = invoke_cli(["pagetables"])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ringlab-pagetables: 7 points audited, 0 violations; machine: exited" in ok.stdout
    assert "== pt_mprotect: pid=1" in ok.stdout and " ur-x" in ok.stdout
    bad = invoke_cli(["pagetables", "--append", "test.ukpage=1", "--point", "pt_boot"])
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "VIOLATION [kernel] user-in-kernel-half" in bad.stdout
    typo = invoke_cli(["pagetables", "--point", "pt_nosuch"])
    assert typo.returncode == 2 and typo.stdout == ""
    assert typo.stderr.startswith("ringlab-pagetables: error: --point pt_nosuch: no such symbol")
    assert len(typo.stderr.splitlines()) == 1 and "Traceback" not in typo.stderr
