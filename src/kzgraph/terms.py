"""Engine-neutral RDF terms: what a query result row holds.

Results from pyoxigraph and from rdflib are converted to these small frozen
dataclasses so that ``render`` and the tests never depend on which engine answered.
This module imports nothing heavy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:  # both are imported lazily at run time
    import pyoxigraph as ox
    from rdflib.term import BNode as RBNode
    from rdflib.term import Literal as RLiteral
    from rdflib.term import Node, URIRef

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Characters that may not appear in an IRIREF (SPARQL 1.1 / Turtle grammar).
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$")

_ECHAR = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def escape_string(value: str) -> str:
    """Escape a lexical form for a double-quoted N-Triples / Turtle / SPARQL string."""
    out = []
    for i, ch in enumerate(value):
        if ch in "uU" and i and value[i - 1] == "\\":
            # after an escaped backslash, as \U0000XXXX: rdflib expands \uXXXX anywhere in a
            # query before parsing it (SPARQL 1.1, 19.2), so "\\u0022" would become '"'
            out.append(f"\\U{ord(ch):08X}")
        elif ch in _ECHAR:
            out.append(_ECHAR[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def valid_iri(value: str) -> bool:
    """True when ``value`` is an absolute IRI that can be written as ``<value>``."""
    return (
        bool(value)
        and not _BAD_IRI.search(value)
        and bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value))
    )


@dataclass(frozen=True, order=True)
class IRI:
    value: str

    def n3(self) -> str:
        if _BAD_IRI.search(self.value):
            raise ValueError(f"not a valid IRI: {self.value!r}")
        return f"<{self.value}>"


@dataclass(frozen=True, order=True)
class Literal:
    value: str
    datatype: str = XSD_STRING
    language: str | None = None

    def __post_init__(self) -> None:
        if self.language is not None:
            if not _LANG.match(self.language):
                raise ValueError(f"not a language tag: {self.language!r}")
            object.__setattr__(self, "datatype", RDF_LANGSTRING)

    def n3(self) -> str:
        body = f'"{escape_string(self.value)}"'
        if self.language is not None:
            return f"{body}@{self.language}"
        if self.datatype == XSD_STRING:
            return body
        return f"{body}^^{IRI(self.datatype).n3()}"


@dataclass(frozen=True, order=True)
class BNode:
    value: str

    def n3(self) -> str:
        return f"_:{self.value}"


Term = IRI | Literal | BNode


@overload
def from_oxigraph(term: None) -> None: ...
@overload
def from_oxigraph(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Term: ...
@overload
def from_oxigraph(term: object) -> Term | None: ...
def from_oxigraph(term: object) -> Term | None:
    """Convert a pyoxigraph term (or None for an unbound variable).

    Raises TypeError for anything else (e.g. an RDF-star triple)."""
    if term is None:
        return None
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return IRI(term.value)
    if isinstance(term, ox.Literal):
        return Literal(term.value, term.datatype.value, term.language)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unsupported term {term!r}")


@overload
def to_oxigraph(term: IRI) -> ox.NamedNode: ...
@overload
def to_oxigraph(term: BNode) -> ox.BlankNode: ...
@overload
def to_oxigraph(term: Literal) -> ox.Literal: ...
@overload
def to_oxigraph(term: Term) -> ox.NamedNode | ox.BlankNode | ox.Literal: ...
def to_oxigraph(term: Term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    import pyoxigraph as ox

    if isinstance(term, IRI):
        return ox.NamedNode(term.value)
    if isinstance(term, BNode):
        return ox.BlankNode(term.value)
    if term.language is not None:
        return ox.Literal(term.value, language=term.language)
    return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype))


def to_oxigraph_triple(
    s: Term, p: Term, o: Term
) -> tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]:
    """The parts of a pyoxigraph ``Triple``/``Quad``: TypeError (as pyoxigraph raises) for a
    literal subject or a predicate that is not an IRI."""
    if isinstance(s, Literal) or not isinstance(p, IRI):
        raise TypeError(f"not an RDF triple: {s.n3()} {p.n3()} {o.n3()}")
    return to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)


def to_oxigraph_pattern(
    s: Term | None, p: Term | None, o: Term | None
) -> tuple[
    ox.NamedNode | ox.BlankNode | None,
    ox.NamedNode | None,
    ox.NamedNode | ox.BlankNode | ox.Literal | None,
]:
    """A triple pattern (None matches anything) for ``Store.quads_for_pattern``: TypeError
    (as pyoxigraph raises) for a literal subject or a predicate that is not an IRI."""
    if isinstance(s, Literal) or (p is not None and not isinstance(p, IRI)):
        raise TypeError(f"not a triple pattern: {s} {p} {o}")
    return (
        None if s is None else to_oxigraph(s),
        None if p is None else to_oxigraph(p),
        None if o is None else to_oxigraph(o),
    )


@overload
def from_rdflib(term: None) -> None: ...
@overload
def from_rdflib(term: Node) -> Term: ...
@overload
def from_rdflib(term: object) -> Term | None: ...
def from_rdflib(term: object) -> Term | None:
    """Convert an rdflib term (or None for an unbound variable).

    Raises TypeError for anything else (e.g. a variable or a quoted graph)."""
    if term is None:
        return None
    from rdflib import BNode as RBNode
    from rdflib import Literal as RLiteral
    from rdflib import URIRef

    if isinstance(term, URIRef):
        return IRI(str(term))
    if isinstance(term, RLiteral):
        if term.language:
            return Literal(str(term), language=term.language)
        return Literal(str(term), str(term.datatype) if term.datatype else XSD_STRING)
    if isinstance(term, RBNode):
        return BNode(str(term))
    raise TypeError(f"unsupported term {term!r}")


@overload
def to_rdflib(term: IRI) -> URIRef: ...
@overload
def to_rdflib(term: BNode) -> RBNode: ...
@overload
def to_rdflib(term: Literal) -> RLiteral: ...
@overload
def to_rdflib(term: Term) -> URIRef | RBNode | RLiteral: ...
def to_rdflib(term: Term) -> URIRef | RBNode | RLiteral:
    from rdflib import BNode as RBNode
    from rdflib import Literal as RLiteral
    from rdflib import URIRef

    if isinstance(term, IRI):
        return URIRef(term.value)
    if isinstance(term, BNode):
        return RBNode(term.value)
    if term.language is not None:
        return RLiteral(term.value, lang=term.language)
    if term.datatype == XSD_STRING:
        return RLiteral(term.value)
    return RLiteral(term.value, datatype=URIRef(term.datatype))


def local_name(iri: str) -> str:
    """The part after the last ``#`` or ``/`` (used as a label of last resort)."""
    for sep in ("#", "/"):
        if sep in iri.rstrip(sep):
            iri = iri.rstrip(sep).rsplit(sep, 1)[1]
    return iri


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREFLABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
SKOS_ALTLABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
LABEL_PREDICATES = (RDFS_LABEL, SKOS_PREFLABEL)


