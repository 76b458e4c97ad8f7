"""Helpers shared by test modules (fixtures live in conftest.py)."""
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Dict, Iterator, Mapping

import pexpect

from ringlab.core import constants as C

TERMINAL_TIMEOUT_S = 30.0
#: the folder under the session's base temporary folder where children keep their byte-code
CHILD_PYCACHE = "child-pycache"


def bytecode_cached_env(env: Mapping[str, str], basetemp: Path) -> Dict[str, str]:
    """``env`` for a child Python (a nested pytest run, a snippet) with the byte-code cache on,
    kept in ``basetemp/child-pycache`` (PYTHONPYCACHEPREFIX), never in the checkout.

    With PYTHONDONTWRITEBYTECODE set (as in the environments this suite runs in) every nested
    pytest compiled and assertion-rewrote the whole suite again: some 5 of the 6 s of one
    collection of it. With the cache the first child pays that once for the session (pytest's
    rewritten test modules are cached under the prefix too: _pytest/assertion/rewrite.py).
    ``basetemp`` is ``tmp_path_factory.getbasetemp()``: one cache per session (per xdist
    worker), removed with it.
    """
    out = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPYCACHEPREFIX"] = str(basetemp / CHILD_PYCACHE)
    return out


#: the terminal's signal keys a shell without job control makes its background jobs ignore
TERMINAL_KEY_SIGNALS = (signal.SIGINT, signal.SIGQUIT)


def as_a_foreground_job() -> None:
    """pexpect ``preexec_fn``: the terminal's signal keys (Ctrl-C SIGINT, Ctrl-\\ SIGQUIT)
    at SIG_DFL in the child, as an interactive shell starts a foreground job.

    A suite started in the background by a shell without job control (``invoke test &`` in a
    script: POSIX Shell Command Language 2.11, the commands of an asynchronous list "shall
    inherit from the shell a signal action of ignored (SIG_IGN) for the SIGINT and SIGQUIT
    signals") passes both ignored to every child; execve keeps an ignored signal ignored, and
    Python turns SIGINT into KeyboardInterrupt only "if the parent process has not changed
    it" (the signal module's documentation). A Ctrl-C typed on the child's terminal then did
    nothing: ``^C`` echoed, no ``interrupted`` (tests/test_machine.py's Ctrl-C test, once).
    """
    for sig in TERMINAL_KEY_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)


@contextlib.contextmanager
def invoke_on_a_terminal(*args: str,
                         timeout_s: float = TERMINAL_TIMEOUT_S) -> Iterator[pexpect.spawn]:
    """Run ``invoke ARGS`` (the real CLI of this checkout) on a pty, as a user at a terminal:
    a foreground job (``as_a_foreground_job``: Ctrl-C and Ctrl-\\ reach it whatever the
    suite's own signal dispositions).

    Yields the pexpect child (``expect``, ``send``, ``sendintr``...; each expect bounded by
    ``timeout_s``). On leaving the block the child is closed, killed if it still runs, so its
    ``exitstatus``/``signalstatus`` can be asserted after the block.
    """
    child = pexpect.spawn(sys.executable, ["-m", "invoke", *args], cwd=str(C.REPO_ROOT),
                          encoding="utf-8", timeout=timeout_s, env=dict(os.environ),
                          preexec_fn=as_a_foreground_job)
    try:
        yield child
    finally:
        child.close(force=True)
