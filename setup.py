"""Packaging glue pyproject.toml cannot express (the rest is in pyproject.toml).

- The package: harness/ringlab/ is installed as the package ``ringlab``, with every
  subpackage found at build time (a new layer needs no edit here).
- A plain (non-editable) ``pip install CHECKOUT`` copies the package away from the kernel and
  userland sources: it records the checkout in ``ringlab/checkout.txt`` so the installed
  package still finds them (harness/ringlab/core/constants.py ``find_home``; RINGLAB_HOME
  overrides).
"""
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyRecordingCheckout(build_py):
    """build_py, plus ringlab/checkout.txt naming this checkout (not for editable installs,
    which import from the checkout itself)."""

    def run(self):
        super().run()
        if not getattr(self, "editable_mode", False):
            record = Path(self.build_lib) / "ringlab" / "checkout.txt"
            record.write_text(f"{HERE}\n")


setup(
    package_dir={"": "harness"},
    packages=find_packages("harness", include=["ringlab", "ringlab.*"]),
    cmdclass={"build_py": BuildPyRecordingCheckout},
)
