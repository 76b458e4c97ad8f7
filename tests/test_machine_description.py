"""One machine description (ringlab.machine.description, ``machine.json``): what a failed
test's artifacts, a recording and a gdb target file keep of a machine, and the one
translation into ``invoke boot``/``invoke debug`` options every reproduce line uses. Unit
tests: no QEMU (the artifacts' real round trip through QEMU and gdb is
tests/test_ci.py::test_a_failing_example_test_leaves_artifacts_that_reproduce_it)."""
from __future__ import annotations

import json
import re
import os
import shutil
from pathlib import Path

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import outputs
from ringlab.core.errors import BadConfig
from ringlab.debug import machine as debug_machine
from ringlab.machine.description import FILE_NAME, Machine, boot_options
from ringlab.machine.qemu import Module, QemuConfig, RecordReplay
from ringlab.lab.shell import Shell
from ringlab.plugin import artifacts

pytestmark = pytest.mark.unit

HLT = C.USER_IMAGES_DIR / "hlt"


def every_field(tmp_path: Path) -> QemuConfig:
    data = tmp_path / "data.txt"
    data.write_text("x\n")
    return QemuConfig(init=HLT, files=[Module(data, "d.txt")], append="trace=syscall",
                      cpu="qemu64", memory="256M", int_log=True, reset_log=False, accel="tcg",
                      user=(1000, 100), record_replay=RecordReplay("replay", tmp_path / "rec"),
                      extra_args=["-smp", "1"])


def test_every_config_field_round_trips_through_json(images, tmp_path):
    cfg = every_field(tmp_path)
    data = json.loads(json.dumps(Machine(cfg, timeout_s=7.0).to_dict()))
    back = Machine.from_dict(data)
    assert back.config == cfg and back.timeout_s == 7.0
    # the description is complete: a QemuConfig field it does not write would fail here
    assert set(vars(cfg)) - {"kernel", "init", "files", "gdb"} <= set(data)


def test_the_command_line_is_the_same_after_a_round_trip(images, tmp_path):
    cfg = every_field(tmp_path)
    back = Machine.from_dict(Machine(cfg).to_dict(tmp_path), tmp_path).config
    assert back.command(log_file=Path("L")) == cfg.command(log_file=Path("L"))


def test_int_log_is_kept_in_every_derived_line(images):
    """--int-log was lost between the reproduce line and `invoke debug --from` once."""
    cfg = QemuConfig(init=HLT, int_log=True)
    assert "--int-log" in boot_options(cfg)
    assert "--int-log" in lab.invoke_line(cfg)
    assert "--int-log" not in boot_options(cfg, task="debug")     # debug takes no such option
    assert Machine.from_dict(Machine(cfg).to_dict()).config.int_log


def test_debug_lines_name_only_options_invoke_debug_takes(images, tmp_path):
    other = tmp_path / "kernel.elf"
    shutil.copy2(C.KERNEL_IMAGE, other)
    cfg = QemuConfig(kernel=other, init=HLT, cpu="qemu64", accel="tcg")
    assert boot_options(cfg, task="debug") == ["--init", str(HLT.resolve()), "--cpu", "qemu64",
                                               "--kernel", str(other.resolve())]
    assert "--accel" in boot_options(cfg)


def test_paths_inside_the_folder_are_relative_so_it_can_move(images, tmp_path):
    folder = tmp_path / "a"
    (folder / "files").mkdir(parents=True)
    prog = folder / "files" / "hlt"
    shutil.copy2(HLT, prog)
    Machine(QemuConfig(init=prog)).save(folder)
    data = json.loads((folder / FILE_NAME).read_text())
    assert data["modules"][0]["path"] == "files/hlt"
    moved = tmp_path / "b"
    folder.rename(moved)
    assert Machine.load(moved).config.init == moved / "files" / "hlt"


