ulimit -v 65536; ulimit -v
ulimit -d 32768; ulimit -d
ulimit -s 256; ulimit -s
ulimit -l 64; ulimit -l
ulimit -S -v 32768; ulimit -S -v; ulimit -H -v
(ulimit -v 16384; dd if=/dev/zero of=/dev/null bs=32M count=1; echo "dd under 16 MiB: $?")
(ulimit -d 4096; dd if=/dev/zero of=/dev/null bs=8M count=1; echo "dd under data 4 MiB: $?")
dd if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null; echo "dd 8M: $?"
