"""Generate a project folder of realistic government linked data at a chosen size, deterministically.

    python bench/generate.py --triples 100000 --seed 1 --out bench/_data/100k

The folder is one `python -m server serve --root` can serve as it is:

    ontology/  shapes/  source/  links/   copies of this project's (the ontology, shapes and passages apply)
    data/passages/*.ttl  data/*.ttl       this project's own graph, unchanged (about 2,700 quads)
    data/bench-*.ttl                      the generated data, one named graph per file (graph/bench-*)

The generated graphs, each a register a government publishes next to the bundled text:

    graph/bench-organizations   ministries (org:FormalOrganization) and bureaus, divisions and sections
                                (org:OrganizationalUnit) in org:subOrganizationOf / org:unitOf chains 4 deep
    graph/bench-people          org:Post (org:postIn, org:heldBy) and foaf:Person (foaf:familyName, org:holds)
    graph/bench-themes          SKOS concept schemes of themes, with skos:broader
    graph/bench-events          dated meetings (schema:Event, schema:startDate/endDate as xsd:date,
                                schema:organizer, schema:location, mic:discussedTheme)
    graph/bench-funds           mic:Fund with schema:amount (xsd:decimal) in JPY, mic:permanent, mic:revenueSource
    graph/bench-countries       schema:Country (no ISO 3166 codes: none is verified)
    graph/bench-statistics      RDF Data Cube: qb:DataSet, its qb:DataStructureDefinition and qb:Observation
                                (reporting organisation, sdmx refArea/refPeriod, obsValue as xsd:decimal)

Every labelled resource has exactly one @ja and one @en rdfs:label (no full-width letters, so the
searchable-label shape holds), mic:englishLabelOrigin and prov:wasDerivedFrom a passage of the bundled
text, and an IRI of the form ``{base}id/{kind}/{slug}`` the shapes expect: the server validates it and
serves its pages. Triples are written as Turtle with the project's prefixes, relative IRIs resolved
against the server's base IRI, one subject block per resource. The same seed and size give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
COPIED = ("ontology", "shapes", "source", "links")

PREFIXES = {
    "mic": "ontology/",
    "passage": "id/passage/",
    "organization": "id/organization/",
    "person": "id/person/",
    "post": "id/post/",
    "event": "id/event/",
    "fund": "id/fund/",
    "place": "id/place/",
    "concept": "id/concept/",
    "stat": "id/statistics/",
    "obs": "id/observation/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
}

PASSAGES = [
    f"{letter}{n}"
    for letter, count in (("A", 5), ("B", 4), ("C", 4), ("D", 2), ("E", 2), ("F", 6))
    for n in range(1, count + 1)
]

# (ja, en) vocabularies the labels are made of.
MINISTRIES = [
    ("総務省", "Ministry of Internal Affairs and Communications", "mic"),
    ("外務省", "Ministry of Foreign Affairs", "mofa"),
    ("財務省", "Ministry of Finance", "mof"),
    ("文部科学省", "Ministry of Education, Culture, Sports, Science and Technology", "mext"),
    ("厚生労働省", "Ministry of Health, Labour and Welfare", "mhlw"),
    ("農林水産省", "Ministry of Agriculture, Forestry and Fisheries", "maff"),
    ("経済産業省", "Ministry of Economy, Trade and Industry", "meti"),
    ("国土交通省", "Ministry of Land, Infrastructure, Transport and Tourism", "mlit"),
    ("環境省", "Ministry of the Environment", "moe"),
    ("防衛省", "Ministry of Defense", "mod"),
    ("法務省", "Ministry of Justice", "moj"),
    ("デジタル庁", "Digital Agency", "digital"),
]
FIELDS = [
    ("情報通信", "Information and Communications"),
    ("国際", "International Affairs"),
    ("統計", "Statistics"),
    ("行政評価", "Administrative Evaluation"),
    ("地域振興", "Regional Development"),
    ("消防", "Fire Services"),
    ("郵政", "Postal Services"),
    ("電波", "Radio"),
    ("放送", "Broadcasting"),
    ("サイバーセキュリティ", "Cybersecurity"),
    ("データ利活用", "Data Utilisation"),
    ("宇宙", "Space"),
    ("防災", "Disaster Management"),
    ("観光", "Tourism"),
    ("エネルギー", "Energy"),
    ("医療", "Healthcare"),
    ("教育", "Education"),
    ("交通", "Transport"),
    ("農業", "Agriculture"),
    ("環境", "Environment"),
    ("人材育成", "Human Resources Development"),
    ("研究開発", "Research and Development"),
    ("標準化", "Standardisation"),
    ("電気通信", "Telecommunications"),
]
UNIT_LEVELS = [
    ("局", "Bureau", "bureau"),
    ("課", "Division", "division"),
    ("室", "Office", "office"),
    ("係", "Section", "section"),
]
FAMILY = [
    ("佐藤", "Sato"),
    ("鈴木", "Suzuki"),
    ("高橋", "Takahashi"),
    ("田中", "Tanaka"),
    ("伊藤", "Ito"),
    ("渡辺", "Watanabe"),
    ("山本", "Yamamoto"),
    ("中村", "Nakamura"),
    ("小林", "Kobayashi"),
    ("加藤", "Kato"),
    ("吉田", "Yoshida"),
    ("山田", "Yamada"),
    ("佐々木", "Sasaki"),
    ("山口", "Yamaguchi"),
    ("松本", "Matsumoto"),
    ("井上", "Inoue"),
    ("木村", "Kimura"),
    ("林", "Hayashi"),
    ("斎藤", "Saito"),
    ("清水", "Shimizu"),
]
GIVEN = [
    ("翔太", "Shota"),
    ("陽子", "Yoko"),
    ("健一", "Kenichi"),
    ("美咲", "Misaki"),
    ("大輔", "Daisuke"),
    ("直子", "Naoko"),
    ("拓也", "Takuya"),
    ("恵", "Megumi"),
    ("誠", "Makoto"),
    ("由美", "Yumi"),
    ("浩二", "Koji"),
    ("香織", "Kaori"),
    ("隆", "Takashi"),
    ("智子", "Tomoko"),
    ("亮", "Ryo"),
]
POSTS = [
    ("局長", "Director-General"),
    ("課長", "Director"),
    ("室長", "Head of Office"),
    ("係長", "Section Chief"),
    ("審議官", "Deputy Director-General"),
    ("参事官", "Counsellor"),
    ("企画官", "Senior Planning Officer"),
]
COUNTRIES = [
    ("日本", "Japan"),
    ("アメリカ合衆国", "United States"),
    ("英国", "United Kingdom"),
    ("フランス", "France"),
    ("ドイツ", "Germany"),
    ("イタリア", "Italy"),
    ("カナダ", "Canada"),
    ("オーストラリア", "Australia"),
    ("インド", "India"),
    ("インドネシア", "Indonesia"),
    ("ベトナム", "Viet Nam"),
    ("タイ", "Thailand"),
    ("フィリピン", "Philippines"),
    ("マレーシア", "Malaysia"),
    ("シンガポール", "Singapore"),
    ("大韓民国", "Republic of Korea"),
    ("ブラジル", "Brazil"),
    ("メキシコ", "Mexico"),
    ("ケニア", "Kenya"),
    ("南アフリカ", "South Africa"),
    ("エジプト", "Egypt"),
    ("トルコ", "Turkey"),
    ("スペイン", "Spain"),
    ("オランダ", "Netherlands"),
    ("スウェーデン", "Sweden"),
    ("フィンランド", "Finland"),
    ("ポーランド", "Poland"),
    ("チリ", "Chile"),
    ("ペルー", "Peru"),
    ("ニュージーランド", "New Zealand"),
]
THEME_SCHEMES = [
    ("bench-digital-policy", "デジタル政策の論点", "Digital policy themes"),
    ("bench-international-cooperation", "国際協力の論点", "International cooperation themes"),
    ("bench-statistics-topic", "統計分野", "Statistical topics"),
]
MEETING_KINDS = [
    ("連絡会議", "Liaison Meeting"),
    ("検討会", "Study Group"),
    ("審議会", "Council"),
    ("作業部会", "Working Group"),
    ("閣僚会合", "Ministerial Meeting"),
    ("専門家会合", "Expert Meeting"),
]
FUND_KINDS = [("基金", "Fund"), ("推進基金", "Promotion Fund"), ("支援基金", "Support Fund")]
REVENUE = [
    ("general-account", "一般会計", "General account"),
    ("fiscal-investment", "財政投融資", "Fiscal investment and loans"),
    ("special-account", "特別会計", "Special account"),
]
INDICATORS = [
    ("broadband-subscriptions", "ブロードバンド契約数", "Broadband subscriptions"),
    ("staff", "職員数", "Staff"),
    ("budget-execution", "予算執行額", "Budget execution"),
    ("procurement", "調達件数", "Procurements"),
    ("open-datasets", "公開データセット数", "Published open datasets"),
    ("consultations", "行政相談件数", "Administrative consultations"),
]

# Average triples per resource of each kind (as written below), to size the registers.
# Bumped when the generated data changes, so that a cached bench/_data/{size} is generated again.
VERSION = 2
SHARES = {"organization": 0.10, "people": 0.18, "event": 0.16, "fund": 0.08, "concept": 0.03, "observation": 0.45}
PER = {"organization": 7.5, "people": 16.0, "event": 11.0, "fund": 11.0, "concept": 7.5, "observation": 7.0}


def lit(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def typed(value: str, datatype: str) -> str:
    return f'"{value}"^^xsd:{datatype}'


@dataclass
class Writer:
    """Turtle for one named graph: the prefixes, then one block per subject; counts the triples."""

    path: Path
    triples: int = 0
    parts: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.handle = self.path.open("w", encoding="utf-8")
        self.handle.write(f"# Generated by bench/generate.py (named graph <graph/{self.path.stem}>).\n")
        self.handle.writelines(f"@prefix {name}: <{iri}> .\n" for name, iri in PREFIXES.items())
        self.handle.write("\n")

    def subject(self, subject: str, pairs: list[tuple[str, str | list[str]]]) -> None:
        lines = []
        for predicate, objects in pairs:
            if isinstance(objects, list):
                if not objects:
                    continue
                self.triples += len(objects)
                lines.append(f"    {predicate} {' , '.join(objects)}")
            else:
                self.triples += 1
                lines.append(f"    {predicate} {objects}")
        self.parts.append(f"{subject}\n" + " ;\n".join(lines) + " .\n")
        if len(self.parts) >= 2000:
            self.flush()

    def flush(self) -> None:
        self.handle.write("\n".join(self.parts))
        self.handle.write("\n")
        self.parts.clear()

    def close(self) -> None:
        self.flush()
        self.handle.close()


def labelled(rdf_type: str | list[str], ja: str, en: str, passage: str) -> list[tuple[str, str | list[str]]]:
    """The statements every resource has: type, the two labels, label origin, provenance."""
    return [
        ("a", rdf_type if isinstance(rdf_type, list) else [rdf_type]),
        ("rdfs:label", [lit(ja, "ja"), lit(en, "en")]),
        ("mic:englishLabelOrigin", "mic:EditorsTranslation"),
        ("prov:wasDerivedFrom", f"passage:{passage}"),
    ]


def generate(out: Path, *, triples: int, seed: int) -> dict:
    """Write the project folder for `triples` generated triples; return a summary (also written as bench.json)."""
    rng = random.Random(seed)
    started = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for folder in COPIED:
        shutil.copytree(PROJECT / folder, out / folder)
    shutil.copytree(PROJECT / "data", out / "data")
    data = out / "data"
    counts = {kind: max(1, int(triples * SHARES[kind] / PER[kind])) for kind in SHARES}
    passage = lambda: rng.choice(PASSAGES)  # noqa: E731
    summary: dict = {"triples_requested": triples, "seed": seed, "version": VERSION, "graphs": {}}

    # ---- countries
    w = Writer(data / "bench-countries.ttl")
    countries = []
    for ja, en in COUNTRIES:
        slug = "bench-" + en.lower().replace(" ", "-")
        countries.append(f"place:{slug}")
        w.subject(
            f"place:{slug}",
            labelled("schema:Country", ja, en, passage())
            # No ISO 3166 codes: shapes/ publishes an identifier only when links/links.tsv lists it, with
            # its source, for the resource (these countries are made up).
        )
    w.close()
    summary["graphs"]["bench-countries"] = w.triples

    # ---- themes (SKOS)
    w = Writer(data / "bench-themes.ttl")
    themes: list[str] = []
    revenue = []
    n_concepts = max(len(THEME_SCHEMES) * 4, counts["concept"])
    for scheme, ja, en in THEME_SCHEMES + [("bench-revenue-source", "財源", "Revenue sources")]:
        w.subject(f"concept:{scheme}", labelled("skos:ConceptScheme", ja, en, passage()))
    for slug, ja, en in REVENUE:
        revenue.append(f"<id/concept/bench-revenue-source/{slug}>")
        w.subject(
            revenue[-1],
            labelled("skos:Concept", ja, en, passage()) + [("skos:inScheme", "concept:bench-revenue-source")],
        )
    for i in range(n_concepts):
        scheme, _, _ = THEME_SCHEMES[i % len(THEME_SCHEMES)]
        fja, fen = FIELDS[(i // len(THEME_SCHEMES)) % len(FIELDS)]
        iri = f"<id/concept/{scheme}/theme-{i}>"
        pairs = labelled("skos:Concept", f"{fja}に関する論点{i}", f"{fen} theme {i}", passage())
        pairs.append(("skos:inScheme", f"concept:{scheme}"))
        if i >= len(THEME_SCHEMES) * 4:
            pairs.append(
                (
                    "skos:broader",
                    themes[rng.randrange(i % len(THEME_SCHEMES), len(THEME_SCHEMES) * 4, len(THEME_SCHEMES))],
                )
            )
        themes.append(iri)
        w.subject(iri, pairs)
    w.close()
    summary["graphs"]["bench-themes"] = w.triples

    # ---- organisations: ministries, then units 4 levels deep under them
    w = Writer(data / "bench-organizations.ttl")
    orgs: list[str] = []
    ministries = []
    for ja, en, slug in MINISTRIES:
        iri = f"organization:bench-{slug}"
        ministries.append(iri)
        orgs.append(iri)
        w.subject(iri, labelled("org:FormalOrganization", ja, en, passage()))
    n_units = max(len(MINISTRIES) * 4, counts["organization"] - len(MINISTRIES))
    level_members: list[list[str]] = [ministries, [], [], [], []]
    labels = {iri: (ja, en) for iri, (ja, en, _) in zip(ministries, MINISTRIES, strict=True)}
    root = {iri: iri for iri in ministries}
    # Each level gets a growing share: bureaus few, sections many (4:16:32:48 of the units).
    shares = [0.04, 0.16, 0.32, 0.48]
    serial = 0
    for level, share in enumerate(shares, start=1):
        for _ in range(max(len(MINISTRIES), int(n_units * share))):
            # A third of the bureaus are MIC's, the publisher's own register (and the mix's ministry).
            parent = ministries[0] if level == 1 and rng.random() < 0.33 else rng.choice(level_members[level - 1])
            kja, ken, kslug = UNIT_LEVELS[level - 1]
            fja, fen = rng.choice(FIELDS)
            root_ja, root_en = labels[root[parent]]
            serial += 1
            ja, en = f"{root_ja} {fja}{kja} {serial}", f"{fen} {ken} {serial}, {root_en}"
            iri = f"organization:bench-{kslug}-{serial}"
            root[iri] = root[parent]
            labels[iri] = (ja, en)
            level_members[level].append(iri)
            orgs.append(iri)
            w.subject(
                iri,
                labelled("org:OrganizationalUnit", ja, en, passage())
                + [("org:unitOf", parent), ("org:subOrganizationOf", parent)],
            )
    w.close()
    summary["graphs"]["bench-organizations"] = w.triples
    units = [iri for level in level_members[1:] for iri in level]

    # ---- posts and the people holding them
    w = Writer(data / "bench-people.ttl")
    people = []
    for i in range(counts["people"]):
        org_iri = rng.choice(units)
        pja, pen = rng.choice(POSTS)
        oja, oen = labels[org_iri]
        post, person = f"post:bench-post-{i}", f"person:bench-person-{i}"
        fja, fen = rng.choice(FAMILY)
        gja, gen = rng.choice(GIVEN)
        w.subject(
            post,
            labelled("org:Post", f"{oja} {pja}", f"{pen}, {oen}", passage())
            + [("org:postIn", org_iri), ("org:heldBy", person)],
        )
        w.subject(
            person,
            labelled("foaf:Person", f"{fja} {gja}", f"{gen} {fen}", passage())
            + [("foaf:familyName", [lit(fja, "ja"), lit(fen, "en")]), ("org:holds", post)],
        )
        people.append(person)
    w.close()
    summary["graphs"]["bench-people"] = w.triples

    # ---- meetings
    w = Writer(data / "bench-events.ttl")
    first = date(2015, 1, 1)
    for i in range(counts["event"]):
        kja, ken = rng.choice(MEETING_KINDS)
        fja, fen = rng.choice(FIELDS)
        start = first + timedelta(days=rng.randrange(10 * 365))
        end = start + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
        w.subject(
            f"event:bench-meeting-{i}",
            labelled("schema:Event", f"{fja}{kja} 第{i}回", f"{fen} {ken} No. {i}", passage())
            + [
                ("schema:startDate", typed(start.isoformat(), "date")),
                ("schema:endDate", typed(end.isoformat(), "date")),
                ("schema:organizer", rng.choice(orgs)),
                ("schema:location", rng.choice(countries)),
                ("mic:discussedTheme", sorted({rng.choice(themes) for _ in range(rng.randint(1, 3))})),
            ],
        )
    w.close()
    summary["graphs"]["bench-events"] = w.triples

    # ---- funds
    w = Writer(data / "bench-funds.ttl")
    for i in range(counts["fund"]):
        kja, ken = rng.choice(FUND_KINDS)
        fja, fen = rng.choice(FIELDS)
        owner = rng.choice(ministries)
        amount = rng.randrange(10_000, 50_000_000) * 1000
        w.subject(
            f"fund:bench-fund-{i}",
            labelled("mic:Fund", f"{fja}{kja} {i}", f"{fen} {ken} {i}", passage())
            + [
                ("mic:establishedBy", owner),
                ("mic:establishedAt", rng.choice(orgs)),
                ("schema:amount", typed(f"{amount}.00", "decimal")),
                ("schema:currency", lit("JPY")),
                ("mic:permanent", typed(rng.choice(("true", "false")), "boolean")),
                ("mic:revenueSource", rng.choice(revenue)),
            ],
        )
    w.close()
    summary["graphs"]["bench-funds"] = w.triples

    # ---- statistics (RDF Data Cube)
    w = Writer(data / "bench-statistics.ttl")
    dimension = "<id/statistics/bench-reporting-organization>"
    w.subject(
        dimension,
        [
            ("a", ["qb:DimensionProperty"]),
            ("rdfs:label", [lit("報告組織", "ja"), lit("Reporting organisation", "en")]),
        ],
    )
    w.subject(
        "stat:bench-structure",
        [
            ("a", ["qb:DataStructureDefinition"]),
            (
                "qb:component",
                [
                    "stat:bench-structure-org",
                    "stat:bench-structure-period",
                    "stat:bench-structure-area",
                    "stat:bench-structure-value",
                ],
            ),
        ],
    )
    # Only the dimension of ours is named: shapes/ takes an IRI outside the base that a resource of ours
    # points to (sdmx-dimension:refArea as a qb:dimension, org:Organization as a range) for an external
    # identifier, which links/links.tsv would have to list.
    w.subject("stat:bench-structure-org", [("qb:dimension", dimension)])
    for name in ("period", "area", "value"):
        w.subject(f"stat:bench-structure-{name}", [("a", ["qb:ComponentSpecification"])])
    for slug, ja, en in INDICATORS:
        w.subject(
            f"stat:bench-{slug}",
            [
                ("a", ["qb:DataSet"]),
                ("rdfs:label", [lit(ja, "ja"), lit(en, "en")]),
                ("qb:structure", "stat:bench-structure"),
                ("dct:publisher", "organization:bench-mic"),
            ],
        )
    for i in range(counts["observation"]):
        slug = INDICATORS[i % len(INDICATORS)][0]
        value = round(rng.lognormvariate(8, 2), 2)
        w.subject(
            f"obs:bench-{i}",
            [
                ("a", ["qb:Observation"]),
                ("qb:dataSet", f"stat:bench-{slug}"),
                (dimension, rng.choice(orgs)),
                ("sdmx-dimension:refPeriod", typed(str(2010 + i % 15), "gYear")),
                ("sdmx-dimension:refArea", rng.choice(countries)),
                ("sdmx-measure:obsValue", typed(f"{value:.2f}", "decimal")),
            ],
        )
    w.close()
    summary["graphs"]["bench-statistics"] = w.triples

    summary["triples_generated"] = sum(summary["graphs"].values())
    summary["seconds"] = round(time.perf_counter() - started, 1)
    # Resources the query mix names: the same for every system.
    summary["sample"] = {
        "ministry": "id/organization/bench-mic",
        "unit": units[len(units) // 2].replace("organization:", "id/organization/"),
        "event": "id/event/bench-meeting-0",
        "person": "id/person/bench-person-0",
    }
    (out / "bench.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="generated triples (about), default 100000")
    parser.add_argument("--seed", type=int, default=1, help="random seed, default 1")
    parser.add_argument("--out", type=Path, help="project folder to write (replaced); default bench/_data/{size}")
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / "_data" / size_name(args.triples)
    summary = generate(out, triples=args.triples, seed=args.seed)
    print(
        f"{summary['triples_generated']} triples in {len(summary['graphs'])} graphs written to {out} "
        f"in {summary['seconds']} s",
        file=sys.stderr,
    )
    return 0


def size_name(triples: int) -> str:
    """'10k', '1m' ... for a size.

    >>> size_name(100_000), size_name(1_000_000), size_name(12_345)
    ('100k', '1m', '12345')
    """
    for unit, scale in (("m", 1_000_000), ("k", 1_000)):
        if triples % scale == 0:
            return f"{triples // scale}{unit}"
    return str(triples)


if __name__ == "__main__":
    sys.exit(main())
