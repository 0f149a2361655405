"""Remote endpoints: run SPARQL on any SPARQL 1.1 endpoint, upload with the Graph Store Protocol.

:class:`RemoteEngine` is an :class:`kzgraph.query.Engine` whose queries go over HTTP
(*SPARQL 1.1 Protocol*: ``POST`` with ``Content-Type: application/sparql-query``, or a
form when the server answers 415) to Fuseki, GraphDB, QLever, Virtuoso, Oxigraph or
``kzgraph serve``.  SELECT/ASK answers are read as SPARQL JSON (or XML), CONSTRUCT and
DESCRIBE as N-Triples (or Turtle, RDF/XML, JSON-LD), all into the same
:class:`kzgraph.query.QueryResult` as the local engines, so every output format works.
Saved-query parameters are bound by the same ``VALUES`` block (:func:`kzgraph.query.bind`)
before the text is sent: nothing is pasted into the query, remotely either.

:func:`upload` sends a cache entry's N-Triples with the *SPARQL 1.1 Graph Store HTTP
Protocol* (``PUT`` replaces, ``POST`` adds; ``?default`` or ``?graph=IRI``).

URLs: a bare server URL (no path, e.g. ``http://127.0.0.1:7878``) means Oxigraph's
layout, ``/query`` for queries and ``/store`` for uploads; any other URL is used as
given (Fuseki ``/ds/sparql`` and ``/ds/data``, GraphDB ``/repositories/R`` and
``/repositories/R/rdf-graphs/service``, ...).

Credentials come only from the environment: ``KZGRAPH_ENDPOINT_TOKEN`` (sent as
``Authorization: Bearer``) or ``KZGRAPH_ENDPOINT_USER`` with
``KZGRAPH_ENDPOINT_PASSWORD`` (HTTP Basic).  The token wins when both are set.

Errors are :class:`kzgraph.errors.EndpointError` with one line saying what the server
answered (status and the first line of the body), or why it could not be reached.
Only the standard library is used (``urllib``).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kzgraph.errors import EndpointError
from kzgraph.query import Engine, QueryResult
from kzgraph.sparql_text import query_form
from kzgraph.terms import (
    IRI,
    LABEL_PREDICATES,
    RDF_LANGSTRING,
    XSD_STRING,
    BNode,
    Literal,
    Term,
    from_oxigraph,
    pick_label,
    valid_iri,
)

ENV_USER = "KZGRAPH_ENDPOINT_USER"
ENV_PASSWORD = "KZGRAPH_ENDPOINT_PASSWORD"
ENV_TOKEN = "KZGRAPH_ENDPOINT_TOKEN"
DEFAULT_TIMEOUT = 30.0

RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
GRAPH_ACCEPT = (
    "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5, application/ld+json;q=0.4"
)
_LOOPBACK = ("127.", "localhost", "::1", "[::1]")
USER_AGENT = "kzgraph"


# --------------------------------------------------------------------------- URLs, credentials


def _check_url(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EndpointError(f"not an http(s) URL: {url!r}")
    return parts


def query_url(url: str) -> str:
    """The SPARQL query endpoint: ``<url>/query`` for a bare server URL, else ``url``."""
    parts = _check_url(url)
    if parts.path in ("", "/") and not parts.query:
        return url.rstrip("/") + "/query"
    return url


def store_url(url: str) -> str:
    """The Graph Store endpoint: ``<url>/store`` for a bare server URL, else ``url``."""
    parts = _check_url(url)
    if parts.path in ("", "/") and not parts.query:
        return url.rstrip("/") + "/store"
    return url


def auth_header(environ: Mapping[str, str] | None = None) -> str | None:
    """The ``Authorization`` header value from the environment, or None."""
    env = os.environ if environ is None else environ
    token = env.get(ENV_TOKEN, "")
    if token:
        return f"Bearer {token}"
    user = env.get(ENV_USER, "")
    if not user:
        if env.get(ENV_PASSWORD):
            raise EndpointError(f"{ENV_PASSWORD} is set but {ENV_USER} is not")
        return None
    if ENV_PASSWORD not in env:
        raise EndpointError(f"{ENV_USER} is set but {ENV_PASSWORD} is not")
    pair = f"{user}:{env[ENV_PASSWORD]}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _first_line(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line[:300]
    return "(empty body)"


def _opener(url: str) -> urllib.request.OpenerDirector:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host.startswith(_LOOPBACK) or host == "localhost":
        # never send loopback traffic through an http_proxy from the environment
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    content_type: str  # media type without parameters, lower case
    body: bytes


def request(
    method: str,
    url: str,
    *,
    body: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> HttpAnswer:
    """One HTTP request; a 2xx answer is returned, anything else raises EndpointError."""
    _check_url(url)
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    auth = auth_header(environ)
    if auth:
        sent["Authorization"] = auth
    req = urllib.request.Request(url, data=body, headers=sent, method=method)
    try:
        with _opener(url).open(req, timeout=timeout) as response:
            data = response.read()
            status = response.status
            media = response.headers.get_content_type() or ""
    except urllib.error.HTTPError as error:
        try:
            answer = error.read()
        except OSError:
            answer = b""
        reason = f" {error.reason}" if error.reason else ""
        raise EndpointError(f"{url} answered {error.code}{reason}: {_first_line(answer)}") from None
    except urllib.error.URLError as error:
        why = error.reason
        if isinstance(why, TimeoutError):
            raise EndpointError(f"{url} did not answer within {timeout:g} s") from None
        if isinstance(why, ConnectionRefusedError):
            raise EndpointError(f"cannot reach {url}: connection refused") from None
        text = getattr(why, "strerror", None) or str(why)
        raise EndpointError(f"cannot reach {url}: {text}") from None
    except TimeoutError:
        raise EndpointError(f"{url} did not answer within {timeout:g} s") from None
    except OSError as error:  # a reset connection, a broken pipe while sending
        raise EndpointError(f"cannot reach {url}: {error.strerror or error}") from None
    except http.client.HTTPException as error:  # the server broke the protocol
        raise EndpointError(f"{url} sent a malformed HTTP answer: {error!r}") from None
    return HttpAnswer(status, media.lower(), data)


# --------------------------------------------------------------------------- results


def _json_term(cell: Mapping[str, Any], url: str) -> Term:
    kind = cell.get("type")
    value = str(cell.get("value", ""))
    if kind == "uri":
        return IRI(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        lang = cell.get("xml:lang")
        if lang:
            return Literal(value, language=str(lang))
        datatype = cell.get("datatype") or XSD_STRING
        if datatype == RDF_LANGSTRING:  # a language string without its tag: keep the text
            datatype = XSD_STRING
        return Literal(value, str(datatype))
    raise EndpointError(f"{url} sent a result term kzgraph cannot read: type {kind!r}")


def parse_results_json(body: bytes, url: str = "the endpoint") -> QueryResult:
    """SPARQL 1.1 Query Results JSON -> QueryResult (row order kept)."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise EndpointError(f"{url} sent results that are not JSON: {error}") from None
    if not isinstance(doc, dict):
        raise EndpointError(f"{url} sent JSON that is not a SPARQL result")
    if "boolean" in doc:
        return QueryResult("ask", boolean=bool(doc["boolean"]))
    try:
        variables = tuple(str(v) for v in doc["head"].get("vars", []))
        bindings = doc["results"]["bindings"]
    except (KeyError, TypeError, AttributeError):
        raise EndpointError(f"{url} sent JSON that is not a SPARQL result") from None
    rows = tuple(
        tuple(_json_term(b[v], url) if v in b else None for v in variables) for b in bindings
    )
    return QueryResult("select", variables, rows)


