"""Every code snippet of README.md runs here.

- ```python blocks run from a directory outside the checkout, with ``ringlab`` importable as
  an installed package would be (a path entry naming this checkout's harness): a block with
  ``def test_`` functions is a test file for pytest and the plugin, any other block a script
  that must exit 0 (its own ``assert``/``print`` lines are the check).
- ```sh blocks: every command line is in COMMANDS, either run here (from the checkout, with
  the exit status the README gives it) or covered by the named test or CI step that runs it
  in full (installing Debian packages, this very suite, an interactive terminal). A README
  command missing from COMMANDS fails, and so does a COMMANDS entry the README lost.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple, Union

import pytest

from ringlab.core import constants as C

README = C.REPO_ROOT / "README.md"
SNIPPET_TIMEOUT_S = 180.0
NESTED_ENV = "RINGLAB_README_COMMAND"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def blocks(lang: str) -> List[str]:
    return [body for l, body in _BLOCK.findall(README.read_text()) if l == lang]


def sh_commands() -> List[str]:
    out = []
    for body in blocks("sh"):
        for line in body.splitlines():
            cmd = re.sub(r"\s+#.*$", "", line).strip()
            if cmd:
                out.append(cmd)
    return out


class Run:
    """Run the command here, from the checkout; it must exit with ``status``."""

    def __init__(self, status: int) -> None:
        self.status = status


#: README command -> Run(status) or where it is run in full (a test id or a CI step).
COMMANDS: Dict[str, Union[Run, str]] = {
    "sudo bash .ci/setup && .venv/bin/invoke build boot":
        ".ci/run (CI: installs Debian packages, so not from a test); "
        "tests/test_boot.py::test_invoke_boot_default_init_exits_0",
    ".venv/bin/invoke test": "this suite itself",
    ".venv/bin/invoke boot --init images/user/seed_read --file example.txt": Run(0),
    ".venv/bin/invoke iso --init images/user/hlt":
        "tests/test_iso.py::test_invoke_iso_says_how_to_boot_it",
    ".venv/bin/invoke boot --accel kvm":
        "tests/test_iso.py::test_accel_kvm_needs_a_probe_that_runs_ring3_right",
    ".venv/bin/invoke test-quick": "a subset of this suite (`-m 'unit or quick'`)",
    ".venv/bin/pytest -m unit": "a subset of this suite",
    ".venv/bin/invoke test -- -n 0": "this suite itself, serially (CI runs it on every core)",
    ".venv/bin/pytest -m boot -k hlt": Run(0),
    ".venv/bin/invoke boot": Run(0),
    ".venv/bin/invoke boot --init images/user/hlt": Run(139),
    ".venv/bin/invoke boot --init images/user/efault --append trace=syscall": Run(0),
    ".venv/bin/invoke boot --init ./myprog":
        "tests/test_boot.py::test_invoke_boot_init_exit_status (any static program as init)",
    ".venv/bin/invoke boot --dry-run": Run(0),
    ".venv/bin/invoke boot --timeout 5 --int-log --cpu qemu64": Run(0),
    ".venv/bin/invoke boot --user 1000": Run(0),
    ".venv/bin/invoke boot --shell": "tests/test_shell.py (on a terminal and on a pipe)",
    ".venv/bin/invoke boot --init images/user/seed_open --file example.txt":
        "tests/test_files.py::test_seed_example_with_file_example_txt_exits_0",
    ".venv/bin/invoke boot --init images/user/seed_open": Run(1),
    ".venv/bin/invoke boot --init /bin/busybox --args sh":
        "tests/test_busybox.py::test_invoke_boot_busybox_sh_is_an_interactive_shell (a terminal)",
    ".venv/bin/invoke boot --init images/user/memrange --append trace=mem": Run(0),
    ".venv/bin/invoke boot --init images/user/pthreads": Run(3),
    '.venv/bin/invoke boot --init images/user/threadmem --append "trace=mem init.args=4"': Run(0),
    ".venv/bin/invoke faults": Run(0),
    ".venv/bin/python -m ringlab.catalogue.faults": Run(0),
    "python3 -m venv .venv": ".ci/example (a fresh venv; needs the package index)",
    ".venv/bin/pip install -e /path/to/ringlab pytest-xdist":
        ".ci/example (editable and plain install into fresh venvs)",
    ".venv/bin/pytest -n auto --junitxml=junit.xml":
        "tests/test_ci.py::test_example_lab_passes_outside_the_checkout (xdist, junit)",
    ".venv/bin/invoke grade --json grade.json":
        "tests/test_ci.py::test_invoke_grade_prints_the_score_table_and_writes_json",
}


def outside_env(tmp_path: Path) -> Dict[str, str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    if not (site / "ringlab").exists():
        (site / "ringlab").symlink_to(C.REPO_ROOT / "harness")
    return dict(os.environ, PYTHONPATH=str(site))


def test_every_readme_command_is_accounted_for():
    readme = sh_commands()
    missing = [c for c in readme if c not in COMMANDS]
    assert not missing, f"README commands not in tests/test_readme.py COMMANDS: {missing}"
    stale = [c for c in COMMANDS if c not in readme]
    assert not stale, f"COMMANDS the README no longer has: {stale}"


@pytest.mark.boot
@pytest.mark.parametrize("command", [c for c, how in COMMANDS.items() if isinstance(how, Run)])
def test_readme_command_runs(images, command, tmp_path):
    if os.environ.get(NESTED_ENV):
        pytest.skip("inside a README command already (`pytest -k hlt` selects these too)")
    env = dict(os.environ, **{C.RUNTIME_ENV: str(tmp_path), NESTED_ENV: "1",
                              "PYTEST_ADDOPTS": f"--ringlab-artifacts={tmp_path / 'artifacts'}"})
    res = subprocess.run(["bash", "-c", command], cwd=C.REPO_ROOT, env=env, capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, timeout=SNIPPET_TIMEOUT_S)
    assert res.returncode == COMMANDS[command].status, res.stdout[-2000:] + res.stderr[-2000:]


def python_blocks() -> List[Tuple[str, str]]:
    return [(f"python-{i}", body) for i, body in enumerate(blocks("python"), 1)]


@pytest.mark.boot
@pytest.mark.parametrize("name,code", python_blocks(), ids=[n for n, _ in python_blocks()])
def test_readme_python_snippet_runs_outside_the_checkout(images, name, code, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = outside_env(tmp_path)
    if re.search(r"^def test_", code, re.M):
        (work / f"test_readme_{name.replace('-', '_')}.py").write_text(code)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:ringlab", "-p", "ringlab.plugin",
               "-p", "no:cacheprovider", f"--ringlab-artifacts={tmp_path / 'artifacts'}"]
    else:
        cmd = [sys.executable, "-c", code]
    res = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=SNIPPET_TIMEOUT_S)
    assert res.returncode == 0, f"{name}:\n{code}\n--- stdout\n{res.stdout[-3000:]}\n" \
                                f"--- stderr\n{res.stderr[-3000:]}"
