"""The layout of server/: one package per stage, imports only downward (docs/architecture.md).

import-linter checks the contracts written in pyproject.toml; these tests run it, and show that
it fails when a stage imports one above it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

STAGES = ["common", "sources", "builder", "release", "engine", "linking", "web", "cli"]
# lint-imports, run by this interpreter (the console script may not be on PATH)
LINT = [sys.executable, "-c", "import sys, importlinter.cli as c; sys.exit(c.lint_imports_command())"]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([*LINT, "--no-cache"], cwd=root, env=environment, capture_output=True, text=True, timeout=120)


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "server", tmp_path / "server", ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_import_contract_is_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_way"),
    [
        ("common/vocab.py", "from server.web import app"),  # a basic importing the web surface
        ("builder/dumps.py", "from server.release.release import Release"),  # the build importing its result
        ("engine/workers.py", "import flask"),  # a query worker importing Flask
        ("builder/dumps.py", "import rich.progress"),  # a stage drawing its own progress bar
    ],
)
def test_a_wrong_way_import_breaks_the_contract(tmp_path, module, wrong_way):
    root = copy_of_the_package(tmp_path)
    path = root / "server" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{wrong_way}  # noqa\n", encoding="utf-8")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_the_stages_are_the_packages_of_server():
    packages = sorted(p.name for p in (ROOT / "server").iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_it_holds_and_may_import(stage):
    docstring = ast.get_docstring(ast.parse((ROOT / "server" / stage / "__init__.py").read_text(encoding="utf-8")))
    assert docstring and "import" in docstring


def test_the_architecture_page_names_every_stage():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for stage in STAGES:
        assert f"server/{stage}/" in page
