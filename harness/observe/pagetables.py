"""x86-64 4-level page tables: walk, merge into ranges, check the boundary's invariants.

Pure: no QEMU, no gdb. Everything here works on a ``read_phys(addr, size) -> bytes``
callable, so the unit tests feed it synthetic tables and ``harness.ptaudit`` feeds it a live
machine's physical memory.

Hardware facts (Intel SDM Vol. 3A):
- 4.5 (4-level paging): CR3 bits 51:12 locate the PML4; each table is 512 little-endian
  8-byte entries indexed by VA bits 47:39, 38:30, 29:21, 20:12; PS (bit 7) in a PDPT entry
  maps 1 GiB, in a PD entry 2 MiB; bits 51:12 of an entry hold the next table or the frame.
- 4.6 (access rights): a page is user-accessible only if U/S is 1 at EVERY level, writable
  only if R/W is 1 at every level (for supervisor writes only when CR0.WP is 1), and
  non-executable if XD (bit 63, with EFER.NXE) is 1 at ANY level.
- 3.3.7.1 (canonical addresses): bits 63:48 copy bit 47, so PML4 entries 256-511 map the
  upper (kernel) half starting at 0xffff800000000000.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

ReadPhys = Callable[[int, int], bytes]

ENTRIES = 512                          # entries per table (SDM Vol. 3A 4.5)
ENTRY_SIZE = 8                         # bytes per entry
TABLE_SIZE = ENTRIES * ENTRY_SIZE      # one 4 KiB table
PAGE_SIZE = 0x1000                     # 4 KiB
PTE_P = 1 << 0                         # present
PTE_W = 1 << 1                         # R/W: writable
PTE_U = 1 << 2                         # U/S: user-accessible
PTE_PS = 1 << 7                        # page size: 1 GiB in a PDPT entry, 2 MiB in a PD entry
PTE_NX = 1 << 63                       # XD: no execute (needs EFER.NXE)
PTE_ADDR_MASK = 0x000F_FFFF_FFFF_F000  # bits 51:12
CR3_ADDR_MASK = 0x000F_FFFF_FFFF_F000  # CR3 bits 51:12: the PML4 (PCID off)
CR0_WP = 1 << 16                       # supervisor writes honour R/W (SDM Vol. 3A 2.5)
EFER_NXE = 1 << 11                     # XD bits are in force (SDM Vol. 3A 4.6)
KERNEL_HALF = 0xFFFF_8000_0000_0000    # first canonical upper-half address
USER_TOP = 0x0000_8000_0000_0000       # first address above the lower canonical half
KERNEL_PML4_FIRST = 256                # PML4 entries 256..511 map the kernel half
SHIFTS = (39, 30, 21, 12)              # VA bit of each level's index: PML4, PDPT, PD, PT
LEVEL_NAMES = ("PML4", "PDPT", "PD", "PT")


class PageTableError(Exception):
    """The tables cannot be walked (a read returned the wrong size)."""


@dataclass(frozen=True)
class Leaf:
    """One present translation: ``size`` bytes at virtual ``va`` -> physical ``pa``.

    ``user``/``write``/``nx`` are the rights combined over all levels (SDM Vol. 3A 4.6);
    ``level`` is the table that held the leaf (1 = PT/4 KiB, 2 = PD/2 MiB, 3 = PDPT/1 GiB).
    """
    va: int
    size: int
    pa: int
    user: bool
    write: bool
    nx: bool
    level: int

    @property
    def end(self) -> int:
        return self.va + self.size


@dataclass(frozen=True)
class Range:
    """Consecutive virtual pages with the same combined rights (what ``info mem`` prints)."""
    start: int
    end: int
    user: bool
    write: bool
    nx: bool

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def rights(self) -> str:
        """``u``/``-``, ``r``, ``w``/``-``, ``x``/``-``: e.g. ``urw-`` for user data."""
        return ("u" if self.user else "-") + "r" + ("w" if self.write else "-") + \
               ("-" if self.nx else "x")

    def __str__(self) -> str:
        return f"{self.start:016x}-{self.end:016x} {self.size:016x} {self.rights}"


@dataclass(frozen=True)
class Violation:
    """One broken invariant: ``rule`` (a short name), the virtual range, and why."""
    rule: str
    start: int
    end: int
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.start:#x}-{self.end:#x} {self.detail}"


def canonical(va: int) -> int:
    """Sign-extend a 48-bit virtual address (bit 47 into 63:48; SDM Vol. 3A 3.3.7.1)."""
    return va | 0xFFFF_0000_0000_0000 if va & (1 << 47) else va


def read_table(read_phys: ReadPhys, table_pa: int) -> List[int]:
    """The 512 entries of the table at physical ``table_pa``.

    Raises:
        PageTableError: ``read_phys`` returned other than 4096 bytes.
    """
    data = read_phys(table_pa, TABLE_SIZE)
    if len(data) != TABLE_SIZE:
        raise PageTableError(f"read of table {table_pa:#x} gave {len(data)} bytes, not "
                             f"{TABLE_SIZE}")
    return [int.from_bytes(data[i:i + ENTRY_SIZE], "little")
            for i in range(0, TABLE_SIZE, ENTRY_SIZE)]


def walk(read_phys: ReadPhys, cr3: int, *, nxe: bool = True,
         pml4_indices: Iterable[int] = range(ENTRIES)) -> List[Leaf]:
    """Every present leaf reachable from ``cr3``, in address order.

    Args:
        read_phys: reads guest physical memory.
        cr3: the CR3 value (bits 51:12 used).
        nxe: EFER.NXE; without it bit 63 is reserved and no page is non-executable.
        pml4_indices: which PML4 entries to follow (e.g. ``range(256, 512)``: kernel half).

    Returns:
        Leaves with rights combined over the levels; a table read once per walk.

    Raises:
        PageTableError: a short read.
    """
    leaves: List[Leaf] = []
    cache: Dict[int, List[int]] = {}

    def table(pa: int) -> List[int]:
        if pa not in cache:
            cache[pa] = read_table(read_phys, pa)
        return cache[pa]

    def visit(table_pa: int, depth: int, va_base: int, user: bool, write: bool, nx: bool,
              indices: Iterable[int]) -> None:
        entries = table(table_pa)
        for i in indices:
            e = entries[i]
            if not e & PTE_P:
                continue
            va = va_base | (i << SHIFTS[depth])
            u, w, x = user and bool(e & PTE_U), write and bool(e & PTE_W), \
                nx or (nxe and bool(e & PTE_NX))
            is_leaf = depth == 3 or (depth in (1, 2) and e & PTE_PS)
            if is_leaf:
                size = 1 << SHIFTS[depth]
                pa = e & PTE_ADDR_MASK & ~(size - 1)
                leaves.append(Leaf(canonical(va), size, pa, u, w, x, 4 - depth))
            else:
                visit(e & PTE_ADDR_MASK, depth + 1, va, u, w, x, range(ENTRIES))

    visit(cr3 & CR3_ADDR_MASK, 0, 0, True, True, False, pml4_indices)
    leaves.sort(key=lambda leaf: leaf.va)
    return leaves


def merge(leaves: Sequence[Leaf]) -> List[Range]:
    """Adjacent leaves (by virtual address) with equal rights, as ranges."""
    ranges: List[Range] = []
    for leaf in sorted(leaves, key=lambda x: x.va):
        last = ranges[-1] if ranges else None
        if last and last.end == leaf.va and (last.user, last.write, last.nx) == \
                (leaf.user, leaf.write, leaf.nx):
            ranges[-1] = Range(last.start, leaf.end, last.user, last.write, last.nx)
        else:
            ranges.append(Range(leaf.va, leaf.end, leaf.user, leaf.write, leaf.nx))
    return ranges


def format_map(ranges: Sequence[Range]) -> str:
    """An ``info mem``-like listing: ``start-end size rights`` per line (rights as
    ``Range.rights``)."""
    return "\n".join(str(r) for r in ranges)


def _overlaps(a0: int, a1: int, spans: Sequence[Tuple[int, int]]) -> bool:
    return any(a0 < b1 and b0 < a1 for b0, b1 in spans)


def check(leaves: Sequence[Leaf], *, text: Sequence[Tuple[int, int]],
          image_phys: Sequence[Tuple[int, int]] = (), user_limit: int = USER_TOP,
          cr0: Optional[int] = None, efer: Optional[int] = None) -> List[Violation]:
    """The boundary's invariants over one address space.

    Rules (each a ``Violation.rule``):
    - ``user-in-kernel-half``: a user-accessible page at or above 0xffff800000000000.
    - ``user-above-limit``: a user-accessible page at or above ``user_limit`` (the kernel
      keeps the last lower-half page unmapped: a ``syscall`` there would sysret to a
      non-canonical RCX, SDM Vol. 2B SYSRET).
    - ``user-maps-kernel-image``: a user-accessible page whose frame holds the kernel image.
    - ``kernel-wx``: a supervisor page both writable and executable.
    - ``kernel-text-writable``: a writable supervisor page inside ``text``, or a writable
      supervisor alias (another virtual address) of the frames that back ``text``.
    - ``kernel-nx-missing``: an executable supervisor page outside ``text``.
    - ``cr0-wp-clear`` / ``efer-nxe-clear``: without CR0.WP ring 0 ignores R/W (SDM Vol. 3A
      4.6), without EFER.NXE no page is non-executable; checked when the register is given.

    Args:
        leaves: from ``walk``.
        text: ``[(start, end)]`` virtual ranges of kernel text (executable ELF segments).
        image_phys: ``[(start, end)]`` physical ranges of the loaded kernel image.
        user_limit: first virtual address no user page may use.
        cr0, efer: register values, if known.

    Returns:
        Violations, merged over consecutive leaves of the same rule.
    """
    found: List[Violation] = []
    if cr0 is not None and not cr0 & CR0_WP:
        found.append(Violation("cr0-wp-clear", 0, 0, f"cr0={cr0:#x}: ring 0 may write "
                                                       "read-only pages"))
    if efer is not None and not efer & EFER_NXE:
        found.append(Violation("efer-nxe-clear", 0, 0, f"efer={efer:#x}: no page is "
                                                         "non-executable"))
    text_frames = [(lf.pa, lf.pa + lf.size) for lf in leaves if _overlaps(lf.va, lf.end, text)]

    def add(rule: str, lf: Leaf, detail: str) -> None:
        last = found[-1] if found else None
        if last and last.rule == rule and last.end == lf.va:
            found[-1] = Violation(rule, last.start, lf.end, last.detail)
        else:
            found.append(Violation(rule, lf.va, lf.end, detail))

    for lf in leaves:
        rights = Range(lf.va, lf.end, lf.user, lf.write, lf.nx).rights
        if lf.user:
            if lf.va >= KERNEL_HALF:
                add("user-in-kernel-half", lf, f"{rights} pa={lf.pa:#x}")
            elif lf.end > user_limit:
                add("user-above-limit", lf, f"{rights} limit={user_limit:#x}")
            if _overlaps(lf.pa, lf.pa + lf.size, image_phys):
                add("user-maps-kernel-image", lf, f"{rights} pa={lf.pa:#x}")
            continue
        in_text = _overlaps(lf.va, lf.end, text)
        if lf.write and not lf.nx:
            add("kernel-wx", lf, f"{rights} pa={lf.pa:#x}")
        if lf.write and (in_text or _overlaps(lf.pa, lf.pa + lf.size, text_frames)):
            add("kernel-text-writable", lf, f"{rights} pa={lf.pa:#x}")
        if not lf.nx and not in_text:
            add("kernel-nx-missing", lf, f"{rights} pa={lf.pa:#x}")
    return found


def kernel_half_differences(pml4s: Mapping[str, Sequence[int]],
                            reference: str) -> List[Violation]:
    """PML4 entries 256-511 that differ from the ``reference`` address space's.

    Every process must share the kernel half (same PML4 entries, hence the same tables):
    a private kernel-half entry would let one process see kernel memory the others do not.

    Args:
        pml4s: name (e.g. ``pid 3 cr3=0x139000``) -> the 512 entries of its PML4.
        reference: the key to compare against (e.g. the kernel's own PML4).
    """
    ref = pml4s[reference]
    out: List[Violation] = []
    for name, entries in pml4s.items():
        for i in range(KERNEL_PML4_FIRST, ENTRIES):
            if entries[i] != ref[i]:
                va = canonical(i << SHIFTS[0])
                out.append(Violation("kernel-half-differs", va, va + (1 << SHIFTS[0]),
                                     f"{name}: PML4[{i}]={entries[i]:#x}, {reference} has "
                                     f"{ref[i]:#x}"))
    return out
