"""One QEMU process: its command line, temp directory, start, stop, exit status and logs.

This layer knows nothing about what the guest prints: ``console.Console`` reads the serial
line, ``lab`` decides what a run means. A machine is a context manager::

    with QemuMachine(QemuConfig(init=Path("images/user/ret42"))) as m:
        console = Console(m.console_io)
        ...

Every QEMU started here is stopped (SIGTERM, then SIGKILL), reaped and its temp directory
removed when the machine is stopped, when the ``with`` block ends (pass, fail or Ctrl-C), at
interpreter exit, or - if the harness itself is killed - by the kernel: QEMU runs with
PR_SET_PDEATHSIG (``procs.dying_with_parent``: SIGKILL when the harness dies).
"""
from __future__ import annotations

import dataclasses
import errno
import logging
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import pexpect
from pexpect.fdpexpect import fdspawn

from ..core import constants as C
from ..core import kabi, procs, tools
from ..core.errors import BadConfig, BadImage, QemuStopError
from . import cover, elfimage

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class Module:
    """A multiboot module: a host file the kernel sees under ``name``."""

    path: Path
    name: str

    @classmethod
    def of(cls, item: Union["Module", PathLike]) -> "Module":
        if isinstance(item, Module):
            return item
        p = Path(item)
        return cls(p, p.name)

    def initrd_entry(self) -> str:
        """``"PATH NAME"`` as QEMU's ``-initrd`` takes it (docs/harness.md, The QEMU command
        line)."""
        return f"{os.path.abspath(self.path)} {self.name}"


RR_LOG = "rr.bin"                  # QEMU's record/replay input log, in the recording's folder
RR_DISK = "rr.qcow2"               # the drive that holds the start snapshot
RR_DRIVE_ID = "rr"
RR_SNAPSHOT = "init"


@dataclass(frozen=True)
class RecordReplay:
    """QEMU's record/replay of a run (docs/qemu-facts.md): ``mode`` ``"record"`` or
    ``"replay"``, the input log and the snapshot drive kept in ``directory``
    (ringlab.debug.replay makes and reads such a folder)."""

    mode: str
    directory: Path

    def args(self) -> List[str]:
        """The QEMU options.

        ``-global apic-common.vapic=off``: no ``kvmvapic`` device (a TPR-patching helper for
        old 32-bit Windows guests that QEMU adds to every local APIC, TCG too). Its reset runs
        a function on the vCPU thread (``run_on_cpu``) and waits for it, and QEMU 7.2 resets
        the machine at every snapshot load (``loadvm``, ``reverse-stepi``,
        ``reverse-continue``) from the main loop, which holds the record/replay mutex. A vCPU
        thread still busy from the last breakpoint change waits for that mutex before it
        takes work: both wait forever. Seen (gdb attached to the stuck QEMU): main thread in
        load_snapshot -> qemu_system_reset -> ... -> do_run_on_cpu, vCPU thread in
        replay_mutex_lock; 6 of about 300 walkthroughs next to the whole suite. Without the
        device no reset waits on the vCPU.
        """
        d = Path(self.directory).resolve()
        return ["-icount", f"shift=auto,rr={self.mode},rrfile={d / RR_LOG},"
                           f"rrsnapshot={RR_SNAPSHOT}",
                "-drive", f"file={d / RR_DISK},if=none,id={RR_DRIVE_ID}",
                "-global", "apic-common.vapic=off"]


