"""Source lines without loading pyelftools here: ``ProcessLineReader`` asks
``machine.symbols`` (its ``--lines`` entry point) in a child process, once for every address
a report names. ``invoke boot`` uses it (a plain boot must not load pyelftools: the import
contract in pyproject.toml), only when a failed machine has addresses to name."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, Optional, Tuple, Union

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
DEFAULT_TIMEOUT_S = 30.0
#: the folder this package was imported from: the child imports the same harness
_SEARCH_ROOT = str(Path(__file__).parent.parent.parent)


class ProcessLineReader:
    """``reader(path, address) -> "file.c:9"`` or None, through a child process; ``prefetch``
    asks for many addresses in one child.

    Args:
        timeout_s: bound of each child's run (a bound, not a verdict: past it, no lines).
    """

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self.cache: Dict[Tuple[str, int, bool], Optional[str]] = {}

    def prefetch(self, requests: Iterable[Tuple[PathLike, int, bool]]) -> None:
        """Look up every ``(ELF path, address, return_address)`` not known yet, in one child."""
        todo = [(os.path.abspath(p), a, r) for p, a, r in requests
                if (os.path.abspath(p), a, r) not in self.cache]
        if not todo:
            return
        args = [w for p, a, r in todo for w in (p, f"{a:#x}" + ("r" if r else ""))]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [_SEARCH_ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        try:
            res = subprocess.run([sys.executable, "-m", "ringlab.machine.symbols", "--lines",
                                  *args], capture_output=True, text=True, env=env,
                                 stdin=subprocess.DEVNULL, timeout=self.timeout_s)
            answers = res.stdout.splitlines() if res.returncode == 0 else []
        except (OSError, subprocess.TimeoutExpired) as err:
            log.info("source lines: %s", err)
            answers = []
        for key, answer in zip(todo, answers + ["-"] * (len(todo) - len(answers))):
            self.cache[key] = None if answer == "-" else answer

    def __call__(self, path: PathLike, address: int, return_address: bool = False
                 ) -> Optional[str]:
        key = (os.path.abspath(path), address, return_address)
        if key not in self.cache:
            self.prefetch([key])
        return self.cache[key]
