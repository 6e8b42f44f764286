"""The import graph: apps depend one way, shared machinery sits below, cores are pure."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: a module may import its own layer and those before it, never later.
LAYERS = [
    "evalsite.rendering",
    "evalsite.imports",
    "generations",
    "annotations",
    "judges",
    "consistency",
    "reports",
]
PURE_CORES = [
    "annotations.allocation",
    "annotations.quality",
    "annotations.sequential",
    "annotations.sequential_rules",
    "reports.statistics",
    "judges.verdicts",
    "judges.prompting",
    "consistency.statistics",
    "consistency.conversation",
    "generations.authoring_methods",
]
DJANGO = {"django", "rest_framework", "drf_spectacular"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    """Every module of the layers (packages or single modules), by dotted name
    (migrations included)."""
    modules = {}
    for layer in LAYERS:
        package = ROOT.joinpath(*layer.split("."))
        paths = (
            package.rglob("*.py") if package.is_dir() else [package.with_suffix(".py")]
        )
        for path in paths:
            modules[_module_name(path)] = path
    return modules


SOURCES = _sources()


def _imports(name: str, path: Path) -> set[str]:
    """The dotted names a module imports, relative imports resolved, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join([*base, *([node.module] if node.module else [])])
            else:
                stem = node.module
            found.add(stem)
            # ``from x import y`` may import the submodule x.y.
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


IMPORTS = {name: _imports(name, path) for name, path in SOURCES.items()}


def _layer(module: str) -> int | None:
    for rank, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return rank
    return None


def _upward_imports(layer: str) -> list[str]:
    rank = LAYERS.index(layer)
    return sorted(
        f"{name} imports {target}"
        for name, targets in IMPORTS.items()
        if _layer(name) == rank
        for target in targets
        if (_layer(target) or 0) > rank
    )


def test_the_scan_sees_every_layer():
    for layer in LAYERS:
        assert any(_layer(name) == LAYERS.index(layer) for name in SOURCES), layer
    assert "annotations.services.imports" in IMPORTS
    assert "evalsite.imports.reader" in IMPORTS["annotations.services.imports"]


def test_generations_imports_neither_annotations_nor_reports():
    assert _upward_imports("generations") == []


def test_annotations_does_not_import_reports():
    assert _upward_imports("annotations") == []


def test_shared_import_machinery_imports_no_app():
    assert _upward_imports("evalsite.imports") == []


def test_renderer_imports_no_app():
    assert "evalsite.rendering" in IMPORTS
    assert _upward_imports("evalsite.rendering") == []


def _with_packages(module: str) -> list[str]:
    """A module and the packages whose ``__init__`` importing it runs."""
    parts = module.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


@pytest.mark.parametrize("core", PURE_CORES)
def test_pure_core_imports_nothing_from_django(core):
    """Followed through the project's own modules, their packages' __init__ included."""
    todo = [
        *_with_packages(core),
        *(name for name in IMPORTS if name.startswith(core + ".")),
    ]
    seen, offending = set(), []
    while todo:
        name = todo.pop()
        if name in seen or name not in IMPORTS:
            continue
        seen.add(name)
        for target in IMPORTS[name]:
            if target.partition(".")[0] in DJANGO:
                offending.append(f"{name} imports {target}")
            todo.extend(_with_packages(target))
    assert core in seen
    assert offending == []
