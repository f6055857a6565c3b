"""The reconciliation service (/reconcile): every answer is checked against the protocol's JSON schemas.

The schemas are the Reconciliation Service API 0.2 files vendored in tests/data/reconciliation/.
HTTP tests (a live server, requests) cover the manifest, batch queries and suggest; the rest use
Flask's test client.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import requests
from jsonschema import Draft7Validator
from referencing import Registry
from referencing import Resource
from referencing.jsonschema import DRAFT7

from tests.conftest import BASE
from tests.conftest import FUND
from tests.conftest import MEETING
from tests.conftest import MIC

SCHEMAS = Path(__file__).resolve().parent / "data" / "reconciliation"
VARIANTS = Path(__file__).resolve().parent / "data" / "name_variants.csv"
METI = BASE + "id/organization/meti"
NICT = BASE + "id/organization/nict"
CORPORATE_NUMBER = BASE + "ontology/corporateNumber"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ORG = "http://www.w3.org/ns/org#"


class Schemas:
    """Validators for the vendored schema files, resolving their references locally."""

    def __init__(self):
        contents = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in SCHEMAS.glob("*.json")}
        resources = []
        for schema in contents.values():
            resource = Resource.from_contents(schema, default_specification=DRAFT7)
            resources.append((schema["$id"].rstrip("#"), resource))
        self.registry = Registry().with_resources(resources)
        self.contents = contents

    def check(self, name: str, instance) -> None:
        """Raise jsonschema's ValidationError unless `instance` is valid against schema file `name`."""
        Draft7Validator(self.contents[name], registry=self.registry).validate(instance)


@pytest.fixture
def schemas() -> Schemas:
    return Schemas()


def reconcile(client, queries: dict, schemas: Schemas) -> dict:
    """POST a batch as OpenRefine does (form field `queries`); check query and answer against the schemas."""
    schemas.check("reconciliation-query-batch.json", queries)
    response = client.post("/reconcile", data={"queries": json.dumps(queries)})
    assert response.status_code == 200
    body = response.get_json()
    schemas.check("reconciliation-result-batch.json", body)
    return body


def variants() -> list[dict[str, str]]:
    with VARIANTS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------ over HTTP


def test_manifest_over_http_is_valid(live_server, schemas):
    response = requests.get(live_server.url + "/reconcile", timeout=10)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    manifest = response.json()
    schemas.check("manifest.json", manifest)
    assert manifest["identifierSpace"] == BASE + "id/"
    assert manifest["schemaSpace"] == BASE + "ontology/"
    assert "{{id}}" in manifest["view"]["url"]


def test_batch_query_over_http_finds_ja_en_full_and_half_width_names(live_server, schemas):
    queries = {
        "q0": {"query": "国立研究開発法人情報通信研究機構"},
        "q1": {"query": "NICT"},
        "q2": {"query": "National Institute of Information and Communications Technology"},
        "q3": {"query": "ＪＩＣＴ"},
        "q4": {"query": "JICT", "type": ORG + "Organization", "limit": 3},
    }
    schemas.check("reconciliation-query-batch.json", queries)
    response = requests.post(live_server.url + "/reconcile", data={"queries": json.dumps(queries)}, timeout=10)
    body = response.json()
    schemas.check("reconciliation-result-batch.json", body)
    for key in ("q0", "q1", "q2"):
        assert body[key]["result"][0]["id"] == NICT
        assert body[key]["result"][0]["match"] is True
    assert body["q3"]["result"][0]["id"] == body["q4"]["result"][0]["id"] == BASE + "id/organization/jict"
    assert len(body["q4"]["result"]) <= 3


def test_suggest_entity_over_http_is_valid(live_server, schemas):
    response = requests.get(live_server.url + "/reconcile/suggest/entity", params={"prefix": "ＮＩＣ"}, timeout=10)
    body = response.json()
    schemas.check("suggest-entities-response.json", body)
    assert body["result"][0]["id"] == NICT


