"""The dataset description: VoID and DCAT triples for the graph an engine holds.

:func:`dataset_stats` counts what is in the graph (triples, entities, classes,
properties, vocabularies); :func:`void_triples` turns those counts and the
publication facts (title, licence, version, endpoint, dump) into RDF terms that
:func:`kzgraph.render.render_rdf` serializes.  ``kzgraph serve`` answers
``/.well-known/void`` with it; ``kzgraph export`` can include it.  The endpoint's
SPARQL 1.1 Service Description (:func:`service_triples`) describes the same dataset.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kzgraph.engine import Engine
from kzgraph.metadata import DEFAULTS, EU_AUTHORITY, PUBLISHER_TYPES, Metadata
from kzgraph.namespaces import BASE, ONTOLOGY, PREFIXES, RESOURCE_BASE
from kzgraph.terms import IRI, XSD, BNode, Literal, Term

DATASET = BASE + "dataset"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FOAF = "http://xmlns.com/foaf/0.1/"
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
ADMS = "http://www.w3.org/ns/adms#"
SPDX = "http://spdx.org/rdf/terms#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
OWL = "http://www.w3.org/2002/07/owl#"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
GEOSPARQL_WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
IANA = "https://www.iana.org/assignments/media-types/"
#: the DCAT-AP release the description follows (the catalogue record's dct:conformsTo)
LICENCE_TYPES = "http://purl.org/adms/licencetype/"
DCAT_AP = "https://semiceu.github.io/DCAT-AP/releases/3.0.0/"
#: the answer formats of ``kzgraph serve`` (kzgraph.formats), as W3C format IRIs
RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "JSON-LD", "N-Triples", "RDF_XML",
)  # fmt: skip
LICENSE = DEFAULTS["licence"]
TITLE = DEFAULTS["title"]
DESCRIPTION = DEFAULTS["description"]
#: the dump of each export format: file name, IANA media type, EU file type, name
DUMP_FORMATS: dict[str, tuple[str, str, str, str]] = {
    "turtle": ("kzgraph.ttl", "text/turtle", "RDF_TURTLE", "Turtle"),
    "nt": ("kzgraph.nt", "application/n-triples", "RDF_N_TRIPLES", "N-Triples"),
    "nq": ("kzgraph.nq", "application/n-quads", "RDF_N_QUADS", "N-Quads (named graphs)"),
    "trig": ("kzgraph.trig", "application/trig", "RDF_TRIG", "TriG (named graphs)"),
    "jsonld": ("kzgraph.jsonld", "application/ld+json", "JSON_LD", "JSON-LD, compact"),
    "jsonld-expanded": (
        "kzgraph.expanded.jsonld", "application/ld+json", "JSON_LD", "JSON-LD, expanded"
    ),
    "xml": ("kzgraph.rdf", "application/rdf+xml", "RDF_XML", "RDF/XML"),
}  # fmt: skip
#: labels of the EU data themes (http://publications.europa.eu/resource/authority/data-theme)
THEME_LABELS = {
    "AGRI": "Agriculture, fisheries, forestry and food", "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport", "ENER": "Energy", "ENVI": "Environment",
    "GOVE": "Government and public sector", "HEAL": "Health", "INTR": "International issues",
    "JUST": "Justice, legal system and public safety", "OP_DATPRO": "Provisional data",
    "REGI": "Regions and cities", "SOCI": "Population and society",
    "TECH": "Science and technology", "TRAN": "Transport",
}  # fmt: skip
#: resources shown as examples when the graph has them
PREFERRED_EXAMPLES = (
    RESOURCE_BASE + "state/kazakhstan",
    RESOURCE_BASE + "state/turkey",
    RESOURCE_BASE + "person/nursultan-nazarbayev",
    RESOURCE_BASE + "document/friendship-treaty-1994",
)


@dataclass(frozen=True)
class Dump:
    """A file of the whole graph that a distribution describes."""

    fmt: str  # a key of DUMP_FORMATS
    url: str  # where it is downloaded
    size: int  # bytes
    sha256: str  # hex digest of its bytes


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


def dataset_stats(engine: Engine, resource_base: str = RESOURCE_BASE) -> DatasetStats:
    """Count what the graph holds (a few aggregate queries; fast on this data); its
    resources are under ``resource_base`` (the examples are named under RESOURCE_BASE, as
    :func:`void_triples` takes them)."""
    triples = int(_values(engine, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0])
    entities = int(
        _values(
            engine,
            "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o "
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{resource_base}")) }}',
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
    present = {
        RESOURCE_BASE + iri[len(resource_base) :]
        for iri in _values(
            engine,
            "SELECT DISTINCT ?s WHERE { ?s ?p ?o "
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{resource_base}")) }} ORDER BY ?s',
        )
    }
    examples = [iri for iri in PREFERRED_EXAMPLES if iri in present]
    if not examples:
        examples = sorted(present)[:3]
    return DatasetStats(triples, entities, classes, properties, vocabularies, tuple(examples))


def served_dump(files: Sequence[Path], url: str) -> Dump:
    """The N-Triples dump ``kzgraph serve`` streams at ``url``: ``files`` one after another."""
    digest = hashlib.sha256()
    size = 0
    for path in files:
        data = path.read_bytes()
        digest.update(data)
        size += len(data)
    return Dump("nt", url, size, digest.hexdigest())


class _Triples:
    """A list of triples with helpers for the description's terms."""

    def __init__(self) -> None:
        self.out: list[tuple[Term, Term, Term]] = []

    def add(self, s: Term, p: str, o: Term) -> None:
        self.out.append((s, IRI(p), o))

    def typed(self, s: IRI, *classes: str) -> IRI:
        for cls in classes:
            self.add(s, RDF_TYPE, IRI(cls))
        return s

    def concept(self, iri: str, label: str, scheme: str | None = None) -> IRI:
        node = self.typed(IRI(iri), SKOS + "Concept")
        self.add(node, SKOS + "prefLabel", en(label))
        if scheme is not None:
            self.add(node, SKOS + "inScheme", IRI(scheme))
        return node


