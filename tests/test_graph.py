"""The knowledge graph itself: it conforms, every shape can fire, and it is traced, labelled and linked.

The data is loaded exactly as the server loads it (server.builder.pipeline.load_dataset: server.sources and
server.load into a pyoxigraph store), from the project folder above this file, then copied into an
rdflib Dataset for the checks written with rdflib.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import pytest
from conftest import as_rdflib
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from rdflib import BNode
from rdflib import Graph
from rdflib import Literal
from rdflib import URIRef
from rdflib.namespace import OWL
from rdflib.namespace import PROV
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import SH
from rdflib.namespace import SKOS
from rdflib.namespace import VOID

from server.builder.pipeline import load_dataset
from server.builder.reference import union_graph
from server.builder.reference import validate_graph
from server.builder.report import load_shapes
from server.builder.shacl import validate_store
from server.common.config import Config
from server.sources.find import find_shapes

ROOT = Path(__file__).resolve().parent.parent
BROKEN = Path(__file__).resolve().parent / "data" / "broken"
CONFIG = Config(root=ROOT)
BASE = CONFIG.base_iri

ONTOLOGY_GRAPH = URIRef(BASE + "graph/ontology")
SOURCE_GRAPH = URIRef(BASE + "graph/source")
LINKS_GRAPH = URIRef(BASE + "graph/links")


def mic(name: str) -> URIRef:
    return URIRef(BASE + "ontology/" + name)


def passage_ids() -> list[str]:
    with (ROOT / "source" / "passages.tsv").open(encoding="utf-8", newline="") as handle:
        return [row["id"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]


PASSAGES = passage_ids()


@pytest.fixture(scope="module")
def dataset():
    return as_rdflib(load_dataset(CONFIG))


@pytest.fixture(scope="module")
def union(dataset):
    return union_graph(dataset)


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(find_shapes(CONFIG), base_iri=BASE)


def graph(dataset, name: str) -> Graph:
    return dataset.graph(URIRef(BASE + "graph/" + name))


def data_graphs(dataset):
    """Every named graph except the ontology (and the empty default graph)."""
    return [g for g in dataset.graphs() if len(g) and g.identifier != ONTOLOGY_GRAPH]


# ---------------------------------------------------------------- SHACL


def test_bundled_graph_conforms(union, shapes):
    report = validate_graph(union, shapes)
    assert report.conforms, report.text()
    assert not report.problems


def _fixture_header(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    focus = re.search(r"^# focus: (\S+)$", text, re.M)
    where = re.search(r"^# path: (\S+)$", text, re.M)
    assert focus and where, f"{path.name} needs '# focus:' and '# path:' header lines"
    return focus.group(1), where.group(1)


BROKEN_FIXTURES = sorted(BROKEN.glob("*.ttl"))


def test_there_is_a_broken_fixture_for_every_shape(shapes):
    named = {re.search(r"sh-mic:(\w+) fire", p.read_text(encoding="utf-8")).group(1) for p in BROKEN_FIXTURES}
    node_shapes = {str(s).rsplit("/", 1)[-1] for s in shapes.subjects(RDF.type, SH.NodeShape)}
    assert node_shapes <= named, f"shapes with no broken fixture: {sorted(node_shapes - named)}"


@pytest.fixture(scope="module")
def bundled_nquads() -> bytes:
    return load_dataset(CONFIG).dump(format=RdfFormat.N_QUADS)


@pytest.mark.parametrize("fixture", BROKEN_FIXTURES, ids=[p.stem for p in BROKEN_FIXTURES])
def test_broken_fixture_makes_its_shape_fire(fixture, bundled_nquads, shapes):
    """The validator of record (test_shacl.py checks it gives pySHACL's results on every fixture)."""
    focus, where = _fixture_header(fixture)
    store = Store()
    store.load(bundled_nquads, format=RdfFormat.N_QUADS)
    before = len(store)
    store.load(path=str(fixture), format=RdfFormat.TURTLE, base_iri=BASE, to_graph=NamedNode(BASE + "graph/broken"))
    assert len(store) > before, "the fixture adds nothing"

    report = validate_store(store, shapes)
    assert not report.conforms
    results = [
        (report.graph.value(r, SH.focusNode), report.graph.value(r, SH.resultPath), r)
        for r in report.graph.subjects(RDF.type, SH.ValidationResult)
    ]

    def focus_matches(node) -> bool:
        return isinstance(node, BNode) if focus == "_:blank" else node == URIRef(BASE + focus)

    def path_matches(path) -> bool:
        if where == "-":
            return path is None
        expected = URIRef(where if where.startswith("http") else BASE + where)
        return path == expected

    hits = [r for f, p, r in results if focus_matches(f) and path_matches(p)]
    assert hits, f"expected a violation at {focus} {where}; got:\n{report.text()}"
    text = report.text()  # what `validate` prints: the resource, the property, what is wrong
    for hit in hits:
        assert report.graph.value(hit, SH.resultSeverity) == SH.Violation
        message = str(report.graph.value(hit, SH.resultMessage) or "")
        assert message, "a violation needs a plain-English message"
        assert any(message in line and "Violation" in line for line in text.splitlines()), text
    if focus != "_:blank":
        assert f"<{BASE}{focus}>" in text


# ---------------------------------------------------------------- passages and provenance


@pytest.mark.parametrize("passage_id", PASSAGES)
def test_every_passage_graph_states_something(dataset, passage_id):
    g = graph(dataset, passage_id)
    passage = URIRef(BASE + "id/passage/" + passage_id)
    assert len(g) > 0, f"graph/{passage_id} is empty"
    statements = [t for t in g if t[1] != PROV.wasDerivedFrom]
    assert statements, f"graph/{passage_id} states nothing but provenance"
    assert (None, PROV.wasDerivedFrom, passage) in g


def test_there_are_exactly_23_passages():
    assert len(PASSAGES) == 23
    assert sorted(p.stem for p in (ROOT / "data" / "passages").glob("*.ttl")) == sorted(PASSAGES)


@pytest.mark.parametrize("passage_id", PASSAGES)
def test_every_resource_of_a_passage_graph_is_traced_to_that_passage(dataset, passage_id):
    """Every subject, and every resource of ours used as an object, carries prov:wasDerivedFrom
    this passage inside this passage's graph; so any triple can be traced to a passage by SPARQL."""
    g = graph(dataset, passage_id)
    passage = URIRef(BASE + "id/passage/" + passage_id)
    ours = BASE + "id/"
    untraced = set()
    for s, p, o in g:
        if (s, PROV.wasDerivedFrom, passage) not in g:
            untraced.add(s)
        if (
            isinstance(o, URIRef)
            and str(o).startswith(ours)
            and not str(o).startswith(BASE + "id/passage/")
            and p != SKOS.inScheme
            and (o, PROV.wasDerivedFrom, passage) not in g
        ):
            untraced.add(o)
    assert not untraced, f"not traced to {passage_id}: {sorted(untraced)}"


@pytest.mark.parametrize("passage_id", PASSAGES)
def test_every_passage_graph_is_described_in_provenance(dataset, passage_id):
    prov = graph(dataset, "provenance")
    g = URIRef(BASE + "graph/" + passage_id)
    assert (g, PROV.wasDerivedFrom, URIRef(BASE + "id/passage/" + passage_id)) in prov
    assert (g, RDF.type, mic("PassageGraph")) in prov


def test_section_headings_are_headings_of_the_text(dataset):
    """A passage's mic:sectionHeading is a heading the source text has, as written; captions (C1-C4) have none."""
    text = (ROOT / "source" / "mic-2023-business-guide-international-strategy-bureau.txt").read_text(encoding="utf-8")
    source = graph(dataset, "source")
    headings = {str(p).rsplit("/", 1)[-1]: h for p, h in source.subject_objects(mic("sectionHeading"))}
    assert set(headings) == set(PASSAGES) - {"C1", "C2", "C3", "C4"}
    for passage_id, heading in headings.items():
        assert heading.language == "ja"
        # Written as in the text, where a heading may stand on two lines ("Mission" above 「情報通信技術戦略の推進」).
        assert all(part in text for part in str(heading).split(" ")), (passage_id, str(heading))


def test_passage_graphs_hold_no_passage_triples(dataset):
    """The passages' own triples are generated into graph/source; the passage files must not restate them."""
    for passage_id in PASSAGES:
        g = graph(dataset, passage_id)
        assert not list(g.triples((URIRef(BASE + "id/passage/" + passage_id), None, None)))


def test_the_dataset_is_not_presented_as_mics_publication(dataset):
    prov = graph(dataset, "provenance")
    mic_org = URIRef(BASE + "id/organization/mic")
    ds = URIRef(BASE + "id/dataset/mic-global-strategy-bureau-2023")
    assert (ds, mic("notPublishedBy"), mic_org) in prov
    from rdflib.namespace import DCTERMS

    assert (ds, DCTERMS.publisher, mic_org) not in prov
    assert (ds, DCTERMS.creator, mic_org) not in prov
    attributions = {str(o) for o in prov.objects(ds, mic("attributionStatement"))}
    assert any("加工して作成" in a for a in attributions)
    assert any("総務省2023年度業務案内" in a for a in attributions)


# ---------------------------------------------------------------- what the text says, no more and no less


def _id(path: str) -> URIRef:
    return URIRef(BASE + "id/" + path)


def _ja(union, node) -> str:
    return next(str(o) for o in union.objects(node, RDFS.label) if o.language == "ja")


def test_the_pandemic_triggered_the_acceleration_of_digitalisation_not_digitalisation(union):
    """A3: 「世界的流行等を契機として、社会・経済のデジタル化が加速しており」."""
    pandemic, digitalisation = _id("event/covid-19-pandemic"), _id("trend/digitalisation-of-society-and-economy")
    assert (digitalisation, mic("triggeredBy"), None) not in union
    (triggered,) = set(union.subjects(mic("triggeredBy"), pandemic))
    assert (triggered, mic("changeOf"), digitalisation) in union
    assert "加速" in _ja(union, triggered)
    assert (None, mic("inContextOf"), triggered) in union  # 「こうした中」 in A4


def test_the_relevant_bodies_are_a_partner_of_unnamed_organisations(union):
    """A4: 「ＪＩＣＴや関係機関と連携し」: the 関係機関 are queryable, and said to be unnamed."""
    partners = set(union.objects(_id("activity/promote-digital-infrastructure-overseas"), mic("partner")))
    assert _id("organization/jict") in partners and len(partners) == 2
    (bodies,) = partners - {_id("organization/jict")}
    assert (bodies, RDF.type, mic("UnnamedOrganizations")) in union
    assert _ja(union, bodies).startswith("関係機関")
    assert (bodies, URIRef("http://www.w3.org/ns/org#hasMember"), None) not in union


def test_what_the_text_calls_new_is_found_by_a_query(union):
    """A5 「新たに策定した」 and F5 「新たに…基金を設置し」 (F6 「新たな基金」)."""
    new = set(union.subjects(mic("statedAsNew"), Literal(True)))
    assert new == {_id("plan/overseas-expansion-action-plan-2025"), _id("fund/beyond-5g")}


def test_only_the_law_comes_into_force_and_the_budget_is_passed(union):
    """F5 「同年12月に予算と法律が成立・施行されました」: 施行 belongs to the law."""
    budget, law = _id("budget/beyond-5g-fund-related-budget"), _id("legislation/beyond-5g-fund-related-act")
    assert (budget, mic("inForceFrom"), None) not in union
    assert {str(o) for o in union.objects(budget, mic("passedIn"))} == {"2022-12"}
    assert {str(o) for o in union.objects(law, mic("inForceFrom"))} == {"2022-12"}
    assert any("施行" in str(note) for note in union.objects(budget, SKOS.note))


def test_the_budget_and_the_bill_were_to_set_up_the_fund_and_put_radio_fees_into_it(union):
    """F5 「ＮＩＣＴに新たに恒久的な基金を設置し、電波利用料財源も同基金に充てるため」 governs both."""
    for thing in (_id("budget/beyond-5g-fund-related-budget"), _id("legislation/beyond-5g-fund-related-act")):
        purposes = [str(o) for o in union.objects(thing, mic("purpose")) if o.language == "ja"]
        assert any("基金を設置" in p for p in purposes), purposes
        assert any("電波利用料財源" in p for p in purposes), purposes


def test_goals_are_concepts_of_the_goal_scheme(union):
    """F6 「社会実装・海外展開を目指した研究開発」: what R&D aims at are goals, not activity types."""
    goals = set(union.objects(None, mic("goal")))
    assert len(goals) == 6
    for goal in goals:
        assert (goal, SKOS.inScheme, _id("concept/goal")) in union, goal
        assert (goal, RDF.type, mic("Goal")) in union, goal


# ---------------------------------------------------------------- labels


def _typed_resources(dataset):
    found = set()
    for g in data_graphs(dataset):
        found |= set(g.subjects(RDF.type, None))
    return found


def test_every_entity_has_one_ja_and_one_en_label(dataset, union):
    problems = []
    for resource in _typed_resources(dataset):
        labels = list(union.objects(resource, RDFS.label))
        langs = sorted(getattr(label, "language", None) or "" for label in labels)
        if langs != ["en", "ja"]:
            problems.append((str(resource), langs))
    assert not problems, problems


def test_every_ontology_term_has_one_ja_and_one_en_label(dataset):
    onto = graph(dataset, "ontology")
    problems = []
    for term in set(onto.subjects(RDFS.label, None)):
        langs = sorted(label.language or "" for label in onto.objects(term, RDFS.label))
        if langs != ["en", "ja"]:
            problems.append((str(term), langs))
    assert not problems, problems


def _has_full_or_half_width(text: str) -> bool:
    return unicodedata.normalize("NFKC", text) != text


def test_full_width_labels_have_their_nfkc_form(union):
    """A user typing "G7" or "JICT" must find what the text writes as Ｇ７ or ＪＩＣＴ."""
    missing = []
    for s, p, label in union.triples((None, None, None)):
        if p not in (RDFS.label, SKOS.altLabel) or not isinstance(label, Literal):
            continue
        if not _has_full_or_half_width(str(label)):
            continue
        wanted = unicodedata.normalize("NFKC", str(label))
        forms = {
            str(o)
            for prop in (RDFS.label, SKOS.altLabel, SKOS.hiddenLabel)
            for o in union.objects(s, prop)
            if getattr(o, "language", None) == label.language
        }
        if wanted not in forms:
            missing.append((str(s), str(label), wanted))
    assert not missing, missing


def test_hidden_labels_are_nfkc_forms_and_not_duplicates(union):
    """skos:hiddenLabel holds only search forms: the NFKC form of a label, never a visible label again."""
    problems = []
    for s, hidden in union.subject_objects(SKOS.hiddenLabel):
        visible = [
            o
            for prop in (RDFS.label, SKOS.altLabel)
            for o in union.objects(s, prop)
            if getattr(o, "language", None) == hidden.language
        ]
        if str(hidden) in {str(v) for v in visible}:
            problems.append((str(s), str(hidden), "duplicates a visible label"))
        elif str(hidden) not in {unicodedata.normalize("NFKC", str(v)) for v in visible}:
            problems.append((str(s), str(hidden), "is not the NFKC form of a label"))
    assert not problems, problems


def test_the_g7_meeting_is_found_by_typing_g7(union):
    meeting = URIRef(BASE + "id/event/g7-digital-tech-ministers-meeting-2023")
    forms = {str(o) for p in (RDFS.label, SKOS.altLabel, SKOS.hiddenLabel) for o in union.objects(meeting, p)}
    assert any(f.startswith("G7") for f in forms)
    assert "Ｇ７群馬高崎デジタル･技術大臣会合" in forms  # the text's own wording is kept


def test_terms_used_in_the_data_have_ja_and_en_labels_in_the_ontology(dataset):
    onto = graph(dataset, "ontology")
    used = set()
    for g in data_graphs(dataset):
        for _s, p, o in g:
            used.add(p)
            if p == RDF.type:
                used.add(o)
    missing = []
    for term in used:
        langs = sorted(label.language or "" for label in onto.objects(term, RDFS.label))
        if langs != ["en", "ja"]:
            missing.append((str(term), langs))
    assert not missing, missing


def test_every_minted_term_used_is_declared(dataset):
    onto = graph(dataset, "ontology")
    declared = set(onto.subjects(RDF.type, OWL.Class)) | set(onto.subjects(RDF.type, OWL.ObjectProperty))
    declared |= set(onto.subjects(RDF.type, OWL.DatatypeProperty)) | set(onto.subjects(RDF.type, mic("LabelOrigin")))
    used = set()
    for g in data_graphs(dataset):
        for triple in g:
            used |= {t for t in triple if isinstance(t, URIRef) and str(t).startswith(BASE + "ontology/")}
    assert used - declared == set(), sorted(used - declared)


# ---------------------------------------------------------------- blank nodes and IRIs


def test_no_blank_nodes_anywhere(dataset):
    blank = [(g.identifier, t) for g in dataset.graphs() for t in g if any(isinstance(x, BNode) for x in t)]
    assert not blank, blank[:5]


def test_turtle_files_use_relative_iris_only():
    for path in [*ROOT.glob("ontology/*.ttl"), *ROOT.glob("data/**/*.ttl"), *ROOT.glob("shapes/*.ttl")]:
        text = path.read_text(encoding="utf-8")
        assert "@base" not in text and "BASE " not in text, path
        assert "example.org" not in text, f"{path} hard-codes our base"


def test_iris_follow_a_different_base():
    other = "https://kg.example.test/mic/"
    ds = as_rdflib(load_dataset(Config(root=ROOT, base_iri=other)))
    ours = [t for q in ds.quads((None, None, None, None)) for t in q[:3] if isinstance(t, URIRef)]
    assert not [t for t in ours if str(t).startswith(BASE)]
    assert URIRef(other + "id/organization/mic") in {t for t in ours}


# ---------------------------------------------------------------- external links


def links_tsv() -> list[dict[str, str]]:
    with (ROOT / "links" / "links.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def corporate_number_is_valid(number: str) -> bool:
    """The NTA rule (links/README.md): check = 9 - (sum of Pn x Qn mod 9), Pn counted from the right."""
    if not re.fullmatch(r"[0-9]{13}", number):
        return False
    base = number[1:]
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), start=1))
    return int(number[0]) == 9 - total % 9


