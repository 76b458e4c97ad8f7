"""clock_settime and settimeofday as Linux's kernel/time/ (kernel/time.c, the vDSO's [vvar]).
The host's clock is never set: userland/clockset compares only calls that fail (bad clocks,
timespecs, timevals, pointers and zones as root and as user 1000, and EPERM for a valid time
as user 1000); `clockset set` checks a successful set in ringlab alone, read back through the
vDSO and the system calls, with an absolute CLOCK_REALTIME sleep and a time zone. The same
program built for i386 (clockset-m32) makes the i386 calls with 32-bit time fields."""
import pytest

from tests.parity import Case, assert_same_as_linux, run_on_ringlab

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("program", ["clockset", "clockset-m32"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_clock_setting_errors_as_on_linux(images, tmp_path, user, program):
    assert_same_as_linux(Case(program, user=user), images, tmp_path)


@pytest.mark.parametrize("program", ["clockset", "clockset-m32"])
def test_clock_set_is_seen_by_every_reader(images, tmp_path, program):
    lines, status, _ = run_on_ringlab(Case(program, args=("set",)), images, tmp_path)
    assert status == 0
    sleeps = [] if program.endswith("-m32") else [   # i386: no 32-bit clock_nanosleep or futex yet
        "absolute realtime sleep: ok, woke after the deadline yes, slept ~0.3 s",
        "futex realtime deadline 1 s ahead: ETIMEDOUT, waited ~1 s",
    ]
    assert lines == [
        "clock_settime REALTIME 2000000000.5: ok",
        "vDSO clock_gettime: the new time",
        "syscall clock_gettime: the new time",
        "gettimeofday: the new time",
        "time: the new time",
        "monotonic unmoved: yes",
        *sleeps,
        "settimeofday zone 60 west: ok",
        "vDSO gettimeofday zone: 60 0",
        "syscall gettimeofday zone: 60 0",
        "settimeofday 1000000000: ok",
        "time: the new time",
    ]
