"""Parse Turtle files with rdflib, remembering which file defined each subject.

Errors a user can cause become typed errors with a ``path:line:col`` location:
a missing or unreadable file, a binary or non-UTF-8 file, a Turtle syntax error
(an undefined prefix names the prefix).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kzgraph.errors import InputError, ParseError
from kzgraph.project import display_path

if TYPE_CHECKING:
    from rdflib import Graph


@dataclass(frozen=True)
class LoadedGraph:
    """The union of some Turtle files and where each subject IRI was defined."""

    graph: Graph
    files: tuple[Path, ...]
    #: subject IRI -> the files (in load order) that have triples about it
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def source_of(self, iri: str) -> str | None:
        files = self.sources.get(iri)
        return files[0] if files else None


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, with an error that says what is wrong with it."""
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
    if b"\0" in raw:
        raise InputError("binary file, not Turtle text", path=display_path(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            path=display_path(path),
            line=line,
            col=col,
        ) from None


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


def parse_turtle(path: Path, graph: Graph | None = None) -> Graph:
    """Parse one Turtle file into ``graph`` (a new graph when None)."""
    from rdflib import Graph, Literal
    from rdflib.plugins.parsers.notation3 import BadSyntax

    text = read_text(path)
    part = Graph()
    try:
        with _quiet_rdflib():
            part.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as exc:
        raise _syntax_error(path, exc) from None
    except IndexError:  # rdflib's Turtle parser reads past the end of a truncated statement
        line = text.count("\n") + 1
        col = len(text) - (text.rfind("\n") + 1) + 1
        raise ParseError(
            "unexpected end of file (an unfinished statement)",
            path=display_path(path),
            line=line,
            col=col,
        ) from None
    except (ValueError, TypeError, SyntaxError) as exc:
        raise ParseError(f"invalid Turtle: {exc}", path=display_path(path)) from None
    for literal in part.objects():
        if isinstance(literal, Literal) and literal.ill_typed:
            raise ill_typed_error(path, text, str(literal), str(literal.datatype))
    if graph is None:
        return part
    for triple in part:
        graph.add(triple)
    return graph


@contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback for every ill-typed literal it parses; we report it instead."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
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


def load_graph(paths: Iterable[Path]) -> LoadedGraph:
    """Parse every file into one new graph; remember the files defining each subject."""
    from rdflib import Graph, URIRef

    from kzgraph.namespaces import PREFIXES

    combined = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        combined.bind(prefix, ns)
    sources: dict[str, list[str]] = {}
    files = tuple(paths)
    for path in files:
        part = parse_turtle(path)
        label = display_path(path)
        for subject in set(part.subjects()):
            if isinstance(subject, URIRef):
                owners = sources.setdefault(str(subject), [])
                if label not in owners:
                    owners.append(label)
        for triple in part:
            combined.add(triple)
    return LoadedGraph(
        graph=combined, files=files, sources={k: tuple(v) for k, v in sources.items()}
    )


_OXIGRAPH_POSITION = re.compile(r"^Parser error at line (\d+) between columns (\d+) and \d+: ")
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
        line, col = int(position.group(1)), int(position.group(2))
        message = message[position.end() :]
    prefix = _OXIGRAPH_PREFIX.search(message)
    if prefix:
        message = f"undefined prefix '{prefix.group(1)}:' (add an @prefix line)"
    return ParseError(message, path=display_path(path), line=line, col=col)
