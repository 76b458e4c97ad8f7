"""One serialisable machine description: ``machine.json``.

Everything that says how to boot a machine again is derived from one ``Machine``: the QEMU
configuration (``QemuConfig``: kernel, init, files, kernel arguments, CPU model, memory,
accelerator, logs, record/replay) and how it was built (each file's path and SHA-256), plus what
the run was given besides (its stdin, its deadline). From it come:

- ``boot_options``: the ``invoke boot`` / ``invoke debug`` options (reproduce lines,
  ``Run.report()``'s "reproduce:" and "step into it:" lines);
- ``Machine.to_dict`` / ``save``: ``machine.json`` in a pytest artifacts folder, the machine
  part of a recording's ``recording.json``, and of a gdb target file (``invoke boot --gdb``);
- ``Machine.load``: what ``invoke boot --from DIR`` and ``invoke debug --from DIR`` boot.

Paths inside the folder a description is saved in are written relative to it (the folder
can move); others absolute. A file record also names a ``copy`` (relative), kept by whoever
saved the description (the pytest plugin copies the kernel and every module into
``files/``): ``load`` boots the original when it is still there with the same SHA-256, else the
copy, so a folder outlives pytest's temp dirs and a later ``make``.

Format (``FORMAT`` 1)::

    {"format": 1, "kernel": {"path", "sha256", "copy"?},
     "modules": [{"path", "name", "sha256", "copy"?}, ...],   # init first
     "append", "cpu", "memory", "int_log", "reset_log", "accel", "user": [uid, gid] | null,
     "cdrom", "record_replay": {"mode", "directory"} | null, "extra_args": [...],
     "stdin": {"path", "sha256"} | null, "timeout_s": float | null}
"""
from __future__ import annotations

import hashlib
import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

from ..core import constants as C
from ..core.errors import BadConfig
from .qemu import Module, QemuConfig, RecordReplay

PathLike = Union[str, os.PathLike]

FORMAT = 1
FILE_NAME = "machine.json"
#: tasks and the options of a description they take (the others are left out of their line)
TASK_OPTIONS = {
    "boot": {"--init", "--file", "--append", "--cpu", "--kernel", "--int-log", "--timeout",
             "--accel"},
    "debug": {"--init", "--file", "--append", "--cpu", "--kernel"},
}


