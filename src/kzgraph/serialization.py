"""RDF syntaxes written term by term: every literal exactly as the triples hold it.

Turtle, TriG, N-Quads, JSON-LD (compact, with a ``@context`` of prefixes, or expanded)
and RDF/XML, as pure functions from sorted triples to ``str``.  No parser or store
takes part, so nothing normalizes on the way: a lexical form (``"100.0"^^xsd:decimal``,
``"01"^^xsd:integer``) and a language tag's case (``@kk-Cyrl``) come out as they came
in (pyoxigraph's terms lower-case every tag, its store rewrites typed values).

The caller (:func:`kzgraph.render.render_rdf`) sorts the triples and picks the format;
the same triples always give the same text.  Literals are never abbreviated (no bare
``1``, no native JSON numbers), so no reader has a value to re-normalize.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from kzgraph.errors import ExportError
from kzgraph.terms import IRI, XSD_STRING, BNode, Literal, Term, escape_string

Triple = tuple[Term, Term, Term]
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

#: a Turtle local name kept simple enough that every reader agrees on it
_LOCAL = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?")
#: an XML name without a colon (RDF/XML predicates), ASCII letters as the first character
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
#: characters XML 1.0 cannot carry at all, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: the last character of a namespace JSON-LD 1.1 lets a term act as a prefix (gen-delims)
_GEN_DELIMS = tuple(":/?#[]@")


def _subject_groups(triples: Sequence[Triple]) -> list[tuple[Term, list[tuple[Term, Term]]]]:
    """``(subject, [(predicate, object)...])`` in the triples' order (sorted: grouped)."""
    groups: list[tuple[Term, list[tuple[Term, Term]]]] = []
    for s, p, o in triples:
        if not groups or groups[-1][0] != s:
            groups.append((s, []))
        groups[-1][1].append((p, o))
    return groups


# --------------------------------------------------------------------------- Turtle, TriG


