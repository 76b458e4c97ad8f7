"""How an address is named, everywhere: ``<function+offset>`` with a decimal offset
(``<main+26>``; ``<syscall_entry>`` at offset 0), the form gdb itself prints in ``x/i``,
``bt`` and ``info symbol``, so a name ringlab prints reads the same as gdb's beside it.

One rule for gdb's ``ring``/``step-ring``/``ring-fault`` (harness/ringlab/debug/gdbext/ringlab.py
loads this file by path: it runs in gdb's own Python), ``trace``, fault reports, panic
backtraces and ``invoke faults``/``pagetables`` (harness/ringlab/machine/symbols.py). Pure: no I/O.
"""
from __future__ import annotations


def symbol_offset(name: str, offset: int) -> str:
    """``name+offset`` (decimal), or ``name`` at offset 0: ``symbol_offset("main", 26)``
    is ``"main+26"``."""
    return f"{name}+{offset}" if offset else name


def symbol_text(name: str, offset: int) -> str:
    """``<name+offset>`` (``<name>`` at offset 0), as gdb prints a code address."""
    return f"<{symbol_offset(name, offset)}>"
