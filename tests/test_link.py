"""The `link` command: a CSV goes in, the same CSV comes back with iri, label, score and match."""

from __future__ import annotations

import csv
import io

import pytest

from server.cli.main import main
from server.linking.link import LinkError
from server.linking.link import link_csv
from server.linking.search import build_index
from tests.conftest import BASE


@pytest.fixture
def index(release):
    return build_index(release.store, release.iris)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_link_command_round_trips_a_csv(tmp_path, make_config, capsys):
    rows = [
        {"no": "1", "name": "ＪＩＣＴ", "note": 'full-width, with a comma, and "quotes"'},
        {"no": "2", "name": "National Institute of Information and Communications Technology", "note": ""},
        {"no": "3", "name": "国立研究開発法人情報通信研究機構", "note": "改行\nあり"},
        {"no": "4", "name": "関係機関", "note": "no resource"},
        {"no": "5", "name": "", "note": "empty name"},
    ]
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["no", "name", "note"])
        writer.writeheader()
        writer.writerows(rows)
    target = tmp_path / "out.csv"
    build = make_config().release_dir
    argv = ["link", str(source), "--column", "name", "--output", str(target)]
    assert main(argv, environ={"LOD_BUILD_DIR": str(build)}) == 0
    linked = read_csv(target.read_text(encoding="utf-8"))
    assert list(linked[0]) == ["no", "name", "note", "iri", "label", "score", "match"]
    assert [{k: row[k] for k in ("no", "name", "note")} for row in linked] == rows
    assert linked[0]["iri"] == BASE + "id/organization/jict"
    assert linked[0]["label"] == "株式会社海外通信・放送・郵便事業支援機構"
    assert linked[0]["match"] == "true"
    assert linked[1]["iri"] == linked[2]["iri"] == BASE + "id/organization/nict"
    assert linked[1]["score"] == linked[2]["score"] == "100"
    assert linked[3]["match"] == "false"
    assert linked[4]["iri"] == "" and linked[4]["match"] == "false"
    assert not build.exists()  # nothing written: the graph is built in memory


def test_link_command_without_column_exits_2(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("name\nNICT\n", encoding="utf-8")
    assert main(["link", str(source)], environ={}) == 2
    assert "--column" in capsys.readouterr().err


def test_link_command_with_an_unknown_column_exits_2_naming_the_columns(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("name,note\nNICT,x\n", encoding="utf-8")
    assert main(["link", str(source), "--column", "nom"], environ={}) == 2
    assert "name, note" in capsys.readouterr().err


def test_link_csv_writes_to_the_given_stream(index):
    out = io.StringIO()
    assert link_csv(io.StringIO("name\nNICT\nG7\n"), out, index, column="name") == 2
    rows = read_csv(out.getvalue())
    assert [row["iri"] for row in rows] == [BASE + "id/organization/nict", BASE + "id/organization/g7"]
    assert rows[0]["label"] == "National Institute of Information and Communications Technology"


def test_link_csv_type_keeps_only_that_class(index):
    out = io.StringIO()
    link_csv(io.StringIO("name\nG7\n"), out, index, column="name", type_name="schema:Event")
    row = read_csv(out.getvalue())[0]
    assert row["iri"].startswith(BASE + "id/event/")
    assert row["match"] == "false"


def test_link_csv_keeps_existing_result_columns_in_place(index):
    out = io.StringIO()
    link_csv(io.StringIO("iri,name\nold,NICT\n"), out, index, column="name")
    assert out.getvalue().splitlines()[0] == "iri,name,label,score,match"
    assert read_csv(out.getvalue())[0]["iri"] == BASE + "id/organization/nict"


def test_link_csv_refuses_an_unknown_type(index):
    with pytest.raises(LinkError, match="NoSuchClass"):
        link_csv(io.StringIO("name\nG7\n"), io.StringIO(), index, column="name", type_name="NoSuchClass")
