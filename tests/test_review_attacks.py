"""Hostile programs from the review of the kernel merged on 7 December (userland/revattack.c),
each an attack on an owner or a lifetime the review suspected, compared with the host's Linux
(the attacks print only what Linux defines) as root and as user 1000."""
import pytest

from ringlab import lab
from ringlab.core import kabi
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Panic
from tests.parity import Case, assert_rounds_give_every_page_back, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("attack", ["piexit", "shmkey", "lockclose", "execsleep", "txtmap"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_attack_as_on_linux(images, tmp_path, attack, user):
    # host_alone: the attacks use fixed SysV keys and /tmp names on the host; two runs side by
    # side (xdist workers, the sanitizer pass beside the main one) would race each other
    assert_same_as_linux(Case("revattack", args=[attack], user=user, host_alone=True), images, tmp_path)


TXTMAP_ROUNDS = 3


def test_txtmap_rounds_give_every_page_back(images, tmp_path):
    # Each round maps, splits, moves and forks mappings of a fresh copy of the program, then
    # unlinks it: a file a mapping record kept (kernel/filemap.c) would keep its inode and its
    # pages, and the free pages after a round would fall round by round.
    assert_rounds_give_every_page_back("revattack", images, tmp_path, TXTMAP_ROUNDS,
                                       timeout_s=180, args=["txtmaprounds"])


def test_file_mapping_records_run_out_cleanly(images):
    # ringlab's own limit (Linux's vm.max_map_count is 65,530, so this is not compared with the
    # host): an address space holds FMAPS_PER_MM file mappings; past it a new one, a munmap or
    # mremap that would split one and a MAP_FIXED over part of one are ENOMEM and change
    # nothing, while changes that need no new record (a trim, a whole one replaced or moved
    # over another, growth in place) work; a fork copies them all, and the file is exec'd
    # again once they are gone.
    limit = kabi.load().const("FMAPS_PER_MM")
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("revattack"),
                             append="init.args=txtlimit"), timeout_s=120)
    assert run.status == 0 and not run.of(Panic), run.report()
    assert run.user_lines == [
        f"txtlimit: file mappings: {limit}, the next: ENOMEM",
        "txtlimit: munmap of the first one's middle: ENOMEM",
        "txtlimit: mremap of its first page over another: ok",
        "txtlimit: munmap of its first page: ok",
        "txtlimit: MAP_FIXED over its last page: ENOMEM",
        "txtlimit: MAP_FIXED over a whole one: ok",
        "txtlimit: mremap of a whole one over another: ok",
        "txtlimit: mremap growing a whole one: ok",
        "txtlimit: a fork copying them: status 0",
        "txtmap: all of them mapped: execve Text file busy",
        "txtmap: none of them mapped: execve ran",
    ], run.report()


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_locked_file_mapping_past_its_end_as_on_linux(images, tmp_path, user):
    # userland/revlock.c: a locked file mapping's pages past the file's end stay locked when
    # the file grows over them and ring 3 touches them (filemap_fault), and when mremap grows
    # the mapping (filemap_grow); mlock's populate failing on such a page or on PROT_NONE
    # memory is ENOMEM with the pages locked anyway, as Linux.
    assert_same_as_linux(Case("revlock", user=user), images, tmp_path)


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_status_read_while_its_process_ends_as_on_linux(images, tmp_path, user):
    # userland/revlock.c statusrace: /proc/PID/status's VmLck walks PID's page tables and
    # yields on the way; PID ending meanwhile freed them under the reader (the sanitizer
    # kernel, whose freed pages are poisoned, panicked on the walk).
    assert_same_as_linux(Case("revlock", args=["statusrace"], user=user), images, tmp_path)


def test_proc_mem_past_a_mapped_files_end_as_on_linux(images, tmp_path):
    # userland/revlock.c membus: /proc/self/mem (FOLL_FORCE) over a shared file mapping's
    # page past the file's end is EIO both ways, as Linux's fault there is SIGBUS; a write
    # that got through went into a page the file's own replaced once the file grew.
    assert_same_as_linux(Case("revlock", args=["membus"]), images, tmp_path)


