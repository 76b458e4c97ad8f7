"""Console layer on pexpect's terms, exercised on a plain shell command (no QEMU)."""
import io

import pexpect
import pytest

from ringlab.core.errors import ConsoleClosed, GuestTimeout
from ringlab.machine.console import Console, _Tap

pytestmark = pytest.mark.unit


def spawn(script: str) -> pexpect.spawn:
    return pexpect.spawn("/bin/sh", ["-c", script], encoding="utf-8", codec_errors="replace",
                         echo=False)


@pytest.mark.parametrize("chunks,text,history", [
    (["a\r\nb\r\n"], "a\nb\n", ["a", "b"]),
    (["a\r\r\nb"], "a\nb", ["a", "b"]),
    (["a\r", "\r", "\nb\r", "\n"], "a\nb\n", ["a", "b"]),   # CRs split across chunks
    (["x\ry\n"], "x\ry\n", ["x\ry"]),                         # a lone CR is kept
])
def test_tap_normalises_line_ends(chunks, text, history):
    out = io.StringIO()
    tap = _Tap(10, out)
    for c in chunks:
        tap.write(c)
    assert "".join(tap.text) == text
    assert out.getvalue() == text
    lines = list(tap.history) + ([tap.partial] if tap.partial else [])
    assert lines == history


def test_tap_ring_buffer_keeps_last_lines():
    tap = _Tap(3, None)
    tap.write("".join(f"line {i}\n" for i in range(10)))
    assert list(tap.history) == ["line 7", "line 8", "line 9"]


def test_expect_returns_which_pattern_and_eof():
    p = spawn("printf 'one\\r\\ntwo 42\\r\\n'")
    con = Console(p)
    m = con.expect([r"three", r"two (\d+)"], timeout_s=5)
    assert m.index == 1 and m.match.group(1) == "42" and "one" in m.before
    end = con.expect([Console.EOF, Console.TIMEOUT], timeout_s=5)
    assert end.eof and end.index == 0
    assert con.text == "one\ntwo 42\n"
    p.close()


def test_eof_raises_when_not_asked_for():
    p = spawn("printf 'last words\\n'")
    con = Console(p)
    with pytest.raises(ConsoleClosed) as info:
        con.expect(r"never", timeout_s=5)
    assert info.value.console_tail == ["last words"]
    p.close()


def test_timeout_raises_with_last_lines_or_is_returned():
    p = spawn("printf 'waiting\\n'; exec cat")
    con = Console(p)
    m = con.expect([r"never", Console.TIMEOUT], timeout_s=0.2)
    assert m.timeout and m.index == 1
    with pytest.raises(GuestTimeout) as info:
        con.expect(r"never", timeout_s=0.2)
    assert "within 0.2 s" in str(info.value) and info.value.console_tail == ["waiting"]
    p.close(force=True)
