"""``invoke grade``: run a lab's tests with the plugin's grading and print the score table.

The tests marked ``@pytest.mark.points(N)`` earn N points each when they pass; the others are
not run. pytest runs in the lab's folder, with the lab's configuration (its rootdir and ini
file: ``testpaths``, ``addopts``, the ``ringlab_*`` keys), so the evidence of failed tests
lands in the lab's ``ringlab-artifacts``. The table (test, points, result, the artifacts
folder of a failed test; skipped tests apart, not counted) ends pytest's output and the same
goes to a JSON file. This checkout's plugin is the one loaded (``-p ringlab.plugin``, with the
checkout's harness/ first on PYTHONPATH), whichever ringlab is installed.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..core import constants as C
from .epilogue import Epilogue

DEFAULT_TESTS = C.REPO_ROOT / "examples" / "lab"
DEFAULT_JSON = "grade.json"


def pytest_place(tests: Path) -> Tuple[Path, List[str]]:
    """Where pytest runs for ``tests`` and the paths it is given: a folder is the lab (pytest
    runs there on what its configuration names); a file runs in its folder, on itself."""
    tests = tests.resolve()
    if tests.is_dir():
        return tests, []
    return tests.parent, [tests.name]


def main(tests: str = str(DEFAULT_TESTS), json_path: Optional[str] = None,
         args: Sequence[str] = ()) -> int:
    """Run ``pytest --ringlab-grade JSON ARGS`` in the lab's folder ``tests``.

    Args:
        tests: the lab's folder (or one test file).
        json_path: where the scores go (relative: to the current directory); default
            grade.json in the lab's folder.
        args: more pytest options.

    Returns:
        pytest's status: 0 when every graded test passed, 1 when one failed (its points are
        lost), 2 interrupted, 3 internal error, 4 usage error, 5 no points-marked test;
        EXIT_SETUP_ERROR (one line) when TESTS does not exist.
    """
    if not Path(tests).exists():
        return Epilogue("grade").error(f"{tests}: no such file or directory (the lab's tests)")
    cwd, paths = pytest_place(Path(tests))
    json_file = Path(json_path).resolve() if json_path else cwd / DEFAULT_JSON
    cmd = [sys.executable, "-m", "pytest", "-p", "no:ringlab", "-p", "ringlab.plugin",
           f"--ringlab-grade={json_file}", *args, *paths]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(C.REPO_ROOT / "harness")] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    print(f"+ cd {cwd} && " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL).returncode
