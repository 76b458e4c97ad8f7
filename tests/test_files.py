"""The in-memory file system built from multiboot modules, through `invoke boot`.

The seed example through the real command line (exact output and status), what "/" holds
with and without --init, writing a module's file, and the harness's checks on
the file list.
"""
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.core.errors import BadConfig
from ringlab.machine.qemu import QemuConfig

SEED_ENOENT = "Error opening file: No such file or directory\n"


def user_output(stdout: str) -> str:
    """`invoke boot`'s stdout without the kernel's lines."""
    return "".join(l + "\n" for l in stdout.splitlines() if not l.startswith("ringlab: "))


@pytest.mark.boot
def test_seed_example_without_example_txt_fails_like_linux(images, invoke_cli):
    res = invoke_cli(["boot", "--init", str(images.program("seed_open"))])
    assert res.returncode == 1, res.stdout + res.stderr
    assert user_output(res.stdout) == SEED_ENOENT, res.stdout
    assert "ringlab: exit pid=1 ppid=0 status=1\n" in res.stdout


@pytest.mark.boot
def test_seed_example_with_file_example_txt_exits_0(images, invoke_cli, tmp_path):
    example = tmp_path / "example.txt"
    example.write_text("anything\n")
    res = invoke_cli(["boot", "--init", str(images.program("seed_open")), "--file", str(example)])
    assert res.returncode == 0, res.stdout + res.stderr
    assert user_output(res.stdout) == "", res.stdout


@pytest.mark.boot
def test_seed_read_prints_example_txt(images, invoke_cli, tmp_path):
    content = "line one\nline two\n\nlast line\n"
    example = tmp_path / "example.txt"
    example.write_text(content)
    res = invoke_cli(["boot", "--init", str(images.program("seed_read")), "--file", str(example)])
    assert res.returncode == 0, res.stdout + res.stderr
    assert user_output(res.stdout) == content


@pytest.mark.boot
def test_with_init_the_root_holds_tmp_dev_etc_proc_init_and_the_files_only(images, invoke_cli, tmp_path):
    extra = tmp_path / "notes.txt"
    extra.write_text("12345")
    res = invoke_cli(["boot", "--init", str(images.program("ls")), "--file", str(extra)])
    assert res.returncode == 0, res.stdout + res.stderr
    size = images.program("ls").stat().st_size
    sys_dir = ["       0 sys"] if C.SANITIZE else []     # the coverage build's /sys/kernel/debug/kcov
    assert user_output(res.stdout).split("\n") == ["       0 tmp", "       0 dev", "       0 etc", *sys_dir,
                                                   "       0 proc", f"{size:8d} ls",
                                                   "       5 notes.txt", ""]


@pytest.mark.boot
def test_default_boot_puts_every_program_in_the_root(images):
    cfg = lab.boot_config()
    names = [m.name for m in cfg.modules()]
    assert names[0] == "init" and len(names) == len(set(names))
    for want in ("sh", "ls", "cat", "hello", "crashme", "seed_open", "seed_read", "isolation",
                 "peek", "preempt", "faultloop", "readline", "forkwait"):
        assert want in names
    assert not [n for n in names if n.startswith(C.DEFAULT_FS_EXCLUDE_PREFIXES)]
    assert not [n for n in names if n.endswith(".d")]


@pytest.mark.boot
def test_a_module_file_is_writable_copy_on_write(images, tmp_path):
    (tmp_path / "example.txt").write_text("x\n")
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("fsprobe"),
                             files=[tmp_path / "example.txt"]))
    assert run.status == 0, run.report()
    assert "fsprobe: append 4: 4" in run.user_lines, run.report()
    assert "fsprobe: stat after append: 0 size=6" in run.user_lines, run.report()


@pytest.mark.boot
def test_a_file_used_as_a_directory_is_enotdir(images, tmp_path):
    (tmp_path / "example.txt").write_text("x\n")
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("fsprobe"),
                             files=[tmp_path / "example.txt"]))
    assert "fsprobe: open example.txt/x: ENOTDIR" in run.user_lines, run.report()


def test_more_modules_than_the_kernel_keeps_is_refused(tmp_path, images):
    limit = kabi.load().const("NFSFILE")
    files = []
    for i in range(limit):                       # + init = one too many
        f = tmp_path / f"f{i}"
        f.write_text(str(i))
        files.append(f)
    with pytest.raises(BadConfig, match=f"at most {limit}"):
        QemuConfig(kernel=images.kernel, files=files).validate()
    QemuConfig(kernel=images.kernel, files=files[1:]).validate()


def test_init_args_token_gets_shell_added():
    assert lab.with_init_args("", "--shell") == "init.args=--shell"
    assert lab.with_init_args("trace=mem init.args=a,b", "--shell") == \
        "trace=mem init.args=a,b,--shell"
    assert lab.with_init_args("init.args=", "--shell") == "init.args=--shell"
