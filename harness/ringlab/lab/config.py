"""Lab layer, the configuration: how a boot is configured (the QemuConfig ``invoke boot``
starts, a program's standard input, the kernel arguments' tokens) and the ``invoke`` line that
boots a configuration again.

Pure functions of their arguments and of the built images (``user_programs`` lists
images/user/; ``boot_config`` checks kernel arguments against images/kabi.json); nothing here
starts QEMU (``ringlab.lab.session`` does). Errors are BadConfig (a value the kernel or QEMU
would refuse, said before anything starts) and BadImage (images/kabi.json missing).
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

from ..core import constants as C
from ..core.errors import BadConfig
from ..machine.description import Machine, boot_options, stdin_redirect
from ..machine.qemu import QemuConfig, check_kernel_args, is_default_kernel, parse_user


PathLike = Union[str, os.PathLike]
#: a program's standard input: the bytes, text (UTF-8), or a host file (a Path) to read
StdinLike = Union[bytes, str, os.PathLike]

#: the kernel argument that starts the console without echo (kernel/include/kargs.h)
NO_ECHO_KARG = ("console.echo", "0")


def stdin_bytes(stdin: StdinLike) -> bytes:
    """The bytes of a ``stdin=`` value: bytes as given, a str encoded as UTF-8, a Path (any
    os.PathLike) read from the host.

    Raises:
        BadConfig: the file cannot be read (its path and the OS error).
    """
    if isinstance(stdin, (bytes, bytearray, memoryview)):
        return bytes(stdin)
    if isinstance(stdin, str):
        return stdin.encode()
    try:
        return Path(stdin).read_bytes()
    except OSError as err:
        raise BadConfig(f"stdin {os.fspath(stdin)}: cannot read it: {err.strerror}") from None


def with_karg(append: str, key: str, value: str) -> str:
    """``append`` with ``key=value`` added, unless it gives ``key`` already."""
    if any(w.partition("=")[0] == key for w in append.split()):
        return append
    return " ".join(append.split() + [f"{key}={value}"])


def with_piped_stdin(config: QemuConfig) -> QemuConfig:
    """``config`` with the console's echo off (``console.echo=0``, for our kernel), as for a
    program whose stdin is a pipe: what it reads is not repeated on the console.

    Raises:
        BadConfig: the command line is then longer than the kernel keeps.
    """
    if not is_default_kernel(config.kernel):
        return config
    append = with_karg(config.append, *NO_ECHO_KARG)
    check_kernel_args(append, config.kernel)
    return config.replace(append=append)



def program(name: str) -> Path:
    """Path of a userland program built by ``make -C userland``."""
    return C.USER_IMAGES_DIR / name


def user_programs(directory: Path = C.USER_IMAGES_DIR,
                  exclude_prefixes: Sequence[str] = C.DEFAULT_FS_EXCLUDE_PREFIXES) -> List[Path]:
    """Every program ``make -C userland`` built (ELF files, sorted by name), for "/".

    Leaves out the dependency files and the probes named by ``exclude_prefixes`` (booted as
    init by their own tests).
    """
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []               # not built yet: init's own check then says so, with the hint
    found = []
    skip = tuple(exclude_prefixes)
    for e in entries:
        if e.name.startswith(skip) or not e.is_file():
            continue
        fd = os.open(e.path, os.O_RDONLY)
        try:
            if os.pread(fd, 4, 0) == b"\x7fELF":
                found.append(Path(e.path))
        finally:
            os.close(fd)
    return found


def with_init_args(append: str, *args: str) -> str:
    """``append`` with ``args`` added to the kernel's ``init.args=`` (comma list) token."""
    tokens = append.split()
    for i, tok in enumerate(tokens):
        if tok.startswith("init.args="):
            tokens[i] = ",".join([tok] + list(args)) if tok != "init.args=" else tok + ",".join(args)
            return " ".join(tokens)
    return " ".join(tokens + ["init.args=" + ",".join(args)])


TRACE_KEY = "trace"    # kernel argument: which event families to print (kernel/include/kargs.h)


def trace_kinds(append: str) -> Tuple[str, ...]:
    """The event families the ``trace=`` token of ``append`` asks for, in its order:
    ``"trace=syscall,signal init.args=x"`` -> ``("syscall", "signal")``; ``()`` without one."""
    for tok in append.split():
        key, _, value = tok.partition("=")
        if key == TRACE_KEY:
            return tuple(k for k in value.split(",") if k)
    return ()


def with_trace(append: str, *kinds: str) -> str:
    """``append`` asking the kernel also for the events of ``kinds`` (the words of the
    kernel's ``trace=`` set in images/kabi.json: ``"syscall"``, ``"mem"``, ``"signal"``),
    merged into its ``trace=`` token, since the kernel refuses a key given twice:
    ``with_trace("trace=syscall init.args=2", "signal")`` ->
    ``"trace=syscall,signal init.args=2"``; a kind already asked for is not repeated.

    Raises:
        BadConfig: a kind that is empty or holds a comma, ``=`` or white space. A word the
            kernel does not know is refused with the rest of the command line before QEMU
            starts (``check_append``, from the kernel ABI file).
    """
    for k in kinds:
        if not k or any(ch in k for ch in ",=") or any(ch.isspace() for ch in k):
            raise BadConfig(f"trace kind {k!r}: expected one word of the kernel's trace= set")
    tokens = append.split()
    have = trace_kinds(append)
    value = ",".join(have + tuple(dict.fromkeys(k for k in kinds if k not in have)))
    for i, tok in enumerate(tokens):
        if tok.partition("=")[0] == TRACE_KEY:
            tokens[i] = f"{TRACE_KEY}={value}"
            return " ".join(tokens)
    return " ".join(tokens + [f"{TRACE_KEY}={value}"]) if value else append