def test_variants_table_over_http_precision_and_recall(live_server, schemas):
    rows = variants()
    queries = {f"q{i}": {"query": row["name"]} for i, row in enumerate(rows)}
    response = requests.post(live_server.url + "/reconcile", data={"queries": json.dumps(queries)}, timeout=30)
    body = response.json()
    schemas.check("reconciliation-result-batch.json", body)
    certain_right = certain_wrong = top_right = expected = 0
    for i, row in enumerate(rows):
        result = body[f"q{i}"]["result"]
        want = BASE + row["expected"] if row["expected"] else None
        top = result[0]["id"] if result else None
        if want:
            expected += 1
            top_right += top == want
        if result and result[0]["match"]:
            certain_right += top == want
            certain_wrong += top != want
        assert not any(candidate["match"] for candidate in result[1:]), row
    precision = certain_right / (certain_right + certain_wrong)
    print(f"reconcile: precision of match:true {precision:.3f}, top-1 recall {top_right / expected:.3f}")
    assert precision == 1.0
    assert top_right / expected >= 0.9


# ------------------------------------------------------------------ manifest and JSONP


def test_manifest_names_every_service_of_ours(client, schemas):
    manifest = client.get("/reconcile").get_json()
    schemas.check("manifest.json", manifest)
    root = "http://localhost/reconcile"
    assert manifest["preview"]["url"] == root + "/preview?id={{id}}"
    assert {s["service_path"] for s in manifest["suggest"].values()} == {
        "/suggest/entity",
        "/suggest/type",
        "/suggest/property",
    }
    assert manifest["extend"]["propose_properties"]["service_path"] == "/propose_properties"
    assert all(t["id"].startswith("http") for t in manifest["defaultTypes"])


def test_manifest_with_callback_is_jsonp(client, schemas):
    response = client.get("/reconcile", query_string={"callback": "jQuery_123"})
    assert response.mimetype == "application/javascript"
    text = response.get_data(as_text=True)
    assert text.startswith("/**/jQuery_123(") and text.endswith(");")
    schemas.check("manifest.json", json.loads(text[len("/**/jQuery_123(") : -2]))


def test_a_callback_that_is_not_a_name_is_refused(client):
    assert client.get("/reconcile", query_string={"callback": "alert(1)//"}).status_code == 400


# ------------------------------------------------------------------ queries


def test_get_with_queries_answers_like_post(client, schemas):
    queries = json.dumps({"a": {"query": "総務省"}})
    body = client.get("/reconcile", query_string={"queries": queries}).get_json()
    schemas.check("reconciliation-result-batch.json", body)
    assert body["a"]["result"][0]["id"] == MIC


def test_candidates_carry_name_score_match_types_and_description(client, schemas):
    candidate = reconcile(client, {"q": {"query": "NICT"}}, schemas)["q"]["result"][0]
    assert candidate["name"] == "National Institute of Information and Communications Technology"
    assert 90 <= candidate["score"] <= 100
    assert {"id": ORG + "FormalOrganization", "name": "formal organization"} in candidate["type"]
    assert candidate["description"]


def test_a_label_of_two_resources_is_never_a_match(client, schemas):
    result = reconcile(client, {"q": {"query": "ISO 3166-1 国コード"}}, schemas)["q"]["result"]
    assert len(result) >= 2
    assert not any(candidate["match"] for candidate in result)


def test_a_partial_name_is_a_candidate_but_not_a_match(client, schemas):
    result = reconcile(client, {"q": {"query": "海外通信・放送・郵便事業支援機構"}}, schemas)["q"]["result"]
    assert result[0]["id"] == BASE + "id/organization/jict"
    assert result[0]["match"] is False


def test_the_fund_is_reconciled_by_its_short_and_english_names(client, schemas):
    body = reconcile(client, {"ja": {"query": "Beyond 5G（6G）基金"}, "en": {"query": "Beyond 5G fund"}}, schemas)
    for key in ("ja", "en"):
        assert body[key]["result"][0]["id"] == FUND
        assert body[key]["result"][0]["match"] is True


