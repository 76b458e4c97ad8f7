"""``invoke iso``: a GRUB rescue ISO of the machine ``invoke boot`` would start (same kernel,
init, files and kernel arguments), and the QEMU line that boots it."""
from __future__ import annotations

from typing import Optional, Sequence

from .. import lab
from ..core import constants as C
from ..machine import iso
from ..machine.qemu import dry_run_command
from .epilogue import Epilogue

DEFAULT_ISO = C.IMAGES_DIR / "ringlab.iso"


def main(init: Optional[str] = None, append: str = "", files: Sequence[str] = (),
         output: Optional[str] = None) -> int:
    """Build the ISO; returns 0, 2 for a bad option or a missing tool, 1 if GRUB failed."""
    def body(ep: Epilogue) -> int:
        cfg = lab.boot_config(init, files, append=append)
        out = iso.build_iso(cfg, output or DEFAULT_ISO)
        ep.say(f"wrote {out} (GRUB, multiboot: {len(cfg.modules())} files)",
               "boot it:  " + dry_run_command(cfg.replace(cdrom=out)))
        return 0

    return Epilogue("iso").run(body)
