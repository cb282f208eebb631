"""The house rules that hold across modules (DESIGN.md, issue 11): the core imports no
platform or scheduler library; ``bot/`` and ``digests/`` have no import cycle; an import
inside a function says why on its line; modules and functions stay short unless a comment
says why."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import digests

ROOT = Path(__file__).parents[1]
PACKAGES = ("bot", "digests")
FORBIDDEN = ("telegram", "discord", "apscheduler")
MODULE_LINES = 400
FUNCTION_LINES = 80
LONG_MODULE = "# long module:"
LONG_FUNCTION = "# long function:"
# How far into a module its "# long module:" comment may be.
LONG_MODULE_HEAD = 15


def test_core_imports_no_platform_library() -> None:
    modules = [m.name for m in pkgutil.walk_packages(digests.__path__, "digests.")]
    assert "digests.store" in modules and "digests.render.renderer" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"digests imported: {result.stdout.strip()}"


def test_the_check_would_catch_a_platform_import() -> None:
    # The same probe, run on a module that does import one, must report it.
    code = (
        "import sys, telegram\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "telegram" in result.stdout


# --- the import graph ----------------------------------------------------------------


def sources(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Module name → file, for every module of ``packages`` under ``root``."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, at any depth (functions included), except ``if TYPE_CHECKING:``
    bodies: those imports never run, so they cannot make a cycle at run time."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for other in node.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield node
        yield from _runtime_nodes(node)


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The project's modules that ``module`` imports, wherever the import statement is.
    ``from a import b`` is an edge to ``a.b`` when that is a module, else to ``a``."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                whole = f"{base}.{alias.name}"
                found.add(whole if whole in known else base)
    return {name for name in found if name in known and name != module}


def import_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    modules = sources(root, packages)
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as one
    closed path through it, so a failure shows how the modules import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_closed_path(graph, component) for component in components]


def _closed_path(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A path from the component's first module back to itself (breadth-first)."""
    start = min(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & component):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"not a cycle: {sorted(component)}")


def test_bot_and_digests_have_no_import_cycle() -> None:
    graph = import_graph(ROOT)
    assert "bot.discord.commands" in graph and "digests.store._outbox" in graph
    assert "digests.i18n" in graph["digests.actions"]
    found = [" → ".join(path) for path in cycles(graph)]
    assert found == [], "import cycles:\n" + "\n".join(found)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_cycle_check_sees_imports_hidden_in_functions(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import thing\n",
            "pkg/b.py": "def thing():\n    from pkg import c\n",
            "pkg/c.py": "from . import a\n",
            "pkg/d.py": "import pkg.a\n",
            "pkg/e.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.d\n",
            "pkg/sub/__init__.py": "from .f import x\n",
            "pkg/sub/f.py": "from ..e import y\nx = 1\n",
        },
    )
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.c"] == {"pkg.a"}
    assert graph["pkg.e"] == set()
    assert graph["pkg.sub"] == {"pkg.sub.f"}
    assert graph["pkg.sub.f"] == {"pkg.e"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]


def unexplained_local_imports(path: Path, root: Path) -> list[str]:
    """Imports inside a function without a comment on their line saying why (issue 11: only
    to delay loading a platform library, or to break a cycle, and then say which)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text, str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in _runtime_nodes(node):
            if (
                isinstance(inner, ast.Import | ast.ImportFrom)
                and "#" not in lines[inner.lineno - 1]
            ):
                found.append(f"{path.relative_to(root).as_posix()}:{inner.lineno}")
    return sorted(set(found))


def test_imports_inside_functions_say_why() -> None:
    found = [p for path in sources(ROOT).values() for p in unexplained_local_imports(path, ROOT)]
    assert found == [], "imports inside functions without a reason:\n" + "\n".join(found)


def test_the_local_import_check_wants_a_comment_on_the_line(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        "import os\n"
        "def f():\n"
        "    import json\n"
        "    import discord  # loads discord.py only when it is used\n"
        "    def g():\n"
        "        from pkg import a\n",
        encoding="utf-8",
    )
    assert unexplained_local_imports(path, tmp_path) == ["m.py:3", "m.py:6"]


# --- sizes ---------------------------------------------------------------------------


def _explained_above(lines: list[str], first: int, marker: str) -> bool:
    """Whether the run of comment lines directly above line ``first`` (1-based) holds
    one starting with ``marker``."""
    at = first - 2
    while at >= 0 and lines[at].strip().startswith("#"):
        if lines[at].strip().startswith(marker):
            return True
        at -= 1
    return False


def size_problems(path: Path, root: Path) -> list[str]:
    """What breaks the size rule in one file, one line each."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    name = path.relative_to(root).as_posix()
    problems = []
    head = [line.strip() for line in lines[:LONG_MODULE_HEAD]]
    if len(lines) > MODULE_LINES and not any(line.startswith(LONG_MODULE) for line in head):
        problems.append(f"{name}: {len(lines)} lines")
    for node in ast.walk(ast.parse(text, str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if length > FUNCTION_LINES and not _explained_above(lines, first, LONG_FUNCTION):
            problems.append(f"{name}:{node.lineno} {node.name}(): {length} lines")
    return problems


def test_modules_and_functions_are_short_unless_a_comment_says_why() -> None:
    problems = [p for path in sources(ROOT).values() for p in size_problems(path, ROOT)]
    assert problems == [], "too long:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("head", "marker", "body_lines", "flagged"),
    [
        ("", "", 80, False),
        ("", "", 81, True),
        ("# long function: one table of cases, clearer whole\n", "", 81, False),
        ("# long function: one table of cases,\n# clearer whole\n", "@decorator\n", 81, False),
        ("# long function: not directly above\n\n", "", 81, True),
        ("# a comment without the marker\n", "", 81, True),
    ],
)
def test_the_size_check_reads_the_long_function_comment(
    tmp_path: Path, head: str, marker: str, body_lines: int, flagged: bool
) -> None:
    # body_lines counts the def line too.
    body = "".join("    x = 1\n" for _ in range(body_lines - 1))
    path = tmp_path / "m.py"
    path.write_text(f"{head}{marker}def f():\n{body}", encoding="utf-8")
    assert bool(size_problems(path, tmp_path)) is flagged


@pytest.mark.parametrize(
    ("comment_at", "total", "flagged"),
    [(None, 400, False), (None, 401, True), (1, 401, False), (15, 401, False), (16, 401, True)],
)
def test_the_size_check_reads_the_long_module_comment(
    tmp_path: Path, comment_at: int | None, total: int, flagged: bool
) -> None:
    lines = ["x = 1"] * total
    if comment_at is not None:
        lines[comment_at - 1] = "# long module: one table that reads best whole"
    path = tmp_path / "m.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert bool(size_problems(path, tmp_path)) is flagged
