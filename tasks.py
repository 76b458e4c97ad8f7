"""invoke tasks: ``invoke build``, ``boot``, ``gdb``, ``debug``, ``trace``, ``faults``,
``pagetables``, ``iso``, ``fuzz``, ``test``, ``test-quick``, ``coverage``, ``grade``.

Each task is one call into its module of ringlab.cli (harness/ringlab/cli), imported when
the task runs (so a plain ``invoke boot`` never loads gdb's or the test runner's libraries).

The harness modules are byte-compiled like any package (invoke itself turns that off for
the tasks file); Python's own -B / PYTHONDONTWRITEBYTECODE still applies.

Once the last task has returned its status, the process ends with ``os._exit`` after the
atexit handlers ran: tearing down the interpreter's modules costs more than ringlab's own
work in ``invoke boot``, and every machine and gdb is already stopped (and reaped) by then.
A task that ends in a traceback leaves the status unset: Python exits the usual way.
"""
import atexit
import os
import shlex
import sys
from importlib import import_module
from pathlib import Path

from invoke import Exit, task

# This checkout's package (harness/ringlab) before any installed ringlab: the tasks build and
# boot the checkout they sit in.
sys.path.insert(0, str(Path(__file__).resolve().parent / "harness"))

from ringlab import cli
from ringlab.cli import options     # light: no machine, no gdb

_status = None      # the status of the task that returned last; None while one runs


def _fast_exit() -> None:
    if _status is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_status)


atexit.register(_fast_exit)     # registered first: runs after every other atexit handler

# invoke turns off writing bytecode (no tasks.pyc next to a project's tasks.py); the harness is
# a package like any other, and compiling it from source costs a boot more than ringlab's own
# work. Python's own setting (-B, PYTHONDONTWRITEBYTECODE) still decides.
sys.dont_write_bytecode = bool(sys.flags.dont_write_bytecode)


def _cli(module: str):
    global _status
    _status = None
    return import_module(f"ringlab.cli.{module}")


def _exit(code: int) -> None:
    global _status
    _status = code
    if code != 0:
        raise Exit(code=code)


def _seconds(timeout, tool):
    """``--timeout`` as seconds (None: the task's default); a bad value is one line, exit 2."""
    try:
        return options.optional_seconds(timeout)
    except options.BadConfig as err:
        _status_line(tool, str(err))


def _status_line(tool, message):
    global _status
    print(f"ringlab-{tool}: error: {message}", file=sys.stderr, flush=True)
    _status = 2
    raise Exit(code=2)


@task(help={"sanitize": "build the sanitizer kernel (UBSan, poisoned freed objects, refcount "
                        "and stack checks) into images/sanitize/ instead of images/kernel.elf; "
                        "RINGLAB_SANITIZE=1 boots it"})
def build(c, sanitize=False):
    """Build images/kernel.elf and images/user/* (incremental; checks tools first)."""
    _exit(_cli("build").main(**({"sanitize": True} if sanitize else {})))


