"""Benchmarks: scripts that print figures (``python -m ringlab.bench.boot``,
``python -m ringlab.bench.gdb``, ``python -m ringlab.bench.syscall``,
``python -m ringlab.bench.signals``); not tests."""
