"""Grading: tests marked ``@pytest.mark.points(N)`` earn N points when they pass.

``Grades`` collects the reports (in the controlling process under pytest-xdist too: the
points travel in the report's ``user_properties``), then prints a score table and writes JSON::

    {"score": 8, "max_score": 8,
     "tests": [{"nodeid": "...", "points": 5, "earned": 5, "outcome": "passed",
                "artifacts": null, "detail": ""}, ...],
     "skipped": [{"nodeid": "...", "points": 2, "earned": 0, "outcome": "skipped",
                  "artifacts": null, "detail": "the skip reason"}]}

A test earns its points only if its setup, call and teardown all passed. A failed test (or
one whose setup or teardown failed) counts in ``max_score`` with 0 earned; a skipped test does
not count at all: it is listed apart (``skipped``, with its reason), so a lab whose optional
test is skipped still scores out of what ran. ``artifacts`` names a failed test's evidence
folder.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

POINTS_PROPERTY = "ringlab_points"
#: JUnit <testsuite> properties the score is written to (--junitxml)
SUITE_PROPERTIES = ("ringlab_score", "ringlab_max_score", "ringlab_skipped_points")


def points_value(args: Sequence[object], kwargs: Mapping[str, object]) -> float:
    """The points of a ``@pytest.mark.points(...)`` marker: ``points(5)``, ``points(2.5)``;
    ``points()`` is 1.

    Raises:
        ValueError: anything else (a string, a negative number, several arguments), naming
            the marker as written.
    """
    shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    if not args and not kwargs:
        return 1.0
    value = args[0] if len(args) == 1 and not kwargs else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise ValueError(f"@pytest.mark.points({shown}): want one number of points >= 0, "
                         "e.g. @pytest.mark.points(5)")
    return float(value)


@dataclass
class Grade:
    nodeid: str
    points: float
    earned: float = 0.0
    outcome: str = "not run"
    artifacts: Optional[str] = None
    detail: str = ""

    @property
    def counted(self) -> bool:
        """Whether the test counts in the score (it ran: passed, failed or errored)."""
        return self.outcome not in ("skipped", "not run")


class Grades:
    """Score of every points-marked test of a session."""

    def __init__(self) -> None:
        self.tests: Dict[str, Grade] = {}

    def add(self, report, artifacts: Optional[Path]) -> None:
        """Take one pytest report (setup, call or teardown) into account."""
        points = dict(report.user_properties).get(POINTS_PROPERTY)
        if points is None:
            return
        g = self.tests.setdefault(report.nodeid, Grade(report.nodeid, float(points)))
        if report.failed:
            g.outcome = "failed" if report.when == "call" else f"error ({report.when})"
            g.earned = 0.0
            if artifacts is not None and artifacts.exists():
                g.artifacts = str(artifacts)
        elif report.skipped and g.outcome == "not run":
            g.outcome, g.detail = "skipped", _skip_reason(report)
        elif report.when == "call" and report.passed and g.outcome == "not run":
            g.outcome, g.earned = "passed", g.points

    @property
    def counted(self) -> List[Grade]:
        return sorted((g for g in self.tests.values() if g.counted), key=lambda g: g.nodeid)

    @property
    def skipped(self) -> List[Grade]:
        return sorted((g for g in self.tests.values() if not g.counted),
                      key=lambda g: g.nodeid)

    @property
    def score(self) -> float:
        return sum(g.earned for g in self.counted)

    @property
    def max_score(self) -> float:
        return sum(g.points for g in self.counted)

    @property
    def skipped_points(self) -> float:
        return sum(g.points for g in self.skipped)

    @property
    def all_passed(self) -> bool:
        return all(g.outcome == "passed" for g in self.counted)

    def table(self) -> List[str]:
        """The score table, one line per counted test, the total, then the skipped tests."""
        width = max([len(n) for n in self.tests] + [4])
        lines = [f"{'test':<{width}}  {'points':>9}  result"]
        for g in self.counted:
            lines.append(f"{g.nodeid:<{width}}  {_num(g.earned):>4}/{_num(g.points):<4}  "
                         f"{g.outcome}" + (f"  -> {g.artifacts}" if g.artifacts else ""))
        lines.append(f"{'score':<{width}}  {_num(self.score):>4}/{_num(self.max_score):<4}")
        if self.skipped:
            lines.append(f"not counted ({len(self.skipped)} skipped, "
                         f"{_num(self.skipped_points)} points):")
            for g in self.skipped:
                lines.append(f"{g.nodeid:<{width}}  {'(' + _num(g.points) + ')':>9}  "
                             f"{g.outcome}" + (f": {g.detail}" if g.detail else ""))
        return lines

    def suite_properties(self) -> Dict[str, str]:
        """The score as JUnit <testsuite> properties (SUITE_PROPERTIES)."""
        return dict(zip(SUITE_PROPERTIES, (_num(self.score), _num(self.max_score),
                                           _num(self.skipped_points))))

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "score": self.score, "max_score": self.max_score,
            "tests": [asdict(g) for g in self.counted],
            "skipped": [asdict(g) for g in self.skipped],
        }, indent=2) + "\n")


def _skip_reason(report) -> str:
    """The reason pytest gives for a skip (its longrepr is (file, line, "Skipped: why"))."""
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return "xfail" if hasattr(report, "wasxfail") else ""


def _num(x: float) -> str:
    return f"{x:g}"
