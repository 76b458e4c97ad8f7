"""Benchmarks: scripts that print figures (``python -m harness.bench.boot``,
``python -m harness.bench.gdb``, ``python -m harness.bench.syscall``); not tests."""
