#!/usr/bin/env python3
"""Check that kernel.elf can be loaded by the multiboot a.out kludge.

QEMU copies the file's bytes from the multiboot header's file offset to its
physical load address in one piece, so each PT_LOAD segment's file offset
must advance exactly as its physical address does. Exit 1 with the
offending segment otherwise. (Only the stdlib: runs before the venv exists.)
"""
import struct
import sys

path = sys.argv[1]
with open(path, "rb") as f:
    data = f.read()
phoff, = struct.unpack_from("<Q", data, 0x20)
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
loads = []
for i in range(phnum):
    p_type, _flags, offset, _vaddr, paddr, filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
    if p_type == 1:  # PT_LOAD
        loads.append((offset, paddr, filesz))
off0, pa0, _ = loads[0]
for off, pa, size in loads[1:]:
    if size and off - off0 != pa - pa0:
        sys.exit(f"{path}: PT_LOAD at paddr {pa:#x} is at file offset {off:#x}, "
                 f"expected {off0 + pa - pa0:#x}: the multiboot a.out kludge would load it wrong")
