"""The syscall-aware fuzzer (userland/sfuzz.c) driven from the host: a fuzz run, its crash
found in the console, the program that caused it replayed and shrunk to a minimal one, and
that program printed as C (``invoke fuzz``; harness.cli.fuzz).

    >>> result = fuzz(FuzzOptions(kernel=C.SANITIZE_KERNEL_IMAGE, seconds=60))
    >>> result.crash            # None, or Crash(kind="panic", signature=..., candidates=[...])

The kernel's system-call table reaches the fuzzer from images/kabi.json (never a list kept
by hand): a module ``sfuzz.calls`` with one "NR NAME" line per call, then one "i386 NR NAME"
line per call of its i386 table (sfuzz makes those through ``int $0x80``).

A known bug can be stepped over, as syzkaller's disabled calls: ``FuzzOptions.disable``
names calls never drawn (``mremap``) or flags never set in a call's flag arguments
(``clone:CLONE_VFORK``, ``mremap:MREMAP_FIXED|MREMAP_MAYMOVE``, ``clone:0x4000``);
``parse_disable`` checks them against the kernel's table.

A crash is one of: the kernel panicked or the sanitizer reported (the run's outcome), the
machine stopped answering (no progress line for the run's whole timeout: ``hang``), or sfuzz
itself saw a mapping below 64 KiB (``lowmap``) or a program SIGKILL could not end
(``stuck``). Its candidates are the programs each worker ran last (sfuzz prints each one
before running it). A candidate reproduces when a fresh machine running ``sfuzz replay``
(the program REPEAT times, as the fuzzer ran it) ends with the same kind and signature.
"""
from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, TextIO, Tuple

from ..core import constants as C
from ..core import kabi as kabi_mod
from ..core.errors import BadConfig
from ..machine import coverage
from ..machine.qemu import Module, QemuConfig
from ..machine.symbols import lines_of, symbolizer
from ..observe.events import Panic, Sanitizer
from ..observe.verdict import Outcome
from .session import Run, run as lab_run

log = logging.getLogger(__name__)

SFUZZ = "sfuzz"                                   # images/user/sfuzz, init of a fuzz machine
RUNTIME_HEADER = C.REPO_ROOT / "userland" / "sfuzz_runtime.h"
CALLS_FILE = "sfuzz.calls"
PROG_FILE = "sfuzz.prog"
DEFAULT_WORKERS = 2
DEFAULT_REPEAT = 20                              # replays of a candidate per machine
REPLAY_TIMEOUT_S = 60.0
MARGIN_S = 60.0                                  # a fuzz machine's time beyond its run
#: sfuzz counts guest time, which runs slower than the host's when the host is loaded (TCG
#: takes timer ticks late: a 120 s run took 182 s at load 11 on 2 cores): the bound on a
#: fuzz machine is this many times its run, plus MARGIN_S.
GUEST_SLOWDOWN = 3

PROGRESS_RE = re.compile(r"^sfuzz: (progress|done) (.*)$")
RUN_RE = re.compile(r"^sfuzz: run (\d+) (.*)$")
FINDING_RE = re.compile(r"^sfuzz: finding kind=(\w+) w=(\d+) (.*)$")
REPLAY_RE = re.compile(r"^sfuzz: replay result=(\w+)$")
PCS_PREFIX = "sfuzz: pcs "

