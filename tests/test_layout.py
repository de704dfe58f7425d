"""The layout the code base promises: one package per format that imports no other format, a
foundation and a build engine that know no format, no import cycles, one registry."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from conftest import REPO

from cae_export.pipeline import Target
from cae_export.registry import TARGET_LIST, TARGETS

PACKAGE = REPO / "cae_export"
FORMATS = sorted(p.name for p in (PACKAGE / "formats").iterdir()
                 if (p / "__init__.py").is_file())


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every cae_export module ``path`` imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("cae_export"):
                yield node.module
                for alias in node.names:  # ``from cae_export.formats import eplan``
                    yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("cae_export"))


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name}
            for name, path in modules.items()}


def test_there_is_a_package_per_format() -> None:
    assert FORMATS == ["datasheet", "eclass", "eplan", "etim", "markers"]


def test_no_format_imports_another_format() -> None:
    crossing = []
    for name, imported in graph().items():
        if not name.startswith("cae_export.formats."):
            continue
        own = name.split(".")[2]
        crossing += [(name, m) for m in imported
                     if m.startswith("cae_export.formats.") and m.split(".")[2] != own]
    assert crossing == []


def test_foundation_engine_and_record_know_no_format() -> None:
    lower = ("cae_export.core", "cae_export.pipeline", "cae_export.record", "cae_export.catalog")
    upward = [(name, m) for name, imported in graph().items() if name.startswith(lower)
              for m in imported if m.startswith(("cae_export.formats", "cae_export.registry",
                                                 "cae_export.commands"))]
    assert upward == []
    core = [(name, m) for name, imported in graph().items() if name.startswith("cae_export.core")
            for m in imported if not m.startswith("cae_export.core")]
    assert core == []  # the foundation stands on nothing of the project's


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    return cycles


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    # a package's __init__ importing its own modules is how packages work, not a cycle of logic
    edges = {name: {m for m in imported if not m.startswith(name + ".")}
             for name, imported in graph().items()}
    assert find_cycles(edges) == []


def test_the_registry_is_one_explicit_list_of_targets() -> None:
    assert list(TARGETS) == ["eplan", "edz", "markers", "etim-xlsx", "eclass-xlsx",
                             "etim-xchange", "bmecat"]
    assert all(issubclass(cls, Target) for cls in TARGET_LIST)
    for cls in TARGET_LIST:  # each lives in its format's package
        assert cls.__module__.startswith("cae_export.formats."), cls
