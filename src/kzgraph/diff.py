"""What changed between two releases of the data: triples removed and added, by resource.

A side is a data folder (every ``*.ttl`` under it, and its ``dataset.toml`` for the
version) or one dump file (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML, by its
extension; named graphs are merged).  Literals are compared as written.  Blank nodes get
canonical labels and become the skolem IRIs ``kzgraph export`` writes, so a node that did
not change is not reported, and the patch can name every node.

:func:`diff_sides` returns a :class:`GraphDiff`; :func:`diff_text` renders it for people
(per resource, its label, ``-``/``+`` lines); :func:`diff_update` as a SPARQL 1.1 Update
(``DELETE DATA`` then ``INSERT DATA``) that turns a store holding OLD into one holding NEW.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kzgraph.errors import InputError
from kzgraph.namespaces import PREFIXES
from kzgraph.project import display_path
from kzgraph.terms import IRI, LABEL_PREDICATES, BNode, Literal, Term, pick_label

Triple = tuple[Term, Term, Term]

#: dump file extensions and the pyoxigraph format names they are read with
DUMP_SUFFIXES = {
    ".ttl": "TURTLE", ".nt": "N_TRIPLES", ".nq": "N_QUADS", ".trig": "TRIG",
    ".jsonld": "JSON_LD", ".json": "JSON_LD", ".rdf": "RDF_XML", ".xml": "RDF_XML",
    ".owl": "RDF_XML",
}  # fmt: skip


@dataclass(frozen=True)
class Side:
    """One release: where it was read from, its version (if its folder says), its triples."""

    name: str
    version: str | None
    triples: frozenset[Triple]


@dataclass(frozen=True)
class Change:
    """What changed about one resource (the subject of the triples)."""

    subject: Term
    label: str
    removed: tuple[Triple, ...]
    added: tuple[Triple, ...]


@dataclass(frozen=True)
class GraphDiff:
    old: Side
    new: Side
    changes: tuple[Change, ...]

    @property
    def removed(self) -> int:
        return sum(len(c.removed) for c in self.changes)

    @property
    def added(self) -> int:
        return sum(len(c.added) for c in self.changes)


# --------------------------------------------------------------------------- reading


def read_side(path: Path) -> Side:
    """A data folder or a dump file, as a :class:`Side`; InputError/ParseError if unreadable."""
    if path.is_dir():
        from kzgraph.metadata import FILE_NAME, read_metadata

        files = sorted(p for p in path.rglob("*.ttl") if p.is_file())
        if not files:
            raise InputError("no .ttl files in the folder", path=display_path(path))
        version = read_metadata(path).version if (path / FILE_NAME).exists() else None
        quads = [q for f in files for q in _parse(f, "TURTLE")]
    elif path.exists():
        fmt = DUMP_SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            known = ", ".join(sorted(DUMP_SUFFIXES))
            raise InputError(
                f"not a data folder nor a dump this reads ({known})", path=display_path(path)
            )
        version, quads = None, _parse(path, fmt)
    else:
        raise InputError("no such file or folder", path=display_path(path))
    return Side(display_path(path), version, frozenset(_skolemised(quads)))


def _parse(path: Path, fmt: str) -> list[Triple]:
    import pyoxigraph as ox

    from kzgraph.load import oxigraph_syntax_error, read_text
    from kzgraph.terms import from_oxigraph

    text = read_text(path)
    try:
        return [
            (from_oxigraph(q.subject), from_oxigraph(q.predicate), from_oxigraph(q.object))
            for q in ox.parse(text.encode("utf-8"), format=getattr(ox.RdfFormat, fmt))
        ]
    except SyntaxError as error:
        raise oxigraph_syntax_error(path, error) from None


def _skolemised(triples: list[Triple]) -> list[Triple]:
    """Blank nodes relabelled canonically (as the cache does), then as skolem IRIs."""
    import pyoxigraph as ox

    from kzgraph.export import skolemise
    from kzgraph.fast import canonical_quads
    from kzgraph.terms import from_oxigraph, to_oxigraph_triple

    plain = [t for t in triples if not any(isinstance(x, BNode) for x in t)]
    blank = [t for t in triples if any(isinstance(x, BNode) for x in t)]
    if blank:
        quads = [ox.Quad(*to_oxigraph_triple(s, p, o)) for s, p, o in blank]
        blank = [
            (from_oxigraph(q.subject), from_oxigraph(q.predicate), from_oxigraph(q.object))
            for q in canonical_quads(quads)
        ]
    return skolemise(plain + blank)


# --------------------------------------------------------------------------- comparing


def diff_sides(old: Side, new: Side) -> GraphDiff:
    """The triples only ``old`` has and only ``new`` has, grouped by subject, labelled."""
    removed = old.triples - new.triples
    added = new.triples - old.triples
    subjects = sorted({t[0] for t in removed | added}, key=lambda s: s.n3())
    changes = []
    for subject in subjects:
        changes.append(
            Change(
                subject,
                _label(subject, new.triples if _has(subject, new) else old.triples),
                tuple(sorted((t for t in removed if t[0] == subject), key=_key)),
                tuple(sorted((t for t in added if t[0] == subject), key=_key)),
            )
        )
    return GraphDiff(old, new, tuple(changes))


def _has(subject: Term, side: Side) -> bool:
    return any(t[0] == subject for t in side.triples)


def _key(triple: Triple) -> str:
    return " ".join(t.n3() for t in triple)


def _label(subject: Term, triples: Iterable[Triple]) -> str:
    labels = [
        (p.value, o)
        for s, p, o in triples
        if s == subject and p.value in LABEL_PREDICATES and isinstance(o, Literal)
    ]
    return pick_label(subject.value, labels)


# --------------------------------------------------------------------------- rendering


def short(term: Term) -> str:
    """A term as people read it: ``person:ozal``, ``rdfs:label``, a literal in Turtle."""
    if isinstance(term, IRI):
        best = max(
            (
                (len(ns), name)
                for name, ns in PREFIXES.items()
                if term.value.startswith(ns) and _local_ok(term.value[len(ns) :])
            ),
            default=None,
        )
        if best is not None:
            ns = PREFIXES[best[1]]
            return f"{best[1]}:{term.value[len(ns) :]}"
    return term.n3()


def _local_ok(local: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", local) is not None and not local.endswith(
        "."
    )


def triples(count: int) -> str:
    """``1 triple``, ``2 triples``."""
    return f"{count} triple{'s' if count != 1 else ''}"


def _version(side: Side) -> str:
    return f"{side.name} (version {side.version})" if side.version else side.name


def diff_text(diff: GraphDiff) -> str:
    """The differences for people: one block per resource, its label, -/+ lines."""
    lines = [f"--- {_version(diff.old)}", f"+++ {_version(diff.new)}"]
    count = len(diff.changes)
    lines.append(
        f"{count} resource{'s' if count != 1 else ''} changed: "
        f"{triples(diff.removed)} removed, {diff.added} added"
    )
    for change in diff.changes:
        name = short(change.subject)
        shown = f"{name}  {change.label}" if change.label not in name else name
        lines += ["", shown]
        lines += [f"  - {short(p)} {short(o)}" for _s, p, o in change.removed]
        lines += [f"  + {short(p)} {short(o)}" for _s, p, o in change.added]
    return "\n".join(lines) + "\n"


def diff_update(diff: GraphDiff, graph: str | None = None) -> str:
    """A SPARQL 1.1 Update that turns a store holding OLD into one holding NEW: ``DELETE
    DATA`` with the removed triples, then ``INSERT DATA`` with the added ones (into
    ``graph``, or the default graph).  No blank nodes (DELETE DATA may not hold any)."""
    head = [
        f"# kzgraph diff {diff.old.name} {diff.new.name}: "
        f"{triples(diff.removed)} removed, {diff.added} added"
    ]
    operations = []
    for verb, chosen in (
        ("DELETE DATA", [t for c in diff.changes for t in c.removed]),
        ("INSERT DATA", [t for c in diff.changes for t in c.added]),
    ):
        if chosen:
            operations.append(_block(verb, chosen, graph))
    return "\n".join(head) + "\n" + " ;\n".join(operations) + ("\n" if operations else "")


def _block(verb: str, triples: Sequence[Triple], graph: str | None) -> str:
    body = "\n".join(f"  {' '.join(t.n3() for t in triple)} ." for triple in triples)
    if graph is not None:
        body = f"  GRAPH {IRI(graph).n3()} {{\n{body}\n  }}"
    return f"{verb} {{\n{body}\n}}"
