"""``invoke coverage`` and ``invoke test --coverage``: which kernel code the test suite reaches.

``invoke test --coverage`` runs the whole suite on the coverage kernel (the sanitizer kernel,
RINGLAB_SANITIZE=1) with RINGLAB_COVERAGE=ringlab-artifacts/coverage/dumps: every machine it
boots there streams the kernel sites it reaches into a file of its own (kernel/include/cover.h,
machine.cover.dump_file). Then ``report`` merges the files: per kernel file and per
function, the functions no test reached, the unreached lines, printed and written to
ringlab-artifacts/coverage/report.txt with an annotated HTML copy of each source file
(html/index.html). ``invoke coverage`` makes the report again from the dumps already there
(or from ``--dumps DIR``, a folder a run with RINGLAB_COVERAGE=DIR filled).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from ..core import constants as C
from ..core.errors import BadCoverDump, BadImage
from ..machine import coverage
from .test import main as pytest_main

OUT = C.COVERAGE_ARTIFACTS            # report.txt and html/
DUMPS = OUT / "dumps"                 # the records of `invoke test --coverage`
REPORT_NAME = "report.txt"
SOURCES = (C.REPO_ROOT / "kernel", C.REPO_ROOT / "kernel" / "include")
TOOL = "ringlab-coverage"
# ``invoke test --coverage``: the whole suite once, on every core, on the sanitizer kernel (the
# coverage build) with the record on; JUnit in its own file (ringlab-junit.xml stays the normal
# kernel's). No second, sanitizer pass: it would repeat tests already run on that kernel.
SUITE_ARGS = ("-n", "auto", f"--junitxml={C.COVERAGE_JUNIT_FILE}")


def clear_dumps(dumps: Path = DUMPS) -> None:
    """Remove the records (``*.cov``) a previous run left in ``dumps``."""
    for p in coverage.dump_files(dumps):
        p.unlink(missing_ok=True)


def report(dumps: Path = DUMPS, kernel: Path = C.SANITIZE_KERNEL_IMAGE,
           out: Path = OUT, html: bool = True) -> int:
    """Merge the records in ``dumps`` for ``kernel``, print the summary and write the whole
    report to ``out``/report.txt and, with ``html``, the annotated sources to ``out``/html/
    (index.html). Returns 0, or 1 with one line on stderr when there is no record or one is
    not ``kernel``'s."""
    files = coverage.dump_files(dumps)
    try:
        pcs, machines = coverage.merge_dumps(files, kernel)
        if not machines:
            print(f"{TOOL}: error: no coverage record in {dumps} (run `invoke test --coverage`, "
                  f"or tests with {C.COVERAGE_ENV}={dumps} on the sanitizer kernel)",
                  file=sys.stderr, flush=True)
            return 1
        cov = coverage.suite_coverage(kernel, pcs, machines=machines)
    except (BadCoverDump, BadImage) as err:
        print(f"{TOOL}: error: {err}", file=sys.stderr, flush=True)
        return 1
    text = out / REPORT_NAME
    out.mkdir(parents=True, exist_ok=True)
    text.write_text("\n".join(coverage.format_suite_report(cov)) + "\n")
    print("\n".join(coverage.format_suite_summary(cov)))
    print(f"report: {text}")
    if html:
        pages = coverage.write_html(cov, SOURCES, out / "html")
        print(f"annotated sources: {pages[0]}")
    return 0


def with_suite(args: Sequence[str] = ()) -> int:
    """``invoke test --coverage``: the whole suite (SUITE_ARGS, then ``args``) on the sanitizer
    kernel with RINGLAB_COVERAGE=DUMPS (emptied first), then ``report``. Returns the suite's
    status if it failed, else the report's."""
    clear_dumps()
    status = pytest_main([*SUITE_ARGS, *args], env={C.SANITIZE_ENV: "1",
                                                     C.COVERAGE_ENV: str(DUMPS)})
    made = report()
    return status or made