def test_type_constraint_keeps_only_that_type_and_its_subclasses(client, schemas):
    body = reconcile(
        client,
        {
            "person": {"query": "G7", "type": "http://xmlns.com/foaf/0.1/Person"},
            "org": {"query": "G7", "type": [ORG + "Organization"]},
        },
        schemas,
    )
    assert body["person"]["result"] == []
    assert body["org"]["result"][0]["id"] == BASE + "id/organization/g7"
    assert all(c["id"].startswith(BASE + "id/organization/") for c in body["org"]["result"])


def test_limit_caps_the_candidates(client, schemas):
    assert len(reconcile(client, {"q": {"query": "G7", "limit": 2}}, schemas)["q"]["result"]) == 2


def test_a_matching_property_raises_the_score(client, schemas):
    body = reconcile(
        client,
        {
            "plain": {"query": "Ministry of Internal Affairs"},
            "with": {
                "query": "Ministry of Internal Affairs",
                "properties": [{"pid": CORPORATE_NUMBER, "v": "2000012020001"}],
            },
        },
        schemas,
    )
    assert body["with"]["result"][0]["id"] == MIC
    assert body["with"]["result"][0]["score"] > body["plain"]["result"][0]["score"]


def test_a_contradicting_property_lowers_the_score_and_prevents_a_match(client, schemas):
    body = reconcile(
        client,
        {"q": {"query": "総務省", "properties": [{"pid": "mic:corporateNumber", "v": "4000012090001"}]}},
        schemas,
    )
    candidate = next(c for c in body["q"]["result"] if c["id"] == MIC)
    assert candidate["score"] < 100
    assert candidate["match"] is False


def test_a_property_may_name_a_resource_by_id_or_by_name(client, schemas):
    # "G7群馬高崎" begins the names of the meeting, its declaration, a photo and the theme scheme (the meeting and
    # the declaration score alike); only the meeting has a schema:location, which raises its score.
    location = "https://schema.org/location"
    takasaki = BASE + "id/place/takasaki"
    body = reconcile(
        client,
        {
            "plain": {"query": "G7群馬高崎"},
            "by_id": {"query": "G7群馬高崎", "properties": [{"pid": location, "v": {"id": takasaki}}]},
            "by_name": {"query": "G7群馬高崎", "properties": [{"pid": location, "v": "高崎市"}]},
        },
        schemas,
    )
    plain = {candidate["id"]: candidate["score"] for candidate in body["plain"]["result"]}
    declaration = BASE + "id/document/g7-digital-tech-ministerial-declaration-2023"
    assert plain[MEETING] == plain[declaration]
    for key in ("by_id", "by_name"):
        first, second = body[key]["result"][:2]
        assert first["id"] == MEETING and first["score"] > plain[MEETING] > second["score"] - 0.001


def test_a_query_of_properties_only_finds_by_value(client, schemas):
    body = reconcile(client, {"q": {"properties": [{"pid": "corporateNumber", "v": "4000012090001"}]}}, schemas)
    assert [c["id"] for c in body["q"]["result"]] == [METI]
    assert body["q"]["result"][0]["match"] is False


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_query_in_a_batch_gets_no_candidates_and_the_others_are_answered(client, schemas, empty):
    body = reconcile(client, {"blank": {"query": empty}, "q": {"query": "NICT"}}, schemas)
    assert body["blank"] == {"result": []}
    assert body["q"]["result"][0]["id"] == NICT


@pytest.mark.parametrize(
    "queries",
    [
        "{not json",
        "[1, 2]",
        json.dumps({"q": "NICT"}),
        json.dumps({"q": {"limit": 3}}),
        json.dumps({"q": {"query": 5}}),
    ],
)
def test_malformed_queries_answer_400(client, queries):
    assert client.post("/reconcile", data={"queries": queries}).status_code == 400


# ------------------------------------------------------------------ preview and view


def test_preview_is_a_small_html_card_linking_to_the_page(client, schemas):
    manifest = client.get("/reconcile").get_json()
    url = manifest["preview"]["url"].replace("{{id}}", NICT).replace("http://localhost", "")
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "国立研究開発法人情報通信研究機構" in html
    assert 'href="/id/organization/nict"' in html


def test_preview_of_an_unknown_id_is_404(client):
    assert client.get("/reconcile/preview", query_string={"id": BASE + "id/nothing"}).status_code == 404


