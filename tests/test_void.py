"""kzgraph.void: the dataset description (VoID + DCAT-AP 3) that export writes.

The description is checked against DCAT-AP 3's mandatory and recommended properties and
their ranges (``tests/dcat-ap/dcat-ap-3.shapes.ttl``, written from the specification): no
result at all, warnings included.  The shapes are shown to catch what the description got
wrong before (plain-string creator and language, no access URL, the service on the
dataset).  Every distribution's size and SHA-256 are those of the file ``kzgraph export``
writes in its format.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH

from conftest import project_args
from kzgraph.cli import cli
from kzgraph.project import Project
from kzgraph.terms import local_name
from kzgraph.void import DUMP_FORMATS

HERE = Path(__file__).parent
SHAPES = HERE / "dcat-ap" / "dcat-ap-3.shapes.ttl"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VOID_GRAPH = "<https://w3id.org/kzgraph/graph/void>"
DATASET = URIRef("https://w3id.org/kzgraph/dataset")
ARTICLE = URIRef("https://w3id.org/kzgraph/resource/work/article")


def export(args: list[str], *more: str) -> bytes:
    result = CliRunner().invoke(cli, [*args, "export", *more], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def description_of(args: list[str], graph: str = VOID_GRAPH) -> Graph:
    """The void graph of ``export -f nq --inferred --with-void``."""
    data = export(args, "-f", "nq", "--inferred", "--with-void")
    lines = [
        line[: -len(graph) - 2] + " ."
        for line in data.decode().splitlines()
        if line.endswith(f"{graph} .")
    ]
    assert lines
    return Graph().parse(data="\n".join(lines), format="nt")


def results(data: Graph) -> list[tuple[str, str, str]]:
    """(severity, focus node, path) of every SHACL result, warnings included."""
    from pyshacl import validate

    _conforms, report, _text = validate(
        data, shacl_graph=Graph().parse(SHAPES), inference="none", allow_warnings=False
    )
    return sorted(
        (
            str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            str(report.value(r, SH.focusNode)),
            str(report.value(r, SH.resultPath)),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    )


@pytest.fixture(scope="module")
def description() -> Graph:
    fixtures = HERE / "fixtures"
    project = Project(fixtures / "data", fixtures / "ontology", fixtures / "queries")
    return description_of(project_args(project))


def test_the_description_meets_dcat_ap_3_with_its_recommended_properties(
    description: Graph,
) -> None:
    assert results(description) == []
    classes = set(description.objects(None, RDF.type))
    for needed in (DCAT.Catalog, DCAT.CatalogRecord, DCAT.Dataset, DCAT.Distribution,
                   DCAT.DataService, DCT.PeriodOfTime, DCT.Location, SPDX.Checksum):  # fmt: skip
        assert needed in classes, needed


def _without(graph: Graph, s: object, p: URIRef) -> Graph:
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    copy.remove((s, p, None))  # type: ignore[arg-type]
    return copy


def test_the_shapes_catch_what_the_old_description_had(description: Graph) -> None:
    nt = URIRef("https://w3id.org/kzgraph/dataset#distribution-nt")
    broken = _without(description, DATASET, DCT.creator)
    broken.add((DATASET, DCT.creator, Literal("The kzgraph developers")))  # a string
    broken.remove((DATASET, DCT.language, None))
    broken.add((DATASET, DCT.language, Literal("en")))  # a string
    broken.remove((DATASET, DCT.temporal, None))
    broken.add((DATASET, DCT.temporal, Literal("1991/2020")))  # a string
    broken.remove((nt, DCAT.accessURL, None))  # no access URL
    broken.remove((nt, DCAT.byteSize, None))
    broken.add((nt, DCAT.byteSize, Literal("1 MB")))
    found = {
        (severity, focus, path.rsplit("/", 1)[-1]) for severity, focus, path in results(broken)
    }
    assert found == {
        ("Violation", str(DATASET), "creator"),
        ("Violation", str(DATASET), "language"),
        ("Violation", str(DATASET), "temporal"),
        ("Violation", str(nt), "dcat#accessURL"),
        ("Violation", str(nt), "dcat#byteSize"),
    }
    # a recommended property missing is a warning
    bare = _without(description, DATASET, DCAT.contactPoint)
    assert results(bare) == [("Warning", str(DATASET), str(DCAT.contactPoint))]


@pytest.mark.parametrize("fmt", sorted(DUMP_FORMATS))
def test_each_distribution_describes_the_export_in_its_format(
    description: Graph, fx_args: list[str], fmt: str
) -> None:
    content = export(fx_args, "-f", fmt, "--inferred")
    dist = URIRef(f"https://w3id.org/kzgraph/dataset#distribution-{fmt}")
    assert (DATASET, DCAT.distribution, dist) in description
    file_name, media, _file_type, _name = DUMP_FORMATS[fmt]
    assert description.value(dist, DCAT.downloadURL) == URIRef(
        f"https://w3id.org/kzgraph/dump/{file_name}"
    )
    assert description.value(dist, DCAT.accessURL) == description.value(dist, DCAT.downloadURL)
    assert description.value(dist, DCAT.mediaType) == URIRef(
        f"https://www.iana.org/assignments/media-types/{media}"
    )
    assert int(description.value(dist, DCAT.byteSize)) == len(content)  # type: ignore[arg-type]
    checksum = description.value(dist, SPDX.checksum)
    assert description.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    value = description.value(checksum, SPDX.checksumValue)
    assert str(value) == hashlib.sha256(content).hexdigest()


def test_the_sparql_service_is_a_data_service_on_a_distribution(description: Graph) -> None:
    service = URIRef("https://w3id.org/kzgraph/dataset#sparql-service")
    dist = URIRef("https://w3id.org/kzgraph/dataset#distribution-sparql")
    assert (DATASET, DCAT.accessService, None) not in description
    assert description.value(dist, DCAT.accessService) == service
    endpoint = URIRef("https://w3id.org/kzgraph/sparql")
    assert description.value(service, DCAT.endpointURL) == endpoint
    assert description.value(service, DCAT.endpointDescription) == endpoint
    assert description.value(dist, DCAT.accessURL) == endpoint
    assert description.value(service, DCAT.servesDataset) == DATASET


def test_the_source_article_is_described_only_with_what_is_known(description: Graph) -> None:
    assert (DATASET, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), ARTICLE) in description
    said = sorted((local_name(str(p)), str(o)) for p, o in description.predicate_objects(ARTICLE))
    eu = "http://publications.europa.eu/resource/authority/language/"
    assert said == sorted(
        [
            ("type", "http://xmlns.com/foaf/0.1/Document"),
            ("identifier", "enu/16456"),
            ("language", eu + "ENG"),
            ("language", eu + "SPA"),
            ("page", "https://rep.enu.kz/handle/enu/16456"),
        ]
        + [
            ("keywords", k)
            for k in (
                "relaciones regionales",
                "independencia",
                "diplomacia",
                "cooperación bilateral",
                "diáspora",
            )  # fmt: skip
        ]
    )
    keywords = list(description.objects(ARTICLE, URIRef("https://schema.org/keywords")))
    assert {k.language for k in keywords} == {"es"}  # type: ignore[attr-defined]


VERSIONED = """\
title = "Relations of two states"
base = "https://data.example.org/kz/"
issued = 2026-01-15

