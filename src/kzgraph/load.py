"""Parse Turtle files with rdflib, remembering which file defined each subject.

Errors a user can cause become typed errors with a ``path:line:col`` location:
a missing or unreadable file, a binary or non-UTF-8 file, a Turtle syntax error
(an undefined prefix names the prefix).  Literals keep the lexical form and the
language tag the file writes (``"01"^^xsd:integer``, ``@kk-Cyrl``): rdflib's own
normalization of literals is off while a file is parsed.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kzgraph.errors import InputError, ParseError
from kzgraph.namespaces import ONTOLOGY
from kzgraph.project import display_path

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Graph


@dataclass(frozen=True)
class LoadedGraph:
    """The union of some Turtle files and where each subject IRI was defined."""

    graph: Graph
    files: tuple[Path, ...]
    #: subject IRI -> the files (in load order) that have triples about it
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``path: message`` for what was accepted but is worth a warning (:func:`input_warnings`)
    warnings: tuple[str, ...] = ()

    def source_of(self, iri: str) -> str | None:
        files = self.sources.get(iri)
        return files[0] if files else None


def read_text(path: Path, *, allow_bom: bool = False) -> str:
    """Read a UTF-8 text file, with an error that says what is wrong with it.

    Refused, each with its position: UTF-16 text, a NUL byte (binary), and a UTF-8
    byte-order mark unless ``allow_bom`` (Turtle files: the mark is dropped, and
    :func:`input_warnings` says so; Oxigraph's SPARQL parser refuses U+FEFF).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=display_path(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path=display_path(path)) from None
    except OSError as exc:
        raise InputError(
            f"cannot read file: {exc.strerror or exc}", path=display_path(path)
        ) from None
    shown = display_path(path)
    if raw.startswith(codecs.BOM_UTF8) and allow_bom:
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith(codecs.BOM_UTF8):
        raise InputError(
            "starts with a byte-order mark (BOM): save the file as UTF-8 without BOM",
            path=shown,
            line=1,
            col=1,
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(raw):
        raise InputError(
            "UTF-16 text, not UTF-8: save the file as UTF-8", path=shown, line=1, col=1
        )
    nul = raw.find(b"\0")
    if nul >= 0:
        line, col = byte_position(raw, nul)
        raise InputError(
            "binary file (a NUL byte), not Turtle text", path=shown, line=line, col=col
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = byte_position(raw, exc.start)
        raise InputError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", path=shown, line=line, col=col
        ) from None


def turtle_source(path: Path) -> dict[str, Any]:
    """Keyword arguments for pyoxigraph's ``parse``/``bulk_load`` of ``path``: the path
    itself, or its bytes after a UTF-8 byte-order mark (Oxigraph refuses U+FEFF)."""
    with open(path, "rb") as head:
        bom = head.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    if not bom:
        return {"path": str(path)}
    return {"input": path.read_bytes()[len(codecs.BOM_UTF8) :]}


def byte_position(raw: bytes, index: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of ``raw[index]``."""
    return raw.count(b"\n", 0, index) + 1, index - (raw.rfind(b"\n", 0, index) + 1) + 1


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a NUL beside every character."""
    head = raw[:512]
    if len(head) < 4:
        return False
    return head[1::2].count(0) > 0.9 * len(head[1::2]) or head[0::2].count(0) > 0.9 * len(
        head[0::2]
    )


XSD_NS = "http://www.w3.org/2001/XMLSchema#"

_UNBOUND = re.compile(r'Prefix "([^"]*)" not bound')


def _syntax_error(path: Path, exc: Exception) -> ParseError:
    text_b: bytes = getattr(exc, "_str", b"")
    index: int = getattr(exc, "_i", 0)
    why: str = getattr(exc, "_why", str(exc))
    text = text_b.decode("utf-8", "replace")
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    unbound = _UNBOUND.search(why)
    if unbound:
        why = f"undefined prefix '{unbound.group(1)}' (add an @prefix line)"
    return ParseError(why, path=display_path(path), line=line, col=col)


#: deepest nesting of ( ) and [ ] the reference loader accepts: rdflib's Turtle parser
#: recurses (RecursionError near 150 levels) and rdflib's blank-node canonicalization
#: does not finish on a 10,000-level list; Oxigraph (the fast path) has no such limit
MAX_NESTING = 64
#: Oxigraph's Turtle parser reads one token (a literal, an IRI) into at most 16 MiB
MAX_TOKEN = 16 * 1024 * 1024

_TURTLE_TOKEN = re.compile(  # possessive: ~30 ms per MB of Turtle
    r'"""(?:[^"\\]++|\\.|"(?!""))*+(?:"""|\Z)'
    r"|'''(?:[^'\\]++|\\.|'(?!''))*+(?:'''|\Z)"
    r'|"(?:[^"\\\n]++|\\.)*+"?'
    r"|'(?:[^'\\\n]++|\\.)*+'?"
    r'|<[^<>\s"]*+>?'
    r"|#[^\n]*+"
    r"|[\[\]()]",
    re.DOTALL,
)


def text_position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def nesting_error(path: str | Path, text: str, limit: int = MAX_NESTING) -> ParseError | None:
    """A ParseError at the first ``(`` or ``[`` nested more than ``limit`` deep, else None
    (strings, IRIs and comments are skipped)."""
    if text.count("(") + text.count("[") <= limit:
        return None
    depth = 0
    for m in _TURTLE_TOKEN.finditer(text):
        token = m.group()
        if token in ("(", "["):
            depth += 1
            if depth > limit:
                line, col = text_position(text, m.start())
                return ParseError(
                    f"collections or blank nodes nested more than {limit} levels deep "
                    "(flatten the data: give the inner nodes IRIs)",
                    path=display_path(path),
                    line=line,
                    col=col,
                )
        elif token in (")", "]"):
            depth = max(0, depth - 1)
    return None


_LANGUAGE_TAG = re.compile(r"@([A-Za-z]+(?:-[A-Za-z0-9]+)*)")


def language_tags(text: str) -> list[str]:
    """The language tags of the literals in Turtle ``text``, as written and in document
    order (comments, IRIs and the insides of strings skipped).  Oxigraph's parser gives
    each tag in lower case; this is the case the file wrote."""
    tags = []
    for m in _TURTLE_TOKEN.finditer(text):
        if m.group()[0] in "\"'":
            tag = _LANGUAGE_TAG.match(text, m.end())
            if tag is not None:
                tags.append(tag.group(1))
    return tags


def long_token_error(path: str | Path, raw: bytes, limit: int = MAX_TOKEN) -> ParseError | None:
    """A ParseError at a literal or IRI longer than ``limit`` bytes (or one never closed
    in a file that large), else None.  Looks for the first line longer than ``limit``
    (its first quote or ``<`` starts the token), then for a long-string delimiter
    followed by more than ``limit`` bytes before the next one."""
    if len(raw) <= limit:
        return None
    begin = 0
    while begin < len(raw):
        end = raw.find(b"\n", begin)
        end = len(raw) if end < 0 else end
        if end - begin > limit:
            starts = [i for i in (raw.find(q, begin, end) for q in (b'"', b"'", b"<")) if i >= 0]
            return _too_long(path, raw, min(starts) if starts else begin, limit)
        begin = end + 1
    delimiters = list(re.finditer(rb'"""|' + rb"'''", raw))
    for i, opening in enumerate(delimiters):
        stop = delimiters[i + 1].start() if i + 1 < len(delimiters) else len(raw)
        if stop - opening.end() > limit:
            return _too_long(path, raw, opening.start(), limit)
    return None


def too_long_error(path: str | Path, raw: bytes) -> ParseError:
    """The error for a file Oxigraph refused with "Reached the buffer maximal size"."""
    return long_token_error(path, raw) or _too_long(path, raw, None, MAX_TOKEN)


def _too_long(path: str | Path, raw: bytes, index: int | None, limit: int) -> ParseError:
    line, col = byte_position(raw, index) if index is not None else (None, None)
    return ParseError(
        f"a literal or IRI longer than {limit // (1024 * 1024)} MiB, or one never closed "
        "(keep long texts outside the graph)",
        path=display_path(path),
        line=line,
        col=col,
    )


def empty_file_error(path: str | Path) -> ParseError:
    """A Turtle file whose prefixes are not followed by a single triple (a file cut short
    after its header).  A file with nothing but whitespace and comments is accepted, with
    a warning (:func:`input_warnings`)."""
    return ParseError(
        "no triples in this file, only prefixes (a file cut short?)",
        path=display_path(path),
        line=1,
        col=1,
    )


_NOTHING = re.compile(r"(?:\s|#[^\n]*)*")


def is_blank_turtle(text: str) -> bool:
    """Whether Turtle ``text`` holds nothing but whitespace and comments: an empty
    document, valid Turtle that other tools read as no triples."""
    return _NOTHING.fullmatch(text) is not None


def input_warnings(path: Path, *, triples: int) -> tuple[str, ...]:
    """What is accepted in the Turtle file ``path`` (which gave ``triples`` triples) but
    worth a word: a byte-order mark (dropped), no triples at all (the file is empty or
    holds only whitespace and comments).  Each ``path: message``, for one ``Warning:``
    line on stderr."""
    found = []
    shown = display_path(path)
    with open(path, "rb") as head:
        start = head.read(len(codecs.BOM_UTF8) + 1)
    bom = start.startswith(codecs.BOM_UTF8)
    if bom:
        found.append(f"{shown}: starts with a UTF-8 byte-order mark (BOM); read without it")
    if triples == 0:
        what = "empty" if len(start) == (3 if bom else 0) else "only whitespace and comments"
        found.append(f"{shown}: no triples in this file ({what}); nothing loaded from it")
    return tuple(found)


def oxigraph_pass(path: Path, text: str, *, instances_only: bool = False) -> ParseError | None:
    """Oxigraph's verdict on a file rdflib accepted, and the per-triple checks, in
    document order as on the fast path (:func:`kzgraph.fast.file_sources`).  rdflib's
    parser is lenient (an IRI with a space, ``1.2.3``, a literal as subject, a bad
    ``\\u`` escape, a relative IRI); Oxigraph is not, and both paths refuse the same files."""
    import pyoxigraph as ox

    problem = None
    try:
        for t in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE):
            if problem is None:
                problem = check_triple(path, t, instances_only=instances_only)
    except SyntaxError as exc:
        return oxigraph_syntax_error(path, exc)
    return problem


def check_triple(path: str | Path, triple: ox.Triple, *, instances_only: bool) -> ParseError | None:
    """What both build paths refuse in one parsed triple: an ill-typed literal, and in a
    data file (``instances_only``) a statement that defines vocabulary."""
    import pyoxigraph as ox

    obj = triple.object
    if isinstance(obj, ox.Literal):
        if is_ill_typed(obj.value, obj.datatype.value):
            text = read_text(Path(path), allow_bom=True)
            return ill_typed_error(path, text, obj.value, obj.datatype.value)
        value = ""
    else:
        value = getattr(obj, "value", "")
    if instances_only:
        subject = getattr(triple.subject, "value", "")
        found = schema_statement(subject, triple.predicate.value, value)
        if found is not None:
            return schema_error(path, *found, subject=subject)
    return None


def parse_turtle(path: Path, graph: Graph | None = None, *, instances_only: bool = False) -> Graph:
    """Parse one Turtle file into ``graph`` (a new graph when None).  A data file
    (``instances_only``) may not define vocabulary (:func:`schema_statement`)."""
    from rdflib import Graph, Literal
    from rdflib.plugins.parsers.notation3 import BadSyntax

    text = read_text(path, allow_bom=True)
    refused = long_token_error(path, text.encode("utf-8")) or nesting_error(path, text)
    if refused is not None:
        raise refused
    part = Graph()
    try:
        with _quiet_rdflib(), exact_literals():
            part.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as exc:
        error = _syntax_error(path, exc)
        if error.col is not None and error.col < 1:  # rdflib has lost the position
            error = oxigraph_pass(path, text) or ParseError(error.message, path=error.path)
        raise error from None
    except IndexError:  # rdflib's Turtle parser reads past the end of a truncated statement
        precise = oxigraph_pass(path, text)  # or of a term cut short, such as "1"^^ .
        if precise is not None and not precise.message.startswith("Unexpected end"):
            raise precise from None
        line = text.count("\n") + 1
        col = len(text) - (text.rfind("\n") + 1) + 1
        raise ParseError(
            "unexpected end of file (an unfinished statement)",
            path=display_path(path),
            line=line,
            col=col,
        ) from None
    except RecursionError:  # nesting_error refuses such files first; never a traceback
        raise ParseError(
            "nested too deeply for the Turtle parser", path=display_path(path)
        ) from None
    except (ValueError, TypeError, SyntaxError) as exc:
        raise ParseError(f"invalid Turtle: {exc}", path=display_path(path)) from None
    strict = oxigraph_pass(path, text, instances_only=instances_only)
    if strict is not None:
        raise strict
    if len(part) == 0 and not is_blank_turtle(text):
        raise empty_file_error(path)
    for literal in part.objects():
        if isinstance(literal, Literal) and literal.ill_typed:
            raise ill_typed_error(path, text, str(literal), str(literal.datatype))
    if graph is None:
        return part
    for triple in part:
        graph.add(triple)
    return graph


@contextmanager
def exact_literals() -> Iterator[None]:
    """Literals made meanwhile keep their lexical form as written: rdflib rewrites
    ``"01"^^xsd:integer`` as ``"1"``, ``"1"^^xsd:boolean`` as ``"true"``... unless
    ``rdflib.NORMALIZE_LITERALS`` is off (a module setting, restored afterwards).  The
    value (``Literal.value``) is parsed either way, so SHACL and OWL RL see the same."""
    import rdflib

    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = saved


@contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback for every ill-typed literal it parses, and warns on stderr
    about some ("Parsing weird boolean"); we report them instead."""
    import warnings

    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def ill_typed_error(path: str | Path, text: str, lexical: str, datatype: str) -> ParseError:
    """A literal whose lexical form is not valid for its datatype ("1994-02-30"^^xsd:date),
    located at its first occurrence in the file's text."""
    short = datatype.replace("http://www.w3.org/2001/XMLSchema#", "xsd:")
    at = text.find(f'"{lexical}"')
    line = text.count("\n", 0, at) + 1 if at >= 0 else None
    col = at - (text.rfind("\n", 0, at) + 1) + 1 if at >= 0 else None
    return ParseError(
        f'ill-typed literal "{lexical}"^^{short}: not a valid {short} value',
        path=display_path(path),
        line=line,
        col=col,
    )


_LEXICAL_FORMS = {
    "date": re.compile(r"-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?"),
    "gYear": re.compile(r"-?\d{4,}(Z|[+-]\d{2}:\d{2})?"),
    "gYearMonth": re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])(Z|[+-]\d{2}:\d{2})?"),
    "integer": re.compile(r"[+-]?\d+"),
    "positiveInteger": re.compile(r"\+?0*[1-9]\d*"),
    "nonNegativeInteger": re.compile(r"\+?\d+|-0+"),
    "decimal": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)"),
    "boolean": re.compile(r"true|false|1|0"),
}


