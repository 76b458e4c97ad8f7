"""Machine layer: one QEMU process and its serial console, the images it boots (ELF checks,
symbols, the build, tiny test kernels), and waiting for its sockets."""
