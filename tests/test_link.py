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


# --- bad files and outputs: a message naming where, exit 2, no traceback, nothing written ---------


@pytest.mark.parametrize(
    "text, message",
    [
        ("no,name\n1,NICT\n2,G7,extra\n", "line 3: 3 fields, but the header names 2"),
        ("no,name\n1," + "x" * 200_000 + "\n", "line 2: a field is longer than 131072 characters"),
        ('no,name\n1,"NICT\n', "line 2: malformed CSV (unexpected end of data)"),
    ],
    ids=["extra-field", "huge-field", "open-quote"],
)
def test_link_command_refuses_a_malformed_csv_naming_the_line(tmp_path, capsys, text, message):
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    target = tmp_path / "out.csv"
    assert main(["link", str(source), "--column", "name", "--output", str(target)], environ={}) == 2
    err = capsys.readouterr().err
    assert f"{source}, {message}" in err and "Traceback" not in err
    assert not target.exists()


@pytest.mark.parametrize("where", ["folder", "missing/out.csv"])
def test_link_command_refuses_an_output_it_cannot_write(tmp_path, capsys, where):
    source = tmp_path / "in.csv"
    source.write_text("name\nNICT\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    assert main(["link", str(source), "--column", "name", "--output", str(tmp_path / where)], environ={}) == 2
    err = capsys.readouterr().err
    assert "--output" in err and "Traceback" not in err


FORMULAS = ["=1+1", "+81-3-0000", "-2", "@SUM(A1)", "\tx", "\rx"]


def test_link_csv_neutralises_every_formula_looking_cell(index):
    rows = [{"name": "NICT", "note": formula} for formula in FORMULAS]
    source = io.StringIO()
    writer = csv.DictWriter(source, fieldnames=["=name", "note"])
    writer.writeheader()
    writer.writerows({"=name": row["name"], "note": row["note"]} for row in rows)
    out = io.StringIO()
    link_csv(io.StringIO(source.getvalue()), out, index, column="=name")
    written = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert written[0][0] == "'=name"
    assert [row[1] for row in written[1:]] == ["'" + formula for formula in FORMULAS]
    raw = io.StringIO()
    link_csv(io.StringIO(source.getvalue()), raw, index, column="=name", keep_formulas=True)
    assert [row[1] for row in csv.reader(io.StringIO(raw.getvalue(), newline=""))][1:] == FORMULAS


def test_link_csv_neutralises_the_label_it_adds():
    from pyoxigraph import Literal
    from pyoxigraph import NamedNode
    from pyoxigraph import Quad
    from pyoxigraph import Store

    from server.common.vocab import Iris

    label = '=HYPERLINK("http://evil.example","NICT")'
    store = Store()
    subject = NamedNode(BASE + "id/organization/x")
    store.add(Quad(subject, NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), Literal(label, language="en")))
    out = io.StringIO()
    link_csv(io.StringIO(f'name\n"{label.replace(chr(34), chr(34) * 2)}"\n'), out, build_index(store, Iris(BASE)),
             column="name")
    row = read_csv(out.getvalue())[0]
    assert row["iri"] == subject.value
    assert row["label"] == "'" + label and row["name"] == "'" + label


def test_link_command_keeps_formulas_raw_when_asked(tmp_path, make_config):
    source = tmp_path / "in.csv"
    source.write_text("name,note\nNICT,=1+1\n", encoding="utf-8")
    target = tmp_path / "out.csv"
    build = make_config().release_dir
    argv = ["link", str(source), "--column", "name", "--output", str(target), "--keep-formulas"]
    assert main(argv, environ={"LOD_BUILD_DIR": str(build)}) == 0
    assert not build.exists()
    assert read_csv(target.read_text(encoding="utf-8"))[0]["note"] == "=1+1"
