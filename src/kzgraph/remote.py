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
Protocol* (``PUT`` replaces, ``POST`` adds; ``?default`` or ``?graph=IRI``), then reads the
graph back (``GET``, same URL) and compares its count of triples with what was sent.

URLs: a bare server URL (no path, e.g. ``http://127.0.0.1:7878``) means Oxigraph's
layout, ``/query`` for queries and ``/store`` for uploads; any other URL is used as
given (Fuseki ``/ds/sparql`` and ``/ds/data``, GraphDB ``/repositories/R`` and
``/repositories/R/rdf-graphs/service``, ...).

Credentials: ``KZGRAPH_ENDPOINT_TOKEN`` (sent as ``Authorization: Bearer``), or
``KZGRAPH_ENDPOINT_USER`` with ``KZGRAPH_ENDPOINT_PASSWORD`` (HTTP Basic; the token wins
when both are set), or ``user:password@`` in the URL (HTTP Basic, percent-decoded; not
together with the variables).  The rule this module keeps: credentials go to the
endpoint's origin (scheme, host, port) only and appear in no message.  Redirects are
never followed on upload; a query follows up to 5 within its origin.  A URL with user
info or plain http to another host gives warnings (:attr:`Endpoint.warnings`): the
caller shows them, this module prints nothing.

Errors are :class:`kzgraph.errors.EndpointError` with one line saying what the server
answered (status and the first line of the body, read even when the server answered
before taking the whole request body), or why it could not be reached.  Only the
standard library is used (``http.client``) and pyoxigraph to read RDF.
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import ipaddress
import json
import os
import re
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kzgraph.engine import Engine, QueryResult
from kzgraph.errors import EndpointError
from kzgraph.export import rebase_query
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
USER_AGENT = "kzgraph"


# --------------------------------------------------------------------------- URLs, credentials


def redact(url: str) -> str:
    """``url`` with the password of any ``user:password@`` replaced by ``***``, for messages.

    It errs on the side of hiding: text before the last ``@`` that looks like user info is
    masked even when the URL does not parse (a password with an unencoded ``/`` or ``#``)."""
    at = url.rfind("@")
    if at < 0:
        return url
    start = url.find("://") + 3 if "://" in url[:at] else 0
    userinfo = url[start:at]
    if ":" not in userinfo:
        return url
    return f"{url[:start]}{userinfo.split(':', 1)[0]}:***{url[at:]}"


def _check_url(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"not an http(s) URL: {redact(url)!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise EndpointError(f"not a valid port in {redact(url)!r}") from None
    return parts


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1): traffic stays here."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``, the default port filled in: what may see credentials."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


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


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


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
    return _basic(user, env[ENV_PASSWORD])


@dataclass(frozen=True)
class Endpoint:
    """A checked endpoint: its URL without user info, and what to send there."""

    url: str  # never holds credentials: safe to show
    auth: str | None  # the Authorization header value, sent to this URL's origin only
    warnings: tuple[str, ...] = ()  # for the user, before anything is sent


def parse_endpoint(url: str, environ: Mapping[str, str] | None = None) -> Endpoint:
    """Check ``url`` and take its credentials: ``user:password@`` in the URL (HTTP Basic,
    percent-decoded, removed from the URL) or the ``KZGRAPH_ENDPOINT_*`` variables, not both."""
    parts = _check_url(url)
    warnings = []
    if "@" not in parts.netloc:
        auth = auth_header(environ)
        clean = url
    else:
        env = os.environ if environ is None else environ
        taken = [name for name in (ENV_TOKEN, ENV_USER, ENV_PASSWORD) if env.get(name)]
        if taken:
            raise EndpointError(
                f"credentials both in the --endpoint URL and in {taken[0]}: give them in one place"
            )
        if parts.password is None:
            raise EndpointError(
                f"the --endpoint URL names user {parts.username!r} but no password: give "
                f"user:password@ or set {ENV_USER} and {ENV_PASSWORD}"
            )
        user = urllib.parse.unquote(parts.username or "")
        auth = _basic(user, urllib.parse.unquote(parts.password))
        clean = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        warnings.append(
            "the password in the --endpoint URL is visible to other users (ps) and in shell "
            f"history: {ENV_USER} and {ENV_PASSWORD} keep it out"
        )
    if auth and parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        warnings.append(f"credentials go unencrypted (plain http) to {parts.hostname}: use https")
    return Endpoint(clean, auth, tuple(warnings))


def _first_line(body: bytes, media: str = "") -> str:
    """The first line of text of an answer's body (of an HTML page: without its tags)."""
    text = body.decode("utf-8", errors="replace")
    if media == "text/html":  # nginx's "<html>\n<head><title>413 Request Entity Too Large..."
        text = re.sub(r"<[^>]*>", " ", text)
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line[:300]
    return "(empty body)"


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    content_type: str  # media type without parameters, lower case
    body: bytes


@dataclass(frozen=True)
class _Reply:
    status: int
    reason: str
    content_type: str
    location: str | None  # absolute
    body: bytes
    complete: bool  # False: the server answered before it took the whole body
    counted: int | None = None  # the triples of an N-Triples body counted as it came (no body)


REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


def _connection(
    parts: urllib.parse.SplitResult, timeout: float
) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection for ``parts`` (through the environment's proxy unless loopback or
    no_proxy), the request target, and headers for the proxy."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxy = None
    if not is_loopback(host) and not urllib.request.proxy_bypass(host):
        proxy = urllib.request.getproxies().get(parts.scheme)
    context = ssl.create_default_context() if parts.scheme == "https" else None
    if not proxy:
        if context is None:
            return http.client.HTTPConnection(host, port, timeout=timeout), target, {}
        https = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        return https, target, {}
    via = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    extra = {}
    if via.username:
        user, password = (urllib.parse.unquote(v or "") for v in (via.username, via.password))
        extra["Proxy-Authorization"] = _basic(user, password)
    proxy_port = via.port or 80
    if context is None:  # plain http through the proxy: absolute URL as the target
        absolute = urllib.parse.urlunsplit(parts._replace(fragment=""))
        conn = http.client.HTTPConnection(via.hostname or "", proxy_port, timeout=timeout)
        return conn, absolute, extra
    conn = http.client.HTTPSConnection(
        via.hostname or "", proxy_port, timeout=timeout, context=context
    )
    conn.set_tunnel(host, port, headers=extra)
    return conn, target, {}


def _send(conn: http.client.HTTPConnection, body: bytes | Iterable[bytes] | None) -> OSError | None:
    """Send the body; the error that stopped it (a broken pipe, a reset, a time-out), if any."""
    chunks = [body] if isinstance(body, bytes) else (body or ())
    try:
        for chunk in chunks:
            conn.send(chunk)
    except OSError as error:
        return error
    return None


def _exchange(
    method: str,
    url: str,
    body: bytes | Iterable[bytes] | None,
    headers: Mapping[str, str],
    timeout: float,
    count: bool = False,
) -> _Reply:
    """One request and its answer, redirects not followed.  A server that answers before
    it has read the whole body (a proxy's 413) is heard: after a broken pipe its answer
    is read, and reported instead of the broken pipe.  ``count``: a 2xx answer in
    N-Triples is not kept but its triples counted as it arrives (``counted``), so reading
    back a graph of any size takes no memory."""
    conn, target, extra = _connection(urllib.parse.urlsplit(url), timeout)
    broken: OSError | None = None
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in {**headers, **extra}.items():
            conn.putheader(name, value)
        try:
            conn.endheaders()
            broken = _send(conn, body)
            if broken is not None and conn.sock is not None:
                conn.sock.settimeout(min(timeout, 5.0))  # an early answer is there already
            response = conn.getresponse()
            media = (response.headers.get_content_type() or "").lower()
            counted = None
            if count and 200 <= response.status < 300 and media == "application/n-triples":
                data, counted = b"", _count_ntriples(iter(lambda: response.read(1 << 20), b""))
            else:
                data = response.read()
        except OSError as error:
            if broken is not None:
                raise _unreachable(url, broken, timeout, sending=True) from None
            raise _unreachable(url, error, timeout) from None
    except http.client.HTTPException as error:  # the server broke the protocol
        raise EndpointError(f"{url} sent a malformed HTTP answer: {error!r}") from None
    finally:
        conn.close()
    location = response.headers.get("Location")
    return _Reply(
        response.status,
        response.reason,
        media,
        urllib.parse.urljoin(url, location) if location else None,
        data,
        broken is None,
        counted,
    )


#: a line of N-Triples that holds no triple (empty, blanks, a comment), after its newline
_NOT_A_TRIPLE = re.compile(rb"\n[ \t\r]*(?:#[^\n]*)?(?=\n)")


def _count_ntriples(chunks: Iterable[bytes]) -> int:
    """The triples of an N-Triples document given in chunks: its lines that are neither
    empty nor a comment (one triple per line)."""
    count = 0
    rest = b""
    for chunk in chunks:
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        complete, rest = data[:cut], data[cut:]
        count += complete.count(b"\n") - len(_NOT_A_TRIPLE.findall(b"\n" + complete))
    return count + bool(rest.strip() and not rest.lstrip().startswith(b"#"))


def _unreachable(
    url: str, error: OSError, timeout: float, *, sending: bool = False
) -> EndpointError:
    if isinstance(error, TimeoutError):
        what = "take the request body" if sending else "answer"
        return EndpointError(f"{url} did not {what} within {timeout:g} s")
    if isinstance(error, ConnectionRefusedError):
        return EndpointError(f"cannot reach {url}: connection refused")
    text = error.strerror or str(error) or type(error).__name__
    if sending:
        return EndpointError(
            f"{url} closed the connection while the request was sent ({text}), without an answer"
        )
    return EndpointError(f"cannot reach {url}: {text}")


def _suggestion(location: str, url: str) -> str:
    """``location`` without the ``?default``/``?graph=`` part kzgraph adds to an upload URL."""
    if "?" not in url:
        return location
    added = url.rsplit("?", 1)[1].rsplit("&", 1)[-1]
    for sep in "?&":
        if location.endswith(sep + added):
            return location[: -len(added) - 1]
    return location


def _redirect(url: str, reply: _Reply, follow: bool) -> str:
    """The URL to follow ``reply``'s redirect to; EndpointError when it may not be followed."""
    head = f"{url} answered {reply.status} {reply.reason}"
    if reply.location is None:
        raise EndpointError(f"{head} without a Location to redirect to")
    where = redact(reply.location)
    if not follow:
        raise EndpointError(
            f"{head}, redirecting to {where}; kzgraph does not follow redirects on upload: "
            f"use --endpoint {_suggestion(where, url)}"
        )
    if origin(reply.location) != origin(url):
        raise EndpointError(
            f"{head}, redirecting to {where} on another origin; kzgraph follows a query's "
            f"redirects within its origin (scheme, host, port) only: use --endpoint {where}"
        )
    parts = urllib.parse.urlsplit(reply.location)
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _fetch(
    method: str,
    url: str,
    *,
    body: bytes | Iterable[bytes] | None,
    headers: Mapping[str, str] | None,
    timeout: float,
    auth: str | None,
    follow: bool,
    count: bool = False,
) -> tuple[str, _Reply]:
    """The final URL and its answer (any status but a redirect), following redirects as
    :func:`request` says (``count``: as :func:`_exchange`)."""
    _check_url(url)
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    if isinstance(body, bytes):
        sent["Content-Length"] = str(len(body))
    if auth:
        sent["Authorization"] = auth
    follow = follow and (body is None or isinstance(body, bytes))  # a stream is sent once
    for _ in range(MAX_REDIRECTS + 1):
        reply = _exchange(method, url, body, sent, timeout, count)
        if reply.status not in REDIRECTS:
            return url, reply
        url = _redirect(url, reply, follow)
        if reply.status == 303 and method != "GET":  # "see other": GET it, without a body
            method, body = "GET", None
            sent = {k: v for k, v in sent.items() if k not in ("Content-Type", "Content-Length")}
    raise EndpointError(f"{url} redirected more than {MAX_REDIRECTS} times")


def request(
    method: str,
    url: str,
    *,
    body: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    auth: str | None = None,
    follow: bool = True,
) -> HttpAnswer:
    """One HTTP request; a 2xx answer is returned, anything else raises EndpointError.

    Redirects: with ``follow`` (queries) up to 5 are followed within the URL's origin
    (scheme, host and port), 301/302/307/308 with the same method and body, 303 as a GET;
    one to another origin is refused, so ``auth`` never leaves its origin.  Without
    ``follow`` (uploads) none is followed: the error names the Location.  A body given as
    a stream of chunks (an upload) needs its Content-Length header and is never resent."""
    url, reply = _fetch(
        method, url, body=body, headers=headers, timeout=timeout, auth=auth, follow=follow
    )
    head = f"{url} answered {reply.status} {reply.reason}".rstrip()
    if not 200 <= reply.status < 300:
        hint = None
        size = int(
            (headers or {}).get("Content-Length") or (len(body) if isinstance(body, bytes) else 0)
        )
        if reply.status == 413 and size:
            hint = (
                f"the request body was {size / 1e6:.2f} MB: raise the body size limit of the "
                "server or of the proxy in front of it (nginx: client_max_body_size)"
            )
        raise EndpointError(f"{head}: {_first_line(reply.body, reply.content_type)}", hint=hint)
    if not reply.complete:
        raise EndpointError(f"{head} before it had taken the whole request body")
    return HttpAnswer(reply.status, reply.content_type, reply.body)


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
        resource_base: str | None = None,
    ) -> None:
        target = parse_endpoint(url, environ)  # a half-set credential fails here, not later
        self.url = query_url(target.url)
        self.auth = target.auth
        self.warnings = target.warnings
        self.timeout = timeout
        #: where the store's resources live when it holds a rebased export (export --base):
        #: every query's resource IRIs (prefixes, IRIs, string constants) are moved there
        self.resource_base = resource_base

    def _post(self, text: str, accept: str) -> HttpAnswer:
        headers = {"Accept": accept, "Content-Type": "application/sparql-query; charset=utf-8"}
        try:
            return request(
                "POST",
                self.url,
                body=text.encode("utf-8"),
                headers=headers,
                timeout=self.timeout,
                auth=self.auth,
            )
        except EndpointError as error:
            if " answered 415" not in str(error):
                raise
        # the server does not take a query as the body: send the form instead
        form = urllib.parse.urlencode({"query": text}).encode("ascii")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return request(
            "POST", self.url, body=form, headers=headers, timeout=self.timeout, auth=self.auth
        )

    def run(self, text: str, origin: str | None = None) -> QueryResult:
        from dataclasses import replace

        started = time.perf_counter()
        text = rebase_query(text, self.resource_base)
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
class Verification:
    """The graph's size read back (GET) around an upload.

    Counts, not content: stores normalise literals (Oxigraph keeps ``"2"^^xsd:nonNegativeInteger``
    as ``xsd:integer``), so a sent triple may come back spelled otherwise but counted once."""

    sent: int  # distinct triples sent
    sent_blank: int  # of which with a blank node: a POST adds them again every time
    before: int | None  # the graph's triples before a POST (None for a PUT)
    after: int  # the graph's triples after the upload


