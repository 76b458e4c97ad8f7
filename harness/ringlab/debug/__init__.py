"""Debug layer: gdb as a witness - the GDB/MI session, a machine halted under gdb, the frames
gdb reads at exception stubs, the ring-transition trace, record and replay, and the gdb
extension (``gdbext``, which runs inside gdb's own Python)."""
