"""Static musl programs behave as they do on Linux.

images/user/* are static x86-64 Linux ELF executables, so the host can run the very same
binary. Each case runs it twice - on the host's Linux, and as init in ringlab - with the same
argv, environment, files in the current directory, a terminal on stdin/stdout (so stdio
buffers the same way) and the same keystrokes, then compares the terminal transcript (the
programs' output and the terminal's echo, kernel lines removed) and the exit status.
"""
import io
import resource
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import pexpect
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Panic, parse_console

pytestmark = pytest.mark.boot

ENV = {"HOME": "/", "TERM": "vt100", "PATH": "/bin:/sbin:/usr/bin:/usr/sbin:/"}   # what ringlab gives init
EXAMPLE = "The seed's example file.\nSecond line, no trailing newline"
STEP_TIMEOUT_S = 20.0
ROOT_DIRS = ("tmp", "dev")             # ringlab's "/" holds these beside the modules


@dataclass
class Case:
    """One program run the same way on both systems.

    Attributes:
        program: images/user/NAME.
        args: argv[1:] (no spaces or commas: they travel as the kernel's init.args).
        files: NAME -> content, in the current directory (ringlab: in "/").
        keys: (text to type, regex the program answers with) steps; a None regex: no answer.
        ignore: prefixes of lines that differ by design (each has its own test).
    """

    program: str
    args: Sequence[str] = ()
    files: Dict[str, str] = field(default_factory=dict)
    keys: Sequence[Tuple[str, object]] = ()
    ignore: Sequence[str] = ()


CASES = {
    "seed_open-without-example.txt": Case("seed_open"),
    "seed_open-with-example.txt": Case("seed_open", files={"example.txt": EXAMPLE}),
    "seed_read-without-example.txt": Case("seed_read"),
    "seed_read-with-example.txt": Case("seed_read", files={"example.txt": EXAMPLE}),
    "demo-printf-malloc-argv": Case("demo", args=["alpha", "beta"]),
    "ret42": Case("ret42"),
    "cat-a-file-and-a-missing-one": Case("cat", args=["example.txt", "missing.txt"],
                                         files={"example.txt": EXAMPLE}),
    "forkwait-fork-exec-wait": Case("forkwait"),
    "fsprobe-open-read-lseek-stat-errno": Case("fsprobe", files={"example.txt": EXAMPLE}),
    "pipefcntl-pipes-dup-fcntl-cloexec": Case("pipefcntl"),
    "fsattack-bad-pointers-paths-flags-fds": Case("fsattack"),
    **{f"fsfuzz-random-file-operations-seed-{seed}": Case("fsfuzz", args=[str(seed), "400"])
       for seed in (1, 2, 3, 4)},
    "brkmap-brk-and-mmap-never-overlap": Case(
        # Below 64 KiB differs by design: root on the host may map there (test_memory).
        "brkmap", ignore=["brkmap: below 64 KiB:"]),
    "pathcross-path-names-at-page-boundaries": Case("pathcross"),
    "shmfork-map-shared-is-shared-with-children": Case("shmfork"),
    "mmapgs-gs-base-kept-across-a-preempted-mmap": Case("mmapgs"),
    "pthreads-mutex-condvar-tls-join-detach": Case("pthreads"),
    "pthreads-glibc-static-the-same-program-on-glibc": Case("pthreads-glibc"),
    "threadattack-hostile-clone-futex-tgkill-exec": Case("threadattack"),
    "threadsig-signals-in-a-thread-group": Case("threadsig"),
    "memadvise-madvise-and-mremap": Case("memadvise"),
    "readline-stdin-with-line-editing": Case(
        "readline",
        keys=[("first line\n", r'got "first line"'), ("xy\x7fz\n", r'got "xz"'),
              ("junk\x15kept\n", r'got "kept"'), ("\x04", None)]),
}


def transcript(text: str, ignore: Sequence[str]) -> List[str]:
    """The user's side of a terminal: lines without kernel lines or ignored prefixes."""
    lines = parse_console(text).user_lines
    return [l for l in lines if not any(l.startswith(p) for p in ignore)]


def run_on_linux(case: Case, images, workdir: Path) -> Tuple[List[str], int, str]:
    shutil.copy(images.program(case.program), workdir / case.program)
    for name in ROOT_DIRS:
        (workdir / name).mkdir()
    for name, content in case.files.items():
        (workdir / name).write_text(content)
    log = io.StringIO()

    def no_core_dumps():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    # A trampoline execs ./NAME with argv[0] = NAME, the bare name ringlab's kernel gives init.
    exec_bare = "import os, sys; os.execv(sys.argv[1], sys.argv[2:])"
    child = pexpect.spawn(sys.executable, ["-c", exec_bare, f"./{case.program}", case.program,
                                           *case.args],
                          cwd=str(workdir), encoding="utf-8", env=ENV,
                          timeout=STEP_TIMEOUT_S, preexec_fn=no_core_dumps)
    child.logfile_read = log
    try:
        for keys, answer in case.keys:
            child.send(keys)
            if answer is not None:
                child.expect(answer)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    status = child.exitstatus if child.signalstatus is None else 128 + child.signalstatus
    return transcript(log.getvalue(), case.ignore), status, log.getvalue()


def run_on_ringlab(case: Case, images, workdir: Path) -> Tuple[List[str], int, lab.Run]:
    files = []
    for name, content in case.files.items():
        (workdir / name).write_text(content)
        files.append(workdir / name)
    append = "init.args=" + ",".join(case.args) if case.args else ""
    cfg = QemuConfig(kernel=images.kernel, init=images.program(case.program), files=files,
                     append=append)
    with lab.Session(cfg) as s:
        if case.keys:
            s.console.expect(C.CONSOLE_INPUT_READY_RE, STEP_TIMEOUT_S)
        for keys, answer in case.keys:
            s.console.send(keys)
            if answer is not None:
                s.console.expect(answer, STEP_TIMEOUT_S)
        run = s.finish(STEP_TIMEOUT_S)
    assert not run.of(Panic) and run.outcome.machine_ok, run.report()
    return transcript(run.console, case.ignore), run.status, run


@pytest.mark.parametrize("name", list(CASES))
def test_same_output_and_status_as_on_linux(images, tmp_path, name):
    case = CASES[name]
    (tmp_path / "linux").mkdir()
    (tmp_path / "ringlab").mkdir()
    linux_lines, linux_status, raw = run_on_linux(case, images, tmp_path / "linux")
    ring_lines, ring_status, run = run_on_ringlab(case, images, tmp_path / "ringlab")
    assert ring_lines == linux_lines, (
        f"transcripts differ\nLinux:   {linux_lines}\nringlab: {ring_lines}\n{run.report()}")
    assert ring_status == linux_status, f"status: Linux {linux_status}, ringlab {ring_status}"


def test_the_seed_example_prints_exactly_what_linux_prints(images, tmp_path):
    """The seed example's own words, checked literally as well as against the host."""
    lines, status, _ = run_on_linux(CASES["seed_open-without-example.txt"], images, tmp_path)
    assert (lines, status) == (["Error opening file: No such file or directory"], 1)
