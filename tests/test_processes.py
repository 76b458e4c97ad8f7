"""On real QEMU: processes, isolation, crash isolation, page accounting, preemption.

Each test boots images/kernel.elf with a userland program as init (or the default init and
its demonstration) and judges by the kernel's events and the programs' own words.
"""
import re

import pytest
from elftools.elf.elffile import ELFFile

from ringlab import lab
from ringlab.lab.shell import Shell
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Exit, Fault, Kill, Mem, Panic
from ringlab.observe.qemulog import parse_int_log
from ringlab.observe.verdict import Outcome, expected_rc

pytestmark = pytest.mark.boot

SIGKILL = 9
SIGSEGV = 11
KERNEL_ADDRESS = 0xFFFFFFFF80100000   # what isolation's last child tries to read
PF_USER_READ_NOT_PRESENT = 0x4        # #PF error: U/S=1, W/R=0, P=0
PF_USER_READ_PROTECTION = 0x5         # #PF error: U/S=1, W/R=0, P=1 (a supervisor-only page)
PIT_VECTOR = 0x20                     # IRQ0: the PIT, 100 Hz, on vector 32


def boot(images, name, files=(), **config) -> lab.Run:
    cfg = QemuConfig(kernel=images.kernel, init=images.program(name),
                     files=[images.program(f) if "/" not in str(f) else f for f in files],
                     **config)
    return lab.run(cfg)


def assert_halted(run: lab.Run, status: int) -> None:
    """init ended with ``status``, QEMU's rc agrees, no panic, the console contract held."""
    ev = run.report()
    assert run.status == status and run.rc == expected_rc(status), ev
    assert run.outcome in (Outcome.EXITED, Outcome.KILLED), ev
    assert not run.of(Panic) and not run.parse_errors, ev


def ended(run, pid):
    """The exit or kill event of ``pid`` (exactly one)."""
    found = [e for e in run.events if isinstance(e, (Exit, Kill)) and e.pid == pid]
    assert len(found) == 1, f"pid {pid}: {found}\n{run.report()}"
    return found[0]


# -- init's demonstration -------------------------------------------------------------------

@pytest.mark.quick
def test_init_demonstration_runs_a_child_and_survives_a_crashing_one(images):
    run = lab.run(lab.boot_config())          # what `invoke boot` boots
    assert_halted(run, 0)
    out = run.user_lines
    assert "hello from ring 3: cs=0x33 cpl=3" in out, run.report()
    # fork + execve("/hello"): pid 2, whose parent is init; wait4 reports exit 0.
    assert "hello from pid 2 (parent 1), cpl=3, argv[0]=hello, 2 args" in out, run.report()
    assert (ended(run, 2).kind, ended(run, 2).status) == ("exit", 0)
    assert "init: child 2 (/hello) exited with status 0" in out
    # The NULL dereference kills pid 3 only: a ring-3 #PF at address 0, then SIGSEGV.
    fault = run.first(Fault)
    assert (fault.pid, fault.vector, fault.cpl, fault.cr2, fault.error) == \
        (3, 14, 3, 0, PF_USER_READ_NOT_PRESENT), run.report()
    kill = ended(run, 3)
    assert (kill.kind, kill.signal, kill.name) == ("kill", SIGSEGV, "SIGSEGV")
    assert "init: child 3 (NULL dereference) was killed by signal 11 (SIGSEGV)" in out
    assert "init: only the child died; init (pid 1) is still running" in out
    # ...and init goes on to its own end after the crash.
    assert out.index("init: only the child died; init (pid 1) is still running") < \
        out.index("init: bye, exit status 0")
    assert (ended(run, 1).kind, ended(run, 1).status) == ("exit", 0)


def test_init_without_its_programs_says_so_and_carries_on(images):
    run = lab.run(QemuConfig(kernel=images.kernel))   # init alone in "/"
    assert_halted(run, 0)
    assert "init: /hello is not in the file system (No such file or directory); skipping it" \
        in run.user_lines, run.report()
    assert "init: child 2 (NULL dereference) was killed by signal 11 (SIGSEGV)" in run.user_lines
    assert run.user_lines[-1] == "init: bye, exit status 0"


def test_invoke_boot_shows_the_demonstration(images, invoke_cli):
    res = invoke_cli(["boot"])
    assert res.returncode == 0, res.stdout + res.stderr
    for line in ("hello from ring 3: cs=0x33 cpl=3",
                 "hello from pid 2 (parent 1), cpl=3, argv[0]=hello, 2 args",
                 "init: child 2 (/hello) exited with status 0",
                 "ringlab: kill pid=3 ppid=1 signal=11 name=SIGSEGV",
                 "init: child 3 (NULL dereference) was killed by signal 11 (SIGSEGV)",
                 "ringlab: halt status=0"):
        assert line + "\n" in res.stdout, res.stdout


# -- isolation ------------------------------------------------------------------------------

