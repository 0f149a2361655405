"""OWL 2 RL materialization inside a pyoxigraph store, with rules generated from the TBox.

The reference path (:mod:`kzgraph.reason`) runs owlrl, which re-applies every OWL RL
rule to every triple until nothing changes: ~50 s at 100k triples.  This module does
the same closure for the constructs the kzgraph ontology uses, as SPARQL updates run
inside a pyoxigraph store to a fixpoint:

1. **Refuse what is not supported.**  Every triple whose predicate or type is OWL/RDFS
   vocabulary is checked against the supported set; anything else (``owl:someValuesFrom``
   restrictions, ``owl:unionOf`` ranges, ``owl:hasKey``, ``owl:sameAs`` in the data...)
   raises :class:`UnsupportedAxiomError` naming the axioms.  Nothing is silently skipped.
2. **Close the TBox** (the ``scm-*`` rules of OWL 2 RL: ``scm-sco``, ``scm-spo``,
   ``scm-eqc1/2``, ``scm-eqp1/2``, ``scm-dom1/2``, ``scm-rng1/2``, and ``scm-cls``'s
   ``C rdfs:subClassOf owl:Thing``), in Python, from the axioms read out of the store.
3. **Generate instance rules from the closed axioms**: one rule per derived class and
   per derived property, the union of every axiom that derives it (``cax-sco``/``cax-eqc``,
   ``prp-spo1``/``prp-eqp``, ``prp-inv1/2``, ``prp-symp``, ``prp-dom``, ``prp-rng``,
   ``prp-trp`` for an ``owl:TransitiveProperty``, ``prp-spo2`` for an
   ``owl:propertyChainAxiom``).  A new axiom in the ontology is a new body, not new code.
4. **Run them to a fixpoint.**  Iteration 1 runs every rule once over the whole graph,
   in an order that makes one pass enough for every rule with a single body atom:
   property rules first, each composed with the super-property, inverse and symmetry
   steps that lead to it (:func:`property_derivations`), then class rules, subclasses
   before superclasses; the joins (``prp-trp``, ``prp-spo2``) last.  Each new triple
   is written once, into the closure; only what the joins derive is also written into
   the iteration's graph, because only that is new to the single-atom rules.  Each
   later iteration matches where one body atom is in the previous iteration's new
   triples (semi-naive), and runs only the rule variants whose delta atom's predicate
   (or class) occurs among them.  New triples are counted per iteration.
5. **Check consistency** (``cax-dw``, ``prp-pdw``, ``prp-irp``, ``prp-asyp``,
   ``cls-nothing2``): violations raise :class:`~kzgraph.errors.InconsistencyError`,
   as :func:`kzgraph.reason.reason` does.  ``owl:FunctionalProperty`` and
   ``owl:InverseFunctionalProperty`` would make owlrl infer ``owl:sameAs`` and copy
   every statement; here two distinct values are *detected and reported*
   (:attr:`Materialization.same_as`), never materialized.

The closure equals owlrl's minus what :func:`kzgraph.reason.is_junk` drops (owlrl's
axiomatic and datatype triples, reflexive sameAs, ``owl:Thing`` types, literal
subjects): ``tests/test_fast.py`` checks that on the bundled and on generated data.

Store layout: the closure (asserted + inferred) is the default graph, so saved queries
run unchanged.  The inferred triples are the closure minus the asserted ones
(:func:`inferred_quads`; the cache compares the N-Triples dumps,
``kzgraph.fast.inferred_ntriples``).  During the fixpoint, the named graph
``INFERRED/i`` holds the delta of iteration *i*; these graphs are dropped at the end.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

from kzgraph.errors import InconsistencyError, KzgraphError

if TYPE_CHECKING:
    from typing import TypeAlias

    import pyoxigraph as ox

    #: what a quad's object can be
    ObjectTerm: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = RDF + "type"
THING = OWL + "Thing"
NOTHING = OWL + "Nothing"

#: the closure is the default graph; during the fixpoint, the delta of iteration i is
#: also in the named graph ``INFERRED/i``; ``NEW`` and ``DELTA`` are placeholders in the
#: rule texts for the current and the previous iteration's graph
INFERRED = "urn:kzgraph:graph:inferred"
DELTA = "urn:kzgraph:rule:delta"
NEW = "urn:kzgraph:rule:new"

Progress = Callable[[str], None]

#: up to this many new triples in the previous iteration, the next one tests its
#: candidates one by one against the closure instead of hashing it (``Rule.semi_for``)
FEW = 50_000

# --------------------------------------------------------------------------- vocabulary

#: rdf:type objects in the rdf/rdfs/owl namespaces that the rules understand
SUPPORTED_TYPES = frozenset(
    {
        OWL + "Class",
        RDFS + "Class",
        RDF + "Property",
        OWL + "ObjectProperty",
        OWL + "DatatypeProperty",
        OWL + "AnnotationProperty",
        OWL + "OntologyProperty",
        OWL + "Ontology",
        OWL + "NamedIndividual",
        OWL + "Thing",
        RDFS + "Datatype",
        RDFS + "Resource",
        RDF + "List",
        OWL + "Axiom",  # an axiom annotation: statement-level sources, no OWL RL semantics
        OWL + "TransitiveProperty",
        OWL + "SymmetricProperty",
        OWL + "FunctionalProperty",
        OWL + "InverseFunctionalProperty",
        OWL + "AsymmetricProperty",
        OWL + "IrreflexiveProperty",
        OWL + "DeprecatedClass",
        OWL + "DeprecatedProperty",
    }
)

#: predicates in the rdf/rdfs/owl namespaces that the rules understand (or that carry
#: no OWL RL semantics: annotations, list cells, ontology metadata)
SUPPORTED_PREDICATES = frozenset(
    {
        TYPE,
        RDF + "first",
        RDF + "rest",
        RDF + "value",
        OWL + "annotatedSource",  # an axiom annotation (see owl:Axiom above)
        OWL + "annotatedProperty",
        OWL + "annotatedTarget",
        RDFS + "label",
        RDFS + "comment",
        RDFS + "seeAlso",
        RDFS + "isDefinedBy",
        RDFS + "subClassOf",
        RDFS + "subPropertyOf",
        RDFS + "domain",
        RDFS + "range",
        OWL + "equivalentClass",
        OWL + "equivalentProperty",
        OWL + "inverseOf",
        OWL + "propertyChainAxiom",
        OWL + "disjointWith",
        OWL + "propertyDisjointWith",
        OWL + "versionInfo",
        OWL + "versionIRI",
        OWL + "priorVersion",
        OWL + "backwardCompatibleWith",
        OWL + "incompatibleWith",
        OWL + "deprecated",
        OWL + "imports",
    }
)

#: axiom predicates whose subject and object must both be IRIs (a blank node there is
#: a class expression or property expression: a restriction, a union, an inverse...)
NAMED_ONLY = frozenset(
    {
        RDFS + "subClassOf",
        RDFS + "subPropertyOf",
        RDFS + "domain",
        RDFS + "range",
        OWL + "equivalentClass",
        OWL + "equivalentProperty",
        OWL + "inverseOf",
        OWL + "disjointWith",
        OWL + "propertyDisjointWith",
    }
)

_BUILTIN = (RDF, RDFS, OWL)


class UnsupportedAxiomError(KzgraphError):
    """The TBox (or the data) uses an OWL construct the generated rules do not cover.

    ``axioms`` lists each offending statement in Turtle-like form.  The reference path
    (owlrl) still handles such input; the fast path refuses rather than guess.
    """

    def __init__(self, axioms: Iterable[str]):
        self.axioms = tuple(sorted(set(axioms)))
        shown = "; ".join(self.axioms[:5])
        more = f" (and {len(self.axioms) - 5} more)" if len(self.axioms) > 5 else ""
        super().__init__(
            f"the fast reasoner does not support {len(self.axioms)} axiom(s): {shown}{more}",
            hint="use the reference engine (owlrl): --engine reference",
        )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Rule:
    """One generated SPARQL update deriving one head (a class or a property).

    In iteration 1, ``first`` (the single-atom bodies) runs over the whole graph and
    writes into the closure only; ``first_joins`` (the bodies that join two atoms:
    transitivity, chains) runs after every ``first`` and also writes what it derives
    into the iteration's graph.  Later iterations run ``semi_for``, with one body atom
    read from the previous iteration's new triples."""

    kind: str  # the head and the OWL 2 RL rules, e.g. "?x a kz:Agent (cax-sco, prp-dom)"
    axioms: tuple[str, ...]  # the axioms it was generated from, each with its rule name
    first: str | None
    first_joins: str | None
    #: the semi-naive variants, each with the key of its delta atom (``_key``), so an
    #: iteration runs only the variants whose delta atom has new triples (``semi_for``)
    variants: tuple[tuple[str, str], ...] = ()
    head: str = ""

    def semi_for(self, keys: frozenset[str], few: bool = True) -> str | None:
        """The semi-naive update restricted to the variants whose delta atom's predicate
        (or class) got new triples in the previous iteration; ``None`` if there is none.

        With ``few`` new triples, the candidates are checked against the closure one
        by one (``FILTER NOT EXISTS`` on aliases of the head's variables) instead of
        ``MINUS { head }``, which hashes every known triple of the head: at 1M triples
        an iteration cost ~4 s with MINUS for a few thousand new triples."""
        chosen = [text for key, text in self.variants if key in keys]
        if not chosen:
            return None
        union = " UNION ".join(f"{{ {v} }}" for v in chosen)
        if not few:
            return (
                f"INSERT {{ {self.head} GRAPH <{NEW}> {{ {self.head} }} }} "
                f"WHERE {{ {union} MINUS {{ {self.head} }} }}"
            )
        return _semi_update(self.head, union)


