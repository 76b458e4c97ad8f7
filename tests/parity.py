"""One static musl program run on the host's Linux and in ringlab, the two runs compared.

images/user/* are static x86-64 Linux ELF executables, so the host can run the very same
binary. A ``Case`` runs it twice - on the host's Linux, and as init in ringlab - with the same
argv, environment, files in the current directory, a terminal on stdin/stdout (so stdio
buffers the same way) and the same keystrokes; ``assert_same_as_linux`` then compares the
terminal transcripts (the programs' output and the terminal's echo, kernel lines removed) and
the exit statuses (128 + N for a program signal N ended). Used by tests/test_linux_parity.py
and tests/test_signals.py.
"""
import contextlib
import fcntl
import io
import resource
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pexpect

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Mem, Panic, parse_console

ENV = {"HOME": "/", "TERM": "vt100", "PATH": "/bin:/sbin:/usr/bin:/usr/sbin:/"}   # what ringlab gives init
STEP_TIMEOUT_S = 20.0
# ringlab's "/" holds these beside the modules; the sanitizer kernel also /sys (kcov's node)
ROOT_DIRS = ("tmp", "dev", "etc", "proc") + (("sys",) if C.SANITIZE else ())


@dataclass
class Case:
    """One program run the same way on both systems.

    Attributes:
        program: images/user/NAME.
        args: argv[1:] (no spaces or commas: they travel as the kernel's init.args).
        files: NAME -> content, in the current directory (ringlab: in "/").
        keys: (text to type, regex the program answers with) steps; a None regex: no answer.
        ignore: prefixes of lines that differ by design (each has its own test).
        ringlab_keys: the keys for ringlab's run, when they must also wait for a kernel line
            (None: ``keys``).
        cpu: ringlab's QEMU CPU model (None: the default).
        user: (uid, gid) to run as, with no supplementary groups and no capabilities (host:
            the trampoline drops root's ids before exec; ringlab: ``QemuConfig.user``).
            None: root.
        trace: the kernel's event families ringlab's run asks for (``lab.with_trace``: e.g.
            ``("signal",)`` when ``ringlab_keys`` wait for a ``sigreturn`` line).
        host_alone: the program prints system-wide counts (System V IPC's ``*_INFO``: objects
            in use on the whole machine), so its host run holds HOST_ALONE_LOCK and no other
            such case runs on the host beside it (pytest-xdist's workers, and ``invoke
            test``'s sanitizer pass beside its main pass). ringlab's run is alone in its
            machine anyway.
    """

    program: str
    args: Sequence[str] = ()
    files: Dict[str, str] = field(default_factory=dict)
    keys: Sequence[Tuple[str, object]] = ()
    ignore: Sequence[str] = ()
    ringlab_keys: Optional[Sequence[Tuple[str, object]]] = None
    cpu: Optional[str] = None
    user: Optional[Tuple[int, int]] = None
    trace: Sequence[str] = ()
    host_alone: bool = False


# The lock host_alone cases hold for their host run (flock(2): released when its file closes,
# also when the test process dies).
HOST_ALONE_LOCK = Path(tempfile.gettempdir()) / "ringlab-host-alone.lock"


def transcript(text: str, ignore: Sequence[str]) -> List[str]:
    """The user's side of a terminal: lines without kernel lines or ignored prefixes."""
    lines = parse_console(text).user_lines
    return [l for l in lines if not any(l.startswith(p) for p in ignore)]


def run_on_linux(case: Case, images, workdir: Path) -> Tuple[List[str], int, str]:
    """Run the case on the host in ``workdir``; returns (transcript, status, raw terminal text)."""
    shutil.copy(images.program(case.program), workdir / case.program)
    for name in ROOT_DIRS:
        (workdir / name).mkdir()
    (workdir / "tmp").chmod(0o1777)                 # ringlab's /tmp, as Linux's
    for name, content in case.files.items():
        (workdir / name).write_text(content)
        if case.user is not None:
            (workdir / name).chmod(0o755)           # ringlab's modules: root:root 0755
    if case.user is not None:
        workdir.chmod(0o755)                        # "/": root's, searchable by everyone
    log = io.StringIO()

    def no_core_dumps():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    # A trampoline execs ./NAME with argv[0] = NAME, the bare name ringlab's kernel gives init,
    # with SIGPIPE and SIGXFSZ back to SIG_DFL (Python ignores both, and execve keeps ignored
    # signals ignored: ringlab's init starts with every signal at SIG_DFL).
    exec_bare = ("import os, signal, sys; signal.signal(signal.SIGPIPE, signal.SIG_DFL); "
                 "signal.signal(signal.SIGXFSZ, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[2:])")
    if case.user is not None:                       # setpriv --reuid --regid --clear-groups
        uid, gid = case.user
        exec_bare = (f"import os, signal, sys; signal.signal(signal.SIGPIPE, signal.SIG_DFL); "
                     f"signal.signal(signal.SIGXFSZ, signal.SIG_DFL); os.setgroups([]); "
                     f"os.setresgid({gid}, {gid}, {gid}); os.setresuid({uid}, {uid}, {uid}); "
                     f"os.execv(sys.argv[1], sys.argv[2:])")
    with open(HOST_ALONE_LOCK, "a") if case.host_alone else contextlib.nullcontext() as lock:
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
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


