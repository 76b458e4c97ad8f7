"""ringlab's gdb extension (ringlab.py, loaded into gdb) and the formats it shares with the
harness (ringfmt.py, importable from both sides)."""
