"""Record a run, then replay it halted under gdb and step BACKWARDS into what went wrong.

QEMU's record/replay (TCG only; docs/qemu-facts.md) makes a run deterministic:
``-icount shift=auto`` counts instructions instead of reading the host clock, ``rr=record``
logs every non-deterministic input (timer, serial, port reads) to ``rr.bin``, and
``rrsnapshot=init`` saves the machine at its first instruction into a qcow2 drive that
exists only for that (``-drive file=rr.qcow2,if=none,id=rr``; without it QEMU says "no
block device can store vmstate", without the snapshot gdb's reverse commands fail with
``E14``). ``rr=replay`` runs the same instructions again, and gdb's ``reverse-stepi`` /
``reverse-continue`` work: QEMU reloads the snapshot and replays up to the step before.

A recording is a directory::

    rr.bin, rr.qcow2        QEMU's input log and the snapshot drive
    kernel.elf, modules/    copies of the kernel and every multiboot module (init first)
    console.txt             the serial console of the recorded run (LF line ends)
    events.txt              the kernel's event lines (``ringlab: ...``) of that run
    recording.json          the machine (``machine.description``: paths relative to the
                            directory, each file's SHA-256), QEMU's command line, the outcome

The replay must see exactly the bytes and the command line of the recording: the kernel and
module *paths* reach the guest (the multiboot command lines), so a recording is replayed from
the directory it was recorded in (``load`` refuses a moved or modified one rather than let a
diverging replay hang). Python::

    rec, run = record(QemuConfig(init=lab.program("hlt")), Path("rec"))
    with ReplayMachine(Path("rec")) as rm:           # halted at the first instruction
        rm.gdb.break_at("vector13")
        rm.gdb.cont()                                  # the #GP stub
        rm.gdb.stepi(reverse=True)                     # back in ring 3, at the hlt
        assert rm.gdb.cpl() == 3
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, TextIO, Tuple, Union

from .. import lab
from ..core import constants as C
from ..core import tools
from ..core.errors import BadConfig, BadRecording, RinglabError
from ..machine.description import Machine, sha256
# RR_SNAPSHOT: the snapshot the gdb extension loads (tests/test_replay.py compares them)
from ..machine.qemu import (RR_DISK, RR_LOG, RR_SNAPSHOT, Module,  # noqa: F401
                            QemuConfig, RecordReplay)
from .machine import DebugMachine

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]

QEMU_IMG_BINARY = "qemu-img"
RR_DISK_SIZE = "16M"               # vmstate only: 128 MiB of mostly-zero RAM takes ~1 MiB
MANIFEST = "recording.json"
CONSOLE_FILE = "console.txt"
EVENTS_FILE = "events.txt"
KERNEL_FILE = "kernel.elf"
MODULES_DIR = "modules"
REPLAY_CONSOLE_FILE = "replay-console.txt"   # `invoke gdb --replay` writes the console here
LOCK_FILE = ".lock"                # held while a run records into the folder
INT_LOG_FILE = "qemu-int.log"      # --int-log: the recorded run's -d int log
FORMAT = 3                         # 3: the machine as machine.description writes it
QEMU_IMG_TIMEOUT_S = 30.0


def rr_args(directory: Path, mode: str) -> List[str]:
    """The QEMU options that record (``mode="record"``) or replay a run kept in ``directory``
    (``RecordReplay.args``, where the machine description keeps them)."""
    return RecordReplay(mode, Path(directory)).args()


def _create_disk(path: Path) -> None:
    qemu_img = tools.find_tool(QEMU_IMG_BINARY)
    res = subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", str(path), RR_DISK_SIZE],
                         capture_output=True, text=True, timeout=QEMU_IMG_TIMEOUT_S,
                         stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise RinglabError(f"qemu-img create {path} failed (rc {res.returncode}): "
                           f"{res.stderr.strip()}")


@dataclass
class Recording:
    """A recording directory, as ``record`` wrote it and ``load`` reads it.

    Attributes:
        directory: where it is (absolute).
        config: what was booted: the copies in ``directory``, without the record options.
        command: QEMU's argv of the recorded run.
        outcome, status, detail: the recorded run's verdict (``Outcome`` value, machine status).
        console: the recorded console (LF line ends).
    """

    directory: Path
    config: QemuConfig
    command: List[str]
    outcome: str
    status: Optional[int]
    detail: str
    console: str

    @property
    def init(self) -> Path:
        return Path(self.config.init)

    def replay_config(self, *, gdb: bool = True) -> QemuConfig:
        """The recorded machine with ``rr=replay`` (halted with a gdbstub when ``gdb``)."""
        return self.config.replace(record_replay=RecordReplay("replay", self.directory),
                                   gdb=gdb)

    @classmethod
    def load(cls, directory: PathLike) -> "Recording":
        """Read a recording and check that it can be replayed as it is.

        Raises:
            BadRecording: no recording there, a file missing or changed since recording, or
                the directory moved (the kernel and module paths are part of what the guest
                saw, so the replay would diverge).
        """
        d = Path(directory).resolve()
        try:
            info = json.loads((d / MANIFEST).read_text())
        except FileNotFoundError:
            raise BadRecording(f"{d}: no recording here (no {MANIFEST}); make one with "
                               "`invoke boot --record DIR`") from None
        except (OSError, ValueError) as err:
            raise BadRecording(f"{d / MANIFEST}: unreadable: {err}") from None
        if info.get("format") != FORMAT:
            raise BadRecording(f"{d / MANIFEST}: format {info.get('format')!r}, "
                               f"this harness reads format {FORMAT}")
        if info["directory"] != str(d):
            raise BadRecording(f"{d}: recorded in {info['directory']}; a replay needs the same "
                               "paths (the guest saw them): move it back or record again")
        for name in (RR_LOG, RR_DISK):
            if not (d / name).is_file():
                raise BadRecording(f"{d / name}: missing")
        try:
            machine = Machine.from_dict(info["machine"], d)
        except (BadConfig, KeyError) as err:
            raise BadRecording(f"{d}: {err} (a replay must run the same bytes): record "
                               "again") from None
        config = machine.config.replace(record_replay=None)
        try:
            console = (d / CONSOLE_FILE).read_text()
        except OSError:
            console = ""
        return cls(directory=d, config=config, command=info["command"],
                   outcome=info["outcome"], status=info["status"], detail=info["detail"],
                   console=console)


def is_recording(directory: PathLike) -> bool:
    """True if ``directory`` holds a recording (``record`` there replaces it)."""
    return (Path(directory) / MANIFEST).is_file()


@contextlib.contextmanager
def _recording_lock(d: Path):
    """Hold ``d/.lock`` exclusively while recording into ``d``.

    Raises:
        BadConfig: another run is recording into ``d`` now (its files would be mixed).
    """
    if d.exists() and not d.is_dir():
        raise BadConfig(f"{d}: exists and is not a directory")
    d.mkdir(parents=True, exist_ok=True)
    with open(d / LOCK_FILE, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BadConfig(f"{d}: another run is recording there now; give another "
                            "directory") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _prepare_directory(d: Path) -> None:
    """Create ``d``, or empty a previous recording there; refuse anything else."""
    if d.exists() and not d.is_dir():
        raise BadConfig(f"{d}: exists and is not a directory")
    if d.is_dir() and any(p.name != LOCK_FILE for p in d.iterdir()):
        if not (d / MANIFEST).is_file():
            raise BadConfig(f"{d}: not empty and not a recording; give a new directory")
        for name in (RR_LOG, RR_DISK, MANIFEST, CONSOLE_FILE, EVENTS_FILE, KERNEL_FILE,
                     REPLAY_CONSOLE_FILE, INT_LOG_FILE):
            (d / name).unlink(missing_ok=True)
        shutil.rmtree(d / MODULES_DIR, ignore_errors=True)
    d.mkdir(parents=True, exist_ok=True)


def record(config: QemuConfig, directory: PathLike, *,
           timeout_s: float = C.DEFAULT_BOOT_TIMEOUT_S,
           stream: Optional[TextIO] = None) -> Tuple[Recording, "lab.Run"]:
    """Run ``config`` to its end under ``rr=record`` and keep everything a replay needs.

    Args:
        config: what to boot (``gdb`` must be off: record first, debug the replay).
        directory: created if needed; a previous recording there is replaced (``BadConfig``
            while another run records there).
        timeout_s: bound of the whole run (as ``lab.run``).
        stream: also write the console there as it arrives.

    Returns:
        the Recording and the recorded run's ``lab.Run`` (events, console, verdict).

    Raises:
        ToolMissing (qemu, qemu-img), BadImage, BadConfig: before QEMU starts.
    """
    if config.gdb:
        raise BadConfig("record a machine without gdb, then debug its replay")
    tools.find_tool(C.QEMU_BINARY)
    tools.find_tool(QEMU_IMG_BINARY)
    config.validate()                       # errors name the caller's paths
    d = Path(directory).resolve()
    with _recording_lock(d):
        return _record(config, d, timeout_s, stream)


def _record(config: QemuConfig, d: Path, timeout_s: float,
            stream: Optional[TextIO]) -> Tuple[Recording, "lab.Run"]:
    _prepare_directory(d)
    (d / MODULES_DIR).mkdir()
    names = [m.name for m in config.modules()]
    if len(set(names)) != len(names):
        raise BadConfig(f"two modules share a name: {sorted(names)}")
    kernel = d / KERNEL_FILE
    shutil.copy2(config.kernel, kernel)
    mods = []
    for m in config.modules():
        dest = d / MODULES_DIR / m.name
        shutil.copy2(m.path, dest)
        mods.append(Module(dest, m.name))
    _create_disk(d / RR_DISK)
    base = config.replace(kernel=kernel, init=mods[0].path, files=mods[1:])
    recorded = base.replace(record_replay=RecordReplay("record", d))
    run = lab.run(recorded, timeout_s=timeout_s, stream=stream)
    run.config = config
    if base.int_log:
        (d / INT_LOG_FILE).write_text(run.log)
    manifest = {
        "format": FORMAT, "directory": str(d), "command": run.command,
        "machine": Machine(recorded, timeout_s=timeout_s).to_dict(d),
        "outcome": run.outcome.value, "status": run.status, "detail": run.verdict.detail,
        "duration_s": round(run.duration_s, 3),
    }
    (d / CONSOLE_FILE).write_text(run.console)
    (d / EVENTS_FILE).write_text("".join(e.line + "\n" for e in run.events))
    (d / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    log.info("recorded %s in %s (%.2f s)", run.verdict.detail, d, run.duration_s)
    return Recording.load(d), run


def replay(directory: PathLike, *, timeout_s: float = C.DEFAULT_BOOT_TIMEOUT_S,
           stream: Optional[TextIO] = None) -> "lab.Run":
    """Replay a recording forward to its end without gdb and return that run (same
    console, same events, same outcome as the recording when replay is deterministic).

    Raises:
        BadRecording: see ``Recording.load``.
    """
    rec = Recording.load(directory)
    run = lab.run(rec.replay_config(gdb=False), timeout_s=timeout_s, stream=stream)
    return run


class ReplayMachine(DebugMachine):
    """A recording replayed halted at its first instruction, with gdb attached: a
    ``DebugMachine`` whose gdb can also go backwards (``stepi(reverse=True)``,
    ``cont(reverse=True)``).

    The kernel and init symbols come from the recording's own copies. Going backwards
    replays from the start snapshot, so the serial console repeats what was printed up to
    there (``session.console`` shows every pass).

    Args:
        directory: a recording made by ``record`` (``invoke boot --record DIR``).
        kwargs: as ``DebugMachine`` (``symbols``, ``stream``, ``command_timeout_s``).

    Raises:
        BadRecording: at construction (see ``Recording.load``).
    """

    def __init__(self, directory: PathLike, **kwargs) -> None:
        self.recording = Recording.load(directory)
        # No snapshot copies: the replay must boot the very paths that were recorded.
        super().__init__(self.recording.replay_config(gdb=True), snapshot=False, **kwargs)