@dataclass(frozen=True)
class Upload:
    url: str  # the request URL, with ?default or ?graph=; never holds credentials
    graph: str | None  # None: the default graph
    method: str  # PUT (replace) or POST (add)
    triples: int
    bytes: int
    status: int
    seconds: float
    verified: Verification | None = None
    not_verified: str = ""  # why not, and how to check by hand (when verified is None)


#: an upload's parts: cache files (N-Triples, one triple per line), or N-Triples bytes
Parts = Sequence[Path | bytes]


def _blocks(parts: Parts, convert: Callable[[bytes], bytes] | None) -> Iterator[bytes]:
    """The bytes to send: each file in blocks of whole lines (through ``convert``), then
    each bytes part; every part ends with a newline."""
    from kzgraph.export import line_blocks

    for part in parts:
        if isinstance(part, bytes):
            if part:
                yield part if part.endswith(b"\n") else part + b"\n"
            continue
        for block in line_blocks(part):
            yield convert(block) if convert else block


def _measure(parts: Parts, convert: Callable[[bytes], bytes] | None) -> tuple[int, int, int]:
    """(triples, bytes, triples with a blank node) of what :func:`_blocks` sends.  A bytes
    part is parsed (its distinct triples); a file is counted by its lines, one triple
    each: a cache file holds each triple once, and its parts (asserted, inferred) are
    disjoint."""
    from kzgraph.export import blank_lines

    triples = size = blank = 0
    for part in parts:
        if isinstance(part, bytes):
            distinct, with_blank = _count_triples(part, "application/n-triples", "the upload")
            triples, blank = triples + distinct, blank + with_blank
            size += len(part) + (0 if not part or part.endswith(b"\n") else 1)
            continue
        for block in _blocks([part], convert):
            triples += _count_ntriples([block])
            size += len(block)
            blank += blank_lines(block)
    return triples, size, blank