def test_isolation_each_process_reaches_only_its_own_memory(images):
    run = boot(images, "isolation", files=["peek"])
    assert_halted(run, 0)
    out = run.user_lines
    # 1. A child's write to a global is invisible to the parent.
    assert "isolation: child wrote global=42" in out, run.report()
    assert "isolation: parent sees global=1" in out
    # 2. Reading the parent's buffer by address gives the child its own copy (taken at fork).
    assert any(re.fullmatch(r'isolation: child reads parent buffer at 0x[0-9a-f]+: "parent-v1"',
                            l) for l in out), run.report()
    assert "isolation: read by address: child exited 0" in out
    # 3. An exec'd child reading a page only the parent mapped faults (not present for it).
    secret = int(next(l for l in out if l.startswith("peek: reading 0x")).split()[-1], 16)
    faults = run.of(Fault)
    assert len(faults) == 2, run.report()
    assert (faults[0].cpl, faults[0].vector, faults[0].cr2, faults[0].error) == \
        (3, 14, secret, PF_USER_READ_NOT_PRESENT), run.report()
    assert "isolation: peek at parent page: child killed by signal 11" in out
    # 4. Kernel memory: present, but supervisor-only -> protection #PF at CPL 3.
    assert (faults[1].cpl, faults[1].vector, faults[1].cr2, faults[1].error) == \
        (3, 14, KERNEL_ADDRESS, PF_USER_READ_PROTECTION), run.report()
    assert "isolation: peek at kernel: child killed by signal 11" in out
    assert not any("holds" in l for l in out), "a peek read memory that was not its own"
    assert out[-1] == 'isolation: parent still has "parent secret" and global=1'
    assert [k.signal for k in run.of(Kill)] == [SIGSEGV, SIGSEGV]


# -- crash isolation ------------------------------------------------------------------------

def test_crashing_child_is_seen_by_wait4_and_its_sibling_runs_on(images):
    run = boot(images, "bystander")
    assert_halted(run, 0)
    out = run.user_lines
    kill = run.first(Kill)
    assert (kill.signal, kill.name) == (SIGSEGV, "SIGSEGV"), run.report()
    assert run.first(Fault).pid == kill.pid and run.first(Fault).cr2 == 0
    assert "bystander: C killed by signal 11" in out, run.report()
    assert "bystander: B still running after C died: yes" in out, run.report()
    assert "bystander: B exited with 0" in out
    # B printed after the kernel had killed C: it kept running.
    lines = run.console.splitlines()
    assert lines.index(kill.line) < lines.index("bystander: B finished after 2000 yields"), \
        run.report()


def test_200_fault_and_reap_cycles_leave_free_pages_where_they_started(images):
    with lab.Session(lab.shell_config(append="trace=mem")) as s:
        sh = Shell(s.console)
        before = sh.run("hello")                 # a reap: the baseline mem event
        loop = sh.run("faultloop 200", timeout_s=120)
        after = sh.run("hello")
        sh.exit()
        run = s.finish()
    assert_halted(run, 0)
    baseline = before.of(Mem)[-1].free_pages
    assert loop.status == 0, loop.describe()
    assert loop.lines == ["faultloop: 200 of 200 children killed by SIGSEGV"], loop.describe()
    kills = loop.of(Kill)
    assert len(kills) == 200 and {k.signal for k in kills} == {SIGSEGV}
    mems = [m.free_pages for m in loop.of(Mem)]
    assert len(mems) == 201, loop.describe()                # 200 children, then faultloop
    assert len(set(mems[:200])) == 1, f"free pages drift across the 200 reaps: {sorted(set(mems))}"
    assert mems[200] == baseline, f"after faultloop: {mems[200]} free pages, before: {baseline}"
    assert after.of(Mem)[-1].free_pages == baseline


def test_orphan_is_reparented_to_init_and_reaped_by_it(images):
    run = boot(images, "orphan", append="trace=mem")
    assert_halted(run, 0)
    out = run.user_lines
    m = re.fullmatch(r"orphan: child (\d+) forked grandchild (\d+) and exits", out[0])
    assert m, run.report()
    grandchild = int(m.group(2))
    assert f"orphan: grandchild {grandchild}: my parent is now pid 1" in out, run.report()
    assert f"orphan: reaped re-parented pid {grandchild}, exit status 7" in out
    assert (ended(run, grandchild).kind, ended(run, grandchild).status) == ("exit", 7)
    # One mem event at boot, one per reap; reaping the grandchild gave its pages back.
    mems = [m.free_pages for m in run.of(Mem)]
    assert len(mems) == 3 and mems[2] > mems[1], run.report()


# -- preemption -----------------------------------------------------------------------------

def test_ring3_spinner_cannot_starve_its_parent(images):
    run = boot(images, "preempt", int_log=True)
    assert_halted(run, 0)
    assert run.user_lines[1:] == ["preempt: parent got the CPU back",
                                  "preempt: child killed by signal 9"], run.report()
    kill = run.first(Kill)
    assert (kill.pid, kill.signal, kill.name) == (2, SIGKILL, "SIGKILL"), run.report()
    # QEMU's own log: timer interrupts (IRQ0) arrived while the CPU was at CPL 3 inside
    # preempt's main, where the forked child spins: ring 3 preempted, independently seen.
    main_lo, main_hi = function_range(images.program("preempt"), "main")
    ticks = [r for r in parse_int_log(run.log) if r.vector == PIT_VECTOR and r.cpl == 3]
    assert any(main_lo <= r.rip < main_hi for r in ticks), \
        f"no timer interrupt at CPL 3 inside preempt's main in QEMU's -d int log: {ticks[:5]}"


def function_range(path, name):
    """[start, end) of function ``name`` from the ELF symbol table."""
    with open(path, "rb") as fh:
        sym = ELFFile(fh).get_section_by_name(".symtab").get_symbol_by_name(name)[0]
        return sym["st_value"], sym["st_value"] + sym["st_size"]
