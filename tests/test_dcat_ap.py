"""The release description against the official DCAT-AP 3.0.1 shapes, and what a portal needs to harvest it.

The shapes are the data files of SEMICeu/DCAT-AP (server/builder/dcat_ap/README.md); pySHACL runs them.
The build runs the same check (server/builder/gate.py) and refuses a release that breaks them.
"""

from __future__ import annotations

import json
import shutil

from pyoxigraph import Literal
from pyoxigraph import NamedNode
from pyoxigraph import RdfFormat
from pyoxigraph import Triple
from pyoxigraph import parse

from server.builder.dataset import DUMPS
from server.builder.dataset import dataset_iri
from server.builder.dataset import distribution_iri
from server.builder.gate import validate_dcat_ap
from server.cli.main import main
from tests.conftest import MINI

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SPDX = "http://spdx.org/rdf/terms#"
ADMS = "http://www.w3.org/ns/adms#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"


def served_description(client) -> list[Triple]:
    response = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    return [Triple(q.subject, q.predicate, q.object) for q in parse(response.get_data(), format=RdfFormat.N_TRIPLES)]


def objects(triples, subject: str, predicate: str) -> list:
    return [t.object for t in triples if t.subject.value == subject and t.predicate.value == predicate]


def languages(triples, subject: str, predicate: str) -> set[str]:
    return {o.language for o in objects(triples, subject, predicate) if isinstance(o, Literal)}


def test_the_served_description_passes_the_dcat_ap_3_shapes(client, capsys):
    """Every result is printed (pytest -s shows them); none may be a Violation."""
    report = validate_dcat_ap(served_description(client))
    with capsys.disabled():
        print(f"\nDCAT-AP 3.0.1 validation of /.well-known/void: {report.text()}", end="")
    assert report.problems, "the recommended-property shapes give warnings: the shapes ran"
    assert not report.violations, report.text()
    assert not report.conforms  # SHACL 3.6.1: a warning is a result too; only violations refuse (gate.py)


def test_the_shapes_refuse_a_description_missing_what_dcat_ap_requires(client):
    triples = served_description(client)
    dataset = dataset_iri_of(triples)
    distribution = next(t.object.value for t in triples if t.predicate.value == DCAT + "distribution")
    broken = [t for t in triples if not (t.subject.value == dataset and t.predicate.value == DCT + "title")
              and not (t.subject.value == distribution and t.predicate.value == DCAT + "accessURL")]
    broken.append(Triple(NamedNode(dataset), NamedNode(DCT + "issued"), Literal("2020-01-01")))
    found = {(p.focus, p.path) for p in validate_dcat_ap(broken).violations}
    assert (f"<{dataset}>", f"<{DCT}title>") in found
    assert (f"<{distribution}>", f"<{DCAT}accessURL>") in found
    assert (f"<{dataset}>", f"<{DCT}issued>") in found  # two values


def dataset_iri_of(triples) -> str:
    (dataset,) = {t.subject.value for t in triples if t.predicate.value == "http://rdfs.org/ns/void#sparqlEndpoint"}
    return dataset


