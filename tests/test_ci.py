"""ringlab as a product: CI at scale and the plugin from another repository.

- The GitHub Actions workflow is valid YAML with a matrix of shards and uploads of JUnit and
  artifacts; the shards (pytest-split, the workflow's own --splits N) partition the suite
  exactly (collect-only) and one shard runs alone for real.
- .ci/run runs exactly the README's CI command.
- The example lab, copied outside the checkout, passes with pytest, -n 2 and --junitxml using
  only the plugin; its deliberately failing test leaves a complete artifacts folder whose
  command.sh and reproduce.txt give the failing status again from another directory, and
  ``invoke grade`` prints the score table and writes JSON.

Nested pytest runs get their own artifacts folder (they would otherwise write into this session's),
and keep their byte-code in one cache of this session (tests/helpers.bytecode_cached_env): a
collection of the whole suite then takes about 1.5 s instead of 6.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Set

import pytest
import yaml

from ringlab.core import constants as C
from tests.helpers import bytecode_cached_env

# every test here runs pytest, invoke or a lab in a subprocess: `invoke test-quick` leaves them out
pytestmark = pytest.mark.slow

WORKFLOW = C.REPO_ROOT / ".github" / "workflows" / "ci.yml"
EXAMPLE = C.REPO_ROOT / "examples" / "lab"
SHARD_RUN_TIMEOUT_S = 300.0


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def sharded_job() -> dict:
    return workflow()["jobs"]["tests"]


def splits() -> int:
    run = " ".join(s.get("run", "") for s in sharded_job()["steps"])
    return int(re.search(r"--splits (\d+)", run).group(1))


def pytest_cmd(*args: str, artifacts: Path) -> List[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
            f"--ringlab-artifacts={artifacts}", *args]


@pytest.fixture(scope="module")
def child_env(tmp_path_factory) -> Dict[str, str]:
    """The environment of the nested runs: this one, with the session's byte-code cache."""
    return bytecode_cached_env(os.environ, tmp_path_factory.getbasetemp())


def collected(*args: str, artifacts: Path, env: Dict[str, str]) -> Set[str]:
    return collect_all([list(args)], artifacts=artifacts, env=env)[0]


def collect_all(arg_lists: List[List[str]], artifacts: Path,
                env: Dict[str, str]) -> List[Set[str]]:
    """The test ids ``pytest --collect-only ARGS`` selects, for each ARGS (run side by side)."""
    procs = [subprocess.Popen(pytest_cmd("--collect-only", "-q", *args, artifacts=artifacts),
                              cwd=C.REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, stdin=subprocess.DEVNULL, env=env)
             for args in arg_lists]
    out = []
    for p in procs:
        try:
            stdout, stderr = p.communicate(timeout=SHARD_RUN_TIMEOUT_S)
        finally:
            p.kill()
        assert p.returncode == 0, stdout + stderr
        out.append({line for line in stdout.splitlines() if "::" in line})
    return out


# -- the workflow and the shards -----------------------------------------------------------------

def test_workflow_is_yaml_with_a_shard_matrix_and_uploads():
    job = sharded_job()
    groups = job["strategy"]["matrix"]["group"]
    assert groups == list(range(1, splits() + 1))
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert any("bash .ci/setup" in r for r in runs)
    shard = next(r for r in runs if "--splits" in r)
    assert "--group ${{ matrix.group }}" in shard and "-n auto" in shard and "--junitxml=" in shard
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert "ringlab-junit-" in upload["with"]["path"] and "ringlab-artifacts/" in upload["with"]["path"]
    example = workflow()["jobs"]["example"]
    assert any("bash .ci/example" in s.get("run", "") for s in example["steps"])


def test_the_shards_are_exactly_the_whole_suite(tmp_path, child_env):
    groups = range(1, splits() + 1)
    # the whole suite first, alone: the shards' collections then find its byte-code cached
    whole, = collect_all([[]], artifacts=tmp_path, env=child_env)
    parts = collect_all([["--splits", str(splits()), "--group", str(g)] for g in groups],
                        artifacts=tmp_path, env=child_env)
    shards: Dict[int, Set[str]] = dict(zip(groups, parts))
    assert len(whole) > 100
    for g, ids in shards.items():
        assert ids, f"shard {g} is empty"
        for h in range(g + 1, splits() + 1):
            assert not ids & shards[h], f"shards {g} and {h} share {sorted(ids & shards[h])[:3]}"
    union = set().union(*shards.values())
    assert union == whole, (sorted(whole - union)[:5], sorted(union - whole)[:5])