@dataclass
class QemuConfig:
    """Everything that decides the QEMU command line.

    Attributes:
        kernel: the kernel ELF64 (multiboot a.out kludge) QEMU boots with ``-kernel``.
        init: the static ELF the kernel runs as pid 1 (the first multiboot module).
        files: further modules (``--file``): paths or ``Module(path, name)``.
        append: kernel arguments (``-append``), e.g. ``"trace=syscall"``.
        cpu: QEMU CPU model (default ``max``: SMEP, SMAP, UMIP, NX; ``qemu64``: NX only).
        memory: guest RAM (``-m``).
        int_log: also log every interrupt/exception (``-d int``) into the machine's log.
        reset_log: log CPU resets (``-d cpu_reset``), cheap, names a triple fault.
        gdb: open a gdbstub on a unix socket in the machine's temp dir and start halted (``-S``).
        accel: ``-accel`` value (None: QEMU's default, TCG; docs/qemu-facts.md, KVM here).
        user: run init as ``(uid, gid)`` instead of root (the kernel arguments
            ``init.uid=``/``init.gid=``: no supplementary groups, no capabilities; see
            ``parse_user``). None: root.
        cdrom: boot this ISO (``invoke iso``: GRUB with the same kernel and files) instead of
            ``-kernel``/``-initrd``/``-append``.
        record_replay: record the run, or replay a recording (``RecordReplay``); None: neither.
        extra_args: appended verbatim.

    ``machine.description.Machine`` serialises it (machine.json): a new field goes there too.
    """

    kernel: Path = C.KERNEL_IMAGE
    init: Path = C.DEFAULT_INIT
    files: Sequence[Union[Module, PathLike]] = ()
    append: str = ""
    cpu: str = C.DEFAULT_CPU
    memory: str = C.DEFAULT_MEMORY
    int_log: bool = False
    reset_log: bool = True
    gdb: bool = False
    accel: Optional[str] = None
    user: Optional[Tuple[int, int]] = None
    cdrom: Optional[Path] = None
    record_replay: Optional[RecordReplay] = None
    extra_args: Sequence[str] = ()

    def replace(self, **changes) -> "QemuConfig":
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def kernel_append(self) -> str:
        """The kernel's command line: ``append`` plus ``init.uid=U init.gid=G`` for ``user``."""
        if self.user is None:
            return self.append
        uid, gid = self.user
        return " ".join(self.append.split() + [f"{USER_UID_KEY}={uid}", f"{USER_GID_KEY}={gid}"])

    def modules(self) -> List[Module]:
        """init first (pid 1), then every extra file."""
        return [Module.of(Path(self.init))] + [Module.of(f) for f in self.files]

    def validate(self) -> None:
        """Check the images and module files before QEMU starts (what QEMU or the kernel would
        refuse less clearly: QEMU with a page of its own error output, the kernel by stopping).

        Raises:
            BadImage: the kernel is not an x86-64 ELF64, or init is not a static x86-64 ELF;
                images/kabi.json missing (for images/kernel.elf: it sets the module limit).
            KabiError: the kernel ABI file does not state the limit.
            BadConfig: a module path or name QEMU's ``-initrd`` syntax cannot carry; a module
                that is not a readable regular file; two modules under one name in "/", or a
                name too long for it (our kernel); modules
                larger together than the guest's memory; more modules than the kernel takes. A
                ``user`` out of range or also given as ``init.uid=``/``init.gid=`` in append.
        """
        if self.user is not None:
            check_user(self.user, self.append)
        elfimage.check_elf64(self.kernel)
        modules = self.modules()
        sizes = [_module_size(mod, init=i == 0) for i, mod in enumerate(modules)]
        check_fits_memory(modules, sizes, self.memory)
        elfimage.check_static_x86_64(self.init)
        name_max = None
        if is_default_kernel(self.kernel):
            k = kabi.load()
            limit = k.const("NFSFILE")    # our kernel's file system: one per module
            if len(modules) > limit:
                raise BadConfig(f"{len(modules)} files (init included) but the kernel "
                                f"takes at most {limit} multiboot modules (more panic it)")
            name_max = k.constants.get("FS_NAME_MAX")
        placed = {}
        for i, mod in enumerate(modules):
            full = os.path.abspath(mod.path)
            for bad, what in ((",", "a comma"), (" ", "a space")):
                if bad in full:
                    raise BadConfig(f"{full}: the path contains {what}, which QEMU's -initrd "
                                    "list cannot carry; copy or link the file elsewhere")
                if bad in mod.name:
                    raise BadConfig(f"module name {mod.name!r} contains {what}")
            if name_max is not None and len(mod.name.encode()) > name_max:
                raise BadConfig(f"{_module_role(i, mod)}: its name is {len(mod.name.encode())} "
                                f"bytes, a name in / at most {name_max}")
            if mod.name in placed:
                first = placed[mod.name]
                raise BadConfig(f"/{mod.name} placed twice ({_module_role(first[0], first[1])} "
                                f"and {_module_role(i, mod)}): one file per name in /")
            placed[mod.name] = (i, mod)
            try:
                with open(full, "rb") as fh:
                    fh.read(1)
            except OSError as err:
                raise BadConfig(f"{mod.path}: cannot read it: {err.strerror}") from None
        check_cpu(self.cpu)

    def initrd_arg(self) -> str:
        return ",".join(m.initrd_entry() for m in self.modules())

    def debug_flags(self) -> List[str]:
        flags = []
        if self.int_log:
            flags.append("int")
        if self.reset_log or self.int_log:
            flags.append("cpu_reset")
        return flags

    def command(self, *, log_file: Optional[Path] = None,
                gdb_socket: Optional[Path] = None,
                qmp_socket: Optional[Path] = None,
                cover_file: Optional[Path] = None) -> List[str]:
        """The QEMU argv (docs/harness.md, The QEMU command line).

        Args:
            log_file: where ``-d`` writes (``-D``); without it no ``-d`` option is given.
            gdb_socket: unix socket for the gdbstub; only used when ``self.gdb``.
            qmp_socket: unix socket for QMP (the harness reads where a timed-out guest is).
            cover_file: where the coverage kernel's record goes (``cover.dump_file``): an
                isa-debugcon device at the kernel's COVER_PORT writing to it; None: no
                such device.

        Raises:
            BadImage, KabiError: our kernel without a readable images/kabi.json
                (``device_ports``).
        """
        ports = device_ports(self.kernel)
        cmd = [C.QEMU_BINARY,
               "-machine", C.DEFAULT_MACHINE, "-cpu", self.cpu, "-m", self.memory,
               "-nodefaults", "-display", "none", "-no-reboot",
               "-device", f"isa-debug-exit,iobase={ports.debug_exit:#x},"
                          f"iosize={C.DEBUG_EXIT_IOSIZE:#04x}",
               # signal=off: a Ctrl-C on the console is the guest's (SIGINT), not QEMU's exit
               "-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
               "-monitor", "none"]
        if self.accel:
            cmd += ["-accel", self.accel]
        if self.cdrom is not None:
            cmd += ["-cdrom", str(Path(self.cdrom).resolve()), "-boot", "d"]
        else:
            cmd += ["-bios", C.KERNEL_BIOS, "-kernel", str(Path(self.kernel).resolve()),
                    "-initrd", self.initrd_arg()]
            if self.kernel_append():
                cmd += ["-append", self.kernel_append()]
        flags = self.debug_flags()
        if flags and log_file is not None:
            cmd += ["-d", ",".join(flags), "-D", str(log_file)]
        if self.gdb and gdb_socket is not None:
            cmd += ["-gdb", f"unix:{gdb_socket},server,nowait", "-S"]
        if qmp_socket is not None:
            cmd += ["-qmp", f"unix:{qmp_socket},server=on,wait=off"]
        if cover_file is not None:
            cmd += ["-chardev", f"file,id=cover,path={cover_file}",
                    "-device", f"isa-debugcon,iobase={ports.cover:#x},chardev=cover"]
        if self.record_replay is not None:
            cmd += self.record_replay.args()
        cmd += list(self.extra_args)
        return cmd


