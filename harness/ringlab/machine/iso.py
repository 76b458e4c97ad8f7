"""A GRUB rescue ISO of a machine (the kernel, init and the files of a QemuConfig), for
booting ringlab elsewhere: another emulator, a USB stick, real hardware with a serial port.

``grub-mkrescue`` (Debian: grub-pc-bin, xorriso, mtools) builds it; GRUB loads the kernel with
``multiboot`` and each file with ``module PATH NAME`` (the kernel names a module by the text
after the last space of its string), and passes only the kernel arguments (no file name
first, unlike QEMU's ``-kernel``: docs/qemu-facts.md). GRUB's menu is on the VGA screen, so
the serial console carries the kernel's lines only.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Union

from ..core import tools
from ..core.errors import BuildError, ToolMissing
from .qemu import QemuConfig

PathLike = Union[str, os.PathLike]
ISO_TOOLS = ("grub-mkrescue", "xorriso", "mformat")
GRUB_PC_DIR = Path("/usr/lib/grub/i386-pc")   # grub-mkrescue needs BIOS GRUB's modules


def grub_cfg(config: QemuConfig) -> str:
    """grub.cfg: boot at once, the kernel with its arguments, one ``module`` per file."""
    lines = ["set timeout=0", "set default=0", 'menuentry "ringlab" {',
             f"  multiboot /boot/kernel.elf {config.kernel_append()}".rstrip()]
    lines += [f"  module /boot/files/{m.name} {m.name}" for m in config.modules()]
    lines += ["  boot", "}"]
    return "\n".join(lines) + "\n"


def build_iso(config: QemuConfig, output: PathLike) -> Path:
    """Write a bootable ISO of ``config`` to ``output``; returns its path.

    Raises:
        ToolMissing: grub-mkrescue, xorriso or mformat (one line naming the package).
        BadImage, BadConfig: the config's files (before anything is built).
        BuildError: grub-mkrescue failed (its output's tail attached).
    """
    for tool in ISO_TOOLS:
        tools.find_tool(tool)
    if not GRUB_PC_DIR.is_dir():
        raise ToolMissing(str(GRUB_PC_DIR), "grub-pc-bin")
    config.validate()
    out = Path(output).resolve()
    with tempfile.TemporaryDirectory(prefix="ringlab-iso-") as tmp:
        root = Path(tmp) / "root"
        (root / "boot" / "grub").mkdir(parents=True)
        (root / "boot" / "files").mkdir()
        shutil.copy2(config.kernel, root / "boot" / "kernel.elf")
        for m in config.modules():
            shutil.copy2(m.path, root / "boot" / "files" / m.name)
        (root / "boot" / "grub" / "grub.cfg").write_text(grub_cfg(config))
        cmd = ["grub-mkrescue", "-o", str(out), str(root)]
        res = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if res.returncode != 0 or not out.is_file():
            raise BuildError(f"grub-mkrescue failed (rc={res.returncode})", command=cmd,
                             log_tail=(res.stdout + res.stderr).splitlines()[-20:])
    return out
