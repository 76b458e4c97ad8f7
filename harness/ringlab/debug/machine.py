"""A debug machine: a QEMU started halted at its first instruction with gdb attached.

``DebugMachine`` is the lab-level pair: a ``lab.Session`` started halted with a gdbstub on a
unix socket in the machine's own temp dir (so parallel machines never collide), plus a
``GdbSession`` (harness.debug.mi) attached to it with images/kernel.elf, the init program's
symbols and the ring extension (harness/ringlab/debug/gdbext/ringlab.py) loaded::

    with DebugMachine(QemuConfig(init=lab.program("gdb_write"))) as dm:
        dm.gdb.break_at("main")
        dm.gdb.cont()
        assert dm.gdb.cpl() == 3
        t = dm.gdb.step_until_ring_change()      # 3->0 at the `syscall`

For people at a terminal: ``interactive_command`` is the gdb command line ``invoke gdb``
runs; the target file tells it which machine ``invoke boot --gdb`` started.
"""
from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, TextIO, Union

from ..core import constants as C
from ..core import kabi, tools
from ..core.errors import BadImage, GdbError, KabiError, StubNotAnswering
from ..lab.session import Session
from ..machine import elfimage
from ..machine.description import Machine
from ..machine.qemu import QemuConfig, QemuMachine
from ..machine.sockets import wait_for_socket
from .mi import EXTENSION, KABI_SETTING, REMOTE_TIMEOUT_SETTING, GdbSession

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
VDSO_FILE = "vdso.so"    # the vDSO's symbol file, beside the kernel that embeds it (kernel/Makefile)
VDSO32_FILE = "vdso32.so"    # the 32-bit vDSO's (i386) symbol file, beside it too
#: gdb's architecture stays i386:x86-64 (QEMU's stub sends the 64-bit registers), so it reads
#: an i386 program's DWARF call-frame information with x86-64 register numbers (DWARF register
#: 4 is ESP in i386, RSI in x86-64) and unwinds to garbage: stepping or continuing over a
#: breakpoint into its code fails (`Cannot access memory at address 0xfffffffffffffff9`).
#: With an ELF32 init the DWARF unwinders are off (the extension switches them per program).
DWARF_UNWINDERS_OFF = "maint set dwarf unwinders off"


def vdso_symbols_command(kernel: PathLike, *, compat: bool = False) -> Optional[str]:
    """The gdb command that loads the vDSO's symbols where exec maps it in a 64-bit process:
    ``add-symbol-file DIR/vdso.so -o VDSO_ADDR`` (the image is linked at 0; its address is
    the ABI file's ``VDSO_ADDR``). ``compat``: the 32-bit vDSO of a 32-bit process instead
    (vdso32.so at ``VDSO32_ADDR``: ``__kernel_vsyscall``...). None when ``kernel`` has no
    such file beside it or the ABI file no such address (another kernel). A process that
    moved its vDSO (mremap) has it elsewhere: gdb's symbols stay where exec put it."""
    path = Path(kernel).resolve().parent / (VDSO32_FILE if compat else VDSO_FILE)
    try:
        addr = kabi.load().constants.get("VDSO32_ADDR" if compat else "VDSO_ADDR")
    except (BadImage, KabiError):
        return None
    if addr is None or not path.exists():
        return None
    return f"add-symbol-file {path} -o {addr:#x}"


