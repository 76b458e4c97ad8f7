"""``invoke debug`` and the gdb extension's names, on real QEMU and real gdb; every bad input
of the command line as one line and exit 2 (a table); the pieces without QEMU as unit tests.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.debug import artifacts
from ringlab.debug import machine as debug_machine
from ringlab.debug.machine import DebugMachine
from ringlab.debug import trace as tracer
from ringlab.machine import build, symbols
from ringlab.machine.description import Machine
from ringlab.machine.place import GuestPlace
from ringlab.machine.qemu import QemuConfig
from ringlab.core.errors import BadConfig, GdbError, TargetExited
from ringlab.observe.verdict import Outcome, judge

# (invoke arguments, what the one error line says): each stops before QEMU starts
BAD_INPUTS = [
    (["boot", "--timeout", "abc"], "ringlab-boot: error: --timeout abc: not a number"),
    (["boot", "--timeout", "-1"], "ringlab-boot: error: --timeout -1: want seconds > 0"),
    (["boot", "--timeout", "nan"], "ringlab-boot: error: --timeout nan: want seconds > 0"),
    (["trace", "--timeout", "0"], "ringlab-trace: error: --timeout 0: want seconds > 0"),
    (["boot", "--cpu", "bogus"], "ringlab-boot: error: --cpu bogus: not a CPU model"),
    (["faults", "--cpu", "bogus"], "ringlab-faults: error: --cpu bogus: the catalogue runs"),
    (["boot", "--append", "foo=bar"], "ringlab-boot: error: --append foo=bar: the kernel "
                                      "accepts no key 'foo'"),
    (["boot", "--file", "/tmp"], "ringlab-boot: error: /tmp: a directory"),
    (["boot", "--file", "/nonexistent/x"], "ringlab-boot: error: /nonexistent/x: no such file"),
    (["boot", "--init", "/etc/hostname"], "ringlab-boot: error: /etc/hostname: not an ELF"),
    (["debug", "--at-syscall", "bogus"], "ringlab-debug: error: --at-syscall bogus: not a "
                                         "system call"),
    (["debug", "--break", "no_such_symbol"], "ringlab-debug: error: --break no_such_symbol: "
                                             "no such symbol"),
    (["debug", "--break", "pthread_create"], "ringlab-debug: error: --break pthread_create: "
                                              "init (init) has no pthread_create; "),
    (["debug", "--from", "/nonexistent"], "ringlab-debug: error: --from /nonexistent: no such "
                                          "directory"),
    (["debug", "--timeout", "x"], "ringlab-debug: error: --timeout x: not a number"),
]


@pytest.mark.unit
@pytest.mark.parametrize("args,line", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_exit_2(invoke_cli, images, args, line):
    res = invoke_cli(args)
    assert res.returncode == C.EXIT_SETUP_ERROR, res.stdout + res.stderr
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith(line), res.stderr


@pytest.mark.unit
def test_malformed_elf_is_one_line(invoke_cli, images, tmp_path):
    bad = tmp_path / "trunc"
    bad.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 9)      # an ELF64 ident, no header
    res = invoke_cli(["boot", "--init", str(bad)])
    assert res.returncode == C.EXIT_SETUP_ERROR and res.stderr.count("\n") == 1, res.stderr


@pytest.mark.unit
def test_gdb_kill_is_named_not_a_triple_fault():
    v = judge([], 0, stderr="QEMU: Terminated via GDBstub\n")
    assert v.outcome is Outcome.QEMU_FAILURE and "killed from gdb" in v.detail


@pytest.mark.unit
def test_debug_from_reads_the_folders_machine_json(tmp_path):
    prog = C.USER_IMAGES_DIR / "hlt"
    Machine(QemuConfig(init=prog, append="trace=syscall", int_log=True)).save(tmp_path)
    cfg = artifacts.machine_from(tmp_path).config
    assert (cfg.init, cfg.append, cfg.int_log) == (prog, "trace=syscall", True)
    (tmp_path / "machine.json").write_text("{}\n")
    with pytest.raises(BadConfig, match="format None"):
        artifacts.machine_from(tmp_path)
    with pytest.raises(BadConfig, match="no such directory"):
        artifacts.machine_from(tmp_path / "nowhere")


@pytest.mark.unit
def test_every_waiting_machine_is_listed(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "GDB_TARGETS_DIR", tmp_path)
    sock = tmp_path / "gdb.sock"
    sock.write_text("")
    for pid in (os.getpid(), os.getppid(), 999_999_999):     # the last is gone
        (tmp_path / f"{pid}.json").write_text(json.dumps(
            {"socket": str(sock), "init": "/x/hlt", "kernel": "/k", "pid": pid}))
    assert [w["pid"] for w in debug_machine.read_target_files()] == sorted(
        [os.getpid(), os.getppid()], key=str)


def debug(invoke_cli, *args):
    res = invoke_cli(["debug", "--batch", "--timeout", "120", *args])
    return res, res.stdout + res.stderr


@pytest.mark.gdb
def test_at_fault_shows_the_hlt_its_source_gp_and_cpl3(invoke_cli, images):
    res, out = debug(invoke_cli, "--init", "images/user/hlt", "--at-fault")
    assert "fault: #GP (vector 13, General Protection) error=0x0" in out, out
    assert "from CPL 3, pid 1 (hlt)" in out, out
    assert re.search(r'fault: rip=0x[0-9a-f]+ <main\+\d+> insn="hlt" cs=0x33', out), out
    assert 'hlt.c:12: __asm__ volatile(".globl fault_insn\\nfault_insn: hlt");' in out, out


@pytest.mark.skipif(C.SANITIZE, reason="single-steps a whole kernel path: on the sanitizer kernel "
                                       "(RINGLAB_SANITIZE=1) every basic block's coverage hook and "
                                       "the checks at each return to ring 3 make it minutes long")
@pytest.mark.gdb
def test_break_write_then_step_ring_twice_names_both_sides(invoke_cli, images):
    res, out = debug(invoke_cli, "--break", "write", "--ex", "step-ring", "--ex", "step-ring")
    assert re.search(r"^ring: cpl=3 .* at=<write> pid=1 prog=init$", out, re.M), out
    assert re.search(r'^step-ring: 3->0 .*insn="syscall".* from=<\w+\+\d+> '
                     r'to=<syscall_entry>$', out, re.M), out
    assert re.search(r'^step-ring: 0->3 .*insn="sysretq".* from=<sysret_insn> '
                     r'to=<\w+\+\d+>$', out, re.M), out
    assert re.search(r"^step-ring path: syscall_entry > syscall_dispatch > sys_write",
                     out, re.M), out


@pytest.mark.gdb
def test_bt_from_the_kernel_ends_at_the_stub_with_the_user_frame(invoke_cli, images):
    res, out = debug(invoke_cli, "--init", "images/user/hlt", "--at-fault",
                     "--ex", "bt", "--ex", "break trap", "--ex", "continue", "--ex", "bt")
    assert re.search(r"^#0  vector13 \(\).*\n#1  0x[0-9a-f]+ in main \(\) at hlt.c:\d+$",
                     out, re.M), out
    assert re.search(r"^#0  trap \(tf=.*\n#1  0x[0-9a-f]+ in alltraps \(\).*\n"
                     r"#2  0x[0-9a-f]+ in main \(\) at hlt.c:\d+$", out, re.M), out
    assert "Cannot access memory" not in out, out


@pytest.mark.gdb
def test_step_ring_says_when_the_process_changed(invoke_cli, images):
    # preempt (pid 1) yields to its spinning child (pid 2), which goes back to ring 3: a few
    # hundred instructions (an exit frees the address space first: some 30,000, half a minute
    # of single steps)
    res, out = debug(invoke_cli, "--init", "images/user/preempt", "--at-syscall", "sched_yield",
                     "--ex", "step-ring 100000")
    m = re.search(r"^step-ring process changed: pid 1 \(preempt\) cr3=(0x[0-9a-f]+) -> "
                  r"pid 2 \(preempt\) cr3=(0x[0-9a-f]+)$", out, re.M)
    assert m and m.group(1) != m.group(2), out
    assert re.search(r"^step-ring path \(.*schedule.*\):", out, re.M), out


@pytest.mark.boot
def test_trace_exits_with_the_machine_status(invoke_cli, images):
    res = invoke_cli(["trace", "--init", "images/user/ret42", "--no-check-log"])
    assert res.returncode == 42, res.stdout + res.stderr


@pytest.mark.gdb
def test_trace_names_each_process_own_symbols_after_exec(images):
    # init forks; the child execs /hello: from the execve on, pid 2's rows use hello's table
    tr = tracer.trace(lab.boot_config(), timeout_s=120)
    rows = tr.transitions
    i = next(n for n, t in enumerate(rows) if t.pid == 2 and t.syscall_name == "execve")
    back = next(t for t in rows[i + 1:] if t.pid == 2)
    assert back.direction == "0->3" and back.user_symbol == "_start", back.row()
    assert back.user_rip == symbols.symbol_address(images.program("hello"), "_start")
    assert back.user_rip != symbols.symbol_address(images.program("init"), "_start")
    before = [t for t in rows[:i] if t.pid == 2 and t.user_symbol]
    assert before and all(t.user_symbol for t in before)        # init's code, init's names


@pytest.mark.unit
def test_a_place_in_ring_0_names_the_ring_3_place_it_came_from(images):
    # what the timeout report says when QMP paused the guest in the timer interrupt a
    # spinning program took (the trap frame's RIP, read over QMP, is the program's)
    k, spin = symbols.symbolizer(C.KERNEL_IMAGE), images.program("spin")
    main = symbols.symbolizer(spin).address("main")
    place = GuestPlace(k.address("trap") + 4, 0x8, 1, "spin", main)     # main: a 2-byte jmp
    text = lab.session.describe_place(place, lab.boot_config(spin), [])
    assert re.fullmatch(r"the guest was at 0xffffffff[0-9a-f]+ <trap\+4> \(CPL 0, pid 1 spin, "
                        r"from ring 3 at 0x[0-9a-f]+ <main>\)", text), text
    ring3 = lab.session.describe_place(GuestPlace(main, 0x33, 1, "spin"), lab.boot_config(spin), [])
    assert ring3.startswith("the guest was at ") and ring3.endswith(" <main> (CPL 3, pid 1 spin)"), ring3


@pytest.mark.boot
def test_timeout_report_says_where_the_guest_was(images):
    # spin loops in main at CPL 3 forever: the harness pauses it over QMP before stopping it,
    # there or, on a loaded host now and then, in the timer interrupt it took (CPL 0): then
    # the report names main as the ring-3 place the trap frame holds
    run = lab.run(lab.boot_config(images.program("spin")), timeout_s=2)
    assert run.outcome is Outcome.TIMEOUT, run.report()
    assert run.outcome == "timeout" and run.status is None
    with pytest.raises(AssertionError, match=r"^expected exit status 0, got: timed out: no "
                                             r"halt line within 2 s; the guest was at "
                                             r"0x[0-9a-f]+ <"):
        run.assert_status(0)
    main = r"0x[0-9a-f]+ <main(\+\d+)?>"
    assert re.search(rf"the guest was at ({main} \(CPL 3, pid 1 spin|0xffffffff[0-9a-f]+ <\w+"
                     rf"(\+\d+)?> \(CPL 0, pid 1 spin, from ring 3 at {main})\); "
                     r"last kernel event: ringlab: enter-user pid=1", run.verdict.detail), \
        run.verdict.detail
    report = run.report()
    assert "CPU Reset" not in report and "RAX=" not in report, report
    assert f"--init {images.program('spin').resolve()} --timeout 2" in report, report


@pytest.mark.boot
def test_int_log_is_kept_and_its_path_printed(invoke_cli, images):
    res = invoke_cli(["boot", "--init", "images/user/hlt", "--int-log"])
    m = re.search(r"^ringlab-boot: QEMU's -d int log \((\d+) lines\): (\S+)$", res.stderr, re.M)
    assert m, res.stderr
    log_text = open(m.group(2)).read()
    assert "v=0d e=0000 i=0 cpl=3" in log_text       # hlt's #GP, as QEMU saw it


@pytest.mark.gdb
def test_kill_from_gdb_is_named_as_such(images):
    with DebugMachine(lab.boot_config(images.program("hlt"))) as dm:
        dm.gdb.break_at("main")
        dm.gdb.cont(timeout_s=60)
        try:
            dm.gdb.console("kill")
        except (TargetExited, GdbError):   # gdb may answer that the stub went away
            pass
        run = dm.finish(timeout_s=60)
    assert run.outcome is Outcome.QEMU_FAILURE, run.report()
    assert run.verdict.detail.startswith("killed from gdb (`kill`)"), run.report()


@pytest.mark.gdb
def test_several_gdb_machines_each_reachable(invoke_cli, images, tmp_path):
    # the machines and `invoke gdb` share the runtime folder invoke_cli gives this test
    env = dict(os.environ, **{C.RUNTIME_ENV: str(tmp_path / "runtime")})
    cmd = [sys.executable, "-m", "invoke", "boot", "--gdb", "--timeout", "120", "--init"]
    boots = [subprocess.Popen(cmd + [f"images/user/{p}"], cwd=C.REPO_ROOT, text=True, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for p in ("hlt", "ret42")]
    try:
        # each says where its gdbstub is once its target file is written
        socks = [re.search(r"gdbstub on (\S+)", b.stderr.readline()).group(1) for b in boots]
        res = invoke_cli(["gdb"])
        assert res.returncode == C.EXIT_SETUP_ERROR, res.stderr
        assert res.stderr.startswith("ringlab-gdb: error: 2 machines wait for gdb; pick one:")
        assert all(f"invoke gdb --target {s}" in res.stderr for s in socks), res.stderr
        res = invoke_cli(["gdb", "--target", socks[0], "--batch",
                          "--ex", "info symbol fault_insn"])
        assert re.search(r"^main \+ \d+ in section \.text of \S+/hlt$", res.stdout, re.M), \
            res.stdout + res.stderr
    finally:
        for b in boots:
            b.terminate()
            b.wait(timeout=30)
            b.stderr.close()


# A student's crash at every optimisation level: the null read in main's body (at -O0 main's
# frame is found from RBP, which the stub never touches), and a read on a function's first
# instruction (naked: no prologue at any level), where gdb would name a caller by PC-1.
NULL_IN_MAIN = "int main(void){return *(volatile int*)0;}\n"
FIRST_INSN = ('__attribute__((naked, noinline)) int fetch(void) '
              '{ __asm__("movl 0, %eax\\n\\tret"); }\n'
              "int main(void) { return fetch() + 1; }\n")
OPT_LEVELS = ["-O0", "-O1", "-O2"]


@pytest.mark.gdb
@pytest.mark.parametrize("optimize", OPT_LEVELS)
def test_at_fault_report_and_bt_at_every_level(invoke_cli, images, tmp_path, optimize):
    (tmp_path / "nullr.c").write_text(NULL_IN_MAIN)
    prog = tmp_path / "nullr"
    build.compile_program([tmp_path / "nullr.c"], prog, optimize=optimize)
    res, out = debug(invoke_cli, "--init", str(prog), "--at-fault", "--ex", "bt",
                     "--ex", "ring-fault")
    assert "Python Exception" not in out and "optimized out" not in out, out
    assert out.count("fault: #PF (vector 14, Page Fault) error=0x4: user read from a "
                     "not-present page; from CPL 3, pid 1 (nullr)") == 2, out   # twice: --ex
    assert re.search(r'^fault: rip=0x[0-9a-f]+ <main(\+\d+)?> insn="mov', out, re.M), out
    assert "nullr.c:1: int main(void){return *(volatile int*)0;}" in out, out
    assert re.search(r"^#0  vector14 \(\) at .*\n#1  0x[0-9a-f]+ in main \(\) at \S*nullr\.c:1\n"
                     r"(?!#2)", out, re.M), out                   # ends at main, as gdb does


@pytest.mark.gdb
@pytest.mark.parametrize("optimize", OPT_LEVELS)
def test_bt_names_the_caller_of_a_fault_on_a_first_instruction(invoke_cli, images, tmp_path,
                                                               optimize):
    (tmp_path / "first.c").write_text(FIRST_INSN)
    prog = tmp_path / "first"
    build.compile_program([tmp_path / "first.c"], prog, optimize=optimize)
    res, out = debug(invoke_cli, "--init", str(prog), "--at-fault", "--ex", "bt")
    assert "Python Exception" not in out, out
    assert re.search(r'^fault: rip=0x[0-9a-f]+ <fetch> insn="mov 0x0,%eax"', out, re.M), out
    assert re.search(r"^#0  vector14 \(\) at .*\n#1  0x[0-9a-f]+ in fetch \(\) at \S*first\.c:1\n"
                     r"#2  0x[0-9a-f]+ in main \(\) at \S*first\.c:2\n(?!#3)", out, re.M), out
    assert "frame_dummy" not in out, out


@pytest.mark.gdb
def test_the_gdb_extension_behaves_as_gdb_users_expect(invoke_cli, images):
    """`help ringlab` lists the commands; the internal ones stay out of `help CLASS`; a bad
    argument is a gdb error (no Python traceback); no internal breakpoint number is shown."""
    res, out = debug(invoke_cli, "--init", "images/user/hlt", "--at-fault",
                     "--ex", "help ringlab", "--ex", "help support", "--ex", "help files",
                     "--ex", "step-ring bogus", "--ex", "step-ring 0", "--ex", "ring")
    assert res.returncode == 0, out[-3000:]
    for command in ("ring ", "step-ring [N]", "ring-fault", "ring-run-to-fault", "reverse-to LOC",
                    "reverse-to-ring", "$cpl()"):
        assert f"\n  {command}" in out, command
    assert "ring-replay-channel" not in out and "ring-programs --" not in out, out[-3000:]
    assert "step-ring: 'bogus' is not a number of steps" in out, out[-3000:]
    assert "step-ring: MAX-STEPS must be positive" in out
    assert "Traceback" not in out and "ValueError" not in out and "Python Exception" not in out
    assert not re.search(r"Breakpoint -\d+", out), out[-3000:]
    assert re.search(r"^#0  vector13 \(\) at ", out, re.M), out[-3000:]


@pytest.mark.skipif(C.SANITIZE, reason="single-steps a whole kernel path: on the sanitizer kernel "
                    "its coverage hooks make it minutes long")
@pytest.mark.gdb
def test_step_ring_into_the_end_of_the_machine_is_one_gdb_error(invoke_cli, images):
    """step-ring from exit_group's kernel side: the machine ends while it steps. One gdb
    error says so and how far it got; step-ring's internal watchpoint (it single-steps in
    gdb's own loop) is never named by its number, and no Python traceback shows."""
    res, out = debug(invoke_cli, "--init", "images/user/gdb_write", "--break", "sys_exit_group",
                     "--ex", "step-ring", "--ex", "ring")
    assert re.search(r"^step-ring: .*\(after \d+ instructions\)$", out, re.M), out[-3000:]
    assert not re.search(r"(Watchpoint|Breakpoint) -\d+", out), out[-3000:]
    assert "Traceback" not in out and "Python Exception" not in out, out[-3000:]


