"""Helpers shared by test modules (fixtures live in conftest.py)."""
import contextlib
import os
import sys
from typing import Iterator

import pexpect

from ringlab.core import constants as C

TERMINAL_TIMEOUT_S = 30.0


@contextlib.contextmanager
def invoke_on_a_terminal(*args: str,
                         timeout_s: float = TERMINAL_TIMEOUT_S) -> Iterator[pexpect.spawn]:
    """Run ``invoke ARGS`` (the real CLI of this checkout) on a pty, as a user at a terminal.

    Yields the pexpect child (``expect``, ``send``...; each expect bounded by ``timeout_s``).
    On leaving the block the child is closed, killed if it still runs, so its
    ``exitstatus``/``signalstatus`` can be asserted after the block.
    """
    child = pexpect.spawn(sys.executable, ["-m", "invoke", *args], cwd=str(C.REPO_ROOT),
                          encoding="utf-8", timeout=timeout_s, env=dict(os.environ))
    try:
        yield child
    finally:
        child.close(force=True)
