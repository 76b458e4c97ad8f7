"""The suite's own scheduling under pytest-xdist (tests/schedule.py): the tests that share a
module fixture are one unit, the longest go first, and a real ``-n 2 --dist loadgroup`` run
makes a module fixture once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

from ringlab.core import constants as C
from tests import schedule

RUN_TIMEOUT_S = 300.0


def fake_item(nodeid: str, fixtures, params=None, markers=()):
    """What schedule reads of a pytest item: node id, location, fixtures (name -> scope),
    parameters, markers."""
    defs = {name: [SimpleNamespace(scope=scope)] for name, scope in fixtures.items()}
    return SimpleNamespace(
        nodeid=nodeid, location=(nodeid.split("::")[0], 0, nodeid),
        _fixtureinfo=SimpleNamespace(name2fixturedefs=defs),
        callspec=SimpleNamespace(params=params) if params is not None else None,
        get_closest_marker=lambda name: name if name in markers else None)


@pytest.mark.unit
def test_tests_sharing_a_module_fixture_are_one_group():
    items = [
        fake_item("t/a.py::row1", {"catalogue": "module", "images": "session"}),
        fake_item("t/a.py::row2", {"catalogue": "module"}),
        fake_item("t/a.py::both", {"catalogue": "module", "host_run": "module"}),
        fake_item("t/a.py::host", {"host_run": "module"}),           # joined through `both`
        fake_item("t/a.py::plain", {"images": "session", "tmp_path": "function"}),
        fake_item("t/b.py::run[max]", {"run": "module"}, params={"run": "max"}),
        fake_item("t/b.py::run[qemu64]", {"run": "module"}, params={"run": "qemu64"}),
        fake_item("t/c.py::row1", {"catalogue": "module"}),          # another module's fixture
    ]
    groups = schedule.shared_groups(items)
    assert groups[:4] == ["t/a.py:catalogue"] * 4
    assert groups[4] == ""
    assert groups[5:] == ["t/b.py:run=max", "t/b.py:run=qemu64", "t/c.py:catalogue"]


@pytest.mark.unit
def test_a_test_never_timed_counts_as_its_kind():
    durations = {"t/a.py::timed": 7.5}
    assert schedule.estimate(fake_item("t/a.py::timed", {}), durations) == 7.5
    assert schedule.estimate(fake_item("t/a.py::g", {}, markers=("gdb", "boot")), durations) == 3.0
    assert schedule.estimate(fake_item("t/a.py::b", {}, markers=("boot",)), durations) == 1.0
    assert schedule.estimate(fake_item("t/a.py::u", {}), durations) == schedule.UNIT_GUESS_S


@pytest.mark.unit
def test_the_scheduler_reads_the_groups_the_workers_wrote(tmp_path):
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps({"t/a.py::row1": "t/a.py:catalogue",
                                  "t/a.py::row2": "t/a.py:catalogue"}))
    sched = schedule.SharedFixtureScheduling.__new__(schedule.SharedFixtureScheduling)
    sched.config, sched.groups = SimpleNamespace(_ringlab_groups_file=str(groups)), None
    assert sched._split_scope("t/a.py::row1") == sched._split_scope("t/a.py::row2")
    assert sched._split_scope("t/a.py::plain") == "t/a.py::plain"
    sched.config, sched.groups = SimpleNamespace(_ringlab_groups_file=str(tmp_path / "no")), None
    assert sched._split_scope("t/a.py::row1") == "t/a.py::row1"      # no file: no group


@pytest.mark.unit
def test_the_seed_names_every_test_and_the_cache_wins_over_it(tmp_path, monkeypatch):
    seed = schedule.seed()
    assert seed["tests/test_leases.py::test_lease_break_time_as_on_linux"] > 10
    assert all(key.startswith("tests/test_") and "::" in key for key in seed)
    cache = {schedule.DURATIONS_KEY: {"tests/test_leases.py::test_lease_break_time_as_on_linux": 3.0}}
    config = SimpleNamespace(cache=SimpleNamespace(get=lambda key, default: cache.get(key, default)))
    merged = schedule.recorded(config)
    assert merged["tests/test_leases.py::test_lease_break_time_as_on_linux"] == 3.0
    assert len(merged) == len(seed)
    monkeypatch.setattr(schedule, "SEED_FILE", tmp_path / "none.json")
    assert schedule.recorded(SimpleNamespace()) == {}


@pytest.mark.unit
def test_junit_times_become_node_ids(tmp_path):
    junit = tmp_path / "j.xml"
    junit.write_text('<testsuites><testsuite>'
                     '<testcase classname="tests.test_schedule" name="test_x[a-b]" time="1.234"/>'
                     '<testcase classname="tests.test_schedule.Klass" name="test_y" time="2"/>'
                     '<testcase classname="gone.module" name="test_z" time="9"/>'
                     '</testsuite></testsuites>')
    assert schedule.junit_durations(junit) == {"tests/test_schedule.py::test_x[a-b]": 1.23,
                                               "tests/test_schedule.py::Klass::test_y": 2.0}


PROJECT = {
    "conftest.py": """\
        pytest_plugins = ["tests.schedule"]
        """,
    "test_shared.py": """\
        import os, pytest

        @pytest.fixture(scope="module")
        def boot():
            with open(os.environ["SETUPS"], "a") as f:     # one line per setup, any worker
                f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
            return 1

        @pytest.mark.parametrize("row", range(12))
        def test_row(boot, row):
            assert boot == 1

        @pytest.mark.parametrize("n", range(12))
        def test_plain(n):
            pass
        """,
}


@pytest.mark.slow
def test_two_workers_make_a_module_fixture_once(tmp_path):
    """pytest-xdist 3.8's own loadgroup groups nothing under pytest 9: this run proves ours
    does (12 tests of one module fixture on two workers, the fixture made once)."""
    for name, body in PROJECT.items():
        (tmp_path / name).write_text(textwrap.dedent(body))
    setups = tmp_path / "setups"
    # the checkout's tests (tests.schedule) and its package (harness/ringlab)
    path = os.pathsep.join([str(C.REPO_ROOT), str(C.REPO_ROOT / "harness")])
    env = dict(os.environ, PYTHONPATH=path, SETUPS=str(setups))
    res = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:ringlab", "-p",
                          "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "-q"],
                         cwd=tmp_path, env=env, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT_S)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "24 passed" in res.stdout, res.stdout
    assert len(setups.read_text().splitlines()) == 1, setups.read_text()
