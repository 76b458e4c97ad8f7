"""kcov: kernel coverage with Linux's ABI, in the coverage build (the sanitizer kernel,
``invoke build --sanitize``; kernel/kcov.c, include/kcov.h).

userland/kcovread is written like the example in Linux's Documentation/dev-tools/kcov.rst:
open /sys/kernel/debug/kcov, KCOV_INIT_TRACE, mmap MAP_SHARED, KCOV_ENABLE(KCOV_TRACE_PC),
zero the count, one read() of a file, read the count, KCOV_DISABLE. The PCs it prints are
checked against the kernel's symbols (pyelftools, machine.symbols): each lies in a kernel
function, sys_read and its callees (file_read, fsdata_read: sysfile.c, file.c, fsdata.c) are
among them, and none is in code kcov must not trace (interrupt handlers, the uninstrumented
files). userland/kcovabi walks the ioctls' errors and the hostile cases (a fd closed while
tracing, the buffer unmapped while tracing, a thread ending while tracing, fork and exec with
tracing on); the expected values are Linux's kernel/kcov.c, and the sanitizer kernel would
report any use after free as the run's outcome.

The host's Linux has no kcov (no /sys/kernel/debug/kcov: CONFIG_KCOV is off there), so the
programs' behaviour cannot be compared with it here; ``test_kcovabi_matches_the_hosts_linux``
does so on a host that has it and is skipped otherwise.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine.qemu import QemuConfig
from ringlab.machine.symbols import source_line, symbolizer

TIMEOUT_S = 60.0
HOST_KCOV = Path("/sys/kernel/debug/kcov")

#: kcovabi's lines, Linux's answers (kernel/kcov.c: kcov_ioctl, kcov_ioctl_locked, kcov_mmap,
#: kcov_get_mode; -524 is the kernel-internal ENOTSUPP Linux returns for KCOV_TRACE_CMP when
#: CONFIG_KCOV_ENABLE_COMPARISONS is off, as it is here).
EXPECTED = [
    ("open", 0),
    ("enable before init", -22),            # mode != KCOV_MODE_INIT: -EINVAL
    ("mmap before init", -22),              # kcov->area == NULL
    ("init 1 word", -22),                   # size < 2
    ("init huge", -22),                     # size > INT_MAX / 8
    ("init", 0),
    ("init again", -16),                    # mode != KCOV_MODE_DISABLED: -EBUSY
    ("mmap short", -22),                    # vm_end - vm_start != size
    ("mmap offset", -22),                   # vm_pgoff != 0
    ("mmap", 0),
    ("a second mapping sees the first", 42),
    ("munmap the second", 0),
    ("read", -22),                          # no read or write operation: vfs_read -EINVAL
    ("write", -22),
    ("ioctl TCGETS", -25),                  # unknown command: -ENOTTY
    ("disable before enable", -22),         # current->kcov != kcov
    ("enable cmp", -524),
    ("enable mode 7", -22),
    ("enable", 0),
    ("enable twice", -22),                  # mode is no longer INIT
    ("enable a second while tracing", -16),  # t->kcov != NULL: -EBUSY
    ("pcs of getppid > 0", 1),
    ("count after ~0 holds a kernel pc", 1),  # position 0: the PC lands on the count word
    ("count when full", 1023),              # a full buffer keeps its count
    ("disable arg 1", -22),
    ("disable", 0),
    ("pcs after disable", 0),
    ("enable for fork", 0),
    ("child: disable", -22),                # fork does not inherit tracing
    ("child: enable", -22),                 # the object traces the parent
    ("child status", 0),
    ("disable after fork", 0),
    ("thread enable", 0),
    ("enable after the thread ended", 0),   # kcov_task_exit gave the object back
    ("disable", 0),
    ("close", 0),
    ("buffer still mapped after close", 0),
    ("enable again", 0),
    ("munmap while tracing", 0),
    ("getppid after munmap", 0),
    ("mmap again", 0),
    ("pcs seen after remap > 0", 1),        # the kernel kept writing into its own pages
    ("close while tracing", 0),
    ("pcs after close > 0", 1),             # the tracing thread holds the object
    ("munmap after close", 0),
    ("exec: init", 0),
    ("exec: enable another", -16),          # the task still traces the old image's object
]

#: Functions that must never show up: interrupt handlers (not task context) and code
#: built without -fsanitize-coverage (kernel/Makefile).
UNTRACED_FILES = {"trap.c", "kcov.c", "string.c", "page.c", "ubsan.c", "sanitize.c"}
UNTRACED_FUNCTIONS = {"timer_intr", "serial_intr", "pic_eoi", "scheduler"}



def parse_abi(lines):
    """kcovabi's ``kcovabi: STEP = VALUE`` lines -> [(STEP, VALUE)]; its other lines dropped."""
    out = []
    for line in lines:
        if line.startswith("kcovabi: ") and " = " in line:
            step, value = line[len("kcovabi: "):].rsplit(" = ", 1)
            out.append((step, int(value)))
    return out