class _Names:
    """Prefixed names for IRIs, and which prefixes were used."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        # longest namespace first, so kzsh: wins over a shorter one that also matches
        self.prefixes = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        self.used: set[str] = set()
        self.known: dict[str, str] = {}

    def iri(self, iri: str) -> str:
        name = self.known.get(iri)
        if name is None:
            name = self.known[iri] = self._name(iri)
        return name

    def _name(self, iri: str) -> str:
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace) and _LOCAL.fullmatch(iri[len(namespace) :]):
                self.used.add(prefix)
                return f"{prefix}:{iri[len(namespace) :]}"
        return IRI(iri).n3()

    def term(self, term: Term) -> str:
        if isinstance(term, IRI):
            return self.iri(term.value)
        if isinstance(term, BNode):
            return term.n3()
        body = f'"{escape_string(term.value)}"'
        if term.language is not None:
            return f"{body}@{term.language}"
        if term.datatype == XSD_STRING:
            return body
        return f"{body}^^{self.iri(term.datatype)}"

    def header(self, prefixes: Mapping[str, str]) -> str:
        lines = [f"@prefix {p}: <{prefixes[p]}> ." for p in sorted(self.used)]
        return "\n".join(lines) + "\n\n" if lines else ""


def _turtle_blocks(triples: Sequence[Triple], names: _Names, indent: str = "") -> list[str]:
    """One block per subject: ``s p o1 , o2 ;`` then each further predicate indented."""
    blocks = []
    for subject, pairs in _subject_groups(triples):
        if isinstance(subject, Literal):
            raise ExportError(f"a literal cannot be a subject in Turtle: {subject.n3()}")
        predicates: list[str] = []
        objects: list[list[str]] = []
        # rdf:type first ("a"), then the predicates in the triples' order
        for p, o in sorted(pairs, key=lambda pair: pair[0].value != RDF_TYPE):
            pred = "a" if isinstance(p, IRI) and p.value == RDF_TYPE else names.term(p)
            if not predicates or predicates[-1] != pred:
                predicates.append(pred)
                objects.append([])
            objects[-1].append(names.term(o))
        text = [f"{indent}{names.term(subject)} "]
        for i, (pred, objs) in enumerate(zip(predicates, objects, strict=True)):
            lead = "" if i == 0 else f"{indent}    "
            end = " ." if i == len(predicates) - 1 else " ;"
            text.append(f"{lead}{pred} {' , '.join(objs)}{end}\n")
        blocks.append("".join(text))
    return blocks


def turtle(triples: Sequence[Triple], prefixes: Mapping[str, str]) -> str:
    names = _Names(prefixes)
    body = "\n".join(_turtle_blocks(triples, names))
    return names.header(prefixes) + body


def trig(graphs: Sequence[tuple[str | None, Sequence[Triple]]], prefixes: Mapping[str, str]) -> str:
    """The default graph (``None``) as plain Turtle blocks, each named graph in braces."""
    names = _Names(prefixes)
    parts = []
    for name, triples in graphs:
        if name is None:
            parts.append("\n".join(_turtle_blocks(triples, names)))
        else:
            inner = "\n".join(_turtle_blocks(triples, names, "    "))
            parts.append(f"{names.iri(name)} {{\n{inner}}}\n")
    return names.header(prefixes) + "\n".join(parts)


def nquads(graphs: Sequence[tuple[str | None, Sequence[Triple]]]) -> str:
    lines = []
    for name, triples in graphs:
        graph = "" if name is None else f" {IRI(name).n3()}"
        lines += [f"{s.n3()} {p.n3()} {o.n3()}{graph} .\n" for s, p, o in triples]
    return "".join(lines)


# --------------------------------------------------------------------------- JSON-LD


def jsonld_context(prefixes: Mapping[str, str]) -> dict[str, str]:
    """The ``@context`` of a compact kzgraph document: one term per prefix, sorted (the
    document ``kzgraph serve`` publishes at ``/context.jsonld``)."""
    return {prefix: prefixes[prefix] for prefix in sorted(prefixes)}


def context_document(prefixes: Mapping[str, str]) -> str:
    """``{"@context": ...}`` as deterministic JSON text."""
    return json.dumps({"@context": jsonld_context(prefixes)}, indent=2, ensure_ascii=False) + "\n"


class _Compactor:
    """Compact IRIs (``person:ozal``) for the prefixes JSON-LD 1.1 treats as prefixes;
    ``compact=False``: full IRIs (expanded form)."""

    def __init__(self, prefixes: Mapping[str, str], compact: bool) -> None:
        self.prefixes = sorted(
            ((p, ns) for p, ns in prefixes.items() if compact and ns.endswith(_GEN_DELIMS)),
            key=lambda kv: (-len(kv[1]), kv[0]),
        )
        self.known: dict[str, str] = {}

    def iri(self, iri: str) -> str:
        name = self.known.get(iri)
        if name is None:
            name = self.known[iri] = self._name(iri)
        return name

    def _name(self, iri: str) -> str:
        for prefix, namespace in self.prefixes:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and not local.startswith("//"):
                return f"{prefix}:{local}"
        return iri

    def node(self, term: Term) -> str:
        return f"_:{term.value}" if isinstance(term, BNode) else self.iri(term.value)

    def value(self, term: Term) -> dict[str, str]:
        if not isinstance(term, Literal):
            return {"@id": self.node(term)}
        if term.language is not None:
            return {"@value": term.value, "@language": term.language}
        if term.datatype == XSD_STRING:
            return {"@value": term.value}
        return {"@value": term.value, "@type": self.iri(term.datatype)}


def jsonld(triples: Sequence[Triple], prefixes: Mapping[str, str], *, compact: bool = True) -> str:
    """A JSON-LD document: compact (``{"@context": ..., "@graph": [...]}``, the context
    :func:`jsonld_context`) or expanded (a top-level array, full IRIs).  Every value is a
    value object with its lexical form as a string, ``@type`` holds the IRI types."""
    names = _Compactor(prefixes, compact)
    nodes = []
    for subject, pairs in _subject_groups(triples):
        if isinstance(subject, Literal):
            raise ExportError(f"a literal cannot be a subject in JSON-LD: {subject.n3()}")
        node: dict[str, object] = {"@id": names.node(subject)}
        types = [names.iri(o.value) for p, o in pairs if p.value == RDF_TYPE and isinstance(o, IRI)]
        if types:
            node["@type"] = types
        for p, o in pairs:
            if p.value == RDF_TYPE and isinstance(o, IRI):
                continue
            values = node.setdefault(names.iri(p.value), [])
            assert isinstance(values, list)
            values.append(names.value(o))
        nodes.append(node)
    doc: object = nodes
    if compact:
        doc = {"@context": jsonld_context(prefixes), "@graph": nodes}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- RDF/XML


def _xml_text(value: str) -> str:
    if _NOT_XML.search(value):
        raise ExportError(f"RDF/XML cannot carry this literal (a control character): {value!r}")
    return escape(value, {"\r": "&#13;"})


def _xml_attr(value: str) -> str:
    if _NOT_XML.search(value):
        raise ExportError(f"RDF/XML cannot carry this IRI or label: {value!r}")
    return quoteattr(value, {"\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})


def _node_id(label: str) -> str:
    """An ``rdf:nodeID`` (an XML name) for a blank-node label, one to one."""
    return label if _NCNAME.fullmatch(label) and not label.startswith("_") else f"_{label}"


def rdfxml(triples: Sequence[Triple], prefixes: Mapping[str, str]) -> str:
    """RDF/XML: one ``rdf:Description`` per subject, one property element per triple.
    A predicate is written as a qualified name: with a prefix where its namespace has
    one, else ``ns1``... (sorted); one with no XML-name ending cannot be written."""
    known = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    qnames: dict[str, tuple[str, str]] = {}  # predicate -> (namespace, local name)
    for iri in sorted({p.value for _s, p, _o in triples}):
        for _prefix, namespace in known:
            if iri.startswith(namespace) and _NCNAME.fullmatch(iri[len(namespace) :]):
                qnames[iri] = (namespace, iri[len(namespace) :])
                break
        else:
            split = re.search(r"[A-Za-z_][A-Za-z0-9_.-]*$", iri)
            if split is None or split.start() == 0:
                raise ExportError(
                    f"RDF/XML cannot write the predicate <{iri}> (no XML name ends it)"
                )
            qnames[iri] = (iri[: split.start()], split.group())
    by_namespace = {ns: prefix for prefix, ns in sorted(prefixes.items())}
    used = sorted({ns for ns, _local in qnames.values()} | {RDF_NS})
    extra = [ns for ns in used if ns not in by_namespace]
    declared = {ns: by_namespace.get(ns) or f"ns{extra.index(ns) + 1}" for ns in used}
    declared[RDF_NS] = "rdf"
    out = ['<?xml version="1.0" encoding="utf-8"?>', "<rdf:RDF"]
    for ns in sorted(used, key=lambda n: declared[n]):
        out.append(f"    xmlns:{declared[ns]}={_xml_attr(ns)}")
    out[-1] += ">"
    for subject, pairs in _subject_groups(triples):
        if isinstance(subject, Literal):
            raise ExportError(f"a literal cannot be a subject in RDF/XML: {subject.n3()}")
        about = (
            f"rdf:nodeID={_xml_attr(_node_id(subject.value))}"
            if isinstance(subject, BNode)
            else f"rdf:about={_xml_attr(subject.value)}"
        )
        out.append(f"  <rdf:Description {about}>")
        for p, o in pairs:
            namespace, local = qnames[p.value]
            tag = f"{declared[namespace]}:{local}"
            if isinstance(o, IRI):
                out.append(f"    <{tag} rdf:resource={_xml_attr(o.value)}/>")
            elif isinstance(o, BNode):
                out.append(f"    <{tag} rdf:nodeID={_xml_attr(_node_id(o.value))}/>")
            elif o.language is not None:
                out.append(
                    f"    <{tag} xml:lang={_xml_attr(o.language)}>{_xml_text(o.value)}</{tag}>"
                )
            elif o.datatype == XSD_STRING:
                out.append(f"    <{tag}>{_xml_text(o.value)}</{tag}>")
            else:
                out.append(
                    f"    <{tag} rdf:datatype={_xml_attr(o.datatype)}>{_xml_text(o.value)}</{tag}>"
                )
        out.append("  </rdf:Description>")
    out.append("</rdf:RDF>")
    return "\n".join(out) + "\n"