def sha256(path: PathLike) -> str:
    """The SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _rel(path: PathLike, base: Optional[Path]) -> str:
    """``path`` relative to ``base`` when inside it, else absolute."""
    p = Path(os.path.abspath(path))
    if base is not None:
        try:
            return str(p.relative_to(Path(os.path.abspath(base))))
        except ValueError:
            pass
    return str(p)


def _abs(text: str, base: Optional[Path]) -> Path:
    p = Path(text)
    return p if p.is_absolute() or base is None else Path(os.path.abspath(base)) / p


@dataclass
class Machine:
    """A machine as booted, and what its run was given.

    Attributes:
        config: the QEMU configuration (paths as booted).
        stdin: a host file whose bytes the programs read as a pipe (then end of file); None:
            nothing typed.
        timeout_s: the run's deadline (None: the task's default).
        copies: host path (absolute, as in ``config``) -> a copy of the same bytes (kept
            in the folder the description is saved in); ``load`` falls back to them.
    """

    config: QemuConfig
    stdin: Optional[Path] = None
    timeout_s: Optional[float] = None
    copies: Dict[str, Path] = field(default_factory=dict)

    # -- to and from JSON ---------------------------------------------------------------------
    def _file(self, path: PathLike, base: Optional[Path], **extra) -> Dict:
        entry = {"path": _rel(path, base), **extra, "sha256": sha256(path)}
        copy = self.copies.get(os.path.abspath(path))
        if copy is not None:
            entry["copy"] = _rel(copy, base)
        return entry

    def to_dict(self, base: Optional[PathLike] = None) -> Dict:
        """The JSON object (paths under ``base`` relative to it).

        Raises:
            OSError: a file of the machine cannot be read (for its SHA-256).
        """
        b = Path(base) if base is not None else None
        cfg = self.config
        rr = cfg.record_replay
        return {
            "format": FORMAT,
            "kernel": self._file(cfg.kernel, b),
            "modules": [self._file(m.path, b, name=m.name) for m in cfg.modules()],
            "append": cfg.append, "cpu": cfg.cpu, "memory": cfg.memory,
            "int_log": cfg.int_log, "reset_log": cfg.reset_log, "accel": cfg.accel,
            "user": list(cfg.user) if cfg.user is not None else None,
            "cdrom": _rel(cfg.cdrom, b) if cfg.cdrom is not None else None,
            "record_replay": ({"mode": rr.mode, "directory": _rel(rr.directory, b)}
                              if rr is not None else None),
            "extra_args": list(cfg.extra_args),
            "stdin": ({"path": _rel(self.stdin, b), "sha256": sha256(self.stdin)}
                      if self.stdin is not None else None),
            "timeout_s": self.timeout_s,
        }

    @classmethod
    def from_dict(cls, data: Dict, base: Optional[PathLike] = None, *,
                  prefer_copies: bool = False) -> "Machine":
        """The machine of a ``to_dict`` object. Each file: the original path if it holds the
        recorded bytes (or ``prefer_copies`` is off and there is no copy), else the copy.

        Raises:
            BadConfig: another format, a missing key, or a file neither original nor copy of
                which holds the recorded bytes.
        """
        b = Path(base) if base is not None else None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BadConfig(f"machine description: format {data.get('format')!r} "
                            f"(this harness reads format {FORMAT})"
                            if isinstance(data, dict) else "machine description: not an object")
        try:
            copies: Dict[str, Path] = {}

            def pick(entry: Dict) -> Path:
                orig = _abs(entry["path"], b)
                copy = _abs(entry["copy"], b) if entry.get("copy") else None
                if copy is not None:
                    copies[str(orig)] = copy
                for candidate in ([copy, orig] if prefer_copies else [orig, copy]):
                    if candidate is not None and candidate.is_file() and \
                            sha256(candidate) == entry["sha256"]:
                        return candidate
                where = f"{orig}" + (f" (or its copy {copy})" if copy else "")
                raise BadConfig(f"{where}: missing, or changed since it was recorded "
                                "(its SHA-256 differs)")

            kernel = pick(data["kernel"])
            mods = [Module(pick(m), m["name"]) for m in data["modules"]]
            rr = data.get("record_replay")
            stdin = data.get("stdin")
            config = QemuConfig(
                kernel=kernel, init=mods[0].path, files=mods[1:], append=data["append"],
                cpu=data["cpu"], memory=data["memory"], int_log=bool(data["int_log"]),
                reset_log=bool(data.get("reset_log", True)), accel=data.get("accel"),
                user=tuple(data["user"]) if data.get("user") is not None else None,
                cdrom=_abs(data["cdrom"], b) if data.get("cdrom") else None,
                record_replay=(RecordReplay(rr["mode"], _abs(rr["directory"], b))
                               if rr else None),
                extra_args=list(data.get("extra_args", ())))
        except (KeyError, IndexError, TypeError) as err:
            raise BadConfig(f"machine description: missing or bad {err}") from None
        except OSError as err:
            raise BadConfig(f"machine description: {err}") from None
        return cls(config=config, stdin=_abs(stdin["path"], b) if stdin else None,
                   timeout_s=data.get("timeout_s"), copies=copies)

    def save(self, folder: PathLike) -> Path:
        """Write ``folder/machine.json``; returns its path."""
        path = Path(folder) / FILE_NAME
        path.write_text(json.dumps(self.to_dict(folder), indent=1) + "\n")
        return path

    @classmethod
    def load(cls, folder: PathLike, *, prefer_copies: bool = False) -> "Machine":
        """Read ``folder/machine.json`` (``folder/machine-1/machine.json`` for a test that
        booted several machines: its first).

        Raises:
            BadConfig: no such folder or file, unreadable, or see ``from_dict``.
        """
        d = Path(folder)
        if not d.is_dir():
            raise BadConfig(f"--from {folder}: no such directory")
        path = d / FILE_NAME
        if not path.exists() and (d / "machine-1" / FILE_NAME).exists():
            path = d / "machine-1" / FILE_NAME
        try:
            data = json.loads(path.read_text())
        except OSError as err:
            raise BadConfig(f"--from {folder}: cannot read {FILE_NAME}: {err.strerror}") from None
        except ValueError as err:
            raise BadConfig(f"{path}: not JSON: {err}") from None
        try:
            return cls.from_dict(data, path.parent, prefer_copies=prefer_copies)
        except BadConfig as err:
            raise BadConfig(f"{path}: {err}") from None

    def portable(self) -> "Machine":
        """The same machine booting the copies (where there are copies)."""
        def copy_of(path: PathLike) -> Path:
            return self.copies.get(os.path.abspath(path), Path(path))
        cfg = self.config
        mods = [Module(copy_of(m.path), m.name) for m in cfg.modules()]
        return Machine(cfg.replace(kernel=copy_of(cfg.kernel), init=mods[0].path,
                                   files=mods[1:]),
                       stdin=self.stdin, timeout_s=self.timeout_s, copies=dict(self.copies))


def boot_options(machine: Union[Machine, QemuConfig], *, task: str = "boot",
                 implied: Iterable[PathLike] = ()) -> List[str]:
    """The ``invoke TASK`` options that boot ``machine`` again (absolute paths): the one
    translation of a description into command-line options.

    Args:
        machine: a Machine, or a bare QemuConfig.
        task: ``boot`` or ``debug`` (``TASK_OPTIONS``: e.g. debug takes no ``--int-log``).
        implied: files the default init gets in "/" by itself (not repeated as ``--file``).

    The user (``init.uid=``...) is in ``--append``; a stdin is not an option (``invoke_line``
    adds ``< FILE``).
    """
    m = machine if isinstance(machine, Machine) else Machine(machine)
    cfg = m.config
    takes = TASK_OPTIONS[task]
    opts: List[tuple] = []           # (option, value or None)
    default_init = Path(cfg.init).resolve() == C.DEFAULT_INIT.resolve()
    if not default_init:
        opts.append(("--init", str(Path(cfg.init).resolve())))
    skip = {Path(p).resolve() for p in implied} if default_init else set()
    for f in cfg.files:
        path = Module.of(f).path
        if path.resolve() not in skip:
            opts.append(("--file", str(path.resolve())))
    if cfg.kernel_append():
        opts.append(("--append", cfg.kernel_append()))
    if cfg.cpu != C.DEFAULT_CPU:
        opts.append(("--cpu", cfg.cpu))
    if Path(cfg.kernel).resolve() != C.KERNEL_IMAGE.resolve():
        opts.append(("--kernel", str(Path(cfg.kernel).resolve())))
    if cfg.int_log:
        opts.append(("--int-log", None))
    if cfg.accel:
        opts.append(("--accel", cfg.accel))
    if m.timeout_s is not None and m.timeout_s != C.DEFAULT_BOOT_TIMEOUT_S:
        opts.append(("--timeout", f"{m.timeout_s:g}"))
    return [w for opt, value in opts if opt in takes
            for w in ([opt] if value is None else [opt, value])]


def stdin_redirect(machine: Machine) -> str:
    """`` < FILE`` (shell-quoted) for a machine whose programs read a file, else ""."""
    return f" < {shlex.quote(str(machine.stdin))}" if machine.stdin is not None else ""
