"""The syscall-aware fuzzer (userland/sfuzz.c) driven from the host: a fuzz run, its crash
found in the console, the program that caused it replayed and shrunk to a minimal one, and
that program printed as C (``invoke fuzz``; harness.cli.fuzz).

    >>> result = fuzz(FuzzOptions(kernel=C.SANITIZE_KERNEL_IMAGE, seconds=60))
    >>> result.crash            # None, or Crash(kind="panic", signature=..., candidates=[...])

The kernel's system-call table reaches the fuzzer from images/kabi.json (never a list kept
by hand): a module ``sfuzz.calls`` with one "NR NAME" line per call.

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
from typing import Callable, Dict, List, Optional, TextIO

from ..core import constants as C
from ..core import kabi as kabi_mod
from ..machine.qemu import Module, QemuConfig
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

PROGRESS_RE = re.compile(r"^sfuzz: (progress|done) (.*)$")
RUN_RE = re.compile(r"^sfuzz: run (\d+) (.*)$")
FINDING_RE = re.compile(r"^sfuzz: finding kind=(\w+) w=(\d+) (.*)$")
REPLAY_RE = re.compile(r"^sfuzz: replay result=(\w+)$")
PCS_PREFIX = "sfuzz: pcs "


@dataclass
class FuzzOptions:
    """One fuzz run.

    Attributes:
        kernel: the kernel to fuzz (the sanitizer kernel has kcov: coverage-guided).
        seconds: how long sfuzz fuzzes (guest time), then prints ``done`` and exits.
        seed: sfuzz's seed (programs differ per worker and per seed).
        cpu: QEMU CPU model.
        workers: processes fuzzing at once (1-4).
    """

    kernel: Path = C.SANITIZE_KERNEL_IMAGE
    seconds: int = 60
    seed: int = 1
    cpu: str = C.DEFAULT_CPU
    workers: int = DEFAULT_WORKERS


@dataclass
class Crash:
    """What ended a fuzz run badly.

    Attributes:
        kind: panic, sanitizer, double-fault, triple-fault, hang, lowmap or stuck.
        signature: what a reproduction must show again (a panic's reason, a sanitizer's
            check and place); empty for hang, lowmap and stuck.
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
    """The kernel's system calls as "NR NAME" lines (the ABI file next to the kernel)."""
    k = kabi_mod.load(kabi_file)
    return "".join(f"{nr} {name}\n" for nr, name in sorted(k.syscalls.items()))


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
    """The crash a fuzz run's console shows, or None (see the module docstring)."""
    last: Dict[str, str] = {}
    for line in run.user_lines:
        m = RUN_RE.match(line)
        if m:
            last[m.group(1)] = m.group(2)
        f = FINDING_RE.match(line)
        if f:
            return Crash(f.group(1), "", f"sfuzz: {f.group(1)} in worker {f.group(2)}", [f.group(3)])
    outcome = run.outcome
    candidates = list(dict.fromkeys(reversed(list(last.values()))))
    if outcome in (Outcome.PANIC, Outcome.SANITIZER, Outcome.DOUBLE_FAULT, Outcome.TRIPLE_FAULT):
        return Crash(outcome.value, signature(run), run.verdict.detail, candidates)
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
        ToolMissing, BadImage, BadConfig: before QEMU starts.
    """
    with tempfile.TemporaryDirectory(prefix="ringlab-fuzz-") as tmp:
        wd = Path(workdir or tmp)
        cfg = _machine(opts.kernel, opts.cpu, wd, f"fuzz,{opts.seed},{opts.seconds},{opts.workers}", [])
        run = lab_run(cfg, timeout_s=opts.seconds + MARGIN_S, stream=stream)
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
