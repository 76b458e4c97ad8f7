"""``invoke iso``: a GRUB rescue ISO of the machine ``invoke boot`` would start (same kernel,
init, files and kernel arguments), and the QEMU line that boots it."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from .. import lab
from ..core import outputs
from ..machine import iso
from ..machine.qemu import dry_run_command
from .epilogue import Epilogue

ISO_STEM = "ringlab"        # images/ringlab-YYYYmmdd-HHMMSS-PID.iso: one per run


def main(init: Optional[str] = None, append: str = "", files: Sequence[str] = (),
         output: Optional[str] = None) -> int:
    """Build the ISO into ``output``, or a new file named for this run in images/ (two runs
    never write one file); returns 0, 2 for a bad option or a missing tool, 1 if GRUB
    failed."""
    def body(ep: Epilogue) -> int:
        cfg = lab.boot_config(init, files, append=append)
        cfg.validate()
        replaced = output is not None and Path(output).exists()
        where = Path(output) if output is not None else outputs.per_run_path(ISO_STEM, ".iso")
        try:
            out = iso.build_iso(cfg, where)
        except BaseException:
            if output is None:
                where.unlink(missing_ok=True)       # the empty file named for this run
            raise
        ep.say(f"wrote {out} (GRUB, multiboot: {len(cfg.modules())} files)"
               + (" (replaced the file that was there)" if replaced else ""),
               "boot it:  " + dry_run_command(cfg.replace(cdrom=out)))
        return 0

    return Epilogue("iso").run(body)
