"""``describe``: everything the graph says about one resource, each fact with its sources.

Provenance rule: a triple is sourced by the ``kz:statedIn`` paragraphs (and
``kz:citation`` works) of the node it is stated on.  Facts on the entity node get
the entity's own locators; a fact reached through an n-ary node (a ``kz:Fact``: a
tenure, a signing, a figure...) shows that node's locators, and so does an incoming
link, which is stated on its subject.
"""

from __future__ import annotations

from dataclasses import dataclass

from kzgraph.query import Engine
from kzgraph.terms import (
    IRI,
    RDFS_LABEL,
    SKOS_ALTLABEL,
    SKOS_PREFLABEL,
    BNode,
    Literal,
    Term,
)

KZ = "https://w3id.org/kzgraph/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
STATED_IN = KZ + "statedIn"
CITATION = KZ + "citation"
LOCATOR = KZ + "locator"
FACT = KZ + "Fact"
#: provenance links, shown as sources rather than as facts
PROVENANCE = {
    STATED_IN,
    CITATION,
    KZ + "states",
    KZ + "supports",
    "http://www.w3.org/ns/prov#wasDerivedFrom",  # super-property of kz:statedIn
    "http://purl.org/dc/terms/references",  # super-property of kz:citation
}
NAME_PREDICATES = (SKOS_PREFLABEL, SKOS_ALTLABEL)
SEARCH_PREDICATES = (RDFS_LABEL, SKOS_PREFLABEL, SKOS_ALTLABEL)


@dataclass(frozen=True)
class Sources:
    locators: tuple[str, ...] = ()  # "P14", ...
    citations: tuple[str, ...] = ()  # "Asylbekov et al., 2010", ...


@dataclass(frozen=True)
class Fact:
    property: str  # property IRI
    property_label: str
    value: Term
    value_label: str
    sources: Sources
    #: for a link to/from an n-ary node: that node's other facts, as (property label, value label)
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Description:
    iri: str
    label: str
    types: tuple[str, ...]
    sources: Sources
    names: tuple[str, ...]  # skos:prefLabel / skos:altLabel values, "value@lang"
    facts: tuple[Fact, ...]  # outgoing, sorted by property label then value label
    incoming: tuple[Fact, ...]  # value = the subject linking here


def resolve(engine: Engine, term: str) -> str:
    """The IRI ``term`` names: an IRI, a prefixed name or a name (see :mod:`kzgraph.resolve`)."""
    from kzgraph.resolve import NameIndex

    return NameIndex.from_engine(engine).resolve(term).iri


def sources_of(engine: Engine, node: Term) -> Sources:
    """The locators and citations stated on ``node`` itself."""
    locators, citations = set(), set()
    for _s, _p, para in engine.triples(node, IRI(STATED_IN), None):
        found = [o.value for _s2, _p2, o in engine.triples(para, IRI(LOCATOR), None)]
        if not found and isinstance(para, IRI):
            found = [engine.labels([para.value])[para.value]]
        locators.update(found)
    for _s, _p, work in engine.triples(node, IRI(CITATION), None):
        if isinstance(work, IRI):
            citations.add(engine.labels([work.value])[work.value])
    return Sources(tuple(sorted(locators, key=_locator_key)), tuple(sorted(citations)))


def _locator_key(locator: str) -> tuple[str, int, str]:
    digits = "".join(ch for ch in locator if ch.isdigit())
    return (locator.rstrip("0123456789"), int(digits) if digits else 0, locator)


def _is_fact(engine: Engine, node: Term) -> bool:
    return isinstance(node, IRI | BNode) and any(
        True for _ in engine.triples(node, IRI(RDF_TYPE), IRI(FACT))
    )


def _value_label(engine: Engine, term: Term) -> str:
    if isinstance(term, IRI):
        return engine.labels([term.value])[term.value]
    if isinstance(term, Literal):
        return term.value + (f"@{term.language}" if term.language else "")
    return f"_:{term.value}"


_SKIP_IN_DETAILS = PROVENANCE | {
    RDF_TYPE,
    RDFS_LABEL,
    SKOS_PREFLABEL,
    SKOS_ALTLABEL,
    "http://www.w3.org/2000/01/rdf-schema#comment",
    "http://www.w3.org/2004/02/skos/core#editorialNote",
    "http://purl.org/dc/terms/description",
    "https://schema.org/description",
}
DETAIL_WIDTH = 60


def _details(engine: Engine, node: Term, back_to: str) -> tuple[tuple[str, str], ...]:
    rows = set()
    for _s, p, o in engine.triples(node, None, None):
        if p.value in _SKIP_IN_DETAILS or (isinstance(o, IRI) and o.value == back_to):
            continue
        value = _value_label(engine, o)
        if len(value) > DETAIL_WIDTH:
            value = value[: DETAIL_WIDTH - 1].rstrip() + "…"
        rows.add((engine.labels([p.value])[p.value], value))
    return tuple(sorted(rows))


def describe(engine: Engine, iri: str, asserted: Engine | None = None) -> Description:
    """Everything stated about ``iri``, outgoing and incoming, with sources.

    Facts come from ``asserted`` when given (what the data says, without the
    inverse and super-property copies the reasoner adds); types, labels and
    sources from ``engine`` (the full closure).
    """
    node = IRI(iri)
    own = sources_of(engine, node)
    facts_from = asserted or engine
    type_iris = {
        o.value for _s, _p, o in engine.triples(node, IRI(RDF_TYPE), None) if isinstance(o, IRI)
    }
    ours = {t for t in type_iris if t.startswith(KZ)} or type_iris
    types = {engine.labels([t])[t] for t in ours}
    names = sorted(
        {
            _value_label(engine, o)
            for pred in NAME_PREDICATES
            for _s, _p, o in engine.triples(node, IRI(pred), None)
        }
    )
    facts, incoming = [], []
    for _s, p, o in facts_from.triples(node, None, None):
        if p.value in PROVENANCE or p.value in (RDF_TYPE, RDFS_LABEL, *NAME_PREDICATES):
            continue
        nary = o != node and _is_fact(engine, o)
        facts.append(
            Fact(
                property=p.value,
                property_label=engine.labels([p.value])[p.value],
                value=o,
                value_label=_value_label(engine, o),
                sources=sources_of(engine, o) if nary else own,
                details=_details(facts_from, o, iri) if nary else (),
            )
        )
    for s, p, _o in facts_from.triples(None, None, node):
        if p.value in PROVENANCE or s == node:
            continue
        incoming.append(
            Fact(
                property=p.value,
                property_label=engine.labels([p.value])[p.value],
                value=s,
                value_label=_value_label(engine, s),
                sources=sources_of(engine, s),
                details=_details(facts_from, s, iri) if _is_fact(engine, s) else (),
            )
        )

    def order(f: Fact) -> tuple[str, str, str]:
        return (f.property_label.casefold(), f.value_label.casefold(), f.property)

    return Description(
        iri=iri,
        label=engine.labels([iri])[iri],
        types=tuple(sorted(types)),
        sources=own,
        names=tuple(names),
        facts=tuple(sorted(facts, key=order)),
        incoming=tuple(sorted(incoming, key=order)),
    )