def graph_url(url: str, graph: str | None) -> str:
    """The Graph Store request URL for ``graph`` (None = the default graph)."""
    target = store_url(url)
    if graph is not None and not (valid_iri(graph) and graph.split(":", 1)[0] != ""):
        raise EndpointError(f"--graph needs an absolute IRI, got {graph!r}")
    query = "default" if graph is None else "graph=" + urllib.parse.quote(graph, safe="")
    return f"{target}{'&' if '?' in target else '?'}{query}"


def upload(
    files: Parts | bytes,
    url: str | Endpoint,
    *,
    graph: str | None = None,
    replace: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Mapping[str, str] | None = None,
    verify: bool = True,
    convert: Callable[[bytes], bytes] | None = None,
) -> Upload:
    """Send N-Triples as one graph (PUT replaces it, POST adds to it); with ``verify``,
    count the graph's triples (GET, same URL) before a POST and after either.

    ``files``: N-Triples bytes, or parts sent one after another: cache files, streamed in
    blocks of whole lines through ``convert`` (publish turns blank nodes into skolem IRIs
    there), and bytes.  Nothing is held in memory whole: the files are read twice (their
    size first, for Content-Length), and the graph read back is counted as it arrives.

    Redirects are never followed (the error names the Location).  A count that cannot be
    what was sent raises EndpointError (see :func:`_check_counts`); a store that does not
    let the graph be read leaves ``verified`` None and says why in ``not_verified``."""
    target = url if isinstance(url, Endpoint) else parse_endpoint(url, environ)
    parts: Parts = [files] if isinstance(files, bytes) else list(files)
    request_url = graph_url(target.url, graph)
    sent, size, sent_blank = _measure(parts, convert)
    method = "PUT" if replace else "POST"
    before: int | str | None = None
    if verify and not replace:
        before = _graph_size(request_url, target, timeout)
    started = time.perf_counter()
    answer = request(
        method,
        request_url,
        body=_blocks(parts, convert),
        headers={
            "Content-Type": "application/n-triples; charset=utf-8",
            "Content-Length": str(size),
        },
        timeout=timeout,
        auth=target.auth,
        follow=False,
    )
    done = Upload(
        request_url, graph, method, sent, size, answer.status, time.perf_counter() - started
    )
    if not verify:
        return dataclasses.replace(done, not_verified="--no-verify")
    after = before if isinstance(before, str) else _graph_size(request_url, target, timeout)
    if isinstance(before, str) or isinstance(after, str):
        why = f"{before if isinstance(before, str) else after}; {_how_to_check(done, target, sent)}"
        return dataclasses.replace(done, not_verified=why)
    checked = Verification(sent, sent_blank, before, after)
    _check_counts(done, checked)
    return dataclasses.replace(done, verified=checked)


