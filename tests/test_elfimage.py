"""Unit tests for the static-ELF check (no QEMU): hand-made ELF headers for each reason."""
import struct

import pytest

from ringlab.core.errors import BadImage
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from ringlab.core import constants as C
from ringlab.machine.elfimage import check_elf64, check_static_x86_64, symbol_table

pytestmark = pytest.mark.unit

ET_EXEC, ET_DYN = 2, 3
EM_386, EM_X86_64, EM_AARCH64 = 3, 62, 183
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3


def make_elf64(path, *, etype=ET_EXEC, machine=EM_X86_64, phdrs=(PT_LOAD,)):
    """A minimal, well-formed ELF64 header with the given program header types."""
    ehsize, phentsize = 64, 56
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, 0x401000, ehsize, 0, 0,
                              ehsize, phentsize, len(phdrs), 64, 0, 0)
    body = b"".join(struct.pack("<IIQQQQQQ", t, 5, 0, 0x400000, 0x400000, 0x100, 0x100, 0x1000)
                    for t in phdrs)
    path.write_bytes(hdr + body + bytes(0x100))
    return path


def make_elf32(path, machine=EM_386, loads=0, vaddr=0x8048000):
    ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
    hdr = ident + struct.pack("<HHIIIIIHHHHHH", ET_EXEC, machine, 1, vaddr, 52, 0, 0, 52,
                              32, loads, 40, 0, 0)
    body = b"".join(struct.pack("<IIIIIIII", PT_LOAD, 0, vaddr, vaddr, 0x100, 0x100, 5, 0x1000)
                    for _ in range(loads))
    path.write_bytes(hdr + body + bytes(0x100))
    return path


def test_static_x86_64_accepted(tmp_path):
    check_static_x86_64(make_elf64(tmp_path / "ok"))


@pytest.mark.parametrize("kwargs,reason", [
    ({"machine": EM_AARCH64}, "not x86-64"),
    ({"etype": ET_DYN}, "position-independent"),
    ({"phdrs": (PT_LOAD, PT_INTERP)}, "dynamically linked"),
    ({"phdrs": (PT_LOAD, PT_DYNAMIC)}, "PT_DYNAMIC"),
])
def test_rejected_elf64(tmp_path, kwargs, reason):
    with pytest.raises(BadImage, match=reason) as info:
        check_static_x86_64(make_elf64(tmp_path / "bad", **kwargs))
    assert "\n" not in str(info.value)


def test_i386_elf32_accepted_as_a_32_bit_process(tmp_path, images):
    """A static i386 ELF32 runs as a 32-bit process (compatibility mode): accepted, with the
    kernel's checks (segments below USER32_STACK_TOP); not a kernel image for gdb."""
    path = make_elf32(tmp_path / "i386", loads=1)
    check_static_x86_64(path)
    with pytest.raises(BadImage, match="not an x86-64 ELF64"):
        check_elf64(path)


@pytest.mark.parametrize("kwargs,reason", [
    ({"loads": 0}, "no PT_LOAD segment"),
    ({"loads": 1, "machine": 40}, "machine EM_ARM, not x86-64"),
    ({"loads": 1, "vaddr": 0xFFFFF000}, "not inside user memory"),
])
def test_rejected_elf32(tmp_path, images, kwargs, reason):
    with pytest.raises(BadImage, match=reason):
        check_static_x86_64(make_elf32(tmp_path / "bad", **kwargs))


def test_text_file_rejected():
    with pytest.raises(BadImage, match=r"^/etc/hostname: not an ELF file"):
        check_static_x86_64("/etc/hostname")


def test_missing_and_directory(tmp_path):
    with pytest.raises(BadImage, match="no such file"):
        check_static_x86_64(tmp_path / "nope")
    with pytest.raises(BadImage, match="not a regular file"):
        check_static_x86_64(tmp_path)


def test_host_dynamic_binary_rejected():
    # Debian's /bin/true is a dynamically linked PIE.
    with pytest.raises(BadImage):
        check_static_x86_64("/bin/true")


@pytest.mark.parametrize("name", ["kernel.elf", "vdso32.so", "user/clockset-m32", "user/hello"])
def test_symbol_table_agrees_with_pyelftools(images, name):
    """The one ELF symbol reader (struct, ELF64 and ELF32) reads what pyelftools reads: every
    named symbol with its value, size, type and section index, in table order."""
    path = C.IMAGES_DIR / name
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        theirs = [(s.name, s["st_value"], s["st_size"], s["st_info"]["type"],
                   s["st_shndx"]) for t in elf.iter_sections()
                  if isinstance(t, SymbolTableSection) and t.name == ".symtab"
                  for s in t.iter_symbols() if s.name]
    types = {0: "STT_NOTYPE", 1: "STT_OBJECT", 2: "STT_FUNC", 3: "STT_SECTION", 4: "STT_FILE",
             6: "STT_TLS", 10: "STT_LOOS"}
    special = {0: "SHN_UNDEF", 0xFFF1: "SHN_ABS", 0xFFF2: "SHN_COMMON"}
    ours = [(s.name, s.value, s.size, types.get(s.type, s.type), special.get(s.shndx, s.shndx))
            for s in symbol_table(path)]
    assert theirs and ours == theirs


def test_symbol_table_of_a_stripped_file(tmp_path):
    with pytest.raises(BadImage, match="has no symbol table"):
        symbol_table(make_elf64(tmp_path / "stripped"))
