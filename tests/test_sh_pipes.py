"""The project's shell (userland/sh.c) gains pipelines and redirections, on the
kernel's pipes, dup2, O_APPEND and the writable /tmp."""
import pytest

pytestmark = pytest.mark.boot


def test_pipes_and_redirections(ringlab):
    sh = ringlab.shell()
    r = sh.run("hello one two | cat")
    assert len(r.lines) == 1 and r.lines[0].endswith("argv[0]=hello, 2 args"), r.describe()
    r = sh.run("hello x > /tmp/out")
    assert r.lines == [], r.describe()
    r = sh.run("cat < /tmp/out")
    assert len(r.lines) == 1 and r.lines[0].endswith("argv[0]=hello, 1 args"), r.describe()
    sh.run("cat /tmp/out >> /tmp/out2")
    sh.run("cat /tmp/out >> /tmp/out2")
    r = sh.run("cat /tmp/out2 | cat | cat")
    assert len(r.lines) == 2 and r.lines[0] == r.lines[1], r.describe()
    r = sh.run("cat /nonexistent > /tmp/err 2>&1")
    assert r.lines == [] and r.exit_code == 1, r.describe()
    r = sh.run("cat /tmp/err")
    assert r.lines == ["/nonexistent: No such file or directory"], r.describe()
    r = sh.run("cat < /tmp/missing")
    assert r.lines == ["sh: /tmp/missing: No such file or directory"], r.describe()
    r = sh.run("cd /tmp")
    r = sh.run("ls .")
    assert sorted(l.split()[-1] for l in r.lines) == ["err", "out", "out2"], r.describe()
    sh.exit(0)
    assert sh.session.finish().status == 0