def pick_label(iri: str, labels: list[tuple[str, Literal]]) -> str:
    """The display label of ``iri`` from its ``(predicate, literal)`` label triples.

    Fallback order: rdfs:label@en, skos:prefLabel@en, any rdfs:label (untagged
    first, then by language tag), then the IRI's local name.  Ties are broken
    by the smallest value so the choice is deterministic.
    """

    def best(pred: str, english: bool) -> str | None:
        found = sorted(
            (lit.language or "", lit.value)
            for p, lit in labels
            if p == pred and (not english or (lit.language or "").lower().startswith("en"))
        )
        return found[0][1] if found else None

    return (
        best(RDFS_LABEL, True)
        or best(SKOS_PREFLABEL, True)
        or best(RDFS_LABEL, False)
        or local_name(iri)
    )


# --------------------------------------------------------------------------- IRIs as typed

#: what reads as an attempt at an IRI or a prefixed name (prefix:anything, no space), so that
#: a broken one is refused as an IRI (person:x>y), not looked up as a name
_IRI_ATTEMPT = re.compile(r"^[A-Za-z][\w.-]*:\S*$")
_PNAME = re.compile(r"^([A-Za-z][\w\-.]*)?:([\w\-.:%]*)$")


def expand_iri(
    value: str, prefixes: Mapping[str, str] | None = None, *, project_prefixes: bool = True
) -> str | None:
    """A full IRI from ``<iri>``, ``iri`` or ``prefix:local`` (None if not an IRI).

    ``prefixes`` (e.g. the query's own PREFIX block) win; the project's PREFIXES
    are consulted after them unless ``project_prefixes`` is False (which keeps
    rdflib, imported by ``kzgraph.namespaces``, off the fast paths).
    """
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    m = _PNAME.match(value)
    if m and not value.startswith(("http:", "https:", "urn:", "file:")):
        known = dict(prefixes or {})
        if (m.group(1) or "") not in known:
            if not project_prefixes:
                return "urn:kzgraph:unchecked:" + value
            from kzgraph.namespaces import PREFIXES

            known = {**PREFIXES, **known}
        namespace = known.get(m.group(1) or "")
        if namespace is None:
            return None
        value = namespace + m.group(2)
    return value if valid_iri(value) else None


def looks_like_iri(value: str) -> bool:
    """Whether a typed value is meant as an IRI or a prefixed name, not as a name."""
    text = value.strip()
    return text.startswith("<") or "://" in text or bool(_IRI_ATTEMPT.match(text))