def en(text: str) -> Literal:
    return Literal(text, language="en")


def integer(n: int, datatype: str = "integer") -> Literal:
    return Literal(str(n), XSD + datatype)


def date(value: dt.date) -> Literal:
    return Literal(value.isoformat(), XSD + "date")


def void_triples(
    stats: DatasetStats,
    meta: Metadata | None = None,
    *,
    sparql_endpoint: str | None = None,
    dumps: Sequence[Dump] = (),
    resource_base: str = RESOURCE_BASE,
) -> list[tuple[Term, Term, Term]]:
    """The description of the dataset: VoID (counts, vocabularies, examples) and DCAT-AP 3
    (a catalogue and its record, the dataset with its publisher, contact point, licence,
    coverage, version and dates, a distribution per dump in ``dumps`` and one for the SPARQL
    service at ``sparql_endpoint`` (default: the metadata's), the service itself).  Every
    node is an IRI (no blank nodes: a store that is sent the description twice keeps one
    copy).  ``resource_base``: where the resources live (``export --base``)."""
    from kzgraph.metadata import read_metadata

    meta = meta or read_metadata(None)
    endpoint = sparql_endpoint or meta.sparql_endpoint
    g = _Triples()
    ds = g.typed(IRI(meta.dataset), VOID + "Dataset", DCAT + "Dataset")
    agents = _agents(g, meta)
    _dataset(g, ds, meta, agents)
    _coverage(g, ds, meta)
    _source(g, ds, meta, resource_base)
    _void(g, ds, stats, resource_base)
    service = _service(g, ds, meta, endpoint, agents)
    for dump in dumps:
        _distribution(g, ds, meta, dump)
    _sparql_distribution(g, ds, meta, endpoint, service)
    _catalogue(g, ds, service, meta, agents)
    return g.out


def _agents(g: _Triples, meta: Metadata) -> tuple[IRI, IRI]:
    """The publisher (a foaf:Agent) and the contact point (a vcard:Kind)."""
    publisher = g.typed(IRI(meta.dataset + "#publisher"), FOAF + "Agent", FOAF + "Organization")
    g.add(publisher, FOAF + "name", Literal(meta.publisher.name))
    kind = meta.publisher.kind
    label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind)
    g.add(publisher, DCTERMS + "type", g.concept(PUBLISHER_TYPES + kind, label))
    g.add(publisher, FOAF + "homepage", g.typed(IRI(meta.publisher.url), FOAF + "Document"))
    contact = g.typed(IRI(meta.dataset + "#contact"), VCARD + "Kind", VCARD + "Organization")
    g.add(contact, VCARD + "fn", Literal(meta.contact.name))
    g.add(contact, VCARD + "hasURL", IRI(meta.contact.url))
    if meta.contact.email:
        g.add(contact, VCARD + "hasEmail", IRI("mailto:" + meta.contact.email))
    return publisher, contact