def is_ill_typed(lexical: str, datatype: str) -> bool:
    """True when ``lexical`` is not a valid form of the XSD ``datatype`` (the datatypes
    kzgraph's data uses; others are not checked here)."""
    from datetime import date

    name = datatype.rpartition("#")[2] if datatype.startswith(XSD_NS) else None
    pattern = _LEXICAL_FORMS.get(name or "")
    if pattern is None:
        return False
    if not pattern.fullmatch(lexical):
        return True
    if name == "date":
        try:
            date.fromisoformat(lexical[:10])
        except ValueError:
            return True
    return False


def load_graph(paths: Iterable[Path], *, instances_only: Iterable[Path] = ()) -> LoadedGraph:
    """Parse every file into one new graph; remember the files defining each subject.

    Files in ``instances_only`` (the data files) are refused if they define vocabulary
    (:func:`schema_statement`)."""
    from rdflib import Graph, URIRef

    from kzgraph.namespaces import PREFIXES

    combined = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        combined.bind(prefix, ns)
    sources: dict[str, list[str]] = {}
    files = tuple(paths)
    data = set(instances_only)
    warnings: list[str] = []
    for path in files:
        part = parse_turtle(path, instances_only=path in data)
        warnings += input_warnings(path, triples=len(part))
        label = display_path(path)
        for subject in set(part.subjects()):
            if isinstance(subject, URIRef):
                owners = sources.setdefault(str(subject), [])
                if label not in owners:
                    owners.append(label)
        for triple in part:
            combined.add(triple)
    return LoadedGraph(
        graph=combined,
        files=files,
        sources={k: tuple(v) for k, v in sources.items()},
        warnings=tuple(warnings),
    )


