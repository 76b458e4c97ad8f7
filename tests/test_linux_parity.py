"""Static musl programs behave as they do on Linux.

Each case runs the same static binary on the host's Linux and as init in ringlab, with the
same argv, environment, files, terminal and keystrokes, and compares the transcripts and exit
statuses (tests/parity.py).
"""
import pytest

from tests.parity import Case, assert_same_as_linux, run_on_linux

pytestmark = pytest.mark.boot

EXAMPLE = "The seed's example file.\nSecond line, no trailing newline"

CASES = {
    "seed_open-without-example.txt": Case("seed_open"),
    "seed_open-with-example.txt": Case("seed_open", files={"example.txt": EXAMPLE}),
    "seed_read-without-example.txt": Case("seed_read"),
    "seed_read-with-example.txt": Case("seed_read", files={"example.txt": EXAMPLE}),
    "demo-printf-malloc-argv": Case("demo", args=["alpha", "beta"]),
    "ret42": Case("ret42"),
    "entryflags-eax-selects-the-call-nt-survives": Case("entryflags"),
    "sigss-rt_sigreturn-strict-and-repaired-ss": Case("sigss"),
    "posixfix-alarm-sigtimedwait-readv-waitpid-pwrite-uname": Case("posixfix"),
    "whois-etc-passwd-and-group": Case("whois"),
    "cat-a-file-and-a-missing-one": Case("cat", args=["example.txt", "missing.txt"],
                                         files={"example.txt": EXAMPLE}),
    "forkwait-fork-exec-wait": Case("forkwait"),
    "fsprobe-open-read-lseek-stat-errno": Case("fsprobe", files={"example.txt": EXAMPLE}),
    "pipefcntl-pipes-dup-fcntl-cloexec": Case("pipefcntl"),
    "fsattack-bad-pointers-paths-flags-fds": Case("fsattack"),
    **{f"fsfuzz-random-file-operations-seed-{seed}": Case("fsfuzz", args=[str(seed), "400"])
       for seed in (1, 2, 3, 4)},
    "brkmap-brk-and-mmap-never-overlap": Case(
        # Below 64 KiB differs by design: root on the host may map there (test_memory).
        "brkmap", ignore=["brkmap: below 64 KiB:"]),
    "pathcross-path-names-at-page-boundaries": Case("pathcross"),
    "shmfork-map-shared-is-shared-with-children": Case("shmfork"),
    "mmapgs-gs-base-kept-across-a-preempted-mmap": Case("mmapgs"),
    "pthreads-mutex-condvar-tls-join-detach": Case("pthreads"),
    "pthreads-glibc-static-the-same-program-on-glibc": Case("pthreads-glibc"),
    "threadattack-hostile-clone-futex-tgkill-exec": Case("threadattack"),
    "threadsig-signals-in-a-thread-group": Case("threadsig"),
    "threadgroup-process-pending-group-stop-shared-handlers": Case("threadgroup"),
    "memadvise-madvise-and-mremap": Case("memadvise"),
    "readline-stdin-with-line-editing": Case(
        "readline",
        keys=[("first line\n", r'got "first line"'), ("xy\x7fz\n", r'got "xz"'),
              ("junk\x15kept\n", r'got "kept"'), ("\x04", None)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_output_and_status_as_on_linux(images, tmp_path, name):
    assert_same_as_linux(CASES[name], images, tmp_path)


def test_the_seed_example_prints_exactly_what_linux_prints(images, tmp_path):
    """The seed example's own words, checked literally as well as against the host."""
    lines, status, _ = run_on_linux(CASES["seed_open-without-example.txt"], images, tmp_path)
    assert (lines, status) == (["Error opening file: No such file or directory"], 1)
