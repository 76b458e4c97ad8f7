"""Grading a lab a teacher can trust, without QEMU: labs of plain tests (no machine) in
tmp_path, run by a real pytest with the plugin, and by ``invoke grade``. The example lab's
grading on real machines: tests/test_ci.py.

- a bad ``points`` value is an error of that test only, never INTERNALERROR;
- only points-marked tests run; skipped ones are listed apart, not in the maximum;
- the exit status says whether every graded test passed; JUnit carries the score;
- ``invoke grade --tests DIR`` runs pytest in DIR with DIR's configuration.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict

import pytest

from ringlab.core import constants as C

pytestmark = pytest.mark.unit

PYTEST_TIMEOUT_S = 120.0
PYPROJECT = """\
[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-ra --strict-markers"
ringlab_artifacts = "evidence"
"""


def make_lab(root: Path, tests: Dict[str, str]) -> Path:
    """A lab folder: pyproject.toml (testpaths, addopts, an artifacts folder of its own) and
    tests/NAME.py for each entry."""
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    for name, body in tests.items():
        (root / "tests" / f"{name}.py").write_text("import pytest\n\n" + textwrap.dedent(body))
    return root


def lab_env() -> Dict[str, str]:
    """``ringlab`` importable as this checkout's package (harness/ringlab)."""
    return dict(os.environ, PYTHONPATH=str(C.REPO_ROOT / "harness"))


def run_pytest(lab: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:ringlab", "-p",
                           "ringlab.plugin", "-p", "no:cacheprovider", *args], cwd=lab,
                          env=lab_env(), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=PYTEST_TIMEOUT_S)


GRADED = """\
@pytest.mark.points(3)
def test_passes():
    assert 1 + 1 == 2

@pytest.mark.points(1)
def test_fails():
    assert 1 + 1 == 3, "arithmetic"

@pytest.mark.points(2)
@pytest.mark.skip(reason="needs a second machine")
def test_skipped():
    pass

def test_unmarked_fails():
    assert False, "an unmarked test must not run under grading"
"""


@pytest.mark.slow
def test_a_bad_points_value_is_an_error_of_that_test_only(tmp_path):
    lab = make_lab(tmp_path / "lab", {"test_bad": """\
        @pytest.mark.points("lots")
        def test_typo():
            pass

        @pytest.mark.points(-2)
        def test_negative():
            pass

        @pytest.mark.points(4)
        def test_good():
            pass
        """})
    res = run_pytest(lab, "--ringlab-grade=g.json")
    out = res.stdout + res.stderr
    assert "INTERNALERROR" not in out and "Traceback" not in out, out
    assert res.returncode == 1, out
    assert re.search(r"\b1 passed, 2 errors\b", out), out
    assert re.search(r"^ERROR tests/test_bad.py::test_typo - Failed: "
                     r"@pytest.mark.points\('lots'\)", out, re.M), out
    assert "\n@pytest.mark.points('lots'): want one number of points >= 0, e.g. " \
        "@pytest.mark.points(5)\n" in out, out
    assert "\n@pytest.mark.points(-2): want one number" in out, out
    scores = json.loads((lab / "g.json").read_text())
    assert (scores["score"], scores["max_score"]) == (4, 4)
    assert sorted((t["nodeid"].split("::")[1], t["outcome"]) for t in scores["tests"]) == [
        ("test_good", "passed"), ("test_negative", "error (setup)"),
        ("test_typo", "error (setup)")]


@pytest.mark.slow
def test_grading_runs_points_tests_lists_skips_apart_and_puts_the_score_in_junit(tmp_path):
    lab = make_lab(tmp_path / "lab", {"test_graded": GRADED})
    res = run_pytest(lab, "--ringlab-grade=g.json", "--junitxml=junit.xml")
    out = res.stdout + res.stderr
    assert res.returncode == 1, out                       # test_fails failed
    assert "test_unmarked_fails" not in out and re.search(r"\b1 deselected\b", out), out
    assert re.search(r"^score\s+3/4\s*$", out, re.M), out
    assert re.search(r"^not counted \(1 skipped, 2 points\):\n"
                     r"tests/test_graded.py::test_skipped\s+\(2\)\s+skipped: needs a second "
                     r"machine$", out, re.M), out
    assert "ringlab grade: 3/4 points (1 skipped, 2 points, not counted)" in out, out
    suite = ET.parse(lab / "junit.xml").getroot().find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props == {"ringlab_score": "3", "ringlab_max_score": "4",
                     "ringlab_skipped_points": "2"}
    scores = json.loads((lab / "g.json").read_text())
    assert [(t["nodeid"], t["detail"]) for t in scores["skipped"]] == [
        ("tests/test_graded.py::test_skipped", "needs a second machine")]


@pytest.mark.slow
def test_a_plain_run_still_runs_the_unmarked_tests(tmp_path):
    lab = make_lab(tmp_path / "lab", {"test_graded": GRADED})
    res = run_pytest(lab)
    assert re.search(r"\b2 failed, 1 passed, 1 skipped\b", res.stdout), res.stdout


def test_invoke_grade_runs_in_the_lab_with_its_config_and_fails_with_a_test(invoke_cli,
                                                                            tmp_path):
    lab = make_lab(tmp_path / "lab", {"test_graded": GRADED})
    res = invoke_cli(["grade", "--tests", str(lab), "--", "--junitxml=junit.xml"],
                     env=lab_env())
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert re.search(rf"^rootdir: {re.escape(str(lab))}\n"
                     r"configfile: pyproject.toml\ntestpaths: tests$", out, re.M), out
    assert re.search(r"^FAILED tests/test_graded.py::test_fails - AssertionError: arithmetic",
                     out, re.M), out                       # the lab's addopts: -ra
    assert re.search(r"^score\s+3/4\s*$", out, re.M), out
    # the JSON and the JUnit file land in the lab (its folder is pytest's working directory)
    assert json.loads((lab / "grade.json").read_text())["score"] == 3
    assert (lab / "junit.xml").is_file() and not (C.REPO_ROOT / "junit.xml").exists()


def test_invoke_grade_exits_0_when_every_graded_test_passes(invoke_cli, tmp_path):
    lab = make_lab(tmp_path / "lab", {"test_ok": """\
        @pytest.mark.points(2)
        def test_one():
            pass

        @pytest.mark.points(1)
        @pytest.mark.skip(reason="optional")
        def test_optional():
            pass
        """})
    res = invoke_cli(["grade", "--tests", str(lab)], env=lab_env())
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"^score\s+2/2\s*$", res.stdout, re.M), res.stdout
