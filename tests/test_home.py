"""Where an installed ringlab finds its kernel and userland (ringlab.core.constants.find_home):
RINGLAB_HOME first, then the checkout the package folder sits in (CHECKOUT/harness/ringlab: the
source tree, or an editable install), then the checkout a plain install recorded in checkout.txt."""
from pathlib import Path

import pytest

from ringlab.core import constants as C

pytestmark = pytest.mark.unit


def checkout(root: Path) -> Path:
    (root / "kernel").mkdir(parents=True)
    (root / "kernel" / "Makefile").write_text("all:\n")
    (root / "harness" / "ringlab").mkdir(parents=True)
    return root


def test_ringlab_home_wins(tmp_path):
    pkg = checkout(tmp_path / "src") / "harness" / "ringlab"
    assert C.find_home(str(tmp_path / "elsewhere"), pkg) == (tmp_path / "elsewhere").resolve()


def test_the_package_inside_a_checkout_uses_that_checkout(tmp_path):
    pkg = checkout(tmp_path / "src") / "harness" / "ringlab"
    assert C.find_home(None, pkg) == tmp_path / "src"
    assert C.find_home("", pkg) == tmp_path / "src"


def test_a_copied_package_uses_the_recorded_checkout(tmp_path):
    site = tmp_path / "site-packages" / "ringlab"
    site.mkdir(parents=True)
    (site / "checkout.txt").write_text("/somewhere/ringlab\n")
    assert C.find_home(None, site) == Path("/somewhere/ringlab")


def test_this_suite_runs_on_this_checkout():
    assert C.REPO_ROOT == C.PACKAGE_DIR.parent.parent
    assert (C.REPO_ROOT / "kernel" / "Makefile").is_file()
