"""The name matcher (server/linking/search.py) and /api/search: normal forms, scores, certainty, types,
the variants table."""

from __future__ import annotations

import csv
import dataclasses
import unicodedata
from pathlib import Path

import pytest

from server.engine.serving import Releases
from server.engine.serving import Served
from server.linking.search import Indexes
from server.linking.search import UnknownType
from server.linking.search import build_index
from server.linking.search import is_certain
from server.linking.search import normalise
from server.linking.search import words
from tests.conftest import BASE
from tests.conftest import FUND
from tests.conftest import MEETING

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = Path(__file__).resolve().parent / "data" / "name_variants.csv"
NICT = BASE + "id/organization/nict"
ORG = "http://www.w3.org/ns/org#"


def variants() -> list[dict[str, str]]:
    with VARIANTS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def index(release):
    return build_index(release.store, release.iris)


def top(index, name: str, **options) -> str | None:
    hits = index.search(name, **options)
    return hits[0].entry.iri if hits else None


def test_full_width_half_width_and_case_share_one_normal_form():
    assert normalise("ＪＩＣＴ") == normalise("JICT") == normalise("jict") == "jict"


def test_middle_dots_spaces_and_punctuation_are_folded():
    assert normalise("Ｇ７群馬高崎デジタル･技術大臣会合") == normalise("G7 群馬高崎デジタル・技術大臣会合")
    assert normalise("Ministry of Economy, Trade and Industry") == "ministryofeconomytradeandindustry"


@pytest.mark.parametrize(
    "name",
    [
        "国立研究開発法人情報通信研究機構",
        "NICT",
        "ＮＩＣＴ",
        "National Institute of Information and Communications Technology",
    ],
)
def test_official_long_name_abbreviation_and_english_name_find_nict(index, name):
    hits = index.search(name)
    assert hits[0].entry.iri == NICT
    assert is_certain(hits)


def test_a_label_scores_100_and_an_alt_label_slightly_less(index):
    assert index.search("国立研究開発法人情報通信研究機構")[0].score == 100
    assert 90 <= index.search("NICT")[0].score < 100


def test_a_prefix_scores_below_an_alt_label(index):
    hits = index.search("Beyond 5G")
    assert hits[0].entry.iri == BASE + "id/concept/technology/beyond-5g"
    assert hits[0].score < 90
    assert not is_certain(hits)


def test_a_label_shared_by_two_resources_is_not_certain(index):
    hits = index.search("ISO 3166-1 国コード")
    assert [hit.score for hit in hits[:2]] == [100, 100]
    assert not is_certain(hits)


def test_a_name_that_is_no_resource_finds_no_certain_match(index):
    assert not is_certain(index.search("関係機関"))
    assert index.search("") == []


def test_type_filter_keeps_subclasses(index):
    # G7 is a mic:MultilateralFramework, a subclass of org:Organization.
    assert top(index, "G7", types=[ORG + "Organization"]) == BASE + "id/organization/g7"
    assert top(index, "G7", types=["http://xmlns.com/foaf/0.1/Person"]) is None


def test_types_are_resolved_from_iri_prefixed_name_local_name_and_label(index):
    formal = ORG + "FormalOrganization"
    assert index.resolve_type(formal) == {formal}
    assert index.resolve_type("org:FormalOrganization") == {formal}
    assert index.resolve_type("formalorganization") == {formal}
    assert BASE + "ontology/Fund" in index.resolve_type("基金")


def test_an_unknown_type_name_is_refused(index):
    with pytest.raises(UnknownType):
        index.resolve_type("NoSuchClass")


def test_the_index_is_rebuilt_when_the_release_changes(served):
    release, engine = served
    releases = Releases(served)
    indexes = Indexes(releases)
    first = indexes.current()
    assert indexes.current() is first
    releases.switch(Served(dataclasses.replace(release, version="other"), engine))
    assert indexes.current() is not first


# ------------------------------------------------------------------ the table of name variants


def test_the_variants_table_is_large_and_names_only_resources_of_the_graph(index):
    rows = variants()
    assert len(rows) >= 40
    assert sum(1 for row in rows if not row["expected"]) >= 10
    for row in rows:
        if row["expected"]:
            assert BASE + row["expected"] in index.entities.entries, row


