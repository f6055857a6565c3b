"""The documentation stays true: README's commands, CI, and every setting."""

import dataclasses
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from server.common.config import Config

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


def readme_curl_examples() -> list[str]:
    lines = []
    for block in re.findall(r"```sh\n(.+?)\n```", README, flags=re.S)[2:]:
        lines += [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith("curl ")]
    return lines


def test_readme_has_curl_examples_for_each_endpoint():
    joined = "\n".join(readme_curl_examples())
    for path in ("/sparql", "/id/", "/ontology", "/download/", "/.well-known/void"):
        assert path in joined, path


@pytest.mark.parametrize("example", readme_curl_examples())
def test_readme_curl_example_answers_as_shown(example, any_server, tmp_path):
    """Each curl line of README, run as written against a live server, succeeds."""
    argv = shlex.split(example.replace("http://127.0.0.1:8080", any_server.url))
    argv[1:1] = ["--silent", "--show-error", "--fail", "--max-time", "20", "--output", str(tmp_path / "body")]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "body").stat().st_size > 0


def test_readme_provenance_query_finds_the_passage_and_its_text(client):
    query = re.search(r"```sparql\n(.+?)\n```", README, flags=re.S).group(1)
    response = client.get("/sparql", query_string={"query": query})
    rows = response.get_json()["results"]["bindings"]
    assert [row["passage"]["value"].rsplit("/", 1)[-1] for row in rows] == ["F5"]
    assert "恒久的な基金を設置" in rows[0]["text"]["value"]
