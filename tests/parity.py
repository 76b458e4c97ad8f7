"""One static musl program run on the host's Linux and in ringlab, the two runs compared.

images/user/* are static x86-64 Linux ELF executables, so the host can run the very same
binary. A ``Case`` runs it twice - on the host's Linux, and as init in ringlab - with the same
argv, environment, files in the current directory, a terminal on stdin/stdout (so stdio
buffers the same way) and the same keystrokes; ``assert_same_as_linux`` then compares the
terminal transcripts (the programs' output and the terminal's echo, kernel lines removed) and
the exit statuses (128 + N for a program signal N ended). Used by tests/test_linux_parity.py
and tests/test_signals.py.

The two runs overlap: the host's run starts first (``start_on_linux`` / ``start_on_host``: a
``HostRun``, its keys typed and its end awaited by a worker thread), ringlab's boot runs
meanwhile in the test's thread, then the host's run is collected. A program that waits on real
time (a lease's 45-s break, alarms, itimers) so costs its wait once per test instead of twice.
"""
import contextlib
import fcntl
import io
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import pexpect
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Mem, Panic, parse_console

ENV = {"HOME": "/", "TERM": "vt100", "PATH": "/bin:/sbin:/usr/bin:/usr/sbin:/"}   # what ringlab gives init
BUSYBOX = Path("/bin/busybox")      # Debian's busybox-static: one static shell for both systems
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

# Programs whose host run uses names the whole machine shares - POSIX shm and semaphore names,
# abstract and /tmp socket names, fixed /tmp files, per-user counts of files in flight: two
# runs of one of them side by side on the host (root's and user 1000's case, the main pass and
# the sanitizer pass beside it, each starting its host run beside its boot) take each other's
# names and semaphore posts, so they run as host_alone cases whatever the Case says.
SHARED_NAME_PROGRAMS = frozenset({"posixipc", "posixipc-glibc", "sockasync", "unixsock",
                                  "m32sock-m32", "unixoob", "revattack", "revlock", "fsinfo",
                                  "fslimits", "namelimits", "revfiles"})


def host_alone(case: "Case") -> bool:
    """Whether ``case``'s host run holds HOST_ALONE_LOCK (``Case.host_alone``, or a program
    in SHARED_NAME_PROGRAMS)."""
    return case.host_alone or case.program in SHARED_NAME_PROGRAMS


def transcript(text: str, ignore: Sequence[str]) -> List[str]:
    """The user's side of a terminal: lines without kernel lines or ignored prefixes."""
    lines = parse_console(text).user_lines
    return [l for l in lines if not any(l.startswith(p) for p in ignore)]


