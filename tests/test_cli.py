"""The command-line tool: validate, build, serve, each command's help, usage errors and every exit code."""

from __future__ import annotations

import dataclasses
import re
import shlex
import shutil
import socket
import subprocess
import sys

import pytest
import requests
from rdflib import Graph
from rdflib.namespace import SH

from server.cli.main import main
from server.common.config import COMMANDS
from server.common.config import GROUPS
from server.common.config import Config
from server.common.config import build_parser
from server.common.config import settings_of
from server.common.errors import EXIT_BUG
from server.common.errors import EXIT_CODES
from server.common.errors import EXIT_ENGINE
from server.common.errors import EXIT_INTERRUPTED
from server.common.errors import EXIT_INVALID
from server.common.errors import EXIT_SYSTEM
from server.common.errors import EXIT_USAGE
from tests.conftest import MINI
from tests.conftest import ROOT
from tests.conftest import free_port
from tests.conftest import start_serve


def copy_project(tmp_path):
    target = tmp_path / "project"
    shutil.copytree(MINI, target)
    return target


def test_validate_passes_on_conforming_data_and_writes_the_report(tmp_path, capsys):
    build = tmp_path / "build"
    assert main(["validate", "--root", str(MINI), "--build-dir", str(build)], {}) == 0
    assert "conforms" in capsys.readouterr().out
    report = Graph().parse(build / "validation-report.ttl")
    assert [str(v) for v in report.objects(None, SH.conforms)] == ["true"]


def test_validate_fails_with_a_readable_report_when_a_shape_is_broken(tmp_path, capsys):
    project = copy_project(tmp_path)
    meeting = project / "data" / "passages" / "B1.ttl"
    meeting.write_text(
        meeting.read_text(encoding="utf-8").replace('"2023-04-29"^^xsd:date', '"April 2023"'),
        encoding="utf-8",
    )
    code = main(["validate", "--root", str(project), "--build-dir", str(tmp_path / "b")], {})
    out = capsys.readouterr().out
    assert code == 1
    assert "g7-digital-tech-ministers-meeting-2023" in out
    assert "start date" in out


def test_build_refuses_data_breaking_a_shape(tmp_path, capsys):
    project = copy_project(tmp_path)
    meeting = project / "data" / "passages" / "B1.ttl"
    meeting.write_text(meeting.read_text(encoding="utf-8").replace("mic:startDate", "mic:organizer"), "utf-8")
    code = main(["build", "--root", str(project), "--build-dir", str(tmp_path / "b")], {})
    assert code == 1
    assert "refused" in capsys.readouterr().err


def test_syntax_error_names_the_file(tmp_path, capsys):
    project = copy_project(tmp_path)
    (project / "data" / "passages" / "A1.ttl").write_text("<a> <b> .\n", encoding="utf-8")
    code = main(["validate", "--root", str(project), "--build-dir", str(tmp_path / "b")], {})
    assert code == EXIT_INVALID
    err = capsys.readouterr().err
    assert "A1.ttl" in err and "line 1 column 9" in err
    assert "Traceback" not in err


def test_a_shapes_file_that_does_not_parse_is_named_with_its_line(tmp_path, capsys):
    project = copy_project(tmp_path)
    with (project / "shapes" / "mini.ttl").open("a", encoding="utf-8") as handle:
        handle.write("this is not turtle\n")
    code = main(["validate", "--root", str(project), "--build-dir", str(tmp_path / "b")], {})
    err = capsys.readouterr().err
    assert code == EXIT_INVALID
    assert "mini.ttl" in err and "line 11" in err
    assert "Traceback" not in err


def test_bad_base_iri_is_refused_at_start(capsys):
    assert main(["validate", "--base-iri", "https://example.org/no-slash"], {}) == 2
    assert "must end with '/'" in capsys.readouterr().err


def test_environment_sets_options_and_flags_override_it(tmp_path):
    from server.common.config import Config

    command, config = Config.from_args_and_env(
        ["serve", "--port", "9001"], {"LOD_PORT": "9000", "LOD_ROOT": str(MINI), "LOD_THREADS": "3"}
    )
    assert (command, config.port, config.threads, config.root) == ("serve", 9001, 3, MINI)


