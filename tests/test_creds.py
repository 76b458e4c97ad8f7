"""The privilege model is Linux's: the same static binaries, run on the host's Linux and in
ringlab as root and as uid 1000 (``QemuConfig.user``, ``invoke boot --user``), print the
same credentials, file-permission results and kill permissions.

The host runs each program through tests/parity.py (as a user: the trampoline drops to
uid/gid 1000 with no groups before exec, as ``setpriv --reuid 1000 --regid 1000
--clear-groups`` does). Capability sets are compared within the host's bounding set: this
host's root lacks CAP_SYS_RESOURCE (a container), which Linux's root otherwise has; ringlab's
root has every one of Linux's 41 (checked on its own). ioperm/iopl are compared with Linux's
documented answer (the host has neither: ENOSYS).
"""
import re
from pathlib import Path

import pytest

from ringlab.core.errors import BadConfig
from ringlab.lab import boot_config, invoke_line
from ringlab.machine.qemu import QemuConfig, parse_user
from ringlab.observe.events import Panic
from tests.parity import Case, run_both, run_on_ringlab

pytestmark = pytest.mark.boot

USER = (1000, 1000)
LINUX_FULL_CAPS = (1 << 41) - 1            # CAP_LAST_CAP 40 (CAP_CHECKPOINT_RESTORE)
CAPS_RE = re.compile(r"caps e=([0-9a-f]+) p=([0-9a-f]+) i=([0-9a-f]+)")

CASES = {
    "creds-as-root": Case("creds"),
    "creds-as-1000": Case("creds", user=USER),
    "fileperm-as-root": Case("fileperm"),
    "fileperm-as-1000": Case("fileperm", user=USER),
    "killperm-as-root": Case("killperm"),
    "killperm-as-1000": Case("killperm", user=USER),
}


def host_bounding_set() -> int:
    """CapBnd of this process (/proc/self/status): what the host's root can have at most."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    raise AssertionError("no CapBnd in /proc/self/status")


def within(lines, mask: int):
    """The transcript with every capability set ANDed with ``mask``."""
    def one(m):
        return "caps " + " ".join(f"{k}={int(v, 16) & mask:x}"
                                  for k, v in zip("epi", m.groups()))
    return [CAPS_RE.sub(one, l) for l in lines]


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_linux(images, tmp_path, name):
    b = run_both(CASES[name], images, tmp_path)
    mask = host_bounding_set()
    assert within(b.ring, mask) == within(b.linux, mask), (
        f"transcripts differ\nLinux:   {b.linux}\nringlab: {b.ring}\n{b.run.report()}")
    assert b.ring_status == b.linux_status == 0, f"status: Linux {b.linux_status}, ringlab {b.ring_status}"


def test_root_has_every_capability_and_the_user_none(images, tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "u").mkdir()
    root, _, _ = run_on_ringlab(Case("creds", args=["show"]), images, tmp_path / "r")
    user, _, _ = run_on_ringlab(Case("creds", args=["show"], user=USER), images, tmp_path / "u")
    full = f"{LINUX_FULL_CAPS:x}"
    assert f"exec: caps e={full} p={full} i=0" in root
    assert "exec: auxv uid 0 euid 0 gid 0 egid 0 secure 0" in root
    assert "exec: caps e=0 p=0 i=0" in user
    assert "exec: uid 1000 1000 1000 fs 1000  gid 1000 1000 1000 fs 1000  get 1000 1000 1000 1000" in user
    assert "exec: groups 0:" in user
    assert "exec: auxv uid 1000 euid 1000 gid 1000 egid 1000 secure 0" in user


def test_ioperm_and_iopl_need_cap_sys_rawio(ringlab):
    """ioperm(2)/iopl(2): EPERM without CAP_SYS_RAWIO; dropping ports needs nothing."""
    user = ringlab.boot(ringlab.program("iocaps"), user=1000)
    root = ringlab.boot(ringlab.program("iocaps"))
    assert user.status == 0 and root.status == 0, user.report() + root.report()
    eperm = ["  ioperm(0x3f8, 8, 1): -1 Operation not permitted", "  iopl(3): -1 Operation not permitted",
             "  ioperm(0x3f8, 8, 0): 0", "  iopl(0): 0"]
    assert user.user_output.splitlines() == ["start: euid 1000"] + eperm
    lines = root.user_output.splitlines()
    assert lines[lines.index("after: euid 1000") + 1:] == eperm
    assert lines[1] == "  ioperm(0x3f8, 8, 1): 0"


NGROUPS_PROGRAM = r"""
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void)
{
    unsigned g[40];
    for (int i = 0; i < 40; i++)
        g[i] = 40 - i;
    long a = syscall(SYS_setgroups, 32, g), b = syscall(SYS_setgroups, 33, g);
    long n = syscall(SYS_getgroups, 40, g);
    printf("32: %ld 33: %ld now %ld first %u last %u\n", a, b, n, g[0], g[n - 1]);
    return 0;
}
"""


def test_at_most_32_supplementary_groups(ringlab, tmp_path):
    """The documented difference (cred.h NGROUPS_RL): 33 groups are -EINVAL here, Linux takes
    65536; the 32 kept are sorted, as Linux's groups_sort leaves them."""
    src = tmp_path / "ngroups.c"
    src.write_text(NGROUPS_PROGRAM)
    run = ringlab.boot(ringlab.compile(src))
    assert run.user_output.splitlines() == ["32: 0 33: -1 now 32 first 9 last 40"], run.report()


