"""``describe``: everything the graph says about one resource, each fact with its sources.

The rule it keeps: every statement shown carries the sources of that statement, as
:func:`statement_sources` computes them (the first that applies): (a) an axiom annotation of the
statement (an OWL 2 axiom annotation: an ``owl:Axiom`` with ``owl:annotatedSource``,
``owl:annotatedProperty``, ``owl:annotatedTarget`` and ``kz:axiomStatedIn``/``kz:axiomCitation``
or ``kz:axiomEditorialAddition``); (b) a property that is editorial by nature
(``kz:editorialKind`` in the ontology: Wikidata links, labels, derived bounds, the
editors' notes); (c) a link to an n-ary node (a tenure, a signature, a figure: a class
with ``kz:sourcedByValue``), a property with ``kz:sourcedByValue`` (``kz:attestedBy``) or
a property chain through such a node: that node's own sources; (d) the subject's own
``kz:statedIn`` and ``kz:citation``.  The saved queries ``sources-of``,
``facts-in-paragraph`` and ``facts-citing`` implement the same rule in SPARQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kzgraph.engine import Engine
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
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = RDF + "type"
STATED_IN = KZ + "statedIn"
CITATION = KZ + "citation"
LOCATOR = KZ + "locator"
FACT = KZ + "Fact"
EDITORIAL_KIND = KZ + "editorialKind"
SOURCED_BY_VALUE = KZ + "sourcedByValue"
TRANSLATION = KZ + "Translation"
#: OWL 2 axiom annotations (an owl:Axiom node): the nodes that carry the sources of one
#: statement, with the annotation properties below instead of kz:statedIn / kz:citation
REIFICATION = (OWL + "annotatedSource", OWL + "annotatedProperty", OWL + "annotatedTarget")
AXIOM_STATED_IN = KZ + "axiomStatedIn"
AXIOM_CITATION = KZ + "axiomCitation"
AXIOM_EDITORIAL_ADDITION = KZ + "axiomEditorialAddition"
#: the article's structure: a paragraph's statements and in-text citations (see describe)
PARAGRAPH = KZ + "Paragraph"
STATES = KZ + "states"
CITED_IN = KZ + "citedIn"
CITING_PARAGRAPH = KZ + "citingParagraph"
CONTAINS_CITATION = KZ + "containsCitation"
ORDER_IN_PARAGRAPH = KZ + "orderInParagraph"
CITED_WORK = KZ + "citedWork"
CITATION_FORM = KZ + "citationForm"
CLOSES_PARAGRAPH = KZ + "closesParagraph"
CITATION_FUNCTION = "http://purl.org/spar/cito/hasCitationCharacterization"
SPAR_STRUCTURE = ("http://purl.org/spar/doco/", "http://purl.org/spar/deo/")
DISCOURSE_ELEMENT = "http://purl.org/spar/deo/DiscourseElement"
INVERSE_OF = OWL + "inverseOf"
SUBPROPERTY_OF = "http://www.w3.org/2000/01/rdf-schema#subPropertyOf"
SYMMETRIC = OWL + "SymmetricProperty"
CHAIN = OWL + "propertyChainAxiom"
#: provenance links, shown as sources rather than as facts
PROVENANCE = {
    STATED_IN,
    CITATION,
    KZ + "citedIn",  # a work's paragraphs: the work's own sources, shown as such
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
    citations: tuple[str, ...] = ()  # "Asylbekov et al. (2010)", ... (the works' labels)
    #: why the article does not state it: labels of kz:EditorialAdditions concepts
    #: ("external identifier", "derived bound"...); empty for a statement of the article
    editorial: tuple[str, ...] = ()

    def __or__(self, other: Sources) -> Sources:
        return Sources(
            tuple(sorted({*self.locators, *other.locators}, key=_locator_key)),
            tuple(sorted({*self.citations, *other.citations})),
            tuple(sorted({*self.editorial, *other.editorial})),
        )


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
    #: the sources of the names (skos:prefLabel / skos:altLabel statements), together
    names_sources: Sources = Sources()


def resolve(engine: Engine, term: str) -> str:
    """The IRI ``term`` names: an IRI, a prefixed name or a name (see :mod:`kzgraph.resolve`)."""
    from kzgraph.resolve import NameIndex

    return NameIndex.from_engine(engine).resolve(term).iri


def sources_of(engine: Engine, node: Term, *, axiom: bool = False) -> Sources:
    """The locators and citations stated on ``node`` itself (on an axiom annotation, with
    ``axiom=True``: its kz:axiomStatedIn and kz:axiomCitation)."""
    stated_in, citation = (AXIOM_STATED_IN, AXIOM_CITATION) if axiom else (STATED_IN, CITATION)
    locators, citations = set(), set()
    for _s, _p, para in engine.triples(node, IRI(stated_in), None):
        found = [o.value for _s2, _p2, o in engine.triples(para, IRI(LOCATOR), None)]
        if not found and isinstance(para, IRI):
            found = [engine.labels([para.value])[para.value]]
        locators.update(found)
    for _s, _p, work in engine.triples(node, IRI(citation), None):
        if isinstance(work, IRI):
            citations.add(engine.labels([work.value])[work.value])
    return Sources(tuple(sorted(locators, key=_locator_key)), tuple(sorted(citations)))


def statement_sources(
    engine: Engine, s: Term, p: Term | str, o: Term, asserted: Engine | None = None
) -> Sources:
    """The sources of the statement (``s``, ``p``, ``o``), by the rule in the module doc.

    ``engine`` is the closure (the ontology's annotations and axioms are read from it).
    A statement the reasoner copied from another has the sources of the one it was copied
    from (:func:`asserted_forms`): the inverse of an asserted statement (``kz:partyTo`` of
    ``kz:party``), a super-property (``skos:altLabel`` of ``kz:articleSpelling``); a
    symmetric one's other direction shares its axiom annotation.  ``asserted`` (the data as
    written) tells which direction was asserted; without it, the property that declares
    ``owl:inverseOf`` is taken for the asserted one, as in the bundled ontology.
    """
    pred = p if isinstance(p, IRI) else IRI(str(p))
    out: Sources | None = None
    for form in asserted_forms(engine, s, pred, o, asserted):
        found = _form_sources(engine, *form)
        out = found if out is None else out | found
    return out or Sources()


def asserted_forms(
    engine: Engine, s: Term, p: IRI, o: Term, asserted: Engine | None = None
) -> list[tuple[Term, IRI, Term]]:
    """The statements (``s``, ``p``, ``o``) is the reasoner's copy of, else itself: first the
    asserted direction of an inverse pair (without ``asserted``, or when neither direction
    is asserted: the direction of the property that declares ``owl:inverseOf``), then the
    most specific sub-properties that hold."""
    if asserted is None or not _has(asserted, s, p, o):
        declaring = [q for q, _p, _o in engine.triples(None, IRI(INVERSE_OF), p)]
        declared = [q for _p, _i, q in engine.triples(p, IRI(INVERSE_OF), None)]
        found = [
            q for q in declaring + declared if asserted is not None and _has(asserted, o, q, s)
        ] or [q for q in declaring if _has(engine, o, q, s)]
        if found and isinstance(found[0], IRI):
            s, p, o = o, found[0], s
    if asserted is not None and _has(asserted, s, p, o):
        return [(s, p, o)]
    subs: set[IRI] = set()
    for where in (asserted, engine):
        if where is not None and not subs:
            subs = {
                sub
                for sub, _p, _o in engine.triples(None, IRI(SUBPROPERTY_OF), p)
                if isinstance(sub, IRI) and sub != p and _has(where, s, sub, o)
            }
    specific = sorted(
        q for q in subs if not any(r != q and _has(engine, r, IRI(SUBPROPERTY_OF), q) for r in subs)
    )
    return [(s, q, o) for q in specific] or [(s, p, o)]


def _form_sources(engine: Engine, s: Term, p: IRI, o: Term) -> Sources:
    """Rules a-d for one asserted statement."""
    annotated = _annotated(engine, s, p, o)
    if annotated is not None:
        return annotated
    kind = editorial_kind(engine, p, o)
    if kind is not None:
        return Sources(editorial=(engine.labels([kind])[kind],))
    if _sourced_by_value(engine, p, o):
        return sources_of(engine, o)
    via = _chain_nodes(engine, s, p, o)
    if via:
        out = Sources()
        for node in via:
            out = out | sources_of(engine, node)
        return out
    return sources_of(engine, s)


def editorial_kind(engine: Engine, p: IRI, o: Term) -> str | None:
    """The kz:EditorialAdditions concept a statement with ``p`` (and value ``o``) is by
    nature, or None: the property's kz:editorialKind; a label property's value in a
    language other than English is a translation."""
    kinds = sorted(
        k.value for _s, _p, k in engine.triples(p, IRI(EDITORIAL_KIND), None) if isinstance(k, IRI)
    )
    if not kinds:
        return None
    if p.value in SEARCH_PREDICATES and isinstance(o, Literal):
        lang = (o.language or "").lower()
        if lang and lang != "en" and not lang.startswith("en-"):
            return TRANSLATION
    return kinds[0]


def _has(engine: Engine, s: Term, p: Term, o: Term) -> bool:
    return any(True for _ in engine.triples(s, p, o))


def _annotated(engine: Engine, s: Term, p: IRI, o: Term) -> Sources | None:
    """The union of the sources of every axiom annotation of the statement (for a symmetric
    property, also of its other direction), or None when it has none."""
    forms = [(s, o)]
    if _has(engine, p, IRI(RDF_TYPE), IRI(SYMMETRIC)):
        forms.append((o, s))
    found = None
    subject, predicate, obj = (IRI(r) for r in REIFICATION)
    for fs, fo in forms:
        for node, _p, _o in engine.triples(None, subject, fs):
            if _has(engine, node, predicate, p) and _has(engine, node, obj, fo):
                own = sources_of(engine, node, axiom=True)
                reasons = sorted(
                    engine.labels([r.value])[r.value]
                    for _n, _p, r in engine.triples(node, IRI(AXIOM_EDITORIAL_ADDITION), None)
                    if isinstance(r, IRI)
                )
                own = Sources(own.locators, own.citations, tuple(reasons))
                found = own if found is None else found | own
    return found


def _sourced_by_value(engine: Engine, p: IRI, o: Term) -> bool:
    """True when the statement's value carries its sources: ``p`` has kz:sourcedByValue,
    or ``o`` is an instance of a class that has it (a tenure, a signature, a figure)."""
    return any(_truthy(v) for _s, _p, v in engine.triples(p, IRI(SOURCED_BY_VALUE), None)) or (
        is_nary(engine, o)
    )


def is_nary(engine: Engine, node: Term) -> bool:
    """True for an n-ary node: an instance of a class with kz:sourcedByValue (a tenure, a
    signature, a figure), a binary fact promoted to a node."""
    return isinstance(node, IRI | BNode) and any(
        _truthy(v)
        for _s, _p, cls in engine.triples(node, IRI(RDF_TYPE), None)
        for _c, _f, v in engine.triples(cls, IRI(SOURCED_BY_VALUE), None)
    )


def _truthy(term: Term) -> bool:
    return isinstance(term, Literal) and term.value.strip().lower() in ("true", "1")


def _chain_nodes(engine: Engine, s: Term, p: IRI, o: Term) -> list[Term]:
    """The n-ary nodes through which ``p``'s property chain (p1 p2) links ``s`` to ``o``
    (a document's kz:signatory through its signatures): the statement is theirs."""
    nodes: list[Term] = []
    first, rest = IRI(RDF + "first"), IRI(RDF + "rest")
    for _p, _c, head in engine.triples(p, IRI(CHAIN), None):
        steps: list[Term] = []
        while isinstance(head, IRI | BNode) and head.value != RDF + "nil":
            steps += [x for _h, _f, x in engine.triples(head, first, None)]
            head = next((x for _h, _r, x in engine.triples(head, rest, None)), IRI(RDF + "nil"))
        if len(steps) != 2:
            continue
        for _s, _p1, mid in engine.triples(s, steps[0], None):
            if _has(engine, mid, steps[1], o) and is_nary(engine, mid):
                nodes.append(mid)
    return nodes


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


def _details(
    engine: Engine,
    facts_from: Engine,
    node: Term,
    back_to: str,
    shown: Sources,
    asserted: Engine | None = None,
) -> tuple[tuple[str, str], ...]:
    """``node``'s other facts, for a line that links to it, when the sources ``shown`` on the
    line are ``node``'s own: those of its facts that have exactly these sources (the rest,
    with other sources, are on its own page)."""
    if shown != sources_of(engine, node):
        return ()
    rows = set()
    for _s, p, o in facts_from.triples(node, None, None):
        if p.value in _SKIP_IN_DETAILS or (isinstance(o, IRI) and o.value == back_to):
            continue
        if p.value in REIFICATION or statement_sources(engine, node, p, o, asserted) != shown:
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
    facts_from = asserted if asserted is not None else engine  # not len(): see LinesEngine
    type_iris = {
        o.value for _s, _p, o in engine.triples(node, IRI(RDF_TYPE), None) if isinstance(o, IRI)
    }
    ours = {t for t in type_iris if t.startswith(KZ)} or type_iris
    # the article's parts also show their DoCO/DEO kind (block quotation, methods, conclusion…)
    ours |= {t for t in type_iris if t.startswith(SPAR_STRUCTURE) and t != DISCOURSE_ELEMENT}
    types = {engine.labels([t])[t] for t in ours}
    # the names as written (the article's spellings, which the reasoner copies into
    # skos:altLabel, are facts of their own: "spelling in the article")
    name_statements = [
        (pred, o)
        for pred in NAME_PREDICATES
        for _s, _p, o in facts_from.triples(node, IRI(pred), None)
    ]
    names = sorted({_value_label(engine, o) for _p, o in name_statements})
    names_sources = Sources()
    for pred, o in name_statements:
        names_sources = names_sources | statement_sources(engine, node, pred, o, asserted)
    facts, incoming = [], []
    for _s, p, o in facts_from.triples(node, None, None):
        if p.value in PROVENANCE or p.value in (RDF_TYPE, RDFS_LABEL, *NAME_PREDICATES):
            continue
        sources = statement_sources(engine, node, p, o, asserted)
        linked = o != node and _is_fact(engine, o)
        facts.append(
            Fact(
                property=p.value,
                property_label=engine.labels([p.value])[p.value],
                value=o,
                value_label=_value_label(engine, o),
                sources=sources,
                details=_details(engine, facts_from, o, iri, sources, asserted) if linked else (),
            )
        )
    is_paragraph = _has(engine, node, IRI(RDF_TYPE), IRI(PARAGRAPH))
    if is_paragraph:
        facts += paragraph_contents(engine, facts_from, node)
    for s, p, _o in facts_from.triples(None, None, node):
        # an axiom annotation (owl:annotatedSource/Target) is not a link: it carries sources;
        # nor is its kz:axiomStatedIn / kz:axiomCitation (a paragraph lists those statements above)
        if p.value in PROVENANCE or p.value in REIFICATION or s == node:
            continue
        if p.value in (AXIOM_STATED_IN, AXIOM_CITATION) or (
            is_paragraph and p.value == CITING_PARAGRAPH
        ):
            continue
        sources = statement_sources(engine, s, p, node, asserted)
        incoming.append(
            Fact(
                property=p.value,
                property_label=engine.labels([p.value])[p.value],
                value=s,
                value_label=_value_label(engine, s),
                sources=sources,
                details=_details(engine, facts_from, s, iri, sources, asserted)
                if _is_fact(engine, s)
                else (),
            )
        )

    def order(f: Fact) -> tuple[str, tuple[tuple[int, int, str], ...], str]:
        return (f.property_label.casefold(), natural_key(f.value_label), f.property)

    return Description(
        iri=iri,
        label=engine.labels([iri])[iri],
        types=tuple(sorted(types)),
        sources=own,
        names=tuple(names),
        facts=tuple(sorted(facts, key=order)),
        incoming=tuple(sorted(incoming, key=order)),
        names_sources=names_sources,
    )


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that reads the numbers in ``text`` as numbers: [P2] before [P10]."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text.casefold())
        if part
    )