class DebugMachine:
    """A QEMU machine started halted at its first instruction, with gdb attached.

    Args:
        config: what to boot (``gdb`` is switched on here).
        symbols: user programs whose symbols gdb loads besides init's (static, non-PIE).
        stream: also write the serial console there as it arrives.
        extension: source harness/ringlab/debug/gdbext/ringlab.py (``ring``, ``step-ring``,
            ``$cpl()``).
        command_timeout_s: bound for each gdb command.
        snapshot: boot and load symbols from private copies of the kernel, init and
            ``symbols`` (made at start), so that QEMU and gdb see the same bytes even if
            ``make`` rewrites images/ meanwhile (a kernel rebuilt between QEMU's start and
            gdb's ``file`` would put every breakpoint at the wrong address).

    Attributes:
        config: the config booted (after start: the snapshot's paths).
        session: the lab.Session (QEMU and its console), from start on.
        gdb: the GdbSession, from start on.
    """

    def __init__(self, config: QemuConfig, *, symbols: Sequence[PathLike] = (),
                 stream: Optional[TextIO] = None, extension: bool = True,
                 command_timeout_s: float = C.DEFAULT_GDB_COMMAND_TIMEOUT_S,
                 snapshot: bool = True) -> None:
        self.config = config.replace(gdb=True)
        self.user_config = self.config         # the caller's paths, whatever the snapshot
        self.symbols = [Path(p) for p in symbols]
        self.stream = stream
        self.extension = extension
        self.snapshot = snapshot
        self.session = None
        self.gdb: Optional[GdbSession] = None
        self.command_timeout_s = command_timeout_s
        self._snapdir: Optional[Path] = None

    @property
    def machine(self):
        return self.session.machine if self.session is not None else None

    def _take_snapshot(self) -> None:
        self._snapdir = Path(tempfile.mkdtemp(prefix="ringlab-gdb-images-"))

        def copy(path: PathLike, sub: str) -> Path:
            dest = self._snapdir / sub / Path(path).name
            dest.parent.mkdir(exist_ok=True)
            shutil.copy2(path, dest)
            return dest

        vdsos = [Path(self.config.kernel).parent / f for f in (VDSO_FILE, VDSO32_FILE)]
        self.config = self.config.replace(kernel=copy(self.config.kernel, "kernel"),
                                          init=copy(self.config.init, "init"))
        for vdso in vdsos:
            if vdso.exists():
                copy(vdso, "kernel")                  # beside the kernel copy (vdso_symbols_command)
        self.symbols = [copy(p, f"sym{i}") for i, p in enumerate(self.symbols)]

    @property
    def socket(self) -> Optional[Path]:
        return self.machine.gdb_socket

    def _drain_console(self) -> bool:
        console = self.session.console
        found = console.expect([console.TIMEOUT, console.EOF], timeout_s=0)
        return not found.eof

    def _console_tail(self) -> List[str]:
        return self.session.console.history() if self.session.console else []

    def _exited(self) -> bool:
        return bool(self.session.console and self.session.console.eof)

    def start(self, connect_timeout_s: float = C.DEFAULT_GDB_CONNECT_TIMEOUT_S) -> "DebugMachine":
        """Start QEMU halted, start gdb, load symbols and the extension, connect.

        Raises:
            ToolMissing: qemu or gdb missing (before anything runs).
            StubNotAnswering: the gdbstub did not come up.
        """
        tools.find_tool(C.GDB_BINARY)  # fail before QEMU starts
        try:
            if self.snapshot:
                self.config.validate()   # the errors name the user's paths, not the copies
                self._take_snapshot()
            self.session = Session(self.config, stream=self.stream)
            self.session.start()
            console = self.session.console
            self.gdb = GdbSession(command_timeout_s=self.command_timeout_s,
                                  watch={console.process.child_fd: self._drain_console},
                                  console_tail=self._console_tail, target_exited=self._exited)
            self.gdb.start()
            self.gdb.load_kernel(self.config.kernel)
            for program in [Path(self.config.init)] + self.symbols:
                self.gdb.add_symbol_file(program)
            if elfimage.is_elf32(self.config.init):
                self.gdb.console(DWARF_UNWINDERS_OFF)
            for compat in (False, True):
                vdso = vdso_symbols_command(self.config.kernel, compat=compat)
                if vdso:
                    self.gdb.console(vdso)
            if self.extension:
                self.gdb.source_extension()
            wait_for_gdbstub(self.machine, connect_timeout_s)
            self.gdb.connect(str(self.socket), connect_timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def finish(self, timeout_s: float = C.DEFAULT_BOOT_TIMEOUT_S):
        """Let the machine run to its end without gdb (breakpoints deleted, gdb detached and
        closed) and return the lab ``Run``."""
        if self.gdb is not None and self.gdb.connected and not self.gdb.disconnected:
            try:
                self.gdb.mi("-break-delete")
                self.gdb.mi("-target-detach")
            except GdbError as err:
                log.info("detach: %s", err)
        if self.gdb is not None:
            self.gdb.close()
        try:
            run = self.session.finish(timeout_s)
            run.config = self.user_config      # not the snapshot's paths (removed now)
            return run
        finally:
            self._remove_snapshot()

    def stop(self) -> None:
        """Stop QEMU, then gdb (it sees the connection close), reaping both, and remove the
        snapshot. Idempotent."""
        try:
            if self.machine is not None:
                self.machine.stop()
        finally:
            try:
                if self.gdb is not None:
                    self.gdb.close()
            finally:
                self._remove_snapshot()

    def _remove_snapshot(self) -> None:
        if self._snapdir is not None:
            shutil.rmtree(self._snapdir, ignore_errors=True)
            self._snapdir = None

    def __enter__(self) -> "DebugMachine":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_for_gdbstub(machine: QemuMachine, timeout_s: float = C.DEFAULT_GDB_CONNECT_TIMEOUT_S
                     ) -> Path:
    """Wait until a started machine's gdbstub socket exists; returns the socket.

    Raises:
        StubNotAnswering: QEMU exited first (the message ends with QEMU's first stderr line,
            e.g. a recording's drive locked by another replay; the whole stderr and the
            command line are its evidence), or the socket did not appear within
            ``timeout_s``.
    """
    socket = machine.gdb_socket
    try:
        wait_for_socket(socket, machine.pid, timeout_s)
    except StubNotAnswering as err:
        machine.reap(C.DEFAULT_KILL_TIMEOUT_S)
        stderr = [l for l in machine.stderr_text().splitlines() if l.strip()]
        first = f": {stderr[0]}" if stderr else ""
        raise StubNotAnswering(f"{err}{first}", command=machine.command,
                               log_tail=stderr[-C.DEFAULT_LOG_TAIL_LINES:]) from None
    return socket


def interactive_command(socket: PathLike, *, init: Optional[PathLike] = None,
                        kernel: PathLike = C.KERNEL_IMAGE, ex: Sequence[str] = (),
                        batch: bool = False, programs: Sequence[PathLike] = ()) -> List[str]:
    """The gdb command line ``invoke gdb`` and ``invoke debug`` run: kernel and init symbols,
    the ring extension (told the machine's ``programs`` besides init, for per-process
    symbols), attached to ``socket``; then each of ``ex``."""
    cmd = [C.GDB_BINARY, "--nx", "--quiet"] + (["--batch"] if batch else [])
    setup = ["set confirm off",                        # add-symbol-file would ask (y or n)
             "set architecture i386:x86-64",          # before target remote
             f"file {Path(kernel).resolve()}"]
    if init is not None:
        setup.append(f"add-symbol-file {Path(init).resolve()}")
    setup += [c for c in (vdso_symbols_command(kernel, compat=compat) for compat in (False, True))
              if c]
    setup += [KABI_SETTING.format(path=C.KABI_FILE.resolve()), f"source {EXTENSION}"]
    if init is not None:
        named = [Path(init).resolve()] + [Path(p).resolve() for p in programs
                                          if Path(p).resolve() != Path(init).resolve()]
        setup.append("ring-programs --loaded " + " ".join(shlex.quote(str(p)) for p in named))
    setup += ["set breakpoint pending off", "set confirm on", REMOTE_TIMEOUT_SETTING,
              f"target remote {socket}"]
    for c in setup + list(ex):
        cmd += ["-ex", c]
    return cmd


def write_target_file(socket: Path, cfg: QemuConfig) -> None:
    """Tell ``invoke gdb`` about a machine ``invoke boot --gdb`` started: one file per
    machine in images/gdb-targets (so several in one checkout are each reachable), holding
    the socket, this process's pid and the machine's description (``machine``:
    machine.description, absolute paths)."""
    C.GDB_TARGETS_DIR.mkdir(parents=True, exist_ok=True)
    path = C.GDB_TARGETS_DIR / f"{os.getpid()}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"socket": str(socket), "pid": os.getpid(),
                               "machine": Machine(cfg).to_dict()}) + "\n")
    os.replace(tmp, path)