class HostRun:
    """One program running on the host in a terminal, beside what the test does meanwhile.

    ``start`` spawns it in the calling thread (the fork, and its preexec function, happen
    before the worker thread exists) and gives it to one worker thread, which types each
    step's keys and waits for the step's answer, then for EOF (each wait bounded by
    STEP_TIMEOUT_S, as when the host ran alone), then reaps the program and releases the
    host-alone lock if it holds one. ``result()`` joins the worker. ``close()`` (also
    ``__exit__``, so a failing test's ``with`` ends here) sends SIGKILL to the program's
    process group unless the worker reaped it already, then joins the worker: no host process
    of ours outlives the test.
    """

    def __init__(self, child: pexpect.spawn, keys: Sequence[Tuple[str, object]],
                 lock: Optional[io.TextIOBase]) -> None:
        self._child = child
        self._keys = list(keys)
        self._lock = lock
        self._log = io.StringIO()
        child.logfile_read = self._log
        self._reaping = threading.Lock()    # the worker's reap against close()'s SIGKILL
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="host-run")
        self._done = self._pool.submit(self._drive)

    @classmethod
    def start(cls, argv: Sequence[str], cwd: Path, keys: Sequence[Tuple[str, object]] = (),
              alone_lock: Optional[Path] = None,
              preexec_fn: Optional[Callable[[], None]] = None) -> "HostRun":
        """Spawn ``argv`` (argv[0] the executable) in a terminal in ``cwd`` with ringlab's
        environment; ``keys`` as ``Case.keys``. ``alone_lock`` (HOST_ALONE_LOCK for a
        host_alone case): flock it first (blocks while another run holds it) and keep it
        until this program is reaped. Raises what pexpect.spawn raises (the lock released)."""
        lock = open(alone_lock, "a") if alone_lock is not None else None
        try:
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            child = pexpect.spawn(argv[0], list(argv[1:]), cwd=str(cwd), encoding="utf-8", env=ENV,
                                  timeout=STEP_TIMEOUT_S, preexec_fn=preexec_fn)
        except BaseException:
            if lock is not None:
                lock.close()
            raise
        return cls(child, keys, lock)

    def _drive(self) -> None:
        """The worker: the steps, EOF, then reap (always) and release the lock."""
        try:
            for typed, answer in self._keys:
                self._child.send(typed)
                if answer is not None:
                    self._child.expect(answer)
            self._child.expect(pexpect.EOF)
        finally:
            try:
                with self._reaping:
                    self._child.close(force=True)
            finally:
                if self._lock is not None:
                    self._lock.close()      # flock(2) goes with the file

    @property
    def pid(self) -> int:
        """The program's pid (also its process group's id)."""
        return self._child.pid

    def result(self) -> Tuple[str, int]:
        """Wait for the worker; returns (the terminal's text, the status: the exit code, or
        128 + N for a program signal N ended). Raises the worker's pexpect.TIMEOUT or
        pexpect.EOF (a step the program never answered) or PtyProcessError."""
        self._done.result()                 # bounded: every wait of the worker is
        c = self._child
        return self._log.getvalue(), (c.exitstatus if c.signalstatus is None else 128 + c.signalstatus)

    def close(self) -> None:
        """SIGKILL to the program's process group if it is not reaped yet (pexpect made the
        program a session leader: its pid, still ours until reaped, is the group's id; its
        children are in it unless they moved), then join the worker (it sees EOF and reaps)."""
        with self._reaping:
            if not self._child.closed:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._child.pid, signal.SIGKILL)
        self._pool.shutdown(wait=True)

    def __enter__(self) -> "HostRun":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _no_core_dumps() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def start_on_linux(case: Case, images, workdir: Path) -> HostRun:
    """Prepare ``workdir`` as ringlab's "/" (the program, ROOT_DIRS, the case's files) and
    start the case on the host there (as root, or as ``case.user`` with no groups); collect
    it with ``linux_result``. Use it as a context manager (a failing test kills it)."""
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

    # A trampoline execs ./NAME with argv[0] = NAME, the bare name ringlab's kernel gives init,
    # with SIGPIPE and SIGXFSZ back to SIG_DFL (Python ignores both, and execve keeps ignored
    # signals ignored: ringlab's init starts with every signal at SIG_DFL), and SIGINT and
    # SIGQUIT (ignored in a suite started with `&` by a shell without job control, POSIX
    # Shell Command Language 2.11: sig_default's raise(SIGQUIT) went on on the host).
    exec_bare = ("import os, signal, sys; signal.signal(signal.SIGPIPE, signal.SIG_DFL); "
                 "signal.signal(signal.SIGXFSZ, signal.SIG_DFL); signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "signal.signal(signal.SIGQUIT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[2:])")
    if case.user is not None:                       # setpriv --reuid --regid --clear-groups
        uid, gid = case.user
        exec_bare = (f"import os, signal, sys; signal.signal(signal.SIGPIPE, signal.SIG_DFL); "
                     f"signal.signal(signal.SIGXFSZ, signal.SIG_DFL); signal.signal(signal.SIGINT, signal.SIG_DFL); "
                     f"signal.signal(signal.SIGQUIT, signal.SIG_DFL); os.setgroups([]); "
                     f"os.setresgid({gid}, {gid}, {gid}); os.setresuid({uid}, {uid}, {uid}); "
                     f"os.execv(sys.argv[1], sys.argv[2:])")
    return HostRun.start([sys.executable, "-c", exec_bare, f"./{case.program}", case.program, *case.args],
                         workdir, keys=case.keys, alone_lock=HOST_ALONE_LOCK if host_alone(case) else None,
                         preexec_fn=_no_core_dumps)


def linux_result(case: Case, host: HostRun) -> Tuple[List[str], int, str]:
    """Wait for a ``start_on_linux`` run; returns (transcript, status, raw terminal text)."""
    text, status = host.result()
    return transcript(text, case.ignore), status, text


def run_on_linux(case: Case, images, workdir: Path) -> Tuple[List[str], int, str]:
    """Run the case on the host in ``workdir``, alone; returns (transcript, status, raw
    terminal text)."""
    with start_on_linux(case, images, workdir) as host:
        return linux_result(case, host)


# As run_on_linux's trampoline: SIGPIPE and SIGXFSZ back to SIG_DFL (Python ignores both and
# execve keeps ignored signals ignored; ringlab's init starts with every signal at SIG_DFL),
# SIGINT and SIGQUIT too (ignored in a suite started in the background by a script).
EXEC_DEFAULT_SIGNALS = ("import os, signal, sys; signal.signal(signal.SIGPIPE, signal.SIG_DFL); "
                        "signal.signal(signal.SIGXFSZ, signal.SIG_DFL); signal.signal(signal.SIGINT, signal.SIG_DFL); "
                        "signal.signal(signal.SIGQUIT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])")


def start_on_host(argv: Sequence[str], cwd: Path) -> HostRun:
    """Start argv on the host in a terminal, in ``cwd``, with ringlab's environment and every
    signal at SIG_DFL (for runs that are not one program as init: tests/test_rstrace.py,
    tests/test_ptrace.py); ``result()`` gives what it printed and its status."""
    return HostRun.start([sys.executable, "-c", EXEC_DEFAULT_SIGNALS, *argv], cwd)


def spawn_on_host(argv: Sequence[str], cwd: Path) -> str:
    """``start_on_host`` run alone; returns what it printed."""
    with start_on_host(argv, cwd) as host:
        return host.result()[0]


@contextlib.contextmanager
def captured_on_host(argv: Sequence[str], **popen) -> Iterator[subprocess.Popen]:
    """``argv`` started on the host with its output in pipes (text; stdin /dev/null; a session
    of its own), for a test to collect with ``communicate(timeout=...)`` after its own boot.
    ``popen``: more subprocess.Popen arguments (cwd, executable, preexec_fn...). Leaving the
    block sends SIGKILL to the session's process group if the program was not reaped yet (its
    pid is the group's id until then), then reaps it: nothing outlives a failing test."""
    proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **popen)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


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