def test_a_file_gone_or_changed_is_booted_from_its_copy_else_refused(images, tmp_path):
    """What lets `invoke debug --from` work after pytest removed the test's tmp_path."""
    src = tmp_path / "tmp" / "prog"
    src.parent.mkdir()
    shutil.copy2(HLT, src)
    folder = tmp_path / "art"
    (folder / "files").mkdir(parents=True)
    copy = folder / "files" / "prog"
    shutil.copy2(src, copy)
    Machine(QemuConfig(init=src), copies={os.path.abspath(src): copy}).save(folder)
    assert Machine.load(folder).config.init == src             # the original, unchanged
    src.write_bytes(src.read_bytes() + b"\0")                  # changed: the copy
    assert Machine.load(folder).config.init == copy
    shutil.rmtree(src.parent)                                  # gone: the copy
    assert Machine.load(folder).config.init == copy
    copy.write_bytes(b"other")                                 # no good copy either: refused
    with pytest.raises(BadConfig, match="changed since it was recorded"):
        Machine.load(folder)


def test_artifacts_derive_reproduce_and_command_from_the_description(images, tmp_path):
    cfg = QemuConfig(init=HLT, append="trace=syscall", int_log=True)
    session = lab.Session(cfg, stdin=b"abc\n")
    machine = artifacts.describe(session, tmp_path)
    machine.save(tmp_path)
    assert (tmp_path / "files" / "stdin").read_bytes() == b"abc\n"
    loaded = Machine.load(tmp_path)
    assert loaded.stdin == tmp_path / "files" / "stdin" and loaded.config.int_log
    line = artifacts.invoke_line(artifacts.reproducible(machine))
    assert f"--init {tmp_path / 'files' / 'hlt'}" in line and "--int-log" in line
    assert line.endswith(f" < {tmp_path / 'files' / 'stdin'}")
    assert 'files/stdin"' in artifacts.command_script(machine)


def test_a_gdb_target_file_holds_the_description(images, tmp_path, monkeypatch):
    monkeypatch.setattr(C, "GDB_TARGETS_DIR", tmp_path)
    sock = tmp_path / "gdb.sock"
    sock.write_text("")
    debug_machine.write_target_file(sock, QemuConfig(init=HLT))
    [info] = debug_machine.read_target_files()
    assert info["machine"]["format"] == 1
    assert (info["init"], info["kernel"]) == (str(HLT.resolve()), str(C.KERNEL_IMAGE.resolve()))


def test_per_run_outputs_never_share_a_name(tmp_path):
    names = {outputs.per_run_path("qemu-int", ".log", directory=tmp_path, now=0)
             for _ in range(3)}
    assert len(names) == 3 and all(p.is_file() for p in names)
    d = outputs.per_run_path("rec", directory=tmp_path, is_dir=True, now=0)
    assert d.is_dir() and d.name.startswith("rec-") and str(os.getpid()) in d.name


@pytest.mark.boot
def test_a_shell_tests_commands_are_in_its_machine_json(invoke_cli, images, tmp_path):
    """A shell() test's artifacts boot with its commands (they were lost once): what it typed
    is the described machine's stdin, and `invoke boot --from` runs them again."""
    session = lab.Session(lab.shell_config()).start()
    try:
        sh = Shell(session.console)
        sh.wait_prompt(C.DEFAULT_SHELL_COMMAND_TIMEOUT_S)
        ran = sh.run("hello replayed")
        assert ran.exit_code == 0 and any("hello" in l for l in ran.lines), ran.text
        folder = tmp_path / "art"
        artifacts.describe(session, folder).save(folder)
    finally:
        session.machine.stop()
    assert (folder / "files" / "stdin").read_text() == "hello replayed\n"
    res = invoke_cli(["boot", "--from", str(folder)])
    assert res.returncode == 0, res.stderr[-3000:]
    # the shell ran the command again (a second `hello` after the demonstration's), then
    # ended at the end of its input
    shell_part = res.stdout.split("init: exec /sh", 1)[-1]
    assert re.search(r"^(\$ )?hello from pid \d+ \(parent 1\), cpl=3, argv\[0\]=hello",
                     shell_part, re.M), res.stdout[-3000:]
