"""The two SPARQL engines and the result they share: run a query, match triples, find labels.

:class:`OxigraphEngine` (default: loads the cached N-Triples into an in-memory
pyoxigraph store, ~10x faster to start than rdflib) and :class:`RdflibEngine` (the
reference, used to cross-check results) both return a :class:`QueryResult` of
engine-neutral terms (:mod:`kzgraph.terms`).  The rule this module keeps: it knows
nothing of saved queries, parameters or the cache, so everything above it (``query``,
``pool``, ``web``) imports it and it imports none of them.  :class:`StoreEngine` queries
an existing store (the cache's on-disk one); :class:`TextFunctions` are the full-text
functions, which read :mod:`kzgraph.search` only when a query calls them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kzgraph.errors import QueryEvaluationError, QuerySyntaxError, SearchError
from kzgraph.terms import (
    IRI,
    LABEL_PREDICATES,
    BNode,
    Literal,
    Term,
    from_oxigraph,
    from_rdflib,
    pick_label,
)

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Graph

    from kzgraph.search import SearchIndex


@dataclass(frozen=True)
class QueryResult:
    """Engine-neutral result: rows for SELECT, a boolean for ASK, triples otherwise."""

    kind: str  # "select", "ask" or "graph"
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Term | None, ...], ...] = ()
    boolean: bool | None = None
    triples: tuple[tuple[Term, Term, Term], ...] = ()
    seconds: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)


def query_syntax_error(exc: Exception, origin: str | None) -> QuerySyntaxError:
    """A one-line typed error, with line and column when the engine gave them."""
    message = " ".join(str(exc).split())
    line = col = None
    m = re.search(r"(\d+):(\d+)", message)
    if getattr(exc, "lineno", None) and getattr(exc, "col", None):  # pyparsing
        line, col = exc.lineno, exc.col  # type: ignore[attr-defined]
    elif m:
        line, col = int(m.group(1)), int(m.group(2))
    return QuerySyntaxError(f"SPARQL syntax error: {message}", path=origin, line=line, col=col)


class TextFunctions:
    """The SPARQL extension functions, engine-neutral (the engines below adapt the terms).

    - ``kzf:score(?resource, "search")``: the resource's best score (xsd:double), unbound
      when it does not match;
    - ``kzf:match(?literal, "search")``: true when the literal's text matches (the same
      decision as the index's, on any string, in the graph or computed);
    - ``kzf:snippet(?resource, "search")``: its best literal with the match marked «…».

    A search text that does not parse makes the call an error (unbound), as SPARQL does for
    any function error.  The index (:mod:`kzgraph.search`) is imported and opened on
    first use, so queries that do not call these functions never touch it."""

    def __init__(self, entry_dir: Path) -> None:
        import threading

        self.entry_dir = entry_dir
        self._index: SearchIndex | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> SearchIndex:
        from kzgraph.search import open_index

        with self._lock:
            if self._index is None:
                self._index = open_index(self.entry_dir)
            return self._index

    def score(self, iri: str, text: str) -> float | None:
        try:
            found = self.index.scores(text).get(iri)
        except SearchError:
            return None
        return None if found is None else found[0]

    def match(self, value: str, text: str) -> bool | None:
        from kzgraph.search_syntax import parse_query

        try:
            return parse_query(text).matches(value)
        except SearchError:
            return None

    def snippet(self, iri: str, text: str) -> str | None:
        try:
            return self.index.snippet(iri, text)
        except SearchError:
            return None


class Engine:
    """What every engine offers: run SPARQL, match triples, find labels."""

    name = "?"
    #: the full-text SPARQL functions (kzf:score, kzf:match, kzf:snippet; see
    #: :class:`TextFunctions`), set by :func:`kzgraph.query.open_engine`
    text_functions: TextFunctions | None = None
    #: the folder of the cache entry (or rebased copy) whose graph this is, where objects built
    #: from it are kept (:mod:`kzgraph.kept`; set by :func:`open_engine` and ``serve``), else None
    kept_dir: Path | None = None

    def run(self, text: str, origin: str | None = None) -> QueryResult:
        raise NotImplementedError

    def triples(
        self, s: Term | None = None, p: Term | None = None, o: Term | None = None
    ) -> Iterator[tuple[Term, Term, Term]]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """Display labels (see :func:`kzgraph.terms.pick_label`) for ``iris``."""
        out = {}
        for iri in set(iris):
            found = [
                (pred, obj)
                for pred in LABEL_PREDICATES
                for _s, _p, obj in self.triples(IRI(iri), IRI(pred), None)
                if isinstance(obj, Literal)
            ]
            out[iri] = pick_label(iri, found)
        return out


class OxigraphEngine(Engine):
    """An in-memory pyoxigraph store loaded from N-Triples files, read as one document: a
    blank node label names one node in all of them (a cache's inferred triples about a
    statement's axiom annotation, ``_:b rdf:type owl:Thing``, are about the asserted ``_:b``)."""

    name = "oxigraph"
    _custom: tuple[TextFunctions | None, dict[Any, Callable[..., Any]]] | None = None

    def __init__(self, files: Iterable[Path] = (), *, turtle: Iterable[Path] = ()) -> None:
        import pyoxigraph as ox

        self._ox = ox
        self.store = ox.Store()
        paths = list(files)
        if len(paths) == 1:
            self.store.load(path=str(paths[0]), format=ox.RdfFormat.N_TRIPLES)
        elif paths:
            with io.BufferedReader(_Concatenated(paths)) as stream:
                self.store.load(input=stream, format=ox.RdfFormat.N_TRIPLES)
        for path in turtle:
            self.store.load(path=str(path), format=ox.RdfFormat.TURTLE)

    def __len__(self) -> int:
        return len(self.store)

    def run(self, text: str, origin: str | None = None) -> QueryResult:
        import time

        import pyoxigraph as ox  # not self._ox: isinstance on a module attribute does not narrow

        started = time.perf_counter()
        try:
            result = self.store.query(text, custom_functions=self.custom_functions())
        except SyntaxError as exc:
            raise query_syntax_error(exc, origin) from None
        except RuntimeError as exc:  # e.g. a function the engine does not know
            message = " ".join(str(exc).split())
            raise QueryEvaluationError(f"query evaluation failed: {message}", path=origin) from None
        if isinstance(result, ox.QueryBoolean):
            return QueryResult("ask", boolean=bool(result), seconds=time.perf_counter() - started)
        if isinstance(result, ox.QuerySolutions):
            variables = tuple(v.value for v in result.variables)
            rows = tuple(
                tuple(from_oxigraph(solution[v]) for v in variables) for solution in result
            )
            return QueryResult("select", variables, rows, seconds=time.perf_counter() - started)
        triples = tuple(
            (from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object))
            for t in result
        )
        return QueryResult("graph", triples=triples, seconds=time.perf_counter() - started)

    def custom_functions(self) -> dict[Any, Callable[..., Any]]:
        """The kzf: functions in pyoxigraph's form (``Store.query(custom_functions=...)``);
        without :attr:`text_functions` they are known (queries parse) and unbound."""
        if self._custom is None or self._custom[0] is not self.text_functions:
            self._custom = (self.text_functions, _oxigraph_functions(self.text_functions))
        return self._custom[1]

    def triples(
        self, s: Term | None = None, p: Term | None = None, o: Term | None = None
    ) -> Iterator[tuple[Term, Term, Term]]:
        from kzgraph.terms import to_oxigraph_pattern

        for quad in self.store.quads_for_pattern(*to_oxigraph_pattern(s, p, o), None):
            yield (
                from_oxigraph(quad.subject),
                from_oxigraph(quad.predicate),
                from_oxigraph(quad.object),
            )


