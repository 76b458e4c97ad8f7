"""invoke tasks: ``invoke build``, ``invoke boot``, ``invoke gdb``, ``invoke trace``,
``invoke test``, ``invoke test-quick``.

Thin on purpose: every task maps its options onto harness.cli, where the logic lives.
"""
from invoke import Exit, task

from harness import cli
from harness import constants as C


def _exit(code: int) -> None:
    if code != 0:
        raise Exit(code=code)


@task
def build(c):
    """Build images/kernel.elf and images/user/* (incremental; checks tools first)."""
    _exit(cli.build())


@task(
    iterable=["file"],
    help={
        "init": "static x86-64 ELF to run as pid 1 (default images/user/init)",
        "append": "kernel arguments, e.g. trace=syscall",
        "timeout": f"seconds before the machine is stopped (default {C.DEFAULT_BOOT_TIMEOUT_S:g}; "
                   "a day with --shell)",
        "dry-run": "print the QEMU command line (one line, shell-quoted) and exit",
        "file": "extra host file for the kernel's file system (repeatable; issue 3)",
        "cpu": f"QEMU CPU model (default {C.DEFAULT_CPU}; 'max' for SMEP/SMAP/UMIP)",
        "int-log": "also write QEMU's -d int log (to images/qemu.log with --dry-run)",
        "kernel": "multiboot kernel to boot instead of images/kernel.elf",
        "shell": "init runs its demonstration, then the shell on this terminal (or stdin)",
        "gdb": "start halted at the first instruction with a gdbstub; attach with `invoke gdb`",
        "record": "record the run into directory DIR (QEMU record/replay); then "
                  "`invoke gdb --replay DIR` steps backwards through it",
    },
)
def boot(c, init=None, append="", timeout=None, dry_run=False, file=None,
         cpu=None, int_log=False, kernel=None, shell=False, gdb=False, record=None):
    """Boot the kernel with an init, stream the console; exit with the machine status."""
    if record:
        from harness import replay as replay_mod
        _exit(replay_mod.record_cli(record, init=init, append=append,
                                    timeout_s=float(timeout) if timeout is not None else None,
                                    files=file or (), cpu=cpu, kernel=kernel, int_log=int_log,
                                    also=[o for o, on in (("--gdb", gdb), ("--dry-run", dry_run),
                                                          ("--shell", shell)) if on]))
        return
    if gdb and not dry_run:
        from harness import gdb as gdb_mod
        _exit(gdb_mod.boot_cli(init=init, append=append,
                               timeout_s=float(timeout) if timeout is not None else None,
                               files=file or (), cpu=cpu, int_log=int_log, kernel=kernel))
        return
    _exit(cli.boot(init=init, append=append,
                   timeout_s=float(timeout) if timeout is not None else None, dry_run=dry_run,
                   files=file or (), cpu=cpu, int_log=int_log, kernel=kernel, shell=shell,
                   gdb=gdb))


@task(
    iterable=["ex"],
    help={
        "target": "gdbstub to attach to (default: the machine `invoke boot --gdb` started)",
        "init": "user program whose symbols to load (default: that machine's init)",
        "ex": "gdb command to run after attaching (repeatable), e.g. --ex ring",
        "batch": "run the --ex commands and exit (gdb --batch)",
        "replay": "replay the recording in DIR (`invoke boot --record DIR`) halted, and attach: "
                  "reverse-stepi and reverse-continue work",
    },
)
def gdb(c, target=None, init=None, ex=None, batch=False, replay=None):
    """Attach gdb (kernel + init symbols, `ring` and `step-ring` loaded) to a halted machine."""
    if replay:
        from harness import replay as replay_mod
        _exit(replay_mod.replay_cli(replay, ex=ex or (), batch=batch))
        return
    from harness import gdb as gdb_mod
    _exit(gdb_mod.attach_cli(target=target, init=init, ex=ex or (), batch=batch))


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
def trace(c, init=None, append="", timeout=120.0, json=False, no_check_log=False,
          console=False):
    """Timeline of every ring transition of a run, witnessed by gdb breakpoints."""
    from harness import trace as trace_mod
    _exit(trace_mod.main(init=init, append=append, timeout_s=float(timeout), as_json=json,
                         check_log=not no_check_log, show_console=console))


@task(help={"cpu": "one CPU model (qemu64 or max); default: both",
            "no-gdb": "leave gdb out (two witnesses: kernel event and QEMU log)",
            "verbose": "show the side-by-side table of every failing row"})
def faults(c, cpu=None, no_gdb=False, verbose=False):
    """Run the ring-3 fault catalogue, one boot per CPU model; show what each witness saw."""
    _exit(cli.faults(cpu=cpu, gdb=not no_gdb, verbose=verbose))


@task(help={"k": "only tests matching this expression (pytest -k)"})
def test(c, k=None):
    """Run the whole test suite (unit tests and real-QEMU boot tests)."""
    _exit(cli.pytest(["-k", k] if k else []))


@task(name="test-quick")
def test_quick(c):
    """Unit tests plus one real boot: seconds."""
    _exit(cli.pytest(["-m", "unit or quick"]))


@task(
    iterable=["point"],
    help={
        "init": "program to run as pid 1 (default images/user/ptpoints, which has labelled points)",
        "point": "symbol to stop and audit at (repeatable; default: every point of ptpoints)",
        "append": "kernel arguments (e.g. test.ukpage=1 plants a violation)",
        "cpu": f"QEMU CPU model (default {C.DEFAULT_CPU})",
        "timeout": "seconds to wait for each stop (default 30)",
        "all-maps": "print the map of every address space, not only the current one",
    },
)
def pagetables(c, init=None, point=None, append="", cpu=None, timeout=30.0, all_maps=False):
    """Stop at points, walk the page tables from physical memory, print maps and violations."""
    from harness import ptaudit
    _exit(ptaudit.main(init=init, points=point or (), append=append, cpu=cpu,
                       timeout_s=float(timeout), all_maps=all_maps))
