"""``kzgraph serve``: a read-only SPARQL 1.1 endpoint with linked-data pages (the second face).

An ASGI app (Starlette, run by uvicorn).  It maps HTTP onto the library and owns no
logic of its own: queries run in killable worker processes (:mod:`kzgraph.pool`; one a
worker answered quickly runs in this process the next time it comes), answers from the
result cache are replayed to the same request (:mod:`kzgraph.replay`),
formats are chosen by :mod:`kzgraph.formats`, resource pages come from
:func:`kzgraph.describe.describe`, pages from :mod:`kzgraph.html`, the dataset
description from :mod:`kzgraph.void`.

Routes
  /                        home: the dataset, the saved questions (forms, result tables), an editor
  /sparql                  SPARQL 1.1 Protocol: GET, POST form, POST application/sparql-query;
                           without a query: the Service Description (RDF) or the editor (HTML)
  /query/<name>            a saved query's result (CSV, JSON, TSV, XML; HTML redirects home)
  /resource/<kind>/<slug>  every https://w3id.org/kzgraph/resource/... IRI (HTML or RDF): 200
                           with Content-Location and Link rel="describedby" (the document)
  /ontology                the ontology (HTML or RDF); ontology IRIs map to /ontology#Name
  /ontology/<version>      the ontology's owl:versionIRI (the same answer, this version only)
  /dataset, /catalog       the dataset and catalogue IRIs: their description (RDF; HTML -> /)
  /dataset/<version>       the dataset's version IRI (the newest release of dataset.toml)
  /graph/<name>            the graph IRIs asserted, inferred, void (RDF; HTML -> /)
  /sitemap.xml, /robots.txt  for crawlers; the home and resource pages embed schema.org JSON-LD
  /search?q=               full-text search (HTML, or JSON by Accept or format=json)
  /.well-known/void        VoID + DCAT description (Turtle by default)
  /dump.nt                 the served graph as N-Triples (streamed; also /dump/kzgraph.nt)
  /limits                  the endpoint's limits; where a cut answer's ``link`` points
  /context.jsonld          the JSON-LD @context of `kzgraph export -f jsonld` (the prefixes)
Everything is read-only: SPARQL Update is refused (403), write methods get 405.
Answers over 1 KB are gzip-compressed for clients that accept it (:mod:`kzgraph.compression`).
Every 200 answer to GET/HEAD carries an ETag and Last-Modified of the build (:class:`Conditional`)
and is answered 304 when the client has it; ``access_log`` writes Combined Log Format lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import functools
import gc
import hashlib
import json
import logging
import os
import re
import sys
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kzgraph import __version__, discovery, formats
from kzgraph import html as pages
from kzgraph.compression import CachedResponse, Compression
from kzgraph.describe import describe
from kzgraph.errors import (
    InputError,
    KzgraphError,
    NotAcceptableError,
    ParameterError,
    QueryEvaluationError,
    QueryFailedError,
    QuerySyntaxError,
    QueryTimeoutError,
    UnknownQueryError,
)
from kzgraph.metadata import read_metadata
from kzgraph.namespaces import KINDS, PREFIXES, RESOURCE_BASE
from kzgraph.pool import Answer, Dataset, QueryPool
from kzgraph.query import (
    OxigraphEngine,
    SavedQuery,
    bind,
    find_query,
    load_catalog,
    resolve_params,
)
from kzgraph.render import GRAPH_ASSERTED, GRAPH_INFERRED, iris_in, render_rdf, search_document
from kzgraph.replay import Replay
from kzgraph.resolve import NameIndex
from kzgraph.search import KIND_NAMES, TextFunctions, open_index
from kzgraph.sparql_text import query_form
from kzgraph.terms import IRI, Literal
from kzgraph.void import (
    DATASET,
    ServedGraph,
    dataset_stats,
    served_dump,
    service_triples,
    void_triples,
)

log = logging.getLogger("kzgraph.serve")
CONFIG_ENV = "KZGRAPH_SERVE_CONFIG"
STATIC = Path(__file__).resolve().parent / "static"
RDF_ONLY = ("turtle", "jsonld", "nt", "xmlrdf")
RESOURCE_FORMATS = ("html", *RDF_ONLY)
DESCRIPTION_FORMATS = (*RDF_ONLY, "html")  # GET /sparql without a query: RDF unless HTML wins
DUMP_CHUNK = 256 * 1024  # bytes per piece of the streamed /dump.nt
KZ = "https://w3id.org/kzgraph/ontology#"
OWL_VERSION_IRI = "http://www.w3.org/2002/07/owl#versionIRI"
GRAPH_NAMES = ("asserted", "inferred", "void")  # <base>graph/<name>, as export --layout named
CACHE_BYTES = 64 * 1024**2  # bytes of answers an HTTP worker's result cache holds
EXAMPLE_QUERY = """SELECT ?event ?label ?date WHERE {
  ?event a kz:Event ;
         rdfs:label ?label .
  OPTIONAL { ?event kz:date ?date }
}
ORDER BY ?date ?label
LIMIT 25
"""


@dataclass(frozen=True)
class ServeConfig:
    """Everything a server process needs (JSON-serializable, for uvicorn's worker processes)."""

    graph_files: tuple[str, ...]  # N-Triples of the served graph: asserted first [+ inferred]
    ontology_files: tuple[str, ...]  # Turtle of the TBox, for /ontology
    queries_dir: str
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0  # seconds per query
    max_results: int = 10_000  # rows (SELECT) or triples (CONSTRUCT/DESCRIBE)
    max_body: int = 1_048_576  # bytes of a request body
    asserted: bool = False  # True: asserted triples only, no inferences
    workers: int = 1  # HTTP worker processes (uvicorn)
    query_workers: int = 2  # query processes per HTTP worker
    cache_size: int = 1024  # responses kept in each HTTP worker's LRU cache (0: none)
    memory_limit: int = 2 * 1024**3  # address-space cap of a query process (bytes)
    search_dir: str = ""  # the cache entry whose search index answers /search and kzf: functions
    data_dir: str = ""  # the data folder, whose dataset.toml the description reads
    access_log: str = ""  # a file to append Combined Log Format lines to; "-": stdout
    root_path: str = ""  # the sub-path a reverse proxy serves this under ("/kz"), "" for none

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        data = json.loads(text)
        data["graph_files"] = tuple(data["graph_files"])
        data["ontology_files"] = tuple(data["ontology_files"])
        return cls(**data)


class ServeError(InputError):
    """The server cannot start (e.g. the port is taken)."""


class HttpError(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class ResponseCache:
    """A small LRU of finished responses (the data is read-only, so they never go stale).

    Bounded by count and by bytes: without the byte bound, distinct 4 MB answers (the same
    big query with a new comment each time) grew an HTTP worker by 4 GB.
    """

    def __init__(self, size: int, max_bytes: int = CACHE_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0  # bodies held (a body stored under two keys counts twice)
        self._items: OrderedDict[tuple[Any, ...], tuple[bytes, str, dict[str, str]]] = OrderedDict()
        self._gzipped: dict[tuple[Any, ...], bytes] = {}  # compressed once, on the first ask

    def get(self, key: tuple[Any, ...]) -> Response | None:
        if self.size <= 0:
            return None
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        body, media, headers = item

        def keep(gz: bytes) -> None:
            if self._items.get(key) is item and key not in self._gzipped:
                self._gzipped[key] = gz
                self.bytes += len(gz)
                self._shrink()

        headers = {**headers, "content-type": media}
        return CachedResponse(body, headers, self._gzipped.get(key), keep)

    def _drop(self, key: tuple[Any, ...]) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self.bytes -= len(item[0])
        self.bytes -= len(self._gzipped.pop(key, b""))

    def _shrink(self) -> None:
        while self._items and (len(self._items) > self.size or self.bytes > self.max_bytes):
            self._drop(next(iter(self._items)))

    def put(self, key: tuple[Any, ...], body: bytes, media: str, headers: dict[str, str]) -> None:
        if self.size <= 0 or len(body) > min(4 * 1024 * 1024, self.max_bytes):
            return
        self._drop(key)
        self._items[key] = (body, media, headers)
        self.bytes += len(body)
        self._shrink()


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- the site


class Site:
    """The state one HTTP worker serves from: engines, catalog, pool, cache."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.engine = OxigraphEngine([Path(f) for f in config.graph_files])
        # resource pages list what the data states, not the inverse and super-property
        # copies the reasoner adds (types, labels and sources still come from the closure)
        self.asserted = OxigraphEngine([Path(config.graph_files[0])])
        self.ontology = OxigraphEngine(turtle=[Path(f) for f in config.ontology_files])
        self.catalog: dict[str, SavedQuery] = load_catalog(Path(config.queries_dir))
        self.stats = dataset_stats(self.engine)
        # names as people type them, for the saved queries' iri parameters (kzgraph.resolve)
        self.names = NameIndex.from_engine(self.engine)
        # full-text search (kzgraph.search): opened now, so the first /search is fast
        self.search_dir = Path(config.search_dir or Path(config.graph_files[0]).parent)
        self.search = open_index(self.search_dir)
        self.kinds = [k for k in KIND_NAMES if k in self.search.kinds()]
        self.engine.text_functions = TextFunctions(self.search_dir)
        self.pool = QueryPool(
            [Path(f) for f in config.graph_files],
            size=config.query_workers,
            timeout=config.timeout,
            max_results=config.max_results,
            memory_limit=config.memory_limit,
            search_dir=self.search_dir,
            local=self.engine,  # queries a worker answered quickly run here next time
        )
        self.cache = ResponseCache(config.cache_size)
        self.graphs = self._graphs()
        self._building: dict[tuple[Any, ...], asyncio.Future[bytes]] = {}
        self.locators = self._locators()
        self.works = self._works()
        self.ontology_terms = pages.ontology_terms(self.ontology)
        self.home_pictures: str | None = None  # drawn on the first visit to the home page
        self.meta = read_metadata(Path(config.data_dir) if config.data_dir else None)
        # schema.org types of each class, from the ontology's own alignments
        self.alignments = discovery.schema_types(self.ontology)
        self.ontology_version = next(
            (
                o.value
                for _s, _p, o in self.ontology.triples(None, IRI(OWL_VERSION_IRI), None)
                if isinstance(o, IRI)
            ),
            "",
        )
        self.stamp, self.built = build_stamp(config)
        self._ask_model: Any = None  # kzgraph.ask's, read on the first /ask

    def _graphs(self) -> dict[str, tuple[ServedGraph, tuple[str, ...]]]:
        """The graphs a request may name (default-graph-uri, named-graph-uri): IRI ->
        (its description, its N-Triples files).  The dataset IRI is everything served."""
        files = self.config.graph_files
        asserted = len(self.asserted)
        graphs = {
            DATASET: (ServedGraph(DATASET, len(self.engine), "everything served"), files),
            GRAPH_ASSERTED: (ServedGraph(GRAPH_ASSERTED, asserted, "asserted triples"), files[:1]),
        }
        if len(files) > 1:
            title = "OWL 2 RL inferences"
            graphs[GRAPH_INFERRED] = (
                ServedGraph(GRAPH_INFERRED, len(self.engine) - asserted, title),
                files[1:],
            )
        return graphs

    def dataset(self, default: Sequence[str], named: Sequence[str]) -> Dataset | None:
        """The RDF dataset a request names, or None for the served graph as the default
        graph (nothing named, or the union of all as the default graph).  HttpError 400
        for a graph this server does not have, with the graphs it has."""
        if not default and not named:
            return None
        for iri in (*default, *named):
            if iri not in self.graphs:
                shown = iri if len(iri) <= 200 else iri[:200] + "…"
                have = "; ".join(f"<{g}> ({d.title})" for g, (d, _f) in self.graphs.items())
                raise HttpError(
                    400,
                    f"no graph <{shown}> on this endpoint: default-graph-uri and "
                    f"named-graph-uri take {have}",
                )
        files = {f for iri in default for f in self.graphs[iri][1]}
        if not named and files == set(self.config.graph_files):
            return None
        # the merge of the named default graphs is one of the served graphs (no duplicates)
        merged = [g for g, (_d, f) in self.graphs.items() if set(f) == files][:1] if files else []
        used = sorted({*merged, *named})
        return Dataset(
            default=tuple(merged),
            named=tuple(sorted(set(named))),
            files=tuple((g, self.graphs[g][1]) for g in used),
        )

    def _locators(self) -> dict[str, str]:
        """Locator ("P14") -> paragraph IRI, to link the [P#] of each fact."""
        return {
            o.value: s.value
            for s, _p, o in self.engine.triples(None, IRI(KZ + "locator"), None)
            if isinstance(s, IRI) and isinstance(o, Literal)
        }

    def _works(self) -> dict[str, str]:
        """Display label of each cited work -> its IRI (describe gives citations as labels)."""
        works = {
            s.value
            for _s0, _p, s in self.engine.triples(None, IRI(KZ + "citation"), None)
            if isinstance(s, IRI)
        }
        return {label: iri for iri, label in self.engine.labels(works).items()}

    async def once(self, key: tuple[Any, ...], make: Any) -> bytes:
        """Build the bytes for ``key`` once even when several requests ask at the same time."""
        pending = self._building.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            text = await make()
            body = text.encode("utf-8") if isinstance(text, str) else text
            future.set_result(body)
            return body
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            del self._building[key]

    def ask(self, question: str) -> Any:
        """What ``question`` asks (a :class:`kzgraph.ask.Answer`); the model of the catalog is
        kept in the cache entry, as for ``kzgraph ask``."""
        from kzgraph.ask import build_model, load_model
        from kzgraph.question import graph_terms

        if self._ask_model is None:
            queries = Path(self.config.queries_dir)
            self._ask_model = load_model(
                self.search_dir,
                queries,
                lambda: build_model(self.catalog, self.names, graph_terms(self.engine)),
            )
        return self._ask_model.ask(question)

    def graph_triples(self, name: str) -> list[Any]:
        """The triples of the graph ``<base>graph/<name>`` (asserted, inferred)."""
        files = self.config.graph_files
        if name == "asserted":
            return list(self.asserted.triples(None, None, None))
        return list(OxigraphEngine([Path(f) for f in files[1:]]).triples(None, None, None))

    def resource_iris(self) -> list[str]:
        """Every resource IRI of the served graph (subject or object), sorted."""
        found: set[str] = set()
        for s, _p, o in self.engine.triples(None, None, None):
            for term in (s, o):
                if isinstance(term, IRI) and term.value.startswith(RESOURCE_BASE):
                    found.add(term.value)
        return sorted(found)

    def exists(self, iri: str) -> bool:
        node = IRI(iri)
        try:
            return any(True for _ in self.engine.triples(node, None, None)) or any(
                True for _ in self.engine.triples(None, None, node)
            )
        except ValueError:  # not an IRI (U+FFFD from undecodable bytes...): nothing there
            return False


# --------------------------------------------------------------------------- helpers


def build_stamp(config: ServeConfig) -> tuple[str, float]:
    """What every answer depends on, as (a short hash, the newest file's mtime): the graph,
    the ontology, the saved queries, dataset.toml and the kzgraph version.  The data is
    read-only while served, so this is the validator (ETag) and Last-Modified of every
    answer; a rebuild with other data or code changes it."""
    files = [Path(f) for f in (*config.graph_files, *config.ontology_files)]
    files += sorted(Path(config.queries_dir).rglob("*.rq"))
    if config.data_dir and (Path(config.data_dir) / "dataset.toml").is_file():
        files.append(Path(config.data_dir) / "dataset.toml")
    digest = hashlib.sha256(__version__.encode())
    newest = 0.0
    for path in files:
        digest.update(str(path.name).encode() + b"\0")
        with path.open("rb") as handle:
            while piece := handle.read(DUMP_CHUNK):
                digest.update(piece)
        newest = max(newest, path.stat().st_mtime)
    return digest.hexdigest()[:16], float(int(newest))


def _opaque(tag: str) -> str:
    """An entity tag compared weakly, without the ``-gzip`` kzgraph.compression adds."""
    tag = tag.strip().removeprefix("W/")
    return tag[:-6] + '"' if tag.endswith('-gzip"') else tag


def _not_modified(headers: Headers, etag: str, modified: float) -> bool:
    """RFC 9110 13.1: If-None-Match decides when present; else If-Modified-Since."""
    none_match = headers.get("if-none-match")
    if none_match is not None:
        wanted = _opaque(etag)
        return any(t.strip() == "*" or _opaque(t) == wanted for t in none_match.split(","))
    since = headers.get("if-modified-since")
    if since:
        try:
            return modified <= email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):  # not an HTTP date: ignored, as the RFC says
            return False
    return False


#: the headers a 304 keeps (RFC 9110 15.4.5)
_KEPT_BY_304 = ("etag", "last-modified", "vary", "cache-control", "content-location", "expires")


class Conditional:
    """ETag and Last-Modified on every 200 to GET/HEAD, and 304 when the client has it.

    The data is read-only, so the same request (scheme, path, query, Accept, Accept-Language,
    Host) gets the same answer for as long as the build (:func:`build_stamp`) is the same:
    the tag is the build's hash and the request's.  A response that sets its own ETag keeps
    it.
    """

    def __init__(self, app: ASGIApp, stamp: str, modified: float) -> None:
        self.app = app
        self.stamp = stamp
        self.modified = modified
        self.last_modified = email.utils.formatdate(modified, usegmt=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        varies = (
            scope.get("scheme", "http"),  # behind a proxy: X-Forwarded-Proto, read by uvicorn
            scope["path"],
            scope["query_string"],
            *(request.get(h, "") for h in ("accept", "accept-language", "host")),
        )
        key = hashlib.sha256(repr(varies).encode()).hexdigest()[:12]
        etag = f'W/"{self.stamp}-{key}"'
        skipping = False

        async def conditional_send(message: Message) -> None:
            nonlocal skipping
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(raw=list(message["headers"]))
                headers.setdefault("etag", etag)
                headers.setdefault("last-modified", self.last_modified)
                if _not_modified(request, headers["etag"], self.modified):
                    skipping = True
                    kept = [(k, v) for k, v in headers.raw if k.decode() in _KEPT_BY_304]
                    message = {"type": "http.response.start", "status": 304, "headers": kept}
                else:
                    message = {**message, "headers": headers.raw}
            elif message["type"] == "http.response.body" and skipping:
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, conditional_send)


_ROOTED = re.compile(rb'(\s(?:href|action|src)=")/(?!/)')
_ROOTED_HEADERS = (b"location", b"content-location", b"link")


def _route_path(scope: Scope) -> str:
    """The request's path without the root path uvicorn puts in front of it."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root + "/") else path


def check_root_path(value: str) -> str:
    """``value`` as a root path ("/kz", no trailing slash; "" for none), or InputError."""
    if value in ("", "/"):
        return ""
    segments = value.rstrip("/").split("/")[1:]
    if (
        not value.startswith("/")
        or not all(re.fullmatch(r"[A-Za-z0-9._~!$&'()*+,;=:@%-]+", seg) for seg in segments)
        or any(seg in (".", "..") for seg in segments)
    ):
        raise InputError(
            f"--root-path must be a path such as /kz (segments of URL path characters), "
            f"got {value!r}"
        )
    return value.rstrip("/")


class RootPath:
    """Serving under a sub-path behind a reverse proxy that strips it: every path this
    server writes (links, forms and sources in HTML; Location, Content-Location and Link
    headers) gets the prefix.  The pages are written with paths from ``/``; the URLs built
    from the request (JSON-LD, sitemap, the description) follow uvicorn's ``root_path``
    through Starlette's ``base_url`` already.  Only with ``--root-path``: the pages are
    then held whole for the rewrite."""

    def __init__(self, app: ASGIApp, root: str) -> None:
        self.app = app
        self.root = root.encode("ascii")

    def _header(self, name: bytes, value: bytes) -> bytes:
        if name == b"link":
            return re.sub(rb"<(?=/(?!/))", lambda _m: b"<" + self.root, value)
        return (
            self.root + value if value.startswith(b"/") and not value.startswith(b"//") else value
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"  # asked as a GET: the length is the rewritten page's
        start: Message | None = None
        chunks: list[bytes] = []

        async def rooted_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = [
                    (k, self._header(k, v) if k in _ROOTED_HEADERS else v)
                    for k, v in message["headers"]
                ]
                message = {**message, "headers": headers}
                if any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    start = message  # the page is rewritten once its body is whole
                    return
            elif message["type"] == "http.response.body":
                if start is not None:
                    chunks.append(message.get("body", b""))
                    if message.get("more_body", False):
                        return
                    body = _ROOTED.sub(lambda m: m.group(1) + self.root + b"/", b"".join(chunks))
                    headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
                    await send({**start, "headers": headers})
                    message = {"type": "http.response.body", "body": body}
                if head:
                    if message.get("more_body", False):
                        return
                    message = {"type": "http.response.body", "body": b""}
            await send(message)

        # the pages are rewritten before kzgraph.compression gzips them (outside): an answer
        # from the result cache, which compresses itself, must not see gzip accepted here
        plain = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        inner = {**scope, "headers": plain, "method": "GET" if head else scope["method"]}
        await self.app(inner, receive, rooted_send)


def _log_text(value: str) -> str:
    """A request field as Apache writes it in a log: quotes, backslashes, controls escaped."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def access_line(scope: Scope, status: int, size: int, when: float) -> str:
    """One Combined Log Format line: host ident user [time] "request" status bytes
    "referer" "user-agent" (the time in UTC; ``-`` for what is not known)."""
    t = time.gmtime(when)
    stamp = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{time.strftime('%H:%M:%S', t)}"
    client = scope.get("client")
    host = client[0] if client else "-"
    path = scope.get("raw_path") or scope["path"].encode("utf-8")
    target = path.decode("latin-1")
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    line = f"{scope['method']} {target} HTTP/{scope.get('http_version', '1.1')}"
    headers = Headers(scope=scope)
    referer = _log_text(headers.get("referer", "-"))
    agent = _log_text(headers.get("user-agent", "-"))
    sent = str(size) if size else "-"
    return f'{host} - - [{stamp} +0000] "{_log_text(line)}" {status} {sent} "{referer}" "{agent}"'


def access_logger(target: str) -> logging.Logger:
    """A logger writing bare lines to ``target`` (a file, appended to; ``-``: stdout).
    ServeError when the file cannot be opened."""
    logger = logging.Logger("kzgraph.access", logging.INFO)  # this app's own, not global
    handler: logging.Handler
    if target == "-":
        handler = logging.StreamHandler(sys.stdout)
    else:
        try:
            handler = logging.FileHandler(target, mode="a", encoding="utf-8")
        except OSError as exc:
            raise ServeError(f"cannot open the access log {target}: {exc.strerror}") from None
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


class AccessLog:
    """Outermost: one Combined Log Format line per answered request, after its last byte."""

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        when = time.time()
        status, size = 0, 0

        async def counting_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.logger.info(access_line(scope, status or 500, size, when))


async def read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The body of ``request``: at most ``limit`` bytes (413), arriving within ``seconds`` (408)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise HttpError(413, f"request body larger than the limit of {limit} bytes")
    chunks: list[bytes] = []

    async def receive() -> None:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HttpError(413, f"request body larger than the limit of {limit} bytes")
            chunks.append(chunk)

    try:
        # a client that announces a body and never sends it must not hold the request forever
        await asyncio.wait_for(receive(), seconds)
    except asyncio.TimeoutError:
        raise HttpError(408, f"the request body did not arrive within {seconds:g} s") from None
    except ClientDisconnect:  # nobody is left to answer; not a server error
        raise HttpError(400, "the client closed the connection before the body ended") from None
    return b"".join(chunks)


def _text(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        _one_line(message) + "\n",
        status_code=status,
        media_type="text/plain; charset=utf-8",
        headers=dict(headers or {}),
    )


def _error_response(request: Request, status: int, message: str, headers: Any = None) -> Response:
    if status >= 500:
        log.warning(
            "kzgraph serve: %s %s %s: %s",
            status,
            request.method,
            request.url.path,
            _one_line(message),
        )
    accept = request.headers.get("accept", "")
    # the answer's form (HTML or text) follows Accept, and so does a 406: say so to caches
    headers = {"vary": "Accept", **dict(headers or {})}
    if "text/html" in accept and _route_path(request.scope) != "/sparql":
        return Response(
            pages.error_page(status, message),
            status_code=status,
            media_type="text/html; charset=utf-8",
            headers=dict(headers or {}),
        )
    return _text(status, message, headers)


def _ask_document(answer: Any, ran: Answer | None, found: Any) -> dict[str, Any]:
    """/ask as JSON: the reading chosen, close ones, and the answer (SPARQL JSON results) or
    the full-text search's hits."""

    def reading(r: Any) -> dict[str, Any]:
        return {"query": r.query, "title": r.title, "params": dict(r.params), "command": r.command}

    best = answer.best
    return {
        "question": answer.question,
        **(reading(best) if best is not None else {"query": None}),
        "readAs": [{"param": p, "words": w, "value": v} for p, w, v in best.because]
        if best is not None
        else [],
        "alternatives": [reading(r) for r in answer.alternatives],
        "fallback": answer.fallback,
        "result": json.loads(ran.body) if ran is not None and ran.body else None,
        "search": search_document(found) if found is not None else None,
    }


def _status_of(error: KzgraphError) -> int:
    if isinstance(error, NotAcceptableError):
        return 400 if error.unknown_format else 406
    if isinstance(error, UnknownQueryError):
        return 404
    if isinstance(error, (QueryTimeoutError, QueryFailedError)):
        return 503
    if isinstance(error, (QuerySyntaxError, QueryEvaluationError, ParameterError)):
        return 400
    return 400


def _message(error: KzgraphError) -> str:
    text = error.message
    if error.hint:
        text += f" ({error.hint})"
    return text


def _accept(request: Request) -> str | None:
    return request.headers.get("accept")


def _rdf(triples: Sequence[Any], fmt: str) -> bytes:
    return render_rdf({None: triples}, formats.RDF_NAMES[fmt], PREFIXES)


#: what the request-to-answer steps below remember: the same request text gets the same
#: result, and each of them cost more than a small query itself (percent-decoding a query
#: string, lexing a query for its form, weighing an Accept header)
_MEMO = 512
_MEMO_CHARS = 16 * 1024  # longer inputs are worked out every time, not kept


@functools.lru_cache(maxsize=_MEMO)
def _pairs(query_string: bytes) -> tuple[tuple[str, str], ...]:
    return tuple(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


def _query_pairs(query_string: bytes) -> tuple[tuple[str, str], ...]:
    """The name/value pairs of a query string, decoded as Starlette's ``query_params``."""
    if len(query_string) > _MEMO_CHARS:
        return tuple(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    return _pairs(query_string)


_form = functools.lru_cache(maxsize=_MEMO)(query_form)


def _query_form(text: str) -> str:
    """The form of ``text`` (SELECT, ASK, CONSTRUCT, DESCRIBE), by :func:`query_form`."""
    return _form(text) if len(text) <= _MEMO_CHARS else query_form(text)


@functools.lru_cache(maxsize=_MEMO)
def _sparql_format(form: str, accept: str | None, fmt_values: tuple[str, ...]) -> str:
    """The format a query of ``form`` is answered in (NotAcceptableError: 406/400)."""
    graph = form in ("CONSTRUCT", "DESCRIBE")
    available = formats.GRAPH_FORMATS if graph else formats.RESULT_FORMATS
    return formats.negotiate(available, accept, fmt_values, "this query", fallback=True)


# --------------------------------------------------------------------------- app


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI app serving ``config`` (the query pool starts with the app's lifespan)."""
    site = Site(config)

    async def run_answer(
        text: str, fmt: str, link: str = "", dataset: Dataset | None = None
    ) -> Answer:
        return await site.pool.run(text, fmt, link=link, dataset=dataset)

    def limits_link(request: Request) -> str:
        """Where a cut answer points (``link`` of SPARQL results, ``Link`` header)."""
        return str(request.base_url).rstrip("/") + "/limits#truncated"

    # ---- /sparql

    async def sparql(request: Request) -> Response:
        pairs = _query_pairs(request.scope["query_string"])
        params = dict(pairs)
        listed = list(pairs)  # parameters that may repeat
        text: str | None = params.get("query")
        given = sum(1 for name, _value in pairs if name == "query")  # the protocol allows one
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await read_body(request, config.max_body, config.timeout)
            if ctype == "application/sparql-update":
                raise HttpError(403, "this endpoint is read-only: SPARQL Update is not accepted")
            if ctype == "application/x-www-form-urlencoded":
                try:
                    fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
                except UnicodeDecodeError:
                    raise HttpError(400, "the form body is not UTF-8") from None
                form = dict(fields)
                listed += fields
                given += sum(1 for name, _value in fields if name == "query")
                if "update" in form:
                    raise HttpError(
                        403, "this endpoint is read-only: SPARQL Update is not accepted"
                    )
                params.update(form)
                text = form.get("query")
            elif ctype == "application/sparql-query":
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise HttpError(400, "the query is not UTF-8 text") from None
                given += 1
            else:
                raise HttpError(
                    415,
                    f"unsupported Content-Type {ctype or '(none)'!r}: POST "
                    "application/x-www-form-urlencoded or application/sparql-query",
                )
        if "update" in params:
            raise HttpError(403, "this endpoint is read-only: SPARQL Update is not accepted")
        if given > 1:
            raise HttpError(400, f"the request carries {given} queries; send exactly one")
        # SPARQLWrapper sends format=, output= (and results=), some twice: any value this
        # server does not know leaves the choice to Accept, as on Oxigraph's server
        fmt_values = [v for name, v in listed if name in ("format", "output", "results") and v]
        default = tuple(v for name, v in listed if name == "default-graph-uri")
        named = tuple(v for name, v in listed if name == "named-graph-uri")
        if not text or not text.strip():
            if text is None and request.method != "POST":  # GET /sparql: the endpoint itself
                return await described(request, fmt_values)
            if fmt_values in ([], ["html"]) and "text/html" in (_accept(request) or ""):
                return Response(
                    pages.sparql_page(EXAMPLE_QUERY), media_type="text/html; charset=utf-8"
                )
            raise HttpError(400, "missing the 'query' parameter (a SPARQL query)")
        link = limits_link(request)
        # the same text asked the same way gets the same bytes: look that up before lexing
        accept = _accept(request)
        raw_key = ("sparql-request", text, accept, tuple(fmt_values), default, named, link)
        cached = site.cache.get(raw_key)
        if cached is not None:
            return cached
        dataset = site.dataset(default, named)
        # the form is the keyword after the prologue (kzgraph.sparql_text), never a word
        # elsewhere; the worker still trusts the engine's parse over it
        fmt = _sparql_format(_query_form(text), accept, tuple(fmt_values))
        return await answer(
            text,
            fmt,
            key=("sparql", text, fmt, dataset, link),
            also=raw_key,
            link=link,
            dataset=dataset,
            html=lambda a: pages.sparql_page(
                text,
                a.result,
                site.engine.labels(_iris(a)),
                truncated=a.truncated,
                seconds=a.seconds,
            ),
            html_error=lambda e: pages.sparql_page(text, error=e),
        )

    def _iris(answer: Any) -> set[str]:
        result = answer.result
        if result is None:
            return set()
        if result.kind == "graph":
            return {t.value for tr in result.triples for t in tr if isinstance(t, IRI)}
        return iris_in(result)

    async def answer(
        text: str,
        fmt: str,
        *,
        key: tuple[Any, ...],
        html: Any,
        html_error: Any,
        link: str,
        also: tuple[Any, ...] | None = None,
        dataset: Dataset | None = None,
    ) -> Response:
        """Run ``text`` for format ``fmt`` (or reuse the cached bytes under ``key``); a cut
        answer points at ``link`` (in its own syntax where it can, and in headers)."""
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        headers = {"vary": "Accept"}
        try:
            result = await run_answer(text, fmt, link, dataset)
        except KzgraphError as error:
            if fmt == "html" and not isinstance(error, NotAcceptableError):
                status = _status_of(error)
                if status >= 500:
                    log.warning("kzgraph serve: %s query: %s", status, _one_line(error.message))
                return Response(
                    html_error(_message(error)),
                    status_code=status,
                    media_type="text/html; charset=utf-8",
                    headers=headers,
                )
            raise
        if result.truncated:
            headers["x-result-truncated"] = "true"
            headers["x-result-limit"] = str(config.max_results)
            headers["link"] = f'<{link}>; rel="describedby"'
        if result.format == "html":
            body = html(result).encode("utf-8")
        else:
            body = result.body
        media = formats.content_type(result.format)
        site.cache.put(key, body, media, headers)
        if also is not None:
            site.cache.put(also, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    async def described(request: Request, fmt_values: Sequence[str]) -> Response:
        """GET /sparql without a query: the SPARQL 1.1 Service Description for clients that
        ask for RDF (Turtle for ``*/*``), the query editor for browsers."""
        try:
            fmt = formats.negotiate(
                DESCRIPTION_FORMATS, _accept(request), fmt_values, fallback=True
            )
        except NotAcceptableError:  # e.g. Accept: application/sparql-results+json
            raise HttpError(400, "missing the 'query' parameter (a SPARQL query)") from None
        headers = {"vary": "Accept"}
        if fmt == "html":
            page = pages.sparql_page(EXAMPLE_QUERY)
            return Response(page, media_type="text/html; charset=utf-8", headers=headers)
        endpoint = str(request.base_url).rstrip("/") + "/sparql"
        key = ("service-description", fmt, endpoint)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        functions = sorted(f.value for f in site.engine.custom_functions())
        graphs = [graph for graph, _files in site.graphs.values()]
        triples = service_triples(endpoint, site.stats, graphs, functions=functions)
        body, media = _rdf(triples, fmt), formats.content_type(fmt)
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    # ---- saved queries

    def _saved(name: str, request: Request) -> tuple[SavedQuery, str, dict[str, str]]:
        query = find_query(site.catalog, name)
        given = {
            k: v for k, v in request.query_params.items() if query.param(k) is not None and v != ""
        }
        values = resolve_params(query, given.items(), site.names)
        return query, bind(query.text, values), given

    async def saved_query(request: Request) -> Response:
        name = request.path_params["name"]
        query, text, given = _saved(name, request)
        kind = _query_form(query.text)
        available = (
            formats.GRAPH_FORMATS if kind in ("CONSTRUCT", "DESCRIBE") else (formats.RESULT_FORMATS)
        )
        fmt = formats.negotiate(available, _accept(request), request.query_params.get("format"))
        if fmt == "html":
            target = "/?" + urlencode([("run", query.name), *given.items()]) + f"#q-{query.name}"
            return RedirectResponse(target, status_code=303)
        link = limits_link(request)
        return await answer(
            text, fmt, key=("sparql", text, fmt, None, link), html=None, html_error=None, link=link
        )

    # ---- home

    async def home(request: Request) -> Response:
        name = request.query_params.get("run")
        run = None
        if name and name in site.catalog:
            query = site.catalog[name]
            values = {k: v for k, v in request.query_params.items() if query.param(k)}
            try:
                _q, text, _given = _saved(name, request)
                result = await run_answer(text, "html")
                labels = site.engine.labels(_iris(result))
                run = pages.CannedRun(name, values, result.result, labels, result.truncated)
            except KzgraphError as error:
                run = pages.CannedRun(name, values, error=_message(error))
        stats = {
            "triples": site.stats.triples,
            "resources": site.stats.entities,
            "classes in use": len(site.stats.classes),
            "saved questions": len(site.catalog),
        }
        if site.home_pictures is None:  # drawn once per worker (kzgraph.plot)
            site.home_pictures = await asyncio.to_thread(pictures_html, None)
        base = str(request.base_url).rstrip("/")
        document = discovery.dataset_document(
            site.meta,
            page=base + "/",
            downloads=[(base + "/dump.nt", formats.content_type("nt").split(";")[0])],
        )
        body = pages.home_page(
            site.catalog,
            stats,
            run,
            EXAMPLE_QUERY,
            pictures=site.home_pictures,
            head=discovery.script(document),
        )
        status = 400 if run is not None and run.error else 200
        return Response(body, status_code=status, media_type="text/html; charset=utf-8")

    # ---- resources

    async def resource(request: Request) -> Response:
        kind = request.path_params["kind"]
        slug = request.path_params["slug"]
        if kind not in KINDS or slug in (".", "..") or not _SLUG.fullmatch(slug):
            raise HttpError(404, f"no resource at {request.url.path}")
        iri = f"{RESOURCE_BASE}{kind}/{slug}"
        fmt = formats.negotiate(
            RESOURCE_FORMATS, _accept(request), request.query_params.get("format")
        )
        lang = pages.pick_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        base = str(request.base_url).rstrip("/")
        key = ("resource", iri, fmt, lang if fmt == "html" else "", base)
        path = f"/resource/{kind}/{slug}"
        # the IRI names a thing, not a document: it answers 200 with the document that
        # describes it named in Content-Location and Link rel="describedby" (docs/fragments/
        # persistent-iris.md says why this rather than 303)
        document = f"{path}?format={fmt}" + (f"&lang={lang}" if fmt == "html" else "")
        media = formats.content_type(fmt)
        headers = {
            "vary": "Accept, Accept-Language",
            "content-location": document,
            "link": f'<{document}>; rel="describedby"; type="{media.split(";")[0]}"',
        }
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        if not site.exists(iri):
            raise HttpError(404, f"no resource {iri} in this graph")
        if fmt == "html":
            # describe() walks the graph in Python: off the event loop, so cached pages and
            # other requests keep flowing while a big page is built; concurrent requests for
            # the same page wait for the one build
            body = await site.once(
                key, lambda: asyncio.to_thread(resource_html, iri, path, lang, base)
            )
            headers["content-language"] = lang
        else:
            node = IRI(iri)
            triples = list(site.engine.triples(node, None, None))
            triples += list(site.engine.triples(None, None, node))
            body = _rdf(triples, fmt)
            headers["link"] += f', <{iri}>; rel="canonical"'
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    def resource_html(iri: str, path: str, lang: str, base: str) -> str:
        desc = describe(site.engine, iri, asserted=site.asserted)
        type_iris = sorted(
            o.value
            for _s, _p, o in site.engine.triples(IRI(iri), IRI(pages.RDF_TYPE), None)
            if isinstance(o, IRI) and o.value.startswith(KZ)
        )
        iris = {iri, *type_iris}
        for fact in (*desc.facts, *desc.incoming):
            iris.add(fact.property)
            if isinstance(fact.value, IRI):
                iris.add(fact.value.value)
        labels = pages.localized_labels(site.engine, iris, lang)
        node, rdf_type = IRI(iri), IRI(pages.RDF_TYPE)
        classes = [o.value for _s, _p, o in site.engine.triples(node, rdf_type, None)]
        document = discovery.resource_document(
            iri,
            labels.get(iri, desc.label),
            discovery.types_of(classes, site.alignments),
            base + path,
        )
        return pages.resource_page(
            desc,
            type_iris,
            labels,
            site.locators,
            site.works,
            path=path,
            lang=lang,
            pictures=pictures_html(iri),
            head=discovery.script(document),
        )

    def pictures_html(iri: str | None) -> str:
        """The timeline and network pictures (kzgraph.plot) of the whole graph or of one
        resource, as inline SVG; a picture with nothing to draw is left out."""
        parts = []
        try:
            from kzgraph.plot import inline_svg, network_svg, timeline_svg
        except ImportError:  # matplotlib/networkx missing: pages without pictures
            return ""
        pictures: tuple[tuple[str, Callable[[], str]], ...] = (
            ("Timeline", lambda: timeline_svg(site.engine, focus=iri)),
            ("Network", lambda: network_svg(site.engine, focus=iri, depth=1)),
        )
        for heading, draw in pictures:
            try:
                svg = draw()
            except KzgraphError:
                continue
            parts.append(
                f'<section class="kz-picture"><h2>{heading}</h2>{inline_svg(svg)}</section>'
            )
        return "\n".join(parts)

    # ---- full-text search

    async def search(request: Request) -> Response:
        params = request.query_params
        text = params.get("q", "")
        kind, lang = params.get("kind", ""), params.get("lang", "")
        limit = params.get("limit", "20")
        fmt = formats.negotiate(("html", "json"), _accept(request), params.get("format"), "search")
        key = ("search", text, kind, lang, limit, fmt)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            raise HttpError(400, f"limit must be a whole number from 1 to 1000, got {limit!r}")
        headers = {"vary": "Accept"}

        def run() -> Any:
            return site.search.search(text, kind=kind or None, lang=lang or None, limit=int(limit))

        if fmt == "json":
            if not text.strip():
                raise HttpError(400, "missing the 'q' parameter (the search text)")
            document = search_document(await asyncio.to_thread(run))  # SearchError: 400
            body = (json.dumps(document, ensure_ascii=False) + "\n").encode("utf-8")
            media = "application/json"
        else:
            result, error = None, None
            if text.strip():
                try:
                    result = await asyncio.to_thread(run)
                except KzgraphError as exc:
                    error = _message(exc)
            body = pages.search_page(
                text,
                result,
                kind=kind,
                lang=lang,
                kinds=site.kinds,
                locators=site.locators,
                error=error,
            ).encode("utf-8")
            media = "text/html; charset=utf-8"
            if error:
                return Response(body, status_code=400, headers={**headers, "content-type": media})
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    # ---- ask in plain words (kzgraph.ask)

    async def ask(request: Request) -> Response:
        params = request.query_params
        question = params.get("q", "")
        fmt = formats.negotiate(("html", "json"), _accept(request), params.get("format"), "ask")
        key = ("ask", question, fmt)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        headers = {"vary": "Accept"}
        html_media = "text/html; charset=utf-8"
        if not question.strip() and fmt == "html":
            return Response(pages.ask_page(question, None), media_type=html_media)
        try:
            answer = await asyncio.to_thread(site.ask, question)  # AskError: 400
        except KzgraphError as exc:
            if fmt == "json":
                raise HttpError(400, _message(exc)) from None
            page = pages.ask_page(question, None, error=_message(exc))
            return Response(page, status_code=400, headers=headers, media_type=html_media)
        best, ran, found = answer.best, None, None
        if best is not None:
            query = find_query(site.catalog, best.query)
            text = bind(query.text, resolve_params(query, best.params, site.names))
            ran = await run_answer(text, fmt)
        elif answer.fallback:
            words = " OR ".join(answer.fallback.split())
            found = await asyncio.to_thread(site.search.search, words, limit=20)
        if fmt == "json":
            document = _ask_document(answer, ran, found)
            body = (json.dumps(document, ensure_ascii=False) + "\n").encode("utf-8")
            media = "application/json"
        else:
            result = ran.result if ran is not None else None
            body = pages.ask_page(
                question,
                answer,
                result=result,
                labels=site.engine.labels(iris_in(result)) if result is not None else {},
                truncated=ran.truncated if ran is not None else False,
                search=found,
                locators=site.locators,
            ).encode("utf-8")
            media = html_media
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    # ---- ontology, VoID, dump, static

    async def ontology(request: Request) -> Response:
        fmt = formats.negotiate(
            RESOURCE_FORMATS, _accept(request), request.query_params.get("format")
        )
        key = ("ontology", fmt)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        headers = {"vary": "Accept"}
        if fmt == "html":
            header = site.ontology.labels([KZ.rstrip("#")])
            desc = [
                o.value
                for _s, _p, o in site.ontology.triples(
                    IRI(KZ.rstrip("#")), IRI("http://purl.org/dc/terms/description"), None
                )
            ]
            labels = site.ontology.labels(
                {i for t in site.ontology_terms for i in (*t.parents, *t.domain, *t.range)}
            )
            body = pages.ontology_page(
                header[KZ.rstrip("#")], desc[0] if desc else "", site.ontology_terms, labels
            ).encode("utf-8")
        elif fmt == "turtle" and len(config.ontology_files) == 1:
            body = Path(config.ontology_files[0]).read_bytes()
        else:
            body = _rdf(list(site.ontology.triples(None, None, None)), fmt)
        media = formats.content_type(fmt)
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    async def void(request: Request) -> Response:
        fmt = formats.negotiate(RDF_ONLY, _accept(request), request.query_params.get("format"))
        return description(request, fmt)

    def description(request: Request, fmt: str) -> Response:
        base = str(request.base_url).rstrip("/")
        key = ("void", fmt, base)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        triples = void_triples(
            site.stats,
            site.meta,
            sparql_endpoint=f"{base}/sparql",
            dumps=[served_dump([Path(f) for f in config.graph_files], f"{base}/dump.nt")],
        )
        body = _rdf(triples, fmt)
        media = formats.content_type(fmt)
        headers = {"vary": "Accept"}
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    def rdf_or_home(request: Request) -> str | None:
        """The RDF format a request for a dataset or graph IRI gets, or None: a browser
        (HTML preferred) is sent to the home page, which describes the dataset."""
        fmt = formats.negotiate(
            DESCRIPTION_FORMATS, _accept(request), request.query_params.get("format")
        )
        return None if fmt == "html" else fmt

    async def dataset_iri(request: Request) -> Response:
        """<base>dataset, <base>catalog and <base>dataset/<version>: the description."""
        version = request.path_params.get("version")
        if version is not None and version != site.meta.version:
            known = [r.version for r in site.meta.releases]
            said = "an older release" if version in known else "not a release"
            raise HttpError(
                404,
                f"{site.meta.version_iri(version)} is {said} of dataset.toml; this server "
                f"serves release {site.meta.version} ({site.meta.version_iri()})",
            )
        fmt = rdf_or_home(request)
        if fmt is None:
            return RedirectResponse("/", status_code=303, headers={"vary": "Accept"})
        return description(request, fmt)

    async def graph_iri(request: Request) -> Response:
        """<base>graph/<name>: the triples of that graph (as export --layout named)."""
        name = request.path_params["name"]
        if name not in GRAPH_NAMES or (name == "inferred" and len(config.graph_files) < 2):
            have = ", ".join(
                n for n in GRAPH_NAMES if n != "inferred" or len(config.graph_files) > 1
            )
            raise HttpError(404, f"no graph {name!r} on this server (graphs: {have})")
        fmt = rdf_or_home(request)
        if fmt is None:
            return RedirectResponse("/", status_code=303, headers={"vary": "Accept"})
        if name == "void":
            return description(request, fmt)
        key = ("graph", name, fmt)
        headers = {"vary": "Accept"}
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        body = await asyncio.to_thread(lambda: _rdf(site.graph_triples(name), fmt))
        media = formats.content_type(fmt)
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    async def ontology_version(request: Request) -> Response:
        """The ontology's owl:versionIRI answers as the ontology; other versions are 404."""
        wanted = f"{KZ.rstrip('#')}/{request.path_params['version']}"
        if wanted != site.ontology_version:
            have = site.ontology_version or "none"
            raise HttpError(404, f"no ontology version {wanted}; this server has {have}")
        return await ontology(request)

    async def sitemap(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        key = ("sitemap", base)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        urls = [f"{base}/", f"{base}/ontology"]
        for iri in site.resource_iris():
            kind, _, slug = iri[len(RESOURCE_BASE) :].partition("/")
            if kind in KINDS and _SLUG.fullmatch(slug):
                urls.append(f"{base}/resource/{kind}/{slug}")
        day = time.gmtime(site.built)
        lastmod = dt.date(day.tm_year, day.tm_mon, day.tm_mday)
        body = discovery.sitemap_xml(urls, lastmod).encode("utf-8")
        media = "application/xml"
        site.cache.put(key, body, media, {})
        return Response(body, media_type=media)

    async def robots(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        text = discovery.robots_txt(f"{base}/sitemap.xml", prefix=config.root_path)
        return Response(text, media_type="text/plain; charset=utf-8")

    async def dump(request: Request) -> Response:
        paths = [Path(f) for f in config.graph_files]
        size = sum(p.stat().st_size for p in paths)

        async def pieces() -> AsyncIterator[bytes]:  # streamed: a big graph is never in memory
            for path in paths:
                with path.open("rb") as handle:
                    while piece := handle.read(DUMP_CHUNK):
                        yield piece

        return StreamingResponse(
            pieces(), media_type=formats.content_type("nt"), headers={"content-length": str(size)}
        )

    async def context(request: Request) -> Response:
        from kzgraph.serialization import context_document

        return Response(
            context_document(PREFIXES).encode(),
            media_type=formats.content_type("jsonld"),
            headers={"cache-control": "max-age=3600"},
        )

    async def stylesheet(request: Request) -> Response:
        return Response(
            (STATIC / "kzgraph.css").read_bytes(),
            media_type="text/css; charset=utf-8",
            headers={"cache-control": "max-age=3600"},
        )

    async def favicon(request: Request) -> Response:
        return Response(
            (STATIC / "favicon.ico").read_bytes(),
            media_type="image/vnd.microsoft.icon",
            headers={"cache-control": "max-age=86400"},
        )

    async def limits(request: Request) -> Response:
        body = pages.limits_page(config.max_results, config.timeout, config.max_body)
        return Response(body, media_type="text/html; charset=utf-8")

    async def update(request: Request) -> Response:
        raise HttpError(403, "this endpoint is read-only: SPARQL Update is not accepted")

    async def store(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise HttpError(
                405,
                f"this endpoint is read-only: {request.method} is not allowed",
                {"allow": "GET, HEAD"},
            )
        return await dump(request)

    # ---- errors

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HttpError)
        return _error_response(request, exc.status, exc.message, exc.headers)

    async def on_kzgraph_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, KzgraphError)
        return _error_response(request, _status_of(exc), _message(exc))

    async def on_starlette_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "GET, HEAD")
            return _error_response(
                request,
                405,
                f"this endpoint is read-only: {request.method} is not allowed (allowed: {allowed})",
                {"allow": allowed},
            )
        if exc.status_code == 404:
            return _error_response(request, 404, f"nothing at {request.url.path}")
        return _error_response(request, exc.status_code, str(exc.detail))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await site.pool.start()
        # what is loaded now lives as long as the process: out of the cyclic collector's
        # way, so a full collection no longer walks it in the middle of a request
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await site.pool.close()

    read = ["GET", "HEAD"]
    routes = [
        Route("/", home, methods=read),
        Route("/sparql", sparql, methods=["GET", "HEAD", "POST"]),
        Route("/query/{name}", saved_query, methods=read),
        Route("/resource/{kind}/{slug}", resource, methods=read),
        Route("/ontology", ontology, methods=read),
        Route("/ontology/{version}", ontology_version, methods=read),
        Route("/dataset", dataset_iri, methods=read),
        Route("/dataset/{version}", dataset_iri, methods=read),
        Route("/catalog", dataset_iri, methods=read),
        Route("/graph/{name}", graph_iri, methods=read),
        Route("/sitemap.xml", sitemap, methods=read),
        Route("/robots.txt", robots, methods=read),
        Route("/dump/kzgraph.nt", dump, methods=read),
        Route("/search", search, methods=read),
        Route("/ask", ask, methods=read),
        Route("/.well-known/void", void, methods=read),
        Route("/dump.nt", dump, methods=read),
        Route("/store", store, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/update", update, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/context.jsonld", context, methods=read),
        Route("/static/kzgraph.css", stylesheet, methods=read),
        Route("/favicon.ico", favicon, methods=read),
        Route("/limits", limits, methods=read),
    ]
    logged = (
        [Middleware(AccessLog, logger=access_logger(config.access_log))]
        if config.access_log
        else []
    )
    app = Starlette(
        routes=routes,
        middleware=[
            *logged,
            Middleware(Replay, size=config.cache_size),
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "OPTIONS"],
                # open: YASGUI and other browser clients ask for Authorization,
                # X-Requested-With, Cache-Control...; nothing here depends on a credential
                allow_headers=["*"],
                expose_headers=[
                    "Content-Type",
                    "Vary",
                    "Link",
                    "ETag",
                    "Last-Modified",
                    "Content-Location",
                    "X-Result-Truncated",
                    "X-Result-Limit",
                ],
                max_age=86400,
            ),
            Middleware(NoTraceback),
            Middleware(Compression),
            *([Middleware(RootPath, root=config.root_path)] if config.root_path else []),
            Middleware(Conditional, stamp=site.stamp, modified=site.built),
        ],
        exception_handlers={
            HttpError: on_http_error,
            KzgraphError: on_kzgraph_error,
            HTTPException: on_starlette_error,
        },
        lifespan=lifespan,
    )
    app.state.site = site
    return app


_SLUG = re.compile(r"[^/\x00-\x20<>\"{}|^`\\]+")


class NoTraceback:
    """Outermost guard: an unexpected error becomes a 500 and one log line, never a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            log.error(
                "kzgraph serve: 500 %s %s: %s: %s",
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
                _one_line(exc),
            )
            if not started:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"internal error (logged by the server)\n",
                    }
                )


def app_from_env() -> Starlette:
    """uvicorn factory for worker processes: the config comes in ``$KZGRAPH_SERVE_CONFIG``."""
    return create_app(ServeConfig.from_json(os.environ[CONFIG_ENV]))


def config_for(entry: Any, project: Any, **options: Any) -> ServeConfig:
    """A ServeConfig for a cache entry and a project (``options``: any ServeConfig field)."""
    files = (
        [entry.asserted_path]
        if options.get("asserted")
        else [entry.asserted_path, entry.inferred_path]
    )
    return ServeConfig(
        graph_files=tuple(str(f) for f in files),
        ontology_files=tuple(str(f) for f in project.ontology_files()),
        queries_dir=str(project.queries_dir),
        **{"search_dir": str(entry.path), "data_dir": str(project.data_dir), **options},
    )


class _UvicornOptions(TypedDict):
    """The keyword arguments ``run`` passes to both ``uvicorn.run`` and ``uvicorn.Config``."""

    host: str
    port: int
    http: type[asyncio.Protocol] | str
    access_log: bool
    log_level: str
    timeout_graceful_shutdown: int
    server_header: bool
    root_path: str


def run(config: ServeConfig) -> None:
    """Serve until interrupted (blocking)."""
    import uvicorn

    http: type[asyncio.Protocol] | str
    try:  # httptools, reading the body of an h2c upgrade offer too (kzgraph.http_protocol)
        from kzgraph.http_protocol import PlainUpgradeProtocol

        http = PlainUpgradeProtocol
    except ImportError:  # pragma: no cover - the pure-Python parser also works
        http = "h11"
    common = _UvicornOptions(
        host=config.host,
        port=config.port,
        http=http,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
        server_header=False,
        root_path=config.root_path,
    )
    if config.workers <= 1:
        uvicorn.run(create_app(config), **common)
        return
    # Each HTTP process listens on a socket of its own, all bound to the port with
    # SO_REUSEPORT, so that the kernel spreads connections over the processes: on one
    # shared socket the process that woke first accepted every waiting connection (asyncio
    # accepts in a loop), and wrk's 8 connections all went to one process while the other
    # idled.  The sockets are made here with an explicit IPPROTO_TCP: uvicorn's own
    # (protocol 0) makes asyncio skip TCP_NODELAY on accepted connections, and every
    # keep-alive response then waited ~40 ms for a delayed ACK.
    os.environ[CONFIG_ENV] = config.to_json()
    uv_config = uvicorn.Config(
        "kzgraph.serve:app_from_env", factory=True, workers=config.workers, **common
    )
    _supervisor_class()(uv_config, sockets=_listening_sockets(config)).run()


def _listening_sockets(config: ServeConfig) -> list[Any]:
    """One TCP socket per HTTP process on ``config``'s address (ServeError: cannot listen)."""
    import socket

    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET

    def make(reuse_port: bool, port: int) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((config.host, port))
        except OSError as exc:
            sock.close()
            raise ServeError(
                f"cannot listen on {config.host}:{config.port}: {exc.strerror}"
            ) from None
        sock.set_inheritable(True)
        return sock

    # first without SO_REUSEPORT: a port that anything holds, even another server's
    # SO_REUSEPORT group, is refused rather than shared
    probe = make(False, config.port)
    port = probe.getsockname()[1]
    probe.close()
    sockets: list[socket.socket] = []
    try:
        for _ in range(config.workers):
            sockets.append(make(True, port))
    except ServeError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _supervisor_class() -> Any:
    """uvicorn's process supervisor, with process ``i`` always on socket ``i``."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors.multiprocess import Multiprocess, Process

    class Supervisor(Multiprocess):
        def init_processes(self) -> None:
            for sock in self.sockets:
                process = Process(self.config, [sock])
                process.start()
                self.processes.append(process)

        def restart_all(self) -> None:
            for idx, old in enumerate(self.processes):
                if self.should_exit.is_set():
                    return
                new = Process(self.config, [self.sockets[idx]])
                new.start()
                if not new.wait_until_ready(
                    self.config.timeout_worker_healthcheck, self.should_exit
                ):
                    new.kill()
                    new.join()
                    return
                old.terminate()
                old.join()
                self.processes[idx] = new

        def keep_subprocess_alive(self) -> None:
            if self.should_exit.is_set():
                return
            for idx, process in enumerate(self.processes):
                if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                    continue
                process.kill()
                process.join()
                if process.exitcode == STARTUP_FAILURE:
                    log.error("kzgraph serve: an HTTP process failed to start; stopping")
                    self.should_exit.set()
                    return
                if self.should_exit.is_set():
                    return
                fresh = Process(self.config, [self.sockets[idx]])
                fresh.start()
                self.processes[idx] = fresh

    return Supervisor
