"""ringlab's harness: QEMU machines, their serial console, the kernel's events and the verdict.

Layers, each with one job (lowest first):

- ``constants``  DEFAULT_* values and paths, in one place.
- ``errors``     one exception type per failure kind, each carrying its evidence.
- ``tools``      finds host tools; a missing one names its Debian package.
- ``elfimage``   checks that a file is a static x86-64 ELF executable; reads symbols.
- ``build``      ``make -C kernel`` and ``make -C userland`` (what ``invoke build`` runs).
- ``qemu``       one QEMU process: command line, temp dir, start, stop, exit status, logs.
- ``console``    the serial console on pexpect's terms: expect, before/match/after, history.
- ``events``     parses ``ringlab: EVENT key=value`` lines into typed records.
- ``verdict``    names the outcome of a run from events and QEMU's exit status together.
- ``lab``        runs a machine to completion and returns a ``Run`` (used by tasks and tests).
- ``cli``        what the ``invoke`` tasks print and the exit status they return.
"""
