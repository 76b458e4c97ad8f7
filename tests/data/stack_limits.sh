# RLIMIT_STACK as busybox sh's ulimit and /proc/self/limits show it (tests/test_stackgrow.py):
# Linux's default (8 MiB: ringlab's own is 128 KiB), then raised to unlimited and lowered; the header and the stack's line of limits.
ulimit -S -s 8192
ulimit -s
ulimit -Hs
head -n 1 /proc/self/limits
grep "Max stack size" /proc/self/limits
ulimit -s unlimited
ulimit -s
grep "Max stack size" /proc/self/limits
ulimit -s 1024
ulimit -s
grep "Max stack size" /proc/self/limits
