"""``invoke test`` and ``invoke test-quick``: pytest from the same interpreter."""
from __future__ import annotations

import subprocess
import sys
from typing import Sequence

from ..core import constants as C


def main(args: Sequence[str] = ()) -> int:
    """Run ``python -m pytest ARGS`` in the repository; returns pytest's exit status."""
    cmd = [sys.executable, "-m", "pytest", *args]
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=C.REPO_ROOT, stdin=subprocess.DEVNULL).returncode