class StoreEngine(OxigraphEngine):
    """An :class:`OxigraphEngine` over an existing store (in memory or
    opened on disk), so the materialized closure is queried without reloading."""

    name = "oxigraph"

    def __init__(self, store: ox.Store, location: Path | None = None) -> None:  # noqa: D107
        import pyoxigraph

        self._ox = pyoxigraph
        self.store = store
        #: the folder of an on-disk store opened read-only, where another process can open it
        self.location = location

    def __len__(self) -> int:
        import pyoxigraph as ox

        result = self.store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert isinstance(result, ox.QuerySolutions)  # a SELECT
        return int(next(iter(result))["n"].value)

    def triples(
        self, s: Term | None = None, p: Term | None = None, o: Term | None = None
    ) -> Iterator[tuple[Term, Term, Term]]:
        """Triples of the closure (the default graph)."""
        import pyoxigraph as ox

        from kzgraph.terms import from_oxigraph, to_oxigraph_pattern

        pattern = to_oxigraph_pattern(s, p, o)
        for quad in self.store.quads_for_pattern(*pattern, ox.DefaultGraph()):
            yield (
                from_oxigraph(quad.subject),
                from_oxigraph(quad.predicate),
                from_oxigraph(quad.object),
            )


class LinesEngine(Engine):
    """The triples of one N-Triples file (a cache entry's ``asserted.nt``), read where they are
    asked for: a pattern with a subject or an object node reads only the lines that mention
    that node, found in the file mapped into memory and kept per node; a pattern without
    one, a query or a count loads the whole file into an :class:`OxigraphEngine` once.

    ``kzgraph describe`` asks the data as written about a few dozen nodes: at 1M asserted
    triples loading the file took 3.3 s of the command's 6.9 s, finding one node's lines
    takes ~35 ms.  The lines found are put into a small store and matched term by term, so
    a node's text inside a literal, or ``_:b1`` inside ``_:b10``, is never a triple of it."""

    name = "oxigraph"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._about: dict[Term, tuple[tuple[Term, Term, Term], ...]] = {}
        self._whole: OxigraphEngine | None = None

    def _loaded(self) -> OxigraphEngine:
        if self._whole is None:
            import pyoxigraph as ox

            whole = OxigraphEngine()  # from the parser too: the blank nodes keep their labels
            whole.store.bulk_extend(ox.parse(path=str(self.path), format=ox.RdfFormat.N_TRIPLES))
            whole.text_functions = self.text_functions
            self._whole = whole
        return self._whole

    def run(self, text: str, origin: str | None = None) -> QueryResult:
        return self._loaded().run(text, origin)

    def __len__(self) -> int:
        return len(self._loaded())

    def triples(
        self, s: Term | None = None, p: Term | None = None, o: Term | None = None
    ) -> Iterator[tuple[Term, Term, Term]]:
        node = s if isinstance(s, IRI | BNode) else o if isinstance(o, IRI | BNode) else None
        if node is None or self._whole is not None:
            yield from self._loaded().triples(s, p, o)
            return
        for triple in self._lines_of(node):
            if all(
                want is None or want == got for want, got in zip((s, p, o), triple, strict=True)
            ):
                yield triple

    def _lines_of(self, node: IRI | BNode) -> tuple[tuple[Term, Term, Term], ...]:
        found = self._about.get(node)
        if found is not None:
            return found
        import mmap

        import pyoxigraph as ox

        token = node.n3().encode()
        lines: list[bytes] = []
        with open(self.path, "rb") as handle:
            if handle.seek(0, io.SEEK_END) == 0:  # mmap refuses an empty file
                return ()
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as text:
                at = text.find(token)
                while at != -1:  # each line once: the search goes on after its end
                    start = text.rfind(b"\n", 0, at) + 1
                    end = text.find(b"\n", at)
                    end = len(text) if end == -1 else end
                    lines.append(text[start:end])
                    at = text.find(token, end)
        # into a store, which keeps a literal in its own form (``"49.0"^^xsd:decimal`` as
        # ``"49"``), as the closure's store does; from the parser, which keeps the file's
        # blank node labels (a store's load gives each load new ones)
        store = ox.Store()
        store.extend(ox.parse(input=b"\n".join(lines), format=ox.RdfFormat.N_TRIPLES))
        found = tuple(
            (from_oxigraph(q.subject), from_oxigraph(q.predicate), from_oxigraph(q.object))
            for q in store
        )
        if len(self._about) < 4096:  # a page's worth of nodes, not the whole file again
            self._about[node] = found
        return found