#: Flag names ``--disable CALL:FLAG`` takes (Linux's values: include/uapi/linux/sched.h,
#: mman.h, asm-generic/fcntl.h, futex.h); a number (``0x4000``) works for any other.
FLAG_NAMES: Dict[str, int] = {
    "CLONE_VM": 0x100, "CLONE_FS": 0x200, "CLONE_FILES": 0x400, "CLONE_SIGHAND": 0x800,
    "CLONE_PIDFD": 0x1000, "CLONE_PTRACE": 0x2000, "CLONE_VFORK": 0x4000, "CLONE_PARENT": 0x8000,
    "CLONE_THREAD": 0x10000, "CLONE_SYSVSEM": 0x40000, "CLONE_SETTLS": 0x80000,
    "CLONE_PARENT_SETTID": 0x100000, "CLONE_CHILD_CLEARTID": 0x200000,
    "CLONE_CHILD_SETTID": 0x1000000,
    "MREMAP_MAYMOVE": 1, "MREMAP_FIXED": 2, "MREMAP_DONTUNMAP": 4,
    "MAP_SHARED": 0x01, "MAP_PRIVATE": 0x02, "MAP_FIXED": 0x10, "MAP_ANONYMOUS": 0x20,
    "MAP_FIXED_NOREPLACE": 0x100000, "MAP_POPULATE": 0x8000,
    "PROT_READ": 1, "PROT_WRITE": 2, "PROT_EXEC": 4,
    "O_WRONLY": 0o1, "O_RDWR": 0o2, "O_CREAT": 0o100, "O_EXCL": 0o200, "O_TRUNC": 0o1000,
    "O_APPEND": 0o2000, "O_NONBLOCK": 0o4000, "O_DIRECTORY": 0o200000, "O_CLOEXEC": 0o2000000,
    "O_NOFOLLOW": 0o400000, "O_PATH": 0o10000000, "O_DIRECT": 0o40000,
    "WNOHANG": 1, "WUNTRACED": 2, "WCONTINUED": 8, "__WALL": 0x40000000, "__WCLONE": 0x80000000,
    "AT_SYMLINK_NOFOLLOW": 0x100, "AT_REMOVEDIR": 0x200, "AT_SYMLINK_FOLLOW": 0x400,
    "AT_EMPTY_PATH": 0x1000, "RENAME_NOREPLACE": 1, "RENAME_EXCHANGE": 2, "RENAME_WHITEOUT": 4,
    "SA_NOCLDSTOP": 1, "SA_NOCLDWAIT": 2, "SA_SIGINFO": 4, "SA_ONSTACK": 0x08000000,
    "SA_RESTART": 0x10000000, "SA_NODEFER": 0x40000000, "SA_RESETHAND": 0x80000000,
}
_DISABLE_RE = re.compile(r"^([a-z_][a-z0-9_]*)(?::([A-Za-z0-9_|]+))?$")


@dataclass
class FuzzOptions:
    """One fuzz run.

    Attributes:
        kernel: the kernel to fuzz (the sanitizer kernel has kcov: coverage-guided).
        seconds: how long sfuzz fuzzes (guest time), then prints ``done`` and exits.
        seed: sfuzz's seed (programs differ per worker and per seed).
        cpu: QEMU CPU model.
        workers: processes fuzzing at once (1-4).
        disable: calls or call flags never drawn (``parse_disable``'s syntax, one item each):
            the way past a known bug.
    """

    kernel: Path = C.SANITIZE_KERNEL_IMAGE
    seconds: int = 60
    seed: int = 1
    cpu: str = C.DEFAULT_CPU
    workers: int = DEFAULT_WORKERS
    disable: List[str] = field(default_factory=list)


@dataclass
class Crash:
    """What ended a fuzz run badly.

    Attributes:
        kind: panic, sanitizer, double-fault, triple-fault, hang, lowmap, execleak or stuck.
        signature: what a reproduction must show again (a panic's reason, a sanitizer's
            check and place); empty for hang, lowmap, execleak and stuck.
        detail: one line for people.
        candidates: programs (sfuzz text) that may have caused it, the likeliest first.
    """

    kind: str
    signature: str
    detail: str
    candidates: List[str] = field(default_factory=list)


@dataclass
class FuzzResult:
    """A fuzz run: its progress lines (field -> value), the crash if any, the Run itself,
    and the distinct kernel PCs its programs reached (kcov; empty without it)."""

    progress: List[Dict[str, str]]
    crash: Optional[Crash]
    run: Run
    pcs: List[int] = field(default_factory=list)


def syscall_table(kabi_file: Path) -> str:
    """The kernel's system calls as "NR NAME" lines, then its i386 calls as "i386 NR NAME"
    lines (none for a kernel without them), from the ABI file next to the kernel."""
    k = kabi_mod.load(kabi_file)
    return ("".join(f"{nr} {name}\n" for nr, name in sorted(k.syscalls.items()))
            + "".join(f"i386 {nr} {name}\n" for nr, name in sorted(k.syscalls32.items())))


