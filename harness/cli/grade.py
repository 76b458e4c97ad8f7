"""``invoke grade``: run a lab's tests with the plugin's grading and print the score table.

The tests marked ``@pytest.mark.points(N)`` earn N points each when they pass; the table
(test, points, result, the artifacts folder of a failed test) ends pytest's output and the same
goes to a JSON file. This checkout's plugin is the one loaded (``-p ringlab.plugin``, with the
checkout first on PYTHONPATH), whichever ringlab is installed.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from ..core import constants as C
from .epilogue import Epilogue

DEFAULT_TESTS = C.REPO_ROOT / "examples" / "lab"
DEFAULT_JSON = "grade.json"


def main(tests: str = str(DEFAULT_TESTS), json_path: str = DEFAULT_JSON,
         args: Sequence[str] = ()) -> int:
    """Run ``pytest TESTS --ringlab-grade JSON ARGS``.

    Returns:
        0 when the grading ran (failing tests only cost points); EXIT_SETUP_ERROR (one line)
        when TESTS does not exist; else pytest's status (2 interrupted, 3 internal error,
        4 usage error, 5 no tests).
    """
    if not Path(tests).exists():
        return Epilogue("grade").error(f"{tests}: no such file or directory (the lab's tests)")
    json_file = Path(json_path).resolve()
    cmd = [sys.executable, "-m", "pytest", "-p", "no:ringlab", "-p", "ringlab.plugin",
           f"--ringlab-grade={json_file}", *args, tests]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(C.REPO_ROOT)] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    print("+ " + " ".join(cmd), flush=True)
    rc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL).returncode
    if rc in (0, 1) and json_file.is_file():
        return 0
    return rc