_SRX = "{http://www.w3.org/2005/sparql-results#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def parse_results_xml(body: bytes, url: str = "the endpoint") -> QueryResult:
    """SPARQL Query Results XML -> QueryResult."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise EndpointError(f"{url} sent results that are not XML: {error}") from None
    boolean = root.find(f"{_SRX}boolean")
    if boolean is not None:
        return QueryResult("ask", boolean=(boolean.text or "").strip() == "true")
    variables = tuple(v.get("name", "") for v in root.iter(f"{_SRX}variable"))
    rows = []
    for result in root.iter(f"{_SRX}result"):
        found: dict[str, Term] = {}
        for binding in result.findall(f"{_SRX}binding"):
            node = binding[0]
            tag = node.tag[len(_SRX) :]
            text = node.text or ""
            if tag == "uri":
                found[binding.get("name", "")] = IRI(text)
            elif tag == "bnode":
                found[binding.get("name", "")] = BNode(text)
            elif node.get(_XML_LANG):
                found[binding.get("name", "")] = Literal(text, language=node.get(_XML_LANG))
            else:
                found[binding.get("name", "")] = Literal(text, node.get("datatype") or XSD_STRING)
        rows.append(tuple(found.get(v) for v in variables))
    return QueryResult("select", variables, tuple(rows))


def parse_graph(body: bytes, media: str, url: str = "the endpoint") -> QueryResult:
    """An RDF answer (CONSTRUCT/DESCRIBE) -> QueryResult of kind ``graph``."""
    import pyoxigraph as ox

    fmt = ox.RdfFormat.from_media_type(media) if media else None
    if fmt is None:
        raise EndpointError(f"{url} answered with {media or 'no media type'}, not RDF")
    try:
        triples = tuple(
            (from_oxigraph(q.subject), from_oxigraph(q.predicate), from_oxigraph(q.object))
            for q in ox.parse(body, format=fmt)
        )
    except (SyntaxError, ValueError) as error:
        raise EndpointError(f"{url} sent {media} that does not parse: {error}") from None
    return QueryResult("graph", triples=triples)


# --------------------------------------------------------------------------- the engine


class RemoteEngine(Engine):
    """Queries run on a remote SPARQL 1.1 endpoint."""

    name = "endpoint"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.url = query_url(url)
        self.timeout = timeout
        self.environ = environ
        auth_header(environ)  # report a half-set credential before any query runs

    def _post(self, text: str, accept: str) -> HttpAnswer:
        headers = {"Accept": accept, "Content-Type": "application/sparql-query; charset=utf-8"}
        try:
            return request(
                "POST",
                self.url,
                body=text.encode("utf-8"),
                headers=headers,
                timeout=self.timeout,
                environ=self.environ,
            )
        except EndpointError as error:
            if " answered 415" not in str(error):
                raise
        # the server does not take a query as the body: send the form instead
        form = urllib.parse.urlencode({"query": text}).encode("ascii")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return request(
            "POST", self.url, body=form, headers=headers, timeout=self.timeout,
            environ=self.environ,
        )  # fmt: skip

    def run(self, text: str, origin: str | None = None) -> QueryResult:
        from dataclasses import replace

        started = time.perf_counter()
        form = query_form(text)
        graph = form in ("CONSTRUCT", "DESCRIBE")
        answer = self._post(text, GRAPH_ACCEPT if graph else RESULTS_ACCEPT)
        media = answer.content_type
        if media in ("application/sparql-results+json", "application/json") and not graph:
            result = parse_results_json(answer.body, self.url)
        elif media in ("application/sparql-results+xml", "application/xml", "text/xml") and (
            not graph
        ):
            result = parse_results_xml(answer.body, self.url)
        elif graph:
            result = parse_graph(answer.body, media, self.url)
        else:
            raise EndpointError(
                f"{self.url} answered a {form or 'SPARQL'} query with {media or 'no media type'}"
                ", not SPARQL results"
            )
        return replace(result, seconds=time.perf_counter() - started)

    def triples(
        self, s: Term | None = None, p: Term | None = None, o: Term | None = None
    ) -> Iterator[tuple[Term, Term, Term]]:
        pattern = zip((s, p, o), "spo", strict=True)
        parts = [t.n3() if t is not None else f"?{v}" for t, v in pattern]
        result = self.run(f"SELECT * WHERE {{ {' '.join(parts)} }}")
        for row in result.rows:
            values = dict(zip(result.variables, row, strict=True))
            subject = s if s is not None else values["s"]
            predicate = p if p is not None else values["p"]
            obj = o if o is not None else values["o"]
            if subject is None or predicate is None or obj is None:
                raise EndpointError(f"{self.url} left a variable of a triple pattern unbound")
            yield subject, predicate, obj

    def __len__(self) -> int:
        result = self.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        cell = result.rows[0][0] if result.rows else None
        return int(cell.value) if cell is not None else 0

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """Labels for ``iris`` in one query; local names where none is found (or it fails)."""
        wanted = sorted({i for i in iris if valid_iri(i)})
        found: dict[str, list[tuple[str, Literal]]] = {i: [] for i in wanted}
        if wanted:
            subjects = " ".join(IRI(i).n3() for i in wanted)
            predicates = " ".join(IRI(p).n3() for p in LABEL_PREDICATES)
            text = (
                f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {subjects} }} "
                f"VALUES ?p {{ {predicates} }} ?s ?p ?o FILTER(isLiteral(?o)) }}"
            )
            try:
                result = self.run(text)
            except EndpointError:
                result = QueryResult("select")
            for s, p, o in result.rows:
                if isinstance(s, IRI) and isinstance(p, IRI) and isinstance(o, Literal):
                    found.setdefault(s.value, []).append((p.value, o))
        return {iri: pick_label(iri, pairs) for iri, pairs in found.items()}


# --------------------------------------------------------------------------- upload


@dataclass(frozen=True)
class Upload:
    url: str  # the request URL, with ?default or ?graph=
    graph: str | None  # None: the default graph
    method: str  # PUT (replace) or POST (add)
    triples: int
    bytes: int
    status: int
    seconds: float


def _ntriples_chunks(files: Iterable[Path]) -> Iterator[bytes]:
    """The files' bytes, with a newline after a file that lacks its last one."""
    for path in files:
        tail = b"\n"
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                tail = chunk[-1:]
                yield chunk
        if tail != b"\n":
            yield b"\n"


