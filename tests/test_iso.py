"""Images people boot elsewhere: ``invoke iso`` (GRUB rescue ISO) boots with ``-cdrom`` to the
same events as ``-kernel``; ``--accel kvm`` only after a probe boot, refused with the reason.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine import iso
from ringlab.observe.verdict import Outcome, judge

pytestmark = pytest.mark.boot

#: event fields that depend on the loader: GRUB passes no file name in the command line and
#: places the modules elsewhere (one page more or less is free)
LOADER_KINDS = {"boot", "mem"}


def events(run):
    return [(e.kind, e.fields) for e in run.events if e.kind not in LOADER_KINDS]


@pytest.mark.parametrize("name,append", [("hlt", ""), ("hello", "trace=syscall")])
def test_iso_boots_with_cdrom_to_the_same_events(images, tmp_path, name, append):
    cfg = lab.boot_config(images.program(name), append=append)
    direct = lab.run(cfg, timeout_s=60)
    image = iso.build_iso(cfg, tmp_path / "r.iso")
    via_grub = lab.run(cfg.replace(cdrom=image), timeout_s=60)
    assert via_grub.outcome is direct.outcome and via_grub.status == direct.status, \
        via_grub.report()
    assert events(via_grub) == events(direct), via_grub.report()
    assert via_grub.first("boot").get("cmdline") == append     # GRUB: the arguments only


def test_invoke_iso_says_how_to_boot_it(invoke_cli, images, tmp_path):
    out = tmp_path / "hlt.iso"
    res = invoke_cli(["iso", "--init", "images/user/hlt", "--output", str(out)])
    assert res.returncode == 0, res.stderr
    assert f"ringlab-iso: wrote {out}" in res.stderr and out.stat().st_size > 0
    assert re.search(rf"boot it:  qemu-system-x86_64 .* -cdrom {re.escape(str(out))} -boot d",
                     res.stderr), res.stderr


@pytest.mark.parametrize("cpu", ["qemu64", C.DEFAULT_CPU])
def test_accel_kvm_needs_a_probe_that_runs_ring3_right(invoke_cli, images, cpu):
    res = invoke_cli(["boot", "--accel", "kvm", "--cpu", cpu, "--init", "images/user/ret42"])
    if res.returncode == C.EXIT_SETUP_ERROR:          # this machine's nested KVM (FACTS)
        assert res.stderr.count("\n") == 1, res.stderr
        assert res.stderr.startswith("ringlab-boot: error: --accel kvm refused: "), res.stderr
    else:                                             # a machine whose KVM runs ring 3 right
        assert res.returncode == 42, res.stdout + res.stderr


#: QEMU 7.2's stderr when this machine's nested KVM cannot run the kernel's xrstor (-cpu qemu64)
KVM_STDERR = """qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.pni [bit 0]
KVM internal error. Suberror: 1
extra data[0]: 0x0000000000000001
emulation failure
RAX=0000000000000007 RBX=ffffffff80153080 RCX=ffffffff801533c0 RDX=0000000000000000
"""


def test_a_kvm_internal_error_is_a_qemu_failure_whenever_qemu_was_stopped():
    """QEMU keeps running after a KVM internal error with the guest stopped: the run is
    stopped when QEMU's monitor says so (lab.session) and the verdict names the error; a
    run that met its deadline first says the same (the evidence is the stderr)."""
    for timed_out in (False, True):
        v = judge([], None, qemu_signal=15, timed_out=timed_out, timeout_s=30.0,
                  stderr=KVM_STDERR)
        assert v.outcome is Outcome.QEMU_FAILURE, v
        assert v.detail.startswith("QEMU stopped the guest: 'KVM internal error. Suberror: 1' "
                                   "(emulation failure, "), v.detail


def test_invoke_iso_without_output_writes_a_file_of_its_own(invoke_cli, images, tmp_path):
    """Two `invoke iso` in one checkout never write one file (and --output says when it
    replaces one)."""
    wrote = []
    for _ in range(2):
        res = invoke_cli(["iso", "--init", "images/user/hlt"])
        assert res.returncode == 0, res.stderr
        wrote.append(Path(re.search(r"^ringlab-iso: wrote (\S+) ", res.stderr, re.M).group(1)))
    assert wrote[0] != wrote[1] and all(p.parent == tmp_path / "runtime" for p in wrote)
    assert all(p.stat().st_size > 0 and p.name.startswith("ringlab-") for p in wrote)
    res = invoke_cli(["iso", "--init", "images/user/hlt", "--output", str(wrote[0])])
    assert "(replaced the file that was there)" in res.stderr, res.stderr
