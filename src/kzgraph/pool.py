"""Killable query workers: SPARQL with a time limit, a result limit and a memory cap.

pyoxigraph evaluates a query in Rust without returning to Python, so a runaway query
(a cartesian product, a huge property path) cannot be interrupted from a thread.  Each
worker here is a separate process holding its own in-memory pyoxigraph store loaded
from the cache entry's N-Triples files; :class:`QueryPool` hands a query to an idle
worker and waits for the answer with a deadline.  Past the deadline the worker is
killed (SIGKILL) and a fresh one is started in the background, while the other
workers keep answering.  Workers run with an address-space limit, so a query that
builds an enormous string or result dies alone instead of taking the machine down.

Workers serialize their answer (SPARQL JSON/XML/CSV/TSV or RDF) themselves, so the
web process only moves bytes; for ``html`` they return the :class:`QueryResult`.  A cut
answer says so in its own syntax where it has one (the ``link`` of SPARQL JSON/XML
results, a comment in Turtle, N-Triples and RDF/XML).  A query may name an RDF
:class:`Dataset` (the protocol's ``default-graph-uri``/``named-graph-uri``): it then runs
on named-graph copies of the served files, loaded by the worker on first use.

Crossing to a worker costs more than a small query itself (the hop, pickling, a second
process to wake).  The data is read-only, so what a query costs is a property of its text
and the format of its answer: a query that a worker answered within :data:`QUICK_SECONDS`
of CPU time (far inside the memory cap, since it had no time to fill it; CPU time, so that
a busy machine does not make a cheap query look costly) is remembered, and the next time
the same text comes for the same format it runs in the web process, on the event loop, on
the pool's ``local`` engine.  Not on a thread: the answer is built in Python, and a thread
holding the GIL made the event loop wait for it (0.2x the throughput of running it on the
loop at 8 connections).  A text never seen, or one that names a :class:`Dataset`, still
goes to a worker, so a runaway query is always in a process that can be killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kzgraph.engine import QueryResult
from kzgraph.errors import (
    KzgraphError,
    QueryEvaluationError,
    QueryFailedError,
    QuerySyntaxError,
    QueryTimeoutError,
)
from kzgraph.sparql_text import tokens
from kzgraph.terms import IRI, XSD_STRING, BNode

#: address-space cap of a worker process (bytes); generous for this graph, small for the machine
DEFAULT_MEMORY_LIMIT = 2 * 1024**3
_START_TIMEOUT = 120.0
#: a query a worker answered within this many CPU seconds runs in the web process next time
QUICK_SECONDS = 0.025
#: characters of query text remembered as quick (the oldest are forgotten first)
QUICK_CHARS = 8 * 1024**2


@dataclass(frozen=True)
class Answer:
    """What a worker sends back for one query."""

    kind: str  # "select", "ask" or "graph"
    format: str  # the format actually produced (see kzgraph.formats)
    body: bytes  # the serialized answer (empty for "html")
    result: QueryResult | None  # the rows/triples, for "html" only
    count: int  # rows or triples returned
    truncated: bool  # the result had more than the limit; ``count`` were kept
    seconds: float
    cpu: float = 0.0  # CPU seconds of the thread that ran it (what it cost, whatever the load)


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a query runs on, when it names one (SPARQL Protocol 2.1.4)."""

    default: tuple[str, ...]  # graph IRIs merged into the default graph
    named: tuple[str, ...]  # graph IRIs that GRAPH can reach
    files: tuple[tuple[str, tuple[str, ...]], ...]  # each graph IRI: the N-Triples it holds


def forbidden_feature(text: str) -> str | None:
    """A reason to refuse ``text`` before running it, or None.

    SERVICE would make the server send HTTP requests wherever a client asks (pyoxigraph
    has a built-in HTTP client), so federated queries are refused: the keyword, not a
    prefixed name spelled like it (``PREFIX service:``, ``ex:service``) or a variable.
    """
    for tok in tokens(text):
        if tok.kind == "word" and tok.text.upper() == "SERVICE":
            return "SERVICE (federated query) is disabled on this endpoint"
    return None


# --------------------------------------------------------------------------- worker side