def test_one_shard_runs_alone(tmp_path, child_env):
    """A shard of the fast unit tests, for real, on its own (the slow ones, nested pytest and
    invoke runs, are run by the suite itself: here they made this test 13 s of CPU)."""
    args = ["-m", "unit and not slow", "--splits", "6", "--group", "4"]
    expected = collected(*args, artifacts=tmp_path, env=child_env)
    junit = tmp_path / "shard.xml"
    res = subprocess.run(pytest_cmd("-q", *args, f"--junitxml={junit}", artifacts=tmp_path),
                         cwd=C.REPO_ROOT, capture_output=True, text=True, env=child_env,
                         stdin=subprocess.DEVNULL, timeout=SHARD_RUN_TIMEOUT_S)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    suite = ET.parse(junit).getroot().find("testsuite")
    assert int(suite.get("tests")) == len(expected) > 0
    assert suite.get("failures") == "0" and suite.get("errors") == "0"


def test_ci_run_runs_exactly_the_readme_test_command():
    readme = (C.REPO_ROOT / "README.md").read_text()
    line = ".venv/bin/invoke test"
    quick_start = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert quick_start.strip().splitlines()[-1] == line
    run = (C.REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert f"{line} </dev/null" in run and "set -euo pipefail" in run
    assert "bash .ci/example </dev/null" in run


# -- the example lab, from outside the checkout ----------------------------------------------------

@pytest.fixture
def outside(tmp_path) -> Dict[str, object]:
    """The example lab copied to tmp_path/lab, and an environment where ``ringlab`` is this
    checkout's harness (as ``pip install -e`` makes it; .ci/example does the real install)."""
    shim = tmp_path / "site"
    shim.mkdir()
    (shim / "ringlab").symlink_to(C.REPO_ROOT / "harness" / "ringlab")
    lab = tmp_path / "lab"
    shutil.copytree(EXAMPLE, lab, ignore=shutil.ignore_patterns("ringlab-artifacts", "*.json"))
    env = dict(os.environ, PYTHONPATH=str(shim))
    env.pop("RINGLAB_EXAMPLE_FAIL", None)
    return {"lab": lab, "env": env}


def lab_pytest(outside, *args: str, fail: bool = False) -> subprocess.CompletedProcess:
    env = dict(outside["env"], **({"RINGLAB_EXAMPLE_FAIL": "1"} if fail else {}))
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:ringlab", "-p",
                           "ringlab.plugin", "-q", "-p", "no:cacheprovider", *args],
                          cwd=outside["lab"], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=SHARD_RUN_TIMEOUT_S)


@pytest.mark.boot
@pytest.mark.parametrize("args", [(), ("-n", "2"), ("--junitxml=junit.xml",)],
                         ids=["plain", "xdist", "junit"])
def test_example_lab_passes_outside_the_checkout(images, outside, args):
    res = lab_pytest(outside, *args)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    assert re.search(r"\b2 passed, 1 skipped\b", res.stdout), res.stdout[-2000:]
    if args and args[0].startswith("--junitxml"):
        suite = ET.parse(outside["lab"] / "junit.xml").getroot().find("testsuite")
        assert (suite.get("tests"), suite.get("failures")) == ("3", "0")