def test_view_redirects_to_the_resource_page(client):
    response = client.get("/reconcile/view", query_string={"id": NICT})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/id/organization/nict")


# ------------------------------------------------------------------ suggest


def test_suggest_entity_filters_by_type_and_pages_with_cursor(client, schemas):
    first = client.get("/reconcile/suggest/entity", query_string={"prefix": "G7"}).get_json()
    schemas.check("suggest-entities-response.json", first)
    second = client.get("/reconcile/suggest/entity", query_string={"prefix": "G7", "cursor": 1}).get_json()
    assert second["result"][0] == first["result"][1]
    typed = client.get("/reconcile/suggest/entity", query_string={"prefix": "G7", "type": "schema:Event"}).get_json()
    assert typed["result"] and all(r["id"].startswith(BASE + "id/event/") for r in typed["result"])


def test_suggest_type_finds_classes_by_name(client, schemas):
    body = client.get("/reconcile/suggest/type", query_string={"prefix": "Organi"}).get_json()
    schemas.check("suggest-types-response.json", body)
    assert ORG + "Organization" in [r["id"] for r in body["result"]]


def test_suggest_property_finds_properties_by_label(client, schemas):
    body = client.get("/reconcile/suggest/property", query_string={"prefix": "法人番号"}).get_json()
    schemas.check("suggest-properties-response.json", body)
    assert body["result"][0]["id"] == CORPORATE_NUMBER


@pytest.mark.parametrize(("prefix", "expected"), [("Wiss", "id/person/wissing"), ("Matsu", "id/person/matsumoto")])
def test_suggest_entity_finds_a_word_begun_inside_a_name(client, schemas, prefix, expected):
    body = client.get("/reconcile/suggest/entity", query_string={"prefix": prefix}).get_json()
    schemas.check("suggest-entities-response.json", body)
    assert BASE + expected in [r["id"] for r in body["result"]]


def test_suggest_without_prefix_answers_400(client):
    assert client.get("/reconcile/suggest/entity").status_code == 400


# ------------------------------------------------------------------ data extension


def test_propose_properties_lists_what_instances_of_the_type_have(client, schemas):
    body = client.get("/reconcile/propose_properties", query_string={"type": ORG + "FormalOrganization"}).get_json()
    schemas.check("data-extension-property-proposal.json", body)
    assert CORPORATE_NUMBER in [p["id"] for p in body["properties"]]
    assert body["type"] == ORG + "FormalOrganization"


def test_extend_returns_typed_values_and_linked_resources(client, schemas):
    query = {
        "ids": [MEETING, MIC, BASE + "id/nothing"],
        "properties": [
            {"id": "https://schema.org/startDate"},
            {"id": "https://schema.org/location"},
            {"id": CORPORATE_NUMBER},
            {"id": RDFS_LABEL, "settings": {"lang": "en"}},
        ],
    }
    schemas.check("data-extension-query.json", query)
    response = client.post("/reconcile/extend", data={"extend": json.dumps(query)})
    body = response.get_json()
    schemas.check("data-extension-response.json", body)
    assert [m["id"] for m in body["meta"]] == [p["id"] for p in query["properties"]]
    meeting = body["rows"][MEETING]
    assert meeting["https://schema.org/startDate"] == [{"date": "2023-04-29T00:00:00Z"}]
    assert meeting["https://schema.org/location"] == [{"id": BASE + "id/place/takasaki", "name": "高崎市"}]
    assert meeting[RDFS_LABEL] == [{"str": "G7 Digital and Tech Ministers' Meeting in Takasaki, Gunma"}]
    assert body["rows"][MIC][CORPORATE_NUMBER] == [{"str": "2000012020001"}]
    assert body["rows"][BASE + "id/nothing"][CORPORATE_NUMBER] == []


def test_extend_on_the_service_endpoint_answers_the_same(client, schemas):
    query = json.dumps({"ids": [MIC], "properties": [{"id": CORPORATE_NUMBER}]})
    body = client.get("/reconcile", query_string={"extend": query}).get_json()
    schemas.check("data-extension-response.json", body)
    assert body["rows"][MIC][CORPORATE_NUMBER] == [{"str": "2000012020001"}]