@task(
    iterable=["file"],
    help={
        "init": "static x86-64 ELF to run as pid 1 (default images/user/init)",
        "append": "kernel arguments, e.g. trace=syscall",
        "timeout": f"seconds before the machine is stopped "
                   f"(default {cli.DEFAULT_BOOT_TIMEOUT_S:g}; a day with --shell or --gdb)",
        "dry-run": "print the QEMU command line (one line, shell-quoted) and exit",
        "file": "extra host file for the kernel's file system (repeatable)",
        "cpu": f"QEMU CPU model (default {cli.DEFAULT_CPU}: SMEP/SMAP/UMIP; "
               f"{cli.LEGACY_CPU}: none of them)",
        "int-log": "also write QEMU's -d int log: kept in a file named for this run "
                   "(images/qemu-int-DATE-TIME-PID.log; printed), or --int-log=PATH",
        "kernel": "multiboot kernel to boot instead of images/kernel.elf",
        "shell": "init runs its demonstration, then the shell on this terminal (or stdin)",
        "args": "init's arguments, shell-quoted, e.g. --init /bin/busybox --args sh "
                "(the console is then on this terminal or stdin)",
        "gdb": "start halted at the first instruction with a gdbstub; attach with `invoke gdb`",
        "accel": "tcg (default) or kvm: kvm only after a probe boot shows it runs ring 3 "
                 "right (else refused with the reason)",
        "user": "run init as UID[:GID] (GID defaults to UID): no supplementary groups, no "
                "capabilities, as Linux runs a normal user's program; default root",
        "record": "record the run into directory DIR (QEMU record/replay); then "
                  "`invoke gdb --replay DIR` steps backwards through it. Without DIR: "
                  "a new images/rec-DATE-TIME-PID",
        "from": "a failed test's artifacts folder: boot the machine its machine.json "
                "describes (its copies of files gone or changed since), with its stdin",
    },
    optional=["int_log", "record"],
)
def boot(c, init=None, append="", timeout=None, dry_run=False, file=None,
         cpu=None, int_log=False, kernel=None, shell=False, gdb=False, record=None, args=None,
         accel=None, user=None, from_=None):
    """Boot the kernel with an init, stream the console; exit with the machine status."""
    common = dict(init=init, append=append, timeout_s=_seconds(timeout, "boot"), files=file or (),
                  cpu=cpu, int_log=int_log, kernel=kernel, user=user)
    if record:
        also = [o for o, on in (("--gdb", gdb), ("--dry-run", dry_run), ("--shell", shell),
                                ("--from", from_)) if on]
        _exit(_cli("boot_debug").record(None if record is True else record, also=also,
                                        **common))
    elif gdb and not dry_run:
        _exit(_cli("boot_debug").gdb(**common))
    else:
        _exit(_cli("boot").main(dry_run=dry_run, shell=shell, gdb=gdb, args=args, accel=accel,
                                from_dir=from_, **common))


@task(
    iterable=["ex"],
    help={
        "target": "gdbstub to attach to (default: the machine `invoke boot --gdb` started)",
        "init": "user program whose symbols to load (default: that machine's init)",
        "ex": "gdb command to run after attaching (repeatable), e.g. --ex ring",
        "batch": "run the --ex commands and exit (gdb --batch)",
        "replay": "replay the recording in DIR (`invoke boot --record DIR`) halted, and attach: "
                  "reverse-stepi, reverse-to-ring and reverse-to work",
        "timeout": "with --replay: seconds before gdb and the replay are stopped (default: a "
                   "day)",
    },
)
def gdb(c, target=None, init=None, ex=None, batch=False, replay=None, timeout=None):
    """Attach gdb (kernel + init symbols, `ring` and `step-ring` loaded) to a halted machine."""
    if replay:
        timeout_s = _seconds(timeout, "gdb")
        _exit(_cli("gdb").replay(replay, ex=ex or (), batch=batch,
                                 **({"timeout_s": timeout_s} if timeout_s else {})))
    else:
        _exit(_cli("gdb").attach(target=target, init=init, ex=ex or (), batch=batch))


@task(
    help={
        "init": "static x86-64 ELF to run as pid 1 (default images/user/init)",
        "append": "kernel arguments",
        "timeout": "seconds for the whole traced run (default 120)",
        "json": "one JSON object per transition instead of the table",
        "no-check-log": "skip the comparison with QEMU's -d int log",
        "console": "also show the serial console (on stderr)",
    },
)
def trace(c, init=None, append="", timeout=None, json=False, no_check_log=False,
          console=False):
    """Timeline of every ring transition of a run, witnessed by gdb breakpoints; exits with
    the machine status, as invoke boot does."""
    timeout_s = _seconds(timeout, "trace")
    _exit(_cli("trace").main(init=init, append=append,
                             timeout_s=120.0 if timeout_s is None else timeout_s, as_json=json,
                             check_log=not no_check_log, show_console=console))


