"""The shape of the code: no import cycle between our modules, no oversized module."""

import ast
from pathlib import Path

from django.conf import settings

PACKAGES = ("docregistry", "physicians", "institutions", "authority", "qualifications")
ROOT = Path(settings.BASE_DIR)


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if {"tests", "migrations"} & set(path.parts):
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(name: str, path: Path, modules) -> set[str]:
    """Our modules that ``name`` imports anywhere (inside functions too)."""
    found = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package[: len(package) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {target for target in targets if target in modules and target != name}
    # Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first: edges to those packages
    # too, except the packages ``name`` itself lives in (already being imported when it runs).
    for target in list(found):
        parts = target.split(".")
        for end in range(1, len(parts)):
            parent = ".".join(parts[:end])
            if parent in modules and parent != name and not name.startswith(f"{parent}."):
                found.add(parent)
    return found


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    cycles = []

    def visit(name, trail):
        for dependency in graph[name]:
            if dependency in trail:
                cycles.append(" → ".join([*trail[trail.index(dependency) :], dependency]))
            elif dependency not in done:
                visit(dependency, [*trail, dependency])
        done.add(name)

    done: set[str] = set()
    for name in graph:
        if name not in done:
            visit(name, [name])
    assert cycles == []


MAX_LINES = 480  # "about 450": split a module by concern before it grows past this


def test_no_application_module_is_oversized():
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these modules by concern: {long}"