class _Concatenated(io.RawIOBase):
    """N-Triples files read one after the other as one stream (a newline between them)."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self._paths = iter(paths)
        self._handle: io.BufferedReader | None = None
        self._ended = True  # the previous file ended with a newline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._handle is None:
                path = next(self._paths, None)
                if path is None:
                    return 0
                self._handle = open(path, "rb")  # closed at its end, or by close()
                if not self._ended:
                    buffer[:1] = b"\n"
                    self._ended = True
                    return 1
            n = self._handle.readinto(buffer)
            if n:
                self._ended = bytes(buffer[n - 1 : n]) == b"\n"
                return n
            self._handle.close()
            self._handle = None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        super().close()


class RdflibEngine(Engine):
    """The reference engine: an rdflib Graph."""

    name = "rdflib"

    def __init__(
        self,
        files: Iterable[Path] = (),
        *,
        turtle: Iterable[Path] = (),
        graph: Graph | None = None,
    ) -> None:
        from rdflib import Graph

        self.graph = graph if graph is not None else Graph()
        paths = list(files)
        if paths:  # one document, as OxigraphEngine reads them
            with io.BufferedReader(_Concatenated(paths)) as stream:
                self.graph.parse(data=stream.read().decode("utf-8"), format="nt")
        for path in turtle:
            self.graph.parse(str(path), format="turtle")

    def __len__(self) -> int:
        return len(self.graph)

    def run(self, text: str, origin: str | None = None) -> QueryResult:
        import time

        from pyparsing import ParseException
        from rdflib.query import ResultRow

        started = time.perf_counter()
        try:
            if self.text_functions is not None:
                _rdflib_functions()[self.graph] = self.text_functions
            result = self.graph.query(text)
        except ParseException as exc:
            raise query_syntax_error(exc, origin) from None
        except Exception as exc:  # rdflib raises plain Exceptions for unknown prefixes
            if "Unknown namespace prefix" in str(exc) or "prefix" in str(exc).lower():
                raise query_syntax_error(exc, origin) from None
            raise
        if result.type == "ASK":
            return QueryResult(
                "ask", boolean=bool(result.askAnswer), seconds=time.perf_counter() - started
            )
        if result.type == "SELECT":
            variables = tuple(str(v) for v in result.vars or ())
            rows = tuple(
                tuple(from_rdflib(row[i]) for i in range(len(variables)))
                for row in result
                if isinstance(row, ResultRow)  # every row of a SELECT (rdflib types any form's)
            )
            return QueryResult("select", variables, rows, seconds=time.perf_counter() - started)
        assert result.graph is not None  # CONSTRUCT and DESCRIBE results carry a graph
        triples = tuple(
            (from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in result.graph
        )
        return QueryResult("graph", triples=triples, seconds=time.perf_counter() - started)

    def triples(
        self, s: Term | None = None, p: Term | None = None, o: Term | None = None
    ) -> Iterator[tuple[Term, Term, Term]]:
        from kzgraph.terms import to_rdflib

        conv = (
            None if s is None else to_rdflib(s),
            None if p is None else to_rdflib(p),
            None if o is None else to_rdflib(o),
        )
        for a, b, c in self.graph.triples(conv):
            yield from_rdflib(a), from_rdflib(b), from_rdflib(c)


def _oxigraph_functions(functions: TextFunctions | None) -> dict[Any, Callable[..., Any]]:
    """pyoxigraph callables for the kzf: functions: terms in, a term or None (unbound) out."""
    import pyoxigraph as ox

    from kzgraph.namespaces import MATCH, SCORE, SNIPPET

    def text_of(search: object, more: tuple[object, ...]) -> str | None:
        return search.value if isinstance(search, ox.Literal) and not more else None

    def score(entity: object, search: object = None, *more: object) -> ox.Literal | None:
        text = text_of(search, more)
        if text is None or functions is None or not isinstance(entity, ox.NamedNode):
            return None
        found = functions.score(entity.value, text)
        return None if found is None else ox.Literal(found)

    def match(value: object, search: object = None, *more: object) -> ox.Literal | None:
        text = text_of(search, more)
        if text is None or functions is None or not isinstance(value, ox.Literal):
            return None
        found = functions.match(value.value, text)
        return None if found is None else ox.Literal(found)

    def snippet(entity: object, search: object = None, *more: object) -> ox.Literal | None:
        text = text_of(search, more)
        if text is None or functions is None or not isinstance(entity, ox.NamedNode):
            return None
        found = functions.snippet(entity.value, text)
        return None if found is None else ox.Literal(found)

    return {ox.NamedNode(SCORE): score, ox.NamedNode(MATCH): match, ox.NamedNode(SNIPPET): snippet}


_RDFLIB_GRAPHS: Any = None  # rdflib Graph -> its TextFunctions (a WeakKeyDictionary)


def _rdflib_functions() -> Any:
    """Register the kzf: functions with rdflib once; they find the queried graph's
    TextFunctions here (rdflib's registry is global, so they are looked up per graph)."""
    global _RDFLIB_GRAPHS
    if _RDFLIB_GRAPHS is not None:
        return _RDFLIB_GRAPHS
    import weakref

    from rdflib import Literal as RLiteral
    from rdflib import URIRef
    from rdflib.plugins.sparql.evalutils import _eval
    from rdflib.plugins.sparql.operators import register_custom_function
    from rdflib.plugins.sparql.sparql import SPARQLError

    from kzgraph.namespaces import MATCH, SCORE, SNIPPET

    graphs: weakref.WeakKeyDictionary[Any, TextFunctions] = weakref.WeakKeyDictionary()

    def define(iri: str, call: Callable[[TextFunctions, Any, str], Any]) -> None:
        def function(expr: Any, ctx: Any) -> Any:
            functions = graphs.get(ctx.ctx.graph)
            values = [_eval(a, ctx) for a in (expr.expr or [])]
            if functions is None or len(values) != 2 or not isinstance(values[1], RLiteral):
                raise SPARQLError(f"<{iri}> takes a term and a search text")
            found = call(functions, values[0], str(values[1]))
            if found is None:
                raise SPARQLError(f"<{iri}>: no value")
            return RLiteral(found)

        register_custom_function(URIRef(iri), function, override=True, raw=True)

    define(SCORE, lambda f, e, t: f.score(str(e), t) if isinstance(e, URIRef) else None)
    define(MATCH, lambda f, v, t: f.match(str(v), t) if isinstance(v, RLiteral) else None)
    define(SNIPPET, lambda f, e, t: f.snippet(str(e), t) if isinstance(e, URIRef) else None)
    _RDFLIB_GRAPHS = graphs
    return graphs


ENGINES: dict[str, type[OxigraphEngine | RdflibEngine]] = {
    "oxigraph": OxigraphEngine,
    "rdflib": RdflibEngine,
}


def sort_key(term: Term | None) -> tuple[int, str, str, str]:
    """A total order on terms (unbound first), for comparing result sets."""
    if term is None:
        return (0, "", "", "")
    if isinstance(term, BNode):
        return (1, term.value, "", "")
    if isinstance(term, IRI):
        return (2, term.value, "", "")
    return (3, term.value, term.datatype, term.language or "")