def test_default_init_runs_unprivileged(ringlab):
    run = ringlab.boot(user="1000:1000")
    assert run.status == 0 and not run.of(Panic), run.report()
    assert "init: bye, exit status 0" in run.user_output


@pytest.mark.parametrize("text, ids", [("1000", (1000, 1000)), ("1000:100", (1000, 100)),
                                       ("0", (0, 0)), ("4294967294:0", (4294967294, 0))])
def test_parse_user(text, ids):
    assert parse_user(text) == ids


@pytest.mark.parametrize("text", ["", "abc", "-1", "1000:", ":5", "4294967295", "1:4294967295",
                                  "1 2", "1000:1000:1"])
def test_parse_user_refuses(text):
    with pytest.raises(BadConfig):
        parse_user(text)


def test_user_travels_as_kernel_arguments():
    cfg = QemuConfig(append="trace=mem", user=(1000, 5))
    cmd = cfg.command()
    assert cmd[cmd.index("-append") + 1] == "trace=mem init.uid=1000 init.gid=5"
    with pytest.raises(BadConfig):
        QemuConfig(append="init.uid=3", user=(1000, 5)).validate()
    assert boot_config(user=7).user == (7, 7)
    assert boot_config(user=(7, 8)).user == (7, 8)
    with pytest.raises(BadConfig):
        boot_config(user=True)


@pytest.mark.parametrize("value, message", [
    ("abc", "--user 'abc': expected UID or UID:GID (decimal numbers)"),
    ("4294967295", "--user: uid 4294967295 is not in 0..4294967294"),
    ("1000:-1", "--user '1000:-1': expected UID or UID:GID (decimal numbers)"),
])
def test_invoke_boot_refuses_a_bad_user_in_one_line(invoke_cli, images, value, message):
    res = invoke_cli(["boot", "--user", value])
    assert res.returncode == 2, res.stderr
    assert res.stderr == f"ringlab-boot: error: {message}\n"


def test_invoke_boot_user_puts_init_ids_on_the_kernel_command_line(invoke_cli, images):
    res = invoke_cli(["boot", "--user", "1000", "--dry-run"])
    assert res.returncode == 0, res.stderr
    assert "-append 'init.uid=1000 init.gid=1000'" in res.stdout


def test_reproduce_lines_keep_the_user():
    """The report's reproduce/step-into lines (invoke boot, invoke debug) carry the ids as kernel
    arguments, which every task takes."""
    cfg = boot_config(init=Path("images/user/hlt"), user=(1000, 7))
    line = invoke_line(cfg, task="debug")
    assert "--append 'init.uid=1000 init.gid=7'" in line