def test_check_digit_rule_accepts_the_known_numbers_and_rejects_others():
    assert corporate_number_is_valid("2000012020001")
    assert corporate_number_is_valid("4000012090001")
    assert not corporate_number_is_valid("1000012020001")
    assert not corporate_number_is_valid("3000012090001")
    assert not corporate_number_is_valid("200001202000")


def test_corporate_numbers_pass_the_check_digit(union):
    numbers = [str(o) for o in union.objects(None, mic("corporateNumber"))]
    assert sorted(numbers) == ["2000012020001", "4000012090001"]
    assert all(corporate_number_is_valid(n) for n in numbers)


def test_every_external_identifier_is_in_links_tsv(dataset):
    rows = links_tsv()
    allowed_iris = {URIRef(r["full_uri"]) for r in rows if r["full_uri"]}
    allowed_values = {r["identifier"] for r in rows}
    links, verified = graph(dataset, "links"), graph(dataset, "verified-links")
    found_iris = set(links.objects(None, OWL.sameAs)) | set(links.objects(None, RDFS.seeAlso))
    found_iris |= set(verified.objects(None, mic("linkTarget")))
    found_values = {str(o) for o in verified.objects(None, mic("identifierValue"))}
    for prop in ("corporateNumber", "iso3166Alpha2", "iso3166Alpha3"):
        found_values |= {str(o) for o in links.objects(None, mic(prop))}
    assert found_iris and found_values
    assert found_iris <= allowed_iris, found_iris - allowed_iris
    assert found_values <= allowed_values, found_values - allowed_values


