"""invoke tasks: ``invoke build``, ``invoke boot``, ``invoke test``, ``invoke test-quick``.

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
    },
)
def boot(c, init=None, append="", timeout=None, dry_run=False, file=None,
         cpu=None, int_log=False, kernel=None, shell=False):
    """Boot the kernel with an init, stream the console; exit with the machine status."""
    _exit(cli.boot(init=init, append=append,
                   timeout_s=float(timeout) if timeout is not None else None, dry_run=dry_run,
                   files=file or (), cpu=cpu, int_log=int_log, kernel=kernel, shell=shell))


@task(help={"k": "only tests matching this expression (pytest -k)"})
def test(c, k=None):
    """Run the whole test suite (unit tests and real-QEMU boot tests)."""
    _exit(cli.pytest(["-k", k] if k else []))


@task(name="test-quick")
def test_quick(c):
    """Unit tests plus one real boot: seconds."""
    _exit(cli.pytest(["-m", "unit or quick"]))
