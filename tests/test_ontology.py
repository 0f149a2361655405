"""The ontology: its header, its documentation, its OWL 2 RL profile and what the reasoner adds.

Reasoning cases are tiny input/expected pairs over the real TBox: each shows one axiom kind
earning its place (a query over the closure finds what the asserted data only implies).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kzgraph.errors import InconsistencyError
from kzgraph.namespaces import PREFIXES as NAMESPACES
from kzgraph.reason import reason

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILE = ROOT / "ontology" / "kzgraph.ttl"
KZ = "https://w3id.org/kzgraph/ontology#"
ONTOLOGY_IRI = URIRef("https://w3id.org/kzgraph/ontology")
WIKIDATA_REFERENCE = {
    "Q232", "Q43", "Q227", "Q813", "Q265", "Q874", "Q168811", "Q15180", "Q39259", "Q180280",
    "Q151729", "Q208377", "Q42852", "Q596850", "Q35493", "Q1520", "Q3640", "Q406", "Q5256775",
    "Q2430415",
}  # fmt: skip

PREFIXES = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in NAMESPACES.items())


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def ours(kind: URIRef) -> list[URIRef]:
    return sorted(s for s in ontology().subjects(RDF.type, kind) if str(s).startswith(KZ))


def test_ontology_header_is_complete() -> None:
    graph = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    for prop in (
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.license,
        DCTERMS.creator,
        DCTERMS.created,
        DCTERMS.modified,
        OWL.versionInfo,
        OWL.versionIRI,
        SKOS.changeNote,
    ):
        assert graph.value(ONTOLOGY_IRI, prop) is not None, prop
    version = str(graph.value(ONTOLOGY_IRI, OWL.versionInfo))
    assert str(graph.value(ONTOLOGY_IRI, OWL.versionIRI)).endswith("/" + version)


@pytest.mark.parametrize(
    "kind",
    [OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty],
    ids=lambda k: str(k).rsplit("#", 1)[1],
)
def test_every_term_has_an_english_label_and_a_comment(kind: URIRef) -> None:
    graph = ontology()
    terms = ours(kind)
    assert terms
    missing = [
        str(t)
        for t in terms
        if not any(
            isinstance(v, Literal) and v.language == "en" for v in graph.objects(t, RDFS.label)
        )
        or graph.value(t, RDFS.comment) is None
    ]
    assert not missing, missing


def test_every_concept_is_in_a_scheme_with_a_label_and_definition() -> None:
    graph = ontology()
    concepts = ours(SKOS.Concept)
    assert len(concepts) > 30
    for concept in concepts:
        scheme = graph.value(concept, SKOS.inScheme)
        assert (scheme, RDF.type, SKOS.ConceptScheme) in graph, concept
        assert graph.value(concept, SKOS.prefLabel) and graph.value(concept, SKOS.definition)


def test_ontology_stays_in_the_owl2_rl_constructs_it_uses() -> None:
    """Class expressions outside OWL 2 RL's superclass/subclass forms are not used at all."""
    graph = ontology()
    forbidden = {
        OWL.someValuesFrom,
        OWL.allValuesFrom,
        OWL.unionOf,
        OWL.complementOf,
        OWL.oneOf,
        OWL.minCardinality,
        OWL.cardinality,
        OWL.hasSelf,
        OWL.sameAs,
    }
    used = {p for p in graph.predicates()} | {o for o in graph.objects() if isinstance(o, URIRef)}
    assert not used & forbidden
    assert not list(graph.subjects(RDF.type, OWL.ReflexiveProperty))


def test_wikidata_links_in_the_ontology_are_confirmed_ids_only() -> None:
    links = {str(o) for o in ontology().objects(None, SKOS.exactMatch)}
    assert {link.rsplit("/", 1)[1] for link in links} <= WIKIDATA_REFERENCE


