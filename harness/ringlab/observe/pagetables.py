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

import bisect
import operator
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
         pml4_indices: Iterable[int] = range(ENTRIES),
         shared: Optional[Dict[tuple, tuple]] = None) -> List[Leaf]:
    """Every present leaf reachable from ``cr3``, in address order.

    Args:
        read_phys: reads guest physical memory.
        cr3: the CR3 value (bits 51:12 used).
        nxe: EFER.NXE; without it bit 63 is reserved and no page is non-executable.
        pml4_indices: which PML4 entries to follow (e.g. ``range(256, 512)``: kernel half).
        shared: a dict kept by the caller across walks of one stopped machine (the same
            ``read_phys``): a table below the PML4 reached at the same address with the same
            rights gives the same leaves, so the kernel half that every address space shares
            is walked once, not once per space. None: nothing kept.

    Returns:
        Leaves with rights combined over the levels; a table read once per walk.

    Raises:
        PageTableError: a short read.
    """
    leaves: List[Leaf] = []
    cache: Dict[int, List[Tuple[int, int]]] = {}
    memo: Dict[tuple, tuple] = {} if shared is None else shared

    def present(pa: int) -> List[Tuple[int, int]]:
        """(index, entry) of the table's present entries."""
        if pa not in cache:
            cache[pa] = [(i, e) for i, e in enumerate(read_table(read_phys, pa)) if e & PTE_P]
        return cache[pa]

    def visit(table_pa: int, depth: int, va_base: int, user: bool, write: bool, nx: bool,
              indices: Optional[Iterable[int]]) -> None:
        entries = present(table_pa)
        if indices is not None:
            wanted = set(indices)
            entries = [(i, e) for i, e in entries if i in wanted]
        shift = SHIFTS[depth]
        for i, e in entries:
            va = va_base | (i << shift)
            u, w, x = user and bool(e & PTE_U), write and bool(e & PTE_W), \
                nx or (nxe and bool(e & PTE_NX))
            if depth == 3 or (depth in (1, 2) and e & PTE_PS):
                size = 1 << shift
                pa = e & PTE_ADDR_MASK & ~(size - 1)
                leaves.append(Leaf(canonical(va), size, pa, u, w, x, 4 - depth))
            elif depth == 0:
                key = (e & PTE_ADDR_MASK, va, u, w, x, nxe)
                below = memo.get(key)
                if below is None:
                    first = len(leaves)
                    visit(e & PTE_ADDR_MASK, 1, va, u, w, x, None)
                    memo[key] = tuple(leaves[first:])
                else:
                    leaves.extend(below)
            else:
                visit(e & PTE_ADDR_MASK, depth + 1, va, u, w, x, None)

    visit(cr3 & CR3_ADDR_MASK, 0, 0, True, True, False, pml4_indices)
    leaves.sort(key=lambda leaf: leaf.va)
    return leaves


def merge(leaves: Sequence[Leaf]) -> List[Range]:
    """Adjacent leaves (by virtual address) with equal rights, as ranges."""
    ranges: List[Range] = []
    start = end = -1
    rights = None
    for leaf in sorted(leaves, key=lambda x: x.va):
        now = (leaf.user, leaf.write, leaf.nx)
        if end == leaf.va and rights == now:
            end = leaf.end
            continue
        if rights is not None:
            ranges.append(Range(start, end, *rights))
        start, end, rights = leaf.va, leaf.end, now
    if rights is not None:
        ranges.append(Range(start, end, *rights))
    return ranges


def format_map(ranges: Sequence[Range]) -> str:
    """An ``info mem``-like listing: ``start-end size rights`` per line (rights as
    ``Range.rights``)."""
    return "\n".join(str(r) for r in ranges)


class _Spans:
    """``[(start, end)]`` half-open spans, asked many times whether ``(a0, a1)`` overlaps one
    of them (some ``a0 < end and start < a1``), in O(log n): the spans sorted once, those
    that share more than a point merged (the answer is the same for every query)."""

    def __init__(self, spans: Iterable[Tuple[int, int]]) -> None:
        merged: List[List[int]] = []
        for b0, b1 in sorted(spans):
            if merged and b0 < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b1)
            else:
                merged.append([b0, b1])
        self.starts = [b0 for b0, _ in merged]
        self.ends = [b1 for _, b1 in merged]

    def overlaps(self, a0: int, a1: int) -> bool:
        # of the spans starting before a1, the last one ends last (disjoint and sorted): it
        # overlaps if any does
        i = bisect.bisect_left(self.starts, a1) - 1
        return i >= 0 and a0 < self.ends[i]


