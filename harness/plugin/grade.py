"""Grading: tests marked ``@pytest.mark.points(N)`` earn N points when they pass.

``Grades`` collects the reports (in the controlling process under pytest-xdist too: the
points travel in the report's ``user_properties``), then prints a score table and writes JSON::

    {"score": 7, "max_score": 10,
     "tests": [{"nodeid": "...", "points": 5, "earned": 5, "outcome": "passed",
                "artifacts": null}, ...]}

A test earns its points only if its setup, call and teardown all passed; a skipped test earns
none. ``artifacts`` names the failed test's evidence folder.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

POINTS_PROPERTY = "ringlab_points"


@dataclass
class Grade:
    nodeid: str
    points: float
    earned: float = 0.0
    outcome: str = "not run"
    artifacts: Optional[str] = None


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
            g.outcome = "skipped"
        elif report.when == "call" and report.passed and g.outcome == "not run":
            g.outcome, g.earned = "passed", g.points

    @property
    def score(self) -> float:
        return sum(g.earned for g in self.tests.values())

    @property
    def max_score(self) -> float:
        return sum(g.points for g in self.tests.values())

    def table(self) -> List[str]:
        """The score table, one line per test, then the total."""
        width = max([len(n) for n in self.tests] + [4])
        lines = [f"{'test':<{width}}  {'points':>9}  result"]
        for g in sorted(self.tests.values(), key=lambda g: g.nodeid):
            lines.append(f"{g.nodeid:<{width}}  {_num(g.earned):>4}/{_num(g.points):<4}  "
                         f"{g.outcome}" + (f"  -> {g.artifacts}" if g.artifacts else ""))
        lines.append(f"{'score':<{width}}  {_num(self.score):>4}/{_num(self.max_score):<4}")
        return lines

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "score": self.score, "max_score": self.max_score,
            "tests": [asdict(g) for g in sorted(self.tests.values(), key=lambda g: g.nodeid)],
        }, indent=2) + "\n")


def _num(x: float) -> str:
    return f"{x:g}"
