"""Find the host tools ringlab needs; a missing one raises ToolMissing naming its Debian package."""
from __future__ import annotations

import logging
import shutil
from typing import Dict, Iterable

from .errors import ToolMissing

log = logging.getLogger(__name__)

#: tool -> Debian package that provides it.
PACKAGES: Dict[str, str] = {
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-img": "qemu-utils",
    "clang": "clang",
    "ld.lld": "lld",
    "musl-gcc": "musl-tools",
    "gdb": "gdb",
    "make": "make",
    "grub-mkrescue": "grub-pc-bin",
    "xorriso": "xorriso",
    "mformat": "mtools",
    "setpriv": "util-linux",
}

BUILD_TOOLS = ("make", "clang", "ld.lld", "musl-gcc")
BOOT_TOOLS = ("qemu-system-x86_64",)
GDB_TOOLS = ("gdb",)


def find_tool(name: str) -> str:
    """Return the absolute path of host tool ``name``.

    Raises:
        ToolMissing: the tool is not on PATH (the error names the Debian package).
    """
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(name, PACKAGES.get(name, name))
    log.debug("found %s at %s", name, path)
    return path


def require(names: Iterable[str]) -> Dict[str, str]:
    """Find every tool in ``names``; the first missing one raises ToolMissing."""
    return {name: find_tool(name) for name in names}
