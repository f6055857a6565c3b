"""The documentation stays true: README's commands, CI, and every setting."""

import dataclasses
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from server.common.config import COMMANDS
from server.common.config import Config
from server.common.config import build_parser
from server.common.errors import EXIT_CODES

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


def readme_settings() -> list[tuple[str, str, list[str]]]:
    """(variable, flag, commands) of each row of README's configuration table."""
    rows = re.findall(r"^\| `(LOD_\w+)` \| `(--[\w-]+)` \| ([\w ,]+) \|", README, flags=re.M)
    names = [command.name for command in COMMANDS]
    return [(variable, flag, names if used == "all" else used.split(", ")) for variable, flag, used in rows]


def test_readme_documents_each_setting_with_the_commands_that_take_it():
    documented = {variable: (flag, sorted(used)) for variable, flag, used in readme_settings()}
    declared = {
        f"LOD_{field.name.upper()}": ("--" + field.name.replace("_", "-"), sorted(field.metadata["commands"]))
        for field in dataclasses.fields(Config)
    }
    assert documented == declared


@pytest.mark.parametrize("variable, flag, commands", readme_settings(), ids=lambda value: str(value))
def test_each_documented_flag_is_taken_by_the_commands_it_is_documented_for(variable, flag, commands):
    parser = build_parser()
    choices = {"--" + field.name.replace("_", "-"): field.metadata["choices"] for field in dataclasses.fields(Config)}
    value = (choices[flag] or ("1",))[0]  # a value the flag takes: its first choice, if it has choices
    for command in COMMANDS:
        argv = [command.name, flag, value]
        if command.name == "link":
            argv += ["names.csv", "--column", "name"]
        args, unknown = parser.parse_known_args(argv)
        assert (unknown == []) == (command.name in commands), (command.name, flag)


def test_readme_command_table_has_each_command():
    rows = re.findall(r"^\| `(\w+)` \| (.+?) \| `(python3 -m server .+?)` \|$", README, flags=re.M)
    assert [name for name, _, _ in rows] == [command.name for command in COMMANDS]
    for name, _, example in rows:
        args, unknown = build_parser().parse_known_args(shlex.split(example)[3:])
        assert (args.command, unknown) == (name, [])


def test_readme_exit_codes_are_the_command_line_s():
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", README, flags=re.M)
    assert {int(code) for code, _ in rows} == set(EXIT_CODES)


MODELLING = (ROOT / "docs" / "modelling.md").read_text(encoding="utf-8")
# A statement quoted in full: a code span `<subject> predicate object ...` whose subject is one of our IRIs.
QUOTED_STATEMENT = re.compile(r"`(<(?:id|graph)/[^>`]+>\s+[^`\s]+\s+[^`]+)`")
TURTLE_PREFIXES = """
@prefix mic: <ontology/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix schema: <https://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
"""


def test_every_statement_the_modelling_note_quotes_is_in_the_graph():
    from pyoxigraph import RdfFormat
    from rdflib import Graph

    from server.builder.pipeline import load_dataset

    config = Config(root=ROOT)
    graph = Graph()
    store = load_dataset(config)
    for name in store.named_graphs():
        graph.parse(data=store.dump(format=RdfFormat.N_TRIPLES, from_graph=name), format="nt")
    quoted = QUOTED_STATEMENT.findall(MODELLING)
    assert len(quoted) >= 5, quoted
    for statement in quoted:
        triples = Graph().parse(data=TURTLE_PREFIXES + statement + " .", format="turtle", publicID=config.base_iri)
        missing = [triple for triple in triples if triple not in graph]
        assert not missing, f"docs/modelling.md quotes `{statement}`, which the graph does not hold: {missing}"