class _Graphs:
    """Named-graph copies of the served files, for queries that name a :class:`Dataset`.

    A second store, filled graph by graph on first use: queries that name no dataset run
    on the engine's default graph as before.  ``ox.parse`` keeps the files' blank-node
    labels (``Store.load`` would draw new ones), so the copies share their blank nodes.
    """

    def __init__(self) -> None:
        self.store: Any = None
        self.loaded: set[str] = set()

    def query_options(self, dataset: Dataset) -> tuple[Any, dict[str, Any]]:
        """The store to query and its ``default_graph``/``named_graphs`` arguments."""
        import pyoxigraph as ox

        if self.store is None:
            self.store = ox.Store()
        files = dict(dataset.files)
        for iri in sorted({*dataset.default, *dataset.named} - self.loaded):
            graph = ox.NamedNode(iri)
            for path in files[iri]:
                quads = ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES)
                self.store.extend(ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads)
            self.loaded.add(iri)
        return self.store, {
            "default_graph": [ox.NamedNode(g) for g in dataset.default],
            "named_graphs": [ox.NamedNode(g) for g in dataset.named],
        }


def _cut_note(body: bytes, fmt: str, limit: int, link: str) -> bytes:
    """``body`` (an RDF graph cut at ``limit`` triples) with a comment saying so, where
    the syntax has comments (Turtle, N-Triples, RDF/XML; not JSON-LD)."""
    link = re.sub(r"[^\x21-\x7e]", "", link).replace("--", "%2D%2D")  # safe in any comment
    note = f"truncated: only the first {limit} triples (the server's result limit); see {link}"
    if fmt in ("turtle", "nt"):
        return f"# {note}\n".encode() + body
    if fmt == "xmlrdf":
        head, newline, rest = body.partition(b"\n")
        if head.startswith(b"<?xml") and newline:
            return head + f"\n<!-- {note} -->\n".encode() + rest
        return f"<!-- {note} -->\n".encode() + body
    return body


def _json_term(term: Any) -> str:
    """One RDF term (kzgraph.terms) as SPARQL JSON, indented as a binding's value."""
    if isinstance(term, IRI):
        return _JSON_URI + encode_basestring(term.value) + _JSON_END
    if isinstance(term, BNode):
        return _JSON_BNODE + encode_basestring(term.value) + _JSON_END
    return _json_literal(term.value, term.language, term.datatype)


def _json_literal(value: str, language: str | None, datatype: str) -> str:
    text = _JSON_LITERAL + encode_basestring(value)
    if language is not None:
        text += ',\n          "xml:lang": ' + encode_basestring(language)
    elif datatype != XSD_STRING:
        text += ',\n          "datatype": ' + encode_basestring(datatype)
    return text + _JSON_END


_JSON_URI = '{\n          "type": "uri",\n          "value": '
_JSON_BNODE = '{\n          "type": "bnode",\n          "value": '
_JSON_LITERAL = '{\n          "type": "literal",\n          "value": '
_JSON_END = "\n        }"


def _json_ox(term: Any) -> str:
    """One pyoxigraph term as SPARQL JSON, as :func:`_json_term` writes its kzgraph twin."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return _JSON_URI + encode_basestring(term.value) + _JSON_END
    if isinstance(term, ox.Literal):
        return _json_literal(term.value, term.language, term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return _JSON_BNODE + encode_basestring(term.value) + _JSON_END
    raise TypeError(f"unsupported term {term!r}")  # as kzgraph.terms.from_oxigraph


def _json_list(items: Sequence[str]) -> str:
    if not items:
        return "[]"
    return "[\n      " + ",\n      ".join(encode_basestring(i) for i in items) + "\n    ]"


def _json_row(items: list[str]) -> str:
    return "{\n        " + ",\n        ".join(items) + "\n      }" if items else "{}"


def _json_document(variables: Sequence[str], rows: Sequence[str], links: Sequence[str]) -> str:
    head = '{\n  "head": {\n    "vars": ' + _json_list(variables)
    if links:
        head += ',\n    "link": ' + _json_list(links)
    bindings = "[\n      " + ",\n      ".join(rows) + "\n    ]" if rows else "[]"
    return head + '\n  },\n  "results": {\n    "bindings": ' + bindings + "\n  }\n}\n"


def results_json(result: QueryResult, links: Sequence[str] = ()) -> str:
    """SPARQL 1.1 JSON results, the very text of :func:`kzgraph.render.to_json` (two-space
    indent) written without the pure-Python indenting encoder, which took half of a saved
    query's time in the worker."""
    keys = [encode_basestring(v) + ": " for v in result.variables]
    rows = [
        _json_row([k + _json_term(t) for k, t in zip(keys, row, strict=True) if t is not None])
        for row in result.rows
    ]
    return _json_document(result.variables, rows, links)