def closure_of(turtle: str) -> Graph:
    asserted = Graph()
    asserted += ontology()
    asserted.parse(data=PREFIXES + turtle, format="turtle")
    closed = reason(asserted)
    everything = Graph()
    everything += closed.asserted
    everything += closed.inferred
    return everything


def r(path: str) -> URIRef:
    return URIRef("https://w3id.org/kzgraph/resource/" + path)


def kz(name: str) -> URIRef:
    return URIRef(KZ + name)


def test_class_hierarchy_makes_a_presidency_a_head_of_state_office() -> None:
    graph = closure_of("office:p a kz:PresidentialOffice .")
    assert (r("office/p"), RDF.type, kz("HeadOfStateOffice")) in graph
    assert (r("office/p"), RDF.type, URIRef("http://www.w3.org/ns/org#Post")) in graph


def test_signatures_give_signatories_and_parties_found_from_either_side() -> None:
    graph = closure_of(
        """
        document:d kz:hasSignature document:d-sig-a , document:d-sig-b .
        document:d-sig-a kz:signer person:a ; kz:signedFor state:x .
        document:d-sig-b kz:signer person:b ; kz:signedFor state:y .
        """
    )
    for person in ("a", "b"):
        assert (r("document/d"), kz("signatory"), r(f"person/{person}")) in graph
        assert (r(f"person/{person}"), kz("signed"), r("document/d")) in graph
    for state in ("x", "y"):
        assert (r("document/d"), kz("party"), r(f"state/{state}")) in graph
        assert (r(f"state/{state}"), kz("partyTo"), r("document/d")) in graph
    assert (r("person/a"), RDF.type, kz("Person")) in graph


def test_an_event_in_a_district_happened_in_its_city_and_state() -> None:
    graph = closure_of(
        """
        place:d kz:locatedIn place:c . place:c kz:locatedIn state:s .
        event:e kz:place place:d .
        """
    )
    for place in ("place/d", "place/c", "state/s"):
        assert (r("event/e"), kz("occurredIn"), r(place)) in graph
    assert (r("state/s"), kz("contains"), r("place/d")) in graph


def test_conflicts_and_cooperation_are_symmetric() -> None:
    graph = closure_of(
        """
        event:a kz:conflictsWith event:b .
        institution:x kz:cooperatesWith institution:y .
        """
    )
    assert (r("event/b"), kz("conflictsWith"), r("event/a")) in graph
    assert (r("institution/y"), kz("cooperatesWith"), r("institution/x")) in graph


def test_sources_are_reachable_from_the_paragraph_and_the_cited_work() -> None:
    graph = closure_of("event:e kz:statedIn paragraph:P14 ; kz:citation work:w .")
    assert (r("paragraph/P14"), kz("states"), r("event/e")) in graph
    assert (r("work/w"), kz("supports"), r("event/e")) in graph
    assert (
        r("event/e"),
        URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"),
        r("paragraph/P14"),
    ) in graph


def test_sub_events_are_transitive() -> None:
    graph = closure_of("event:a kz:subEventOf event:b . event:b kz:subEventOf event:c .")
    assert (r("event/a"), kz("subEventOf"), r("event/c")) in graph
    assert (r("event/c"), kz("hasSubEvent"), r("event/a")) in graph


def test_a_person_who_is_also_a_polity_is_an_inconsistency() -> None:
    with pytest.raises(InconsistencyError):
        closure_of("person:x a kz:Person , kz:SovereignState .")


def test_the_bundled_data_is_consistent_under_owl_rl() -> None:
    asserted = Graph()
    asserted += ontology()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        asserted.parse(path, format="turtle")
    closed = reason(asserted)  # raises InconsistencyError otherwise
    assert len(closed.inferred) > 1000
    # the reasoner adds what queries rely on: e.g. Turkey is party to the 1994 treaty both ways
    assert (
        r("state/turkey"),
        kz("partyTo"),
        r("document/friendship-treaty-1994"),
    ) in closed.inferred
