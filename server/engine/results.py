"""Write SELECT and ASK results in the four SPARQL results formats, with honest truncation.

A result cut at the row cap says so: SPARQL JSON gets ``"truncated": true`` at
its top level and a ``link`` in its head, SPARQL XML a ``<link>`` in its head
(both forms the result formats allow), and the response a header (set by the
caller). CSV and TSV have no place to say it, so a cut result is refused in
them rather than served as if complete.

>>> from pyoxigraph import Literal, NamedNode, Variable
>>> rows = [{"s": NamedNode("http://e/a"), "o": Literal("x", language="ja")}]
>>> write_results("tsv", [Variable("s"), Variable("o")], rows).decode()
'?s\\t?o\\n<http://e/a>\\t"x"@ja\\n'
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from collections.abc import Sequence
from xml.sax.saxutils import escape
from xml.sax.saxutils import quoteattr

from pyoxigraph import BlankNode
from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import Triple
from pyoxigraph import Variable

TRUNCATED_LINK = "urn:x-sparql-results:truncated"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

Row = Mapping[str, object]


def write_results(name: str, variables: Sequence[Variable], rows: Sequence[Row], *, truncated: bool = False) -> bytes:
    """Serialise solutions in format `name` (json, xml, csv, tsv)."""
    names = [variable.value for variable in variables]
    return _WRITERS[name](names, rows, truncated)


def write_boolean(name: str, value: bool) -> bytes:
    """Serialise an ASK answer (CSV and TSV: the word on one line, as Oxigraph does)."""
    if name == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if name == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
            f"<boolean>{'true' if value else 'false'}</boolean></sparql>"
        ).encode()
    return (b"true" if value else b"false") + b"\n"


def json_term(term) -> dict:
    """A term as SPARQL JSON results write it: {"type": "uri" | "bnode" | "literal" | "triple", "value": ...}."""
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out: dict = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, Triple):
        return {
            "type": "triple",
            "value": {
                "subject": json_term(term.subject),
                "predicate": json_term(term.predicate),
                "object": json_term(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def _write_json(names: list[str], rows: Sequence[Row], truncated: bool) -> bytes:
    head: dict = {"vars": names}
    if truncated:
        head["link"] = [TRUNCATED_LINK]
    bindings = [{name: json_term(value) for name, value in row.items() if value is not None} for row in rows]
    document: dict = {"head": head, "results": {"bindings": bindings}}
    if truncated:
        document["truncated"] = True
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _xml_term(term) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"not an RDF term: {term!r}")


def _write_xml(names: list[str], rows: Sequence[Row], truncated: bool) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(name)}/>" for name in names]
    if truncated:
        out.append(f"<link href={quoteattr(TRUNCATED_LINK)}/>")
    out.append("</head><results>")
    for row in rows:
        out.append("<result>")
        out += [
            f"<binding name={quoteattr(name)}>{_xml_term(value)}</binding>"
            for name, value in row.items()
            if value is not None
        ]
        out.append("</result>")
    out.append("</results></sparql>")
    return "".join(out).encode()


def _csv_term(term) -> str:
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        return "_:" + term.value
    if isinstance(term, NamedNode | Literal):
        return term.value
    return str(term)


def _write_csv(names: list[str], rows: Sequence[Row], truncated: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_csv_term(row.get(name)) for name in names])
    return buffer.getvalue().encode()


def _tsv_term(term) -> str:
    # N-Triples forms, as the TSV format asks; newlines and tabs are escaped there.
    return "" if term is None else str(term)


def _write_tsv(names: list[str], rows: Sequence[Row], truncated: bool) -> bytes:
    lines = ["\t".join("?" + name for name in names)]
    lines += ["\t".join(_tsv_term(row.get(name)) for name in names) for row in rows]
    return ("\n".join(lines) + "\n").encode()


_WRITERS = {"json": _write_json, "xml": _write_xml, "csv": _write_csv, "tsv": _write_tsv}
TRUNCATION_SIGNALLED = frozenset({"json", "xml"})
