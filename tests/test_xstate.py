"""The extended FPU state (XSAVE, kernel/fpu.c) in signal frames, compared with the host's Linux.

``userland/xstate`` sets XMM0-15, the upper halves of YMM0-15, x87 ST0 and MXCSR, takes a signal
whose handler clobbers them all and edits some of them in its frame, and checks what comes back;
then it corrupts the frame's xstate in a child per case (the header, the sw bytes, MAGIC2, the
fpstate pointer) and reports which returns Linux accepts and which are SIGSEGV; then two processes
keep their own YMM values across switches; then it execs itself with every XMM/YMM register set
and the new image finds them in their init state. Under ``-cpu max`` (XSAVE with x87, SSE and AVX) the
whole transcript equals the host's. ``-cpu qemu64`` has no XSAVE: the frames are the 512-byte
fxsave ones, as Linux's on such a CPU, so the lines starting "xsave" (which need XSAVE) are
compared apart and the rest equals the host's.
"""
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine.qemu import QemuConfig

from tests.parity import Case, assert_same_as_linux, run_both

pytestmark = pytest.mark.boot

# kernel/fpu.c's boot line: (xsave, xcr0, area bytes, AT_MINSIGSTKSZ) per model. TCG's max has
# x87, SSE and AVX in CPUID leaf 0xD (PKRU too, which stays out of XCR0 without CR4.PKE);
# qemu64 has no XSAVE. AT_MINSIGSTKSZ is Linux's init_sigframe_size: the ia32 sigframe (732) +
# 15 + the area + MAGIC2 (XSAVE only) + the fsave header (112) + 63, rounded up to 16.
FPU_LINE = {C.DEFAULT_CPU: (1, 0x7, 832, 1760), C.LEGACY_CPU: (0, 0x3, 512, 1440)}
QEMU64_XSAVE_LINES = [
    "xsave: none, 512-byte fxsave frames",
    "xsave: none, uc_flags UC_FP_XSTATE=0 sw bytes magic1=1 xstate_size=512 extended_size=516 "
    "xfeatures=0x3",
]


def test_xstate_round_trip_and_corrupt_frames_as_on_linux_max(images, tmp_path):
    assert_same_as_linux(Case("xstate", cpu=C.DEFAULT_CPU), images, tmp_path)


def test_xstate_fxsave_frames_as_on_linux_qemu64(images, tmp_path):
    """Without XSAVE every line but the XSAVE ones equals the host's; those say what Linux's
    fxsave-only frame holds (its sw bytes, no UC_FP_XSTATE)."""
    b = run_both(Case("xstate", ignore=("xsave",)), images, tmp_path, ringlab_case=Case("xstate", cpu=C.LEGACY_CPU))
    assert [l for l in b.ring if l.startswith("xsave")] == QEMU64_XSAVE_LINES, b.run.report()
    assert [l for l in b.ring if not l.startswith("xsave")] == b.linux, b.run.report()
    assert b.ring_status == b.linux_status == 0


@pytest.mark.parametrize("cpu", [C.DEFAULT_CPU, C.LEGACY_CPU])
def test_fpu_boot_line(images, cpu):
    """The kernel reports what it enabled: XCR0, the per-thread area's size, AT_MINSIGSTKSZ."""
    run = lab.run(QemuConfig(init=images.program("ret42"), cpu=cpu), timeout_s=60)
    ev = run.of("fpu")
    assert len(ev) == 1, run.report()
    f = ev[0].fields
    assert (f["xsave"], f["xcr0"], f["size"], f["minsigstksz"]) == FPU_LINE[cpu], ev[0].line
