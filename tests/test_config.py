"""Unit tests for the QEMU command line (no QEMU started)."""
import shlex
from pathlib import Path

import pytest

from ringlab.core import constants as C
from ringlab.core.errors import BadConfig
from ringlab.machine.qemu import Module, QemuConfig, dry_run_command
from tests.test_elfimage import make_elf64

pytestmark = pytest.mark.unit


@pytest.fixture
def elfs(tmp_path):
    return make_elf64(tmp_path / "kernel.elf"), make_elf64(tmp_path / "prog")


def test_contract_flags(elfs):
    kernel, prog = elfs
    cmd = QemuConfig(kernel=kernel, init=prog, append="trace=syscall").command(
        log_file=Path("/tmp/x/qemu.log"))
    line = shlex.join(cmd)
    assert cmd[0] == "qemu-system-x86_64"
    for part in ["-machine pc", "-cpu max", "-m 128M", "-nodefaults", "-display none",
                 "-no-reboot", "-device isa-debug-exit,iobase=0xf4,iosize=0x04",
                 "-chardev stdio,id=console,signal=off", "-serial chardev:console",
                 "-monitor none", f"-kernel {kernel}",
                 "-append trace=syscall", "-d cpu_reset -D /tmp/x/qemu.log"]:
        assert part in line
    assert cmd[cmd.index("-initrd") + 1] == f"{prog} prog"


def test_modules_init_first_then_files(elfs, tmp_path):
    kernel, prog = elfs
    extra = tmp_path / "example.txt"
    extra.write_text("hi\n")
    cfg = QemuConfig(kernel=kernel, init=prog, files=[extra, Module(extra, "other.txt")])
    assert cfg.initrd_arg() == f"{prog} prog,{extra} example.txt,{extra} other.txt"
    cfg.validate()


def test_int_log_and_gdb(elfs):
    kernel, prog = elfs
    cmd = QemuConfig(kernel=kernel, init=prog, int_log=True, gdb=True).command(
        log_file=Path("/t/l"), gdb_socket=Path("/t/gdb.sock"))
    assert cmd[cmd.index("-d") + 1] == "int,cpu_reset"
    assert cmd[-3:] == ["-gdb", "unix:/t/gdb.sock,server,nowait", "-S"]


def test_no_log_option_without_log_file(elfs):
    kernel, prog = elfs
    assert "-d" not in QemuConfig(kernel=kernel, init=prog).command()


@pytest.mark.parametrize("bad", ["a,b", "a b"])
def test_paths_with_comma_or_space_rejected(tmp_path, elfs, bad):
    kernel, _ = elfs
    d = tmp_path / bad
    d.mkdir()
    prog = make_elf64(d / "prog")
    with pytest.raises(BadConfig, match="QEMU's -initrd"):
        QemuConfig(kernel=kernel, init=prog).validate()


def test_dry_run_is_one_line_without_temp_paths(elfs):
    kernel, prog = elfs
    line = dry_run_command(QemuConfig(kernel=kernel, init=prog, append="a=1 b=2"))
    assert "\n" not in line
    assert "-D" not in shlex.split(line) and "ringlab-" not in line
    assert shlex.split(line)[shlex.split(line).index("-append") + 1] == "a=1 b=2"


def test_dry_run_int_log_goes_to_the_file_named_for_the_run(elfs):
    """The interrupt log's path is named per run by the caller (core/outputs.py), never one
    shared images/qemu.log; without one there is no -D."""
    kernel, prog = elfs
    cfg = QemuConfig(kernel=kernel, init=prog, int_log=True)
    argv = shlex.split(dry_run_command(cfg, log_file=Path("/t/qemu-int-1.log")))
    assert argv[argv.index("-D") + 1] == "/t/qemu-int-1.log"
    assert "-D" not in shlex.split(dry_run_command(cfg))


def test_dry_run_gdb_halts_with_a_stub_in_images(elfs):
    kernel, prog = elfs
    argv = shlex.split(dry_run_command(QemuConfig(kernel=kernel, init=prog, gdb=True)))
    assert argv[argv.index("-gdb") + 1] == f"unix:{C.RUNTIME_DIR / 'gdb.sock'},server,nowait"
    assert argv[-1] == "-S"