def _solutions_json(raw: Any, limit: int, link: str) -> tuple[bytes, int, bool]:
    """SELECT solutions straight from pyoxigraph to the text of :func:`results_json`
    (no kzgraph terms in between): the body, the rows kept, whether it was cut."""
    variables = [v.value for v in raw.variables]
    keys = [encode_basestring(v) + ": " for v in variables]
    written: dict[Any, str] = {}  # a term that comes again is written once
    rows = []
    for solution in itertools.islice(raw, limit + 1):
        items = []
        for key, term in zip(keys, solution, strict=True):
            if term is None:
                continue
            text = written.get(term)
            if text is None:
                text = written[term] = _json_ox(term)
            items.append(key + text)
        rows.append(_json_row(items))
    truncated = len(rows) > limit
    rows = rows[:limit]
    links = (link,) if truncated and link else ()
    return _json_document(variables, rows, links).encode("utf-8"), len(rows), truncated


def _execute(
    engine: Any,
    text: str,
    fmt: str,
    limit: int,
    prefixes: dict[str, str],
    *,
    link: str = "",
    dataset: Dataset | None = None,
    graphs: _Graphs | None = None,
) -> Answer:
    """Run ``text`` (on ``dataset`` through ``graphs`` when given); a cut answer points at
    ``link`` for the explanation."""
    import pyoxigraph as ox

    from kzgraph.engine import query_syntax_error
    from kzgraph.formats import GRAPH_FORMATS, RDF_NAMES, RESULT_FORMATS, results_xml
    from kzgraph.render import render_rdf, to_csv, to_tsv
    from kzgraph.terms import from_oxigraph

    started, cpu = time.perf_counter(), time.thread_time()
    store, options = engine.store, dict[str, Any]()
    if dataset is not None:
        store, options = (graphs or _Graphs()).query_options(dataset)
    try:
        raw = store.query(
            text, prefixes=prefixes, custom_functions=engine.custom_functions(), **options
        )
    except SyntaxError as exc:
        raise query_syntax_error(exc, None) from None
    truncated = False
    if fmt == "json" and isinstance(raw, ox.QuerySolutions):  # the common case, made short
        body, count, truncated = _solutions_json(raw, limit, link)
        seconds = time.perf_counter() - started
        return Answer(
            "select", fmt, body, None, count, truncated, seconds, time.thread_time() - cpu
        )
    if isinstance(raw, ox.QueryBoolean):
        result = QueryResult("ask", boolean=bool(raw))
        count = 1
    elif isinstance(raw, ox.QuerySolutions):
        variables = tuple(v.value for v in raw.variables)
        rows = [
            tuple(from_oxigraph(solution[v]) for v in variables)
            for solution in itertools.islice(raw, limit + 1)
        ]
        truncated = len(rows) > limit
        rows = rows[:limit]
        result = QueryResult("select", variables, tuple(rows))
        count = len(rows)
    else:
        triples = [
            (from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object))
            for t in itertools.islice(raw, limit + 1)
        ]
        truncated = len(triples) > limit
        result = QueryResult("graph", triples=tuple(triples[:limit]))
        count = min(len(triples), limit)
    kind = result.kind
    # the web process guessed the form from the text; trust the engine's answer
    if kind == "graph" and fmt not in GRAPH_FORMATS:
        fmt = "turtle"
    elif kind != "graph" and fmt not in RESULT_FORMATS:
        fmt = "json"
    body = b""
    if fmt == "html":
        pass
    elif kind == "graph":
        body = render_rdf({None: result.triples}, RDF_NAMES[fmt], prefixes)
        if truncated and link:
            body = _cut_note(body, fmt, limit, link)
    elif kind == "ask":
        answer = bool(result.boolean)
        if fmt == "json":
            body = (f'{{"head": {{}}, "boolean": {"true" if answer else "false"}}}\n').encode()
        elif fmt == "xml":
            body = results_xml((), (), boolean=answer).encode()
        else:
            body = ("true" if answer else "false").encode() + b"\r\n"
    else:
        links = (link,) if truncated and link else ()  # the results' own "this was cut"
        if fmt == "json":
            text_out = results_json(result, links)
        elif fmt == "xml":
            text_out = results_xml(result.variables, result.rows, links=links)
        else:
            text_out = to_csv(result) if fmt == "csv" else to_tsv(result)
        body = text_out.encode("utf-8")
    return Answer(
        kind=kind,
        format=fmt,
        body=body,
        result=result if fmt == "html" else None,
        count=count,
        truncated=truncated,
        seconds=time.perf_counter() - started,
        cpu=time.thread_time() - cpu,
    )


