"""The house's floors: imports flow one way, down.

    signal, errors, logs, processes, stored_texts  <-  records  <-  projects, backups
                    <-  analysis, accounts  <-  annotations  <-  reports  <-  api, web

A module may import its own app and any app on a lower floor; never an app on its own
floor or above, neither at module level nor inside a function (a function-level import
that dodges a cycle is still the cycle). No app looks up another app's model by name
(``apps.get_model``) to avoid an import. Migrations are left out: they use the historical
models Django gives them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "wavetag"

FLOORS = {
    "signal": 0,
    "errors": 0,
    "logs": 0,
    "processes": 0,
    "stored_texts": 0,
    "records": 1,
    "projects": 2,
    "backups": 2,
    "analysis": 3,
    "accounts": 3,
    "annotations": 4,
    "reports": 5,
    "api": 6,
    "web": 6,
}
# Project-level modules an app may use: the server command starts the WSGI application.
ENTRY_POINTS = {("web", "wsgi")}


def _room(module: str) -> str | None:
    """The app (or ground-floor module) a dotted ``wavetag.*`` name belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "wavetag" else None


def _imported(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """Every ``wavetag`` module an import names, relative imports resolved."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from wavetag import signal``: the names are modules too.
            found += [(node.lineno, f"{module}.{a.name}") for a in node.names]
    return [(line, m) for line, m in found if m.startswith("wavetag.")]


def upward_imports(source: str, module: str) -> list[str]:
    """The imports of ``module`` (its dotted name, its source) that break the floors."""
    here = _room(module)
    if here not in FLOORS:
        return []
    package = module if module.endswith("__init__") else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    problems = []
    for line, target in _imported(ast.parse(source), package):
        there = _room(target)
        if there is None or there == here:
            continue
        if there in FLOORS and FLOORS[there] < FLOORS[here]:
            continue
        if (here, there) in ENTRY_POINTS:
            continue
        problems.append(f"{module}:{line} imports {target} ({here} -> {there})")
    return problems


def lookups_by_name(source: str, module: str) -> list[str]:
    """``apps.get_model(...)`` calls: a model reached without its import."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get_model"
        ):
            problems.append(f"{module}:{node.lineno} looks up a model by name")
    return problems


def _modules() -> list[tuple[str, str]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent)
        if "migrations" in rel.parts:
            continue
        out.append((".".join(rel.with_suffix("").parts), path.read_text()))
    return out


class TestFloors:
    def test_the_package_is_read(self) -> None:
        rooms = {_room(m) for m, _ in _modules()}
        assert set(FLOORS) <= rooms, f"apps missing from the scan: {set(FLOORS) - rooms}"

    def test_no_import_goes_up_or_sideways(self) -> None:
        problems = [p for module, src in _modules() for p in upward_imports(src, module)]
        assert problems == []

    def test_no_model_is_looked_up_by_name(self) -> None:
        problems = [p for module, src in _modules() for p in lookups_by_name(src, module)]
        assert problems == []

    @pytest.mark.parametrize(
        ("module", "source"),
        [
            # Module level, absolute.
            ("wavetag.records.models", "from wavetag.projects.models import Project\n"),
            # Inside a function: still a cycle.
            ("wavetag.projects.services", "def f():\n    from wavetag.annotations import x\n"),
            # Relative, two levels up into a sibling on the same floor.
            ("wavetag.analysis.jobs", "from ..accounts.models import ViewerSettings\n"),
            # The signal core reaching an app.
            ("wavetag.signal.qrs", "import wavetag.records.store\n"),
        ],
    )
    def test_the_check_sees_a_broken_floor(self, module: str, source: str) -> None:
        assert upward_imports(source, module)

    def test_the_check_allows_a_lower_floor(self) -> None:
        source = (
            "from wavetag.projects.models import Task\n"
            "from ..records.models import Record\n"
            "from .models import Annotation\n"
            "from wavetag.errors import InvalidInput\n"
        )
        assert upward_imports(source, "wavetag.annotations.services") == []

    def test_the_check_sees_a_lookup_by_name(self) -> None:
        source = 'def f(apps):\n    return apps.get_model("projects", "Membership")\n'
        assert lookups_by_name(source, "wavetag.records.access")

    def test_the_signal_core_does_not_import_django(self) -> None:
        for module, source in _modules():
            if _room(module) not in ("signal", "errors"):
                continue
            for node in ast.walk(ast.parse(source)):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                assert not any(n.split(".")[0] == "django" for n in names), module


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def import_graph() -> dict[str, set[str]]:
    """Module -> the ``wavetag`` modules it imports (at any level, not for type checking
    only), each import resolved to a module of the package."""
    modules = dict(_modules())
    graph: dict[str, set[str]] = {}
    for module, source in modules.items():
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if _is_type_checking(node):
                node.body = []  # type: ignore[attr-defined]
        package = module.removesuffix(".__init__")
        if not module.endswith("__init__"):
            package = package.rsplit(".", 1)[0]
        targets = set()
        for _, name in _imported(tree, package):
            for candidate in (name, f"{name}.__init__"):
                if candidate in modules and candidate != module:
                    targets.add(candidate)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a circle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


class TestCycles:
    def test_no_modules_import_each_other(self) -> None:
        assert cycles(import_graph()) == []

    def test_the_check_sees_a_circle(self) -> None:
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        assert cycles(graph) == [["a", "b", "c"]]
