"""Every DEFAULT_* value and fixed path of the harness, in one place."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

# Where the kernel and userland sources live (the checkout): RINGLAB_HOME if set; else the
# checkout this package sits in, CHECKOUT/harness/ringlab (the source tree, or `pip install
# -e`); else the checkout a plain `pip install CHECKOUT` was built from (recorded in
# checkout.txt by setup.py). Read once, at import.
HOME_ENV = "RINGLAB_HOME"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
CHECKOUT_RECORD = PACKAGE_DIR / "checkout.txt"


def find_home(env: Optional[str] = None, package_dir: Path = PACKAGE_DIR) -> Path:
    """The ringlab checkout to build and boot from (see above). Never raises: a folder
    without kernel/Makefile is returned as is and the build then says what is missing."""
    if env:
        return Path(env).expanduser().resolve()
    checkout = package_dir.parent.parent
    if (checkout / "kernel" / "Makefile").is_file():
        return checkout
    record = package_dir / CHECKOUT_RECORD.name
    if record.is_file():
        return Path(record.read_text().strip())
    return checkout


REPO_ROOT = find_home(os.environ.get(HOME_ENV))
IMAGES_DIR = REPO_ROOT / "images"
# Files a person's `invoke boot --dry-run`/`--gdb` leaves for the next command (the dry-run
# gdbstub socket and -d log, the gdb target file). RINGLAB_RUNTIME_DIR moves them (the test
# suite gives each test its own, so parallel tests never share them).
RUNTIME_ENV = "RINGLAB_RUNTIME_DIR"
RUNTIME_DIR = Path(os.environ.get(RUNTIME_ENV) or IMAGES_DIR)
# What the harness derives from an ELF file and keeps between processes, keyed by the file's
# path, size and modification time (machine.symbols: the DWARF line tables, 0.8 s of
# pyelftools for the kernel, 2 s for the sanitizer kernel, 20-50 ms from here).
CACHE_DIR = IMAGES_DIR / ".cache"
# The sanitizer kernel (`invoke build --sanitize`, kernel/Makefile SANITIZE=1): its own
# image and ABI file. RINGLAB_SANITIZE=1 makes it THE kernel of this process (read once, at
# import): `invoke boot`, the pytest plugin's machines, gdb's symbols and the kernel ABI file
# all follow, and the plugin's image fixture builds it.
SANITIZE_ENV = "RINGLAB_SANITIZE"
SANITIZE_IMAGES_DIR = IMAGES_DIR / "sanitize"
SANITIZE_KERNEL_IMAGE = SANITIZE_IMAGES_DIR / "kernel.elf"
SANITIZE_KABI_FILE = SANITIZE_IMAGES_DIR / "kabi.json"
SANITIZE = os.environ.get(SANITIZE_ENV, "") not in ("", "0")
KERNEL_IMAGE = SANITIZE_KERNEL_IMAGE if SANITIZE else IMAGES_DIR / "kernel.elf"
# The test suite's kernel coverage (`invoke test --coverage`, `invoke coverage`): with
# RINGLAB_COVERAGE=DIR in the environment, every machine that boots the coverage kernel (the
# sanitizer kernel above) gets QEMU's isa-debugcon at COVER_IOBASE, writing to a file of its
# own in DIR: the kernel streams every code site it reaches there (kernel/include/cover.h;
# harness/ringlab/machine/coverage.py reads and merges the files). Read when each machine starts.
COVERAGE_ENV = "RINGLAB_COVERAGE"
COVER_IOBASE = 0xE9     # for kernels other than ours (ours: kabi.json COVER_PORT, machine.qemu)
COVERAGE_ARTIFACTS = REPO_ROOT / "ringlab-artifacts" / "coverage"   # the report, the dumps
COVERAGE_DUMP_SUFFIX = ".cov"
# what the kernel build says about the kernel
KABI_FILE = SANITIZE_KABI_FILE if SANITIZE else IMAGES_DIR / "kabi.json"
USER_IMAGES_DIR = IMAGES_DIR / "user"
DEFAULT_INIT = USER_IMAGES_DIR / "init"

QEMU_BINARY = "qemu-system-x86_64"
DEFAULT_MACHINE = "pc"
# The firmware of a -kernel boot: qboot (QEMU's minimal BIOS, qemu-system-data's
# /usr/share/qemu/qboot.rom) loads the multiboot kernel and its modules straight from fw_cfg;
# SeaBIOS's POST and its multiboot option ROM cost ~40 ms more per boot under TCG. An ISO
# (-cdrom) boots through SeaBIOS, which alone can read a CD.
KERNEL_BIOS = "qboot.rom"
# The default CPU model has SMEP, SMAP and UMIP (plus NX), as a modern CPU does, so ring-3
# sgdt/sidt/smsw/str fault and the kernel cannot execute or touch user pages by accident.
# `max` under TCG enables every feature TCG implements, without warnings; named models
# with the three (Icelake-Server, EPYC-Rome) print 17-24 "TCG doesn't support" warnings and
# boot no faster (docs/kernel.md, "CPU models"). `--cpu qemu64` (NX only) stays available.
DEFAULT_CPU = "max"
LEGACY_CPU = "qemu64"                   # no SMEP/SMAP/UMIP: the other model tests run on
DEFAULT_MEMORY = "128M"

# isa-debug-exit: the kernel writes V to this port, QEMU exits with (V << 1) | 1. Our kernel's
# port is its ABI file's DEBUG_EXIT_PORT (machine.qemu.device_ports); this one is for others.
DEBUG_EXIT_IOBASE = 0xF4
DEBUG_EXIT_IOSIZE = 0x04

# Prefix of every line the kernel prints (docs/harness.md, The console contract).
KERNEL_LINE_PREFIX = "ringlab: "

# Timeouts, all in seconds. A timeout never decides success: it only bounds a wait.
DEFAULT_BOOT_TIMEOUT_S = 30.0       # boot to halt (or panic) of a whole run
DEFAULT_STOP_TIMEOUT_S = 3.0        # polite SIGTERM, before SIGKILL
DEFAULT_KILL_TIMEOUT_S = 5.0        # after SIGKILL, until the process is reaped
DEFAULT_BUILD_TIMEOUT_S = 600.0     # one make invocation

# Evidence kept for error messages and reports.
DEFAULT_HISTORY_LINES = 40          # console lines kept in the ring buffer
DEFAULT_LOG_TAIL_LINES = 20         # lines of QEMU's -D log quoted as evidence

# Exit statuses of `invoke boot` for outcomes that are not a program's own status
# (a program's status is 0..255, or 128+signal when it was killed). See docs/tour.md.
EXIT_SETUP_ERROR = 2        # stopped before QEMU started: bad --init, missing tool, no image
EXIT_PANIC = 250            # the kernel panicked (its own port write would give 255)
EXIT_TRIPLE_FAULT = 251     # the CPU reset (triple fault); QEMU itself exits 0 then
EXIT_TIMEOUT = 252          # no halt within --timeout
EXIT_QEMU_FAILURE = 253     # QEMU failed, or its exit status contradicts the kernel's halt line
EXIT_DOUBLE_FAULT = 254     # the kernel took a #DF (reported on its IST stack) and stopped
EXIT_SANITIZER = 248        # the sanitizer kernel reported a bug (a `sanitizer` event), then panicked
EXIT_INTERRUPTED = 130      # Ctrl-C
EXIT_NO_MEMORY = 249        # the boot modules leave the kernel too little memory (its halt status)

# Environment variable every QEMU the harness starts inherits; tests use it to find
# leftover QEMU processes that belong to them (never anybody else's).
OWNER_ENV = "RINGLAB_OWNER"

# GDB (harness/ringlab/debug). gdb's own process inherits OWNER_ENV too.
GDB_BINARY = "gdb"
DEFAULT_GDB_COMMAND_TIMEOUT_S = 10.0    # one MI command (not a continue)
DEFAULT_GDB_CONNECT_TIMEOUT_S = 10.0    # QEMU's gdbstub socket appears and answers
DEFAULT_GDB_CONTINUE_TIMEOUT_S = 30.0   # continue until a breakpoint
DEFAULT_GDB_BOOT_TIMEOUT_S = 24 * 3600.0  # `invoke boot --gdb`: a person is debugging
DEFAULT_STEP_LIMIT = 100_000            # stepi budget of step_until_ring_change()
JUNIT_FILE = "ringlab-junit.xml"               # `invoke test` writes JUnit here (repository root)
SANITIZER_JUNIT_FILE = "ringlab-junit-sanitizer.xml"   # and its sanitizer pass here
COVERAGE_JUNIT_FILE = "ringlab-junit-coverage.xml"     # `invoke test --coverage` here
GDB_TARGETS_DIR = RUNTIME_DIR / "gdb-targets"  # one file per `invoke boot --gdb` machine waiting

# Canonical halves of the 48-bit virtual address space (user: lower, kernel: upper).
USER_HALF_END = 0x0000_8000_0000_0000   # first address above the user half
KERNEL_HALF_START = 0xFFFF_8000_0000_0000  # first address of the kernel half

# Processes, shell and files. (The kernel's own limits come from its ABI file, core/kabi.py.)
SHELL_INIT_ARG = "--shell"              # init's argv asking for the shell (init.args=--shell)
# Input typed before the kernel set up COM1 is lost (serial_init clears the UART's FIFO;
# measured: the first byte of early type-ahead vanished). The kernel has done that once it
# prints init's enter-user line: send keystrokes only after it.
CONSOLE_INPUT_READY_RE = r"ringlab: enter-user "
DEFAULT_SHELL_COMMAND_TIMEOUT_S = 20.0  # one shell command: prompt, echo, next prompt
DEFAULT_SHELL_BOOT_TIMEOUT_S = 24 * 3600.0  # `invoke boot --shell`: a person is typing
# Programs of images/user left out of the default file system: probes that their own tests
# boot as init (gdb_*, f_*, the system-call fuzzer), so "/" stays within the kernel's module
# limit (NFSFILE).
DEFAULT_FS_EXCLUDE_PREFIXES = ("gdb_", "f_", "fuzz")