def parse_disable(items: List[str], calls: Optional[List[str]] = None) -> str:
    """``--disable`` items as sfuzz takes them: ``NAME`` (the call is never drawn) or
    ``NAME:FLAGS`` (FLAGS, names of FLAG_NAMES or numbers joined by ``|``, never set in the
    call's flag arguments; an enum argument never takes a value equal to them), joined by
    ``+``; ``-`` for none. A comma inside an item separates more items.

    Args:
        items: e.g. ``["clone:CLONE_VFORK", "mremap"]``.
        calls: the kernel's system-call names (64-bit and i386); a name outside them is an
            error. None: not checked.

    Returns:
        e.g. ``"clone:4000+mremap"`` (hexadecimal masks).

    Raises:
        BadConfig: a malformed item, an unknown call or flag name, or a zero mask.
    """
    out = []
    for item in (i.strip() for raw in items for i in raw.split(",")):
        if not item:
            continue
        m = _DISABLE_RE.match(item)
        if not m:
            raise BadConfig(f"--disable {item!r}: not NAME or NAME:FLAG[|FLAG...]")
        name, flags = m.group(1), m.group(2)
        if calls is not None and name not in calls:
            raise BadConfig(f"--disable {item!r}: {name} is not a system call of this kernel")
        if flags is None:
            out.append(name)
            continue
        mask = 0
        for word in flags.split("|"):
            if word in FLAG_NAMES:
                mask |= FLAG_NAMES[word]
            else:
                try:
                    mask |= int(word, 0)
                except ValueError:
                    raise BadConfig(f"--disable {item!r}: unknown flag {word} (a name of "
                                    "fuzzing.FLAG_NAMES or a number)") from None
        if mask <= 0:
            raise BadConfig(f"--disable {item!r}: no flag bit")
        out.append(f"{name}:{mask:x}")
    return "+".join(out) or "-"


def call_names(kabi_file: Path) -> List[str]:
    """Every system-call name of the kernel (64-bit and i386), for parse_disable."""
    k = kabi_mod.load(kabi_file)
    return sorted(set(k.syscalls.values()) | set(k.syscalls32.values()))


def kabi_of(kernel: Path) -> Path:
    """The kabi.json built with ``kernel`` (the same directory)."""
    return Path(kernel).with_name("kabi.json")


def _machine(opts_kernel: Path, cpu: str, workdir: Path, args: str, extra: List[Module]) -> QemuConfig:
    calls = workdir / CALLS_FILE
    if not calls.exists():
        calls.write_text(syscall_table(kabi_of(opts_kernel)))
    return QemuConfig(kernel=opts_kernel, init=C.USER_IMAGES_DIR / SFUZZ, cpu=cpu,
                      files=[Module(calls, CALLS_FILE), *extra], append=f"init.args={args}")


def parse_fields(text: str) -> Dict[str, str]:
    """``k=v k=v`` -> {k: v}."""
    return dict(w.split("=", 1) for w in text.split() if "=" in w)


def crash_of(run: Run) -> Optional[Crash]:
    """The crash a fuzz run's console shows, or None (see the module docstring): the kernel's
    own end (a panic, a sanitizer report: it ended the run, after whatever sfuzz found), else
    sfuzz's first finding, else a hang."""
    last: Dict[str, str] = {}
    first: Optional[Crash] = None
    for line in run.user_lines:
        m = RUN_RE.match(line)
        if m:
            last[m.group(1)] = m.group(2)
        f = FINDING_RE.match(line)
        if f and first is None:
            first = Crash(f.group(1), "", f"sfuzz: {f.group(1)} in worker {f.group(2)}", [f.group(3)])
    outcome = run.outcome
    candidates = list(dict.fromkeys(reversed(list(last.values()))))
    if outcome in (Outcome.PANIC, Outcome.SANITIZER, Outcome.DOUBLE_FAULT, Outcome.TRIPLE_FAULT):
        return Crash(outcome.value, signature(run), run.verdict.detail, candidates)
    if first is not None:
        return first
    if outcome is Outcome.TIMEOUT:
        return Crash("hang", "", run.verdict.detail, candidates)
    return None


