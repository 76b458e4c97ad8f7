"""The writable file system's limits answer as Linux's tmpfs would (-EFBIG past the
per-file size, -ENOSPC past the file system's size or its inode table), never a panic, and
every page that files and pipes used comes back: with trace=mem the free-page count after
each round's child is reaped is the same every round (userland/fslimits.c)."""
import pytest

from ringlab import lab
from ringlab.observe.events import Mem, Panic
from ringlab.machine.qemu import QemuConfig
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

ROUND = [
    "fslimits: one file: 2097152 bytes, then EFBIG",          # FS_FILE_MAX_PAGES * 4 KiB
    "fslimits: write 100 across the limit: 10",               # short, as Linux's write is
    "fslimits: ftruncate past the limit: EFBIG",
    "fslimits: filling: 7 full files, 16744448 bytes in all, then ENOSPC",   # FS_MAX_PAGES
    "fslimits: empty files until ENOSPC (more than 300)",     # the inode table
    'fslimits: unlinked but open: "still here", stat: No such file or directory',
    "fslimits: 60 pipes written and closed",
    "fslimits: rmdir: ok",
]


def test_limits_answer_enospc_and_efbig_and_every_page_comes_back(images):
    rounds = 3
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("fslimits"),
                             append=f"trace=mem init.args={rounds}"), timeout_s=60)
    assert run.status == 0 and not run.of(Panic), run.report()
    want = []
    for r in range(rounds):
        want += ROUND + [f"fslimits: round {r + 1}: status 0"]
    assert run.user_lines == want, run.report()
    after_reap = [m.free_pages for m in run.of(Mem)][1:]      # the first is the boot count
    assert len(after_reap) == rounds and len(set(after_reap)) == 1, after_reap


# Linux's NAME_MAX (255) and PATH_MAX (4096): userland/namelimits.c, the same binary on the
# host's Linux and in ringlab, as root and as user 1000 (a directory without search permission
# answers EACCES before a name's length for the user, ENAMETOOLONG for root, on both).
NAME_CASES = {
    "root": Case("namelimits"),
    "user-1000": Case("namelimits", user=(1000, 1000)),
}


@pytest.mark.parametrize("who", list(NAME_CASES))
def test_name_and_path_limits_as_linux(images, tmp_path, who):
    assert_same_as_linux(NAME_CASES[who], images, tmp_path)


def test_name_and_path_limits_give_every_page_back(images):
    """Three rounds of namelimits (255-byte names in slots of fsname.c, PATH_MAX buffers in
    kalloc'd pages, a tree of 20 levels, hostile paths): the free pages after each process
    is reaped are the same in every round, so no name slot, path page or inode is kept."""
    rounds = 3
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("namelimits"),
                             append=f"trace=mem init.args={rounds}"), timeout_s=120)
    assert run.status == 0 and not run.of(Panic), run.report()
    assert [l for l in run.user_lines if "round" in l] == [
        f"namelimits: round {r + 1}: status 0" for r in range(rounds)], run.report()
    after_reap = [m.free_pages for m in run.of(Mem)][1:]      # the first is the boot count
    per_round = len(after_reap) // rounds
    assert per_round and len(after_reap) == per_round * rounds, after_reap
    slices = [after_reap[r * per_round:(r + 1) * per_round] for r in range(rounds)]
    assert slices[0] == slices[1] == slices[2], slices