@pytest.mark.boot
@pytest.mark.parametrize("cpu", [C.LEGACY_CPU, "max"])
def test_kcov_collects_the_pcs_of_a_read(images, sanitizer_kernel, cpu):
    run = lab.run(QemuConfig(kernel=sanitizer_kernel, init=images.program("kcovread"), cpu=cpu),
                  timeout_s=TIMEOUT_S)
    assert run.status == 0, run.report()
    head, *pcs = run.user_lines
    assert head == f"kcovread: read=512 pcs={len(pcs)}", run.report()
    assert 20 <= len(pcs) < 65536
    sym = symbolizer(sanitizer_kernel)
    functions, files, lineless = set(), [], []
    for text in pcs:
        pc = int(text, 16)
        fn = sym.function_at(pc)
        assert fn is not None, f"{pc:#x} is in no kernel function"
        functions.add(fn.name)
        where = source_line(sanitizer_kernel, pc, return_address=True)
        if where is None:
            # DWARF line 0: code the compiler attributes to no source line (DWARF 5, 6.2.2);
            # its function is known, and it must stay rare
            lineless.append(f"{pc:#x} ({fn.name})")
            continue
        assert where.split(":")[0] not in UNTRACED_FILES, where
        files.append(where.split(":")[0])
    assert len(lineless) * 10 <= len(pcs), lineless
    # (sysfile.c's do_read has one caller since readv keeps its own file: the compiler inlines
    # it into sys_read)
    assert {"sys_read", "file_read", "fsdata_read"} <= functions, sorted(functions)
    assert not functions & UNTRACED_FUNCTIONS, sorted(functions)
    # The first PC is the system-call dispatch on its way to sys_read (syscall.c), the read
    # itself follows: sysfile.c's sys_read before fsdata.c's copy.
    assert files[0] == "syscall.c" and files.index("sysfile.c") < files.index("fsdata.c")


@pytest.mark.boot
@pytest.mark.parametrize("cpu", [C.LEGACY_CPU, "max"])
def test_kcov_abi_and_hostile_uses_as_linux(images, sanitizer_kernel, cpu):
    run = lab.run(QemuConfig(kernel=sanitizer_kernel, init=images.program("kcovabi"), cpu=cpu),
                  timeout_s=TIMEOUT_S)
    assert run.status == 0, run.report()
    assert parse_abi(run.user_lines) == EXPECTED, run.report()
    assert run.user_lines[-1] == "kcovabi: done"



@pytest.mark.boot
def test_the_normal_kernel_has_no_kcov(images, normal_kernel):
    """No node (ENOENT, as a Linux built without CONFIG_KCOV) and no trace hook."""
    run = lab.run(QemuConfig(kernel=normal_kernel, init=images.program("kcovabi")), timeout_s=TIMEOUT_S)
    assert run.status == 1 and parse_abi(run.user_lines) == [("open", -2)], run.report()
    assert "__sanitizer_cov_trace_pc" not in symbolizer(normal_kernel)


@pytest.mark.boot
def test_kcovabi_matches_the_hosts_linux(images, sanitizer_kernel, tmp_path):
    if not HOST_KCOV.exists():
        pytest.skip("the host's Linux has no kcov (/sys/kernel/debug/kcov)")
    shutil.copy(images.program("kcovabi"), tmp_path / "kcovabi")
    host = subprocess.run(["./kcovabi"], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S)
    run = lab.run(QemuConfig(kernel=sanitizer_kernel, init=images.program("kcovabi")), timeout_s=TIMEOUT_S)
    assert parse_abi(run.user_lines) == parse_abi(host.stdout.splitlines())