_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SCHEMA_PREDICATES = frozenset(
    [_RDFS + n for n in ("subClassOf", "subPropertyOf", "domain", "range")]
    + [
        _OWL + n
        for n in (
            "equivalentClass", "equivalentProperty", "disjointWith", "inverseOf",
            "propertyChainAxiom", "propertyDisjointWith", "disjointUnionOf", "hasKey",
            "onProperty", "someValuesFrom", "allValuesFrom", "hasValue", "unionOf",
            "intersectionOf", "complementOf", "oneOf", "cardinality", "minCardinality",
            "maxCardinality", "qualifiedCardinality", "maxQualifiedCardinality",
        )
    ]
)  # fmt: skip
_SCHEMA_TYPES = frozenset(
    [_RDFS + "Class", _RDF + "Property"]
    + [
        _OWL + n
        for n in (
            "Class", "Restriction", "ObjectProperty", "DatatypeProperty", "AnnotationProperty",
            "FunctionalProperty", "InverseFunctionalProperty", "TransitiveProperty",
            "SymmetricProperty", "AsymmetricProperty", "ReflexiveProperty",
            "IrreflexiveProperty", "AllDisjointClasses", "Ontology",
        )
    ]
)  # fmt: skip


#: the predicates of every triple :func:`schema_statement` refuses whose subject is not in
#: the ontology's namespace (``rdf:type`` for a class or property as its object): a scan
#: may leave the others unchecked
SCHEMA_SUSPECTS = _SCHEMA_PREDICATES | {_RDF + "type"}


