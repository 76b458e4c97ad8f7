"""/proc as Linux's (kernel/procfs.c, kernel/procpid.c) and the small calls of issue 20
(kernel/sysprctl.c), compared with the host's Linux.

- userland/procfs.c (built with musl and with glibc) reads its own /proc (maps, stat, status, cmdline, environ, auxv, fd/, mem,
  the links, the system's files) and uses prctl, getcpu, process_vm_readv/writev and the
  parent-death signal; it prints facts, not numbers that must differ (pids, addresses).
- userland/prochostile.c attacks it: /proc/self/mem at page 0, kernel and non-canonical
  addresses, across unmapped pages, into read-only pages and bad buffers; files kept open
  across the process's end and across execve; an unprivileged and a non-dumpable process.
- busybox's ps, free, uptime and `cat /proc/self/maps`, its applets run without
  `busybox --install` (busybox sh re-executes /proc/self/exe).

Lines the two systems print differently by design are named here: the vDSO, [vvar] and
[vsyscall] regions (another part of issue 20: judged once they exist). rseq's line (an empty
registration: EINVAL on both) is compared; tests/test_rseq.py has the rest.
"""
import re
import sys

import pexpect
import pytest

from ringlab.core import constants as C
from tests.parity import Case, assert_same_as_linux, run_on_ringlab

pytestmark = pytest.mark.boot

CPUS = (C.DEFAULT_CPU, C.LEGACY_CPU)
BY_DESIGN = ["maps kind: [v"]
BUSYBOX = "/bin/busybox"
STEP_TIMEOUT_S = 30.0


@pytest.mark.parametrize("program", ["procfs", "procfs-glibc"])
@pytest.mark.parametrize("cpu", CPUS)
def test_own_proc_files_as_linux(program, cpu, images, tmp_path):
    """musl's and glibc's builds (glibc's static start makes its RELRO pages read-only: one
    more executable region in maps, a PT_LOAD split in two)."""
    assert_same_as_linux(Case(program, args=["first", "", "third"], ignore=BY_DESIGN, cpu=cpu), images, tmp_path)


def test_ringlab_maps_kinds_and_rseq(images, tmp_path):
    """What the comparison leaves out, on ringlab's side: the kinds of regions maps lists (the
    vDSO's appear only with a vDSO); and rseq is there (EINVAL for length 0, not ENOSYS)."""
    lines, status, run = run_on_ringlab(Case("procfs"), images, tmp_path)
    assert status == 0, run.report()
    kinds = [l.split(": ", 1)[1] for l in lines if l.startswith("maps kind: ")]
    assert [k for k in kinds if not k.startswith("[v")] == ["exe", "anon", "[heap]", "[stack]"], kinds
    assert "rseq: -1 EINVAL" in lines, lines


@pytest.mark.parametrize("cpu", CPUS)
def test_hostile_proc_as_linux(cpu, images, tmp_path):
    assert_same_as_linux(Case("prochostile", cpu=cpu), images, tmp_path)


def busybox_shell():
    """`invoke boot --init /bin/busybox --args sh`: busybox's shell on ringlab's console, nothing
    installed (every applet a command runs is busybox re-executing /proc/self/exe)."""
    child = pexpect.spawn(sys.executable, ["-m", "invoke", "boot", "--init", BUSYBOX, "--args", "sh"],
                          cwd=str(C.REPO_ROOT), encoding="utf-8", timeout=STEP_TIMEOUT_S)
    child.expect(r"/ # ")
    return child


def run(child, command: str) -> str:
    """The command's output (its echo and ringlab's event lines left out)."""
    child.sendline(command)
    child.expect(r"/ # ")
    lines = child.before.replace("\r", "").split("\n")[1:]
    return "\n".join(l for l in lines if not l.startswith("ringlab: ") and l.strip())


def test_busybox_ps_free_uptime_maps_without_install(images):
    if not pexpect.which(BUSYBOX):
        pytest.fail(f"{BUSYBOX} missing: install the Debian package busybox-static (.ci/setup)")
    child = busybox_shell()
    try:
        assert run(child, "ls /bin 2>&1").startswith("ls: /bin: No such file"), "nothing is installed"
        ps = run(child, "ps").split("\n")
        assert re.match(r"PID\s+USER\s+COMMAND", ps[0].strip()), ps
        assert re.match(r"1 root\s+busybox sh$", ps[1].strip()), ps
        # ps is one of busybox's NOEXEC applets: the forked shell names itself ps (PR_SET_NAME)
        # and keeps the shell's argv, which ps shows as Linux's would: "{ps} busybox sh"
        assert re.match(r"\d+ root\s+\{ps\} busybox sh$", ps[-1].strip()), ps
        free = run(child, "free").split("\n")
        host_free = pexpect.run(f"{BUSYBOX} free", encoding="utf-8").replace("\r", "").split("\n")
        assert free[0].split() == host_free[0].split(), (free, host_free)
        assert free[1].split()[0] == "Mem:" and len(free[1].split()) == len(host_free[1].split()), (free, host_free)
        assert re.match(r"\d\d:\d\d:\d\d up \d+ min,\s+\d+ users?,\s+load average: 0\.00, 0\.00, 0\.00$",
                        run(child, "uptime").strip())
        maps = run(child, "cat /proc/self/maps").split("\n")
        assert maps[0].startswith("00400000-") and maps[0].endswith(" /busybox"), maps
        # as Linux's: [stack], then the vDSO's two pages, the vsyscall page last
        assert any(l.endswith(" [heap]") for l in maps) and any(l.endswith(" [stack]") for l in maps), maps
        assert maps[-1].startswith("ffffffffff600000-ffffffffff601000 --xp") and maps[-1].endswith(" [vsyscall]"), maps
        assert any(l.endswith(" [vdso]") for l in maps) and any(l.endswith(" [vvar]") for l in maps), maps
        assert run(child, "readlink /proc/self/exe") == "/busybox"
        assert run(child, "cat /proc/sys/kernel/ostype") == "Linux"
        child.sendline("exit 0")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_more_open_proc_files_than_nodes_is_enomem_then_recovers(images, tmp_path):
    """ringlab keeps at most PROCFS_CACHE (128) /proc nodes open at once (kernel/include/procfs.h;
    Linux has no such limit, docs/kernel.md says so): past it open is -ENOMEM, never a panic or
    a stale node, and /proc works again once the files are closed."""
    lines, status, run = run_on_ringlab(Case("prochostile", args=["cache"]), images, tmp_path)
    assert status == 0, run.report()
    assert lines == ["cache: 128 of 160 opened, first error ENOMEM",
                     "cache: after closing, /proc/self/stat reads: 1"], run.report()
