"""Missing tools and bad images stop before QEMU starts, with one line saying what to do."""
import os
import time

import pytest

from ringlab.core import constants as C
from ringlab.core import tools
from ringlab.core.errors import ToolMissing

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("tool,package", sorted(tools.PACKAGES.items()))
def test_missing_tool_names_debian_package(monkeypatch, tmp_path, tool, package):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing) as info:
        tools.find_tool(tool)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{tool} not found") and f"Debian package {package}" in msg


def test_present_tools_found():
    assert os.path.isabs(tools.find_tool("make"))


def test_invoke_boot_without_qemu_is_one_line(invoke_cli, tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))
    res = invoke_cli(["boot"], env=env)
    assert res.returncode == C.EXIT_SETUP_ERROR, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "qemu-system-x86_64 not found" in lines[0] and "qemu-system-x86" in lines[0]
    assert res.stdout == ""


def test_invoke_boot_init_etc_hostname_fails_at_once(invoke_cli):
    t0 = time.monotonic()
    res = invoke_cli(["boot", "--init", "/etc/hostname"])
    elapsed = time.monotonic() - t0
    assert res.returncode == C.EXIT_SETUP_ERROR, res.stderr
    assert res.stderr.strip() == ("ringlab-boot: error: /etc/hostname: not an ELF file (want a static "
                                  "x86-64 ELF executable, e.g. built with musl-gcc -static)")
    assert res.stdout == ""
    assert elapsed < 10, f"took {elapsed:.1f} s"


def test_invoke_boot_init_dynamic_binary(invoke_cli):
    res = invoke_cli(["boot", "--init", "/bin/true"])
    assert res.returncode == C.EXIT_SETUP_ERROR
    assert res.stderr.count("\n") == 1 and "/bin/true" in res.stderr


def test_invoke_build_without_toolchain_is_one_line(invoke_cli, tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))
    res = invoke_cli(["build"], env=env)
    assert res.returncode == C.EXIT_SETUP_ERROR, res.stderr
    assert res.stderr.strip().splitlines() == [
        "ringlab-build: error: make not found: install the Debian package make "
        "(sudo apt-get install make)"]