def signature(run: Run) -> str:
    """What identifies a kernel crash across runs of one kernel: the sanitizer's check and
    place, or the panic's reason (its first word: the kernel's panic strings start with their
    kind) and, for a kernel fault, the faulting RIP."""
    if run.outcome is Outcome.SANITIZER:
        reports = run.of(Sanitizer)
        return f"sanitizer {reports[0].check} {reports[0].at}" if reports else "sanitizer"
    for ev in run.of(Panic):
        if ev.reason:
            # a kernel fault names its place too: a shrunk program that faults elsewhere
            # found another bug, not this one
            rip = f" rip={ev.rip:#x}" if ev.rip is not None else ""
            return f"panic {str(ev.reason).split()[0]}{rip}"
    return run.outcome.value


def fuzz(opts: FuzzOptions, stream: Optional[TextIO] = None, workdir: Optional[Path] = None) -> FuzzResult:
    """Boot a machine whose init is sfuzz and let it fuzz for ``opts.seconds``.

    Args:
        opts: see FuzzOptions.
        stream: also write the console there (the progress lines arrive as they are printed).
        workdir: where the system-call table file is written (default: a temporary folder).

    Returns:
        FuzzResult; ``crash`` is None when the run ended with sfuzz's own exit 0.

    Raises:
        ToolMissing, BadImage, BadConfig: before QEMU starts (BadConfig also for a bad
            ``opts.disable``).
    """
    disable = parse_disable(opts.disable, call_names(kabi_of(opts.kernel)))
    with tempfile.TemporaryDirectory(prefix="ringlab-fuzz-") as tmp:
        wd = Path(workdir or tmp)
        cfg = _machine(opts.kernel, opts.cpu, wd,
                       f"fuzz,{opts.seed},{opts.seconds},{opts.workers},{disable}", [])
        run = lab_run(cfg, timeout_s=opts.seconds * GUEST_SLOWDOWN + MARGIN_S, stream=stream)
    progress = [dict(parse_fields(m.group(2)), what=m.group(1))
                for m in (PROGRESS_RE.match(l) for l in run.user_lines) if m]
    crash = crash_of(run)
    if crash is None and not (run.outcome is Outcome.EXITED and run.status == 0):
        crash = Crash(run.outcome.value, run.outcome.value, run.verdict.detail, [])
    pcs = [int(w, 16) for l in run.user_lines if l.startswith(PCS_PREFIX) for w in l[len(PCS_PREFIX):].split()]
    return FuzzResult(progress, crash, run, pcs)


def replay(program: str, kernel: Path, cpu: str, repeat: int = DEFAULT_REPEAT) -> Optional[Crash]:
    """Run ``program`` ``repeat`` times on a fresh machine; the crash it causes, or None."""
    with tempfile.TemporaryDirectory(prefix="ringlab-replay-") as tmp:
        wd = Path(tmp)
        (wd / PROG_FILE).write_text(program + "\n")
        cfg = _machine(kernel, cpu, wd, f"replay,{repeat}", [Module(wd / PROG_FILE, PROG_FILE)])
        run = lab_run(cfg, timeout_s=REPLAY_TIMEOUT_S)
    for line in run.user_lines:
        m = REPLAY_RE.match(line)
        if m and m.group(1) != "clean":
            return Crash(m.group(1), "", f"sfuzz replay: {m.group(1)}", [program])
    if run.outcome is Outcome.EXITED:
        return None
    kind = "hang" if run.outcome is Outcome.TIMEOUT else run.outcome.value
    return Crash(kind, "" if kind == "hang" else signature(run), run.verdict.detail, [program])


def same(a: Crash, b: Optional[Crash]) -> bool:
    """b is the crash a again: the same kind and signature."""
    return b is not None and a.kind == b.kind and a.signature == b.signature


def split_calls(program: str) -> List[str]:
    """sfuzz's text form: calls separated by spaces."""
    return program.split()