@dataclass(frozen=True)
class SameAsReport:
    """Two distinct values of a functional (or keys of an inverse-functional) property:
    owlrl would infer ``a owl:sameAs b`` here; the fast path reports it instead."""

    prop: str
    node: str  # the subject (functional) or object (inverse-functional) they share
    first: str
    second: str


@dataclass(frozen=True)
class Tbox:
    """The closed schema the rules are generated from (all IRIs as strings)."""

    superclasses: dict[str, frozenset[str]]  # strict, transitive (incl. equivalents)
    superproperties: dict[str, frozenset[str]]
    domains: dict[str, frozenset[str]]  # closed under scm-dom1/2
    ranges: dict[str, frozenset[str]]
    direct_domains: dict[str, frozenset[str]]  # as asserted: what the rules use
    direct_ranges: dict[str, frozenset[str]]
    inverses: dict[str, frozenset[str]]  # both directions
    symmetric: frozenset[str]
    transitive: frozenset[str]
    functional: frozenset[str]
    inverse_functional: frozenset[str]
    asymmetric: frozenset[str]
    irreflexive: frozenset[str]
    chains: tuple[tuple[str, tuple[str, ...]], ...]  # (super property, chain)
    disjoint_classes: frozenset[tuple[str, str]]
    disjoint_properties: frozenset[tuple[str, str]]
    #: schema triples the closure adds (scm-sco, scm-spo, scm-eqc2, scm-dom/rng...)
    inferred: frozenset[tuple[str, str, str]]