# ------------------------------------------------------------------ CORS


@pytest.mark.parametrize(
    "path",
    [
        "/reconcile",
        "/reconcile/suggest/entity?prefix=G7",
        "/reconcile/propose_properties",
        "/reconcile/suggest/type?x=1",
    ],
)
def test_every_answer_allows_any_origin(client, path):
    assert client.get(path).headers["Access-Control-Allow-Origin"] == "*"


def test_preflight_is_answered(client):
    response = client.options("/reconcile", headers={"Origin": "http://x", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


# ------------------------------------------------------------------ malformed JSON and numbers, busy


DEEP = "[" * 970 + "]" * 970


@pytest.mark.parametrize(
    "field, value",
    [
        ("queries", '{"q": {"query": "G7", "properties": [{"pid": "x", "v": ' + DEEP + "}]}}"),
        ("queries", DEEP),
        ("queries", '{"q": {"query": "G7", "limit": Infinity}}'),
        ("queries", '{"q": {"query": "G7", "limit": NaN}}'),
        ("queries", '{"q": {"query": "G7", "limit": 1e309}}'),
        ("queries", '{"q": {"query": "G7", "limit": -1e309}}'),
        ("queries", '{"q": {"query": "G7", "properties": [{"pid": "mic:corporateNumber", "v": [[1, 2]]}]}}'),
        ("extend", '{"ids": [], "properties": [{"id": "x", "settings": "lang=ja"}]}'),
        ("extend", '{"ids": ["' + MIC + '"], "properties": [{"id": "x", "settings": [1]}]}'),
        ("extend", '{"ids": ["' + MIC + '"], "properties": [{"id": "x", "settings": {"limit": "all"}}]}'),
        ("extend", '{"ids": ["' + MIC + '"], "properties": [{"id": "x", "settings": {"limit": 1e999}}]}'),
    ],
    ids=["nested-value", "nested", "Infinity", "NaN", "1e309", "-1e309", "list-value", "settings-text",
         "settings-list", "limit-text", "limit-1e999"],
)
def test_malformed_json_and_numbers_get_400_with_a_message(client, field, value):
    for response in (
        client.post("/reconcile", data={field: value}),
        client.post("/reconcile", data=f'{{"{field}": {value}}}', content_type="application/json"),
    ):
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert response.get_json()["error"]


def test_huge_integers_are_answered_a_limit_capped_and_a_value_matching_nothing(client, schemas):
    huge = 10**400
    body = reconcile(client, {"q": {"query": "G7", "limit": huge}}, schemas)
    assert len(body["q"]["result"]) > 5
    constrained = {"q": {"query": "総務省", "properties": [{"pid": "mic:corporateNumber", "v": huge}]}}
    candidate = next(c for c in reconcile(client, constrained, schemas)["q"]["result"] if c["id"] == MIC)
    assert candidate["match"] is False


def test_a_json_body_answers_like_the_form(client):
    form = client.post("/reconcile", data={"queries": json.dumps({"q": {"query": "NICT"}})}).get_json()
    body = client.post("/reconcile", json={"queries": {"q": {"query": "NICT"}}}).get_json()
    single = client.post("/reconcile", json={"query": "NICT"}).get_json()
    assert form == body and single == body["q"]


def test_large_requests_beyond_the_free_slots_get_503_and_small_ones_are_answered(make_app):
    app = make_app(threads=4)  # one slot for requests of more than one token
    client = app.test_client()
    large = {"ids": [MIC] * 100, "properties": [{"id": RDFS_LABEL}] * 10}
    slots = app.extensions["reconciliation_slots"]
    assert slots.acquire(blocking=False)  # a large request is running
    try:
        busy = client.post("/reconcile", json={"extend": large})
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
        assert "busy" in busy.get_json()["error"]
        assert client.post("/reconcile", json={"queries": {"q": {"query": "NICT"}}}).status_code == 200
    finally:
        slots.release()
    assert client.post("/reconcile", json={"extend": large}).status_code == 200
