"""Every command and code snippet of README.md and of every page under docs/ runs here.

- ```python blocks run from a directory outside the checkout, with ``ringlab`` importable as
  an installed package would be (a path entry naming this checkout's harness): a block with
  ``def test_`` functions is a test file for pytest and the plugin, any other block a script
  that must exit 0 (its own ``assert``/``print`` lines are the check).
- Commands: every line of a ```sh block, and every ``$ `` line of a ```console block (a
  transcript: the command, then what it printed), is in COMMANDS, either run here (from the
  checkout, with the exit status the page gives it) or covered by the named test or CI step
  that runs it in full (installing Debian packages, this very suite, an interactive terminal,
  gdb). A command a page has and COMMANDS lacks fails, and so does a COMMANDS entry no page has
  any more; a named test must exist. Transcripts of the guest's own shell (``$ hello``) are
  plain ``` blocks: nothing on the host runs them.
- The README stays short (README_MAX_LINES), every page is linked from it, every relative link
  of every page points at an existing file (and heading, for ``#anchor``), and
  docs/testing.md lists every test file.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple, Union

import pytest

from ringlab.core import constants as C
from tests.helpers import bytecode_cached_env

README = C.REPO_ROOT / "README.md"
DOCS = C.REPO_ROOT / "docs"
PAGES: List[Path] = [README] + sorted(DOCS.glob("*.md"))
TESTING_PAGE = DOCS / "testing.md"
README_MAX_LINES = 200
SNIPPET_TIMEOUT_S = 180.0
NESTED_ENV = "RINGLAB_README_COMMAND"
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
_LINK = re.compile(r"\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)
_TEST_REF = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+))?")


def page_name(page: Path) -> str:
    return str(page.relative_to(C.REPO_ROOT))


def blocks(page: Path, lang: str) -> List[str]:
    return [body for l, body in _BLOCK.findall(page.read_text()) if l == lang]


def _command(line: str) -> str:
    return re.sub(r"\s+#.*$", "", line).strip()


def page_commands(page: Path) -> List[str]:
    """The page's commands: each line of its sh blocks, each ``$ `` line of its console ones."""
    out = []
    for body in blocks(page, "sh"):
        out += [c for c in map(_command, body.splitlines()) if c]
    for body in blocks(page, "console"):
        out += [c for c in (_command(l[2:]) for l in body.splitlines() if l.startswith("$ "))
                if c]
    return out


def all_commands() -> Dict[str, List[str]]:
    """command -> the pages that have it."""
    found: Dict[str, List[str]] = {}
    for page in PAGES:
        for cmd in page_commands(page):
            found.setdefault(cmd, []).append(page_name(page))
    return found


class Run:
    """Run the command here, from the checkout; it must exit with ``status``."""

    def __init__(self, status: int) -> None:
        self.status = status