def _count_triples(body: bytes, media: str, url: str) -> tuple[int, int]:
    """(distinct triples of an RDF document, of which with a blank node)."""
    import pyoxigraph as ox

    if not body.strip():
        return 0, 0
    fmt = ox.RdfFormat.from_media_type(media) if media else None
    if fmt is None:
        raise EndpointError(f"{url} answered with {media or 'no media type'}, not RDF")
    seen: set[tuple[str, str, str]] = set()
    blank = 0
    try:
        for quad in ox.parse(body, format=fmt):
            key = (str(quad.subject), str(quad.predicate), str(quad.object))
            if key not in seen:
                seen.add(key)
                blank += isinstance(quad.subject, ox.BlankNode) or isinstance(
                    quad.object, ox.BlankNode
                )
    except (SyntaxError, ValueError) as error:
        raise EndpointError(f"{url} sent {media} that does not parse: {error}") from None
    return len(seen), blank


def _graph_size(url: str, target: Endpoint, timeout: float) -> int | str:
    """The number of triples in the graph at ``url`` (GET), or why it cannot be read."""
    try:
        url, reply = _fetch(
            "GET", url, body=None, headers={"Accept": GRAPH_ACCEPT}, timeout=timeout,
            auth=target.auth, follow=False, count=True,
        )  # fmt: skip
    except EndpointError as error:
        return f"reading the graph back: {error}"
    if reply.status == 404:  # the Graph Store Protocol's answer for a graph that is not there
        return 0
    if not 200 <= reply.status < 300:
        first = _first_line(reply.body, reply.content_type)
        return f"a GET of {url} answered {reply.status} {reply.reason}: {first}"
    if reply.counted is not None:
        return reply.counted
    try:
        return _count_triples(reply.body, reply.content_type, f"a GET of {url}")[0]
    except EndpointError as error:
        return str(error)


