"""Benchmarks: scripts that print figures (``python -m harness.bench.boot``,
``python -m harness.bench.gdb``); not tests."""