def paragraph_contents(engine: Engine, facts_from: Engine, paragraph: IRI) -> list[Fact]:
    """What a paragraph states and cites, as facts of the paragraph: the nodes stated in it
    (``states``, each with the works the paragraph cites for it), the single statements stated
    in it (an axiom annotation: ``states one statement``, with its works or editorial reason),
    and its in-text citations (``cites``, numbered in reading order)."""

    def label(term: Term) -> str:
        return _value_label(engine, term)

    out: list[Fact] = []
    here = {w for w, _p, _o in engine.triples(None, IRI(CITED_IN), paragraph)}
    for thing, _p, _o in facts_from.triples(None, IRI(STATED_IN), paragraph):
        works = [w for _s, _c, w in engine.triples(thing, IRI(CITATION), None) if w in here]
        out.append(
            Fact(STATES, "states", thing, label(thing), Sources(citations=_labels(engine, works)))
        )
    # an axiom annotation is a blank node: read it where it was found (labels differ by engine)
    subject, predicate, obj = (IRI(r) for r in REIFICATION)
    for node, _p, _o in facts_from.triples(None, IRI(AXIOM_STATED_IN), paragraph):
        s = next((o for _n, _x, o in facts_from.triples(node, subject, None)), None)
        p = next((o for _n, _x, o in facts_from.triples(node, predicate, None)), None)
        o = next((o for _n, _x, o in facts_from.triples(node, obj, None)), None)
        if s is None or not isinstance(p, IRI) or o is None:
            continue
        works = [w for _n, _x, w in facts_from.triples(node, IRI(AXIOM_CITATION), None)]
        reasons = [r for _n, _x, r in facts_from.triples(node, IRI(AXIOM_EDITORIAL_ADDITION), None)]
        text = f"{label(s)} — {engine.labels([p.value])[p.value]}: {label(o)}"
        sources = Sources(citations=_labels(engine, works), editorial=_labels(engine, reasons))
        out.append(Fact(AXIOM_STATED_IN, "states one statement", o, text, sources))
    for occurrence, _p, _o in facts_from.triples(None, IRI(CITING_PARAGRAPH), paragraph):
        out.append(_citation_fact(engine, occurrence))
    return out


