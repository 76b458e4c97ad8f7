"""The harness's architecture, enforced: layers (import-linter contracts in pyproject.toml),
no harness import inside a function, no import cycle between harness modules, no harness
module imports the command-line layer (tasks.py, which imports only that layer, is its user) or
the pytest plugin, and one import name: the package in harness/ringlab is imported as
``ringlab`` only (``harness.x`` next to ``ringlab.x`` would be two copies of every module)."""
from __future__ import annotations

import ast
import contextlib
import functools
import io
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
from importlinter.cli import lint_imports

from ringlab.core import constants as C

pytestmark = pytest.mark.unit

PACKAGE = "ringlab"     # the package's name and folder (pyproject.toml, setup.py)
HARNESS = C.REPO_ROOT / "harness" / PACKAGE
#: runs inside gdb's own Python, beside its sibling ringfmt.py (not as part of the package)
GDB_SIDE = HARNESS / "debug" / "gdbext" / "ringlab.py"


def harness_files() -> List[Path]:
    return sorted(p for p in HARNESS.rglob("*.py") if p != GDB_SIDE)


def module_name(path: Path) -> str:
    parts = path.relative_to(HARNESS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Set[str]:
    """The harness modules ``path`` imports (absolute names; ``from . import x`` counts x if
    it is a module)."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found: Set[str] = set()
    for node, _ in imports(path):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != PACKAGE:
                continue
            found.add(target)
            for a in node.names:          # `from .. import lab`: the module ringlab.lab
                sub = f"{target}.{a.name}"
                where = HARNESS / Path(*sub.split(".")[1:])
                if where.with_suffix(".py").exists() or (where / "__init__.py").exists():
                    found.add(sub)
    return found


def parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


# Import statements sit only among statements: the walk never enters an expression, which is
# most of a tree (a full ast.walk of every file, four times, was a second of test-quick).
STATEMENT_HOLDERS = (ast.stmt, ast.excepthandler, ast.match_case)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@functools.lru_cache(maxsize=None)
def imports(path: Path) -> Tuple[Tuple[ast.stmt, bool], ...]:
    """Every ``import`` and ``from ... import`` statement of ``path`` (parsed once per session),
    each with whether it is inside a function or class body."""
    found: List[Tuple[ast.stmt, bool]] = []

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, inside))
            elif isinstance(child, STATEMENT_HOLDERS):
                visit(child, inside or isinstance(child, DEFINITIONS))

    visit(parse(path), False)
    return tuple(found)


def test_import_linter_contracts_hold():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = lint_imports(config_filename=str(C.REPO_ROOT / "pyproject.toml"), no_cache=True)
    assert rc == 0, out.getvalue()


def test_no_import_inside_a_function_or_class():
    offenders = []
    for path in harness_files():
        offenders += [f"{path.relative_to(C.REPO_ROOT)}:{node.lineno}"
                      for node, inside in imports(path) if inside]
    assert not offenders, "imports inside a function or class: " + ", ".join(offenders)


def test_no_import_cycle_between_harness_modules():
    graph: Dict[str, Set[str]] = {}
    for path in harness_files():
        graph[module_name(path)] = imported_modules(path)
    # a package's __init__ is a module of its own; importing harness.x.y also runs harness.x
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if n not in graph or n == m:
                continue
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_nothing_imports_the_command_line_layer():
    """No harness module outside ringlab.cli imports it, nor the plugin (tasks.py is the CLI's
    one user; its own tests are tests/test_cli.py; pytest loads the plugin)."""
    users = []
    for path in harness_files():
        if module_name(path).startswith((f"{PACKAGE}.cli", f"{PACKAGE}.plugin")):
            continue
        if any(m.startswith((f"{PACKAGE}.cli", f"{PACKAGE}.plugin"))
               for m in imported_modules(path)):
            users.append(str(path.relative_to(C.REPO_ROOT)))
    assert not users, "modules importing ringlab.cli or ringlab.plugin: " + ", ".join(users)


def test_tasks_imports_only_the_command_line_layer():
    harness = set()
    for node, _ in imports(C.REPO_ROOT / "tasks.py"):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
            harness |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            harness |= {a.name for a in node.names if a.name.startswith(PACKAGE)}
    assert harness and all(m.startswith(f"{PACKAGE}.cli") for m in harness), harness


def python_files_of_the_project() -> List[Path]:
    tops = [C.REPO_ROOT / "tasks.py", C.REPO_ROOT / "setup.py"]
    return harness_files() + tops + sorted((C.REPO_ROOT / "tests").rglob("*.py")) + \
        sorted((C.REPO_ROOT / "examples").rglob("*.py"))


def test_one_import_name_ringlab_never_harness():
    offenders = []
    for path in python_files_of_the_project():
        for node, _ in imports(path):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level \
                else []
            if any(n.split(".")[0] == "harness" for n in names):
                offenders.append(f"{path.relative_to(C.REPO_ROOT)}:{node.lineno}")
    assert not offenders, "import ringlab, not harness: " + ", ".join(offenders)
    assert "harness" not in sys.modules and C.PACKAGE_DIR == HARNESS
    assert not (C.REPO_ROOT / PACKAGE).exists(), "ringlab is harness/ringlab, not a link"
