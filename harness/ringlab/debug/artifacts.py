"""What ``invoke boot --from DIR`` and ``invoke debug --from DIR`` read from a failed test's
artifacts folder: its ``machine.json`` (ringlab.machine.description), written for each failed
test by the pytest plugin (ringlab.plugin.artifacts); in ``machine-1/`` when the test booted
several machines (the first is taken).

Each file of the machine is booted from where the test had it when it still holds the same
bytes (SHA-256), else from the folder's own copy under ``files/``: a program the test compiled
into pytest's tmp_path outlives it.
"""
from __future__ import annotations

import os
from typing import Union

from ..machine.description import Machine



def machine_from(directory: Union[str, os.PathLike]) -> Machine:
    """The machine the artifacts folder describes.

    Raises:
        BadConfig: no such folder, no readable machine.json, or a file of the machine neither
            where it was nor copied with the same bytes.
    """
    return Machine.load(directory)
