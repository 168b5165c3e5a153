"""Only app/engine may import SpiffWorkflow (STYLE.md habit 4)."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def _imports_spiff(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(n.split(".")[0].lower() == "spiffworkflow" for n in names):
            return True
    return False


def test_only_the_engine_package_imports_spiffworkflow():
    offenders = [
        str(p.relative_to(APP.parent))
        for p in APP.rglob("*.py")
        if "engine" not in p.relative_to(APP).parts[:1] and _imports_spiff(p)
    ]
    assert offenders == []


def test_the_boundary_check_sees_engine_imports():
    assert _imports_spiff(APP / "engine" / "runtime.py")
