"""Memory system calls on real QEMU: bounded work, preemptible, and brk/mmap that never overlap.

- memrange gives mmap, munmap, brk and mprotect the largest ranges the ABI allows while a
  forked child spins in ring 3. Guest time comes from the program's TSC, calibrated against
  CLOCK_MONOTONIC in ring 3 (the kernel's clock counts timer ticks, which a kernel sitting
  with interrupts off would stop counting; the TSC runs on). Its long call and the call after
  it go through ``int $0x80``, so QEMU's ``-d int`` log marks where the long call starts and
  ends, independently of the kernel.
- brkmap (brk across mappings, the guard page, MAP_FIXED_NOREPLACE, errno values) runs on the
  host's Linux too: tests/test_linux_parity.py compares the transcripts; here only what
  differs by design (mmap below 64 KiB) and what ringlab must print.
- forkshare: fork shares a read-only private page instead of copying it (vm.c copy_table);
  mprotect adding PROT_WRITE, a child patching its own code, ptrace's pokes and
  MADV_DONTNEED each change only the writer's copy, the same transcript as on Linux.
- Unit: vm.c, uvm.c and sysmem.c name page-table indices through mmu.h, never by number.
"""
import re
from pathlib import Path

import pytest

from elftools.elf.elffile import ELFFile

from ringlab import lab
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Fault, Kill, Mem, Panic
from ringlab.observe.qemulog import parse_int_log
from ringlab.observe.verdict import Outcome, expected_rc
from tests.parity import Case, run_on_linux, run_on_ringlab

KERNEL = Path(__file__).resolve().parent.parent / "kernel"
PIT_VECTOR = 0x20                  # IRQ0, the 100 Hz timer
INT80_VECTOR = 0x80                # the second system-call gate: memrange's markers
SYS32_GETPID = 20        # the int $0x80 markers: getpid in the i386 table
SIGSEGV = 11
PF_USER_FETCH_NOT_PRESENT = 0x14   # #PF error: I/D=1, U/S=1, P=0 (SDM Vol. 3A 4.7)
TIMED = {                          # memrange's largest-range calls -> their results
    "mmap(NULL, USER_LIMIT)": "Out of memory",
    "mmap(MAP_FIXED, 0x10000..USER_LIMIT)": "Out of memory",
    "brk(MMAP_BASE - 4096)": "BREAK",           # refused: brk returns the unchanged break
    "brk(0x100000010000)": "BREAK",
    "mprotect(0x10000..USER_LIMIT)": "Out of memory",
    "munmap(heap end..stack)": "0x0",
}
TIMED_RE = re.compile(r"memrange: (?P<call>.+) -> (?P<result>\S.*) in (?P<ms>[\d.]+) ms \((?P<verdict>[^)]+)\)")


def function_range(path, name):
    """[start, end) of function ``name`` from the ELF symbol table."""
    with open(path, "rb") as fh:
        sym = ELFFile(fh).get_section_by_name(".symtab").get_symbol_by_name(name)[0]
        return sym["st_value"], sym["st_size"] + sym["st_value"]


def free_pages_after_init_reaps(run: lab.Run):
    """trace=mem: the free page count reported when init reaped each of its children (the
    first mem line after the child's exit or kill line; grandchildren are skipped)."""
    lines, found = run.console.splitlines(), []
    for i, line in enumerate(lines):
        if re.fullmatch(r"ringlab: (exit|kill) pid=\d+ ppid=1 .*", line):
            mem = next(l for l in lines[i + 1:] if l.startswith("ringlab: mem free_pages="))
            found.append(int(mem.rsplit("=", 1)[1]))
    return found


def assert_halted(run: lab.Run, status: int) -> None:
    ev = run.report()
    assert run.status == status and run.rc == expected_rc(status), ev
    assert run.outcome in (Outcome.EXITED, Outcome.KILLED), ev
    assert not run.of(Panic) and not run.parse_errors, ev


@pytest.fixture(scope="module")
def memrange(images) -> lab.Run:
    cfg = QemuConfig(kernel=images.kernel, init=images.program("memrange"),
                     append="init.args=int80 trace=mem", int_log=True)
    run = lab.run(cfg, timeout_s=120)
    assert_halted(run, 0)
    return run