class Both(NamedTuple):
    """What ``run_both`` saw: the host's transcript and status, ringlab's, and ringlab's Run."""
    linux: List[str]
    linux_status: int
    ring: List[str]
    ring_status: int
    run: lab.Run


def run_both(case: Case, images, tmp_path: Path, ringlab_case: Optional[Case] = None) -> Both:
    """The case on the host (in tmp_path/linux) and ``ringlab_case`` (None: the case) in
    ringlab (tmp_path/ringlab), side by side: the host's run starts first, ringlab's boot runs
    meanwhile, then the host's run is collected (killed if ringlab's side fails)."""
    ring_case = case if ringlab_case is None else ringlab_case
    (tmp_path / "linux").mkdir()
    (tmp_path / "ringlab").mkdir()
    with start_on_linux(case, images, tmp_path / "linux") as host:
        ring_lines, ring_status, run = run_on_ringlab(ring_case, images, tmp_path / "ringlab")
        linux_lines, linux_status, _ = linux_result(case, host)
    return Both(linux_lines, linux_status, ring_lines, ring_status, run)


def assert_same_as_linux(case: Case, images, tmp_path: Path) -> None:
    """Run the case on both systems side by side (``run_both``) and assert the same
    transcript and the same status; the failure message carries both transcripts and the
    ringlab run's report."""
    b = run_both(case, images, tmp_path)
    assert b.ring == b.linux, (
        f"transcripts differ\nLinux:   {b.linux}\nringlab: {b.ring}\n{b.run.report()}")
    assert b.ring_status == b.linux_status, f"status: Linux {b.linux_status}, ringlab {b.ring_status}"