@pytest.mark.boot
def test_a_failing_example_test_leaves_artifacts_that_reproduce_it(images, outside, tmp_path):
    outside["env"]["CI"] = "1"                  # -ra lines whole, not cut at 80 columns
    basetemp = tmp_path / "pytest-tmp"          # the lab's tmp_path: removed below
    res = lab_pytest(outside, "-k", "fails_on_purpose", "--junitxml=fail.xml",
                     f"--basetemp={basetemp}", fail=True)
    assert res.returncode == 1, res.stdout[-3000:] + res.stderr
    folder = outside["lab"] / "ringlab-artifacts" / \
        "tests_test_lab.py__test_fails_on_purpose_nullptr_exits_0"
    for name in ("console.txt", "events.jsonl", "qemu.log", "command.sh", "reproduce.txt",
                 "report.txt", "debug.sh", "machine.json"):
        assert (folder / name).stat().st_size > 0, name
    # machine.json: the program the test compiled into its tmp_path, and the folder's copy
    machine = json.loads((folder / "machine.json").read_text())
    init = machine["modules"][0]
    assert init["name"] == "nullptr" and init["path"].startswith(str(basetemp))
    assert init["copy"] == "files/nullptr" and machine["kernel"]["copy"] == "files/kernel.elf"
    shutil.rmtree(basetemp)                     # as pytest does after three sessions
    # the message says the failed check first, then names the folder; the JUnit failure
    # element holds report.txt
    assert f"ringlab artifacts: {folder}" in res.stdout
    assert re.search(r"^FAILED tests/test_lab.py::test_fails_on_purpose_nullptr_exits_0 - "
                     r"AssertionError: nullptr is killed by SIGSEGV", res.stdout, re.M), \
        res.stdout[-3000:]
    failure = ET.parse(outside["lab"] / "fail.xml").getroot().find(".//failure")
    message = failure.get("message").splitlines()
    assert message[0].startswith("AssertionError: nullptr is killed by SIGSEGV"), message
    assert message[1].startswith(f"ringlab artifacts: {folder} (machine 1: killed: "), message
    assert "console (last" in failure.text and "qemu.log: the test's boot" in failure.text
    # the fault named: symbol and source line (compile() builds at -O0 -g)
    assert re.search(r"^fault: pid 1 #PF \(vector 14\) error=0x4 at 0x[0-9a-f]+ <main\+\d+> "
                     r"nullptr\.c:9 from CPL 3, cr2=0x0$", failure.text, re.M), failure.text
    # the evidence: the kernel's fault event and QEMU's own -d int line for the same #PF
    events = [json.loads(l) for l in (folder / "events.jsonl").read_text().splitlines()]
    fault = next(e for e in events if e["kind"] == "fault")
    assert (fault["fields"]["vector"], fault["fields"]["cpl"]) == (14, 3)
    assert re.search(r"v=0e e=0004 i=0 cpl=3 ", (folder / "qemu.log").read_text())
    report = (folder / "report.txt").read_text()
    assert "booted the same machine again with -d int,cpu_reset" in report
    # its reproduce line boots the copies beside it (pytest removes tmp_path in time)
    assert re.search(rf"^reproduce: .* --init {re.escape(str(folder / 'files' / 'nullptr'))}"
                     r"( |$)", report, re.M), report
    # both reproduce the failing status from another directory
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    qemu = subprocess.run(["bash", str(folder / "command.sh")], cwd=elsewhere,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert qemu.returncode == ((139 << 1) | 1) & 0xFF, qemu.stderr
    assert "ringlab: kill pid=1 ppid=0 signal=11 name=SIGSEGV" in qemu.stdout
    boot = subprocess.run(["bash", "-c", (folder / "reproduce.txt").read_text()], cwd=elsewhere,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert boot.returncode == 139, boot.stderr
    # debug.sh opens gdb at the same fault (here in batch mode: gdb reports it and exits),
    # from the folder's own copy of the program (its tmp_path is gone)
    debug = subprocess.run(["sh", str(folder / "debug.sh"), "--batch", "--ex", "bt"],
                           cwd=elsewhere, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=120)
    out = debug.stdout + debug.stderr
    assert re.search(r"#PF .*from CPL 3", out), out[-4000:]
    assert re.search(r"\bmain \(.*nullptr\.c:9", out), out[-4000:]
    # invoke boot --from the folder: the same machine, the same status
    again = subprocess.run(["bash", "-c", f"{sys.executable} -m invoke --search-root "
                            f"{C.REPO_ROOT} boot --from {folder}"], cwd=elsewhere,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert again.returncode == 139, again.stderr


@pytest.mark.boot
def test_invoke_grade_prints_the_score_table_and_writes_json(images, invoke_cli, outside,
                                                             tmp_path):
    grade_json = tmp_path / "grade.json"
    res = invoke_cli(["grade", "--tests", str(outside["lab"]), "--json", str(grade_json)],
                     env=outside["env"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    # out of the box: 10/10, the test that fails on purpose (skipped) listed apart
    assert re.search(r"^score\s+10/10\s*$", res.stdout, re.M), res.stdout[-2000:]
    assert re.search(r"test_greet_prints_its_argument_and_exits_0\s+5/5\s+passed", res.stdout)
    assert re.search(r"^not counted \(1 skipped, 2 points\):\n\S+::"
                     r"test_fails_on_purpose_nullptr_exits_0\s+\(2\)\s+skipped: fails on "
                     r"purpose", res.stdout, re.M), res.stdout[-2000:]
    scores = json.loads(grade_json.read_text())
    assert (scores["score"], scores["max_score"], len(scores["tests"]),
            len(scores["skipped"])) == (10, 10, 2, 1)


@pytest.mark.boot
def test_invoke_grade_exits_1_with_a_failure_and_keeps_its_evidence_in_the_lab(
        images, invoke_cli, outside):
    lab = outside["lab"]
    env = dict(outside["env"], RINGLAB_EXAMPLE_FAIL="1")
    res = invoke_cli(["grade", "--tests", str(lab), "--", "-k", "fails_on_purpose"], env=env)
    assert res.returncode == 1, res.stdout[-3000:] + res.stderr
    folder = lab / "ringlab-artifacts" / "tests_test_lab.py__test_fails_on_purpose_nullptr_exits_0"
    assert re.search(rf"test_fails_on_purpose_nullptr_exits_0\s+0/2\s+failed  -> "
                     rf"{re.escape(str(folder))}$", res.stdout, re.M), res.stdout[-3000:]
    assert (folder / "report.txt").is_file()
    assert json.loads((lab / "grade.json").read_text())["score"] == 0
    assert not (C.REPO_ROOT / "examples" / "lab" / "grade.json").exists()


@pytest.mark.boot
def test_keep_all_keeps_a_passing_test_and_keep_none_nothing(images, outside):
    res = lab_pytest(outside, "-k", "greet", "--ringlab-keep=all", "--ringlab-log=logs")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    kept = outside["lab"] / "ringlab-artifacts" / \
        "tests_test_lab.py__test_greet_prints_its_argument_and_exits_0"
    assert "(the test passed)" in (kept / "report.txt").read_text()
    assert "hello, ring3 (pid 1)" in (kept / "console.txt").read_text()
    # the test's log (--ringlab-log): the machine's command and console
    log = (outside["lab"] / "logs" / f"{kept.name}.log").read_text()
    assert re.search(r"^== machine 1: \S*qemu-system-x86_64 .*-kernel ", log, re.M), log
    assert "\nhello, ring3 (pid 1)\n" in log and "ringlab: halt status=0" in log, log
    res = lab_pytest(outside, "-k", "fails_on_purpose", "--ringlab-keep=none", fail=True)
    assert res.returncode == 1 and "ringlab artifacts:" not in res.stdout
    # nothing of the failed test; greet's evidence stays (it did not run this time)
    assert [p.name for p in (outside["lab"] / "ringlab-artifacts").iterdir()] == [kept.name]
    assert "(the test passed)" in (kept / "report.txt").read_text()


def test_a_bad_keep_value_is_a_one_line_usage_error(outside):
    res = lab_pytest(outside, "--ringlab-keep=sometimes")
    assert res.returncode == 4
    assert "--ringlab-keep: 'sometimes' is not one of failed, all, none" in res.stderr
    assert "Traceback" not in res.stderr


def test_invoke_grade_without_the_tests_is_a_one_line_error(invoke_cli, tmp_path):
    res = invoke_cli(["grade", "--tests", str(tmp_path / "nope")])
    assert res.returncode == C.EXIT_SETUP_ERROR
    assert res.stderr.strip() == f"ringlab-grade: error: {tmp_path / 'nope'}: no such file or " \
                                 "directory (the lab's tests)"