def _citation_fact(engine: Engine, occurrence: Term) -> Fact:
    """One in-text citation as a line of its paragraph: "2. Burabaev (2002) — parenthetical,
    closes the paragraph; includes quotation from"."""

    def first(prop: str) -> Term | None:
        return next((o for _s, _p, o in engine.triples(occurrence, IRI(prop), None)), None)

    order, work, form, closes = (
        first(p) for p in (ORDER_IN_PARAGRAPH, CITED_WORK, CITATION_FORM, CLOSES_PARAGRAPH)
    )
    parts = [_value_label(engine, form)] if form is not None else []
    if closes is not None and _truthy(closes):
        parts.append("closes the paragraph")
    functions = _labels(
        engine, [f for _s, _p, f in engine.triples(occurrence, IRI(CITATION_FUNCTION), None)]
    )
    text = f"{order.value if isinstance(order, Literal) else '?'}. "
    text += _value_label(engine, work) if work is not None else _value_label(engine, occurrence)
    text += f" — {', '.join(parts)}" if parts else ""
    text += f"; {', '.join(functions)}" if functions else ""
    return Fact(CONTAINS_CITATION, "cites (in reading order)", occurrence, text, Sources())


def _labels(engine: Engine, terms: list[Term]) -> tuple[str, ...]:
    iris = [t.value for t in terms if isinstance(t, IRI)]
    found = engine.labels(iris) if iris else {}
    return tuple(sorted({found[i] for i in iris}))