def _worker_main(
    conn: Connection, files: Sequence[str], memory_limit: int | None, search_dir: str = ""
) -> None:
    """Loop of one worker process: receive (text, format, limit), send an Answer or an error.

    ``search_dir``: the cache entry whose search index answers the kzf: functions."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    if memory_limit:
        import resource

        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    from kzgraph.engine import OxigraphEngine, TextFunctions

    try:
        engine = OxigraphEngine([Path(f) for f in files])
        if search_dir:
            engine.text_functions = TextFunctions(Path(search_dir))
    except Exception as exc:  # reported to the parent, which fails to start
        conn.send(("error", "QueryFailedError", f"cannot load the graph: {exc}"))
        return
    conn.send(("ready", len(engine)))
    prefixes = _default_prefixes(search_dir)
    graphs = _Graphs()
    while True:
        try:
            text, fmt, limit, link, dataset = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = _execute(
                engine, text, fmt, limit, prefixes, link=link, dataset=dataset, graphs=graphs
            )
            reply: tuple[Any, ...] = ("ok", answer)
        except KzgraphError as exc:
            reply = ("error", type(exc).__name__, exc.message)
        except MemoryError:
            reply = ("error", "QueryFailedError", "the query needed more memory than allowed")
        except Exception as exc:  # an evaluation error of the engine: the query's fault
            reply = ("error", "EvaluationError", " ".join(f"{exc}".split()) or type(exc).__name__)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


# --------------------------------------------------------------------------- parent side


class _Worker:
    def __init__(self, process: subprocess.Popen[bytes], conn: Connection, triples: int) -> None:
        self.process = process
        self.conn = conn
        self.triples = triples

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.conn.close()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)


def _default_prefixes(search_dir: str) -> dict[str, str]:
    """The prefixes a query may use undeclared: the project's, the resource ones moved to
    where the served entry's resources live (``kzgraph serve --base``), and kzf:."""
    from kzgraph.export import export_prefixes
    from kzgraph.namespaces import FUNCTIONS, RESOURCE_BASE
    from kzgraph.search import resource_base_of

    base = resource_base_of(Path(search_dir)) if search_dir else RESOURCE_BASE
    return {**export_prefixes(None if base == RESOURCE_BASE else base), "kzf": FUNCTIONS}


def _spawn_worker(files: Sequence[str], memory_limit: int | None, search_dir: str = "") -> _Worker:
    """Start ``python -m kzgraph.pool`` on one end of a socket pair and wait until it is ready.

    A plain subprocess rather than ``multiprocessing``: spawn/forkserver would re-import
    the parent's ``__main__`` (a test runner, the console script), and fork is unsafe in a
    process that runs an event loop and threads.
    """
    parent, child = socket.socketpair()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "kzgraph.pool", str(child.fileno()), str(memory_limit or 0)]
            + [search_dir or "-"]
            + list(files),
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            # a worker killed by the memory cap would print a multi-line Rust panic; the
            # parent reports the failure in one line instead (load errors come by message)
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "RUST_BACKTRACE": "0"},
            close_fds=True,
        )
    finally:
        child.close()
    conn = Connection(parent.detach())
    worker = _Worker(process, conn, 0)
    if not conn.poll(_START_TIMEOUT):
        worker.kill()
        raise QueryFailedError("a query worker did not start in time")
    try:
        message = conn.recv()
    except (EOFError, OSError):
        worker.kill()
        raise QueryFailedError("a query worker died while loading the graph") from None
    if message[0] != "ready":
        worker.kill()
        raise QueryFailedError(message[2])
    worker.triples = int(message[1])
    return worker