def target_symbols(info: Dict) -> Dict:
    """``init``, ``kernel`` and ``programs`` (absolute paths) of a target file's machine."""
    machine = info.get("machine")
    if not isinstance(machine, dict):
        return {k: info[k] for k in ("init", "kernel", "programs") if k in info}
    mods = [m["path"] for m in machine.get("modules", ())]
    return {"kernel": machine["kernel"]["path"], "init": mods[0] if mods else None,
            "programs": mods}


def read_target_files() -> List[Dict]:
    """The machines waiting for gdb (socket, pid, and ``target_symbols``: init, kernel,
    programs), by pid; files of machines that are gone (their harness process or socket)
    are skipped."""
    found = []
    for path in sorted(C.GDB_TARGETS_DIR.glob("*.json"), key=lambda p: p.name):
        try:
            info = json.loads(path.read_text())
            os.kill(int(info["pid"]), 0)
            info.update(target_symbols(info))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if Path(info["socket"]).exists():
            found.append(info)
    return found


def remove_target_file(socket: Path) -> None:
    """Remove this process's file in images/gdb-targets if it still names ``socket``."""
    path = C.GDB_TARGETS_DIR / f"{os.getpid()}.json"
    try:
        if json.loads(path.read_text()).get("socket") == str(socket):
            path.unlink()
    except (OSError, ValueError):
        pass
