"""Limits as Linux's: the same static musl program on the host's Linux and in ringlab, the
transcripts and exit statuses compared (tests/parity.py).

- hugewait: timeouts too large to reach saturate (Linux's KTIME_MAX) instead of wrapping into
  "already past"; each wait is cut short by a 100 ms timer's signal (EINTR), the evidence that
  it waited; invalid timespecs are EINVAL.
"""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

CASES = {
    "hugewait-huge-timeouts-saturate-invalid-ones-einval": Case("hugewait"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_output_and_status_as_on_linux(images, tmp_path, name):
    assert_same_as_linux(CASES[name], images, tmp_path)