[publisher]
name = "A university library"
type = "Academia-ScientificOrganisation"
url = "https://library.example.org/"

[contact]
name = "Linked data team"
url = "https://library.example.org/contact"
email = "lod@library.example.org"

[[release]]
version = "1.1.0"
date = 2026-03-02
notes = "Two more visits."

[[release]]
version = "1.0.0"
date = 2026-01-15
notes = "First release."
"""


def test_the_data_folders_metadata_file_is_what_the_description_says(
    copied_project: Project,
) -> None:
    (copied_project.data_dir / "dataset.toml").write_text(VERSIONED, encoding="utf-8")
    graph = description_of(project_args(copied_project), "<https://data.example.org/kz/graph/void>")
    dataset = URIRef("https://data.example.org/kz/dataset")
    owl = Namespace("http://www.w3.org/2002/07/owl#")

    def value(p: URIRef, s: URIRef = dataset) -> str:
        return str(graph.value(s, p))

    assert value(DCT.title) == "Relations of two states"
    assert value(DCAT.version) == "1.1.0"
    assert value(owl.versionIRI) == "https://data.example.org/kz/dataset/1.1.0"
    assert value(DCAT.previousVersion) == "https://data.example.org/kz/dataset/1.0.0"
    assert value(URIRef("http://www.w3.org/ns/adms#versionNotes")) == "Two more visits."
    assert (value(DCT.issued), value(DCT.modified)) == ("2026-01-15", "2026-03-02")
    publisher = graph.value(dataset, DCT.publisher)
    assert str(graph.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == (
        "A university library"
    )
    contact = graph.value(dataset, DCAT.contactPoint)
    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    assert graph.value(contact, vcard.hasEmail) == URIRef("mailto:lod@library.example.org")
    downloads = {str(o) for o in graph.objects(None, DCAT.downloadURL)}
    assert "https://data.example.org/kz/dump/kzgraph.ttl" in downloads
    assert results(graph) == []


def test_without_a_metadata_file_the_description_has_the_bundled_values(
    copied_project: Project, description: Graph
) -> None:
    shutil.copyfile(HERE.parent / "data" / "dataset.toml", copied_project.data_dir / "dataset.toml")
    given = description_of(project_args(copied_project))
    assert set(given) == set(description)


def test_the_served_dump_is_described_with_its_bytes(tmp_path: Path) -> None:
    from kzgraph.void import served_dump

    files = [tmp_path / "a.nt", tmp_path / "b.nt"]
    files[0].write_bytes(b"<http://a> <http://b> <http://c> .\n")
    files[1].write_bytes(b"<http://a> <http://b> <http://d> .\n")
    dump = served_dump(files, "http://127.0.0.1:8000/dump.nt")
    joined = files[0].read_bytes() + files[1].read_bytes()
    assert (dump.size, dump.sha256) == (len(joined), hashlib.sha256(joined).hexdigest())
    assert list(ox.parse(joined, format=ox.RdfFormat.N_TRIPLES))  # what /dump.nt streams
