"""The command line: one module per ``invoke`` task, and the one epilogue they all print through.

Each task module has a ``main(**options) -> int`` that returns the process exit status;
tasks.py only maps invoke's options onto it. Nothing in the harness imports this layer.
"""
from ..core.constants import DEFAULT_BOOT_TIMEOUT_S, DEFAULT_CPU, LEGACY_CPU  # for tasks.py's help texts

__all__ = ["DEFAULT_BOOT_TIMEOUT_S", "DEFAULT_CPU", "LEGACY_CPU"]