@pytest.mark.gdb
def test_step_ring_says_how_far_it_got_and_stops_on_the_first_ctrl_c(images):
    """A long step-ring prints its progress (here every 20 instructions), and one Ctrl-C (a
    SIGINT to gdb, as the terminal sends it) stops it with a gdb error; gdb goes on."""
    env = dict(os.environ, **{C.RUNTIME_ENV: ""})
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", "debug", "--init", "images/user/spin", "--break",
         "main", "--batch", "--timeout", "120", "--ex", "delete",
         "--ex", "set ringlab-step-progress 20", "--ex", "step-ring 1000000", "--ex", "ring"],
        cwd=C.REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        stdin=subprocess.DEVNULL, start_new_session=True)
    seen = []
    try:
        for line in proc.stdout:            # the evidence that step-ring runs, then Ctrl-C
            seen.append(line)
            if line.startswith("step-ring: 40 instructions, CPL still 3 (at <main>;"):
                os.killpg(proc.pid, signal.SIGINT)      # invoke ignores it; gdb takes it
                break
        rest = proc.stdout.read()
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    out = "".join(seen) + rest
    assert "step-ring: 20 instructions, CPL still 3 (at <main>; Ctrl-C stops)" in out, out[-3000:]
    assert re.search(r"^step-ring: interrupted after \d+ instructions \(CPL still 3\)$", out,
                     re.M), out[-3000:]
    assert re.search(r"^ring: cpl=3 .* at=<main>", out.split("interrupted after")[1], re.M)
    assert "Traceback" not in out and "Python Exception" not in out
    assert proc.returncode == 0, out[-3000:]