def _module_role(index: int, mod: Module) -> str:
    """``--init PATH`` for the first module, ``--file PATH`` for the others (messages)."""
    return f"{'--init' if index == 0 else '--file'} {mod.path}"


def _module_size(mod: Module, *, init: bool) -> int:
    """The size in bytes of a module's file.

    Raises:
        BadImage: init missing or not a regular file (the CLI adds the build hint).
        BadConfig: another file missing, a directory, or not a regular file.
    """
    try:
        st = os.stat(mod.path)
    except OSError as err:
        if init:
            raise BadImage(str(mod.path), "no such file") from None
        raise BadConfig(f"{mod.path}: no such file" if err.errno == errno.ENOENT
                        else f"{mod.path}: {err.strerror}") from None
    if stat.S_ISREG(st.st_mode):
        return st.st_size
    if init:
        raise BadImage(str(mod.path), "not a regular file")
    if stat.S_ISDIR(st.st_mode):
        raise BadConfig(f"{mod.path}: a directory (--file takes files; give each file of it)")
    raise BadConfig(f"{mod.path}: not a regular file")


MODULE_ALIGN = 4096     # QEMU's multiboot loader starts each module on a page (hw/i386/multiboot.c)
_MEMORY_RE = re.compile(r"(?:size=)?(\d+(?:\.\d+)?)([KMGT]?)(?:i?B)?\Z", re.IGNORECASE)
_MEMORY_UNITS = {"": 1 << 20, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def memory_bytes(memory: str) -> Optional[int]:
    """QEMU's ``-m`` value in bytes (``"128M"`` -> 134217728; a bare number is MiB, as QEMU
    reads it); None for a form this does not read (QEMU judges it then)."""
    m = _MEMORY_RE.match(memory.strip())
    if not m:
        return None
    return int(float(m.group(1)) * _MEMORY_UNITS[m.group(2).upper()])


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def check_fits_memory(modules: Sequence[Module], sizes: Sequence[int], memory: str) -> None:
    """Refuse modules that together (each rounded up to a page, as the multiboot loader
    places them) exceed the guest's memory: QEMU would drop what does not fit, or fail with
    a page of output. Modules that fit but leave the kernel too little are the kernel's to
    report (its ``no-memory`` event: how much it needs).

    Raises:
        BadConfig: one line with the sizes.
    """
    limit = memory_bytes(memory)
    page = MODULE_ALIGN
    total = sum((n + page - 1) // page * page for n in sizes)
    if limit is None or total <= limit:
        return
    largest = max(range(len(sizes)), key=lambda i: sizes[i])
    raise BadConfig(f"the files for / take {_mib(total)} (the largest, "
                    f"{_module_role(largest, modules[largest])}, {_mib(sizes[largest])}) but "
                    f"the guest has {_mib(limit)} of memory (-m {memory})")


def is_default_kernel(kernel: PathLike) -> bool:
    """True if ``kernel`` is images/kernel.elf (ours: its ABI file states its limits)."""
    return os.path.realpath(kernel) == os.path.realpath(C.KERNEL_IMAGE)


@dataclass(frozen=True)
class DevicePorts:
    """The I/O ports of the devices QEMU gives a kernel to talk to the harness.

    Attributes:
        debug_exit: isa-debug-exit's iobase: the kernel writes its machine status there.
        cover: isa-debugcon's iobase: the coverage kernel streams its code sites there.
    """

    debug_exit: int
    cover: int


def device_ports(kernel: Optional[PathLike]) -> DevicePorts:
    """Where QEMU puts the devices for ``kernel``: our kernel's ports from its ABI file
    (images/kabi.json: DEBUG_EXIT_PORT, COVER_PORT, the values its headers use); for any other
    kernel (a tiny test kernel, a user's), the harness's ports C.DEBUG_EXIT_IOBASE and
    C.COVER_IOBASE, which tests/test_kabi.py holds equal to ours.

    Raises:
        BadImage, KabiError: our kernel without a readable ABI file, or one lacking a port.
    """
    if kernel is not None and is_default_kernel(kernel):
        k = kabi.load()
        return DevicePorts(k.const("DEBUG_EXIT_PORT"), k.const("COVER_PORT"))
    return DevicePorts(C.DEBUG_EXIT_IOBASE, C.COVER_IOBASE)


USER_UID_KEY = "init.uid"        # kernel argument: init's uid (kernel/include/kargs.h)
USER_GID_KEY = "init.gid"        # kernel argument: init's gid
MAX_ID = 2**32 - 2               # the largest uid/gid: (uid_t)-1 is no id (Linux)


def parse_user(text: str) -> Tuple[int, int]:
    """``UID[:GID]`` (decimal; GID defaults to UID), as ``invoke boot --user`` takes it.

    Returns:
        (uid, gid).

    Raises:
        BadConfig: not two decimal numbers in 0..MAX_ID.
    """
    m = re.fullmatch(r"(\d+)(?::(\d+))?", text.strip())
    if not m:
        raise BadConfig(f"--user {text!r}: expected UID or UID:GID (decimal numbers)")
    uid = int(m.group(1))
    gid = int(m.group(2)) if m.group(2) is not None else uid
    check_user((uid, gid), "")
    return uid, gid


def check_user(user: Tuple[int, int], append: str) -> None:
    """Refuse a uid/gid the kernel would refuse (it would panic), or one also in ``append``.

    Raises:
        BadConfig: naming the value.
    """
    for what, v in zip(("uid", "gid"), user):
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_ID:
            raise BadConfig(f"--user: {what} {v!r} is not in 0..{MAX_ID}")
    for word in append.split():
        if word.split("=", 1)[0] in (USER_UID_KEY, USER_GID_KEY):
            raise BadConfig(f"--user and --append {word}: give init's ids once")


def check_append(append: str, keys: Mapping[str, str], *, value_max: Optional[int] = None,
                 cmdline_max: Optional[int] = None, kernel: Optional[PathLike] = None) -> None:
    """Refuse the kernel arguments the kernel would refuse (it would panic at boot), by the
    rules of kernel/include/kargs.h: space-separated ``key=value`` tokens, each key known and
    given once, each value as its key's grammar says and shorter than ``value_max``, the
    whole command line (QEMU's -kernel puts the kernel's path first) shorter than
    ``cmdline_max``.

    Args:
        append: the kernel arguments (``-append``).
        keys: key -> grammar (``Kabi.kargs``: images/kabi.json); a grammar of ``""`` (an ABI
            file from before grammars) accepts any value.
        value_max, cmdline_max: the kernel's buffers, NUL included (KARGS_VALUE_MAX,
            KARGS_CMDLINE_MAX); None: not checked.
        kernel: the kernel's path, for the command line's length.

    Raises:
        BadConfig: one line naming the argument, the kernel's reason and what the key takes.
    """
    seen = set()
    for word in append.split():
        key, eq, value = word.partition("=")
        if not eq:
            raise BadConfig(f"--append {word}: not key=value (the kernel takes "
                            f"{', '.join(sorted(keys))}, each as key=value)")
        if key not in keys:
            raise BadConfig(f"--append {word}: the kernel accepts no key {key!r} "
                            f"(it takes {', '.join(sorted(keys))})")
        if key in seen:
            raise BadConfig(f"--append {word}: {key} given twice (the kernel takes each key once)")
        seen.add(key)
        if value_max is not None and len(value.encode()) >= value_max:
            raise BadConfig(f"--append {key}=...: the value is {len(value.encode())} bytes, the "
                            f"kernel takes at most {value_max - 1}")
        if keys[key]:
            grammar = kabi.KargGrammar.parse(keys[key])
            why = grammar.refusal(value)
            if why:
                raise BadConfig(f"--append {word}: the kernel refuses it ({why}: {key} takes "
                                f"{grammar.describe()})")
    if cmdline_max is not None and append.split():
        line = f"{os.path.abspath(kernel) if kernel else ''} {append}"
        if len(line.encode()) >= cmdline_max:
            raise BadConfig(f"--append: the kernel command line (the kernel's path and the "
                            f"arguments) is {len(line.encode())} bytes, the kernel keeps at most "
                            f"{cmdline_max - 1}")


def check_kernel_args(append: str, kernel: PathLike = C.KERNEL_IMAGE) -> None:
    """``check_append`` with images/kabi.json's keys, grammars and limits (for our kernel).

    Raises:
        BadConfig: an argument the kernel would refuse.
        BadImage, KabiError: no readable kabi.json.
    """
    k = kabi.load()
    check_append(append, k.kargs, value_max=k.constants.get("KARGS_VALUE_MAX"),
                 cmdline_max=k.constants.get("KARGS_CMDLINE_MAX"), kernel=kernel)


_cpu_models: List[str] = []


def cpu_models() -> List[str]:
    """QEMU's CPU model names (``qemu-system-x86_64 -cpu help``), read once per process."""
    if not _cpu_models:
        out = subprocess.run([C.QEMU_BINARY, "-cpu", "help"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL).stdout
        _cpu_models.extend(m.group(1) for m in re.finditer(r"^x86 (\S+)", out, re.M))
    return _cpu_models


def check_cpu(cpu: str) -> None:
    """Refuse a CPU model QEMU does not know (before QEMU starts).

    Raises:
        BadConfig: naming a few models it knows.
    """
    if cpu in (C.DEFAULT_CPU, C.LEGACY_CPU):
        return
    models = cpu_models()
    if models and cpu not in models:
        raise BadConfig(f"--cpu {cpu}: not a CPU model this QEMU knows "
                        f"(e.g. {C.DEFAULT_CPU}, {C.LEGACY_CPU}, host; "
                        f"qemu-system-x86_64 -cpu help lists {len(models)})")


def dry_run_command(config: QemuConfig, *, log_file: Optional[Path] = None) -> str:
    """The one-line, shell-quoted command ``invoke boot --dry-run`` prints.

    It boots the same machine when run by hand: it names no temp file (the ``-d`` log is
    left out unless the interrupt log was asked for, which then goes to ``log_file``, named
    per run by the caller; with ``gdb`` the gdbstub socket is images/gdb.sock and the
    machine starts halted; in RINGLAB_RUNTIME_DIR instead of images/ when that is set).
    """
    log_file = log_file if config.int_log else None
    gdb_socket = C.RUNTIME_DIR / "gdb.sock" if config.gdb else None
    return shlex.join(config.command(log_file=log_file, gdb_socket=gdb_socket))


# ---------------------------------------------------------------------------------------------
# Process bookkeeping: every live machine, so none outlives the harness.

_machines: "procs.Registry[QemuMachine]" = procs.Registry("stop")
_safety_installed = False


def started_pids() -> List[int]:
    """PIDs of every QEMU this interpreter started (tests check none survives)."""
    return _machines.started_pids()


def stop_all() -> None:
    """Stop every live machine (atexit and signal handlers call this)."""
    _machines.close_all()


def _terminate_handler(signum, frame):
    stop_all()
    raise SystemExit(128 + signum)


def _install_safety() -> None:
    """SIGTERM/SIGHUP handlers (only where nobody installed one already); the registry
    stops every machine at exit."""
    global _safety_installed
    if _safety_installed:
        return
    _safety_installed = True
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _terminate_handler)


TMPDIR_PREFIX = "ringlab-"


def _sweep_stale_tmpdirs() -> None:
    """Remove temp dirs left by harness processes that no longer exist (SIGKILLed ones).

    Machine temp dirs are named ``ringlab-<harness pid>-XXXX``; a dir whose pid is gone
    cannot be in use.
    """
    for d in Path(tempfile.gettempdir()).glob(TMPDIR_PREFIX + "*-*"):
        pid = d.name[len(TMPDIR_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except PermissionError:  # alive, another user's
            pass


_wait_pid_exit = procs.wait_pid_exit


class PtyConsole(fdspawn):
    """pexpect on the harness's end of QEMU's console pty (``fdspawn`` on the master fd).

    Once QEMU has exited, Linux reports the closed pty as EIO on the master rather than as
    an empty read; that is the console's end of file (``pexpect.EOF``) here, as pexpect's own
    pty spawn treats it. pexpect's 0.1 ms sleep after every read (to yield the GIL) is off:
    a boot reads the console hundreds of times, and each sleep costs a scheduler round on a
    loaded host.
    """

    def __init__(self, fd: int) -> None:
        super().__init__(fd, encoding="utf-8", codec_errors="replace", timeout=None)
        self.delayafterread = None

    def read_nonblocking(self, size: int = 1, timeout: Optional[float] = -1) -> str:
        try:
            return super().read_nonblocking(size, timeout)
        except OSError as err:
            if err.errno != errno.EIO:
                raise
            self.flag_eof = True
            raise pexpect.EOF("QEMU closed its console") from None


class QemuMachine:
    """One QEMU process with its own temp directory.

    Args:
        config: what to boot.
        keep_tmpdir: leave the temp dir (logs) in place after stop, for debugging.
    """

    def __init__(self, config: QemuConfig, *, keep_tmpdir: bool = False) -> None:
        self.config = config
        self.keep_tmpdir = keep_tmpdir
        self.tmpdir: Optional[Path] = None
        self.command: List[str] = []
        self.process: Optional[subprocess.Popen] = None        # QEMU (through setpriv)
        self.console_io: Optional[PtyConsole] = None          # its serial console
        self.exit_code: Optional[int] = None       # QEMU's exit status, if it exited
        self.term_signal: Optional[int] = None     # signal that ended QEMU, if any
        self.stopped_by_harness = False
        self._log_text: Optional[str] = None
        self._stderr_text: Optional[str] = None
        self._reaped = False

    def __repr__(self) -> str:
        pid = self.process.pid if self.process else None
        return f"<QemuMachine pid={pid} tmpdir={self.tmpdir}>"

    # -- paths -------------------------------------------------------------------------------
    @property
    def log_path(self) -> Optional[Path]:
        return self.tmpdir / "qemu.log" if self.tmpdir else None

    @property
    def stderr_path(self) -> Optional[Path]:
        return self.tmpdir / "qemu.stderr" if self.tmpdir else None

    @property
    def qmp_socket(self) -> Optional[Path]:
        return self.tmpdir / "qmp.sock" if self.tmpdir else None

    @property
    def gdb_socket(self) -> Optional[Path]:
        return self.tmpdir / "gdb.sock" if (self.tmpdir and self.config.gdb) else None

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process else None

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> "PtyConsole":
        """Validate the config, create the temp dir and start QEMU with its serial console
        on a new pty (QEMU's stdin and stdout), raw from the start.

        QEMU is started with subprocess (vfork and exec: no Python runs in the child), in a
        session of its own (a Ctrl-C at the terminal is the harness's to handle), through
        ``procs.dying_with_parent``. A pty, not a socket or pipes: a pty's buffer counts
        bytes, and QEMU's UART writes one byte per call; a socket would fill after a few
        hundred such writes when the harness reads late, QEMU would retry the write later, and
        a record/replay run (``-icount rr=``) would no longer replay.

        Returns:
            the console's pexpect reader/writer (also ``console_io``); wrap it in
            ``console.Console``.

        Raises:
            ToolMissing, BadImage, BadConfig: before anything is started. Whatever is
                raised once QEMU runs (a KeyboardInterrupt) is raised after QEMU was stopped.
        """
        if self.process is not None:
            raise RuntimeError("machine already started")
        argv = procs.dying_with_parent([tools.find_tool(C.QEMU_BINARY)])
        self.config.validate()
        _install_safety()
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f"{TMPDIR_PREFIX}{os.getpid()}-"))
        try:
            record = cover.dump_file(self.config.kernel, self.tmpdir.name, self.config.extra_args)
        except (BadConfig, BadImage):
            self._remove_tmpdir()
            raise
        self.command = self.config.command(log_file=self.log_path, gdb_socket=self.gdb_socket,
                                           qmp_socket=self.qmp_socket, cover_file=record)
        env = dict(os.environ)
        env.setdefault(C.OWNER_ENV, f"pid-{os.getpid()}")
        log.info("starting: %s", shlex.join(self.command))
        master, slave = os.openpty()
        tty.setraw(slave)   # no echo, no CR added: the bytes as QEMU wrote them, from the start
        try:
            with open(self.stderr_path, "wb") as stderr:
                self.process = subprocess.Popen(argv + self.command[1:], stdin=slave,
                                                stdout=slave, stderr=stderr, env=env,
                                                start_new_session=True)
        except BaseException:
            os.close(master)
            self._remove_tmpdir()
            raise
        finally:
            os.close(slave)
        try:
            self.console_io = PtyConsole(master)
            _machines.add(self, self.process.pid)
            _sweep_stale_tmpdirs()      # housekeeping that can wait until QEMU runs
        except BaseException:
            # A Ctrl-C (KeyboardInterrupt) or an error once QEMU runs: start() raises, so no
            # ``with`` block will stop this machine; stop it here, not at interpreter exit.
            if self.console_io is None:
                os.close(master)
            self.stop()
            raise
        return self.console_io

    def has_exited(self, timeout_s: float = 0.0) -> bool:
        """True once QEMU has exited (waits at most ``timeout_s``; does not read the console)."""
        if self.process is None or self._reaped:
            return True
        return _wait_pid_exit(self.process.pid, timeout_s)

    def reap(self, timeout_s: float) -> bool:
        """Wait at most ``timeout_s`` for QEMU to exit, then collect its status.

        The caller must have drained the console (QEMU blocks writing to a full pty).
        Returns True if QEMU exited and was reaped.
        """
        if self.process is None:
            return False
        if self._reaped:
            return True
        if not _wait_pid_exit(self.process.pid, timeout_s):
            return False
        rc = self.process.wait()  # the process has exited: returns at once
        self.exit_code, self.term_signal = (rc, None) if rc >= 0 else (None, -rc)
        self._reaped = True
        log.info("qemu pid %d exited: rc=%s signal=%s", self.process.pid, self.exit_code,
                 self.term_signal)
        return True

    def stop(self, timeout_s: float = C.DEFAULT_STOP_TIMEOUT_S) -> None:
        """Stop QEMU if it still runs (SIGTERM, then SIGKILL), reap it, close its pty, read
        the logs and remove the temp dir. Safe to call more than once.

        A QEMU stopped by SIGSTOP (a frozen replay, as the stall tests make one) acts on
        SIGTERM only once continued: SIGCONT follows SIGTERM (a no-op for a running QEMU),
        so the polite stop is not a wait of ``timeout_s`` for nothing.

        Raises:
            QemuStopError: QEMU survived SIGKILL (the evidence names its pid).
        """
        child = self.process
        if child is not None and not self._reaped:
            if not self.reap(0):
                self.stopped_by_harness = True
                self._signal(signal.SIGTERM)
                self._signal(signal.SIGCONT)
                if not self.reap(timeout_s):
                    self._signal(signal.SIGKILL)
                    if not self.reap(C.DEFAULT_KILL_TIMEOUT_S):
                        raise QemuStopError(f"QEMU pid {child.pid} survived SIGKILL",
                                            command=self.command)
        if self.console_io is not None and not self.console_io.closed:
            self.console_io.close()
        self._collect_logs()
        self._remove_tmpdir()
        _machines.discard(self)

    def _signal(self, sig: int) -> None:
        try:
            os.kill(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def _collect_logs(self) -> None:
        if self._log_text is None and self.log_path is not None:
            self._log_text = _read_text(self.log_path)
        if self._stderr_text is None and self.stderr_path is not None:
            self._stderr_text = _read_text(self.stderr_path)

    def _remove_tmpdir(self) -> None:
        if self.tmpdir is not None and not self.keep_tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    # -- evidence -----------------------------------------------------------------------------
    def log_text(self) -> str:
        """QEMU's ``-D`` log (cpu_reset, and int if asked); complete once QEMU exited."""
        if self._log_text is not None:
            return self._log_text
        return _read_text(self.log_path) if self.log_path else ""

    def stderr_text(self) -> str:
        """What QEMU wrote on stderr (its error messages)."""
        if self._stderr_text is not None:
            return self._stderr_text
        return _read_text(self.stderr_path) if self.stderr_path else ""

    def log_tail(self, n: int = C.DEFAULT_LOG_TAIL_LINES) -> List[str]:
        """Last ``n`` lines of QEMU's stderr and log, for error messages."""
        lines = [l for l in self.stderr_text().splitlines() if l.strip()]
        lines += self.log_text().splitlines()
        return lines[-n:]

    # -- context manager ----------------------------------------------------------------------
    def __enter__(self) -> "QemuMachine":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _read_text(path: Optional[Path]) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path else ""
    except FileNotFoundError:
        return ""
