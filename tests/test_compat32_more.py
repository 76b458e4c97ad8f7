"""More i386 calls (compat2): what a static i386 glibc program with threads, sleeps, timers and
signal waits makes, with the i386 structures, each run on the host's Linux and in ringlab with
the same output (``m32thr-m32``, userland/m32thr.c), as an unprivileged user (root may map page
0 on the host, which ringlab never allows).

- threads: pthread_create (clone3, then clone, CLONE_SETTLS naming a struct user_desc), mutexes,
  condition variables, sem_t, pthread_cond_timedwait and sem_timedwait (futex 240 with an
  old_timespec32, futex_time64 422);
- sleeps and timers: nanosleep 162 and clock_nanosleep 267 (old_timespec32 in and out, the
  remainder after a handler), clock_nanosleep_time64, setitimer/getitimer 104/105
  (compat_itimerval), alarm;
- signal waits: rt_sigtimedwait 177 and rt_sigtimedwait_time64 421 (compat_siginfo_t);
- mremap 163 (below 4 GiB) and poll;
- hostile arguments: NULL and misaligned futex words, the top page of the 4 GiB (above an i386
  TASK_SIZE), bad and negative timespecs in both layouts, a bad info pointer (the signal is
  lost, -EFAULT), a MREMAP_FIXED target at page 0 or past TASK_SIZE, a clone tls user_desc that
  is NULL, unreadable, a code segment, outside the TLS entries, -1 or not present.
"""
import pytest

from ringlab.core import constants as C

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

USER = (1000, 1000)


@pytest.mark.parametrize("cpu", (C.DEFAULT_CPU, C.LEGACY_CPU))
def test_i386_threads_sleeps_timers_sigwaits_as_on_linux(images, tmp_path, cpu):
    assert_same_as_linux(Case("m32thr-m32", cpu=cpu, user=USER), images, tmp_path)


def test_i386_thread_churn_as_on_linux(images, tmp_path):
    """Twenty rounds of four threads: every create, futex wait and join as on Linux."""
    assert_same_as_linux(Case("m32thr-m32", args=("20",), user=USER), images, tmp_path)