def test_the_verified_links_graph_is_links_tsv_row_by_row(dataset):
    """graph/verified-links is made from links.tsv by the loader, and no data file states the rows' terms."""
    verified = graph(dataset, "verified-links")
    rows = {(r["identifier"], r["source"], r["full_uri"]) for r in links_tsv() if r["verified"] == "yes"}
    records = {
        (
            str(verified.value(record, mic("identifierValue"))),
            str(verified.value(record, mic("evidence"))),
            str(verified.value(record, mic("linkTarget")) or ""),
        )
        for record in set(verified.subjects(mic("identifierValue"), None))
    }
    assert records == rows and len(rows) == len(links_tsv())
    for g in dataset.graphs():
        if g.identifier != verified.identifier:
            for prop in ("identifierScheme", "identifierValue", "linkTarget", "evidence"):
                assert not list(g.triples((None, mic(prop), None))), (g.identifier, prop)


def test_every_row_of_links_tsv_is_used_for_an_entity_of_the_graph(dataset, union):
    links = graph(dataset, "links")
    for row in links_tsv():
        subjects = {s for s, o in union.subject_objects(mic("identifierValue")) if str(o) == row["identifier"]}
        assert len(subjects) == 1, row
        entity = links.value(next(iter(subjects)), mic("linkSubject"))
        assert (entity, RDF.type, None) in union, f"{entity} is not an entity of the graph"
        assert (entity, PROV.wasDerivedFrom, None) in union


