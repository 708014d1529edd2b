"""The architecture, checked (issue 12's rules): imports run one way -- no circle among the
project's modules, type-only imports included; ``autograd`` never imports ``nn``; only
``autograd.drawing`` imports graphviz; ``nn.textbook`` uses no autograd; no module is
shadowed by a function of its package; no source module over 800 lines and no function
over 60 in ``autograd/`` and ``nn/``; every ``__all__`` sorted."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn")


def modules() -> dict[str, Path]:
    """Every module of the packages by dotted name (a package's ``__init__`` by the package's)."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imported(path: Path, known: Mapping[str, Path]) -> set[str]:
    """The project modules ``path`` imports anywhere (inside functions and ``TYPE_CHECKING``
    blocks too); ``from pkg import name`` counts as ``pkg.name`` when that is a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known
                          else node.module)
    return {name for name in found if name in known}


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """A circle of imports in ``graph`` (module -> modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in graph:
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        path = [start]
        if state.get(start):
            continue
        state[start] = 1
        while stack:
            node, targets = stack[-1]
            for target in targets:
                if state.get(target) == 1:
                    return path[path.index(target):] + [target]
                if not state.get(target):
                    state[target] = 1
                    stack.append((target, iter(sorted(graph.get(target, ())))))
                    path.append(target)
                    break
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return None


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(path, known) - {name} for name, path in known.items()}


def test_no_import_circle() -> None:
    assert find_cycle(graph()) is None, find_cycle(graph())


def test_negative_control_a_circle_is_found() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_layers_run_one_way() -> None:
    edges = graph()
    for name, targets in edges.items():
        if name.startswith("autograd"):
            assert not any(t.startswith("nn") for t in targets), f"{name} imports nn"
    texts = {name: path.read_text(encoding="utf-8") for name, path in modules().items()}
    users = sorted(name for name, text in texts.items() if "import graphviz" in text)
    assert users == ["autograd.drawing"]
    assert not any(t.startswith("autograd") for t in edges["nn.textbook"])
    assert "autograd" not in texts["nn.textbook"].split('"""', 2)[2]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_shadowed_by_a_function_of_its_package(package: str) -> None:
    """``autograd.trace`` is the function: its module is ``autograd.tracing`` (and so on)."""
    pkg = importlib.import_module(package)
    for name in modules():
        head, _, short = name.rpartition(".")
        if head == package and hasattr(pkg, short):
            assert getattr(pkg, short) is importlib.import_module(name), f"{name} is shadowed"


def test_modules_and_functions_stay_short() -> None:
    long_modules, long_functions = [], []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 800:
            long_modules.append((name, text.count("\n")))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    long_functions.append((name, node.name, length))
    assert not long_modules and not long_functions, (long_modules, long_functions)


def _isort_key(name: str) -> tuple[int, str]:
    """isort's order for ``__all__`` (ruff's RUF022): CONSTANTS, then Classes, then the rest."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_all_is_sorted(name: str) -> None:
    exported = getattr(importlib.import_module(name), "__all__", None)
    if exported is not None:
        assert list(exported) == sorted(exported, key=_isort_key), name
