"""rstrace, our own strace (userland/rstrace.c, on ringlab's ptrace), against the host's strace
(acceptance 1 of issue 20).

The same static program runs under the host's `strace -ff` on Linux and under rstrace as init
in ringlab (both CPU models), with the environment, files and terminal of tests/parity.py.
Each process and thread becomes the list of its calls - the name and the result, errors by
errno name - plus the signals it took and how it ended; the lists are compared in pid order.
Normalised: pids (results of fork, clone, wait4, getpid, ...) and addresses (mmap, brk) become
PID and ADDR, and futex is left out (whether a waiter sleeps depends on which thread runs
first, on both systems). The programs: a file program (fsprobe), a forking one that also
execs (forkwait), a threaded one (pthreads), one taking signals (sigpending), one that execs
with state to keep (execstate).

rstrace itself is also checked against strace on the host (the same tracer, the same
kernel): the names, arguments' kinds and results it prints are strace's.
"""
import difflib
import re
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

import pexpect
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine.qemu import QemuConfig
from tests.parity import ROOT_DIRS, STEP_TIMEOUT_S, HostRun, spawn_on_host, start_on_host

pytestmark = pytest.mark.boot

CPUS = (C.DEFAULT_CPU, C.LEGACY_CPU)
EXAMPLE = "The seed's example file.\nSecond line, no trailing newline"
PROGRAMS = {
    "file-fsprobe": ("fsprobe", [], {"example.txt": EXAMPLE}),
    "fork-and-exec-forkwait": ("forkwait", [], {}),
    "threads-pthreads": ("pthreads", [], {}),
    "signals-sigpending": ("sigpending", [], {}),
    "exec-execstate": ("execstate", [], {}),
}
PID_CALLS = {"fork", "vfork", "clone", "clone3", "getpid", "getppid", "gettid", "wait4", "set_tid_address",
             "waitid"}
IGNORED_CALLS = {"futex"}
PATH_CALLS = {"getcwd", "readlink"}   # their result is a length of the host's working directory
CALL = re.compile(r"^(?:<\.\.\. (\w+) resumed>.*|(\w+)\(.*)\)\s+= (.*)$")
SIGNAL = re.compile(r"^--- (SIG\w+)")
END = re.compile(r"^\+\+\+ (exited with \d+|killed by SIG\w+)")
RSTRACE = re.compile(r"^rstrace: \[pid (\d+)\] (.*)$")


def normal(name: str, ret: str) -> str:
    """A call's result as compared: errno names kept, pids and addresses replaced."""
    ret = ret.strip()
    m = re.match(r"^-1 (E\w+)", ret)
    if m:
        return "-1 " + m.group(1)
    if ret.startswith("?"):
        return ret.split(" (")[0]
    if ret.startswith("0x"):
        return "ADDR"
    if name in PATH_CALLS and re.match(r"^\d+$", ret):
        return "LEN"
    if name in PID_CALLS and re.match(r"^\d+", ret) and int(ret.split()[0]) > 0:
        return "PID"
    return ret.split()[0]


def events(lines: List[str]) -> List[str]:
    """One process's strace lines -> 'name = result', '--- SIG', '+++ end' entries."""
    out = []
    for line in lines:
        m = CALL.match(line)
        if m:
            name = m.group(1) or m.group(2)
            if name not in IGNORED_CALLS:
                out.append(f"{name} = {normal(name, m.group(3))}")
            continue
        m = SIGNAL.match(line) or END.match(line)
        if m:
            out.append(("--- " if line.startswith("---") else "+++ ") + m.group(1))
    # A child's SIGCHLD arrives when it exits: before its parent enters wait4 or while the
    # parent sleeps there, as the scheduler decides (on Linux as in ringlab, and between two
    # runs on one host). Compare it in one place: after the wait4 it is next to.
    for i in range(len(out) - 1):
        if out[i] == "--- SIGCHLD" and out[i + 1].startswith("wait4 = "):
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def by_pid(lines_of: Dict[int, List[str]]) -> List[List[str]]:
    """Every process's entries, in pid order (pids are given out in creation order on both)."""
    return [events(lines_of[pid]) for pid in sorted(lines_of)]


def killed_by_group_exit(entries: List[str], group_end: str) -> bool:
    """A thread that ended only because its process exited (exit_group from another thread):
    it made no exit of its own and its end is the group's."""
    return bool(entries) and entries[-1] == group_end and "exit = ?" not in entries