def test_external_links_live_only_in_the_links_graph(dataset):
    for g in dataset.graphs():
        if g.identifier == LINKS_GRAPH:
            continue
        for prop in (OWL.sameAs, SKOS.exactMatch, mic("corporateNumber"), mic("iso3166Alpha2"), mic("iso3166Alpha3"),
                     mic("localGovernmentCode"), mic("lawNumber")):
            assert not list(g.triples((None, prop, None))), (g.identifier, prop)


def test_linkset_triple_counts_are_right(dataset):
    links = graph(dataset, "links")
    linksets = list(links.subjects(RDF.type, VOID.Linkset))
    assert len(linksets) == 5
    for linkset in linksets:
        predicates = list(links.objects(linkset, VOID.linkPredicate))
        actual = sum(
            1
            for p in predicates
            for s, o in links.subject_objects(p)
            if not (p == RDFS.seeAlso and not str(o).startswith("http://hojin-info.go.jp/"))
        )
        assert int(links.value(linkset, VOID.triples)) == actual, linkset


def test_official_english_names_are_only_those_links_tsv_backs(union):
    official = {str(s) for s in union.subjects(mic("englishLabelOrigin"), mic("OfficialEnglishName"))}
    assert official == {BASE + "id/organization/mic", BASE + "id/organization/meti"}
    names = {r["entity_ja"]: r["entity_en"] for r in links_tsv() if r["scheme"] == "houjin-bangou"}
    for iri in official:
        ja = next(str(o) for o in union.objects(URIRef(iri), RDFS.label) if o.language == "ja")
        en = next(str(o) for o in union.objects(URIRef(iri), RDFS.label) if o.language == "en")
        assert names[ja] == en