def schema_statement(s: str, p: str, o: str) -> tuple[str, str] | None:
    """Why the triple (as IRI strings; ``o`` may be a literal's text) defines vocabulary
    rather than stating facts about instances, and the IRI to point at; None if it does not.

    The rule for data files: classes and properties live only in ``ontology/``, so a data
    file may not type anything as a class or property, may not use a schema predicate
    (``rdfs:subClassOf``, ``rdfs:domain``, ``owl:equivalentClass``...), and may not say
    anything about a term of the ontology namespace (``kz:Person rdfs:label ...``)."""
    if p == _RDF + "type" and o in _SCHEMA_TYPES:
        return f"declares {_short(s)} a {_short(o)}", o
    if p in _SCHEMA_PREDICATES:
        return f"states {_short(s)} {_short(p)} {_short(o)}", p
    if s.startswith(ONTOLOGY):
        return f"states {_short(p)} of the ontology term {_short(s)}", s
    return None


def _short(iri: str) -> str:
    from kzgraph.namespaces import PREFIXES

    for prefix, ns in (*PREFIXES.items(), ("rdf", _RDF), ("rdfs", _RDFS), ("owl", _OWL)):
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"


_PREFIX_DECLARATION = re.compile(r"(?:@prefix|PREFIX)\s+([^\s:]*):\s*<([^>]*)>", re.IGNORECASE)