_QuickKey = tuple[str, "Dataset | None", str]  # text, dataset, format: what an answer costs


class QueryPool:
    """A fixed number of worker processes answering SPARQL with a deadline.

    Use ``await pool.start()`` before the first query and ``await pool.close()`` at
    the end (both from the event loop that runs the queries).
    """

    def __init__(
        self,
        files: Sequence[Path],
        *,
        size: int = 2,
        timeout: float = 10.0,
        max_results: int = 10_000,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        search_dir: Path | None = None,
        local: Any = None,
    ) -> None:
        """``local``: an engine in this process on the very same files (and search index),
        for the queries known to be quick; None sends every query to a worker."""
        self.files = [str(f) for f in files]
        self.search_dir = str(search_dir) if search_dir is not None else ""
        self.size = max(1, size)
        self.timeout = timeout
        self.max_results = max_results
        self.memory_limit = memory_limit
        self.killed = 0  # workers stopped for running past the limit (for tests and logs)
        self.local = local
        self.local_runs = 0  # queries answered in this process (for tests and logs)
        # known-quick texts -> whether they parse without the default prefixes (None: untried)
        self._quick: OrderedDict[_QuickKey, bool | None] = OrderedDict()
        self._quick_chars = 0
        self._prefixes: dict[str, str] = {}
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self._closed = False
        self._respawns: set[asyncio.Task[None]] = set()

    # -- life cycle

    def _spawn(self) -> _Worker:
        return _spawn_worker(self.files, self.memory_limit, self.search_dir)

    async def start(self) -> None:
        self._prefixes = _default_prefixes(self.search_dir)
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(asyncio.to_thread(self._spawn) for _ in range(self.size)))
        for worker in workers:
            self._all.add(worker)
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._respawns):
            task.cancel()
        for worker in list(self._all):
            worker.kill()
        self._all.clear()

    @property
    def pids(self) -> list[int]:
        return sorted(w.process.pid for w in self._all)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start a replacement in the background."""
        worker.kill()
        self._all.discard(worker)
        self._respawn()

    def _respawn(self) -> None:
        if self._closed:
            return

        async def respawn() -> None:
            try:
                fresh = await asyncio.to_thread(self._spawn)
            except KzgraphError:
                await asyncio.sleep(1.0)  # try again later rather than shrinking the pool
                self._respawn()
                return
            if self._closed:
                fresh.kill()
                return
            self._all.add(fresh)
            assert self._idle is not None
            self._idle.put_nowait(fresh)

        task = asyncio.get_running_loop().create_task(respawn())
        self._respawns.add(task)
        task.add_done_callback(self._respawns.discard)

    # -- queries

    async def _wait_readable(self, conn: Connection, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        fd = conn.fileno()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await asyncio.wait_for(ready, timeout)
        finally:
            loop.remove_reader(fd)

    async def run(
        self, text: str, fmt: str, *, link: str = "", dataset: Dataset | None = None
    ) -> Answer:
        """Run ``text`` and return the answer serialized as ``fmt``.

        ``link``: where a cut answer points for the explanation; ``dataset``: the RDF
        dataset the query names (None: the served graph as the default graph).

        Raises QuerySyntaxError (bad query), QueryTimeoutError (past the limit, or no
        worker free in time) or QueryFailedError (the worker died, e.g. out of memory).
        """
        if self._idle is None:
            raise QueryFailedError("the query pool is not started")
        key = (text, dataset, fmt)
        if key in self._quick:
            return self._run_here(key, fmt, link)
        reason = forbidden_feature(text)
        if reason:
            raise QueryEvaluationError(reason)
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.timeout)
        except asyncio.TimeoutError:
            raise QueryTimeoutError(
                f"the server is busy: no query worker became free within {self.timeout:g} s"
            ) from None
        # the time limit counts from here: a queued query still gets its full budget
        deadline = time.monotonic() + self.timeout
        try:
            worker.conn.send((text, fmt, self.max_results, link, dataset))
            await self._wait_readable(worker.conn, max(0.0, deadline - time.monotonic()))
            reply = worker.conn.recv()
        except asyncio.TimeoutError:
            self.killed += 1
            self._replace(worker)
            raise QueryTimeoutError(
                f"the query ran longer than the limit of {self.timeout:g} s and was stopped"
            ) from None
        except (EOFError, OSError, ValueError):
            self._replace(worker)
            raise QueryFailedError(
                "the query stopped its worker (most likely it needed more memory than allowed)"
            ) from None
        except BaseException:  # cancelled mid-query: the worker's answer would be stale
            self._replace(worker)
            raise
        self._idle.put_nowait(worker)
        if reply[0] == "ok":
            answer: Answer = reply[1]
            self._remember(key, answer.cpu)
            return answer
        _, kind, message = reply
        if kind == "QuerySyntaxError":
            raise QuerySyntaxError(message)
        if kind == "EvaluationError":
            raise QueryEvaluationError(f"query evaluation failed: {message}")
        raise QueryFailedError(message)

    # -- known-quick queries, in this process

    def _remember(self, key: _QuickKey, seconds: float) -> None:
        if self.local is None or key[1] is not None or seconds >= QUICK_SECONDS:
            return
        if len(key[0]) > QUICK_CHARS // 64:  # a huge text is not worth remembering
            return
        self._quick[key] = None
        self._quick_chars += len(key[0])
        while self._quick_chars > QUICK_CHARS:
            old, _seconds = self._quick.popitem(last=False)
            self._quick_chars -= len(old[0])

    def _forget(self, key: _QuickKey) -> None:
        if self._quick.pop(key, None) is not None:
            self._quick_chars -= len(key[0])

    def _execute_here(self, text: str, fmt: str, link: str, prefixes: dict[str, str]) -> Answer:
        """:func:`_execute` on the local engine, its errors as a worker reports them."""
        try:
            return _execute(self.local, text, fmt, self.max_results, prefixes, link=link)
        except KzgraphError:
            raise
        except MemoryError:
            raise QueryFailedError("the query needed more memory than allowed") from None
        except Exception as exc:  # an evaluation error of the engine: the query's fault
            message = " ".join(f"{exc}".split()) or type(exc).__name__
            raise QueryEvaluationError(f"query evaluation failed: {message}") from None

    def _run_here(self, key: _QuickKey, fmt: str, link: str) -> Answer:
        """Run a query known to be quick in this process (see the module)."""
        self._quick.move_to_end(key)
        # Handing pyoxigraph the 34 default prefixes costs half of a small query's parse.
        # A text that parses without them declares every prefix it uses (its own PREFIX
        # lines win over the defaults anyway), so the answer is the same.
        bare = self._quick[key]
        if bare is None:
            try:
                answer = self._execute_here(key[0], fmt, link, {})
                bare = True
            except QuerySyntaxError:
                answer = self._execute_here(key[0], fmt, link, self._prefixes)
                bare = False
            if key in self._quick:
                self._quick[key] = bare
        else:
            answer = self._execute_here(key[0], fmt, link, {} if bare else self._prefixes)
        self.local_runs += 1
        if answer.cpu >= QUICK_SECONDS:  # costlier here than in the worker: back there
            self._forget(key)
        return answer


def _main(argv: list[str]) -> None:
    fd, memory_limit, search_dir, *files = argv
    conn = Connection(int(fd))
    _worker_main(conn, files, int(memory_limit) or None, "" if search_dir == "-" else search_dir)


if __name__ == "__main__":
    # run from the imported module, so pickled answers name kzgraph.pool.Answer
    from kzgraph.pool import _main as _module_main

    _module_main(sys.argv[1:])