def test_serve_subprocess_answers_on_the_port_it_prints(tmp_path):
    process, url, _ = start_serve("--root", str(MINI), "--build-dir", str(tmp_path / "build"))
    try:
        assert requests.get(url, timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


BROKEN = sorted((ROOT / "tests" / "data" / "broken").glob("*.ttl"))


def copy_bundled_project(tmp_path):
    target = tmp_path / "bundled"
    for folder in ("ontology", "data", "shapes", "source", "links"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


def test_validate_passes_on_the_bundled_graph(tmp_path, capsys):
    assert main(["validate", "--build-dir", str(tmp_path / "b")], {}) == 0
    assert "conforms to every shape" in capsys.readouterr().out


@pytest.mark.parametrize("fixture", BROKEN[:: max(1, len(BROKEN) // 6)], ids=lambda path: path.stem)
def test_validate_command_fails_on_a_broken_fixture_naming_the_resource(fixture, tmp_path, capsys):
    project = copy_bundled_project(tmp_path)
    shutil.copy(fixture, project / "data" / "broken.ttl")
    code = main(["validate", "--root", str(project), "--build-dir", str(tmp_path / "b")], {})
    out = capsys.readouterr().out
    focus = next(line.split(":", 1)[1].strip() for line in fixture.read_text("utf-8").splitlines()
                 if line.startswith("# focus:"))
    assert code == 1
    assert out.splitlines()[0].startswith(tuple(f"{n} violation" for n in range(1, 100)))
    if focus != "_:blank":
        assert f"/{focus}>" in out
    assert (tmp_path / "b" / "validation-report.ttl").is_file()


# --- help, usage and exit codes ------------------------------------------------------------------


def test_top_level_help_lists_each_command_with_its_purpose_and_the_exit_codes(capsys):
    assert main(["--help"], {}) == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for command in COMMANDS:
        assert f"{command.name} {command.purpose}" in out
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {meaning}" in out


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_each_command_help_shows_its_purpose_example_and_only_its_settings(command, capsys):
    assert main([command.name, "--help"], {}, prog="python3 -m server") == 0
    out = capsys.readouterr().out
    assert " ".join(command.purpose.split()) in " ".join(out.split())
    example = command.example.format(prog="python3 -m server")
    assert f"example:\n  {example}\n" in out
    own = settings_of(command.name)
    for field in dataclasses.fields(Config):
        flag = "--" + field.name.replace("_", "-")
        assert (re.search(rf"^  {flag}\b", out, flags=re.M) is not None) == (field in own), flag
    headings = [line[:-1] for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")]
    groups = [group for group in GROUPS if any(field.metadata["group"] == group for field in own)]
    assert [heading for heading in headings if heading in GROUPS] == groups
    # the example is a command line the parser takes
    args, unknown = build_parser().parse_known_args(shlex.split(example)[3:])
    assert (args.command, unknown) == (command.name, [])


def test_a_flag_of_another_command_is_refused_naming_the_command_that_takes_it(capsys):
    assert main(["build", "--port", "8081"], {}) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "build takes no '--port'" in err and "a setting of serve" in err


@pytest.mark.parametrize(
    "argv, environ, expected",
    [
        ([], {}, "the following arguments are required: COMMAND"),
        (["compile"], {}, "invalid choice: 'compile'"),
        (["serve", "--port", "eighty"], {}, "bad value 'eighty' for --port (LOD_PORT): expected a whole number"),
        (["serve"], {"LOD_WORKERS": "many"}, "bad value 'many' for --workers (LOD_WORKERS)"),
        (["build", "--progress", "loud"], {}, "invalid choice: 'loud'"),
        (["validate"], {"LOD_PROGRESS": "loud"}, "bad value 'loud' for --progress (LOD_PROGRESS): one of auto"),
        (["link", "names.csv"], {}, "the following arguments are required: --column"),
        (["publish"], {}, "publish needs --engine-update-url and --engine-store-url"),
    ],
)
def test_usage_errors_exit_2_saying_what_is_wrong(argv, environ, expected, capsys):
    assert main(argv, environ) == EXIT_USAGE
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_publish_to_an_engine_that_cannot_be_reached_exits_3(tmp_path, capsys):
    closed = f"http://127.0.0.1:{free_port()}"
    argv = ["publish", "--root", str(MINI), "--build-dir", str(tmp_path / "b"),
            "--engine-update-url", closed + "/update", "--engine-store-url", closed + "/store"]
    assert main(argv, {}) == EXIT_ENGINE
    err = capsys.readouterr().err
    assert "cannot be reached" in err and "Traceback" not in err


def test_a_build_folder_that_cannot_be_made_exits_4(tmp_path, capsys):
    (tmp_path / "file").write_text("a file, not a folder", encoding="utf-8")
    assert main(["build", "--root", str(MINI), "--build-dir", str(tmp_path / "file" / "build")], {}) == EXIT_SYSTEM
    err = capsys.readouterr().err
    assert "Not a directory" in err and str(tmp_path / "file") in err


def test_a_port_already_taken_exits_4_naming_it(tmp_path):
    """In a process of its own: waitress leaves the socket it could not bind open."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "server", "serve", "--root", str(MINI), "--build-dir", str(tmp_path / "b"),
             "--port", str(port), "--workers", "1", "--log-level", "WARNING"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == EXIT_SYSTEM
    assert done.stderr.strip() == f"python3 -m server: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_ctrl_c_exits_130_without_a_traceback(tmp_path, monkeypatch, capsys):
    class Interrupted:
        def read(self):
            raise KeyboardInterrupt  # what Ctrl-C does to a command reading its standard input

    monkeypatch.setattr("sys.stdin", Interrupted())
    assert main(["link", "-", "--column", "name", "--root", str(MINI)], {}) == EXIT_INTERRUPTED
    assert capsys.readouterr().err.strip() == "mic-lod: interrupted"


def test_an_unexpected_error_exits_70_in_one_line(tmp_path, monkeypatch, capsys):
    """A bug cannot be made on purpose; a failing stage stands for one."""

    def broken(config):
        raise RuntimeError("a bug")

    monkeypatch.setattr("server.release.release.build_release", broken)
    assert main(["build", "--root", str(MINI), "--build-dir", str(tmp_path / "b")], {}) == EXIT_BUG
    err = capsys.readouterr().err
    assert "unexpected error, please report it: RuntimeError: a bug" in err
    assert "Traceback" not in err


def test_engine_profile_setting_names_the_profiles_the_engine_knows(capsys):
    from server.common.config import ENGINE_PROFILES
    from server.engine.profiles import NAMES

    assert ENGINE_PROFILES == NAMES
    assert main(["publish", "--engine-profile", "fuseki"], {}) == EXIT_USAGE
    assert "invalid choice: 'fuseki'" in capsys.readouterr().err
    assert main(["publish"], {"LOD_ENGINE_PROFILE": "fuseki"}) == EXIT_USAGE
    assert "one of auto, sparql11, oxigraph, virtuoso" in capsys.readouterr().err


@pytest.mark.parametrize(
    "column, value, expected",
    [
        (-1, "", "links.tsv:3: a verified link needs a source"),
        (3, "群馬県", "links.tsv:3: the identifier '群馬県' has no IRI form"),
    ],
    ids=["no source", "identifier with no IRI form"],
)
def test_a_bad_verified_link_names_the_file_and_line(tmp_path, capsys, column, value, expected):
    project = copy_bundled_project(tmp_path)
    tsv = project / "links" / "links.tsv"
    lines = tsv.read_text(encoding="utf-8").splitlines()
    cells = lines[2].split("\t")
    cells[column] = value  # the row on line 3
    lines[2] = "\t".join(cells)
    tsv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["validate", "--root", str(project), "--build-dir", str(tmp_path / "b")], {})
    err = capsys.readouterr().err
    assert code == EXIT_INVALID
    assert expected in err


PUBLICATION_RULES = {  # broken fixture -> words of the message `validate` must print
    "distribution-published-by-mic": "never be MIC",
    "terms-of-use-as-a-second-licence": "not a second licence",
    "identifier-listed-for-another-entity": "does not list for it",
    "position-against-the-text-order": "follow the order of the text",
    "goal-not-in-goal-scheme": "goal scheme",
    "budget-in-force": "belongs to the law",
}


@pytest.mark.parametrize("fixture", sorted(PUBLICATION_RULES))
def test_validate_refuses_data_breaking_a_publication_rule(fixture, tmp_path, capsys):
    project = copy_bundled_project(tmp_path)
    shutil.copy(ROOT / "tests" / "data" / "broken" / f"{fixture}.ttl", project / "data" / "broken.ttl")
    code = main(["validate", "--root", str(project), "--build-dir", str(tmp_path / "b")], {})
    out = capsys.readouterr().out
    assert code == 1
    assert any(line.startswith("Violation") and PUBLICATION_RULES[fixture] in line for line in out.splitlines()), out
