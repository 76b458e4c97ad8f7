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
- signal waits: rt_sigtimedwait 177 and rt_sigtimedwait_time64 421 (compat_siginfo_t), and
  sigqueue's rt_sigqueueinfo 178 (a compat_siginfo_t in);
- robust mutexes: set_robust_list/get_robust_list 311/312 (compat_robust_list_head), the list
  walked at a thread's exit (EOWNERDEAD for the next locker);
- mremap 163 (below 4 GiB) and poll;
- hostile arguments: NULL and misaligned futex words, the top page of the 4 GiB (above an i386
  TASK_SIZE), bad and negative timespecs in both layouts, a bad info pointer (the signal is
  lost, -EFAULT), a MREMAP_FIXED target at page 0 or past TASK_SIZE, a clone and clone3 tls
  user_desc that is NULL, unreadable, a code segment, outside the TLS entries, -1 or not present.
"""
import pytest

from ringlab.core import constants as C

from tests.parity import Case, run_both

pytestmark = pytest.mark.boot

USER = (1000, 1000)
# Lines both systems must print (so two runs failing alike never pass): each thread its own
# TLS, the robust list walked at a thread's exit, a clone child reading through its new TLS entry.
WANT = ("m32thr: threads counter=4000 ret_sum=110 main_tls=7",
        "m32thr: robust lock=EOWNERDEAD consistent=0 unlock=0",
        "m32thr: get_robust_list=0 len=12 head_set=1",
        "m32thr: sigqueue=0 sigtimedwait=12 signo=12 code=-1 pid_ok=1 value=1234",
        "m32thr: rt_tgsigqueueinfo=ok sigtimedwait=12 code=-1 value=77",
        "m32thr: sleeps 0 0 0 slept_enough=1",
        "m32thr: mremap ok=1 moved=1 kept=kept below4g=1",
        "m32thr: clone settls null=EFAULT top=EFAULT code=EINVAL idx5=EINVAL alloc=EINVAL not_present=EINVAL"
        " null3=EFAULT top3=EFAULT code3=EINVAL idx53=EINVAL alloc3=EINVAL not_present3=EINVAL"
        " good=42 parent_entry13_empty=1",
        "m32thr: done")


def same_as_linux_with(case: Case, images, tmp_path) -> None:
    """assert_same_as_linux, and the WANT lines among the host's (the two runs side by side)."""
    b = run_both(case, images, tmp_path)
    assert set(WANT) <= set(b.linux) and b.linux_status == 0, b.linux
    assert b.ring == b.linux, (
        f"transcripts differ\nLinux:   {b.linux}\nringlab: {b.ring}\n{b.run.report()}")
    assert b.ring_status == b.linux_status, f"status: Linux {b.linux_status}, ringlab {b.ring_status}"


@pytest.mark.parametrize("cpu", (C.DEFAULT_CPU, C.LEGACY_CPU))
def test_i386_threads_sleeps_timers_sigwaits_as_on_linux(images, tmp_path, cpu):
    same_as_linux_with(Case("m32thr-m32", cpu=cpu, user=USER), images, tmp_path)


def test_i386_thread_churn_as_on_linux(images, tmp_path):
    """Twenty rounds of four threads: every create, futex wait and join as on Linux."""
    same_as_linux_with(Case("m32thr-m32", args=("20",), user=USER), images, tmp_path)
