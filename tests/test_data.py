"""Whole-repository checks of data/: form, namespaces, editorial marking and no copied prose."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SKOS

from kzgraph.namespaces import ONTOLOGY, PREFIXES, RESOURCE_BASE

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
ONTOLOGY_FILE = ROOT / "ontology" / "kzgraph.ttl"
FINGERPRINTS = Path(__file__).parent / "article-8grams.txt"
KZ = Namespace(ONTOLOGY)
WD = "http://www.wikidata.org/entity/"

DATA_FILES = sorted(DATA.glob("*.ttl"))

#: The data file each kind of resource is defined in (STYLE.md: one file per kind of thing).
FILE_OF_KIND = {
    "state": "states.ttl",
    "person": "persons.ttl",
    "people": "peoples.ttl",
    "office": "offices.ttl",
    "tenure": "offices.ttl",
    "document": "documents.ttl",
    "event": "events.ttl",
    "institution": "institutions.ttl",
    "place": "places.ttl",
    "diaspora": "diasporas.ttl",
    "figure": "figures.ttl",
    "work": "sources.ttl",
    "paragraph": "sources.ttl",
    "conflict": "conflicts.ttl",
    "section": "article.ttl",
    "discourse": "article.ttl",
    "citation": "citations.ttl",
}

#: The Wikidata ids confirmed in ../shared/reference/wikidata-ids.md, with their entities.
CONFIRMED_WIKIDATA = {
    "state/kazakhstan": "Q232",
    "state/turkey": "Q43",
    "state/azerbaijan": "Q227",
    "state/kyrgyzstan": "Q813",
    "state/uzbekistan": "Q265",
    "state/turkmenistan": "Q874",
    "state/kazakh-ssr": "Q168811",
    "state/ussr": "Q15180",
    "person/recep-tayyip-erdogan": "Q39259",
    "person/turgut-ozal": "Q180280",
    "person/suleyman-demirel": "Q151729",
    "person/tansu-ciller": "Q208377",
    "person/abdullah-gul": "Q42852",
    "institution/turkic-council": "Q596850",
    "place/almaty": "Q35493",
    "place/astana": "Q1520",
    "place/ankara": "Q3640",
    "place/istanbul": "Q406",
    "office/president-of-kazakhstan": "Q5256775",
    "office/prime-minister-of-turkey": "Q2430415",
}

#: Properties whose values are names or titles, which may repeat the article's wording.
NAME_PROPERTIES = {
    RDFS.label,
    SKOS.prefLabel,
    SKOS.altLabel,
    KZ.articleSpelling,
    KZ.title,
    KZ.workTitle,
    KZ.citationText,
    KZ.previousName,
    KZ.newName,
}


@cache
def file_graph(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


@cache
def data_graph() -> Graph:
    graph = Graph()
    for path in DATA_FILES:
        graph += file_graph(path)
    return graph


@cache
def ontology_terms() -> frozenset[URIRef]:
    onto = Graph().parse(ONTOLOGY_FILE, format="turtle")
    return frozenset(s for s in onto.subjects() if isinstance(s, URIRef))


def test_the_data_directory_holds_one_file_per_kind() -> None:
    names = {path.name for path in DATA_FILES}
    assert set(FILE_OF_KIND.values()) <= names


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_data_file_parses(path: Path) -> None:
    assert len(file_graph(path)) > 0


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_data_file_starts_with_a_comment_and_sorted_prefixes(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# ") and len(lines[0]) > 10, (
        "first line must say what the file holds"
    )
    prefixes = [line for line in lines if line.startswith("@prefix")]
    names = [re.match(r"@prefix\s+([\w-]*):", line).group(1) for line in prefixes]  # type: ignore[union-attr]
    assert names == sorted(names), f"{path.name}: @prefix lines are not sorted"
    for line in prefixes:
        name, iri = re.match(r"@prefix\s+([\w-]*):\s*<([^>]*)>", line).groups()  # type: ignore[union-attr]
        if name in PREFIXES:
            assert iri == PREFIXES[name], (
                f"{path.name}: prefix {name}: is <{iri}>, not <{PREFIXES[name]}>"
            )


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_data_file_has_blank_nodes_only_as_axiom_annotations(path: Path) -> None:
    """Every node has an IRI, except an axiom annotation (``[] a owl:Axiom ; owl:annotatedSource …;
    owl:annotatedProperty …; owl:annotatedTarget …; kz:axiomStatedIn …``, the sources of one
    statement), which is only a subject."""
    graph = file_graph(path)
    blanks = {t for triple in graph for t in triple if isinstance(t, BNode)}
    bad = [b for b in blanks if (b, RDF.type, OWL.Axiom) not in graph]
    assert not bad, f"{path.name} has blank nodes; give every node an IRI"
    assert not any(isinstance(o, BNode) for o in graph.objects()), (
        f"{path.name}: an axiom annotation is a subject only"
    )


def _statements(graph: Graph) -> dict[BNode, tuple[URIRef, URIRef, object]]:
    return {
        node: (graph.value(node, OWL.annotatedSource), graph.value(node, OWL.annotatedProperty),
               graph.value(node, OWL.annotatedTarget))
        for node in set(graph.subjects(RDF.type, OWL.Axiom))
        if isinstance(node, BNode)
    }  # fmt: skip


def test_every_annotated_statement_is_in_the_data_and_in_its_subjects_file() -> None:
    graph = data_graph()
    missing, misplaced = [], []
    for path in DATA_FILES:
        for s, p, o in _statements(file_graph(path)).values():
            if (s, p, o) not in graph:
                missing.append(f"{path.name}: {s} {p} {o!r}")
            if (s, p, o) not in file_graph(path):
                misplaced.append(f"{path.name}: {s} {p} (put it after its subject's block)")
    assert not missing, (
        "axiom annotations of statements that the data does not make:\n" + "\n".join(missing)
    )
    assert not misplaced, "\n".join(misplaced)


def test_data_holds_instances_only() -> None:
    graph = data_graph()
    schema_types = {OWL.Class, RDFS.Class, RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty}
    defined = [s for s, o in graph.subject_objects(RDF.type) if o in schema_types]
    axioms = [
        (s, p)
        for p in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf)
        for s in graph.subjects(p)
    ]
    assert not defined and not axioms, "classes and properties live only in ontology/"


def test_every_subject_is_a_resource_defined_in_the_file_of_its_kind() -> None:
    misplaced = []
    for path in DATA_FILES:
        for subject in set(file_graph(path).subjects()):
            if isinstance(subject, BNode):  # an axiom annotation, in its subject's file (above)
                continue
            iri = str(subject)
            assert iri.startswith(RESOURCE_BASE), f"{path.name}: {iri} is outside {RESOURCE_BASE}"
            kind = iri[len(RESOURCE_BASE) :].split("/", 1)[0]
            if FILE_OF_KIND.get(kind) != path.name:
                misplaced.append(f"{path.name}: {iri}")
    assert not misplaced, "resources defined outside the file of their kind:\n" + "\n".join(
        misplaced
    )


def test_slugs_are_readable_kebab_case() -> None:
    bad = [
        str(s)
        for s in set(data_graph().subjects())
        if not isinstance(s, BNode)
        and not re.fullmatch(
            r"[a-z]+/([a-z0-9]+(-[a-z0-9]+)*|P[0-9]+)", str(s)[len(RESOURCE_BASE) :]
        )
    ]
    assert not bad, f"slugs must be kebab-case: {bad}"


def test_every_kz_term_used_in_data_is_declared_in_the_ontology() -> None:
    graph = data_graph()
    used = {p for p in graph.predicates() if str(p).startswith(ONTOLOGY)}
    used |= {o for o in graph.objects() if isinstance(o, URIRef) and str(o).startswith(ONTOLOGY)}
    undeclared = sorted(str(t) for t in used - ontology_terms())
    assert not undeclared, f"not in ontology/kzgraph.ttl: {undeclared}"


def test_every_resource_referenced_is_defined() -> None:
    graph = data_graph()
    subjects = set(graph.subjects())
    dangling = sorted(
        f"{s} -> {o}"
        for s, o in graph.subject_objects()
        if isinstance(o, URIRef) and str(o).startswith(RESOURCE_BASE) and o not in subjects
    )
    assert not dangling, "references to undefined resources:\n" + "\n".join(dangling)


def test_wikidata_links_are_only_the_confirmed_ones_on_their_entities() -> None:
    graph = data_graph()
    found = {
        str(s)[len(RESOURCE_BASE) :]: str(o)[len(WD) :]
        for s, o in graph.subject_objects(SKOS.exactMatch)
        if str(o).startswith(WD)
    }
    others = [o for o in graph.objects(None, SKOS.exactMatch) if not str(o).startswith(WD)]
    assert not others
    assert not [s for s, o in graph.subject_objects(OWL.sameAs)], "never owl:sameAs"
    assert found == CONFIRMED_WIKIDATA


def test_editorial_additions_are_marked() -> None:
    graph = data_graph()
    unmarked = []
    for subject in set(graph.subjects(SKOS.exactMatch)):
        if (subject, KZ.editorialAddition, KZ.ExternalIdentifier) not in graph:
            unmarked.append(f"{subject}: Wikidata link without kz:ExternalIdentifier")
    for subject, label in graph.subject_objects(SKOS.prefLabel):
        lang = label.language if isinstance(label, Literal) else None
        if lang and lang != "en" and (subject, KZ.editorialAddition, KZ.Translation) not in graph:
            unmarked.append(f"{subject}: @{lang} label without kz:Translation")
    for subject in set(graph.subjects(KZ.editorialAddition)):
        for kind in (KZ.Identification, KZ.Classification):
            if (subject, KZ.editorialAddition, kind) in graph and not any(
                graph.objects(subject, SKOS.editorialNote)
            ):
                unmarked.append(f"{subject}: {kind} without a skos:editorialNote saying why")
    assert not unmarked, "\n".join(sorted(unmarked))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def test_no_prose_literal_repeats_eight_words_of_the_article() -> None:
    import hashlib

    prints = set(FINGERPRINTS.read_text(encoding="ascii").split())
    copied = []
    graph = data_graph()
    for s, p, o in graph:
        if p == OWL.annotatedTarget:  # an annotated statement's value: its property's rule
            p = graph.value(s, OWL.annotatedProperty)
        if not isinstance(o, Literal) or p in NAME_PROPERTIES:
            continue
        tokens = _words(str(o))
        for i in range(len(tokens) - 7):
            run = " ".join(tokens[i : i + 8])
            if hashlib.sha1(run.encode()).hexdigest()[:12] in prints:
                copied.append(f"{s} {p}: '{run}'")
                break
    assert not copied, "write these in your own words:\n" + "\n".join(sorted(copied))


def test_the_fingerprint_test_can_fail() -> None:
    """A sentence of the article (P14's first words) is caught by the fingerprints."""
    import hashlib

    prints = set(FINGERPRINTS.read_text(encoding="ascii").split())
    run = "when the kazakh soviet socialist republic declared its"
    assert hashlib.sha1(run.encode()).hexdigest()[:12] in prints


def test_all_33_paragraph_locators_exist() -> None:
    graph = data_graph()
    locators = {str(o) for o in graph.objects(None, KZ.locator)}
    assert locators == {f"P{n}" for n in range(1, 34)}