@task(help={"cpu": "one CPU model (qemu64 or max); default: both",
            "no-gdb": "leave gdb out (two witnesses: kernel event and QEMU log)",
            "verbose": "show the side-by-side table of every failing row"})
def faults(c, cpu=None, no_gdb=False, verbose=False):
    """Run the ring-3 fault catalogue, one boot per CPU model; show what each witness saw."""
    _exit(_cli("faults").main(cpu=cpu, gdb=not no_gdb, verbose=verbose))


@task(help={"minutes": "how long to fuzz (guest time; default 1)",
            "seed": "the fuzzer's seed (default 1)",
            "cpu": f"QEMU CPU model (default {cli.DEFAULT_CPU}; {cli.LEGACY_CPU}: no SMEP/SMAP/UMIP)",
            "workers": "processes fuzzing at once, 1-4 (default 2)",
            "kernel": "kernel to fuzz (default the sanitizer kernel, built first: it has kcov)",
            "no-reproduce": "on a finding, do not replay and minimize it",
            "repeat": "replays of a program per machine when reproducing (default 20)",
            "disable": "calls or call flags never drawn, past a known bug: CALL or "
                       "CALL:FLAG[|FLAG], comma-separated (clone:CLONE_VFORK,mremap)",
            "unreached": "also print the core files' lines no program reached, by function"})
def fuzz(c, minutes=None, seed=1, cpu=None, workers=2, kernel=None, no_reproduce=False, repeat=20,
         disable="", unreached=False):
    """Fuzz the kernel's system calls (userland/sfuzz.c, coverage-guided through kcov); a
    crash is replayed, minimized and printed as a C reproducer (exit 1); 0: no finding."""
    try:
        minutes = 1.0 if minutes is None else float(minutes)
    except ValueError:
        _status_line("fuzz", f"--minutes {minutes!r}: not a number")
    _exit(_cli("fuzz").main(minutes=minutes, seed=int(seed), cpu=cpu, workers=int(workers),
                            kernel=kernel, reproduce=not no_reproduce, repeat=int(repeat),
                            disable=disable, unreached=unreached))


@task(help={"k": "only tests matching this expression (pytest -k)",
            "coverage": "instead: the suite once on the sanitizer kernel, recording the kernel "
                        "code it reaches; then the report (as invoke coverage)"})
def test(c, k=None, coverage=False):
    """Run the whole test suite on every core (JUnit in ringlab-junit.xml) and, beside it, the
    boundary, memory, file, process, thread and signal tests again on the sanitizer kernel
    (JUnit in ringlab-junit-sanitizer.xml; its output printed after the suite's; skipped when
    -k or pytest options after `--` narrow the run).
    --coverage: the suite on the sanitizer kernel only, then the kernel coverage report
    (ringlab-artifacts/coverage/report.txt; JUnit in ringlab-junit-coverage.xml)."""
    args = [*(["-k", k] if k else []), *shlex.split(c.remainder)]
    _exit(_cli("coverage").with_suite(args) if coverage else _cli("test").whole(args))


@task(help={"dumps": "folder of coverage records (default ringlab-artifacts/coverage/dumps, "
                     "what invoke test --coverage fills)",
            "out": "folder for report.txt and html/ (default ringlab-artifacts/coverage)",
            "no-html": "no annotated source pages (html/)"})
def coverage(c, dumps=None, out=None, no_html=False):
    """The test suite's kernel coverage report, from the records of the last
    `invoke test --coverage` (or of tests run with RINGLAB_COVERAGE=DIR): per kernel file and
    function, the functions no test reaches; also in ringlab-artifacts/coverage/report.txt."""
    mod = _cli("coverage")
    _exit(mod.report(Path(dumps) if dumps else mod.DUMPS,
                     out=Path(out) if out else mod.OUT, html=not no_html))


