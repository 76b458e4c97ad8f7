"""``invoke build``: check the tools, then make in kernel/ and userland/ (incremental)."""
from __future__ import annotations

import sys

from ..core import constants as C
from ..core.errors import BuildError
from ..machine import build
from .epilogue import Epilogue


def main(sanitize: bool = C.SANITIZE) -> int:
    """Build the kernel and userland; ``sanitize``: the sanitizer kernel (images/sanitize/)
    instead of images/kernel.elf. Returns 0, 1 if make failed (its output's tail on stderr),
    2 for a missing tool."""
    ep = Epilogue("build")

    def body(ep: Epilogue) -> int:
        try:
            build.build(sanitize=sanitize)
        except BuildError as err:
            ep.error(str(err))
            if err.log_tail:
                print("\n".join(err.log_tail), file=sys.stderr, flush=True)
            return 1
        return 0

    return ep.run(body)