def _licence(g: _Triples, meta: Metadata) -> IRI:
    licence = g.typed(IRI(meta.licence), DCTERMS + "LicenseDocument")
    kind = None
    if "creativecommons.org/licenses/by" in meta.licence:
        kind = "Attribution"
    elif "creativecommons.org/publicdomain/zero" in meta.licence:
        kind = "PublicDomain"
    if kind is not None:  # ADMS licence types
        label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind)
        g.add(licence, DCTERMS + "type", g.concept(LICENCE_TYPES + kind, label))
    return licence


def _dataset(g: _Triples, ds: IRI, meta: Metadata, agents: tuple[IRI, IRI]) -> None:
    publisher, contact = agents
    g.add(ds, DCTERMS + "title", en(meta.title))
    g.add(ds, DCTERMS + "description", en(meta.description))
    g.add(ds, DCTERMS + "identifier", Literal(meta.dataset))
    g.add(ds, DCTERMS + "publisher", publisher)
    g.add(ds, DCTERMS + "creator", publisher)
    g.add(ds, DCAT + "contactPoint", contact)
    g.add(ds, DCTERMS + "license", _licence(g, meta))
    rights = EU_AUTHORITY + "access-right/PUBLIC"
    g.add(ds, DCTERMS + "accessRights", g.typed(IRI(rights), DCTERMS + "RightsStatement"))
    g.add(ds, DCAT + "landingPage", g.typed(IRI(meta.base), FOAF + "Document"))
    g.add(ds, FOAF + "homepage", IRI(meta.base))
    for text, tag in meta.keywords:
        g.add(ds, DCAT + "keyword", Literal(text, language=tag))
    for code in meta.themes:
        scheme = EU_AUTHORITY + "data-theme"
        g.add(ds, DCAT + "theme", g.concept(f"{scheme}/{code}", THEME_LABELS[code], scheme))
    for code in meta.languages:
        g.add(ds, DCTERMS + "language", _language(g, code))
    # the data's release: its own version, not the software's
    g.add(ds, DCAT + "version", Literal(meta.version))
    g.add(ds, OWL + "versionInfo", Literal(meta.version))
    g.add(ds, OWL + "versionIRI", IRI(meta.version_iri()))
    g.add(ds, ADMS + "versionNotes", en(meta.releases[0].notes))
    if len(meta.releases) > 1:
        g.add(ds, DCAT + "previousVersion", IRI(meta.version_iri(meta.releases[1].version)))
    for release in meta.releases:
        note = f"{release.version} ({release.date.isoformat()}): {release.notes}"
        g.add(ds, SKOS + "changeNote", en(note))
    g.add(ds, DCTERMS + "issued", date(meta.issued))
    g.add(ds, DCTERMS + "modified", date(meta.modified))
    ontology = g.typed(IRI(ONTOLOGY.rstrip("#")), DCTERMS + "Standard")
    g.add(ds, DCTERMS + "conformsTo", ontology)


def _language(g: _Triples, code: str) -> IRI:
    return g.typed(IRI(f"{EU_AUTHORITY}language/{code}"), DCTERMS + "LinguisticSystem")


def _coverage(g: _Triples, ds: IRI, meta: Metadata) -> None:
    """Where and when: EU country authority IRIs as dct:Location, a dct:PeriodOfTime."""
    for place in meta.spatial:
        where = g.typed(IRI(f"{EU_AUTHORITY}country/{place.code}"), DCTERMS + "Location")
        g.add(where, SKOS + "prefLabel", en(place.label))
        g.add(where, DCAT + "bbox", Literal(place.bbox, GEOSPARQL_WKT))
        g.add(where, DCAT + "centroid", Literal(place.centroid, GEOSPARQL_WKT))
        g.add(ds, DCTERMS + "spatial", where)
    period = g.typed(IRI(meta.dataset + "#temporal-coverage"), DCTERMS + "PeriodOfTime")
    g.add(period, DCAT + "startDate", date(meta.temporal[0]))
    g.add(period, DCAT + "endDate", date(meta.temporal[1]))
    g.add(ds, DCTERMS + "temporal", period)