def _count_lines(files: Iterable[Path]) -> tuple[int, int]:
    """(triples, bytes to send) of the N-Triples files."""
    triples = size = 0
    for path in files:
        data = path.read_bytes()
        size += len(data) + (0 if not data or data.endswith(b"\n") else 1)
        triples += sum(1 for line in data.split(b"\n") if line.strip() and line[:1] != b"#")
    return triples, size


def graph_url(url: str, graph: str | None) -> str:
    """The Graph Store request URL for ``graph`` (None = the default graph)."""
    target = store_url(url)
    if graph is not None and not (valid_iri(graph) and graph.split(":", 1)[0] != ""):
        raise EndpointError(f"--graph needs an absolute IRI, got {graph!r}")
    query = "default" if graph is None else "graph=" + urllib.parse.quote(graph, safe="")
    return f"{target}{'&' if '?' in target else '?'}{query}"


def upload(
    files: Iterable[Path],
    url: str,
    *,
    graph: str | None = None,
    replace: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> Upload:
    """Send N-Triples ``files`` as one graph (PUT replaces it, POST adds to it)."""
    paths = list(files)
    target = graph_url(url, graph)
    triples, size = _count_lines(paths)
    method = "PUT" if replace else "POST"
    started = time.perf_counter()
    answer = request(
        method,
        target,
        body=_ntriples_chunks(paths),
        headers={
            "Content-Type": "application/n-triples; charset=utf-8",
            "Content-Length": str(size),
        },
        timeout=timeout,
        environ=environ,
    )
    return Upload(
        target, graph, method, triples, size, answer.status, time.perf_counter() - started
    )
