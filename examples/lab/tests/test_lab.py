"""The example lab's tests: what a course would hand out with ringlab's pytest plugin.

The ``ringlab`` fixture comes from the plugin (installed with ringlab); nothing here imports
the ringlab checkout's own tests. ``invoke grade`` (or ``pytest --ringlab-grade grade.json``)
adds up the points.
"""
import os
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.mark.points(5)
def test_greet_prints_its_argument_and_exits_0(ringlab):
    run = ringlab.boot(init=ringlab.compile(SRC / "greet.c"), args=["ring3"])
    run.assert_status(0)        # on failure: how the run ended instead (timed out, killed...)
    assert run.user_output == "hello, ring3 (pid 1)\n"


@pytest.mark.points(5)
def test_null_dereference_is_a_ring3_page_fault_and_sigsegv(ringlab):
    run = ringlab.boot(init=ringlab.compile(SRC / "nullptr.c"))
    fault = run.first("fault")
    assert (fault.get("vector"), fault.get("cpl"), fault.get("cr2")) == (14, 3, 0)
    assert run.first("kill").get("name") == "SIGSEGV"
    assert run.status == 128 + 11


@pytest.mark.points(2)
@pytest.mark.skipif(os.environ.get("RINGLAB_EXAMPLE_FAIL") != "1",
                    reason="fails on purpose (shows the artifacts); RINGLAB_EXAMPLE_FAIL=1 runs it")
def test_fails_on_purpose_nullptr_exits_0(ringlab):
    run = ringlab.boot(init=ringlab.compile(SRC / "nullptr.c"))
    assert run.status == 0, "nullptr is killed by SIGSEGV (status 139): this test fails on purpose"
