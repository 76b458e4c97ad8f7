"""Time, randomness and limits (userland/clockprobe.c). CLOCK_REALTIME comes from
the CMOS RTC, which QEMU sets from the host's clock (UTC), so it agrees with the host's time;
the clocks tick at the PIT's 100 Hz; getrandom and /dev/urandom give fresh bytes (RDRAND
under -cpu max, a TSC-seeded xorshift under qemu64); the limits are the kernel's own."""
import time

import pytest

from ringlab import lab
from ringlab.machine.qemu import QemuConfig

pytestmark = pytest.mark.boot

ENOENT, EPERM = 2, 1


def probe(images, cpu: str) -> dict:
    before = time.time()
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("clockprobe"), cpu=cpu),
                  timeout_s=30)
    after = time.time()
    assert run.status == 0, run.report()
    values = {}
    for line in run.user_lines:
        for tok in line.removeprefix("clockprobe: ").split():
            key, _, value = tok.partition("=")
            values.setdefault(key, value)
    values["host_before"], values["host_after"] = before, after
    return values


@pytest.mark.parametrize("cpu", ["qemu64", "max"])
def test_clocks_random_devices_and_limits(images, cpu):
    v = probe(images, cpu)
    rt = int(v["realtime_s"])
    assert v["host_before"] - 2 <= rt <= v["host_after"] + 2, v        # RTC = host clock (UTC)
    assert abs(int(v["gettimeofday_s"]) - rt) <= 1 and abs(int(v["time_s"]) - rt) <= 1, v
    assert v["nanosleep_100ms"] == "0" and 100 <= int(v["slept_ms"]) <= 1000, v
    assert v["resolution_ns"] == "10000000", v                         # the 100 Hz PIT tick
    assert v["getrandom"] == "32,32" and v["nonzero"] == "1" and v["differ"] == "1", v
    assert v["urandom_read"] == "32" and v["zero_read"] == "32", v
    assert v["null_write"] == "1" and v["null_read"] == "0", v
    # /proc/self/exe names the program (init is the module /clockprobe)
    assert (v["readlink_proc_self_exe"], v["errno"]) == (str(len("/clockprobe")), "0"), v
    # RLIMIT_STACK soft: 128 KiB (mmu.h USER_STACK_RLIMIT; Linux's 8 MiB would size every glibc
    # thread's stack, each page populated at mmap and copied by fork here)
    assert v["nofile"] == "1024,4096" and v["stack"] == str(128 * 1024), v
    assert v["setrlimit_same"] == "0" and v["setrlimit_lower"] == "0", v   # as Linux (syslimit.c)
    assert (v["affinity"], v["count"], v["cpu0"]) == ("0", "1", "1"), v
