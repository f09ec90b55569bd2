"""Every package the portal's code imports is declared in pyproject.toml, so a fresh install has it."""

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
OWN = {"services", "shared", "portal", "ministry_sdk", "bench", "tests", "tools"}
RUNTIME = ("services", "shared", "portal", "ministry_sdk")


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;~!]", r)[0].lower().replace("_", "-") for r in requirements}


def _imported(top: str) -> set[frozenset[str]]:
    """For each imported package, the distributions that could provide it (several for a namespace package)."""
    distributions = importlib.metadata.packages_distributions()
    found: set[frozenset[str]] = set()
    for file in (ROOT / top).rglob("*.py"):
        if "node_modules" in file.parts:
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for module in modules:
                root = module.split(".")[0]
                if root not in sys.stdlib_module_names and root not in OWN:
                    found.add(frozenset(d.lower().replace("_", "-") for d in distributions.get(root, [root])))
    return found


def test_the_portal_imports_only_what_it_declares_and_its_tests_only_what_the_dev_group_adds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = _names(project["project"]["dependencies"])
    dev = runtime | _names(project["dependency-groups"]["dev"])
    imported = set().union(*(_imported(top) for top in RUNTIME))
    assert [sorted(d) for d in imported if not d & runtime] == []
    assert [sorted(d) for d in _imported("tests") | _imported("bench") if not d & dev] == []