#: command -> Run(status) or where it is run in full (a test id or a CI step).
COMMANDS: Dict[str, Union[Run, str]] = {
    # README.md
    "sudo bash .ci/setup && .venv/bin/invoke build boot":
        ".ci/run (CI: installs Debian packages, so not from a test); "
        "tests/test_boot.py::test_invoke_boot_default_init_exits_0",
    ".venv/bin/invoke test": "this suite itself",
    ".venv/bin/invoke boot --init images/user/hlt": Run(139),
    ".venv/bin/invoke boot --shell": "tests/test_shell.py::test_invoke_boot_shell_on_a_terminal "
                                     "(and ::test_invoke_boot_shell_without_a_terminal)",
    ".venv/bin/invoke debug --init images/user/hlt --at-fault":
        "tests/test_debug.py::test_at_fault_shows_the_hlt_its_source_gp_and_cpl3 (gdb, batch)",
    ".venv/bin/invoke trace --init images/user/gdb_write":
        "tests/test_trace.py::test_invoke_trace_cli (status 7, QEMU -d int agrees)",
    ".venv/bin/invoke faults": Run(0),
    # docs/tour.md
    ".venv/bin/invoke boot": Run(0),
    ".venv/bin/invoke boot --init images/user/efault --append trace=syscall": Run(0),
    ".venv/bin/invoke boot --init ./myprog":
        "tests/test_boot.py::test_invoke_boot_init_exit_status (any static program as init)",
    ".venv/bin/invoke boot --dry-run": Run(0),
    ".venv/bin/invoke boot --timeout 5 --int-log --cpu qemu64": Run(0),
    ".venv/bin/invoke boot --int-log=/tmp/hlt-int.log --init images/user/hlt":
        "tests/test_outputs.py::test_int_log_is_named_per_run_or_where_given (into the test's own "
        "folder, not a shared /tmp path)",
    ".venv/bin/invoke boot --user 1000": Run(0),
    ".venv/bin/invoke boot --init /bin/busybox --args sh":
        "tests/test_busybox.py::test_invoke_boot_busybox_sh_is_an_interactive_shell (a terminal)",
    ".venv/bin/invoke boot --init /etc/hostname": Run(2),
    ".venv/bin/invoke boot --init images/user/seed_open --file example.txt":
        "tests/test_files.py::test_seed_example_with_file_example_txt_exits_0",
    ".venv/bin/invoke boot --init images/user/seed_read --file example.txt": Run(0),
    ".venv/bin/invoke boot --init images/user/seed_open": Run(1),
    ".venv/bin/invoke debug --break write":
        "tests/test_debug.py::test_break_write_then_step_ring_twice_names_both_sides (gdb, batch)",
    ".venv/bin/invoke boot --gdb --init images/user/gdb_write":
        "tests/test_gdb.py::test_invoke_boot_gdb_then_invoke_gdb (two terminals)",
    ".venv/bin/invoke gdb": "tests/test_gdb.py::test_invoke_boot_gdb_then_invoke_gdb",
    ".venv/bin/invoke trace --init images/user/sigalrm_spin":
        "tests/test_signal_gdb.py::test_trace_names_the_delivery_and_the_rt_sigreturn",
    ".venv/bin/invoke boot --record /tmp/hlt-rec --init images/user/hlt":
        "tests/test_replay.py::test_invoke_boot_record_then_invoke_gdb_replay "
        "(into the test's own folder, not a shared /tmp path)",
    ".venv/bin/invoke gdb --replay /tmp/hlt-rec":
        "tests/test_reverse.py::test_reverse_walkthrough (the whole walkthrough, ten times)",
    ".venv/bin/invoke iso --init images/user/hlt":
        "tests/test_iso.py::test_invoke_iso_says_how_to_boot_it",
    ".venv/bin/invoke boot --accel kvm":
        "tests/test_iso.py::test_accel_kvm_needs_a_probe_that_runs_ring3_right",
    # docs/kernel.md
    ".venv/bin/invoke boot --init images/user/pthreads": Run(3),
    '.venv/bin/invoke boot --init images/user/threadmem --append "trace=mem init.args=4"': Run(0),
    ".venv/bin/invoke pagetables": "tests/test_pagetables.py::test_invoke_pagetables",
    ".venv/bin/invoke pagetables --append test.ukpage=1 --point pt_boot": Run(1),
    '.venv/bin/invoke boot --init images/user/fuzz --append "trace=mem init.args=1,100000"':
        "tests/test_fuzz.py::test_fuzz_100k_calls_in_one_boot (on both CPU models)",
    ".venv/bin/invoke build --sanitize":
        "tests/test_sanitize.py::test_planted_bug_is_reported_at_its_line (its fixture builds "
        "the sanitizer kernel as invoke build --sanitize does)",
    "RINGLAB_SANITIZE=1 .venv/bin/invoke boot --append test.sanitize=overflow":
        "tests/test_sanitize.py::test_environment_makes_it_the_kernel_of_invoke_boot",
    "RINGLAB_SANITIZE=1 .venv/bin/invoke boot --append test.sanitize=uaf":
        "tests/test_sanitize.py::test_planted_bug_is_reported_at_its_line (every planted kind)",
    ".venv/bin/invoke boot --init images/user/uart": Run(0),
    ".venv/bin/invoke fuzz --minutes 3 --cpu qemu64 --seed 11":
        "tests/test_sfuzz.py::test_a_short_run_finds_nothing_and_rarely_gets_enosys (the same "
        "run through harness/ringlab/lab/fuzzing.py, 20 s on each CPU model instead of 3 minutes)",
    ".venv/bin/invoke fuzz --kernel /tmp/old/images/kernel.elf --minutes 3 --cpu qemu64 --seed 3":
        "a past run against the kernel of commit f7d6832, which has the bug; its reproducer step: "
        "tests/test_sfuzz.py::test_a_reproducer_builds_with_musl_and_runs_in_one_boot",
    # docs/teaching.md
    "python3 -m venv .venv": ".ci/example (a fresh venv; needs the package index)",
    ".venv/bin/pip install -e /path/to/ringlab pytest-xdist":
        ".ci/example (editable and plain install into fresh venvs)",
    ".venv/bin/pytest -n auto --junitxml=junit.xml":
        "tests/test_ci.py::test_example_lab_passes_outside_the_checkout (xdist, junit)",
    ".venv/bin/invoke grade --json grade.json":
        "tests/test_ci.py::test_invoke_grade_prints_the_score_table_and_writes_json",
    # docs/testing.md
    ".venv/bin/invoke test-quick": "a subset of this suite (`-m 'unit and not slow or quick'`)",
    ".venv/bin/pytest -m unit": "a subset of this suite",
    ".venv/bin/invoke test -- -n 0": "this suite itself, serially (CI runs it on every core)",
    ".venv/bin/pytest tests/test_boot.py -m boot -k hlt": Run(0),
    ".venv/bin/invoke boot --init images/user/memrange --append trace=mem": Run(0),
    ".venv/bin/python -m ringlab.catalogue.faults": Run(0),
    ".venv/bin/invoke test --coverage":
        "this suite itself, once on the sanitizer kernel with the coverage record on (one "
        "machine's record: tests/test_coverage.py::test_a_boot_leaves_its_record)",
    ".venv/bin/invoke coverage":
        "tests/test_coverage.py::test_invoke_coverage_reports_the_records (from a folder of "
        "records; without one it says to run invoke test --coverage first, exit 1)",
}