def _kernel_half_start(leaves: Sequence[Leaf]) -> Optional[int]:
    """Index of the first kernel-half leaf when ``leaves`` are in address order, else None."""
    vas = [lf.va for lf in leaves]
    if any(map(operator.gt, vas, vas[1:])):
        return None
    return bisect.bisect_left(vas, KERNEL_HALF)


def check(leaves: Sequence[Leaf], *, text: Sequence[Tuple[int, int]],
          image_phys: Sequence[Tuple[int, int]] = (), user_limit: int = USER_TOP,
          cr0: Optional[int] = None, efer: Optional[int] = None,
          shared: Optional[List[tuple]] = None) -> List[Violation]:
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
        shared: a list kept by the caller across the address spaces of one stopped machine
            (with the same ``text``, ``image_phys`` and ``user_limit``): leaves in address
            order whose kernel half is the very Leaf objects of an earlier call (``walk``'s
            ``shared`` gives every space the kernel half's leaves of the first) reuse that
            half's violations instead of checking it again. The result is the same as
            without it (the halves never merge: no leaf ends where the kernel half starts).

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
    text_spans = _Spans(text)
    image_spans = _Spans(image_phys)

    def frames_in_text(part: Sequence[Leaf]) -> List[Tuple[int, int]]:
        return [(lf.pa, lf.pa + lf.size) for lf in part if text_spans.overlaps(lf.va, lf.end)]

    def scan(part: Sequence[Leaf], text_frames: _Spans, out: List[Violation]) -> None:
        def add(rule: str, lf: Leaf, detail: str) -> None:
            last = out[-1] if out else None
            if last and last.rule == rule and last.end == lf.va:
                out[-1] = Violation(rule, last.start, lf.end, last.detail)
            else:
                out.append(Violation(rule, lf.va, lf.end, detail))

        def rights(lf: Leaf) -> str:
            return Range(lf.va, lf.end, lf.user, lf.write, lf.nx).rights

        for lf in part:
            if lf.user:
                if lf.va >= KERNEL_HALF:
                    add("user-in-kernel-half", lf, f"{rights(lf)} pa={lf.pa:#x}")
                elif lf.end > user_limit:
                    add("user-above-limit", lf, f"{rights(lf)} limit={user_limit:#x}")
                if image_spans.overlaps(lf.pa, lf.pa + lf.size):
                    add("user-maps-kernel-image", lf, f"{rights(lf)} pa={lf.pa:#x}")
                continue
            in_text = text_spans.overlaps(lf.va, lf.end)
            if lf.write and not lf.nx:
                add("kernel-wx", lf, f"{rights(lf)} pa={lf.pa:#x}")
            if lf.write and (in_text or text_frames.overlaps(lf.pa, lf.pa + lf.size)):
                add("kernel-text-writable", lf, f"{rights(lf)} pa={lf.pa:#x}")
            if not lf.nx and not in_text:
                add("kernel-nx-missing", lf, f"{rights(lf)} pa={lf.pa:#x}")

    split = _kernel_half_start(leaves) if shared is not None else None
    if split is None:
        scan(leaves, _Spans(frames_in_text(leaves)), found)
        return found
    lower, upper = leaves[:split], leaves[split:]
    lower_frames = frames_in_text(lower)
    for seen, upper_frames, upper_found in shared:
        if (not lower_frames and len(seen) == len(upper)
                and all(map(operator.is_, seen, upper))):
            scan(lower, _Spans(upper_frames), found)
            return found + upper_found
    upper_frames = frames_in_text(upper)
    text_frames = _Spans(lower_frames + upper_frames)
    scan(lower, text_frames, found)
    upper_found: List[Violation] = []
    scan(upper, text_frames, upper_found)
    if not lower_frames:        # the upper half's violations depend on nothing below
        shared.append((list(upper), upper_frames, upper_found))
    return found + upper_found


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
