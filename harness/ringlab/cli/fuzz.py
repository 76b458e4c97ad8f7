"""``invoke fuzz``: the syscall-aware fuzzer (userland/sfuzz.c) on a kernel, by default the
sanitizer kernel (which has kcov: coverage-guided). Prints sfuzz's progress lines as they come
(calls/s, distinct kernel PCs, corpus size, ENOSYS share, findings), then one summary line
and, with kcov, the kernel's line coverage per source file (machine.coverage).

A crash (a panic, a sanitizer report, a hang, a mapping below 64 KiB, an unkillable program)
is replayed on fresh machines, shrunk to a minimal program, and printed as C source that
builds with musl-gcc; the source and the built reproducer are kept in
ringlab-artifacts/fuzz/, and the one ``invoke boot`` line that runs it is printed.

``disable`` (``--disable clone:CLONE_VFORK,mremap``) steps over a known bug: those calls, or
those flags of a call, are never drawn (lab.fuzzing.parse_disable). ``unreached`` prints,
after the report, the core files' lines no program reached, by function, most first.

Exit status: 0 no finding, 1 a finding (reproduced or not), 2 setup error.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional, TextIO

from ..core import constants as C
from ..core.errors import BadConfig, BuildError
from ..lab import fuzzing
from ..machine import build, coverage
from .epilogue import Epilogue

ARTIFACTS = C.REPO_ROOT / "ringlab-artifacts" / "fuzz"


class _Console:
    """A stream for lab.run: the whole console to a log file, sfuzz's progress and finding
    lines to stdout as they arrive."""

    def __init__(self, log: TextIO) -> None:
        self.log = log
        self.partial = ""

    def write(self, text: str) -> int:
        self.log.write(text)
        self.partial += text
        *lines, self.partial = self.partial.split("\n")
        for line in lines:
            line = line.rstrip("\r")
            if line.startswith(("sfuzz: progress", "sfuzz: done", "sfuzz: finding", "sfuzz: table",
                                "ringlab: panic", "ringlab: sanitizer")):
                print(line, flush=True)
        return len(text)

    def flush(self) -> None:
        self.log.flush()


def main(minutes: float = 1.0, seed: int = 1, cpu: Optional[str] = None, workers: int = 2,
         kernel: Optional[str] = None, reproduce: bool = True, repeat: int = fuzzing.DEFAULT_REPEAT,
         disable: str = "", unreached: bool = False) -> int:
    """Fuzz for ``minutes`` (guest time); returns 0, 1 (a finding) or 2 (setup error).
    ``disable``: comma-separated ``CALL`` or ``CALL:FLAG[|FLAG]`` items never drawn;
    ``unreached``: also print the core files' unreached lines by function."""
    ep = Epilogue("fuzz")

    def body(ep: Epilogue) -> int:
        kern = Path(kernel) if kernel else C.SANITIZE_KERNEL_IMAGE
        if not kernel:
            try:
                build.build(capture=True, sanitize=True)
            except BuildError as err:
                return ep.error(str(err))
        items = [disable] if disable else []
        try:
            fuzzing.parse_disable(items, fuzzing.call_names(fuzzing.kabi_of(kern)))
        except BadConfig as err:
            return ep.error(str(err))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        opts = fuzzing.FuzzOptions(kernel=kern, seconds=max(1, int(minutes * 60)), seed=seed,
                                   cpu=cpu or C.DEFAULT_CPU, workers=workers, disable=items)
        log_path = ARTIFACTS / f"console-{opts.cpu}-{seed}.log"
        start = time.monotonic()
        with open(log_path, "w") as log:
            result = fuzzing.fuzz(opts, stream=_Console(log))
        last = result.progress[-1] if result.progress else {}
        enosys = last.get("enosys_pct", "?")
        ep.say(f"{opts.cpu}: calls={last.get('calls', 0)} pcs={last.get('pcs', 0)} "
               f"corpus={last.get('corpus', 0)} enosys={enosys}% findings={last.get('findings', 0)} "
               f"[{time.monotonic() - start:.0f} s; console: {log_path}]")
        if result.pcs:
            report = coverage.line_coverage(kern, result.pcs)
            ep.say(f"kernel line coverage ({len(result.pcs)} distinct PCs; lines with a kcov "
                   "call site reached / all of them):")
            print("\n".join(coverage.format_report(report)), flush=True)
            if unreached:
                ep.say("lines of the core files no program reached, by function:")
                for (f, func), lines in fuzzing.unreached(kern, result.pcs).items():
                    print(f"  {len(lines):4d}  {f}:{func}  {','.join(map(str, lines))}", flush=True)
        crash = result.crash
        if crash is None:
            return 0
        ep.say(f"finding: {crash.kind}: {crash.detail} ({len(crash.candidates)} candidate programs)")
        if not reproduce or not crash.candidates:
            return 1
        minimal = fuzzing.reproduce(crash, kern, opts.cpu, repeat, say=lambda s: ep.say(s))
        if minimal is None:
            ep.say("not reproduced by any candidate program (a race, or state from earlier programs)")
            for cand in crash.candidates:
                print(f"  candidate: {cand}", flush=True)
            return 1
        source = fuzzing.csource(minimal, repeat)
        name = f"repro-{crash.kind}-{opts.cpu}-{seed}"
        binary = fuzzing.build_csource(source, ARTIFACTS / name)
        print(source, flush=True)
        # a program that execs runs /sfuzz ("sfuzz exit"), which the fuzz machine has as init
        exe = f" --file {C.USER_IMAGES_DIR / fuzzing.SFUZZ}" if "execve#" in minimal else ""
        ep.say(f"minimal program: {minimal}",
               f"C source: {binary.with_suffix('.c')}",
               f"reproduce: invoke boot --kernel {kern} --cpu {opts.cpu} --init {binary}{exe}")
        return 1

    return ep.run(body)


if __name__ == "__main__":      # pragma: no cover
    sys.exit(main())
