"""Full-text search: answer searches over everything a cache entry's graph says, from its index.

The rule it keeps: an answer comes from the entry's own index (``search.sqlite``), so it is never
older than the graph, and the text a person typed reaches SQLite only as the expression
:mod:`kzgraph.search_syntax` builds from quoted folded tokens.

:mod:`kzgraph.store` writes the index with the entry (from ``asserted.nt`` + ``inferred.nt``);
an entry made by an older build gets one on first use, atomically.  It holds one SQLite FTS5
row per (resource, property, literal) for every string literal of a resource under
``https://w3id.org/kzgraph/resource/``, with two indexed columns: ``fold`` (the folded words)
and ``key`` (each word's :func:`~kzgraph.search_syntax.search_key`, for spelling variants).
Per resource it also stores the display label, the most specific ``kz:`` class and the
``[P#]`` locators, so a hit is shown without opening the graph.

Ranking: FTS5's bm25 (``fold`` weighted 1.0, ``key`` 0.5: the exact spelling counts twice)
times a weight per property (:data:`WEIGHTS`: names 4, titles 2, prose 1).  Hits are grouped
per resource; each shows its best literal.  An excluded word (``-word``) leaves out every
resource that has it in any literal.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kzgraph.child import Helper, run_child
from kzgraph.errors import SearchError
from kzgraph.namespaces import ONTOLOGY, RESOURCE_BASE
from kzgraph.search_syntax import SearchQuery, parse_query, search_key
from kzgraph.spelling import fold, fold_with_offsets

INDEX = "search.sqlite"
#: bumped whenever the index's tables or the way text is keyed change: an older file is rebuilt
SCHEMA_VERSION = 1

KZ = ONTOLOGY
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = RDF + "langString"
RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"
SUBCLASS_OF = RDFS + "subClassOf"
LABEL_PROPERTIES = (RDFS_LABEL, SKOS + "prefLabel")

#: how much a hit in each property counts (bm25 x weight); any other property counts 1
WEIGHTS = {
    RDFS_LABEL: 4.0,
    SKOS + "prefLabel": 4.0,
    SKOS + "altLabel": 4.0,
    KZ + "articleSpelling": 4.0,
    KZ + "title": 2.0,
    KZ + "workTitle": 2.0,
    KZ + "newName": 2.0,
    KZ + "previousName": 2.0,
    KZ + "citationText": 2.0,
}
#: string literals that are codes, not text
SKIPPED = frozenset({"http://purl.org/dc/terms/language"})
#: bm25 weights of the indexed columns (fold, key)
COLUMN_WEIGHTS = (1.0, 0.5)

#: ``--kind`` names that are not the local name of a class
KIND_ALIASES = {
    "state": "Polity",
    "work": "CitedWork",
    "figure": "Observation",
    "people": "EthnicGroup",
}
#: the kind names offered in help texts and errors (any class name works too)
KIND_NAMES = (
    "person", "event", "document", "institution", "place", "state", "office", "tenure",
    "work", "paragraph", "figure", "conflict", "diaspora", "people", "signature",
)  # fmt: skip

MAX_LIMIT = 1000
SNIPPET_CHARS = 110  # of a snippet, around the first match
_CACHED_QUERIES = 128  # per index, for the SPARQL functions

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Snippet:
    """A stretch of a literal, with the matched words as ``(start, end)`` offsets into ``text``."""

    text: str
    spans: tuple[tuple[int, int], ...]

    def marked(self, open_: str = "«", close: str = "»") -> str:
        out, last = [], 0
        for start, end in self.spans:
            out += [self.text[last:start], open_, self.text[start:end], close]
            last = end
        out.append(self.text[last:])
        return "".join(out)


@dataclass(frozen=True)
class SearchHit:
    """One resource found, with its best-scoring literal."""

    iri: str
    label: str
    kind: str  # the most specific kz: class (IRI), "" when it has none
    kind_label: str
    property: str  # where the best literal is
    property_label: str
    language: str | None
    snippet: Snippet
    locators: tuple[str, ...]  # "P14"...
    score: float  # higher is better
    literals: int  # how many of its literals match


@dataclass(frozen=True)
class SearchResult:
    query: str  # the text as typed
    understood: str  # the parsed query, folded (see SearchQuery.show)
    hits: tuple[SearchHit, ...]
    total: int  # resources that match (hits holds at most ``limit`` of them)
    seconds: float


# --------------------------------------------------------------------------- building

_SCHEMA = """
CREATE VIRTUAL TABLE literal USING fts5(
    fold, key, iri UNINDEXED, property UNINDEXED, value UNINDEXED, lang UNINDEXED,
    weight UNINDEXED, tokenize = 'unicode61', prefix = '2 3'
);
CREATE TABLE resource (
    iri TEXT PRIMARY KEY, label TEXT NOT NULL, kind TEXT NOT NULL, kind_label TEXT NOT NULL,
    locators TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE type (class TEXT NOT NULL, iri TEXT NOT NULL, PRIMARY KEY (class, iri))
    WITHOUT ROWID;
CREATE TABLE term (iri TEXT PRIMARY KEY, label TEXT NOT NULL) WITHOUT ROWID;
"""


def _lang_case(tag: str | None) -> str | None:
    """``kk-cyrl`` -> ``kk-Cyrl`` (Oxigraph lower-cases language tags; BCP 47 case for show)."""
    if not tag:
        return None
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part)
    return "-".join(out)


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def _locator_key(loc: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", loc)
    return (int(digits) if digits else 0, loc)


@dataclass
class _Graph:
    """What the index needs from the N-Triples, in one pass."""

    literals: dict[tuple[str, str, str | None], str]  # (s, value, lang) -> its property
    types: dict[str, set[str]]
    labels: dict[str, list[tuple[str, str, str | None]]]  # iri -> (predicate, value, lang)
    stated_in: dict[str, set[str]]
    locators: dict[str, str]
    parents: dict[str, set[str]]
    #: the ``literals`` keys first met in the file being read, after the first file
    #: (None while the first is read): an earlier file's property is never replaced
    fresh: set[tuple[str, str, str | None]] | None = None


def _rank(p: str) -> tuple[float, str]:
    """Which of a value's properties in one file its index row names: the weightiest,
    then the first IRI, whatever the order of the file's lines."""
    return -WEIGHTS.get(p, 1.0), p


def resource_base_of(entry_dir: Path) -> str:
    """Where the resources of the entry in ``entry_dir`` live: the base a rebased entry
    (:func:`kzgraph.export.rebased_entry`) names in its ``resource-base`` file, else
    RESOURCE_BASE."""
    try:
        return (entry_dir / "resource-base").read_text(encoding="utf-8").strip()
    except OSError:
        return RESOURCE_BASE


def _iri(iri: str) -> str:
    return re.escape(f"<{iri}>")


#: the N-Triples lines :func:`_read` can use: an IRI subject with a literal object, a kz
#: class as a type, ``kz:statedIn``, a kz class's ``rdfs:subClassOf``; the other lines
#: (most inferred ones: inverse and super-properties) are skipped before they are parsed
#: (at 1M asserted triples 60 % of asserted.nt is kept and 15 % of inferred.nt)
_WANTED = re.compile(
    (
        rf"[ \t]*<[^>]*>[ \t]+(?:<[^>]*>[ \t]+\"|{_iri(RDF_TYPE)}[ \t]+<{re.escape(KZ)}"
        rf"|{_iri(KZ + 'statedIn')}[ \t]+<)"
        rf"|[ \t]*<{re.escape(KZ)}[^>]*>[ \t]+{_iri(SUBCLASS_OF)}[ \t]+<"
    ).encode()
)
#: what follows the subject of a line :func:`_split_lines` takes apart, when it keeps it
_TYPE_KZ = f"> <{RDF_TYPE}> <{KZ}".encode()
_STATED_IN = f"> <{KZ}statedIn> <".encode()
_SUBCLASS_OF = f"> <{SUBCLASS_OF}> <".encode()


def _wanted_lines(data: bytes) -> bytes:
    """The lines of the N-Triples ``data`` that :data:`_WANTED` keeps."""
    return b"\n".join(line for line in data.split(b"\n") if _WANTED.match(line))


def _one_space(data: bytes) -> bool:
    """Whether every term of the N-Triples ``data`` ends in one space (as Oxigraph and
    rdflib write them), so :func:`_split_lines` may take its lines apart: no tab, no
    carriage return, no two spaces after an IRI anywhere (a literal that has them only
    sends the file the slower way)."""
    return b"\t" not in data and b"\r" not in data and b">  " not in data


def _add_literal(
    g: _Graph, resource_base: str, iri: str, p: str, value: str, lang: str | None, dt: str
) -> None:
    if p in LABEL_PROPERTIES:
        g.labels.setdefault(iri, []).append((p, value, lang))
    if p == KZ + "locator":
        g.locators[iri] = value
    if iri.startswith(resource_base) and p not in SKIPPED and dt in (XSD_STRING, RDF_LANGSTRING):
        # asserted before inferred copies; within a file, by _rank
        key = (iri, value, lang)
        known = g.literals.get(key)
        if known is None:
            g.literals[key] = p
            if g.fresh is not None:
                g.fresh.add(key)
        elif (g.fresh is None or key in g.fresh) and _rank(p) < _rank(known):
            g.literals[key] = p


def _add_link(g: _Graph, iri: str, p: str, o: str) -> None:
    if p == RDF_TYPE and o.startswith(KZ):
        g.types.setdefault(iri, set()).add(o)
    elif p == KZ + "statedIn":
        g.stated_in.setdefault(iri, set()).add(o)
    elif p == SUBCLASS_OF and iri.startswith(KZ) and o != iri:
        g.parents.setdefault(iri, set()).add(o)


def _parse_into(g: _Graph, resource_base: str, source: dict[str, Any]) -> None:
    """Oxigraph's N-Triples parser over ``source`` (``path=`` or ``input=``), into ``g``."""
    import pyoxigraph as ox

    for t in ox.parse(**source, format=ox.RdfFormat.N_TRIPLES):
        s, o = t.subject, t.object
        if not isinstance(s, ox.NamedNode):
            continue
        if isinstance(o, ox.Literal):
            lang = _lang_case(o.language)
            _add_literal(
                g, resource_base, s.value, t.predicate.value, o.value, lang, o.datatype.value
            )
        elif isinstance(o, ox.NamedNode):
            _add_link(g, s.value, t.predicate.value, o.value)


def _lines_with(data: bytes, mark: bytes) -> Iterator[tuple[bytes, int]]:
    """Each line of ``data`` that holds ``mark``, once, with where its first ``mark`` is."""
    find, rfind = data.find, data.rfind
    at = find(mark)
    while at >= 0:
        start = rfind(b"\n", 0, at) + 1
        end = find(b"\n", at)
        if end < 0:
            end = len(data)
        yield data[start:end], at - start
        at = find(mark, end)


def _literal_tail(tail: bytes) -> tuple[str | None, str] | None:
    """The language and datatype that ``tail``, what follows a literal's closing quote on
    its line, gives it (`` .``, ``@lang .``, ``^^<dt> .``), or None for any other shape."""
    if tail == b" .":
        return None, XSD_STRING
    if tail[:1] == b"@" and tail[-2:] == b" ." and b" " not in tail[:-2]:
        return _lang_case(tail[1:-2].decode().lower()), RDF_LANGSTRING
    if tail[:3] == b"^^<" and tail[-3:] == b"> ." and b" " not in tail[:-3]:
        return None, tail[3:-3].decode()
    return None


def _split_lines(g: _Graph, resource_base: str, data: bytes) -> None:
    """Read the lines of ``data`` (:func:`_one_space`) that the index can use, found by
    the separators that only they have and taken apart by them instead of parsed:
    Oxigraph's parser makes Python objects of every term, which at 1M asserted triples
    is most of the index's reading.  A line with an escape (a backslash anywhere), or of
    any shape but ``<s> <p> "v" .``, ``<s> <p> "v"@lang .``, ``<s> <p> "v"^^<dt> .`` and
    ``<s> <p> <o> .``, goes to Oxigraph's parser.  IRIs hold no ``>``, ``"`` or space and
    a literal's closing quote is its line's last, which is what makes the split exact;
    the tests compare it with Oxigraph's parser over every line.  Literals are read in
    the file's order (a value's property: see :func:`_rank`); types, sources and
    superclasses are sets."""
    tails: dict[bytes, tuple[str | None, str] | None] = {}

    def parse(line: bytes) -> None:
        _parse_into(g, resource_base, {"input": line})

    for line, at in _lines_with(data, b'> "'):
        if line[:1] != b"<":
            if not line.startswith((b"_:", b"#")):
                parse(line)
            continue
        end = line.find(b"> <")
        close = line.rfind(b'"')
        if b"\\" in line or end < 0 or end > at or close <= at + 2:
            parse(line)
            continue
        tail = line[close + 1 :]
        if tail not in tails:
            tails[tail] = _literal_tail(tail)
        shape = tails[tail]
        if shape is None:
            parse(line)
            continue
        lang, dt = shape
        iri, p = line[1:end].decode(), line[end + 3 : at].decode()
        _add_literal(g, resource_base, iri, p, line[at + 3 : close].decode(), lang, dt)
    for mark in (_TYPE_KZ, _STATED_IN, _SUBCLASS_OF):
        for line, at in _lines_with(data, mark):
            if line[:1] != b"<" or line.find(b"> <") != at:
                # a line that starts oddly goes to the parser, once: here unless it has
                # a literal (the loop above parsed it)
                if not line.startswith((b"_:", b"#", b"<")) and b'> "' not in line:
                    parse(line)
                continue  # the mark is in a literal, or after the subject
            p_end = line.find(b"> <", at + 3)
            if b"\\" in line or line[-3:] != b"> ." or b" " in line[p_end + 3 : -3]:
                parse(line)
                continue
            iri, p = line[1:at].decode(), line[at + 3 : p_end].decode()
            _add_link(g, iri, p, line[p_end + 3 : -3].decode())


def _read(
    files: Iterable[Path],
    resource_base: str = RESOURCE_BASE,
    *,
    every_line: bool = False,
    between: Callable[[_Graph], None] | None = None,
) -> _Graph:
    """What the index needs from the N-Triples ``files``: only the lines it can use are
    read (:func:`_split_lines`, else :data:`_WANTED`'s), unless ``every_line``, which
    parses every line with Oxigraph (the tests compare both).  ``between(g)`` runs after
    each file, before the next is asked for (which may wait for it to be written)."""
    g = _Graph({}, {}, {}, {}, {}, {})
    for i, path in enumerate(files):
        g.fresh = set() if i else None
        if every_line:
            _parse_into(g, resource_base, {"path": str(path)})
        else:
            data = Path(path).read_bytes()
            if _one_space(data):
                _split_lines(g, resource_base, data)
            else:
                _parse_into(g, resource_base, {"input": _wanted_lines(data)})
            del data
        if between is not None:
            between(g)
    return g


def _label(g: _Graph, iri: str) -> str:
    from kzgraph.terms import Literal, pick_label

    found = [
        (p, Literal(v, language=lang) if lang else Literal(v))
        for p, v, lang in g.labels.get(iri, [])
    ]
    return pick_label(iri, found)


def _kind(g: _Graph, classes: set[str]) -> str:
    """The most specific of ``classes``: one no other is a subclass of (deepest, then by name)."""
    specific = [c for c in classes if not any(c in g.parents.get(o, ()) for o in classes - {c})]
    return min(specific or classes, key=lambda c: (-len(g.parents.get(c, ())), c))


def _fold_and_key(value: str) -> tuple[str, str]:
    """A literal's indexed columns: its folded words, and their keys."""
    folded = fold(value)
    return folded, " ".join(search_key(w) for w in folded.split())


def _fold_all(g: _Graph, folds: dict[str, tuple[str, str]]) -> None:
    """Fold every literal value of ``g`` that ``folds`` lacks, into ``folds``."""
    for _iri, value, _lang in g.literals:
        if value not in folds:
            folds[value] = _fold_and_key(value)


def _rows(
    g: _Graph, folds: dict[str, tuple[str, str]] | None = None
) -> Iterator[tuple[str, str, str, str, str, str | None, float]]:
    """(fold, key, iri, property, value, lang, weight) for every literal, in a fixed order;
    ``folds`` holds values already folded (:func:`_fold_all`)."""
    folds = {} if folds is None else folds
    ordered = sorted(
        g.literals.items(),
        key=lambda item: (
            item[0][0],
            -WEIGHTS.get(item[1], 1.0),
            item[1],
            item[0][2] or "",
            item[0][1],
        ),
    )
    for (iri, value, lang), prop in ordered:
        folded, key = folds[value] if value in folds else _fold_and_key(value)
        if not folded:
            continue
        yield folded, key, iri, prop, value, (lang or "").lower() or None, WEIGHTS.get(prop, 1.0)


def _fill(
    conn: sqlite3.Connection, files: Iterable[Path], resource_base: str = RESOURCE_BASE
) -> None:
    # the asserted values are folded while the build still writes the inferred file
    folds: dict[str, tuple[str, str]] = {}
    g = _read(files, resource_base, between=lambda g: _fold_all(g, folds))
    conn.executescript(_SCHEMA)
    conn.executemany("INSERT INTO literal VALUES (?, ?, ?, ?, ?, ?, ?)", _rows(g, folds))
    resources = {iri for iri, _v, _l in g.literals} | {
        iri for iri in g.types if iri.startswith(resource_base)
    }
    terms: set[str] = set()
    rows = []
    kinds: dict[frozenset[str], str] = {}  # a few sets of classes, each of many resources
    kind_labels: dict[str, str] = {}
    for iri in sorted(resources):
        classes = frozenset(g.types.get(iri, ()))
        if classes not in kinds:
            kinds[classes] = _kind(g, set(classes)) if classes else ""
        kind = kinds[classes]
        # a paragraph is its own source
        own = {g.locators[iri]} if iri in g.locators else set()
        locators = sorted(
            own | {g.locators[p] for p in g.stated_in.get(iri, ()) if p in g.locators},
            key=_locator_key,
        )
        if kind and kind not in kind_labels:
            kind_labels[kind] = _label(g, kind)
        kind_label = kind_labels[kind] if kind else iri[len(resource_base) :].split("/")[0]
        rows.append((iri, _label(g, iri), kind, kind_label, " ".join(locators)))
    conn.executemany("INSERT INTO resource VALUES (?, ?, ?, ?, ?)", rows)
    conn.executemany(
        "INSERT INTO type VALUES (?, ?)",
        sorted((c, iri) for iri in resources for c in g.types.get(iri, ())),
    )
    terms |= set(g.literals.values()) | {c for cs in g.types.values() for c in cs}
    conn.executemany("INSERT INTO term VALUES (?, ?)", ((t, _label(g, t)) for t in sorted(terms)))
    conn.execute("INSERT INTO literal(literal) VALUES ('optimize')")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.commit()


def _entry_files(entry_dir: Path) -> list[Path]:
    return [entry_dir / "asserted.nt", entry_dir / "inferred.nt"]


def write_index(
    entry_dir: Path, target: Path | None = None, files: Iterable[Path] | None = None
) -> Path:
    """Build the index of the entry in ``entry_dir`` (its ``asserted.nt`` and ``inferred.nt``,
    or ``files``, read in turn as the iterable gives them) into ``target`` (default:
    ``entry_dir/search.sqlite``) through a temporary file renamed into place, so a reader
    sees the whole index or none."""
    target = target or entry_dir / INDEX
    handle, tmp = tempfile.mkstemp(prefix=".search-", suffix=".tmp", dir=target.parent)
    os.close(handle)
    os.chmod(tmp, 0o644)  # as the entry's other files (mkstemp makes it 0600)
    try:
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            _fill(conn, files or _entry_files(entry_dir), resource_base_of(entry_dir))
        finally:
            conn.close()
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _open(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to a current index, or None (missing, older schema, damaged)."""
    if not path.is_file():
        return None
    try:
        # immutable: the file is only ever replaced whole (os.replace), never changed in place
        conn = sqlite3.connect(
            f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return conn
        conn.close()
    except sqlite3.DatabaseError:
        pass
    return None


def _connect(entry_dir: Path) -> sqlite3.Connection:
    """The entry's index, built first if it is missing or older (in memory if the entry's
    folder cannot be written)."""
    path = entry_dir / INDEX
    conn = _open(path)
    if conn is not None:
        return conn
    try:
        write_index(entry_dir)
    except OSError:  # a read-only cache: keep this process's index in memory
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        _fill(conn, _entry_files(entry_dir), resource_base_of(entry_dir))
        return conn
    conn = _open(path)
    if conn is None:  # pragma: no cover - just written
        raise SearchError(f"cannot read the search index {path}")
    return conn


# --------------------------------------------------------------------------- searching


def _marked_tokens(highlighted: str) -> list[tuple[int, int]]:
    """Token ranges [first, last) between \\x02 and \\x03 in a highlighted space-separated text."""
    out: list[tuple[int, int]] = []
    token, start = 0, None
    for ch in highlighted:
        if ch == "\x02":
            start = token
        elif ch == "\x03":
            assert start is not None
            out.append((start, token + 1))
            start = None
        elif ch == " ":
            token += 1
    return out


def _snippet(value: str, token_ranges: Iterable[tuple[int, int]]) -> Snippet:
    """Up to SNIPPET_CHARS of ``value`` around its first match, cut at spaces, with the
    matched words (token ranges of the folded text) mapped back onto the original text."""
    folded, offsets = fold_with_offsets(value)
    starts = [0] + [i + 1 for i, ch in enumerate(folded) if ch == " "]
    ends = [i for i, ch in enumerate(folded) if ch == " "] + [len(folded)]
    spans: list[tuple[int, int]] = []
    for start, end in sorted(
        (offsets[starts[a]], offsets[ends[b - 1] - 1] + 1)
        for a, b in token_ranges
        if a < b <= len(starts)
    ):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    text = "".join(" " if ch.isspace() else ch for ch in value)  # one for one: offsets hold
    first = spans[0] if spans else (0, 0)
    # the whole text when it fits; else from a third of the window before the first match
    lo = max(0, min(first[0] - SNIPPET_CHARS // 3, len(text) - SNIPPET_CHARS))
    if lo:  # start after a space, when there is one before the match
        space = text.find(" ", lo)
        lo = space + 1 if 0 <= space < first[0] else lo
    hi = min(len(text), lo + SNIPPET_CHARS)
    if hi < len(text):  # end at a space, when there is one after the first match
        space = text.rfind(" ", first[1], hi)
        hi = space if space > 0 else hi
    head = "…" if lo else ""
    tail = "…" if hi < len(text) else ""
    shift = len(head) - lo
    kept = tuple((s + shift, min(e, hi) + shift) for s, e in spans if s < hi)
    return Snippet(head + text[lo:hi] + tail, kept)


class SearchIndex:
    """The search index of one cache entry (thread-safe; open with :func:`open_index`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._scores: OrderedDict[str, dict[str, tuple[float, int]]] = OrderedDict()
        self._values: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._kinds: dict[str, str] | None = None

    def close(self) -> None:
        self._conn.close()

    def _all(self, sql: str, args: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of one statement (one at a time: a connection is not shared by threads)."""
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    # -- kinds

    def kinds(self) -> dict[str, str]:
        """``--kind`` name -> class IRI: the aliases and every kz: class local name with
        instances (lower case, without '-' or '_')."""
        if self._kinds is None:
            classes = [str(c) for (c,) in self._all("SELECT DISTINCT class FROM type")]
            names = {_local(c).lower(): c for c in classes}
            for alias, local in KIND_ALIASES.items():
                if alias not in names and local.lower() in names:
                    names[alias] = names[local.lower()]
            self._kinds = names
        return self._kinds

    def kind_class(self, name: str) -> str:
        """The class IRI of a ``--kind`` name; :class:`SearchError` for an unknown one."""
        wanted = re.sub(r"[-_\s]", "", name.strip().lower())
        kinds = self.kinds()
        if wanted in kinds:
            return kinds[wanted]
        if wanted.startswith(KZ.lower()) or wanted.startswith("kz:"):
            local = wanted.split("#" if "#" in wanted else ":", 1)[1]
            if local in kinds:
                return kinds[local]
        import difflib

        close = difflib.get_close_matches(wanted, list(kinds), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        shown = ", ".join(n for n in KIND_NAMES if n in kinds)
        raise SearchError(
            f"unknown kind {name!r}{hint}; use one of: {shown}, or a class name such as visit"
        )

    # -- the search

    def _matching(
        self, query: SearchQuery, kind: str | None, lang: str | None
    ) -> list[tuple[int, str, float]]:
        """(rowid, iri, score) of every literal that matches the groups, best first (score:
        lower is better), leaving out the resources any of whose literals has an excluded term."""
        sql = (
            "SELECT rowid, iri, bm25(literal, ?, ?) * weight AS score FROM literal "
            "WHERE literal MATCH ?"
        )
        args: list[object] = [*COLUMN_WEIGHTS, query.wanted_fts()]
        excluded = query.excluded_fts()
        if excluded is not None:
            sql += " AND iri NOT IN (SELECT iri FROM literal WHERE literal MATCH ?)"
            args.append(excluded)
        if kind is not None:
            sql += " AND iri IN (SELECT iri FROM type WHERE class = ?)"
            args.append(kind)
        if lang is not None:
            sql += " AND (lang = ? OR lang LIKE ? ESCAPE '\\')"
            tag = lang.strip().lower()
            args += [tag, tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"]
        sql += " ORDER BY score, iri, rowid"
        try:
            rows = self._all(sql, args)
        except sqlite3.OperationalError as exc:  # pragma: no cover - the expression is ours
            raise SearchError(f"the search index refused the search: {exc}") from None
        return [(int(r), str(i), float(s)) for r, i, s in rows]

    def search(
        self,
        text: str,
        *,
        kind: str | None = None,
        lang: str | None = None,
        limit: int = 20,
    ) -> SearchResult:
        """Resources whose literals match ``text``, best first, at most ``limit``.

        ``kind``: a ``--kind`` name or class (subclasses included: the closure types every
        visit as an event); ``lang``: only literals tagged with it (``kk`` takes ``kk-Cyrl``)."""
        started = time.perf_counter()
        query = parse_query(text)
        if not 1 <= limit <= MAX_LIMIT:
            raise SearchError(f"the limit must be between 1 and {MAX_LIMIT}, got {limit}")
        if lang is not None and not re.fullmatch(
            r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", lang.strip()
        ):
            raise SearchError(f"not a language tag: {lang!r} (e.g. en, tr, ru, kk)")
        kind_iri = self.kind_class(kind) if kind else None
        best: dict[str, tuple[int, float]] = {}
        counts: dict[str, int] = {}
        for rowid, iri, score in self._matching(query, kind_iri, lang):
            best.setdefault(iri, (rowid, score))
            counts[iri] = counts.get(iri, 0) + 1
        chosen = list(best.items())[:limit]
        hits = self._hits(query, chosen, counts)
        return SearchResult(
            query=text,
            understood=query.show(),
            hits=tuple(hits),
            total=len(best),
            seconds=time.perf_counter() - started,
        )

    def _hits(
        self,
        query: SearchQuery,
        chosen: list[tuple[str, tuple[int, float]]],
        counts: dict[str, int],
    ) -> list[SearchHit]:
        if not chosen:
            return []
        rowids = [rowid for _iri, (rowid, _s) in chosen]
        marks = ", ".join("?" * len(rowids))
        found = {
            int(r): (str(p), str(v), lang, str(h0), str(h1))
            for r, p, v, lang, h0, h1 in self._all(
                "SELECT rowid, property, value, lang, highlight(literal, 0, char(2), char(3)), "
                "highlight(literal, 1, char(2), char(3)) FROM literal "
                f"WHERE literal MATCH ? AND rowid IN ({marks})",
                [query.wanted_fts(), *rowids],
            )
        }
        iris = [iri for iri, _ in chosen]
        info = {
            str(r[0]): r
            for r in self._all(
                f"SELECT * FROM resource WHERE iri IN ({', '.join('?' * len(iris))})", iris
            )
        }
        props = {p for p, *_ in found.values()}
        kinds = {str(i[2]) for i in info.values()}
        labels: dict[str, str] = dict(
            self._all(
                f"SELECT iri, label FROM term WHERE iri IN ({', '.join('?' * len(props | kinds))})",
                sorted(props | kinds),
            )
        )
        hits = []
        for iri, (rowid, score) in chosen:
            prop, value, lang, h0, h1 = found[rowid]
            _i, label, kind_iri, kind_label, locators = info.get(iri, (iri, iri, "", "", ""))
            hits.append(
                SearchHit(
                    iri=iri,
                    label=str(label),
                    kind=str(kind_iri),
                    kind_label=str(kind_label),
                    property=prop,
                    property_label=str(labels.get(prop) or _local(prop)),
                    language=_lang_case(str(lang)) if lang else None,
                    snippet=_snippet(value, _marked_tokens(h0) + _marked_tokens(h1)),
                    locators=tuple(str(locators).split()),
                    score=round(-score, 4),
                    literals=counts[iri],
                )
            )
        return hits

    # -- for the SPARQL functions

    def scores(self, text: str) -> dict[str, tuple[float, int]]:
        """Resource IRI -> (best score, rowid of its best literal), cached per search text."""
        if text in self._scores:
            self._scores.move_to_end(text)
            return self._scores[text]
        found: dict[str, tuple[float, int]] = {}
        for rowid, iri, score in self._matching(parse_query(text), None, None):
            found.setdefault(iri, (round(-score, 4), rowid))
        self._scores[text] = found
        while len(self._scores) > _CACHED_QUERIES:
            self._scores.popitem(last=False)
        return found

    def snippet(self, iri: str, text: str) -> str | None:
        """The marked snippet of the best literal of ``iri`` for ``text``, or None."""
        hit = self.scores(text).get(iri)
        if hit is None:
            return None
        query = parse_query(text)
        rows = self._all(
            "SELECT value, highlight(literal, 0, char(2), char(3)), "
            "highlight(literal, 1, char(2), char(3)) FROM literal "
            "WHERE literal MATCH ? AND rowid = ?",
            [query.wanted_fts(), hit[1]],
        )
        value, h0, h1 = (str(x) for x in rows[0])
        return _snippet(value, _marked_tokens(h0) + _marked_tokens(h1)).marked()


def open_index(entry_dir: Path) -> SearchIndex:
    """The search index of the cache entry in ``entry_dir`` (built now if the entry has none)."""
    return SearchIndex(_connect(entry_dir))


# --------------------------------------------------------------------------- in a child


class IndexWriter(Helper):
    """:func:`write_index` of a cache entry in a child Python process
    (:class:`kzgraph.child.Helper`), fed file by file: the fast build says when
    ``asserted.nt`` is written (:meth:`~kzgraph.child.Helper.ready`), and the child reads
    it while the build reasons, then ``inferred.nt`` while it validates.  At 1M asserted
    triples the index takes ~9-13 s of Python and SQLite, beside the build's main line.

    The child dies with the build (``PR_SET_PDEATHSIG`` on Linux), so a build killed
    with ``kill -9`` leaves no writer behind, only its temporary entry, which the next
    build removes.  :meth:`finish` waits and turns a failure into a one-line
    :class:`~kzgraph.errors.CacheError`; :meth:`abort` stops the child."""

    def __init__(self, entry_dir: Path) -> None:
        super().__init__("kzgraph.search", [str(entry_dir)], entry_dir, "the search index")


def _child() -> None:
    """The body of :class:`IndexWriter`'s child: ``ENTRY_DIR PARENT_PID`` on the command
    line, then the entry's N-Triples files as the build says they are ready; prints the
    seconds it worked, or one line on stderr and exit status 1."""
    from kzgraph.child import announced

    def work(args: list[str]) -> None:
        entry = Path(args[0])
        write_index(entry, files=announced(_entry_files(entry)))

    run_child(work)
