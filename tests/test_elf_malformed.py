"""Malformed ELF files: one line and exit 2 from ``invoke boot --init``, never a traceback; the
kernel's own loader refuses the very same files with -ENOEXEC when they come through execve.

The files are generated from one well-formed static ELF64 header (one PT_LOAD of 0x100 bytes
at 0x400000) with one field broken per row.
"""
import errno
import struct
import subprocess
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import pytest

from ringlab import lab
from ringlab.core.errors import BadImage
from ringlab.machine import elfimage
from ringlab.observe.events import Panic
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.verdict import Outcome

EHSIZE, PHENTSIZE = 64, 56
PT_LOAD, PT_NOTE = 1, 4
GOOD_LOAD = (PT_LOAD, 5, 0, 0x400000, 0x400000, 0x100, 0x100, 0x1000)


def elf64(*, phoff: int = EHSIZE, phentsize: int = PHENTSIZE, phnum: Optional[int] = None,
          phdrs: Sequence[tuple] = (GOOD_LOAD,), entry: int = 0x400000, tail: int = 0x100,
          cut: Optional[int] = None) -> bytes:
    """An ELF64 executable image for x86-64 (System V gABI layouts), optionally broken."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, phoff, 0, 0, EHSIZE,
                              phentsize, len(phdrs) if phnum is None else phnum, 64, 0, 0)
    data = hdr + b"".join(struct.pack("<IIQQQQQQ", *p) for p in phdrs) + bytes(tail)
    return data if cut is None else data[:cut]


def load(**changes) -> tuple:
    return tuple({**dict(zip(("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz",
                                 "align"), GOOD_LOAD)), **changes}.values())


@dataclass(frozen=True)
class Bad:
    data: bytes
    reason: str                # what the harness's line says
    linux: bool = True         # the host's Linux also refuses it with ENOEXEC


MALFORMED: Dict[str, Bad] = {
    "only-the-magic": Bad(b"\x7fELF", "shorter than the 64-byte ELF64 header"),
    "truncated-ehdr": Bad(elf64(cut=40), "shorter than the 64-byte"),
    "truncated-phdrs": Bad(elf64(tail=0, cut=EHSIZE + 30), "end beyond the file"),
    "phdrs-beyond-file": Bad(elf64(phoff=0x10000), "end beyond the file"),
    "phoff-huge": Bad(elf64(phoff=0xFFFF_FFFF_FFFF_FFC0), "end beyond the file"),
    "phnum-65535": Bad(elf64(phnum=0xFFFF), "65535 program headers"),
    "phentsize-32": Bad(elf64(phentsize=32), "e_phentsize 32, not 56"),
    "phentsize-0": Bad(elf64(phentsize=0), "e_phentsize 0, not 56"),
    "phentsize-64": Bad(elf64(phentsize=64), "e_phentsize 64, not 56"),
    # Linux maps these and the program dies later (SIGSEGV/SIGBUS); ringlab refuses them.
    "segment-beyond-file": Bad(elf64(phdrs=[load(offset=0x100000)]), "end beyond the file",
                               linux=False),
    "segment-offset-wraps": Bad(elf64(phdrs=[load(offset=2**64 - 0x10)]), "beyond the file",
                                linux=False),
    "filesz-over-memsz": Bad(elf64(phdrs=[load(filesz=0x200)]), "p_filesz 0x200 > p_memsz",
                             linux=False),
    "segment-in-page-0": Bad(elf64(phdrs=[load(vaddr=0)]), "not inside user memory",
                             linux=False),
    "segment-in-kernel-half": Bad(elf64(phdrs=[load(vaddr=0xFFFFFFFF80100000)]),
                                  "not inside user memory", linux=False),
    "no-load-segment": Bad(elf64(phdrs=[load(type=PT_NOTE)]), "no PT_LOAD segment",
                           linux=False),
    "entry-in-kernel-half": Bad(elf64(entry=0xFFFFFFFF80100000), "entry point", linux=False),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("malformed")
    out = {}
    for name, bad in MALFORMED.items():
        p = d / name
        p.write_bytes(bad.data)
        p.chmod(0o755)
        out[name] = p
    return out


@pytest.mark.unit
def test_well_formed_generator_is_accepted(tmp_path):
    p = tmp_path / "ok"
    p.write_bytes(elf64())
    elfimage.check_static_x86_64(p)


@pytest.mark.unit
@pytest.mark.parametrize("name", MALFORMED)
def test_harness_refuses_in_one_line(files, name):
    with pytest.raises(BadImage) as info:
        elfimage.check_static_x86_64(files[name])
    msg = str(info.value)
    assert "\n" not in msg and MALFORMED[name].reason in msg, msg
    assert msg.startswith(f"{files[name]}: malformed ELF: "), msg


@pytest.mark.boot
@pytest.mark.parametrize("name", MALFORMED)
def test_invoke_boot_one_line_exit_2(files, invoke_cli, name):
    res = invoke_cli(["boot", "--init", str(files[name])])
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and res.stdout == "", res.stderr
    lines = res.stderr.strip().splitlines()
    assert lines == [f"ringlab-boot: error: {files[name]}: malformed ELF: "
                     + lines[0].split(": malformed ELF: ", 1)[-1]], res.stderr
    assert MALFORMED[name].reason in lines[0]


@pytest.mark.boot
def test_kernel_execve_refuses_every_one_with_enoexec(images, files):
    """The same files as modules in "/" (execprobe execs every file there): execve of each
    returns -ENOEXEC (errno 8) and the caller goes on; the kernel never panics nor runs one."""
    names = sorted(MALFORMED)
    run = lab.run(QemuConfig(init=images.program("execprobe"), files=[files[n] for n in names]))
    ev = run.report()
    assert run.outcome is Outcome.EXITED and run.status == 0 and not run.of(Panic), ev
    got = [line for line in run.user_lines if line.startswith("execprobe: ")]
    assert got == [f"execprobe: {n} errno={errno.ENOEXEC} (Exec format error)" for n in names] \
        + ["execprobe: done"], ev


@pytest.mark.boot
def test_host_linux_agrees_on_the_header_errors(images, files):
    """The host's Linux refuses the header-level errors with ENOEXEC too (it maps the others
    and the program dies later)."""
    names = sorted(n for n, b in MALFORMED.items() if b.linux)
    res = subprocess.run([str(images.program("execprobe"))] + [str(files[n]) for n in names],
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert res.stdout.splitlines() == [f"execprobe: {files[n]} errno={errno.ENOEXEC} "
                                       f"(Exec format error)" for n in names] \
        + ["execprobe: done"], res.stdout + res.stderr
