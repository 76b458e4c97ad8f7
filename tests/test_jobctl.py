"""Process groups, sessions and job control (kernel/jobctl.c) as Linux's.

userland/jobctl starts as a session leader on its terminal on both systems (ringlab: pid 1 on
the console; the host: a pexpect child on a pty); a child takes a session and the terminal of
its own, then: setsid/setpgid/getpgid/getsid and their errors, kill(0) and kill(-pgid)
reaching only the group, waitpid(0) and waitpid(-pgid), setpgid of a child that exec'd
(EACCES), tcsetpgrp/read/write (with TOSTOP) from a background group (SIGTTOU/SIGTTIN stops,
EIO when ignored), TIOCSCTTY with and without force, /dev/tty, and an orphaned group with a
stopped member getting SIGHUP and SIGCONT, where SIGTSTP then does not stop. Both systems
must print the same lines and end the same way.
"""
import pytest

from ringlab.core import constants as C
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("cpu", [C.DEFAULT_CPU])
def test_groups_sessions_and_terminal_jobs_as_on_linux(images, tmp_path, cpu):
    assert_same_as_linux(Case("jobctl", cpu=cpu), images, tmp_path)
