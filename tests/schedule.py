"""The suite under pytest-xdist: tests that share a module's boot stay together, and the
longest go first (a pytest plugin of this repository's own, loaded by tests/conftest.py).

``invoke test`` runs ``-n auto --dist loadgroup``, which this plugin schedules
(``SharedFixtureScheduling``): each test is a unit of its own that any worker may take, in
collection order, except the tests grouped here.

- Grouped: the tests that use a module-scoped fixture (one boot of the fault catalogue per
  CPU model, one run of ``compat``, ``doors``, ``ioprobe`` ... for the whole module) are one
  unit per fixture (and parameter): they run on one worker, one after the other, so the
  fixture is made once, not once per worker that got one of them, nor again each time a
  worker came back to the module after another test. The workers write each test's group
  to a file the controller names (``workerinput``); the controller reads it once every
  worker has collected. (pytest-xdist 3.8's own ``loadgroup`` renames node ids to group
  ``xdist_group`` tests, which pytest 9 no longer reads: it would group nothing.)
- Sorted: units are handed out in collection order. A 50 s gdb test collected last would
  run alone at the end while the other workers idle; sorted longest first (a group by the
  sum of its tests), the long tests start at once and the short ones fill the gaps.
- A fresh clone has no record: the seed, ``tests/durations.json`` (a JSON object of node id
  to seconds, pytest-split's format: ``--durations-path tests/durations.json`` balances its
  shards by the same figures), gives every test its time from a whole run; ``python -m
  tests.schedule JUNIT.xml`` writes it from a run's JUnit file. Without it
  the 90-s lease test, guessed at 1 s, could start last and run alone.
- Every run records how long each test took (setup + call + teardown, in seconds) in
  pytest's cache (``ringlab/durations``; ``ringlab/durations-sanitize`` for runs on the
  sanitizer kernel), merged with what earlier runs recorded. The controller reads that
  record once and hands the same copy to every worker, so all workers sort alike
  (pytest-xdist refuses workers whose collections differ, and another run ending meanwhile
  cannot make them differ). A test never recorded counts as its kind usually takes
  (GUESS_S). Equal times keep the collection order.
- Only the workers of a ``--dist loadgroup`` run sort, after every other plugin chose the
  tests (pytest-split's ``--splits``/``--group`` sees the collection order): a plain
  ``pytest`` run, or ``-n N`` alone, keeps the files' order.
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from ringlab.core import constants as C

try:                                # pytest-xdist is optional (the "parallel" extra)
    from xdist.scheduler import LoadScopeScheduling
except ImportError:                 # pragma: no cover - without it no worker ever runs
    LoadScopeScheduling = object

#: pytest cache key of the recorded durations (per kernel: the sanitizer kernel is slower)
DURATIONS_KEY = "ringlab/durations" + ("-sanitize" if C.SANITIZE else "")
#: ``workerinput`` keys: the recorded durations, and the file the workers write groups to
DURATIONS_INPUT, GROUPS_INPUT = "ringlab_durations", "ringlab_groups_file"
#: seconds a test never recorded is counted as, by marker (first match), else UNIT_GUESS_S
GUESS_S = (("gdb", 3.0), ("boot", 1.0))
UNIT_GUESS_S = 0.05
#: fixture scopes whose value a module's tests share (a session fixture is per worker anyway)
SHARED_SCOPES = ("module", "class", "package")
DIST = "loadgroup"
#: the committed durations of a whole run (pytest-split's format)
SEED_FILE = Path(__file__).resolve().parent / "durations.json"

_ran: Dict[str, float] = {}         # this run's durations, in the controller


def seed() -> Dict[str, float]:
    """The committed durations (SEED_FILE), {} when it is missing or unreadable."""
    try:
        value = json.loads(SEED_FILE.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def recorded(config) -> Dict[str, float]:
    """The durations earlier runs recorded over the seed (the seed alone without pytest's
    cache plugin)."""
    cache = getattr(config, "cache", None)
    value = cache.get(DURATIONS_KEY, {}) if cache is not None else {}
    return {**seed(), **(value if isinstance(value, dict) else {})}


def shared_fixtures(item) -> List[str]:
    """The module-scoped fixtures ``item`` uses, each as ``MODULE:NAME[=PARAM]``."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    out = []
    for name in sorted(info.name2fixturedefs):
        defs = info.name2fixturedefs[name]
        if defs and defs[-1].scope in SHARED_SCOPES:
            out.append(f"{item.location[0]}:{name}" + (f"={params[name]}" if name in params
                                                       else ""))
    return out


def shared_groups(items) -> List[str]:
    """The group of each item, "" for none: tests that share a module fixture (directly, or
    through another test that uses both of two) are one group, named after its first
    fixture in sorted order."""
    parent: Dict[str, str] = {}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    uses = [shared_fixtures(item) for item in items]
    for keys in uses:
        for key in keys:
            parent.setdefault(key, key)
        for key in keys[1:]:
            a, b = sorted((root(keys[0]), root(key)))
            parent[b] = a
    return [root(keys[0]) if keys else "" for keys in uses]