def outside_env(tmp_path: Path) -> Dict[str, str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    if not (site / "ringlab").exists():
        (site / "ringlab").symlink_to(C.REPO_ROOT / "harness" / "ringlab")
    return dict(os.environ, PYTHONPATH=str(site))


def test_every_command_of_every_page_is_accounted_for():
    found = all_commands()
    missing = {c: pages for c, pages in found.items() if c not in COMMANDS}
    assert not missing, f"commands not in tests/test_readme.py COMMANDS: {missing}"
    stale = [c for c in COMMANDS if c not in found]
    assert not stale, f"COMMANDS no page has any more: {stale}"


def test_every_test_a_command_names_exists():
    for cmd, how in COMMANDS.items():
        if isinstance(how, Run):
            continue
        for path, name in _TEST_REF.findall(how):
            source = C.REPO_ROOT / path
            assert source.is_file(), f"{cmd!r}: {path} does not exist"
            if name:
                assert re.search(rf"^def {name}\(", source.read_text(), re.M), \
                    f"{cmd!r}: {path} has no test {name}"


@pytest.mark.boot
@pytest.mark.parametrize("command", [c for c, how in COMMANDS.items() if isinstance(how, Run)])
def test_readme_command_runs(images, command, tmp_path, tmp_path_factory):
    if os.environ.get(NESTED_ENV):
        pytest.skip("inside a README command already (a `pytest -k` of the whole suite selects these too)")
    # `python -m ringlab...` imports this checkout's package (harness/ringlab), as in a
    # checkout whose .venv has it installed editable (.ci/setup); the session's byte-code
    # cache spares a nested pytest compiling the suite again
    env = dict(bytecode_cached_env(os.environ, tmp_path_factory.getbasetemp()),
               **{C.RUNTIME_ENV: str(tmp_path), NESTED_ENV: "1",
                              "PYTEST_ADDOPTS": f"--ringlab-artifacts={tmp_path / 'artifacts'}",
                              "PYTHONPATH": str(C.REPO_ROOT / "harness")})
    res = subprocess.run(["bash", "-c", command], cwd=C.REPO_ROOT, env=env, capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, timeout=SNIPPET_TIMEOUT_S)
    assert res.returncode == COMMANDS[command].status, res.stdout[-2000:] + res.stderr[-2000:]


def python_blocks() -> List[Tuple[str, str]]:
    """(id, code) of every python block: ``README-python-1``, ``docs-teaching-python-2``..."""
    out = []
    for page in PAGES:
        stem = page_name(page)[:-len(".md")].replace("/", "-")
        out += [(f"{stem}-python-{i}", body) for i, body in enumerate(blocks(page, "python"), 1)]
    return out


@pytest.mark.boot
@pytest.mark.parametrize("name,code", python_blocks(), ids=[n for n, _ in python_blocks()])
def test_readme_python_snippet_runs_outside_the_checkout(images, name, code, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = outside_env(tmp_path)
    if re.search(r"^def test_", code, re.M):
        (work / f"test_readme_{name.replace('-', '_')}.py").write_text(code)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:ringlab", "-p", "ringlab.plugin",
               "-p", "no:cacheprovider", f"--ringlab-artifacts={tmp_path / 'artifacts'}"]
    else:
        cmd = [sys.executable, "-c", code]
    res = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=SNIPPET_TIMEOUT_S)
    assert res.returncode == 0, f"{name}:\n{code}\n--- stdout\n{res.stdout[-3000:]}\n" \
                                f"--- stderr\n{res.stderr[-3000:]}"


