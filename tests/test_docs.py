"""The documentation stays true: README's commands, CI, and every setting."""

import dataclasses
import re
from pathlib import Path

from server.config import Config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README)[:2]


def test_readme_opens_with_serve_and_test_commands():
    serve, test = readme_commands()
    assert "pip install" in serve and "serve" in serve
    assert "pip install" in test and "pytest" in test
    assert README.index(serve) < 400


def test_ci_runs_the_readme_test_command():
    _, test = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()


def test_every_setting_is_documented_in_readme():
    for field in dataclasses.fields(Config):
        assert f"LOD_{field.name.upper()}" in README, field.name