def estimate(item, durations: Dict[str, float]) -> float:
    """Seconds ``item`` is expected to take: its record, else GUESS_S by its markers."""
    if item.nodeid in durations:
        return float(durations[item.nodeid])
    return next((s for m, s in GUESS_S if item.get_closest_marker(m) is not None), UNIT_GUESS_S)


class SharedFixtureScheduling(LoadScopeScheduling):
    """pytest-xdist's scope scheduling with a scope per test, or per group of tests sharing a
    module fixture (read from the file the workers wrote; collection order kept)."""

    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        self.groups: Optional[Dict[str, str]] = None

    def _split_scope(self, nodeid: str) -> str:
        if self.groups is None:
            path = getattr(self.config, "_ringlab_groups_file", None)
            try:
                self.groups = json.loads(Path(path).read_text()) if path else {}
            except (OSError, ValueError):
                self.groups = {}    # no group: every test a unit of its own
        group = self.groups.get(nodeid)
        return "group " + group if group else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup``: SharedFixtureScheduling, in the collection order (pytest-xdist
    would put the largest scopes first)."""
    if config.getvalue("dist") != DIST:
        return None
    config.option.loadscopereorder = False
    return SharedFixtureScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """The controller, for each worker it starts: the one copy of the record, and the one
    file for the groups."""
    config = node.config
    if not hasattr(config, "_ringlab_durations"):
        config._ringlab_durations = recorded(config)
        fd, path = tempfile.mkstemp(prefix="ringlab-groups-", suffix=".json")
        os.close(fd)
        config._ringlab_groups_file = path
    node.workerinput[DURATIONS_INPUT] = config._ringlab_durations
    node.workerinput[GROUPS_INPUT] = config._ringlab_groups_file


@pytest.hookimpl(hookwrapper=True)
def pytest_collection_finish(session):
    """In a worker of a ``--dist loadgroup`` run, once every plugin selected the tests and
    before the worker sends the controller its list: the longest first (a group by the sum
    of its tests; a stable sort: ties keep their order), and the groups written down."""
    config = session.config
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and GROUPS_INPUT in workerinput and config.getvalue(DIST):
        durations = workerinput.get(DURATIONS_INPUT) or {}
        rows = [(item, group, estimate(item, durations))
                for item, group in zip(session.items, shared_groups(session.items))]
        totals: Dict[str, float] = {}
        for _, group, seconds in rows:
            if group:
                totals[group] = totals.get(group, 0.0) + seconds
        rows.sort(key=lambda row: -(totals[row[1]] if row[1] else row[2]))
        session.items[:] = [item for item, _, _ in rows]
        path = Path(workerinput[GROUPS_INPUT])
        tmp = path.with_name(f"{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({item.nodeid: group for item, group, _ in rows if group}))
        os.replace(tmp, path)       # every worker writes the same; a reader sees one whole
    yield


def pytest_runtest_logreport(report) -> None:
    """Add up each test's phases (in the controller the workers' reports arrive here too)."""
    _ran[report.nodeid] = _ran.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session) -> None:
    """The controller (or a plain run) merges this run's durations into the record and
    removes the groups file."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    path = getattr(config, "_ringlab_groups_file", None)
    if path:
        Path(path).unlink(missing_ok=True)
    cache = getattr(config, "cache", None)
    if cache is not None and _ran:
        cache.set(DURATIONS_KEY, {**recorded(config), **{k: round(v, 3) for k, v in _ran.items()}})


def junit_durations(path: Path) -> Dict[str, float]:
    """Seconds per node id (setup + call + teardown, JUnit's ``time``) in a JUnit XML file
    written by ``pytest --junitxml`` from the top of the checkout."""
    out: Dict[str, float] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        parts = case.get("classname", "").split(".")
        for cut in range(len(parts), 0, -1):        # tests.test_x[.Class]: the file is the longest
            module = Path(*parts[:cut]).with_suffix(".py")
            if (SEED_FILE.parent.parent / module).is_file():
                nodeid = "::".join([module.as_posix(), *parts[cut:], case.get("name", "")])
                out[nodeid] = round(float(case.get("time", 0.0)), 2)
                break
    return out


def main(argv: List[str]) -> int:
    """``python -m tests.schedule JUNIT.xml...``: write SEED_FILE from those runs (a later
    file's figure wins)."""
    if not argv:
        print("usage: python -m tests.schedule JUNIT.xml [JUNIT.xml ...]", file=sys.stderr)
        return 2
    durations: Dict[str, float] = {}
    for name in argv:
        durations.update(junit_durations(Path(name)))
    SEED_FILE.write_text(json.dumps(dict(sorted(durations.items())), indent=1) + "\n")
    print(f"{SEED_FILE}: {len(durations)} tests, {sum(durations.values()):.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