def _source(g: _Triples, ds: IRI, meta: Metadata, resource_base: str) -> None:
    """The source article: only what it and its repository record give (a handle, the
    record's page, the languages of its abstracts, its keywords); no title, authors,
    date or DOI, which are not known."""
    article = g.typed(IRI(resource_base + "work/article"), FOAF + "Document")
    g.add(ds, PROV + "wasDerivedFrom", article)
    g.add(ds, DCTERMS + "relation", article)
    g.add(article, DCTERMS + "identifier", Literal(meta.source.handle))
    record = g.typed(IRI(meta.source.record), FOAF + "Document")
    g.add(article, FOAF + "page", record)
    g.add(record, DCTERMS + "isPartOf", IRI(meta.source.repository))
    for code in meta.source.languages:
        g.add(article, DCTERMS + "language", _language(g, code))
    for text, tag in meta.source.keywords:
        g.add(article, SCHEMA + "keywords", Literal(text, language=tag))


def _void(g: _Triples, ds: IRI, stats: DatasetStats, resource_base: str) -> None:
    g.add(ds, VOID + "triples", integer(stats.triples))
    g.add(ds, VOID + "entities", integer(stats.entities))
    g.add(ds, VOID + "classes", integer(len(stats.classes)))
    g.add(ds, VOID + "properties", integer(len(stats.properties)))
    g.add(ds, VOID + "uriSpace", Literal(resource_base))
    g.add(ds, VOID + "rootResource", IRI(BASE + "ontology"))
    for vocab in stats.vocabularies:
        g.add(ds, VOID + "vocabulary", IRI(vocab))
    for example in stats.examples:
        g.add(ds, VOID + "exampleResource", IRI(resource_base + example[len(RESOURCE_BASE) :]))


def _service(g: _Triples, ds: IRI, meta: Metadata, endpoint: str, agents: tuple[IRI, IRI]) -> IRI:
    """The SPARQL endpoint as a dcat:DataService (its endpoint describes itself: SPARQL 1.1
    Service Description at the endpoint URL)."""
    g.add(ds, VOID + "sparqlEndpoint", IRI(endpoint))
    service = g.typed(IRI(meta.dataset + "#sparql-service"), DCAT + "DataService")
    g.add(service, DCTERMS + "title", en(f"SPARQL endpoint of {meta.title}"))
    g.add(service, DCTERMS + "description", en(
        "A read-only SPARQL 1.1 endpoint over the dataset (asserted triples and their OWL 2 RL "
        "inferences)."
    ))  # fmt: skip
    g.add(service, DCAT + "endpointURL", IRI(endpoint))
    g.add(service, DCAT + "endpointDescription", IRI(endpoint))
    g.add(service, DCAT + "servesDataset", ds)
    g.add(service, DCTERMS + "publisher", agents[0])
    g.add(service, DCAT + "contactPoint", agents[1])
    g.add(service, DCTERMS + "license", IRI(meta.licence))
    protocol = g.typed(IRI("https://www.w3.org/TR/sparql11-protocol/"), DCTERMS + "Standard")
    g.add(service, DCTERMS + "conformsTo", protocol)
    for text, tag in meta.keywords:
        g.add(service, DCAT + "keyword", Literal(text, language=tag))
    for code in meta.themes:
        g.add(service, DCAT + "theme", IRI(f"{EU_AUTHORITY}data-theme/{code}"))
    return service


def _distribution_common(g: _Triples, dist: IRI, ds: IRI, meta: Metadata) -> None:
    g.typed(dist, DCAT + "Distribution")
    g.add(ds, DCAT + "distribution", dist)
    g.add(dist, DCTERMS + "license", IRI(meta.licence))
    availability = EU_AUTHORITY + "planned-availability/STABLE"
    g.add(dist, "http://data.europa.eu/r5r/availability", g.concept(availability, "stable"))
    g.add(dist, DCTERMS + "issued", date(meta.modified))
    g.add(dist, DCTERMS + "modified", date(meta.modified))