@pytest.mark.boot
def test_largest_ranges_answer_within_50_ms_of_guest_time(memrange):
    out = memrange.user_lines
    seen = {}
    for line in out:
        m = TIMED_RE.fullmatch(line)
        if m:
            seen[m["call"]] = m
    assert set(seen) == set(TIMED), memrange.report()
    brk_results = set()
    for call, want in TIMED.items():
        m = seen[call]
        assert float(m["ms"]) < 50.0 and m["verdict"] == "within 50 ms", m.group(0)
        if want == "BREAK":
            brk_results.add(m["result"])
        else:
            assert m["result"] == want, m.group(0)
    assert len(brk_results) == 1, f"a refused brk moved the break: {brk_results}"
    # The refused MAP_FIXED over the whole half changed nothing: the program ran on.
    assert out[-1] == "memrange: spinner killed by signal 9", memrange.report()


@pytest.mark.boot
def test_a_spinner_keeps_running_during_a_long_memory_call(memrange, images):
    # Shared output: the spinner's lines come between the long call's two lines.
    out = memrange.user_lines
    begin = next(i for i, l in enumerate(out) if l.startswith("memrange: long mmap of") and "begins" in l)
    end = next(i for i, l in enumerate(out) if "returned a mapping" in l)
    during = [l for l in out[begin:end] if l.startswith("memrange: spinner tick")]
    assert during, f"no spinner line during the long mmap:\n{memrange.report()}"
    assert any(re.fullmatch(r"memrange: munmap of the \d+ MiB returned 0 after [\d.]+ ms", l) for l in out)
    # QEMU's own log: between the int $0x80 right before the mmap and the one after it
    # returned, timer interrupts arrive at CPL 3 inside the spinner (it was scheduled),
    # and at CPL 0 (the kernel took them at its preemption points, interrupts on).
    recs = parse_int_log(memrange.log)
    marks = [i for i, r in enumerate(recs) if r.vector == INT80_VECTOR]
    assert [recs[i].rax for i in marks] == [SYS32_GETPID, SYS32_GETPID], [recs[i] for i in marks]
    window = recs[marks[0] + 1:marks[1]]
    lo, hi = function_range(images.program("memrange"), "spinner")
    ring3 = [r for r in window if r.vector == PIT_VECTOR and r.cpl == 3 and lo <= r.rip < hi]
    ring0 = [r for r in window if r.vector == PIT_VECTOR and r.cpl == 0]
    assert ring3 and ring0, f"timer interrupts in the long mmap: {len(ring3)} in the spinner at CPL 3, " \
                            f"{len(ring0)} at CPL 0"


@pytest.mark.boot
def test_unmapping_gives_back_every_page_page_tables_included(memrange):
    out = memrange.user_lines
    # In the program: sysinfo's free memory after mmap + munmap of 64 MiB and of pages
    # scattered over three PML4 entries (each with its own tables) is what it was.
    assert "memrange: free memory back where it was before the mappings (+0 pages)" in out, \
        memrange.report()
    # From the kernel (trace=mem): after the last reap, exactly the free pages of the start.
    start = next(int(l.rsplit(" ", 1)[1]) for l in out if l.startswith("memrange: free pages at start"))
    mems = memrange.of(Mem)
    assert len(mems) == 3 and mems[-1].free_pages == start, (start, mems)


@pytest.mark.boot
def test_unmapping_the_whole_user_half_returns_and_the_caller_dies_on_the_way_back(memrange):
    assert "memrange: a child that unmapped the whole user half was killed by SIGSEGV" in \
        memrange.user_lines, memrange.report()
    # The fetch of the instruction after `syscall` faults: the code is gone, nothing else.
    fault = [f for f in memrange.of(Fault) if f.pid == 3]
    assert len(fault) == 1, memrange.report()
    f = fault[0]
    assert (f.vector, f.error, f.cpl, f.cr2) == (14, PF_USER_FETCH_NOT_PRESENT, 3, f.rip), f
    kill = [k for k in memrange.of(Kill) if k.pid == 3]
    assert [k.signal for k in kill] == [SIGSEGV]


