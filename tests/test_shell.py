"""The shell on the console, driven on pexpect's terms (harness.lab.shell.Shell).

The boot tests run the real machine: init's demonstration, then `exec /sh` (pid 1), then
commands typed on the serial line. Statuses come from the kernel's exit/kill events.
The first tests check the result parser alone (no QEMU).
"""
import re
import subprocess
import sys

import pexpect
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.lab.shell import Shell, command_result
from ringlab.machine import symbols
from ringlab.observe.events import Exit, Fault, Panic
from ringlab.observe.verdict import expected_rc
from tests.helpers import invoke_on_a_terminal

SIGSEGV = 11
boot = pytest.mark.boot


# -- the result parser, without QEMU -----------------------------------------------------------

def test_command_result_status_from_the_lowest_pid_event():
    text = ("isolation: start\r\r\n"
            "ringlab: exit pid=8 status=0\r\r\n"
            "ringlab: kill pid=9 signal=11 name=SIGSEGV\r\r\n"
            "isolation: done\r\r\n"
            "ringlab: exit pid=7 status=3\r\r")
    r = command_result("isolation", text)
    assert (r.pid, r.exit_code, r.signal, r.status) == (7, 3, None, 3)
    assert r.lines == ["isolation: start", "isolation: done"]
    assert [e.kind for e in r.events] == ["exit", "kill", "exit"]


def test_command_result_killed_child_uses_shell_convention():
    r = command_result("crashme", "crashme: reading address 0\r\n"
                                  "ringlab: kill pid=4 signal=11 name=SIGSEGV\r\n"
                                  "crashme: killed by SIGSEGV\r\n")
    assert (r.pid, r.exit_code, r.signal, r.signal_name, r.status) == (4, None, 11, "SIGSEGV", 139)
    assert r.output == "crashme: reading address 0\ncrashme: killed by SIGSEGV\n"


def test_command_result_builtin_has_no_status():
    r = command_result("help", "type a program name from / (try: ls), or exit\r\n")
    assert (r.pid, r.status) == (None, None) and r.lines == [
        "type a program name from / (try: ls), or exit"]


def test_output_glued_to_a_kernel_line_is_split():
    r = command_result("cat x", "no newline at endringlab: exit pid=5 status=0\r\n")
    assert r.lines == ["no newline at end"] and r.exit_code == 0


# -- the shell on real QEMU (the plugin's ``ringlab.shell()``: at its first prompt) ---------------

def assert_machine_status(run: lab.Run, status: int) -> None:
    ev = run.report()
    assert run.status == status and run.rc == expected_rc(status), ev
    assert not run.of(Panic) and not run.parse_errors, ev
    pid1 = [e for e in run.of(Exit) if e.pid == 1]
    assert [e.status for e in pid1] == [status], ev


@boot
@pytest.mark.quick
def test_shell_runs_two_programs_one_crashing_then_exit(ringlab):
    sh = ringlab.shell()
    hello = sh.run("hello one two")
    assert hello.status == 0, hello.describe()
    assert re.fullmatch(r"hello from pid (\d+) \(parent 1\), cpl=3, argv\[0\]=hello, 2 args",
                        hello.lines[0]), hello.describe()
    assert int(re.search(r"pid (\d+)", hello.lines[0]).group(1)) == hello.pid

    crash = sh.run("crashme")
    assert (crash.signal, crash.signal_name, crash.status) == (SIGSEGV, "SIGSEGV", 139), \
        crash.describe()
    assert crash.lines == ["crashme: reading address 0", "crashme: killed by SIGSEGV"], \
        crash.describe()
    fault = crash.of(Fault)[0]
    assert (fault.pid, fault.cpl, fault.vector, fault.cr2) == (crash.pid, 3, 14, 0)
    assert fault.rip == symbols.symbol_address(ringlab.program("crashme"), "fault_insn")

    again = sh.run("hello")                      # the shell (pid 1) went on
    assert again.status == 0 and again.pid > crash.pid, again.describe()

    sh.exit()
    assert_machine_status(sh.session.finish(), 0)


@boot
def test_shell_builtins_missing_program_and_exit_status(ringlab):
    sh = ringlab.shell()
    helped = sh.run("help")
    assert helped.status is None and helped.lines == [
        "type a program name from / (try: ls), pipes and < > >> 2>&1 work; or exit"], \
        helped.describe()
    assert sh.run("cd /").status is None
    missing = sh.run("nosuch arg")
    assert missing.exit_code == 127, missing.describe()
    assert missing.lines == ["sh: nosuch: No such file or directory"]
    assert sh.run("").status is None              # an empty line: just the next prompt
    sh.exit(5)
    assert_machine_status(sh.session.finish(), 5)