def _check_counts(done: Upload, checked: Verification) -> None:
    """EndpointError unless the counts fit the upload: a PUT leaves at least the triples
    sent (more: the store's own inferences); a POST leaves at least as many, and adds the
    triples with blank nodes again (RDF: a document's blank nodes are new nodes)."""
    head = f"{done.url} answered {done.status} to the {done.method}, but"
    sent, after = checked.sent, checked.after
    if after < sent:
        raise EndpointError(f"{head} the graph holds {after} triples, fewer than the {sent} sent")
    if checked.before is not None and after - checked.before < checked.sent_blank:
        raise EndpointError(
            f"{head} the graph grew by {after - checked.before} triples, fewer than the "
            f"{checked.sent_blank} sent with blank nodes (new nodes on every POST)"
        )


def _how_to_check(done: Upload, target: Endpoint, sent: int) -> str:
    parts = urllib.parse.urlsplit(target.url)
    bare = parts.path in ("", "/") and not parts.query
    where = query_url(target.url) if bare else "QUERY-URL"
    pattern = "?s ?p ?o" if done.graph is None else f"GRAPH <{done.graph}> {{ ?s ?p ?o }}"
    return (
        f"count the triples with: kzgraph sparql 'SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}'"
        f" --endpoint {where} (expect {sent}"
        + (")" if done.method == "PUT" else " or more: the graph was added to)")
    )