def same(linux: List[List[str]], ours: List[List[str]]) -> bool:
    """The processes' entries agree. One allowance, the race of a detached thread with its
    process's exit_group (on Linux as in ringlab, and between two runs on one host): a thread
    that exit_group ended may have got less far on one side, so its entries there (but the end)
    need only be the start of the other side's."""
    if not linux or len(linux) != len(ours) or linux[0] != ours[0]:
        return False
    group_end = linux[0][-1] if linux[0] else ""
    for a, b in zip(linux[1:], ours[1:]):
        if a == b:
            continue
        for cut, whole in ((a, b), (b, a)):
            if killed_by_group_exit(cut, group_end) and whole[:len(cut) - 1] == cut[:-1]:
                break
        else:
            return False
    return True


def diff(linux: List[List[str]], ours: List[List[str]]) -> str:
    """The processes' entries side by side where they differ (strace's first)."""
    out = [f"processes: strace {len(linux)}, rstrace {len(ours)}"]
    for i, (a, b) in enumerate(zip(linux, ours)):
        out += [f"process {i}: " + "\n    ".join(difflib.unified_diff(a, b, "strace", "rstrace", lineterm=""))]
    return "\n".join(out)


def start_host_strace(program: str, args, files, images, workdir: Path) -> Tuple[HostRun, Path]:
    """Start PROGRAM under the host's `strace -ff` in a terminal; the run and the directory of
    its trace files (read them with ``strace_entries`` once the run is collected)."""
    shutil.copy(images.program(program), workdir / program)
    for name in ROOT_DIRS:
        (workdir / name).mkdir(exist_ok=True)
    (workdir / "tmp").chmod(0o1777)
    for name, content in files.items():
        (workdir / name).write_text(content)
    shutil.copy(images.program("rstrace"), workdir / "rstrace")   # ringlab's "/" holds it too
    out = workdir.parent / (workdir.name + "-strace")
    out.mkdir()
    return start_on_host([shutil.which("strace") or "strace", "-ff", "-q", "-o", str(out / "trace"),
                          f"./{program}", *args], workdir), out


def strace_entries(out: Path) -> List[List[str]]:
    """The processes' entries in ``start_host_strace``'s trace files."""
    lines_of = {int(f.name.split(".")[-1]): f.read_text().splitlines() for f in out.glob("trace.*")}
    return by_pid(lines_of)


def host_strace(program: str, args, files, images, workdir: Path) -> List[List[str]]:
    """Run PROGRAM under the host's `strace -ff` in a terminal, alone; its processes' entries."""
    host, out = start_host_strace(program, args, files, images, workdir)
    with host:
        host.result()
    return strace_entries(out)


def rstrace_lines(text: str) -> Dict[int, List[str]]:
    lines_of: Dict[int, List[str]] = {}
    for line in text.splitlines():
        m = RSTRACE.match(line.strip())
        if m:
            lines_of.setdefault(int(m.group(1)), []).append(m.group(2))
    return lines_of


def ringlab_rstrace(program: str, args, files, images, workdir: Path, cpu: str) -> Tuple[List[List[str]], str]:
    """Run `rstrace PROGRAM ARGS` as init in ringlab; its processes' entries and the report."""
    paths = [images.program(program)]
    for name, content in files.items():
        (workdir / name).write_text(content)
        paths.append(workdir / name)
    cfg = QemuConfig(kernel=images.kernel, init=images.program("rstrace"), files=paths,
                     append="init.args=" + ",".join([program, *args]), cpu=cpu)
    with lab.Session(cfg) as s:
        run = s.finish(STEP_TIMEOUT_S * 3)
    assert run.outcome.machine_ok, run.report()
    return by_pid(rstrace_lines(run.console)), run.report()


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_rstrace_in_ringlab_matches_host_strace(name, cpu, images, tmp_path):
    program, args, files = PROGRAMS[name]
    (tmp_path / "linux").mkdir()
    (tmp_path / "ringlab").mkdir()
    host, out = start_host_strace(program, args, files, images, tmp_path / "linux")
    with host:                                  # strace on the host beside ringlab's boot
        ring, report = ringlab_rstrace(program, args, files, images, tmp_path / "ringlab", cpu)
        host.result()
    linux = strace_entries(out)
    assert same(linux, ring), f"differences:\n{diff(linux, ring)}\n{report}"


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_rstrace_on_the_host_prints_what_strace_prints(name, images, tmp_path):
    """The tracer alone, on the host's kernel: the same calls and results as strace."""
    program, args, files = PROGRAMS[name]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    linux = host_strace(program, args, files, images, tmp_path / "a")
    work = tmp_path / "b"
    shutil.copy(images.program(program), work / program)
    shutil.copy(images.program("rstrace"), work / "rstrace")
    for d in ROOT_DIRS:
        (work / d).mkdir(exist_ok=True)
    for fname, content in files.items():
        (work / fname).write_text(content)
    text = spawn_on_host([str(work / "rstrace"), f"./{program}", *args], work)
    ours = by_pid(rstrace_lines(text))
    assert same(linux, ours), f"differences:\n{diff(linux, ours)}"
