"""Hostile programs from the second review of the kernel merged on 7 December
(userland/revnew.c, built as a 64-bit musl program and as an i386 glibc one), compared with
the host's Linux as root and as user 1000:

- stacksplit: a mapping put MAP_FIXED into the grown stack and holes cut into it (Linux splits
  the stack vma: the mapping between does not grow down, only the part holding start_stack
  is [stack], each part's growth is counted against RLIMIT_STACK by its own size);
- remapgrown: a MAP_GROWSDOWN mapping grown in place by mremap (its growth below counted from
  its new top); growsdata: MAP_GROWSDOWN memory under a one-page RLIMIT_DATA (never data);
- growsgap, brkgap: later mappings, and brk, leave the guard gap below a MAP_GROWSDOWN
  mapping free (Linux's vm_start_gap);
- remapmoved: part of the stack moved by mremap keeps growing down where it lands;
- oldselect, oldmmapstack (i386): select (82) with hostile argument blocks; old mmap (90) with
  its block below the stack (Linux copies it before taking mmap_lock: the copy grows it);
- shmlock: SHM_LOCK's charges against RLIMIT_MEMLOCK; madvlocked: madvise over locked pages;
- ids: an i386 process's id calls as uid 1000 gid 100 and as uid 70000;
- vmstk: /proc/self/status's VmStk and VmData around a MAP_GROWSDOWN mapping.

And ringlab's own limit, not compared: its records of grows-down ranges run out cleanly."""

import pytest

from ringlab import lab
from ringlab.core import kabi
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Panic
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


ATTACKS = ["stacksplit", "remapgrown", "growsdata", "growsgap", "brkgap", "remapmoved", "oldselect",
           "madvlocked", "oldmmapstack", "vmstk"]
# shmlock's root run drops to uid 1000 with setgroups/setgid/setuid, which ringlab's i386 table
# does not have (setgroups32, setgid32, setuid32: -ENOSYS): 64-bit only
CASES = [(program, attack) for program in ("revnew", "revnew-m32") for attack in ATTACKS]
CASES += [("revnew", "shmlock")]


@pytest.mark.parametrize("program,attack", CASES, ids=[f"{p}-{a}" for p, a in CASES])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_new_attack_as_on_linux(images, tmp_path, program, attack, user):
    assert_same_as_linux(Case(program, args=[attack], user=user), images, tmp_path)


@pytest.mark.parametrize("program", ["revnew", "revnew-m32"])
@pytest.mark.parametrize("user", [None, (1000, 100), (70000, 70001)],
                         ids=["root", "uid1000-gid100", "uid70000"])
def test_ids_as_on_linux(images, tmp_path, program, user):
    # userland/revnew.c ids: an i386 process's getgid, geteuid and getegid (16- and 32-bit)
    # answered its real uid; the 16-bit calls give 65534 for an id past 65535 (high2lowuid)
    assert_same_as_linux(Case(program, args=["ids"], user=user), images, tmp_path)


def test_growsdown_records_run_out_cleanly(images):
    # ringlab's own limit (Linux keeps any number of VM_GROWSDOWN vmas, so this is not compared
    # with the host): an address space keeps GROWSDOWN_MAX grows-down ranges, the stack's
    # included; past them MAP_GROWSDOWN is ENOMEM, and one put into the stack's middle, which
    # splits the stack's range in two, needs two free records (with one it was mapped without
    # its own and never grew).
    limit = kabi.load().const("GROWSDOWN_MAX")
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("revnew"),
                             append="init.args=growsrecords"), timeout_s=120)
    assert run.status == 0 and not run.of(Panic), run.report()
    assert run.user_lines == [
        f"growsrecords: MAP_GROWSDOWN mappings: {limit - 1}, the next: Out of memory",
        "growsrecords: one record free, MAP_GROWSDOWN into the stack's middle: Out of memory",
        "growsrecords: two free: ok",
        "growsrecords: munmap of the page below it: ok",
        "growsrecords: a child touching that page: ok",
    ], run.report()
