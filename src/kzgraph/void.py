"""The dataset description: VoID and DCAT triples for the graph an engine holds.

:func:`dataset_stats` counts what is in the graph (triples, entities, classes,
properties, vocabularies); :func:`void_triples` turns those counts and the
publication facts (title, licence, version, endpoint, dump) into RDF terms that
:func:`kzgraph.render.render_rdf` serializes.  ``kzgraph serve`` answers
``/.well-known/void`` with it; ``kzgraph export`` can include it.  The endpoint's
SPARQL 1.1 Service Description (:func:`service_triples`) describes the same dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kzgraph import __version__
from kzgraph.namespaces import BASE, ONTOLOGY, PREFIXES, RESOURCE_BASE
from kzgraph.query import Engine
from kzgraph.terms import IRI, XSD, BNode, Literal, Term

DATASET = BASE + "dataset"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FOAF = "http://xmlns.com/foaf/0.1/"
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
#: the answer formats of ``kzgraph serve`` (kzgraph.formats), as W3C format IRIs
RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "JSON-LD", "N-Triples", "RDF_XML",
)  # fmt: skip
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
SOURCE = "https://rep.enu.kz/handle/enu/16456"
TITLE = "kzgraph: Kazakhstan–Turkey relations 1991–2020"
DESCRIPTION = (
    "A knowledge graph of the relations between Kazakhstan and Turkey from 1991 to 2020 "
    "(states, persons and their offices, bilateral documents and signatures, visits and "
    "summits, institutions, the Kazakh diaspora in Turkey, figures), built from one "
    "scholarly article. Every fact points at the paragraph of the article that states it "
    "(kz:statedIn, locators P1 to P33) and at the works the article cites for it (kz:citation)."
)
CREATOR = "The kzgraph developers"
#: resources shown as examples when the graph has them
PREFERRED_EXAMPLES = (
    RESOURCE_BASE + "state/kazakhstan",
    RESOURCE_BASE + "state/turkey",
    RESOURCE_BASE + "person/nursultan-nazarbayev",
    RESOURCE_BASE + "document/friendship-treaty-1994",
)


@dataclass(frozen=True)
class DatasetStats:
    triples: int
    entities: int  # distinct resource IRIs (subjects under the resource base)
    classes: tuple[str, ...]  # classes with instances
    properties: tuple[str, ...]  # predicates used
    vocabularies: tuple[str, ...]  # namespaces of the classes and properties used
    examples: tuple[str, ...]


def _values(engine: Engine, text: str) -> list[str]:
    result = engine.run(text)
    return [row[0].value for row in result.rows if row and row[0] is not None]


def _namespace(iri: str) -> str | None:
    best = None
    for ns in PREFIXES.values():
        if (
            iri.startswith(ns)
            and not ns.startswith(RESOURCE_BASE)
            and (best is None or len(ns) > len(best))
        ):
            best = ns
    if best is None:
        cut = max(iri.rfind("#"), iri.rfind("/"))
        best = iri[: cut + 1] if cut > 0 else None
    return best


def dataset_stats(engine: Engine) -> DatasetStats:
    """Count what the graph holds (a few aggregate queries; fast on this data)."""
    triples = int(_values(engine, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0])
    entities = int(
        _values(
            engine,
            "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o "
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{RESOURCE_BASE}")) }}',
        )[0]
    )
    classes = tuple(
        sorted(
            _values(engine, f"SELECT DISTINCT ?c WHERE {{ ?s <{RDF_TYPE}> ?c FILTER isIRI(?c) }}")
        )
    )
    properties = tuple(sorted(_values(engine, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }")))
    vocabularies = tuple(
        sorted({ns for ns in map(_namespace, classes + properties) if ns is not None})
    )
    present = set(
        _values(
            engine,
            "SELECT DISTINCT ?s WHERE { ?s ?p ?o "
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{RESOURCE_BASE}")) }} ORDER BY ?s',
        )
    )
    examples = [iri for iri in PREFERRED_EXAMPLES if iri in present]
    if not examples:
        examples = sorted(present)[:3]
    return DatasetStats(triples, entities, classes, properties, vocabularies, tuple(examples))


def void_triples(
    stats: DatasetStats,
    *,
    sparql_endpoint: str | None = None,
    data_dump: str | None = None,
    version: str = __version__,
    dataset: str = DATASET,
) -> list[tuple[Term, Term, Term]]:
    """VoID + DCAT description of the dataset (with a dcat:Distribution for the dump)."""
    ds = IRI(dataset)
    out: list[tuple[Term, Term, Term]] = []

    def add(s: Term, p: str, o: Term) -> None:
        out.append((s, IRI(p), o))

    def en(text: str) -> Literal:
        return Literal(text, language="en")

    def integer(n: int) -> Literal:
        return Literal(str(n), XSD + "integer")

    add(ds, RDF_TYPE, IRI(VOID + "Dataset"))
    add(ds, RDF_TYPE, IRI(DCAT + "Dataset"))
    add(ds, DCTERMS + "title", en(TITLE))
    add(ds, DCTERMS + "description", en(DESCRIPTION))
    add(ds, DCTERMS + "license", IRI(LICENSE))
    add(ds, DCTERMS + "creator", Literal(CREATOR))
    add(ds, DCTERMS + "source", IRI(SOURCE))
    add(ds, DCTERMS + "language", Literal("en"))
    add(ds, DCAT + "version", Literal(version))
    add(ds, "http://www.w3.org/2002/07/owl#versionInfo", Literal(version))
    add(ds, DCAT + "keyword", en("Kazakhstan"))
    add(ds, DCAT + "keyword", en("Turkey"))
    add(ds, DCAT + "keyword", en("international relations"))
    add(ds, DCTERMS + "temporal", Literal("1991/2020"))
    add(ds, VOID + "triples", integer(stats.triples))
    add(ds, VOID + "entities", integer(stats.entities))
    add(ds, VOID + "classes", integer(len(stats.classes)))
    add(ds, VOID + "properties", integer(len(stats.properties)))
    add(ds, VOID + "uriSpace", Literal(RESOURCE_BASE))
    add(ds, VOID + "rootResource", IRI(BASE + "ontology"))
    add(ds, FOAF + "homepage", IRI(BASE))
    for vocab in stats.vocabularies:
        add(ds, VOID + "vocabulary", IRI(vocab))
    for example in stats.examples:
        add(ds, VOID + "exampleResource", IRI(example))
    add(ds, DCTERMS + "conformsTo", IRI(ONTOLOGY.rstrip("#")))
    if sparql_endpoint:
        add(ds, VOID + "sparqlEndpoint", IRI(sparql_endpoint))
        service = IRI(dataset + "#sparql-service")
        add(ds, DCAT + "accessService", service)
        add(service, RDF_TYPE, IRI(DCAT + "DataService"))
        add(service, DCAT + "endpointURL", IRI(sparql_endpoint))
        add(service, DCTERMS + "conformsTo", IRI("https://www.w3.org/TR/sparql11-protocol/"))
        add(service, DCAT + "servesDataset", ds)
    if data_dump:
        add(ds, VOID + "dataDump", IRI(data_dump))
        dist = IRI(dataset + "#dump")
        add(ds, DCAT + "distribution", dist)
        add(dist, RDF_TYPE, IRI(DCAT + "Distribution"))
        add(dist, DCAT + "downloadURL", IRI(data_dump))
        add(
            dist,
            DCAT + "mediaType",
            IRI("https://www.iana.org/assignments/media-types/application/n-triples"),
        )
        add(dist, DCTERMS + "license", IRI(LICENSE))
    return out


@dataclass(frozen=True)
class ServedGraph:
    """A graph an endpoint lets a query name (``default-graph-uri``, ``named-graph-uri``)."""

    iri: str
    triples: int
    title: str


def service_triples(
    endpoint: str,
    stats: DatasetStats,
    graphs: Sequence[ServedGraph],
    *,
    functions: Sequence[str] = (),
    dataset: str = DATASET,
) -> list[tuple[Term, Term, Term]]:
    """The SPARQL 1.1 Service Description of the read-only endpoint at ``endpoint``.

    Its default dataset is ``dataset`` (a default graph of ``stats.triples`` triples and
    no named graphs); ``graphs`` are the graphs a request may name instead
    (``sd:availableGraphs``); ``functions`` the extension functions it knows.
    """
    service = IRI(endpoint + "#service")
    out: list[tuple[Term, Term, Term]] = []

    def add(s: Term, p: str, o: Term) -> None:
        out.append((s, IRI(p), o))

    add(service, RDF_TYPE, IRI(SD + "Service"))
    add(service, SD + "endpoint", IRI(endpoint))
    add(service, SD + "supportedLanguage", IRI(SD + "SPARQL11Query"))
    for name in RESULT_FORMATS:
        add(service, SD + "resultFormat", IRI(FORMATS + name))
    for function in functions:
        add(service, SD + "extensionFunction", IRI(function))
    add(service, DCTERMS + "description", Literal(
        "Read-only: SPARQL Update is refused and SERVICE (federated query) is disabled.",
        language="en",
    ))  # fmt: skip
    ds = IRI(dataset)
    add(service, SD + "defaultDataset", ds)
    add(ds, RDF_TYPE, IRI(SD + "Dataset"))
    default = BNode("default-graph")
    add(ds, SD + "defaultGraph", default)
    add(default, RDF_TYPE, IRI(SD + "Graph"))
    add(default, VOID + "triples", Literal(str(stats.triples), XSD + "integer"))
    available = IRI(endpoint + "#available-graphs")
    add(service, SD + "availableGraphs", available)
    add(available, RDF_TYPE, IRI(SD + "GraphCollection"))
    for number, graph in enumerate(graphs, 1):
        named, described = BNode(f"named-graph-{number}"), BNode(f"graph-{number}")
        add(available, SD + "namedGraph", named)
        add(named, RDF_TYPE, IRI(SD + "NamedGraph"))
        add(named, SD + "name", IRI(graph.iri))
        add(named, SD + "graph", described)
        add(described, RDF_TYPE, IRI(SD + "Graph"))
        add(described, DCTERMS + "title", Literal(graph.title, language="en"))
        add(described, VOID + "triples", Literal(str(graph.triples), XSD + "integer"))
    return out