# As run_on_linux's trampoline: SIGPIPE and SIGXFSZ back to SIG_DFL (Python ignores both and
# execve keeps ignored signals ignored; ringlab's init starts with every signal at SIG_DFL).
EXEC_DEFAULT_SIGNALS = ("import os, signal, sys; signal.signal(signal.SIGPIPE, signal.SIG_DFL); "
                        "signal.signal(signal.SIGXFSZ, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])")


def spawn_on_host(argv: Sequence[str], cwd: Path) -> str:
    """Run argv on the host in a terminal, in ``cwd``, with ringlab's environment and every
    signal at SIG_DFL; returns what it printed (used by tests/test_rstrace.py and
    tests/test_ptrace.py for runs that are not one program as init)."""
    child = pexpect.spawn(sys.executable, ["-c", EXEC_DEFAULT_SIGNALS, *argv], cwd=str(cwd), encoding="utf-8",
                          env=ENV, timeout=STEP_TIMEOUT_S)
    try:
        child.expect(pexpect.EOF)
        return child.before
    finally:
        child.close(force=True)


def run_on_ringlab(case: Case, images, workdir: Path) -> Tuple[List[str], int, lab.Run]:
    """Run the case as init in ringlab (its files written to ``workdir`` first); returns
    (transcript, status, the Run). Fails the test if the machine panicked or did not end well."""
    files = []
    for name, content in case.files.items():
        (workdir / name).write_text(content)
        files.append(workdir / name)
    append = lab.with_trace("init.args=" + ",".join(case.args) if case.args else "", *case.trace)
    cfg = QemuConfig(kernel=images.kernel, init=images.program(case.program), files=files,
                     append=append, user=case.user, **({"cpu": case.cpu} if case.cpu else {}))
    steps = case.keys if case.ringlab_keys is None else case.ringlab_keys
    with lab.Session(cfg) as s:
        if steps:
            s.console.expect(C.CONSOLE_INPUT_READY_RE, STEP_TIMEOUT_S)
        for typed, answer in steps:
            s.console.send(typed)
            if answer is not None:
                s.console.expect(answer, STEP_TIMEOUT_S)
        run = s.finish(STEP_TIMEOUT_S)
    assert not run.of(Panic) and run.outcome.machine_ok, run.report()
    return transcript(run.console, case.ignore), run.status, run


def assert_same_as_linux(case: Case, images, tmp_path: Path) -> None:
    """Run the case on both systems (in tmp_path/linux and tmp_path/ringlab) and assert the
    same transcript and the same status; the failure message carries both transcripts and
    the ringlab run's report."""
    (tmp_path / "linux").mkdir()
    (tmp_path / "ringlab").mkdir()
    linux_lines, linux_status, _ = run_on_linux(case, images, tmp_path / "linux")
    ring_lines, ring_status, run = run_on_ringlab(case, images, tmp_path / "ringlab")
    assert ring_lines == linux_lines, (
        f"transcripts differ\nLinux:   {linux_lines}\nringlab: {ring_lines}\n{run.report()}")
    assert ring_status == linux_status, f"status: Linux {linux_status}, ringlab {ring_status}"


def assert_rounds_give_every_page_back(program: str, images, tmp_path: Path, rounds: int,
                                       timeout_s: float, args: Sequence[str] = ()) -> None:
    """PROGRAM run once on the host and ``rounds`` times in one ringlab boot (init.args=ARGS,ROUNDS,
    ``args`` none by default; the host's run gets ARGS alone: the program forks a child per round
    and prints ``PROGRAM: round N: status S`` after it):
    ringlab prints the host's round each time, and with trace=mem the free pages after each
    round's last reap are equal (after the boot count, each round reaps the children it forked
    itself, then the round's child: the last of each round's reaps). Raises AssertionError
    with the run's report."""
    linux, status, _ = run_on_linux(Case(program, args=list(args)), images, tmp_path)
    assert status == 0, linux
    round_lines = linux[:-1]
    init_args = ",".join([*args, str(rounds)])
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program(program),
                             append=f"trace=mem init.args={init_args}"), timeout_s=timeout_s)
    assert run.status == 0 and not run.of(Panic), run.report()
    want = []
    for r in range(rounds):
        want += round_lines + [f"{program}: round {r + 1}: status 0"]
    assert run.user_lines == want, run.report()
    after_reap = [m.free_pages for m in run.of(Mem)][1:]
    per_round = len(after_reap) // rounds
    assert per_round >= 1 and len(after_reap) == per_round * rounds, after_reap
    assert len(set(after_reap[per_round - 1::per_round])) == 1, after_reap