@task(name="test-quick")
def test_quick(c):
    """Seconds: pytest -m "unit and not slow or quick": the unit tests (parsers, decoders,
    tables; no QEMU) but the slow ones (a subprocess of pytest or invoke), plus the few real
    boots marked quick; pytest options after `--`."""
    _exit(_cli("test").quick(shlex.split(c.remainder)))


@task(help={"tests": "the lab's folder: pytest runs there, with its configuration "
                     "(default examples/lab)",
            "json": "where the scores go (default grade.json in the lab's folder)"})
def grade(c, tests=None, json=None):
    """Run the points-marked tests in the lab's folder, print the score table (skipped tests
    apart), write JSON; exits 1 when a graded test failed (pytest options after `--`)."""
    _exit(_cli("grade").main(**({"tests": tests} if tests else {}), json_path=json,
                             args=shlex.split(c.remainder)))


@task(
    iterable=["file", "break_", "ex"], auto_shortflags=False,
    help={
        "init": "static x86-64 ELF to run as pid 1 (default images/user/init)",
        "append": "kernel arguments",
        "file": "extra host file for the kernel's file system (repeatable)",
        "cpu": "QEMU CPU model (as invoke boot)",
        "at-fault": "stop at the first exception's stub and show the faulting instruction, "
                    "its source line, the decoded error code and the CPL (ring-fault)",
        "break": "stop at this symbol, user or kernel (repeatable), e.g. --break write",
        "at-syscall": "stop at syscall_entry when this system call is made, e.g. write",
        "ex": "gdb command to run after the stop (repeatable), e.g. --ex step-ring",
        "batch": "run the commands and exit (gdb --batch)",
        "from": "a failed test's artifacts folder: boot what its machine.json says (its own "
                "copies of files gone or changed since), stop at the first fault",
        "kernel": "multiboot kernel to boot instead of images/kernel.elf",
        "timeout": "seconds before the machine is stopped (default: a day)",
    },
)
def debug(c, init=None, append="", file=None, cpu=None, at_fault=False, break_=None,
          at_syscall=None, ex=None, batch=False, from_=None, timeout=None, kernel=None):
    """Boot halted and open gdb on this terminal, stopped where asked (--at-fault, --break,
    --at-syscall)."""
    mod = _cli("debug")
    _exit(mod.main(init=init, append=append, files=file or (), cpu=cpu, at_fault=at_fault,
                   breaks=break_ or (), at_syscall=at_syscall, ex=ex or (), batch=batch,
                   from_dir=from_, timeout=timeout, kernel=kernel))


@task(iterable=["file"], help={
    "init": "static x86-64 ELF to run as pid 1 (default images/user/init)",
    "append": "kernel arguments",
    "file": "extra host file for the kernel's file system (repeatable)",
    "output": "where to write the ISO (default: a new images/ringlab-DATE-TIME-PID.iso)",
})
def iso(c, init=None, append="", file=None, output=None):
    """Build a GRUB rescue ISO of the same kernel and programs (boot it with -cdrom)."""
    _exit(_cli("iso").main(init=init, append=append, files=file or (), output=output))


@task(
    iterable=["point"],
    help={
        "init": "program to run as pid 1 (default images/user/gdb_ptpoints, which has labelled points)",
        "point": "symbol to stop and audit at (repeatable; default: every point of gdb_ptpoints)",
        "append": "kernel arguments (test.ukpage=1 plants a user-accessible kernel page)",
        "cpu": "QEMU CPU model (default: the harness's, see invoke boot --help)",
        "timeout": "seconds to wait for each stop (default 30)",
        "all-maps": "print the map of every address space, not only the current one",
    },
)
def pagetables(c, init=None, point=None, append="", cpu=None, timeout=30.0, all_maps=False):
    """Stop at points, walk the page tables from physical memory, print maps and violations."""
    _exit(_cli("pagetables").main(init=init, points=point or (), append=append, cpu=cpu,
                                  timeout_s=float(timeout), all_maps=all_maps))
