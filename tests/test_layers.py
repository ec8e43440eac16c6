"""The house's one rule of direction: an app imports only apps to its left, and the shared
ground in partnerscore/ imports no app (wiring and the demo world excepted)."""

import ast
from pathlib import Path

from tests.helpers import ROOT

ORDER = ["partners", "kpis", "assessments", "feedback"]
WIRING = {"urls.py", "api_urls.py", "celery.py", "wsgi.py", "asgi.py", "settings.py"}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ORDER)


def test_apps_import_only_apps_to_their_left():
    wrong = []
    for position, app in enumerate(ORDER):
        allowed = set(ORDER[: position + 1])
        for path in (ROOT / app).rglob("*.py"):
            extra = imported_apps(path) - allowed
            if extra:
                wrong.append(f"{path.relative_to(ROOT)} imports {sorted(extra)}")
    assert wrong == []


def test_the_shared_ground_imports_no_app():
    ground = ROOT / "partnerscore"
    wrong = [
        f"{path.relative_to(ROOT)} imports {sorted(imported_apps(path))}"
        for path in ground.rglob("*.py")
        if path.name not in WIRING
        and "demo" not in path.parts
        and "management" not in path.parts
        and imported_apps(path)
    ]
    assert wrong == []