# userland/revcompat.c: the review of the compat (i386) and debugging surfaces (ptrace, LDT,
# debug registers, FS/GS bases, the vDSO, /proc, XSAVE state), each attack compared with the
# host's Linux.
REVCOMPAT_ATTACKS = ["restart", "archprctl", "sigreturncs", "vdsomem", "tlsarea", "procmem", "badiret", "xstateregs",
                     "procrace", "iopermregset"]


@pytest.mark.parametrize("attack", REVCOMPAT_ATTACKS)
def test_compat_attack_as_on_linux(images, tmp_path, attack):
    # restart: a tracer's RAX -ERESTARTNOINTR at a syscall-exit stop with no signal pending is
    # the call's answer, not a restart (Linux restarts only with signal work); a restart at
    # RIP 1 made RIP non-canonical after the check, and the iretq faulted in ring 0 (a panic
    # on hardware; QEMU's TCG faults in ring 3, and the sanitizer kernel's user-return check
    # reports it).
    # archprctl: PTRACE_ARCH_PRCTL(ARCH_SET_GS) on a tracee whose GS is a TLS selector nulls
    # the selector as the call on itself does; the selector kept overrode the new base on a
    # CPU without FSGSBASE. Default CPU only: the host has FSGSBASE, and so has -cpu max.
    # sigreturncs: a 64-bit rt_sigreturn frame may name CS 0x23 (compatibility mode) or an LDT
    # SS, as on Linux (restore_sigcontext); ringlab sent SIGSEGV for any CS but 0x33 and any
    # SS but 0x2b under UC_STRICT_RESTORE_SS, and repaired a usable LDT SS without it.
    # vdsomem: /proc/self/mem writes into [vdso] as into any private text (the process's own
    # copy; a process forked before keeps the image), and [vvar] is EIO both ways (Linux's
    # VM_IO | VM_PFNMAP), PEEKDATA too; ringlab refused the write and read [vvar].
    # tlsarea: PTRACE_GET_THREAD_AREA / PTRACE_SET_THREAD_AREA (a 64-bit tracer's way to an
    # i386 inferior's TLS, gdb's) as Linux's do_get/set_thread_area; ringlab answered EIO.
    # procmem: /proc/self/mem at offsets past the user half, in the canonical hole, at the
    # vsyscall page and the kernel's text, near 2^63 and 2^64, reads and writes over a page's
    # end and into bad buffers (no change was needed: the same as Linux).
    # badiret: a tracer leaves a selector or RIP iretq cannot load and suppresses the SIGSEGV
    # of each failed return: another SIGSEGV stop every time, as Linux's; ringlab's check ran
    # once, and the iretq after the suppressed signal faulted in ring 0 (a kernel panic).
    # xstateregs: NT_X86_XSTATE through GETREGSET/SETREGSET (ringlab answered ENODEV though it
    # runs with XSAVE): the area as Linux gives it, a partial set EFAULT, a bad header or MXCSR
    # EINVAL (xrstor would have faulted in the scheduler), the values set reach the tracee.
    # Default CPU only: qemu64 has no XSAVE (ENODEV, as a Linux on such a CPU) and no AVX.
    # procrace: /proc/PID files read while PID execs itself and ends (the same end).
    # iopermregset: NT_386_IOPERM without a bitmap is ENXIO and has no set (EOPNOTSUPP), as
    # Linux's ioperm regset; ringlab answered EINVAL, a regset it did not know.
    assert_same_as_linux(Case("revcompat", args=[attack]), images, tmp_path)


