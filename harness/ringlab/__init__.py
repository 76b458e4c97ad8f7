"""ringlab's harness: QEMU machines, their serial console, the kernel's events and the verdict,
gdb as a second witness, and the command line.

Subpackages by layer, lowest first; each imports only the ones below it (enforced by
tests/test_layers.py):

- ``core``       constants, errors, host tools, the process registry, the kernel's ABI file.
- ``observe``    kernel events, the verdict, QEMU's -d int log, decoders, witnesses (pure data).
- ``machine``    one QEMU process, its console, images and symbols, the build, tiny kernels.
- ``lab``        a machine run to completion (``Run``) or held open (``Session``); the shell.
- ``debug``      the GDB/MI session, a machine under gdb, frames, trace, record/replay, gdbext.
- ``catalogue``  the fault and crash tables and the boot that proves them.
- ``cli``        one module per ``invoke`` task and the shared epilogue; ``bench``: benchmarks.
"""
