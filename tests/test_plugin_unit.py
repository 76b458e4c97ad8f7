"""ringlab.plugin's pure parts, without QEMU: evidence folder names, the command.sh text, the
score table. The plugin on real machines: tests/test_ci.py."""
import json
import re
from pathlib import Path

import pytest

from ringlab.machine import build
from ringlab.machine.qemu import QemuConfig
from ringlab.plugin import Lab, artifacts, grade

pytestmark = pytest.mark.unit


def test_folder_names_are_safe_for_a_shell_and_for_initrd():
    name = artifacts.folder_name("tests/test_x.py::test_y[a, b/c]")
    assert name == "tests_test_x.py__test_y[a_b_c]"
    long = artifacts.folder_name("t.py::" + "x" * 300)
    assert len(long) == artifacts.MAX_NAME and long == artifacts.folder_name("t.py::" + "x" * 300)


def test_command_sh_reads_the_copies_beside_it_with_the_interrupt_log(tmp_path):
    cfg = QemuConfig(kernel=Path("/k/kernel.elf"), init=Path("/p/init"),
                     files=[Path("/p/hello"), Path("/q/data.txt")], append="trace=mem")
    script = artifacts.command_script(cfg)
    assert 'here=$(cd "$(dirname "$0")" && pwd)' in script
    line = next(l for l in script.splitlines() if l.startswith("exec "))
    assert '-kernel "$here/files/kernel.elf"' in line
    assert '-initrd "$here/files/init init,$here/files/hello hello,' \
           '$here/files/data.txt data.txt"' in line
    assert '-d int,cpu_reset -D "$here/command-qemu.log"' in line and "-append trace=mem" in line
    assert "/k/" not in line and "/p/" not in line


def test_copies_are_numbered_when_two_modules_share_a_name():
    cfg = QemuConfig(init=Path("/a/x"), files=[Path("/b/x")])
    assert artifacts.copy_names(cfg) == ["00-x", "01-x"]


class _Report:
    def __init__(self, nodeid, when, outcome, points):
        self.nodeid, self.when, self.outcome = nodeid, when, outcome
        self.user_properties = [(grade.POINTS_PROPERTY, points)] if points is not None else []
        self.passed, self.failed, self.skipped = (outcome == o for o in
                                                  ("passed", "failed", "skipped"))


def test_grades_count_passed_calls_and_not_failed_teardowns(tmp_path):
    g = grade.Grades()
    for nodeid, phases, points in (("a", ["passed", "passed", "passed"], 5),
                                   ("b", ["passed", "failed", "passed"], 3),
                                   ("c", ["passed", "passed", "failed"], 2),
                                   ("d", ["skipped"], 1), ("e", ["passed"] * 3, None)):
        for when, outcome in zip(("setup", "call", "teardown"), phases):
            g.add(_Report(nodeid, when, outcome, points), artifacts=None)
    # the skipped test (d, 1 point) is listed apart: not in the maximum
    assert (g.score, g.max_score, g.skipped_points) == (5, 10, 1)
    assert [(t.nodeid, t.outcome) for t in sorted(g.tests.values(), key=lambda t: t.nodeid)] == \
        [("a", "passed"), ("b", "failed"), ("c", "error (teardown)"), ("d", "skipped")]
    assert [line.split() for line in g.table()[-3:]] == [
        ["score", "5/10"], ["not", "counted", "(1", "skipped,", "1", "points):"],
        ["d", "(1)", "skipped"]]
    assert g.suite_properties() == {"ringlab_score": "5", "ringlab_max_score": "10",
                                    "ringlab_skipped_points": "1"}
    g.write_json(tmp_path / "g.json")
    scores = json.loads((tmp_path / "g.json").read_text())
    assert (scores["max_score"], [t["nodeid"] for t in scores["tests"]],
            [t["nodeid"] for t in scores["skipped"]]) == (10, ["a", "b", "c"], ["d"])


@pytest.mark.parametrize("args,kwargs,points", [((5,), {}, 5.0), ((2.5,), {}, 2.5),
                                                ((0,), {}, 0.0), ((), {}, 1.0)])
def test_points_values(args, kwargs, points):
    assert grade.points_value(args, kwargs) == points


@pytest.mark.parametrize("args,kwargs,shown", [
    (("lots",), {}, "'lots'"), ((-1,), {}, "-1"), ((True,), {}, "True"),
    ((float("nan"),), {}, "nan"), ((1, 2), {}, "1, 2"), ((), {"n": 3}, "n=3")])
def test_bad_points_values_name_the_marker(args, kwargs, shown):
    with pytest.raises(ValueError, match=re.escape(f"@pytest.mark.points({shown}): want one "
                                                   "number of points >= 0")):
        grade.points_value(args, kwargs)


def test_init_arguments_that_init_args_cannot_carry_are_refused(tmp_path):
    lab = Lab(images=None, cpu=None, kernel=None, tmp_path=tmp_path)
    with pytest.raises(ValueError, match="no commas, spaces or empty"):
        lab.config(init="/bin/true", args=["a,b"])


def test_compile_builds_student_code_at_O0_unless_asked(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(build, "compile_program",
                        lambda sources, out, **kw: seen.append(kw["optimize"]))
    lab = Lab(images=None, cpu=None, kernel=None, tmp_path=tmp_path)
    assert lab.compile("x.c") == tmp_path / "x"
    lab.compile("x.c", optimize="-O2")
    assert seen == ["-O0", "-O2"]


def test_compile_program_refuses_an_unknown_level(tmp_path):
    with pytest.raises(ValueError, match="optimize='-O9': want one of -O0, -O1"):
        build.compile_program([tmp_path / "x.c"], tmp_path / "x", optimize="-O9")