def locate_iri(text: str, iri: str, *, at_line_start: bool = False) -> tuple[int, int] | None:
    """Line and column of the first mention of ``iri`` in Turtle ``text``: as ``<iri>`` or
    as a prefixed name of one of the file's prefixes (first at a line's start if asked)."""
    forms = [re.escape(f"<{iri}>")]
    for prefix, ns in _PREFIX_DECLARATION.findall(text):
        if iri.startswith(ns):
            local = iri[len(ns) :]
            forms.append(r"(?<![\w\-.:%])" + re.escape(f"{prefix}:{local}") + r"(?![\w\-:%])")
    mention = "|".join(forms)
    for pattern in ([rf"(?m)^[ \t]*({mention})"] if at_line_start else []) + [f"({mention})"]:
        found = re.search(pattern, text)
        if found:
            return text_position(text, found.start(1))
    return None


def schema_error(path: str | Path, why: str, term: str, *, subject: str = "") -> ParseError:
    text = read_text(Path(path), allow_bom=True)
    where = locate_iri(text, term, at_line_start=term == subject)
    line, col = where if where is not None else (None, None)
    return ParseError(
        f"data files hold instances only, but this {why}: "
        "classes and properties belong in ontology/",
        path=display_path(path),
        line=line,
        col=col,
    )


_OXIGRAPH_POSITION = re.compile(
    r"^Parser error (?:at line (\d+) (?:between columns (\d+) and \d+|column (\d+))"
    r"|between line (\d+) column (\d+) and line \d+ column \d+): "
)
_OXIGRAPH_PREFIX = re.compile(r"The prefix ([^ ]*): has not been declared")


def oxigraph_syntax_error(path: str | Path, exc: SyntaxError) -> ParseError:
    """pyoxigraph's parse error as the same one-line ``path:line:col`` error as rdflib's.

    pyoxigraph raises Python's built-in ``SyntaxError`` with ``lineno``/``offset`` and a
    message such as ``Parser error at line 143 between columns 5 and 12: The prefix foo:
    has not been declared``.
    """
    message = str(getattr(exc, "msg", None) or exc)
    line, col = getattr(exc, "lineno", None), getattr(exc, "offset", None)
    position = _OXIGRAPH_POSITION.match(message)
    if position:
        line_s, col_s = (g for g in position.groups() if g is not None)
        line, col = int(line_s), int(col_s)
        message = message[position.end() :]
    message = re.sub(r" \(line \d+\)$", "", message)
    prefix = _OXIGRAPH_PREFIX.search(message)
    if prefix:
        message = f"undefined prefix '{prefix.group(1)}:' (add an @prefix line)"
    return ParseError(message, path=display_path(path), line=line, col=col)