def with_init_argv(append: str, args: str) -> str:
    """``append`` with the words of ``args`` (shell-quoted) added to init's argv
    (``invoke boot --args``).

    Raises:
        BadConfig: a word is empty or holds a comma or white space (the kernel's
            ``init.args=`` token is a comma list inside a space-separated command line).
    """
    try:
        words = shlex.split(args)
    except ValueError as err:
        raise BadConfig(f"--args {args!r}: {err}") from None
    for w in words:
        if not w or "," in w or any(ch.isspace() for ch in w):
            raise BadConfig(f"--args: {w!r}: init's arguments cannot be empty or hold commas or "
                            "white space")
    return with_init_args(append, *words) if words else append


def invoke_args(cfg: Union[QemuConfig, Machine], *, timeout_s: Optional[float] = None,
                task: str = "boot") -> List[str]:
    """The ``invoke TASK`` options that boot ``cfg`` again (``--init``, ``--file``...), with
    absolute paths, and ``--timeout`` when ``timeout_s`` is not the default: the machine
    description's ``boot_options`` (one translation for every reproduce line), told which
    programs the default init gets in "/" by itself (not repeated)."""
    machine = cfg if isinstance(cfg, Machine) else Machine(cfg, timeout_s=timeout_s)
    if timeout_s is not None:
        machine = Machine(machine.config, stdin=machine.stdin, timeout_s=timeout_s,
                          copies=machine.copies)
    return boot_options(machine, task=task, implied=user_programs())


def invoke_line(cfg: Union[QemuConfig, Machine], *, task: str = "boot",
                extra: Sequence[str] = (), timeout_s: Optional[float] = None) -> str:
    """The shell line that runs ``invoke TASK`` on ``cfg`` again from any directory, e.g.
    ``cd /repo && .venv/bin/invoke boot --init /repo/images/user/hlt`` (with
    ``RINGLAB_SANITIZE=1`` in front when the sanitizer kernel is this process's kernel, and
    ``< FILE`` after it for a Machine whose programs read a file)."""
    env = [f"{C.SANITIZE_ENV}=1"] if C.SANITIZE else []
    redirect = stdin_redirect(cfg) if isinstance(cfg, Machine) and task == "boot" else ""
    return (f"cd {shlex.quote(str(C.REPO_ROOT))} && "
            + shlex.join(env + [".venv/bin/invoke", task]
                         + invoke_args(cfg, timeout_s=timeout_s, task=task) + list(extra))
            + redirect)


def boot_config(init: Optional[PathLike] = None, files: Sequence[PathLike] = (), *,
                shell: bool = False, append: str = "", kernel: Optional[PathLike] = None,
                cpu: Optional[str] = None, user: Union[None, str, int, Tuple[int, int]] = None,
                **config) -> QemuConfig:
    """The machine ``invoke boot`` starts (also ``invoke trace`` and ``--gdb``/``--record``).

    Args:
        init: pid 1 (default images/user/init). With the default init, "/" also holds every
            program of ``user_programs()`` (the demonstration and the shell run them); with
            another init it holds only ``files``.
        files: further host files for "/" (``--file``), named by their base names.
        shell: add ``init.args=--shell`` (init execs /sh after its demonstration).
        append: kernel arguments.
        kernel: the multiboot kernel (None: images/kernel.elf).
        cpu: QEMU's CPU model (None: DEFAULT_CPU).
        user: run init unprivileged: ``"UID[:GID]"`` (``invoke boot --user``), a uid (gid the
            same) or ``(uid, gid)``; None: root.
        config: further QemuConfig fields (int_log, ...).

    Raises:
        BadConfig: an ``append`` argument the kernel would refuse (its ABI file's keys and
            their grammars); a bad ``user``.
        BadImage: images/kabi.json missing (for images/kernel.elf).
    """
    extra: List[Path] = []
    if init is None:
        init = C.DEFAULT_INIT
        names = {Path(f).name for f in files}
        extra = [p for p in user_programs() if p.name != init.name and p.name not in names]
    if shell:
        append = with_init_args(append, C.SHELL_INIT_ARG)
    if kernel:
        config["kernel"] = Path(kernel)
    if cpu:
        config["cpu"] = cpu
    if user is not None:
        config["user"] = user_ids(user)
    cfg = QemuConfig(init=Path(init), files=extra + [Path(f) for f in files], append=append,
                     **config)
    if is_default_kernel(cfg.kernel):
        check_kernel_args(append, cfg.kernel)   # the kernel would panic: say it first
    return cfg


def user_ids(user: Union[str, int, Tuple[int, int]]) -> Tuple[int, int]:
    """``(uid, gid)`` from ``"UID[:GID]"``, a uid (the gid the same) or a pair.

    Raises:
        BadConfig: not ids in 0..2**32-2.
    """
    def is_int(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)
    if isinstance(user, str):
        return parse_user(user)
    if is_int(user):
        return parse_user(str(user))
    if isinstance(user, tuple) and len(user) == 2 and all(is_int(v) for v in user):
        return parse_user(f"{user[0]}:{user[1]}")
    raise BadConfig(f"user {user!r}: expected \"UID[:GID]\", a uid or (uid, gid)")


def shell_config(files: Sequence[Path] = (), append: str = "", **config) -> QemuConfig:
    """The default init with every program in "/" and ``--shell``: a shell on the console."""
    return boot_config(None, files, shell=True, append=append, **config)
