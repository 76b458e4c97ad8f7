"""Exit statuses and last lines as docs/harness.md's table "Errors and exit statuses of every
task" says: a case of every row through the real ``invoke`` (QEMU and gdb where the task
boots), and every task of tasks.py has a row."""
from __future__ import annotations

import re

import pytest

from ringlab.core import constants as C

# Declarative: a case of every row of docs/harness.md's table "Errors and exit statuses of
# every task": (invoke arguments, exit status, regex the last stderr line matches).
EXIT_CASES = [
    (["boot", "--init", "images/user/hlt"], 139,
     r"ringlab-boot: killed: init killed by SIGSEGV \(status 139\) \[[\d.]+ s\]"),
    (["boot", "--init", "images/user/spin", "--timeout", "2"], C.EXIT_TIMEOUT,
     r"  \| .*"),       # the evidence follows the outcome line (checked below)
    (["boot", "--timeout", "0"], C.EXIT_SETUP_ERROR, r"ringlab-boot: error: --timeout 0: .*"),
    (["gdb", "--target", "/nonexistent/gdb.sock"], C.EXIT_SETUP_ERROR,
     r"ringlab-gdb: error: --target /nonexistent/gdb.sock: no such socket"),
    (["gdb", "--replay", "/nonexistent"], C.EXIT_SETUP_ERROR,
     r"ringlab-gdb: error: /nonexistent: no recording here .*"),
    # gdb stops at the fault and leaves; the kernel's SIGSEGV then races the harness's stop of
    # QEMU, and the line says which came first
    (["debug", "--init", "images/user/hlt", "--at-fault", "--batch"], 0,
     r"ringlab-debug: gdb exited \(status 0\); the machine(: killed: init killed by SIGSEGV "
     r"\(status 139\)| was still running: QEMU stopped)"),
    # spin: once gdb has gone the program runs on, never to an end of its own (hlt would fault,
    # racing the harness's stop)
    (["debug", "--init", "images/user/spin", "--batch", "--ex", "step-ring bogus"], 1,
     r"ringlab-debug: gdb exited \(status 1\); the machine was still running: QEMU stopped"),
    (["debug", "--init", "images/user/spin", "--batch", "--ex", "continue", "--timeout", "3"],
     C.EXIT_TIMEOUT, r"ringlab-debug: timed out: gdb still ran after 3 s \(--timeout\): gdb "
                     r"stopped; the machine was still running: QEMU stopped"),
    (["debug", "--break", "no_such_symbol"], C.EXIT_SETUP_ERROR,
     r"ringlab-debug: error: --break no_such_symbol: no such symbol in .*"),
    (["trace", "--init", "images/user/spin", "--timeout", "3"], C.EXIT_TIMEOUT,
     r"  \| .*|log tail:"),
    (["trace", "--timeout", "x"], C.EXIT_SETUP_ERROR,
     r"ringlab-trace: error: --timeout x: not a number of seconds"),
    (["faults", "--cpu", "bogus"], C.EXIT_SETUP_ERROR,
     r"ringlab-faults: error: --cpu bogus: the catalogue runs on qemu64 or max"),
    (["pagetables", "--point", "nosuch"], C.EXIT_SETUP_ERROR,
     r"ringlab-pagetables: error: --point nosuch: no such symbol in .*"),
    (["iso", "--init", "images/user/nosuch"], C.EXIT_SETUP_ERROR,
     r"ringlab-iso: error: images/user/nosuch: no such file \(build it first: invoke build\)"),
    (["grade", "--tests", "/nonexistent"], C.EXIT_SETUP_ERROR,
     r"ringlab-grade: error: /nonexistent: no such file or directory \(the lab's tests\)"),
]


@pytest.mark.boot
@pytest.mark.parametrize("args,status,last", EXIT_CASES,
                         ids=[" ".join(a) for a, _, _ in EXIT_CASES])
def test_every_task_exits_as_the_docs_table_says(invoke_cli, images, args, status, last):
    res = invoke_cli(args)
    lines = res.stderr.rstrip("\n").splitlines()
    assert res.returncode == status, res.stdout[-2000:] + res.stderr[-3000:]
    assert lines and re.fullmatch(last, lines[-1]), res.stderr[-3000:]
    assert "Traceback" not in res.stderr
    if status == C.EXIT_TIMEOUT and args[0] in ("boot", "trace"):
        said = "timeout: no halt line within 2 s" if args[0] == "boot" else \
            "timed out: the run did not end within 3 s (--timeout)"
        assert any(l.startswith(f"ringlab-{args[0]}: {said}") for l in lines), res.stderr
        assert "timeout: timeout:" not in res.stderr            # the outcome said once


@pytest.mark.unit
def test_every_task_has_a_row_in_the_exit_status_table():
    text = (C.REPO_ROOT / "docs" / "harness.md").read_text()
    table = text.split("## Errors and exit statuses of every task", 1)[1]
    rows = {name for cell in re.findall(r"^\| (`[^|]+`) \|", table, re.M)
            for name in re.findall(r"`([\w-]+)`", cell)}
    tasks = set(re.findall(r"^def (\w+)\(c\b", (C.REPO_ROOT / "tasks.py").read_text(), re.M))
    tasks = {t.replace("_", "-") for t in tasks}
    assert tasks <= rows, f"tasks without a row: {sorted(tasks - rows)}"
