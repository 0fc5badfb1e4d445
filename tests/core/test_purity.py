"""The core stays pure: no I/O frameworks, no clock reads."""

from __future__ import annotations

import ast
from pathlib import Path

import app.core

CORE = Path(app.core.__file__).parent
FORBIDDEN_MODULES = {
    "asyncio",
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "uvicorn",
    "websockets",
    "httpx",
    "pydantic",
    "time",
    "socket",
    "threading",
    "os",
    "random",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_io_framework():
    """No module of app/core imports asyncio, the web framework, the ORM or the clock."""
    offenders = {
        path.name: sorted(_imports(path) & FORBIDDEN_MODULES) for path in CORE.rglob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}
    assert len(offenders) >= 8


def test_core_never_reads_the_clock():
    """Nothing in app/core calls datetime.now(), utcnow() or today()."""
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today"}:
                assert isinstance(node.value, ast.Name) and node.value.id not in {
                    "datetime",
                    "date",
                }, f"{path.name}:{node.lineno} reads the clock"


def test_core_randomness_is_seeded():
    """The core may use random.Random(seed) only, never the global generator."""
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "random"
            ):
                assert node.attr == "Random", f"{path.name}:{node.lineno} uses random.{node.attr}"