def _distribution(g: _Triples, ds: IRI, meta: Metadata, dump: Dump) -> None:
    """A dump: download and access URL, IANA media type, EU file type, size, SHA-256."""
    _file, media, file_type, name = DUMP_FORMATS[dump.fmt]
    dist = IRI(f"{meta.dataset}#distribution-{dump.fmt}")
    _distribution_common(g, dist, ds, meta)
    g.add(ds, VOID + "dataDump", IRI(dump.url))
    g.add(dist, DCTERMS + "title", en(f"{meta.title}: {name} dump"))
    g.add(dist, DCTERMS + "description", en(f"The whole graph in one {name} file."))
    g.add(dist, DCAT + "downloadURL", IRI(dump.url))
    g.add(dist, DCAT + "accessURL", IRI(dump.url))
    g.add(dist, DCAT + "mediaType", g.typed(IRI(IANA + media), DCTERMS + "MediaType"))
    fmt = EU_AUTHORITY + "file-type/" + file_type
    g.add(dist, DCTERMS + "format", g.typed(IRI(fmt), DCTERMS + "MediaTypeOrExtent"))
    g.add(dist, DCAT + "byteSize", integer(dump.size, "nonNegativeInteger"))
    checksum = g.typed(IRI(f"{meta.dataset}#checksum-{dump.fmt}"), SPDX + "Checksum")
    g.add(checksum, SPDX + "algorithm", IRI(SPDX + "checksumAlgorithm_sha256"))
    g.add(checksum, SPDX + "checksumValue", Literal(dump.sha256, XSD + "hexBinary"))
    g.add(dist, SPDX + "checksum", checksum)


def _sparql_distribution(g: _Triples, ds: IRI, meta: Metadata, endpoint: str, service: IRI) -> None:
    dist = IRI(f"{meta.dataset}#distribution-sparql")
    _distribution_common(g, dist, ds, meta)
    g.add(dist, DCTERMS + "title", en(f"{meta.title}: SPARQL endpoint"))
    g.add(dist, DCTERMS + "description", en("The dataset queried through its SPARQL endpoint."))
    g.add(dist, DCAT + "accessURL", IRI(endpoint))
    g.add(dist, DCAT + "accessService", service)
    results = g.typed(IRI(IANA + "application/sparql-results+json"), DCTERMS + "MediaType")
    g.add(dist, DCAT + "mediaType", results)
    fmt = g.typed(IRI(EU_AUTHORITY + "file-type/SPARQLQ"), DCTERMS + "MediaTypeOrExtent")
    g.add(dist, DCTERMS + "format", fmt)


def _catalogue(g: _Triples, ds: IRI, service: IRI, meta: Metadata, agents: tuple[IRI, IRI]) -> None:
    """A catalogue holding the dataset and the service, and the dataset's record in it."""
    catalog = g.typed(IRI(meta.base + "catalog"), DCAT + "Catalog")
    g.add(catalog, DCTERMS + "title", en(f"Catalogue of {meta.title}"))
    g.add(catalog, DCTERMS + "description", en(
        "The catalogue a kzgraph publication describes itself in: the dataset and its SPARQL "
        "service."
    ))  # fmt: skip
    g.add(catalog, DCTERMS + "publisher", agents[0])
    g.add(catalog, DCAT + "dataset", ds)
    g.add(catalog, DCAT + "service", service)
    g.add(catalog, FOAF + "homepage", IRI(meta.base))
    g.add(catalog, DCTERMS + "license", IRI(meta.licence))
    g.add(catalog, DCTERMS + "issued", date(meta.issued))
    g.add(catalog, DCTERMS + "modified", date(meta.modified))
    for code in meta.languages:
        g.add(catalog, DCTERMS + "language", IRI(f"{EU_AUTHORITY}language/{code}"))
    for place in meta.spatial:
        g.add(catalog, DCTERMS + "spatial", IRI(f"{EU_AUTHORITY}country/{place.code}"))
    scheme = g.typed(IRI(EU_AUTHORITY + "data-theme"), SKOS + "ConceptScheme")
    g.add(scheme, DCTERMS + "title", en("Data theme"))
    g.add(catalog, DCAT + "themeTaxonomy", scheme)
    record = g.typed(IRI(meta.base + "catalog#record-dataset"), DCAT + "CatalogRecord")
    g.add(catalog, DCAT + "record", record)
    g.add(record, FOAF + "primaryTopic", ds)
    g.add(record, DCTERMS + "issued", date(meta.issued))
    g.add(record, DCTERMS + "modified", date(meta.modified))
    g.add(record, DCTERMS + "conformsTo", g.typed(IRI(DCAT_AP), DCTERMS + "Standard"))
    status = "http://purl.org/adms/status/Completed"
    g.add(record, ADMS + "status", g.concept(status, "Completed"))


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
