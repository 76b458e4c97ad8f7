"""The harness's architecture, enforced: layers (import-linter contracts in pyproject.toml),
no harness import inside a function, no import cycle between harness modules, and no harness
module imports the command-line layer (tasks.py, which imports only that layer, is its user)."""
from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path
from typing import Dict, List, Set

import pytest
from importlinter.cli import lint_imports

from harness.core import constants as C

pytestmark = pytest.mark.unit

HARNESS = C.REPO_ROOT / "harness"
#: runs inside gdb's own Python, beside its sibling ringfmt.py (not as part of the package)
GDB_SIDE = HARNESS / "debug" / "gdbext" / "ringlab.py"


def harness_files() -> List[Path]:
    return sorted(p for p in HARNESS.rglob("*.py") if p != GDB_SIDE)


def module_name(path: Path) -> str:
    parts = path.relative_to(C.REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, tree: ast.AST) -> Set[str]:
    """The harness modules ``path`` imports (absolute names; ``from . import x`` counts x if
    it is a module)."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "harness"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "harness":
                continue
            found.add(target)
            for a in node.names:          # `from .. import lab`: the module harness.lab
                sub = f"{target}.{a.name}"
                if (C.REPO_ROOT / Path(*sub.split("."))).with_suffix(".py").exists() or \
                        (C.REPO_ROOT / Path(*sub.split(".")) / "__init__.py").exists():
                    found.add(sub)
    return found


def parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


def test_import_linter_contracts_hold():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = lint_imports(config_filename=str(C.REPO_ROOT / "pyproject.toml"), no_cache=True)
    assert rc == 0, out.getvalue()


def test_no_import_inside_a_function_or_class():
    offenders = []
    for path in harness_files():
        for node in ast.walk(parse(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        offenders.append(f"{path.relative_to(C.REPO_ROOT)}:{inner.lineno}")
    assert not offenders, "imports inside a function or class: " + ", ".join(offenders)


def test_no_import_cycle_between_harness_modules():
    graph: Dict[str, Set[str]] = {}
    for path in harness_files():
        graph[module_name(path)] = imported_modules(path, parse(path))
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
    """No harness module outside harness.cli imports it (tasks.py is its one user; its own
    tests are tests/test_cli.py)."""
    users = []
    for path in harness_files():
        if module_name(path).startswith("harness.cli"):
            continue
        if any(m.startswith("harness.cli") for m in imported_modules(path, parse(path))):
            users.append(str(path.relative_to(C.REPO_ROOT)))
    assert not users, "modules importing harness.cli: " + ", ".join(users)


def test_tasks_imports_only_the_command_line_layer():
    tree = parse(C.REPO_ROOT / "tasks.py")
    harness = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("harness"):
            harness |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            harness |= {a.name for a in node.names if a.name.startswith("harness")}
    assert harness and all(m.startswith("harness.cli") for m in harness), harness
