"""kzgraph.reason: OWL RL on a copy, the junk filter, inconsistency detection."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kzgraph.errors import InconsistencyError
from kzgraph.reason import is_junk, reason

HEAD = """@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def graph(text: str) -> Graph:
    return Graph().parse(data=HEAD + text, format="turtle")


def test_inverse_and_subclass_inferences_exactly() -> None:
    asserted = graph(
        """
        ex:holder owl:inverseOf ex:held .
        ex:Person rdfs:subClassOf ex:Agent .
        ex:t ex:holder ex:p .
        ex:p a ex:Person ; ex:born "1940-07-06"^^xsd:date .
        """
    )
    expected = graph(
        """
        ex:p ex:held ex:t .
        ex:p a ex:Agent .
        """
    )
    closure = reason(asserted)
    assert isomorphic(closure.inferred, expected), closure.inferred.serialize(format="nt")


def test_reasoning_never_mutates_the_input() -> None:
    asserted = graph("ex:Person rdfs:subClassOf ex:Agent . ex:p a ex:Person .")
    before = set(asserted)
    reason(asserted)
    assert set(asserted) == before


def test_closed_is_asserted_plus_inferred_with_their_prefixes() -> None:
    asserted = graph("ex:Person rdfs:subClassOf ex:Agent . ex:p a ex:Person .")
    closure = reason(asserted)
    union = asserted + closure.inferred
    assert set(closure.closed) == set(union)
    assert closure.closed is not asserted
    assert set(closure.closed.namespaces()) == set(union.namespaces())


def test_junk_is_dropped_and_counted() -> None:
    closure = reason(graph('ex:p ex:born "1940"^^xsd:gYear . ex:C a owl:Class .'))
    assert closure.dropped > 50  # owlrl's axiomatic triples, sameAs, literal subjects
    for s, p, o in closure.inferred:
        assert not isinstance(s, Literal)
        assert not (s == o and p == URIRef("http://www.w3.org/2002/07/owl#sameAs"))
        assert not str(s).startswith("http://www.w3.org/2001/XMLSchema#")


def test_is_junk_rules() -> None:
    owl = "http://www.w3.org/2002/07/owl#"
    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    x = URIRef("http://example.org/x")
    assert is_junk(x, URIRef(owl + "sameAs"), x)
    assert is_junk(Literal("1"), rdf_type, URIRef("http://www.w3.org/2001/XMLSchema#integer"))
    assert is_junk(URIRef(owl + "Nothing"), rdf_type, URIRef(owl + "Class"))
    assert is_junk(x, rdf_type, URIRef(owl + "Thing"))
    assert not is_junk(x, rdf_type, URIRef("http://example.org/Agent"))
    assert not is_junk(x, URIRef(owl + "sameAs"), URIRef("http://example.org/y"))


def test_member_of_disjoint_classes_is_an_inconsistency_naming_the_node() -> None:
    asserted = graph(
        """
        ex:State owl:disjointWith ex:Person .
        ex:Leader rdfs:subClassOf ex:Person .
        ex:kazakhstan a ex:State , ex:Leader .
        """
    )
    with pytest.raises(InconsistencyError) as caught:
        reason(asserted)
    assert "http://example.org/kazakhstan" in caught.value.nodes
    assert "http://example.org/kazakhstan" in str(caught.value)
    assert caught.value.exit_code == 1


def test_fixture_closure_types_people_as_agents(fixture_project) -> None:  # type: ignore[no-untyped-def]
    from kzgraph.load import load_graph

    loaded = load_graph(fixture_project.ontology_files() + fixture_project.data_files())
    closure = reason(loaded.graph)
    agent = URIRef("https://w3id.org/kzgraph/ontology#Agent")
    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    agents = set(closure.inferred.subjects(rdf_type, agent))
    assert URIRef("https://w3id.org/kzgraph/resource/person/ozal") in agents
    assert len(agents) == 5
