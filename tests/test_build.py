"""`invoke build` is incremental: after a build, nothing is out of date (make -q)."""
import subprocess

import pytest

from ringlab.core import constants as C
from ringlab.machine.elfimage import check_elf64, check_static_x86_64

pytestmark = pytest.mark.boot

PROGRAMS = ["init", "ret42", "hlt", "efault", "demo"]


def test_images_built(images):
    check_elf64(images.kernel)
    for name in PROGRAMS:
        check_static_x86_64(images.program(name))


@pytest.mark.parametrize("subdir", ["kernel", "userland"])
def test_nothing_to_rebuild_after_build(images, subdir):
    res = subprocess.run(["make", "-q", "-C", str(C.REPO_ROOT / subdir)],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, f"make -q -C {subdir}: something would be rebuilt\n{res.stdout}"


def test_invoke_build_twice_recompiles_nothing(images, invoke_cli):
    res = invoke_cli(["build"])
    assert res.returncode == 0, res.stderr
    assert "musl-gcc" not in res.stdout and "clang" not in res.stdout, res.stdout