@pytest.mark.boot
def test_brk_never_takes_a_mapping_and_mmap_below_64_kib_is_refused(images):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("brkmap")), timeout_s=60)
    assert_halted(run, 0)
    out = run.user_lines
    for line in ("brkmap: brk across the mapping: refused, break unchanged",
                 "brkmap: brk across the mapping to 16 TiB: refused, break unchanged",
                 "brkmap: the mapping's data: intact",
                 "brkmap: 8 mmaps without MAP_FIXED stay clear of heap and mapping: yes",
                 # Linux's default vm.mmap_min_addr (this host runs as root with 4096: the
                 # parity test ignores the line).
                 "brkmap: below 64 KiB: MAP_FIXED at 0x1000: Operation not permitted",
                 "brkmap: MAP_FIXED at 0x10000: ok"):
        assert line in out, run.report()


@pytest.mark.boot
def test_shared_pages_are_freed_with_their_last_mapping(images):
    """shmfork's children map the parent's MAP_SHARED pages; each reap of one gives back the
    same count (a shared page is freed only with its last mapping, never twice)."""
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("shmfork"), append="trace=mem"),
                  timeout_s=60)
    assert_halted(run, 0)
    assert "shmfork: shared page 0 after the child: child wrote page 0" in run.user_lines, run.report()
    reaps = free_pages_after_init_reaps(run)
    assert len(reaps) == 3 and len(set(reaps)) == 1, run.report()


@pytest.mark.boot
def test_a_page_fork_shares_read_only_is_copied_before_any_write(images, tmp_path):
    """Each way into a read-only private page that a fork left mapped twice (mprotect then a
    store, a patch of the child's own code, PTRACE_POKEDATA/POKETEXT, MADV_DONTNEED) changes
    the writer's copy alone: the same lines as on Linux, none WRONG."""
    case = Case(program="forkshare")
    (tmp_path / "linux").mkdir()
    (tmp_path / "ringlab").mkdir()
    linux, linux_status, _ = run_on_linux(case, images, tmp_path / "linux")
    ring, ring_status, run = run_on_ringlab(case, images, tmp_path / "ringlab")
    assert (ring, ring_status) == (linux, linux_status), f"Linux: {linux}\nringlab: {ring}\n{run.report()}"
    assert ring_status == 0 and any("forkshare: done" in l for l in ring), run.report()
    assert not any("WRONG" in l for l in ring), ring


@pytest.mark.unit
@pytest.mark.parametrize("source", ["vm.c", "uvm.c", "sysmem.c", "usercopy.c"])
def test_page_table_indices_come_from_mmu_h(source):
    """No 511/510/256 and no hand-written index shifts: mmu.h's PX()/PX_SPAN() and names."""
    code = re.sub(r"/\*.*?\*/", "", (KERNEL / source).read_text(), flags=re.S)
    assert not re.search(r"\b(511|510|256)\b", code), source
    assert not re.search(r">>\s*(39|30|21|12)\b|0x1ff\b", code), source


@pytest.mark.boot
@pytest.mark.parametrize("cpu", ["qemu64", "max"])
def test_random_hostile_memory_calls_keep_no_page(images, cpu):
    """40 children x 2,000 seeded calls (memstress; some fork a grandchild that shares their
    MAP_SHARED pages): no panic, every reap by init the same free pages."""
    cfg = QemuConfig(kernel=images.kernel, init=images.program("memstress"), cpu=cpu,
                     append="trace=mem init.args=40,2000")
    run = lab.run(cfg, timeout_s=180)
    assert_halted(run, 0)
    summary = [l for l in run.user_lines if l.startswith("memstress:")]
    m = re.fullmatch(r"memstress: 40 children, 2000 calls each: (\d+) exited, (\d+) killed by a signal",
                     summary[-1] if summary else "")
    assert m and int(m[1]) + int(m[2]) == 40, run.report()
    assert int(m[1]) >= 10, "too few children lived through their calls to prove much"
    reaps = free_pages_after_init_reaps(run)
    assert len(reaps) == 40 and len(set(reaps)) == 1, f"free pages after each reap: {reaps}"
    assert {k.signal for k in run.of(Kill)} <= {SIGSEGV}, run.report()
