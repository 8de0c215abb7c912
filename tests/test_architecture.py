"""The layering, as contracts on imports: read from the source, so they hold whatever runs.

- the engine never imports textual or rich (it has no user interface);
- the app and the command line (`quizapp/`) use the engine only through its public API,
  `engine/__init__.py`;
- a lower layer never imports a higher one (the table below: each subpackage and what it
  may import from the engine).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

ENGINE, QUIZAPP = REPO / "engine", REPO / "quizapp"

# Each part of the engine, and the parts of the engine it may import (besides itself).
MAY_IMPORT: dict[str, set[str]] = {
    "engine.errors": set(),
    "engine.settings": set(),
    "engine.render": {"engine.expr"},
    "engine.expr": {"engine.errors"},
    "engine.references": {"engine.errors", "engine.expr"},
    "engine.checking": {"engine.errors", "engine.expr"},
    "engine.decks": {"engine.errors", "engine.render", "engine.expr", "engine.references", "engine.checking"},
    "engine.storage": {"engine.errors", "engine.checking.verdict", "engine.settings"},
    "engine.study": {
        "engine.errors",
        "engine.settings",
        "engine.decks",
        "engine.checking",
        "engine.storage",
        "engine.render",
        "engine.expr",
    },
    "engine.authoring": {
        "engine.errors",
        "engine.decks",
        "engine.checking",
        "engine.expr",
        "engine.references",
        "engine.render",
    },
    "engine.export": {"engine.errors", "engine.decks", "engine.checking", "engine.expr", "engine.render"},
}
UI_PACKAGES = ("textual", "rich", "textual_plotext")


def imports(source: str) -> Iterator[tuple[int, str]]:
    """Every module a source imports (absolute names), with its line."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "engine":  # `from engine import X`: the API, or a subpackage
                for alias in node.names:
                    yield node.lineno, f"engine.{alias.name}" if alias.name in MAY_IMPORT_NAMES else "engine"
            else:
                yield node.lineno, node.module


MAY_IMPORT_NAMES = {part.split(".")[1] for part in MAY_IMPORT}


def part_of(module: str) -> str | None:
    """The layer a module belongs to: the longest key of MAY_IMPORT it falls under."""
    matches = [part for part in MAY_IMPORT if module == part or module.startswith(part + ".")]
    return max(matches, key=len) if matches else None


def allowed(importer: str, imported: str) -> bool:
    own = part_of(importer)
    if own is None or imported == "engine" or not imported.startswith("engine."):
        return True
    if part_of(imported) == own:
        return True
    return any(imported == rule or imported.startswith(rule + ".") for rule in MAY_IMPORT[own])


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def violations(path: Path, source: str) -> list[str]:
    """What `source` (the file at `path`) imports that its layer may not."""
    name = module_name(path)
    found = []
    for line, imported in imports(source):
        where = f"{path.relative_to(REPO)}:{line} imports {imported}"
        if name.startswith("engine") and imported.split(".")[0] in UI_PACKAGES:
            found.append(f"{where}: the engine has no user interface")
        elif name.startswith("quizapp") and imported.startswith("engine."):
            found.append(f"{where}: the app uses the engine's public API only (from engine import ...)")
        elif name.startswith("engine") and not allowed(name, imported):
            found.append(f"{where}: {part_of(name)} may not import {part_of(imported)}")
    return found


def sources() -> list[Path]:
    return sorted([*ENGINE.rglob("*.py"), *QUIZAPP.rglob("*.py")])


def test_every_engine_module_belongs_to_a_layer() -> None:
    unplaced = [str(p) for p in ENGINE.rglob("*.py") if p.name != "__init__.py" or p.parent != ENGINE]
    assert [p for p in unplaced if part_of(module_name(Path(p))) is None] == []


def test_the_imports_keep_to_the_layers() -> None:
    found = [v for path in sources() for v in violations(path, path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize(
    ("path", "source", "complaint"),
    [
        (ENGINE / "decks" / "loader.py", "from textual.widgets import Static\n", "no user interface"),
        (ENGINE / "storage" / "log.py", "from engine.study.session import Answered\n", "may not import"),
        (ENGINE / "decks" / "cards.py", "import engine.storage.log\n", "may not import"),
        (ENGINE / "expr" / "parser.py", "from engine.decks.cards import Card\n", "may not import"),
        (
            ENGINE / "checking" / "equivalence.py",
            "from engine.decks.kinds import check_answer\n",
            "may not import",
        ),
        (QUIZAPP / "app.py", "from engine.study.session import StudySession\n", "public API only"),
    ],
)
def test_a_forbidden_import_is_caught(path: Path, source: str, complaint: str) -> None:
    (found,) = violations(path, source)
    assert complaint in found


def test_the_public_api_names_only_what_exists() -> None:
    import engine

    for name in engine.__all__:
        assert getattr(engine, name) is not None, name


def test_importing_the_engine_is_free() -> None:
    import subprocess
    import sys

    script = "import sys, engine; print(sorted(m for m in sys.modules if m.startswith(('engine.', 'numpy', 'sympy', 'torch'))))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "[]"


def test_the_api_document_lists_every_name() -> None:
    import engine

    document = (REPO / "docs" / "engine-api.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(\w+)` \| `([\w.]+)` \|$", document, re.M))
    assert listed == set(engine._EXPORTS.items())


def test_the_app_imports_only_names_the_api_exports() -> None:
    """`from engine import X` is checked here, since the API's lazy loading hides a typo from mypy."""
    import engine

    unknown = [
        f"{path.relative_to(REPO)}:{node.lineno} {alias.name}"
        for path in QUIZAPP.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "engine"
        for alias in node.names
        if alias.name not in engine._EXPORTS
    ]
    assert unknown == []


def _imported_names(source: str) -> Iterator[tuple[str, str]]:
    """(module, name) for each `from module import name` in `source` and in the Python
    programs it carries as string constants (a benchmark runs its app in a fresh interpreter)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield from ((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "import " in node.value:
            try:
                yield from _imported_names(node.value)
            except SyntaxError:
                continue


def test_the_benchmarks_import_what_exists() -> None:
    """Benchmarks are not run by the suite; a moved name must not break them unseen."""
    import importlib

    missing = []
    for path in sorted((REPO / "benchmarks").glob("*.py")):
        for module, name in _imported_names(path.read_text(encoding="utf-8")):
            if module == "__future__" or not module.startswith(("engine", "quizapp")):
                continue
            if not hasattr(importlib.import_module(module), name):
                missing.append(f"{path.name}: from {module} import {name}")
    assert missing == []


def test_the_tests_mirror_the_packages() -> None:
    """tests/engine/decks/ tests engine/decks/, and so on: a test is found where its code is."""
    tests = REPO / "tests"
    folders = [p for p in tests.rglob("*") if p.is_dir() and p.name not in {"__pycache__", "fixtures"}]
    mirrored = [
        p.relative_to(tests) for p in folders if "__snapshots__" not in p.parts and "fixtures" not in p.parts
    ]
    assert [str(p) for p in mirrored if not (REPO / p).is_dir()] == []
