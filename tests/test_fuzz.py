"""The system-call fuzzer (userland/fuzz.c): 100,000 seeded random calls in one boot.

Each run is one boot of ``fuzz SEED CALLS`` as pid 1 under ``trace=mem``: the parent forks
children that each make 100 random calls (numbers past the highest Linux one, arguments mixing
valid, read-only, kernel-half, non-canonical, unmapped and wrapping pointers and huge
lengths) and checks, after every call, that no kernel-half value reached user memory or a
register. The test reads the kernel's events and the fuzzer's summary line:

- the machine halts normally with status 0: no panic, no hang (the boot has a bounded
  timeout); a child that stopped itself (`stopped`) or is still running after 0.5 s of guest
  time, blocked in a call that blocks on Linux too (pause, poll with no fds and a long
  timeout, read on an empty pipe it holds: `timedout`), is killed with SIGKILL - a data
  point; none may outlive its SIGKILL (`stuck`);
- at least 100,000 calls completed; no anomaly (kernel-half value or clobbered register);
- ``mem free_pages`` after the last reap equals the value after the warm-up child's reap.

The seed is fixed per CPU model so the suite is repeatable (``RINGLAB_FUZZ_SEED=N`` runs
another one); every failure message names it with the command that replays the run, and the
fuzzer's ``fuzz: anomaly batch=B`` lines say how to replay one child loudly.

The host's Linux runs the same binary as a reference, as an unprivileged user in a temporary
directory, with a smaller budget and the host exclusions compiled into the program (it
detects Linux by ``uname``).
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import pytest

from ringlab import lab
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Mem, Panic

CPUS = ("qemu64", "max")
SEEDS = {"qemu64": 1, "max": 2}           # fixed: the suite is repeatable
CALLS = 100_000
HOST_CALLS = 20_000
BOOT_TIMEOUT_S = 300.0                    # bounds the run; ~5 s of guest work when healthy
HOST_TIMEOUT_S = 120.0
NOBODY = 65534                            # Debian's nobody / nogroup

SUMMARY = re.compile(r"^fuzz: seed=(?P<seed>\d+) mode=(?P<mode>\w+) (?P<rest>.*)$", re.M)


@dataclass
class Summary:
    seed: int
    mode: str
    counts: Dict[str, int]
    signals: str

    @classmethod
    def parse(cls, text: str) -> "Summary":
        """The fuzzer's last summary line; AssertionError if there is none."""
        found = list(SUMMARY.finditer(text))
        assert found, "no fuzz summary line in:\n" + text[-2000:]
        m = found[-1]
        fields = dict(kv.split("=", 1) for kv in m["rest"].split())
        signals = fields.pop("signals", "none")
        return cls(int(m["seed"]), m["mode"], {k: int(v) for k, v in fields.items()}, signals)


def seed_for(cpu: str) -> int:
    return int(os.environ.get("RINGLAB_FUZZ_SEED", SEEDS[cpu]))


def repro(cpu: str, seed: int) -> str:
    return shlex.join(["invoke", "boot", "--init", "images/user/fuzz", "--cpu", cpu,
                       "--append", f"trace=mem init.args={seed},{CALLS}"])


@pytest.mark.boot
@pytest.mark.parametrize("cpu", CPUS)
def test_fuzz_100k_calls_in_one_boot(images, cpu, record_property):
    seed = seed_for(cpu)
    record_property("fuzz_seed", seed)
    cfg = QemuConfig(init=images.program("fuzz"), cpu=cpu,
                     append=f"trace=mem init.args={seed},{CALLS}")
    run = lab.run(cfg, timeout_s=BOOT_TIMEOUT_S)
    where = f"seed {seed} on {cpu}; replay: {repro(cpu, seed)}\n"
    anomalies = [l for l in run.user_lines if l.startswith("fuzz: anomaly")]
    assert not run.of(Panic), where + run.report()
    assert run.outcome.value == "exited" and run.status == 0, where + run.report()
    s = Summary.parse(run.console)
    assert (s.seed, s.mode) == (seed, "ringlab"), where + run.report()
    assert s.counts["calls"] >= CALLS, where + str(s)
    assert s.counts["stuck"] == 0, where + str(s)
    assert s.counts["anomalies"] == 0, where + "\n".join(anomalies)
    assert s.counts["children"] == s.counts["exited"] + s.counts["killed"] + \
        s.counts["stopped"] + s.counts["timedout"]
    # free pages: the first event is at boot, the second after the warm-up child's reap
    mem = [e.free_pages for e in run.of(Mem)]
    assert len(mem) >= s.counts["children"] + 2, where + run.report()
    assert mem[-1] == mem[1], where + f"free pages {mem[1]} after warm-up, {mem[-1]} at the end"


def host_command(binary: Path, seed: int) -> List[str]:
    """Run as nobody when we are root (never fuzz the host as root)."""
    cmd = [str(binary), str(seed), str(HOST_CALLS)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): no unprivileged user "
                        "to fuzz the host's Linux as")
        cmd = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
               "--no-new-privs"] + cmd
    return cmd


@pytest.mark.unit
def test_fuzz_on_the_hosts_linux(images):
    """The reference run: same program, host exclusions on, unprivileged, in a temp dir.

    Linux's own answers are not judged here beyond finishing: its kernel-half "anomalies"
    include real constants that look like addresses (shmctl's IPC_INFO reports shmmax =
    ULONG_MAX - 2^24), so their count is reported, not asserted.
    """
    work = Path(tempfile.mkdtemp(prefix="ringlab-fuzz-host-"))
    try:
        os.chmod(work, 0o777)
        binary = work / "fuzz"
        shutil.copy2(images.program("fuzz"), binary)
        os.chmod(binary, 0o755)
        proc = subprocess.Popen(host_command(binary, SEEDS["qemu64"]), cwd=work, text=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=HOST_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out = proc.communicate()[0]
            pytest.fail(f"the host run took more than {HOST_TIMEOUT_S:g} s:\n{out[-3000:]}")
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)        # a straggler of its session
            except ProcessLookupError:
                pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert proc.returncode == 0, out[-3000:]
    s = Summary.parse(out)
    assert s.mode == "host" and s.seed == SEEDS["qemu64"], out[-3000:]
    assert s.counts["calls"] >= HOST_CALLS, out[-3000:]
    assert s.counts["stuck"] == 0, out[-3000:]
    assert s.counts["children"] == s.counts["exited"] + s.counts["killed"] + \
        s.counts["stopped"] + s.counts["timedout"]
    print(f"host reference: {s}")


@pytest.mark.unit
def test_summary_parser():
    s = Summary.parse("fuzz: seed=1 calls=5 mode=ringlab per-child=100\n"
                      "fuzz: seed=1 mode=ringlab calls=100 children=2 exited=1 killed=1 stopped=0 "
                      "timedout=0 stuck=0 anomalies=0 signals=11:1\n")
    assert (s.seed, s.mode, s.counts["calls"], s.counts["killed"], s.signals) == \
        (1, "ringlab", 100, 1, "11:1")
