"""Core layer: constants, errors, host tools, the process registry, the kernel's ABI file.
Imports nothing else of the harness."""
