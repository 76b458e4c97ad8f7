"""The command line's one epilogue: prefixes, error lines, the build hint, the outcome line,
Ctrl-C and exit statuses; the same for every task (unit tests, plus the real ``invoke``)."""
from __future__ import annotations

import pytest

from ringlab.cli.epilogue import BUILD_HINT, Epilogue
from ringlab.core import constants as C
from ringlab.core.errors import BadImage, GdbError, ToolMissing

pytestmark = pytest.mark.unit


def test_setup_errors_are_one_line_with_the_build_hint_for_images(capsys):
    ep = Epilogue("trace")
    missing = BadImage(str(C.USER_IMAGES_DIR / "nosuch"), "no such file")
    assert ep.run(lambda ep: (_ for _ in ()).throw(missing)) == C.EXIT_SETUP_ERROR
    assert capsys.readouterr().err == f"ringlab-trace: error: {missing}{BUILD_HINT}\n"
    ep.failed(BadImage("/elsewhere/prog", "no such file"))
    assert capsys.readouterr().err == "ringlab-trace: error: /elsewhere/prog: no such file\n"
    assert ep.failed(ToolMissing("gdb", "gdb")) == C.EXIT_SETUP_ERROR
    assert capsys.readouterr().err.startswith("ringlab-trace: error: gdb not found: install")


def test_other_errors_carry_their_evidence(capsys):
    err = GdbError("gdb exited unexpectedly", command=["gdb", "--nx"], log_tail=["boom"])
    assert Epilogue("gdb").failed(err) == C.EXIT_SETUP_ERROR
    out = capsys.readouterr().err
    assert out.startswith("ringlab-gdb: error: gdb exited unexpectedly\ncommand: gdb --nx")
    assert "  | boom" in out


def test_ctrl_c(capsys):
    def body(ep):
        raise KeyboardInterrupt
    assert Epilogue("faults", interrupted="QEMU and gdb stopped").run(body) == \
        C.EXIT_INTERRUPTED
    assert capsys.readouterr().err == "\nringlab-faults: interrupted (QEMU and gdb stopped)\n"


@pytest.mark.parametrize("args,prefix", [
    (["boot", "--init", "images/user/nosuch"], "ringlab-boot"),
    (["boot", "--gdb", "--init", "images/user/nosuch"], "ringlab-boot"),
    (["trace", "--init", "images/user/nosuch"], "ringlab-trace"),
])
def test_every_task_names_a_missing_image_the_same_way(invoke_cli, images, args, prefix):
    res = invoke_cli(args)
    assert res.returncode == C.EXIT_SETUP_ERROR, res.stderr
    assert res.stdout == ""
    assert res.stderr == (f"{prefix}: error: images/user/nosuch: no such file"
                          f"{BUILD_HINT}\n"), res.stderr