def test_the_record_has_what_a_portal_harvests(client, release):
    """DCAT-AP's recommended properties of the dataset, as the issue lists them."""
    d = served_description(client)
    dataset = dataset_iri(release.iris)
    (publisher,) = objects(d, dataset, DCT + "publisher")
    assert NamedNode(FOAF + "Agent") in objects(d, publisher.value, RDF_TYPE)
    assert languages(d, publisher.value, FOAF + "name") == {"ja", "en"}
    (contact,) = objects(d, dataset, DCAT + "contactPoint")
    assert NamedNode(VCARD + "Kind") in objects(d, contact.value, RDF_TYPE)
    assert languages(d, contact.value, VCARD + "fn") == {"ja", "en"}
    assert languages(d, dataset, DCAT + "keyword") == {"ja", "en"}
    assert len(objects(d, dataset, DCAT + "theme")) == 3
    (period,) = objects(d, dataset, DCT + "temporal")
    assert [o.value for o in objects(d, period.value, DCAT + "startDate")] == ["2022"]
    assert [o.value for o in objects(d, period.value, DCAT + "endDate")] == ["2023"]
    (place,) = objects(d, dataset, DCT + "spatial")
    assert objects(d, place.value, OWL_SAME_AS) == [NamedNode("http://www.wikidata.org/entity/Q17")]
    assert len(objects(d, dataset, DCT + "issued")) == len(objects(d, dataset, DCT + "modified")) == 1
    assert objects(d, dataset, DCAT + "landingPage") == [NamedNode(release.iris.base)]
    standards = {o.value for o in objects(d, dataset, DCT + "conformsTo")}
    assert standards == {release.iris.ontology, f"{release.iris.base}download/releases/{release.version}/shapes.ttl"}
    assert objects(d, dataset, DCAT + "version") == [Literal(release.version)]
    assert languages(d, dataset, ADMS + "versionNotes") == {"ja", "en"}


def test_each_distribution_states_its_type_size_checksum_licence_and_titles(client, release):
    d = served_description(client)
    licence = objects(d, dataset_iri(release.iris), DCT + "license")
    assert len(licence) == 1
    for dump in DUMPS:
        distribution = distribution_iri(release.iris, dump.name)
        assert objects(d, distribution, DCAT + "mediaType"), dump.name
        assert [int(o.value) for o in objects(d, distribution, DCAT + "byteSize")] == [release.files[dump.name]["size"]]
        (checksum,) = objects(d, distribution, SPDX + "checksum")
        assert [o.value for o in objects(d, checksum.value, SPDX + "checksumValue")] == [
            release.files[dump.name]["sha256"]
        ]
        assert objects(d, distribution, DCT + "license") == licence
        assert languages(d, distribution, DCT + "title") == {"ja", "en"}


def test_every_resource_the_server_generates_has_a_japanese_and_an_english_label(client, release):
    """Distributions, checksums, the SPARQL service, the release, partitions, the description itself, link sets."""
    d = served_description(client)
    dataset = dataset_iri(release.iris)
    generated = {t.subject.value for t in d if t.subject.value.startswith((dataset + "/", release.iris.release("")))}
    generated |= {release.iris.base + "sparql", release.iris.graph("dataset")}
    generated |= {o.value for o in objects(d, dataset, "http://rdfs.org/ns/void#subset")}
    assert len(generated) > 100
    unlabelled = sorted(iri for iri in generated if languages(d, iri, RDFS_LABEL) != {"ja", "en"})
    assert not unlabelled


def test_build_refuses_a_description_that_breaks_dcat_ap_and_keeps_nothing(tmp_path, capsys):
    """A record stating a date the build states per release (dct:modified) gives the dataset two: refused."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    build = tmp_path / "build"
    assert main(["build", "--root", str(project), "--build-dir", str(build)], {}) == 0
    index = (build / "releases" / "index.json").read_text(encoding="utf-8")
    capsys.readouterr()
    (project / "data" / "record.ttl").write_text(
        "<id/dataset/mic-global-strategy-bureau-2023> <http://purl.org/dc/terms/modified>"
        ' "2026-11-25"^^<http://www.w3.org/2001/XMLSchema#date> .\n',
        encoding="utf-8",
    )
    code = main(["build", "--root", str(project), "--build-dir", str(build)], {})
    err = capsys.readouterr().err
    assert code == 1
    assert "DCAT-AP" in err and "refused" in err
    assert f"<{DCT}modified>" in err
    assert (build / "releases" / "index.json").read_text(encoding="utf-8") == index
    assert len(json.loads(index)["releases"]) == 1
    assert not [p for p in (build / "releases").iterdir() if p.name.startswith(".")]
