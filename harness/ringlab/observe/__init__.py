"""Observe layer: what the kernel, QEMU and the CPU report, as pure data - kernel events, the
verdict, QEMU's interrupt log, exception decoders, witnesses. No subprocess, console or
debugger here: everything is unit-testable without QEMU."""
