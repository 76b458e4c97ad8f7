"""A program's standard input: ``lab.run(stdin=...)`` / the ``ringlab`` fixture's
``boot(stdin=...)`` and ``invoke boot`` with its stdin a pipe or a file. The bytes are typed on
the console (each control byte after the literal-next key, Ctrl-V), then the console's end of
file (Ctrl-D: read() = 0), with the console's echo off; a program that reads stdin to its end
gives the same output as on the host's Linux with the same bytes piped. The console's line
discipline itself (canonical reads, Ctrl-D alone or after a partial line, Ctrl-V, erase, kill,
CR) is compared with a Linux pty, keystroke for keystroke.

What goes through: any byte string (binary included, no final newline included). What does
not: a second end of file (the console is a terminal: a read after the end waits for more
input, where a pipe gives 0 again), and input for a program that puts the console in raw mode
(it then reads the Ctrl-V keystrokes themselves).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pexpect
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core.errors import BadConfig
from ringlab.machine.console import tty_eof, tty_input, tty_literal
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.verdict import Outcome

TIMEOUT_S = 60.0

INPUTS = {
    "empty": b"",
    "one line": b"hello\n",
    "no final newline": b"ab\ncd",
    "only a newline": b"\n",
    "every byte value": bytes(range(256)) * 2,
    "the console's keys": b"\x04\x04x\x03\x1c\r\r\n\x16\x7f\x08\x15\x1a\x11\x13",
    "a line longer than the console's buffer": b"x" * 1500,
    "long lines": (b"y" * 700 + b"\n") * 3,
    "utf-8 text": "grüße, 世界\nzwei\n".encode(),
}


def on_linux(program: Path, data: bytes) -> str:
    """The program's output on the host with ``data`` piped to it."""
    res = subprocess.run([str(program)], input=data, capture_output=True, timeout=TIMEOUT_S)
    assert res.returncode == 0, res
    return res.stdout.decode()


@pytest.mark.unit
def test_keystrokes_for_data():
    assert tty_literal(b"a\x04b\n\t\x7f\x80") == b"a\x16\x04b\n\t\x16\x7f\x80"
    assert tty_eof(None) == b"\x04" and tty_eof(ord("\n")) == b"\x04"
    assert tty_eof(ord("x")) == b"\x04\x04"          # the first hands over "x", unfinished
    assert tty_input(b"ab") == b"ab\x04\x04" and tty_input(b"") == b"\x04"