# -- the pages themselves ------------------------------------------------------------------------

def prose(page: Path) -> str:
    """The page without its fenced blocks (headings and links there are not the page's)."""
    return _BLOCK.sub("", page.read_text())


def anchors(page: Path) -> Set[str]:
    """The ``#anchor`` of each heading, as GitHub makes them: lower case, punctuation other
    than ``-`` and ``_`` dropped, spaces to ``-``; a repeated one gets ``-1``, ``-2``..."""
    seen: Dict[str, int] = {}
    out = set()
    for _, text in _HEADING.findall(prose(page)):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)      # a link: its text
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(page: Path) -> List[str]:
    return _LINK.findall(prose(page))


def test_the_readme_is_short():
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most " \
                                      f"{README_MAX_LINES}: move the text to a page of docs/)"


@pytest.mark.parametrize("page", PAGES, ids=page_name)
def test_every_relative_link_resolves(page):
    bad = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):            # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            bad.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            bad.append(f"{target}: no heading #{anchor} in {page_name(dest)}")
    assert not bad, f"{page_name(page)}: " + "; ".join(bad)


def test_every_page_is_linked_from_the_readme():
    linked = {(README.parent / t.partition("#")[0]).resolve() for t in links(README)}
    unlinked = [page_name(p) for p in PAGES[1:] if p.resolve() not in linked]
    assert not unlinked, f"pages of docs/ the README does not link: {unlinked}"


def test_testing_page_lists_every_test_file():
    text = TESTING_PAGE.read_text()
    missing = [p.name for p in sorted((C.REPO_ROOT / "tests").glob("test_*.py"))
               if f"`{p.name}`" not in text]
    assert not missing, f"docs/testing.md, What each test file proves: add a row for {missing}"
