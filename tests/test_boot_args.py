"""`invoke boot --args`: init's argv from a shell-quoted string."""
import pytest

from ringlab import lab
from ringlab.core.errors import BadConfig


def test_args_become_init_args_words():
    assert lab.with_init_argv("", "sh /setup.sh") == "init.args=sh,/setup.sh"
    assert lab.with_init_argv("trace=mem", "'sh'") == "trace=mem init.args=sh"
    assert lab.with_init_argv("trace=mem", "") == "trace=mem"


@pytest.mark.parametrize("bad", ["a,b", "'a b'", "''", "'unterminated"])
def test_args_the_kernel_command_line_cannot_carry_are_refused(bad):
    with pytest.raises(BadConfig, match="--args"):
        lab.with_init_argv("", bad)


@pytest.mark.boot
def test_bad_args_stop_before_qemu_with_one_line(invoke_cli, images):
    res = invoke_cli(["boot", "--init", str(images.program("hello")), "--args", "a,b"])
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.strip().splitlines() == [
        "ringlab-boot: error: --args: 'a,b': init's arguments cannot be empty or hold commas "
        "or white space"]


@pytest.mark.boot
def test_args_reach_init(invoke_cli, images):
    res = invoke_cli(["boot", "--init", str(images.program("hello")), "--args", "one two"])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "argv[0]=hello, 2 args" in res.stdout, res.stdout