@pytest.mark.boot
@pytest.mark.parametrize("name", list(INPUTS))
def test_a_program_reading_stdin_to_eof_sees_what_linux_sees(images, name):
    data = INPUTS[name]
    prog = images.program("stdinsum")
    run = lab.run(QemuConfig(kernel=images.kernel, init=prog), stdin=data, timeout_s=TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert run.user_output == on_linux(prog, data), run.report()


@pytest.mark.boot
def test_cat_copies_text_stdin_as_on_linux(images, tmp_path):
    text = "first line\n\tindented\n\nlast, without a newline"
    src = tmp_path / "input.txt"
    src.write_text(text)
    prog = images.program("cat")
    run = lab.run(QemuConfig(kernel=images.kernel, init=prog), stdin=src, timeout_s=TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    # The console keeps lines, not whether the last one ended (the kernel starts its own
    # next line): compare them line by line.
    assert run.user_lines == on_linux(prog, text.encode()).split("\n")
    assert "ringlab: boot cmdline=" in run.console and "console.echo=0" in run.console


@pytest.mark.boot
def test_the_fixture_takes_stdin_as_str_bytes_or_path(ringlab, images, tmp_path):
    prog = images.program("stdinsum")
    want = on_linux(prog, b"two\nlines\n")
    path = tmp_path / "in"
    path.write_bytes(b"two\nlines\n")
    for stdin in ("two\nlines\n", b"two\nlines\n", path):
        run = ringlab.boot(prog, stdin=stdin, timeout_s=TIMEOUT_S)
        assert run.status == 0 and run.user_output == want, run.report()


@pytest.mark.boot
def test_an_unreadable_stdin_file_is_refused_before_qemu(tmp_path):
    with pytest.raises(BadConfig, match=r"stdin .*/nosuch: cannot read it: No such file"):
        lab.run(QemuConfig(), stdin=tmp_path / "nosuch")


# -- invoke boot with stdin a pipe or a file ---------------------------------------------------

def invoke_boot(args: List[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invoke", "boot", *args], cwd=C.REPO_ROOT,
                          capture_output=True, timeout=TIMEOUT_S, **kw)


@pytest.mark.boot
def test_invoke_boot_passes_a_piped_stdin_and_its_end(images):
    data = b"piped\x00\x04bytes\r\nno newline at the end"
    prog = images.program("stdinsum")
    res = invoke_boot(["--init", str(prog)], input=data)
    assert res.returncode == 0, res.stderr.decode()
    out = res.stdout.decode()
    assert on_linux(prog, data) in out
    assert "piped" not in out                      # the console's echo was off


@pytest.mark.boot
def test_invoke_boot_passes_a_file_as_stdin(images, tmp_path):
    src = tmp_path / "in"
    src.write_bytes(b"from a file\n" * 50)
    prog = images.program("stdinsum")
    with open(src, "rb") as fh:
        res = invoke_boot(["--init", str(prog)], stdin=fh)
    assert res.returncode == 0, res.stderr.decode()
    assert on_linux(prog, src.read_bytes()) in res.stdout.decode()


@pytest.mark.boot
def test_invoke_boot_shell_ends_at_the_end_of_a_piped_script(images):
    """A script without `exit`: the shell reads the console's end of file and exits 0, as
    ``sh < script`` does."""
    res = invoke_boot(["--shell"], input=b"hello\n")
    assert res.returncode == 0, res.stderr.decode()
    assert "hello from pid" in res.stdout.decode()


# -- the console's line discipline, keystroke for keystroke against a Linux pty ----------------

KEYSTROKES = {
    "ctrl-d after a partial line, then alone": b"abc\x04\x04",
    "a line, then ctrl-d": b"hello\n\x04",
    "ctrl-d mid-line splits it": b"x\x04y\n\x04",
    "DEL erases": b"ab\x7fc\n\x04",
    "ctrl-u kills the line": b"ab\x15cd\n\x04",
    "ctrl-v makes ctrl-d data": b"\x16\x04x\n\x04",
    "ctrl-v keeps a CR, a CR alone is a newline": b"a\x16\rb\r\x04",
    "ctrl-v before DEL, ctrl-u, ctrl-c and ctrl-v": b"\x16\x7f\x16\x15\x16\x03\x16\x16\n\x04",
    "a line longer than one read": b"z" * 100 + b"\n\x04",
    "an empty line": b"\n\x04",
    "ctrl-d right after a full read ends that read": b"z" * 64 + b"\x04next\n\x04",
    "a line of exactly one read, then ctrl-d": b"w" * 63 + b"\n\x04",
}


def reads_on_linux(program: Path, keys: bytes) -> List[str]:
    """``program``'s lines on a host pty (echo off, Linux's default termios) given ``keys``."""
    child = pexpect.spawn(str(program), echo=False, timeout=TIMEOUT_S)
    child.send(keys)
    child.expect(pexpect.EOF)
    child.close()
    return child.before.decode().replace("\r\n", "\n").splitlines()


@pytest.mark.boot
@pytest.mark.parametrize("name", list(KEYSTROKES))
def test_console_line_discipline_reads_as_a_linux_tty(images, name):
    keys = KEYSTROKES[name]
    prog = images.program("ttyreads")
    cfg = QemuConfig(kernel=images.kernel, init=prog, append="console.echo=0")
    with lab.Session(cfg) as s:
        assert s.console.feed(keys, TIMEOUT_S)
        run = s.finish(TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert run.user_lines == reads_on_linux(prog, keys), run.report()


@pytest.mark.boot
def test_input_beyond_the_console_buffer_waits_instead_of_being_dropped(images):
    """8 KiB typed before the program reads (the console's buffer holds 512 bytes): the
    kernel leaves the rest in the UART and QEMU holds it back; nothing is lost."""
    data = bytes((i * 7) % 251 for i in range(8192))
    prog = images.program("stdinsum")
    run = lab.run(QemuConfig(kernel=images.kernel, init=prog), stdin=data, timeout_s=TIMEOUT_S)
    assert run.user_output == on_linux(prog, data), run.report()