def assert_rounds_give_every_page_back(program: str, images, tmp_path: Path, rounds: int,
                                       timeout_s: float, args: Sequence[str] = ()) -> None:
    """PROGRAM run once on the host and meanwhile ``rounds`` times in one ringlab boot
    (init.args=ARGS,ROUNDS, ``args`` none by default; the host's run gets ARGS alone: the
    program forks a child per round and prints ``PROGRAM: round N: status S`` after it):
    ringlab prints the host's round each time, and with trace=mem the free pages after each
    round's last reap are equal (after the boot count, each round reaps the children it forked
    itself, then the round's child: the last of each round's reaps). Raises AssertionError
    with the run's report."""
    init_args = ",".join([*args, str(rounds)])
    host_case = Case(program, args=list(args))
    with start_on_linux(host_case, images, tmp_path) as host:   # beside ringlab's boot
        run = lab.run(QemuConfig(kernel=images.kernel, init=images.program(program),
                                 append=f"trace=mem init.args={init_args}"), timeout_s=timeout_s)
        linux, status, _ = linux_result(host_case, host)
    assert status == 0, linux
    round_lines = linux[:-1]
    assert run.status == 0 and not run.of(Panic), run.report()
    want = []
    for r in range(rounds):
        want += round_lines + [f"{program}: round {r + 1}: status 0"]
    assert run.user_lines == want, run.report()
    after_reap = [m.free_pages for m in run.of(Mem)][1:]
    per_round = len(after_reap) // rounds
    assert per_round >= 1 and len(after_reap) == per_round * rounds, after_reap
    assert len(set(after_reap[per_round - 1::per_round])) == 1, after_reap


def busybox_script_on_linux(script: Path, workdir: Path, timeout_s: float) -> Tuple[List[str], int]:
    """``busybox sh SCRIPT`` on the host in ``workdir``, in ringlab's init environment (ENV):
    its console lines and exit status. pytest.fail when busybox is not installed."""
    if not BUSYBOX.is_file():
        pytest.fail(f"{BUSYBOX} missing: install the Debian package busybox-static (.ci/setup)")
    log = io.StringIO()
    child = pexpect.spawn(str(BUSYBOX), ["sh", str(script)], cwd=str(workdir), env=ENV,
                          encoding="utf-8", timeout=timeout_s)
    child.logfile_read = log
    try:
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    return parse_console(log.getvalue()).user_lines, child.exitstatus


def assert_busybox_script_same_as_linux(script: Path, images, tmp_path: Path, must: str,
                                        timeout_s: float) -> None:
    """``busybox sh SCRIPT`` as init in ringlab and on the host: the same lines (``must`` among
    the host's, so two runs failing alike never pass) and status 0 on both."""
    linux, status = busybox_script_on_linux(script, tmp_path, timeout_s)
    run = lab.run(QemuConfig(kernel=images.kernel, init=BUSYBOX, files=[script],
                             append=f"init.args=sh,/{script.name}"), timeout_s=timeout_s)
    assert not run.of(Panic) and run.outcome.machine_ok, run.report()
    assert must in linux, linux
    assert run.user_lines == linux, f"Linux:   {linux}\nringlab: {run.user_lines}\n{run.report()}"
    assert (run.status, status) == (0, 0), run.report()
