"""The command-line tool: validate, build, serve, and their exit codes."""

from __future__ import annotations

import shutil

import pytest
import requests
from rdflib import Graph
from rdflib.namespace import SH

from server.cli.main import main
from tests.conftest import MINI
from tests.conftest import ROOT
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
    assert code == 2
    assert "A1.ttl" in capsys.readouterr().err


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