def test_ioperm_regset_reads_the_bitmap(images):
    # ringlab only (the host's Linux has no ioperm, so there NT_386_IOPERM is always ENXIO, as
    # test_compat_attack_as_on_linux[iopermregset] compares): a tracee that opened COM2 with
    # ioperm shows the tracer its 8 KiB bitmap, Linux's ioperm_get.
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("revcompat"),
                             append="init.args=iopermregset,ports"), timeout_s=60)
    assert run.status == 0 and not run.of(Panic), run.report()
    assert run.user_lines == [
        "iopermregset get: ok len=8192",
        "iopermregset get: COM2's byte clear 1, every other byte 0xff 1, past it untouched 1",
        "iopermregset get 5 bytes: Invalid argument",
        "iopermregset set: Not supported",                       # musl's strerror(EOPNOTSUPP)
    ], run.report()


def test_vdso_copies_go_back_with_the_process(images, tmp_path):
    # revcompat vdsomemrounds: each round's child writes into its [vdso] through
    # /proc/self/mem (a copy of its own, vdso_unshare) and ends: the free pages after each
    # round are equal, so the copies went back and the shared image kept its shares.
    assert_rounds_give_every_page_back("revcompat", images, tmp_path, 3, timeout_s=120, args=["vdsomemrounds"])


def test_ldt_pages_go_back_with_the_address_space(images, tmp_path):
    # revcompat ldtpagesrounds: an LDT grown to entry 8191 (its whole window), copied by fork
    # and changed in the copy, the parent's untouched, an exec'd child without one: the free
    # pages after each round are equal (ldt.c's pages go with their address space).
    assert_rounds_give_every_page_back("revcompat", images, tmp_path, 3, timeout_s=120, args=["ldtpagesrounds"])


@pytest.mark.parametrize("cpu", [None, "qemu64"], ids=["max", "qemu64"])
def test_tls_entry_emptied_under_a_live_selector_as_on_linux(images, tmp_path, cpu):
    # PTRACE_SET_THREAD_AREA of the entry the stopped tracee's GS names: its saved GS base
    # becomes the new descriptor's (Linux's do_set_thread_area on a task not current), 0 for an
    # emptied entry (the selector then nulled, %gs:0 faults), the new base for another one; with
    # and without FSGSBASE (qemu64 has none: the base then comes from loading the selector).
    assert_same_as_linux(Case("revcompat", args=["tlsempty"], cpu=cpu), images, tmp_path)


@pytest.mark.parametrize("attack", ["restart", "sigreturncs", "stepcompat"])
def test_compat_attack_as_on_linux_qemu64(images, tmp_path, attack):
    # the same without SMAP, UMIP and XSAVE (archprctl's POKEUSER of gs_base needs FSGSBASE,
    # which the host has and qemu64 has not).
    # stepcompat: PTRACE_SINGLESTEP through int $0x80 from 64-bit code, an lretq to CS 0x23,
    # int $0x80 in compatibility mode and an ljmp back: one stop per instruction, the step
    # after each int $0x80 reported at the call's exit (TRAP_BRKPT), as Linux's. qemu64 only:
    # QEMU 7.2's TCG with SMAP (-cpu max) faults a ring-3 far return on its descriptor read
    # (#PF), where hardware takes it.
    assert_same_as_linux(Case("revcompat", args=[attack], cpu="qemu64"), images, tmp_path)


@pytest.mark.parametrize("cpu", [None, "qemu64"], ids=["max", "qemu64"])
def test_compat_fast_syscall_restart_as_on_linux(images, tmp_path, cpu):
    # userland/revcompat32.c fastrestart: an i386 read(2) entered by the compat `syscall`
    # instruction, stopped and continued, restarts at the vDSO's `int $0x80`; with the vDSO
    # unmapped the restart's RIP (0 - 2 here) reached iretq with CS 0x23 past the 4 GiB limit
    # (a ring-0 #GP on hardware: the sanitizer kernel's user-return check caught it).
    assert_same_as_linux(Case("revcompat32-m32", args=["fastrestart"], cpu=cpu), images, tmp_path)