def test_the_variants_come_from_the_graphs_labels_or_the_source_text(index):
    with (ROOT / "source" / "passages.tsv").open(encoding="utf-8", newline="") as handle:
        passages = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    texts = [p["text_ja"] for p in passages] + [p["gloss_en"] for p in passages]
    texts += [name.text for entry in index.entities.entries.values() for name in entry.names]
    corpus = "\n".join(normalise(text) for text in texts)
    for row in variants():
        name = normalise(row["name"])
        if row["kind"].startswith("words"):  # each word is in the corpus, not necessarily together
            assert all(word in corpus for word in words(row["name"])), row
        elif row["kind"] == "two names run together":
            assert any(name[:cut] in corpus and name[cut:] in corpus for cut in range(1, len(name))), row
        elif not row["kind"].startswith("typo"):
            assert name in corpus, row


def test_matcher_precision_and_recall_on_the_variants_table(index):
    certain_right = certain_wrong = top_right = expected = 0
    for row in variants():
        hits = index.search(row["name"], limit=5)
        iri = hits[0].entry.iri if hits else None
        want = BASE + row["expected"] if row["expected"] else None
        if want:
            expected += 1
            top_right += iri == want
        if is_certain(hits):
            certain_right += iri == want
            certain_wrong += iri != want
    precision = certain_right / (certain_right + certain_wrong)
    recall = top_right / expected
    print(
        f"matcher: precision of certain matches {precision:.3f}, top-1 recall {recall:.3f}, "
        f"recall of certain matches {certain_right / expected:.3f}"
    )
    assert precision == 1.0
    assert recall >= 0.9
    assert certain_right / expected >= 0.9


# ------------------------------------------------------------------ /api/search


def test_api_search_answers_the_documented_shape(client):
    response = client.get("/api/search", query_string={"q": "ＮＩＣＴ", "lang": "en"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["query"] == "ＮＩＣＴ"
    first = body["results"][0]
    assert set(first) == {"id", "url", "label", "labels", "types", "score", "match"}
    assert first["id"] == NICT
    assert first["url"] == "/id/organization/nict"
    assert first["label"] == "National Institute of Information and Communications Technology"
    assert first["labels"]["ja"] == "国立研究開発法人情報通信研究機構"
    assert ORG + "FormalOrganization" in first["types"]
    assert first["match"] is True


@pytest.mark.parametrize("query", ["G7 高崎", "G7高崎", "高崎 G7", "Ｇ７群馬高崎", "g7 takasaki"])
def test_the_takasaki_meeting_is_found_by_its_words_in_any_order(client, query):
    """Label words after NFKC, in any order: G7 and 高崎 are both in 「Ｇ７群馬高崎デジタル･技術大臣会合」."""
    results = client.get("/api/search", query_string={"q": query}).get_json()["results"]
    assert results[0]["id"] == MEETING, [r["id"] for r in results[:3]]
    assert results[0]["match"] is False  # a partial name is a candidate, never certain


@pytest.mark.parametrize("query", ["Beyond 5G基金", "Beyond 5G（6G）基金", "Beyond 5G(6G)基金", "Beyond 5G fund"])
def test_the_fund_is_found_by_the_names_people_use(client, query):
    """The text's short name and the editors' English one find the fund before the technology, budget and law."""
    results = client.get("/api/search", query_string={"q": query}).get_json()["results"]
    assert results[0]["id"] == FUND, [r["id"] for r in results[:3]]


def test_api_search_label_follows_lang(client):
    body = client.get("/api/search", query_string={"q": "JICT", "lang": "ja"}).get_json()
    assert body["results"][0]["label"] == "株式会社海外通信・放送・郵便事業支援機構"


def test_api_search_filters_by_type_name(client):
    body = client.get("/api/search", query_string={"q": "G7", "type": "Person"}).get_json()
    assert body["results"] == []
    body = client.get("/api/search", query_string={"q": "G7", "type": "org:Organization"}).get_json()
    assert body["results"][0]["id"] == BASE + "id/organization/g7"


def test_api_search_respects_limit(client):
    body = client.get("/api/search", query_string={"q": "G7", "limit": "2"}).get_json()
    assert len(body["results"]) == 2


@pytest.mark.parametrize(
    "query",
    [{}, {"q": " "}, {"q": "G7", "lang": "fr"}, {"q": "G7", "limit": "many"}, {"q": "G7", "type": "NoSuchClass"}],
)
def test_api_search_bad_parameters_answer_400_json(client, query):
    response = client.get("/api/search", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["status"] == 400


def test_normal_form_is_nfkc_based():
    text = "ＡＢＣ１２３ｱｲｳ"
    assert normalise(text) == unicodedata.normalize("NFKC", text).casefold()