@dataclass(frozen=True)
class Materialization:
    asserted: int
    inferred: int
    iterations: tuple[int, ...]  # new triples per iteration (schema triples first)
    rules: int
    seconds: float
    same_as: tuple[SameAsReport, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def _iri(term: str) -> str:
    return f"<{term}>"


def _short(term: str) -> str:
    for prefix, ns in (("rdf", RDF), ("rdfs", RDFS), ("owl", OWL), ("xsd", XSD)):
        if term.startswith(ns):
            return f"{prefix}:{term[len(ns) :]}"
    from kzgraph.namespaces import PREFIXES

    for prefix, ns in PREFIXES.items():
        if term.startswith(ns) and ns not in (RDF, RDFS, OWL, XSD):
            return f"{prefix}:{term[len(ns) :]}"
    return f"<{term}>"


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    return term.value


def _is_named(term: object) -> TypeGuard[ox.NamedNode]:
    import pyoxigraph as ox

    return isinstance(term, ox.NamedNode)


def _describe_blank(store: ox.Store, node: ox.BlankNode, depth: int = 0) -> str:
    """``[ owl:onProperty kz:p ; owl:someValuesFrom kz:C ]`` for an error message."""
    import pyoxigraph as ox

    parts = []
    for quad in store.quads_for_pattern(node, None, None, ox.DefaultGraph()):
        obj = quad.object
        if isinstance(obj, ox.BlankNode):
            shown = _describe_blank(store, obj, depth + 1) if depth < 3 else "[…]"
        elif isinstance(obj, ox.NamedNode):
            shown = _short(obj.value)
        else:
            shown = str(obj)
        parts.append(f"{_short(quad.predicate.value)} {shown}")
    return "[ " + " ; ".join(sorted(parts)) + " ]"


def _term_text(store: ox.Store, term: object) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return _short(term.value)
    if isinstance(term, ox.BlankNode):
        return _describe_blank(store, term)
    return str(term)


def _read_list(store: ox.Store, head: ObjectTerm) -> list[ObjectTerm] | None:
    """The items of the RDF list ``head`` (None if it is not a well-formed list)."""
    import pyoxigraph as ox

    items: list[ObjectTerm] = []
    first, rest, nil = ox.NamedNode(RDF + "first"), ox.NamedNode(RDF + "rest"), RDF + "nil"
    node = head
    seen = set()
    while not (isinstance(node, ox.NamedNode) and node.value == nil):
        if isinstance(node, ox.Literal) or node in seen:  # a literal is no list node
            return None
        seen.add(node)
        firsts = [q.object for q in store.quads_for_pattern(node, first, None, ox.DefaultGraph())]
        rests = [q.object for q in store.quads_for_pattern(node, rest, None, ox.DefaultGraph())]
        if len(firsts) != 1 or len(rests) != 1:
            return None
        items.append(firsts[0])
        node = rests[0]
    return items


def _select(store: ox.Store, text: str) -> ox.QuerySolutions:
    """The solutions of a SELECT (narrowed for the type checker)."""
    import pyoxigraph as ox

    result = store.query(text)
    assert isinstance(result, ox.QuerySolutions)
    return result


def _closure(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Strict transitive closure of a relation given as (sub, super) pairs."""
    direct: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        direct[a].add(b)
    closed: dict[str, set[str]] = {}
    for start in list(direct):
        seen: set[str] = set()
        stack = list(direct[start])
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(direct.get(node, ()))
        closed[start] = seen
    return closed


# --------------------------------------------------------------------------- TBox


def check_supported(store: ox.Store) -> None:
    """Raise :class:`UnsupportedAxiomError` for any construct the rules do not cover."""
    import pyoxigraph as ox

    bad: list[str] = []
    dg = ox.DefaultGraph()
    # predicates in the built-in namespaces (filtered here: a SPARQL FILTER on STR(?p)
    # decodes the predicate of every triple, 1M triples: 0.7 s against 0.1 s)
    for solution in _select(store, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }"):
        pred = solution["p"].value
        if not pred.startswith(_BUILTIN):
            continue
        if pred not in SUPPORTED_PREDICATES and not pred.startswith(RDF + "_"):
            for quad in store.quads_for_pattern(None, ox.NamedNode(pred), None, dg):
                bad.append(
                    f"{_term_text(store, quad.subject)} {_short(pred)} "
                    f"{_term_text(store, quad.object)}"
                )
                if len(bad) > 50:
                    raise UnsupportedAxiomError(bad)
    # types in the built-in namespaces
    for solution in _select(store, "SELECT DISTINCT ?t WHERE { ?s a ?t }"):
        kind = solution["t"].value
        if not kind.startswith(_BUILTIN):
            continue
        if kind not in SUPPORTED_TYPES:
            for quad in store.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(kind), dg):
                bad.append(f"{_term_text(store, quad.subject)} rdf:type {_short(kind)}")
    # axioms over class or property expressions (blank nodes)
    for pred in NAMED_ONLY:
        for quad in store.quads_for_pattern(None, ox.NamedNode(pred), None, dg):
            if not (_is_named(quad.subject) and _is_named(quad.object)):
                bad.append(
                    f"{_term_text(store, quad.subject)} {_short(pred)} "
                    f"{_term_text(store, quad.object)}"
                )
    # property chains must be lists of named properties
    for quad in store.quads_for_pattern(None, ox.NamedNode(OWL + "propertyChainAxiom"), None, dg):
        items = _read_list(store, quad.object)
        if not _is_named(quad.subject) or items is None or not all(map(_is_named, items)):
            bad.append(
                f"{_term_text(store, quad.subject)} owl:propertyChainAxiom "
                f"{_term_text(store, quad.object)} (only a list of named properties is supported)"
            )
    if bad:
        raise UnsupportedAxiomError(bad)


def read_tbox(store: ox.Store) -> Tbox:
    """Read the axioms out of the store's default graph and close them (scm-* rules)."""
    import pyoxigraph as ox

    dg = ox.DefaultGraph()

    def pairs(pred: str) -> list[tuple[str, str]]:
        return [
            (q.subject.value, q.object.value)
            for q in store.quads_for_pattern(None, ox.NamedNode(pred), None, dg)
            if _is_named(q.subject) and _is_named(q.object)
        ]

    def typed(kind: str) -> frozenset[str]:
        return frozenset(
            q.subject.value
            for q in store.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(kind), dg)
            if _is_named(q.subject)
        )

    sub_class = pairs(RDFS + "subClassOf")
    eq_class = pairs(OWL + "equivalentClass")
    sub_prop = pairs(RDFS + "subPropertyOf")
    eq_prop = pairs(OWL + "equivalentProperty")
    declared_classes = typed(OWL + "Class")

    # scm-cls: every declared owl:Class is a subclass of owl:Thing (scm-eqc1, scm-eqp1:
    # equivalence gives subclass/subproperty both ways)
    class_pairs = (
        sub_class
        + [(a, b) for a, b in eq_class]
        + [(b, a) for a, b in eq_class]
        + [(c, THING) for c in declared_classes if c != THING]
    )
    prop_pairs = sub_prop + [(a, b) for a, b in eq_prop] + [(b, a) for a, b in eq_prop]
    sup_c = _closure(class_pairs)
    sup_p = _closure(prop_pairs)

    def supers_c(c: str) -> set[str]:
        return sup_c.get(c, set())

    def supers_p(p: str) -> set[str]:
        return sup_p.get(p, set())

    # scm-dom1/scm-rng1 (a domain's superclasses), scm-dom2/scm-rng2 (a super-property's)
    direct_dom: dict[str, set[str]] = defaultdict(set)
    direct_rng: dict[str, set[str]] = defaultdict(set)
    for p, c in pairs(RDFS + "domain"):
        direct_dom[p].add(c)
    for p, c in pairs(RDFS + "range"):
        direct_rng[p].add(c)
    props = set(direct_dom) | set(direct_rng) | set(sup_p)

    def closed_classes(direct: dict[str, set[str]], p: str) -> frozenset[str]:
        found: set[str] = set()
        for q in {p} | supers_p(p):
            for c in direct.get(q, ()):
                found.add(c)
                found |= supers_c(c)
        return frozenset(found)

    domains = {p: dom for p in props if (dom := closed_classes(direct_dom, p))}
    ranges = {p: rng for p in props if (rng := closed_classes(direct_rng, p))}

    inverses: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs(OWL + "inverseOf"):
        inverses[a].add(b)
        inverses[b].add(a)

    chains = []
    for quad in store.quads_for_pattern(None, ox.NamedNode(OWL + "propertyChainAxiom"), None, dg):
        items = _read_list(store, quad.object) or []
        chain = tuple(i.value for i in items if _is_named(i))
        # check_supported refused a chain that is not a list of named properties
        if _is_named(quad.subject) and len(chain) == len(items):
            chains.append((quad.subject.value, chain))

    disjoint = pairs(OWL + "disjointWith")
    disjoint_classes = frozenset((a, b) for a, b in disjoint) | frozenset(
        (b, a) for a, b in disjoint
    )
    pdw = pairs(OWL + "propertyDisjointWith")
    disjoint_props = frozenset(pdw) | frozenset((b, a) for a, b in pdw)

    # the schema triples the closure holds beyond the asserted ones
    inferred: set[tuple[str, str, str]] = set()
    for c, sups in sup_c.items():
        for d in sups:
            if d not in (c, THING):  # C rdfs:subClassOf owl:Thing says nothing (is_junk)
                inferred.add((c, RDFS + "subClassOf", d))
    for p, sups in sup_p.items():
        for q in sups:
            if q != p:
                inferred.add((p, RDFS + "subPropertyOf", q))
    for c, sups in sup_c.items():  # scm-eqc2: mutual subclasses are equivalent
        for d in sups:
            if d != c and c in sup_c.get(d, ()):
                inferred.add((c, OWL + "equivalentClass", d))
    for p, sups in sup_p.items():  # scm-eqp2
        for q in sups:
            if q != p and p in sup_p.get(q, ()):
                inferred.add((p, OWL + "equivalentProperty", q))
    for p, cs in domains.items():
        for c in cs:
            inferred.add((p, RDFS + "domain", c))
    for p, cs in ranges.items():
        for c in cs:
            inferred.add((p, RDFS + "range", c))

    return Tbox(
        superclasses={c: frozenset(s - {c}) for c, s in sup_c.items()},
        superproperties={p: frozenset(s - {p}) for p, s in sup_p.items()},
        domains=domains,
        ranges=ranges,
        direct_domains={p: frozenset(c) for p, c in direct_dom.items()},
        direct_ranges={p: frozenset(c) for p, c in direct_rng.items()},
        inverses={p: frozenset(s) for p, s in inverses.items()},
        symmetric=typed(OWL + "SymmetricProperty"),
        transitive=typed(OWL + "TransitiveProperty"),
        functional=typed(OWL + "FunctionalProperty"),
        inverse_functional=typed(OWL + "InverseFunctionalProperty"),
        asymmetric=typed(OWL + "AsymmetricProperty"),
        irreflexive=typed(OWL + "IrreflexiveProperty"),
        chains=tuple(sorted(chains)),
        disjoint_classes=disjoint_classes,
        disjoint_properties=disjoint_props,
        inferred=frozenset(inferred),
    )


# --------------------------------------------------------------------------- rules


def _values(variables: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    body = " ".join("(" + " ".join(_iri(v) for v in row) + ")" for row in sorted(set(rows)))
    return f"VALUES ({' '.join('?' + v for v in variables)}) {{ {body} }}"


def _atom(s: str, p: str, o: str, graph: str | None, alone: bool = False) -> str:
    """One body atom; ``alone``: as a sub-select, which Oxigraph evaluates on its own
    and hash-joins.  In a plain group it looks each row's variable up instead, and in
    the in-memory store a lookup walks every triple of that node: a state or a region
    has ~100k (inverse properties), so a two-atom ``kz:locatedIn`` join over 10k
    triples took 0.9 s, with sub-selects 0.01 s."""
    triple = f"{s} {p} {o} ."
    pattern = f"GRAPH <{graph}> {{ {triple} }}" if graph else triple
    if not alone:
        return pattern
    variables = " ".join(dict.fromkeys(x for x in (s, o) if x.startswith("?")))
    return f"{{ SELECT {variables} WHERE {{ {pattern} }} }}"


@dataclass(frozen=True)
class _Body:
    """One way of deriving a head: the OWL RL rule, the axiom, the atoms, a filter."""

    kind: str
    axiom: str
    atoms: tuple[tuple[str, str, str], ...]
    filters: str = ""

    def variants(self, semi: bool) -> list[str]:
        """The body as group patterns: once over the whole graph, or (semi-naive) once
        per atom with that atom read from the previous iteration's graph."""
        alone = len(self.atoms) > 1  # joins: hash-join whole atoms (see _atom)
        if not semi:
            return [" ".join(_atom(*a, None, alone) for a in self.atoms) + " " + self.filters]
        return [
            " ".join(_atom(*a, DELTA if i == j else None, alone) for j, a in enumerate(self.atoms))
            + " "
            + self.filters
            for i in range(len(self.atoms))
        ]


def _key(atom: tuple[str, str, str]) -> str:
    """What a delta atom reads: ``a <C>`` for a type atom, else its predicate."""
    s, p, o = atom
    return f"a {o}" if p == "a" else p


def _semi_update(head: str, union: str) -> str:
    """INSERT the head where the union matches and the head is not known yet, tested
    per candidate.  Oxigraph evaluates ``NOT EXISTS { ?x a C }`` on a variable bound
    straight by a pattern by scanning every ``?x a C``; on a BIND alias it is an index
    lookup (see ``shacl_fast``), hence ``?h_x``/``?h_y``."""
    variables = [v for v in ("?x", "?y") if v in head.split()]
    aliases = " ".join(f"BIND({v} AS ?h_{v[1:]})" for v in variables)
    test = head
    for v in variables:
        test = test.replace(f"{v} ", f"?h_{v[1:]} ")
    return (
        f"INSERT {{ {head} GRAPH <{NEW}> {{ {head} }} }} WHERE {{ {{ {union} }} {aliases} "
        f"FILTER NOT EXISTS {{ {test} }} }}"
    )


def _rule(head: str, bodies: list[_Body]) -> Rule:
    """All derivations of one head pattern: the single-atom bodies as one update and
    the joins as another, each a UNION with known triples removed by ``MINUS { head }``
    (a hash anti-join on that predicate or class: measured ~7x faster in Oxigraph than
    ``FILTER NOT EXISTS``).  In iteration 1 the single-atom update writes into the
    closure only (each new triple written once: at 1M triples, writing the 1.25M
    triples of iteration 1 a second time into a graph of their own cost ~4 s); the
    joins also write into the iteration's graph (placeholder ``NEW``), the delta of
    iteration 2."""

    def update(chosen: list[_Body], delta: bool) -> str | None:
        if not chosen:
            return None
        union = " UNION ".join(f"{{ {v} }}" for b in chosen for v in b.variants(False))
        if len(chosen) > 1:
            # several bodies give the same triple many times (a Polity is the range of
            # a dozen properties): deduplicate before inserting.  1M: ?x a kz:Polity,
            # 80k candidate rows, 57 new: 0.5 s -> 0.08 s; with one body DISTINCT
            # only adds a hash table
            variables = " ".join(v for v in ("?x", "?y") if v in head.split())
            union = f"{{ SELECT DISTINCT {variables} WHERE {{ {union} }} }}"
        into = f"{head} GRAPH <{NEW}> {{ {head} }}" if delta else head
        return f"INSERT {{ {into} }} WHERE {{ {union} MINUS {{ {head} }} }}"

    kinds = sorted({k for b in bodies for k in b.kind.split("+")})
    variants = tuple(
        (_key(b.atoms[i]), text) for b in bodies for i, text in enumerate(b.variants(True))
    )
    return Rule(
        kind=f"{head.rstrip(' .')} ({', '.join(kinds)})",
        axioms=tuple(f"{b.axiom} [{b.kind}]" for b in bodies),
        first=update([b for b in bodies if len(b.atoms) == 1], False),
        first_joins=update([b for b in bodies if len(b.atoms) > 1], True),
        variants=variants,
        head=head,
    )


def property_derivations(tbox: Tbox) -> dict[str, dict[tuple[str, bool], tuple[str, ...]]]:
    """For each property ``q``: the single-atom derivations of ``?x q ?y``, composed.

    ``prp-spo1`` (and ``prp-eqp``), ``prp-inv`` and ``prp-symp`` each map one triple to
    one triple, so their compositions are paths in a graph of (property, direction)
    pairs: ``?a p ?b`` gives ``?a q ?b`` for a super-property, ``?b q ?a`` for an
    inverse, ``?b p ?a`` if ``p`` is symmetric.  Result: ``q -> {(p, flipped): the
    axioms on the path}``, meaning ``?x q ?y`` follows from ``?x p ?y`` (``?y p ?x`` if
    flipped).  Composing here lets iteration 1 derive every property triple that needs
    no join; before, iteration 2 re-read iteration 1's 1.25M new triples (at 1M asserted
    triples) to find the inverses of super-properties, the super-properties of inverses
    and so on (~3 s)."""
    steps: dict[str, list[tuple[str, bool, str]]] = defaultdict(list)
    for p, supers in tbox.superproperties.items():
        for q in supers:
            steps[p].append((q, False, f"{_short(p)} rdfs:subPropertyOf {_short(q)} [prp-spo1]"))
    for p, inverses in tbox.inverses.items():
        for q in inverses:
            steps[p].append((q, True, f"{_short(p)} owl:inverseOf {_short(q)} [prp-inv]"))
    for p in tbox.symmetric:
        steps[p].append((p, True, f"{_short(p)} a owl:SymmetricProperty [prp-symp]"))
    found: dict[str, dict[tuple[str, bool], tuple[str, ...]]] = defaultdict(dict)
    for start in sorted(steps):
        # breadth first, so each (q, direction) keeps its shortest path
        seen: dict[tuple[str, bool], tuple[str, ...]] = {(start, False): ()}
        frontier = [(start, False)]
        while frontier:
            following = []
            for node, flipped in frontier:
                for q, flips, axiom in sorted(steps.get(node, ())):
                    reached = (q, flipped != flips)
                    if reached not in seen:
                        seen[reached] = (*seen[(node, flipped)], axiom)
                        following.append(reached)
            frontier = following
        for (q, flipped), path in seen.items():
            if path:
                found[q][(start, flipped)] = path
    return found


def generate_rules(tbox: Tbox) -> tuple[Rule, ...]:
    """The instance-level rules of the closed TBox: one rule per derived class
    (``?x a C``) and per derived property (``?x P ?y``), each the union of every axiom
    that can derive it.

    Order matters for iteration 1, which runs them once each over the whole graph:
    first the properties, each from every property it follows from in one or more
    single-atom steps (``property_derivations``); then the classes, subclasses before
    their superclasses (``cax-sco`` then reads the types just derived), each class also
    from the domains and ranges of its equivalent classes.  After that one pass the
    closure is closed under every single-atom rule; only the joins
    (``prp-trp``, ``prp-spo2``) and what follows from their results are left to the
    semi-naive iterations."""
    types: dict[str, list[_Body]] = defaultdict(list)
    props: dict[str, list[_Body]] = defaultdict(list)
    not_lit = "FILTER(!isLiteral(?x))"

    def sub_closure(c: str) -> set[str]:
        return {c} | {d for d, sups in tbox.superclasses.items() if c in sups}

    for c, supers in sorted(tbox.superclasses.items()):
        for d in sorted(supers - {THING}):
            axiom = f"{_short(c)} rdfs:subClassOf {_short(d)}"
            types[d].append(_Body("cax-sco", axiom, (("?x", "a", _iri(c)),)))
    # prp-dom/prp-rng from the asserted domains and ranges only: the superclasses of a
    # domain follow by cax-sco (run later in the same pass) and the super-properties'
    # domains from the super-property's triples, derived first.  With the closed domains
    # (scm-dom1/2) every type rule scanned dozens of properties (100k: 4.2 s against
    # 2.8 s).  Equivalent classes share their domain and range bodies, as one of them
    # necessarily runs before the other.
    for p, classes in sorted(tbox.direct_domains.items()):
        for c in sorted(classes - {THING}):
            for e in sorted(_equivalents(tbox, c) - {THING}):
                axiom = f"{_short(p)} rdfs:domain {_short(c)}"
                types[e].append(_Body("prp-dom", axiom, (("?x", _iri(p), "?o"),)))
    for p, classes in sorted(tbox.direct_ranges.items()):
        for c in sorted(classes - {THING}):
            for e in sorted(_equivalents(tbox, c) - {THING}):
                axiom = f"{_short(p)} rdfs:range {_short(c)}"
                types[e].append(_Body("prp-rng", axiom, (("?s", _iri(p), "?x"),), not_lit))
    for q, sources in sorted(property_derivations(tbox).items()):
        for (p, flipped), path in sorted(sources.items()):
            kind = "+".join(dict.fromkeys(a.rsplit("[", 1)[1].rstrip("]") for a in path))
            axiom = "; ".join(a.rsplit(" [", 1)[0] for a in path)
            # flipped: the object of ``p`` is the head's subject, never a literal there
            # (owlrl derives such triples and ``reason.is_junk`` drops them; derivations
            # through them go on, as here: an even number of flips has no filter)
            atom = ("?y", _iri(p), "?x") if flipped else ("?x", _iri(p), "?y")
            props[q].append(_Body(kind, axiom, (atom,), not_lit if flipped else ""))
    for p in sorted(tbox.transitive):
        axiom = f"{_short(p)} a owl:TransitiveProperty"
        props[p].append(_Body("prp-trp", axiom, (("?x", _iri(p), "?m"), ("?m", _iri(p), "?y"))))
    for q, chain in tbox.chains:
        names = ["?x", *(f"?m{i}" for i in range(1, len(chain))), "?y"]
        atoms = tuple((names[i], _iri(p), names[i + 1]) for i, p in enumerate(chain))
        axiom = f"{_short(q)} owl:propertyChainAxiom ( {' '.join(map(_short, chain))} )"
        props[q].append(_Body("prp-spo2", axiom, atoms))

    rules = [_rule(f"?x {_iri(p)} ?y .", bodies) for p, bodies in sorted(props.items())]
    # subclasses first: a strict subclass has strictly fewer (reflexive) subclasses
    ordered = sorted(types, key=lambda c: (len(sub_closure(c)), c))
    rules += [_rule(f"?x a {_iri(c)} .", types[c]) for c in ordered]
    return tuple(rules)


def _equivalents(tbox: Tbox, c: str) -> set[str]:
    """``c`` and the classes equivalent to it (each a subclass of the other)."""
    return {c} | {d for d in tbox.superclasses.get(c, ()) if c in tbox.superclasses.get(d, ())}


# --------------------------------------------------------------------------- running


def _count(store: ox.Store, graph: str | None) -> int:
    where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    result = _select(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    return int(next(iter(result))["n"].value)


def iteration_graph(iteration: int) -> str:
    """The named graph holding what the joins derived in ``iteration`` (and everything
    first derived in a later one): the next iteration's delta."""
    return f"{INFERRED}/{iteration}"


def _iteration_graphs(store: ox.Store) -> list[ox.NamedNode]:
    return [g for g in store.named_graphs() if _is_named(g) and g.value.startswith(INFERRED + "/")]


def inferred_quads(store: ox.Store, asserted: Container[ox.Quad]) -> Iterator[ox.Quad]:
    """The closure's quads that are not in ``asserted`` (the default graph's quads
    before :func:`materialize`).  For small stores; the cache writes the inferred
    N-Triples from the dumps (``kzgraph.fast.inferred_ntriples``)."""
    import pyoxigraph as ox

    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        if quad not in asserted:
            yield quad


def _add_schema_triples(store: ox.Store, tbox: Tbox) -> int:
    import pyoxigraph as ox

    quads = []
    for s, p, o in tbox.inferred:
        quad = ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), ox.DefaultGraph())
        if quad not in store:
            quads.append(quad)
    store.extend(quads)
    return len(quads)


def _delta_keys(store: ox.Store, iteration: int) -> frozenset[str]:
    """The ``_key`` of every atom the triples new in ``iteration`` can match."""
    graph = iteration_graph(iteration)
    keys = {
        _iri(row["p"].value)
        for row in _select(store, f"SELECT DISTINCT ?p WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    }
    keys |= {
        f"a {_iri(row['c'].value)}"
        for row in _select(
            store, f"SELECT DISTINCT ?c WHERE {{ GRAPH <{graph}> {{ ?s a ?c }} FILTER(isIRI(?c)) }}"
        )
    }
    return frozenset(keys)


def ox_graph(name: str) -> ox.NamedNode:
    import pyoxigraph as ox

    return ox.NamedNode(name)


def _bind(text: str, iteration: int) -> str:
    return text.replace(f"<{NEW}>", f"<{iteration_graph(iteration)}>").replace(
        f"<{DELTA}>", f"<{iteration_graph(iteration - 1)}>"
    )


def materialize(
    store: ox.Store,
    *,
    progress: Progress | None = None,
    max_iterations: int = 1000,
    check: bool = True,
) -> Materialization:
    """Compute the OWL 2 RL closure of the store's default graph in place.

    The asserted triples must be in the default graph (the inferred ones are added
    there; :func:`inferred_quads` tells them apart).  Raises
    :class:`UnsupportedAxiomError` before touching the store, and
    :class:`InconsistencyError` after materializing (the store then holds the closure,
    for inspection)."""
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    for graph in _iteration_graphs(store):
        store.remove_graph(graph)
    asserted = _count(store, None)

    t0 = time.perf_counter()
    check_supported(store)
    tbox = read_tbox(store)
    rules = generate_rules(tbox)
    timings["compile"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    counts = [_add_schema_triples(store, tbox)]
    say(f"schema closure: {counts[0]} triples; {len(rules)} rules generated")
    # iteration 1: every single-atom rule once, in order (see generate_rules), then the
    # joins; only what the joins derive is new to the single-atom rules
    for rule in rules:
        if rule.first is not None:
            store.update(rule.first)
    # transitive properties first: the chains that read them then see their closure
    for rule in sorted(rules, key=lambda r: "prp-trp" not in r.kind):
        if rule.first_joins is not None:
            store.update(_bind(rule.first_joins, 1))
    counts.append(_count(store, None) - asserted - counts[0])
    delta = _count(store, iteration_graph(1))
    say(f"iteration 1: {counts[-1]} new triples ({delta} from joins)")
    for iteration in range(2, max_iterations + 1):
        if not delta:
            break
        keys = _delta_keys(store, iteration - 1)
        for rule in rules:
            text = rule.semi_for(keys, delta <= FEW)
            if text is not None:
                store.update(_bind(text, iteration))
        store.remove_graph(ox_graph(iteration_graph(iteration - 1)))
        delta = _count(store, iteration_graph(iteration))
        counts.append(delta)
        say(f"iteration {iteration}: {delta} new triples")
    else:  # pragma: no cover - the rules are monotone over a finite vocabulary
        raise KzgraphError(f"no fixpoint after {max_iterations} iterations")
    for graph in _iteration_graphs(store):
        store.remove_graph(graph)
    timings["fixpoint"] = time.perf_counter() - t0

    same_as: tuple[SameAsReport, ...] = ()
    if check:
        t0 = time.perf_counter()
        messages, nodes = inconsistencies(store, tbox)
        same_as = functional_conflicts(store, tbox)
        timings["check"] = time.perf_counter() - t0
        if messages:
            first = messages[0] + (f" (and {len(messages) - 1} more)" if len(messages) > 1 else "")
            raise InconsistencyError(
                f"the data is inconsistent under OWL 2 RL: {first}",
                nodes=tuple(sorted(nodes)),
                messages=tuple(messages),
            )
    return Materialization(
        asserted=asserted,
        inferred=sum(counts),
        iterations=tuple(counts),
        rules=len(rules),
        seconds=time.perf_counter() - started,
        same_as=same_as,
        timings=timings,
    )


def inconsistencies(store: ox.Store, tbox: Tbox) -> tuple[list[str], set[str]]:
    """OWL RL consistency rules on the closure: (messages, nodes involved)."""
    messages: list[str] = []
    nodes: set[str] = set()
    pairs = sorted((a, b) for a, b in tbox.disjoint_classes if a < b)
    if pairs:
        q = f"SELECT DISTINCT ?x ?a ?b WHERE {{ {_values(('a', 'b'), pairs)} ?x a ?a . ?x a ?b . }}"
        for row in _select(store, q):
            x, a, b = row["x"].value, row["a"].value, row["b"].value
            messages.append(f"Disjoint classes {a} and {b} have a common individual {x} (cax-dw)")
            nodes.update((x, a, b))
    pairs = sorted((a, b) for a, b in tbox.disjoint_properties if a < b)
    if pairs:
        q = (
            f"SELECT DISTINCT ?x ?y ?a ?b WHERE {{ {_values(('a', 'b'), pairs)} "
            "?x ?a ?y . ?x ?b ?y . }"
        )
        for row in _select(store, q):
            x, y, a, b = (row[v].value for v in ("x", "y", "a", "b"))
            messages.append(f"Disjoint properties {a} and {b} both link {x} to {y} (prp-pdw)")
            nodes.update((x, y))
    for p in sorted(tbox.irreflexive):
        for row in _select(store, f"SELECT ?x WHERE {{ ?x {_iri(p)} ?x }}"):
            messages.append(f"Irreflexive property {p} used on {row['x'].value} (prp-irp)")
            nodes.add(row["x"].value)
    for p in sorted(tbox.asymmetric):
        for row in _select(store, f"SELECT ?x ?y WHERE {{ ?x {_iri(p)} ?y . ?y {_iri(p)} ?x }}"):
            messages.append(
                f"Asymmetric property {p} used both ways between {row['x'].value} and "
                f"{row['y'].value} (prp-asyp)"
            )
            nodes.update((row["x"].value, row["y"].value))
    for row in _select(store, f"SELECT ?x WHERE {{ ?x a {_iri(NOTHING)} }}"):
        messages.append(f"{row['x'].value} is an instance of owl:Nothing (cls-nothing2)")
        nodes.add(row["x"].value)
    return sorted(messages), nodes


def functional_conflicts(store: ox.Store, tbox: Tbox) -> tuple[SameAsReport, ...]:
    """Where owlrl would infer owl:sameAs (prp-fp, prp-ifp): reported, not materialized."""
    found: list[SameAsReport] = []
    for p in sorted(tbox.functional):
        q = (
            f"SELECT ?x ?a ?b WHERE {{ ?x {_iri(p)} ?a . ?x {_iri(p)} ?b . "
            "FILTER(!sameTerm(?a, ?b) && STR(?a) < STR(?b)) }"
        )
        for row in _select(store, q):
            found.append(SameAsReport(p, str(row["x"]), str(row["a"]), str(row["b"])))
    for p in sorted(tbox.inverse_functional):
        q = (
            f"SELECT ?x ?a ?b WHERE {{ ?a {_iri(p)} ?x . ?b {_iri(p)} ?x . "
            "FILTER(STR(?a) < STR(?b)) }"
        )
        for row in _select(store, q):
            found.append(SameAsReport(p, str(row["x"]), str(row["a"]), str(row["b"])))
    return tuple(found)


def load_store(paths: Iterable[object], store: ox.Store | None = None) -> ox.Store:
    """A store with the Turtle/N-Triples files in its default graph.

    A parse error becomes :class:`~kzgraph.errors.ParseError` with the file and line.
    A UTF-8 byte-order mark, which Oxigraph refuses, is dropped (:func:`turtle_source`).
    """
    import pyoxigraph as ox

    from kzgraph.load import oxigraph_syntax_error, turtle_source

    target = ox.Store() if store is None else store
    for path in paths:
        name = str(path)
        fmt = ox.RdfFormat.N_TRIPLES if name.endswith(".nt") else ox.RdfFormat.TURTLE
        try:
            target.bulk_load(**turtle_source(Path(name)), format=fmt)
        except SyntaxError as exc:
            raise oxigraph_syntax_error(name, exc) from None
    return target