def drop_call(calls: List[str], i: int) -> List[str]:
    """The program without call i: references to it become -1 (``c...``), later references
    move down by one (sfuzz.c drop_call's rule, on the text form)."""
    out = []
    for j, call in enumerate(calls):
        if j == i:
            continue
        head, args = call.split(":", 1)
        fixed = []
        for a in args.split(","):
            if a.startswith("r"):
                val, aux = a[1:].split("/")
                ref = int(val, 16)
                if ref == i:
                    a = "cffffffffffffffff/0"
                elif ref > i:
                    a = f"r{ref - 1:x}/{aux}"
            fixed.append(a)
        out.append(head + ":" + ",".join(fixed))
    return out


def minimize(crash: Crash, program: str, check: Callable[[str], bool]) -> str:
    """Drop calls one at a time, last first, keeping each drop after which ``check`` (the
    crash reproduces) still holds. Returns the smallest program found."""
    calls = split_calls(program)
    i = len(calls) - 1
    while i >= 0 and len(calls) > 1:
        trial = drop_call(calls, i)
        if check(" ".join(trial)):
            calls = trial
        i -= 1
    return " ".join(calls)


def reproduce(crash: Crash, kernel: Path, cpu: str, repeat: int = DEFAULT_REPEAT,
              say: Callable[[str], None] = lambda s: None) -> Optional[str]:
    """The first candidate that brings the crash back on a fresh machine, minimized; None if
    none does."""
    for cand in crash.candidates[:6]:
        say(f"replaying {len(split_calls(cand))} calls ...")
        if same(crash, replay(cand, kernel, cpu, repeat)):
            say("reproduced; minimizing")
            return minimize(crash, cand, lambda p: same(crash, replay(p, kernel, cpu, repeat)))
    return None


def csource(program: str, repeat: int = DEFAULT_REPEAT) -> str:
    """The program as one C file that builds with ``musl-gcc -static`` and runs it ``repeat``
    times as sfuzz did: sfuzz_runtime.h, then the calls (``sfuzz csource``, run on the host:
    it only prints)."""
    body = subprocess.run([str(C.USER_IMAGES_DIR / SFUZZ), "csource", str(repeat), program], check=True,
                          capture_output=True, text=True, timeout=30).stdout
    header = RUNTIME_HEADER.read_text()
    return (f"/* sfuzz reproducer (generated by invoke fuzz): {program} */\n"
            + header + body)


def build_csource(source: str, out: Path) -> Path:
    """Compile a reproducer with musl-gcc (static, as userland/Makefile does); returns ``out``."""
    src = out.with_suffix(".c")
    src.write_text(source)
    cc = shutil.which("musl-gcc") or "musl-gcc"
    subprocess.run([cc, "-static", "-O2", "-w", "-o", str(out), str(src)], check=True,
                   capture_output=True, text=True, timeout=120)
    return out


def unreached(kernel: Path, pcs: Iterable[int],
              files: Iterable[str] = coverage.CORE_FILES) -> Dict[Tuple[str, str], List[int]]:
    """The instrumented lines of ``files`` (source base names) that no PC of ``pcs`` reached,
    by the function that holds them: {(file, function): [line, ...]}, most lines first (a
    line whose every kcov call site was missed; what to describe better next).

    Raises:
        BadImage: the kernel cannot be read or has no DWARF line table.
    """
    wanted, seen = set(files), set(pcs)
    sym = symbolizer(kernel)
    hit: Dict[Tuple[str, int], bool] = {}
    func: Dict[Tuple[str, int], str] = {}
    table = lines_of(kernel)
    for site in coverage.hook_call_sites(kernel):
        where = table.line(site, return_address=True)
        if not where:
            continue
        f, _, line = where.rpartition(":")
        if f not in wanted:
            continue
        key = (f, int(line))
        hit[key] = hit.get(key, False) or site in seen
        found = sym.lookup(site, return_address=True)
        func.setdefault(key, found[0] if found else "?")
    out: Dict[Tuple[str, str], List[int]] = {}
    for key, reached in sorted(hit.items()):
        if not reached:
            out.setdefault((key[0], func[key]), []).append(key[1])
    return dict(sorted(out.items(), key=lambda kv: (-len(kv[1]), kv[0])))
