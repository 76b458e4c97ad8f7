"""What ``invoke debug --from DIR`` reads from a failed test's artifacts folder: the one place
that knows the folder's layout.

The folder (written for each failed test by the pytest plugin, ringlab.plugin.artifacts)
holds ``console.txt``, ``events.jsonl``, ``qemu.log``, ``command.sh``, ``report.txt`` and
``reproduce.txt`` (in ``machine-N/`` subfolders when the test booted several machines: the
first is taken); only ``reproduce.txt`` is read here: its line is the ``invoke boot`` command
that boots the test's machine again (``python -m invoke --search-root /repo boot --init ...``,
or ``cd /repo && .venv/bin/invoke boot ...`` as ``lab.invoke_line`` writes it).
"""
from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import List, Union

from ..core.errors import BadConfig
from ..lab.session import boot_config
from ..machine.qemu import QemuConfig

REPRODUCE_FILE = "reproduce.txt"
FIRST_MACHINE = "machine-1"         # the folder of a test's first machine, when it had several


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:          # no usage text, no SystemExit
        raise BadConfig(message)


def _parser() -> _Parser:
    p = _Parser(prog="invoke boot", add_help=False)
    p.add_argument("--init")
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--append", default="")
    p.add_argument("--cpu")
    p.add_argument("--kernel")
    p.add_argument("--int-log", action="store_true")
    p.add_argument("--timeout")
    return p


def boot_words(line: str) -> List[str]:
    """The options after ``invoke boot`` in a reproduce line (a ``cd DIR &&`` prefix and the
    invoke path are allowed).

    Raises:
        BadConfig: the line runs no ``invoke boot``.
    """
    words = shlex.split(line.split("&&")[-1])
    starts = [i for i, w in enumerate(words) if os.path.basename(w) == "invoke"]
    if starts and "boot" in words[starts[0]:]:
        return words[words.index("boot", starts[0]) + 1:]
    raise BadConfig(f"not an `invoke boot` line: {line.strip()!r}")


def boot_config_from(directory: Union[str, os.PathLike]) -> QemuConfig:
    """The machine the artifacts folder's ``reproduce.txt`` boots.

    Raises:
        BadConfig: no such folder or file, or a line with an option ``invoke boot`` lacks.
    """
    if not Path(directory).is_dir():
        raise BadConfig(f"--from {directory}: no such directory")
    first = Path(directory) / FIRST_MACHINE
    path = Path(directory) / REPRODUCE_FILE
    if not path.exists() and first.is_dir():
        path = first / REPRODUCE_FILE
    try:
        line = next((l for l in path.read_text().splitlines() if l.strip()), "")
    except OSError as err:
        raise BadConfig(f"--from {directory}: cannot read {REPRODUCE_FILE}: "
                        f"{err.strerror}") from None
    try:
        o = _parser().parse_args(boot_words(line))
    except BadConfig as err:
        raise BadConfig(f"{path}: {err}") from None
    return boot_config(o.init, o.file, append=o.append, cpu=o.cpu, kernel=o.kernel)