@boot
def test_stdin_read_blocks_for_a_line_with_echo_and_editing(ringlab):
    sh = ringlab.shell()
    sh.start("readline")
    sh.sendline("abc")
    assert sh.expect(r'readline: got "(.*)" \((\d+) bytes\)\r*\n').match.groups() == ("abc", "3")
    sh.send("xy\x7fz\n")                         # DEL erases the y
    assert sh.expect(r'readline: got "(.*)"').match.group(1) == "xz"
    sh.send("ab\bc\n")                           # so does backspace
    assert sh.expect(r'readline: got "(.*)"').match.group(1) == "ac"
    sh.send("junk\x15good\n")                    # Ctrl-U kills the line typed so far
    assert sh.expect(r'readline: got "(.*)"').match.group(1) == "good"
    sh.send("\x04")                              # Ctrl-D on an empty line: end of file
    done = sh.wait()
    assert done.status == 0, done.describe()
    # The kernel echoed what was typed, erasing with "\b \b".
    assert "xy\b \bz" in sh.console.text
    sh.exit()
    assert_machine_status(sh.session.finish(), 0)


@boot
def test_ctrl_d_at_the_prompt_ends_the_shell_with_status_0(ringlab):
    sh = ringlab.shell()                          # at its first prompt
    sh.send("\x04")
    assert_machine_status(sh.session.finish(timeout_s=20), 0)


@boot
def test_ls_lists_every_file_with_its_size(images, tmp_path):
    example = tmp_path / "example.txt"
    example.write_text("ringlab example\n")
    cfg = lab.shell_config(files=[example])
    with lab.Session(cfg) as s:
        sh = Shell(s.console)
        listing = sh.run("ls")
        cat = sh.run("cat example.txt")
        sh.exit()
        s.finish()
    assert listing.status == 0, listing.describe()
    got = {}
    for line in listing.lines:
        size, name = line.split()
        got[name] = int(size)
    want = {m.name: m.path.stat().st_size for m in cfg.modules()}
    # the directories beside the modules (/sys: the coverage build's /sys/kernel/debug/kcov)
    dirs = dict(tmp=0, dev=0, etc=0, proc=0, **({"sys": 0} if C.SANITIZE else {}))
    assert got == dict(want, **dirs)
    assert cat.status == 0 and cat.lines == ["ringlab example"], cat.describe()


# -- invoke boot --shell ---------------------------------------------------------------------

@boot
def test_invoke_boot_shell_on_a_terminal(images):
    """pexpect gives invoke a pty: the console is handed over (raw mode), then given back."""
    with invoke_on_a_terminal("boot", "--shell") as child:
        child.expect(r"\n\$ ")
        child.sendline("hello")
        child.expect(r"hello from pid \d+ \(parent 1\)")
        child.expect(r"\n\$ ")
        child.sendline("crashme")
        child.expect(r"crashme: killed by SIGSEGV")
        child.expect(r"\n\$ ")
        child.sendline("exit")
        child.expect(r"ringlab: halt status=0")
        child.expect(pexpect.EOF)
    assert child.exitstatus == 0, child.before


@boot
def test_invoke_boot_shell_without_a_terminal(images):
    """stdin a pipe: the lines are forwarded as they come (the kernel buffers type-ahead)."""
    res = subprocess.run([sys.executable, "-m", "invoke", "boot", "--shell"], cwd=C.REPO_ROOT,
                         input="hello\ncrashme\nexit 7\n", capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 7, res.stdout + res.stderr
    assert "crashme: killed by SIGSEGV\n" in res.stdout
    assert re.search(r"hello from pid \d+ \(parent 1\)", res.stdout), res.stdout
    assert "ringlab: halt status=7\n" in res.stdout and "\r" not in res.stdout


@boot
def test_ctrl_close_bracket_stops_qemu(images):
    """Ctrl-] is the harness's stop key (Ctrl-C is the guest's: tests/test_signals.py)."""
    with invoke_on_a_terminal("boot", "--shell") as child:
        child.expect(r"\n\$ ")
        child.send("\x1d")
        child.expect(r"ringlab-boot: interrupted \(QEMU stopped\)")
        child.expect(pexpect.EOF)
    assert child.exitstatus == C.EXIT_INTERRUPTED, child.before
