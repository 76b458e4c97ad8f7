"""``invoke test`` and ``invoke test-quick``: pytest from the same interpreter."""
from __future__ import annotations

import subprocess
import sys
from typing import Sequence

from ..core import constants as C


# What ``invoke test`` adds in front of the caller's options: every core (pytest-xdist) and a
# JUnit report, so the README's one test command is also exactly what CI runs. Options after
# ``--`` come later and win (``invoke test -- -n 0`` runs serially).
WHOLE_SUITE_ARGS = ("-n", "auto", f"--junitxml={C.JUNIT_FILE}")


def main(args: Sequence[str] = ()) -> int:
    """Run ``python -m pytest ARGS`` in the repository; returns pytest's exit status
    (5, no test collected, is a failure like any other non-zero status)."""
    cmd = [sys.executable, "-m", "pytest", *args]
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=C.REPO_ROOT, stdin=subprocess.DEVNULL).returncode
