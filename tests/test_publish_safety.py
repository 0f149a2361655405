"""kzgraph publish and --endpoint are safe with what a network does: issue 17, part 1.

Every server here is real and listens on 127.0.0.1: ``http.server`` in a thread for stores
that redirect, record headers, store nothing or store in memory, a raw socket server for a
proxy that answers 413 before reading a 1.46 MB body, and the real ``oxigraph serve`` (the
fixture of ``test_remote.py``) for the verification of a real upload.  No request goes to any
other address: the plain-http warning is checked through a loopback proxy (``http_proxy``),
so the non-loopback host name is never even looked up.
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner

from kzgraph.cli import cli
from kzgraph.errors import EndpointError
from kzgraph.remote import (
    RemoteEngine,
    is_loopback,
    parse_endpoint,
    redact,
    request,
    upload,
)
from kzgraph.store import build
from test_remote import ARGS, PROJECT, one_error_line, server  # noqa: F401 - server: a fixture

NO_CREDENTIALS = {
    "KZGRAPH_ENDPOINT_TOKEN": None,
    "KZGRAPH_ENDPOINT_USER": None,
    "KZGRAPH_ENDPOINT_PASSWORD": None,
}
NO_PROXY = {name: None for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY")}
TOKEN = {**NO_CREDENTIALS, **NO_PROXY, "KZGRAPH_ENDPOINT_TOKEN": "s3cret-token"}
REASONS = {301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
           308: "Permanent Redirect"}  # fmt: skip


@pytest.fixture(scope="module")
def entry() -> Any:
    return build(PROJECT).entry


@pytest.fixture(scope="module")
def sent(entry: Any) -> tuple[int, int]:
    """(distinct triples publish sends, of which with a blank node)."""
    import pyoxigraph as ox

    body = entry.asserted_path.read_bytes() + entry.inferred_path.read_bytes()
    triples = {q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}
    blank = sum(1 for t in triples if ox.BlankNode in (type(t.subject), type(t.object)))
    assert blank > 0  # the OWL property chains are lists: the POST checks below need them
    return len(triples), blank


def publish(*args: str, env: dict[str, str | None] | None = None) -> Any:
    return CliRunner().invoke(cli, [*ARGS, "publish", *args], env={**NO_PROXY, **(env or {})})


# --------------------------------------------------------------------------- servers


class Store(BaseHTTPRequestHandler):
    """A tiny Graph Store in memory that records every request.

    ``mode`` (per server): ``honest`` stores N-Triples lines (PUT replaces, POST adds, blank
    nodes renamed per request as a real store does), ``liar`` answers 204 and stores nothing,
    ``no-get`` stores but answers a GET with 405, ``put-appends`` treats a PUT as a POST,
    ``turtle`` answers a GET in Turtle.
    ``redirect`` maps a path to (status, Location) answered to any method.  A request's path
    may be absolute (a proxy's request), as with ``http_proxy``.
    """

    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def record(self) -> tuple[str, bytes]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urllib.parse.urlsplit(self.path)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.server.seen.append(
            {"method": self.command, "target": self.path, "headers": dict(self.headers.items())}
        )
        return path, body

    def handle_any(self) -> None:
        path, body = self.record()
        graphs: dict[str, set[bytes]] = self.server.graphs
        if path in self.server.redirect:
            status, location = self.server.redirect[path]
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path.startswith("/query"):
            doc = b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal",'
            doc += b' "value": "7"}}]}}'
            return self.answer(200, "application/sparql-results+json", doc)
        mode = self.server.mode
        if self.command == "GET":
            if mode == "no-get":
                return self.answer(405, "text/plain", b"GET is not allowed here\n")
            lines = b"".join(line + b"\n" for line in sorted(graphs.get(path, set())))
            media = "text/turtle" if mode == "turtle" else "application/n-triples"
            return self.answer(200, media, lines)
        if mode != "liar":
            self.server.count += 1
            renamed = re.sub(rb"_:(\w+)", rb"_:r%dx\1" % self.server.count, body)
            new = {line for line in renamed.split(b"\n") if line.strip()}
            if self.command == "PUT" and mode != "put-appends":
                graphs[path] = set()
            graphs.setdefault(path, set()).update(new)
        self.answer(204, "text/plain", b"")

    do_GET = do_PUT = do_POST = handle_any  # noqa: N815 - http.server's naming

    def answer(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start_store(mode: str = "honest") -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Store)
    httpd.daemon_threads = True
    httpd.mode = mode  # type: ignore[attr-defined]
    httpd.seen = []  # type: ignore[attr-defined]
    httpd.graphs = {}  # type: ignore[attr-defined]
    httpd.redirect = {}  # type: ignore[attr-defined]
    httpd.count = 0  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture
def stores() -> Iterator[Any]:
    """``stores(mode)`` starts a Store; all are stopped after the test."""
    started: list[ThreadingHTTPServer] = []

    def make(mode: str = "honest") -> tuple[Any, str]:
        httpd, url = start_store(mode)
        started.append(httpd)
        return httpd, url

    yield make
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


NGINX_413 = (
    b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    b"<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class EarlyAnswer:
    """A raw socket server that reads a request's head, answers at once without reading the
    body (as nginx does past client_max_body_size), then ``close``s at once or ``linger``s
    (stops writing, reads and drops what comes for a second, as nginx does) or ``wait``s."""

    def __init__(self, head: bytes, body: bytes, after: str) -> None:
        self.answer = head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
        self.after = after
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.stop = threading.Event()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            self.reply(conn)

    def reply(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
                data += chunk
            self.requests += 1
            conn.sendall(self.answer)
            if self.after == "linger":
                conn.shutdown(socket.SHUT_WR)
                conn.settimeout(1)
                try:
                    while conn.recv(1 << 16):
                        pass
                except OSError:
                    pass
            elif self.after == "wait":
                time.sleep(2)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", sorted(REASONS))
@pytest.mark.parametrize("elsewhere", [False, True], ids=["same-origin", "other-port"])
def test_an_upload_never_follows_a_redirect(stores: Any, status: int, elsewhere: bool) -> None:
    first, url = stores()
    second, other = stores()
    target = other if elsewhere else url
    first.redirect["/store?default"] = (status, f"{target}/new/store?default")
    result = publish("--endpoint", url, "--replace", env=TOKEN)
    assert result.exit_code == 2, result.stderr
    assert one_error_line(result.stderr) == (
        f"Error: {url}/store?default answered {status} {REASONS[status]}, redirecting to "
        f"{target}/new/store?default; kzgraph does not follow redirects on upload: use "
        f"--endpoint {target}/new/store"
    )
    assert "uploaded" not in result.stderr and result.stdout == ""
    assert [r["method"] for r in first.seen] == ["PUT"]  # sent once, not resent there either
    assert first.seen[0]["headers"]["Authorization"] == "Bearer s3cret-token"
    assert second.seen == [] and first.graphs == second.graphs == {}


def test_a_relative_location_is_shown_absolute_and_a_named_graph_kept(stores: Any) -> None:
    first, url = stores()
    graph = "https://w3id.org/kzgraph/graph/kz"
    query = "graph=" + urllib.parse.quote(graph, safe="")
    first.redirect[f"/data?{query}"] = (302, f"/kz/data?{query}")
    result = publish("--endpoint", f"{url}/data", "--graph", graph)
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert line.startswith(f"Error: {url}/data?{query} answered 302 Found, redirecting to ")
    assert line.endswith(f"{url}/kz/data?{query}; kzgraph does not follow redirects on upload: "
                         f"use --endpoint {url}/kz/data")  # fmt: skip


def test_a_query_follows_a_redirect_within_its_origin_only(stores: Any) -> None:
    first, url = stores()
    second, other = stores()
    first.redirect["/old"] = (307, f"{url}/query")  # same origin: resent with its body
    first.redirect["/see"] = (303, "/query?result=1")  # a GET of the result
    first.redirect["/gone"] = (301, f"{other}/query")  # another port: another origin
    first.redirect["/loop"] = (302, "/loop")
    env = {"KZGRAPH_ENDPOINT_TOKEN": "s3cret-token"}
    for path in ("/old", "/see"):
        result = RemoteEngine(url + path, environ=env).run("SELECT ?n WHERE { ?s ?p ?n }")
        assert result.rows[0][0].value == "7"  # type: ignore[union-attr]
    methods = [(r["method"], r["target"]) for r in first.seen]
    assert methods == [("POST", "/old"), ("POST", "/query"), ("POST", "/see"),
                       ("GET", "/query?result=1")]  # fmt: skip
    assert all(r["headers"]["Authorization"] == "Bearer s3cret-token" for r in first.seen)
    assert first.seen[1]["headers"]["Content-Length"] == first.seen[0]["headers"]["Content-Length"]
    with pytest.raises(EndpointError) as refused:
        RemoteEngine(url + "/gone", environ=env).run("ASK {}")
    assert str(refused.value) == (
        f"{url}/gone answered 301 Moved Permanently, redirecting to {other}/query on another "
        "origin; kzgraph follows a query's redirects within its origin (scheme, host, port) "
        f"only: use --endpoint {other}/query"
    )
    with pytest.raises(EndpointError, match=r"/loop redirected more than 5 times$"):
        RemoteEngine(url + "/loop", environ=env).run("ASK {}")
    assert second.seen == []  # the token never reached the other origin: nothing did


def test_the_query_commands_refuse_a_redirect_to_another_origin(stores: Any) -> None:
    first, url = stores()
    second, other = stores()
    first.redirect["/query"] = (308, f"{other}/query")
    result = CliRunner().invoke(cli, [*ARGS, "sparql", "ASK {}", "--endpoint", url], env={**TOKEN})
    assert result.exit_code == 2
    assert "redirecting to " + other in one_error_line(result.stderr)
    assert second.seen == [] and len(first.seen) == 1


# --------------------------------------------------------------------------- early answers


@pytest.mark.parametrize("after", ["close", "linger"])
def test_an_early_413_is_reported_not_a_broken_pipe(entry: Any, after: str) -> None:
    from kzgraph.export import export_graphs
    from kzgraph.render import render_rdf

    # what publish sends: the asserted and inferred triples, blank nodes as skolem IRIs
    size = len(render_rdf(export_graphs(entry, inferred=True, named=True), "nt"))
    assert size > entry.asserted_path.stat().st_size + entry.inferred_path.stat().st_size
    assert size > 1 << 20  # past nginx's default client_max_body_size (1 MiB)
    head = b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: text/html\r\n"
    proxy = EarlyAnswer(head, NGINX_413, after)
    try:
        result = publish("--endpoint", proxy.url, "--replace")
    finally:
        proxy.close()
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        f"Error: {proxy.url}/store?default answered 413 Request Entity Too Large: "
        "413 Request Entity Too Large"
    )
    assert f"the request body was {size / 1e6:.2f} MB" in result.stderr
    assert "client_max_body_size" in result.stderr and "Broken pipe" not in result.stderr
    assert proxy.requests == 1


def test_a_success_before_the_body_is_taken_is_not_success() -> None:
    """A server that says 204 and stops reading: the upload did not complete."""
    store = EarlyAnswer(b"HTTP/1.1 204 No Content\r\n", b"", "wait")
    size = 64 << 20  # more than any socket buffers hold

    def body() -> Iterator[bytes]:
        for _ in range(size >> 20):
            yield b"#" * (1 << 20)

    try:
        with pytest.raises(EndpointError) as error:
            request("PUT", store.url + "/store", body=body(), timeout=1, follow=False,
                    headers={"Content-Length": str(size)})  # fmt: skip
    finally:
        store.close()
    assert str(error.value) == (
        f"{store.url}/store answered 204 No Content before it had taken the whole request body"
    )


# --------------------------------------------------------------------------- user info


def test_user_info_in_the_url_is_basic_auth_and_never_shown(stores: Any, sent: Any) -> None:
    store, url = stores()
    netloc = url.removeprefix("http://")
    result = publish("--endpoint", f"http://ada:p%40ss%3Aw0rd@{netloc}", "--replace",
                     env=NO_CREDENTIALS)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    expected = "Basic " + base64.b64encode(b"ada:p@ss:w0rd").decode()
    assert [(r["method"], r["headers"]["Authorization"]) for r in store.seen] == [
        ("PUT", expected), ("GET", expected),
    ]  # fmt: skip
    output = result.stdout + result.stderr
    for secret in ("p@ss", "p%40ss", "w0rd", expected.split()[1]):
        assert secret not in output
    assert f"to {url}/store?default: replaced" in result.stderr
    assert f"verified: the graph holds {sent[0]} triples" in result.stderr
    assert "kzgraph: warning: the password in the --endpoint URL is visible" in result.stderr
    assert "unencrypted" not in result.stderr  # loopback


def test_user_info_conflicts_and_gaps_are_one_line(stores: Any) -> None:
    store, url = stores()
    netloc = url.removeprefix("http://")
    both = publish("--endpoint", f"http://ada:hunter2@{netloc}", env=TOKEN)
    assert both.exit_code == 2
    assert one_error_line(both.stderr) == (
        "Error: credentials both in the --endpoint URL and in KZGRAPH_ENDPOINT_TOKEN: give "
        "them in one place"
    )
    user_only = publish("--endpoint", f"http://ada@{netloc}", env=NO_CREDENTIALS)
    assert user_only.exit_code == 2
    assert one_error_line(user_only.stderr) == (
        "Error: the --endpoint URL names user 'ada' but no password: give user:password@ or "
        "set KZGRAPH_ENDPOINT_USER and KZGRAPH_ENDPOINT_PASSWORD"
    )
    scheme = publish("--endpoint", "ftp://ada:hunter2@example.org/", env=NO_CREDENTIALS)
    assert one_error_line(scheme.stderr) == (
        "Error: not an http(s) URL: 'ftp://ada:***@example.org/'"
    )
    port = publish("--endpoint", "http://ada:hun#ter2@127.0.0.1:1/", env=NO_CREDENTIALS)
    assert one_error_line(port.stderr) == "Error: not a valid port in 'http://ada:***@127.0.0.1:1/'"
    for result in (both, user_only, scheme, port):
        assert "hunter2" not in result.stderr + result.stdout and "ter2" not in result.stderr
    assert store.seen == []


def test_query_user_info_is_basic_auth_and_the_url_shown_is_clean(stores: Any) -> None:
    store, url = stores()
    netloc = url.removeprefix("http://")
    engine = RemoteEngine(f"http://ada:pw@{netloc}", environ={})
    assert engine.url == f"{url}/query"
    engine.run("SELECT ?n WHERE { ?s ?p ?n }")
    assert store.seen[0]["headers"]["Authorization"] == "Basic " + base64.b64encode(
        b"ada:pw"
    ).decode("ascii")


def test_redact() -> None:
    assert redact("http://ada:pw@h/x") == "http://ada:***@h/x"
    assert redact("http://ada@h/x") == "http://ada@h/x"  # a user name is no secret
    assert redact("http://h/x?g=mailto:a@b") == "http://h/x?g=mailto:***@b"  # errs to hiding
    assert redact("ada:p/w#x@h") == "ada:***@h"
    assert redact("http://h:1/x") == "http://h:1/x"


# --------------------------------------------------------------------------- plain http


def test_the_plain_http_warning_decision() -> None:
    token = {"KZGRAPH_ENDPOINT_TOKEN": "t"}
    basic = {"KZGRAPH_ENDPOINT_USER": "u", "KZGRAPH_ENDPOINT_PASSWORD": "p"}
    warned = parse_endpoint("http://store.example.org/data", token).warnings
    assert warned == ("credentials go unencrypted (plain http) to store.example.org: use https",)
    assert parse_endpoint("http://store.example.org/data", basic).warnings == warned
    assert parse_endpoint("https://store.example.org/data", token).warnings == ()
    assert parse_endpoint("http://store.example.org/data", {}).warnings == ()  # nothing to leak
    for host in ("127.0.0.1", "127.8.0.1", "localhost", "[::1]", "LOCALHOST"):
        assert parse_endpoint(f"http://{host}:7878", token).warnings == (), host
    assert is_loopback("::1") and is_loopback("127.0.0.1")
    assert not is_loopback("localhost.example.org") and not is_loopback("10.0.0.1")
    assert not is_loopback("127.0.0.1.example.org")


def test_the_plain_http_warning_is_printed_before_sending(stores: Any, sent: Any) -> None:
    """Through a loopback proxy: store.invalid is never looked up, nothing leaves 127.0.0.1."""
    proxy, url = stores()
    env = {**TOKEN, "http_proxy": url, "no_proxy": None, "NO_PROXY": None}
    result = CliRunner().invoke(
        cli, [*ARGS, "publish", "--endpoint", "http://store.invalid", "--replace"], env=env
    )
    assert result.exit_code == 0, result.stderr
    warning = (
        "kzgraph: warning: credentials go unencrypted (plain http) to store.invalid: use https"
    )
    lines = result.stderr.splitlines()
    assert warning in lines and lines.index(warning) < len(lines) - 1  # before the result line
    assert [(r["method"], r["target"]) for r in proxy.seen] == [
        ("PUT", "http://store.invalid/store?default"),
        ("GET", "http://store.invalid/store?default"),
    ]
    assert f"verified: the graph holds {sent[0]} triples" in lines[-1]


# --------------------------------------------------------------------------- verification


def test_verified_on_a_real_oxigraph(server: str, sent: Any) -> None:  # noqa: F811
    total, blank = sent
    replaced = publish("--endpoint", server, "--replace", env=NO_CREDENTIALS)
    assert replaced.exit_code == 0, replaced.stderr
    assert (
        replaced.stderr.strip()
        .splitlines()[-1]
        .endswith(f"; verified: the graph holds {total} triples")
    )
    added = publish("--endpoint", server, env=NO_CREDENTIALS)
    assert added.exit_code == 0, added.stderr
    # the same triples again add nothing: blank nodes go as skolem IRIs (issue 17, part 6),
    # which before multiplied the triples with blank nodes on every POST
    assert blank > 0
    assert added.stderr.strip().endswith(
        f"; verified: the graph holds {total} triples, {total} before"
    )


def test_a_store_that_stores_nothing_is_an_error(stores: Any, sent: Any) -> None:
    store, url = stores("liar")
    result = publish("--endpoint", url, "--replace")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        f"Error: {url}/store?default answered 204 to the PUT, but the graph holds 0 triples, "
        f"fewer than the {sent[0]} sent"
    )
    assert "uploaded" not in result.stderr  # success is never claimed before the check


def test_a_post_that_adds_nothing_is_an_error(stores: Any, sent: Any, entry: Any) -> None:
    """A store that takes a POST and keeps nothing: publish sees the graph hold fewer
    triples than were sent; an upload of files with blank nodes (new nodes on every POST)
    must also make the graph grow by at least those."""
    store, url = stores("liar")
    result = publish("--endpoint", url)
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        f"Error: {url}/store?default answered 204 to the POST, but the graph holds 0 triples, "
        f"fewer than the {sent[0]} sent"
    )
    store.mode = "honest"
    assert publish("--endpoint", url, "--replace").exit_code == 0
    again = publish("--endpoint", url)  # publish sends skolem IRIs: nothing new to add
    assert again.exit_code == 0, again.stderr
    assert f"holds {sent[0]} triples, {sent[0]} before" in again.stderr
    store.mode = "liar"
    with pytest.raises(EndpointError) as caught:
        upload([entry.asserted_path, entry.inferred_path], url)  # the cache's blank nodes
    assert str(caught.value) == (
        f"{url}/store?default answered 204 to the POST, but the graph grew by 0 triples, "
        f"fewer than the {sent[1]} sent with blank nodes (new nodes on every POST)"
    )


def test_a_graph_read_back_in_turtle_is_counted_too(stores: Any, sent: Any) -> None:
    """N-Triples are counted as they arrive; another syntax is parsed whole."""
    _store, url = stores("turtle")
    result = publish("--endpoint", url, "--replace")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.rstrip().endswith(f"; verified: the graph holds {sent[0]} triples")


def test_counting_ntriples_as_they_arrive_cuts_nowhere_wrong() -> None:
    from kzgraph.remote import _count_ntriples

    doc = (
        b"# a comment\n<http://a> <http://b> <http://c> .\n\n  \n"
        b'<http://a> <http://b> "x # y\\n" .\r\n   # indented comment\n'
        b"<http://a> <http://b> _:c ."  # no newline at the end
    )
    for cut in range(len(doc) + 1):
        assert _count_ntriples([doc[:cut], doc[cut:]]) == 3, cut
    assert _count_ntriples(doc[i : i + 1] for i in range(len(doc))) == 3
    assert _count_ntriples([]) == 0


def test_extra_triples_after_a_put_are_a_warning(stores: Any, sent: Any) -> None:
    store, url = stores("put-appends")
    store.graphs["/store?default"] = {b'<https://example.org/a> <https://example.org/b> "1" .'}
    result = publish("--endpoint", url, "--replace")
    assert result.exit_code == 0, result.stderr
    assert f"verified: the graph holds {sent[0] + 1} triples" in result.stderr
    assert "kzgraph: warning: the graph holds 1 triples more than were sent" in result.stderr


def test_a_store_that_cannot_be_read_back_is_not_verified(stores: Any, sent: Any) -> None:
    store, url = stores("no-get")
    graph = "https://w3id.org/kzgraph/graph/kz"
    result = publish("--endpoint", f"{url}/kz/data", "--graph", graph, "--replace")
    assert result.exit_code == 0, result.stderr
    first, warning = result.stderr.strip().splitlines()
    assert first.endswith("; not verified")
    target = f"{url}/kz/data?graph=" + urllib.parse.quote(graph, safe="")
    assert warning == (
        f"kzgraph: warning: not verified: a GET of {target} answered 405 Method Not Allowed: GET "
        "is not allowed here; count the triples with: kzgraph sparql 'SELECT (COUNT(*) AS ?n) "
        f"WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}' --endpoint QUERY-URL (expect {sent[0]})"
    )
    bare = publish("--endpoint", url, "--replace")
    assert f"--endpoint {url}/query (expect {sent[0]})" in bare.stderr


def test_no_verify_sends_one_request(stores: Any) -> None:
    store, url = stores("liar")
    result = publish("--endpoint", url, "--replace", "--no-verify")
    assert result.exit_code == 0
    assert result.stderr.strip().endswith("; not verified (--no-verify)")
    assert [r["method"] for r in store.seen] == ["PUT"]


def test_query_on_an_endpoint_with_user_info_warns_and_never_shows_it(server: str) -> None:  # noqa: F811
    netloc = server.removeprefix("http://")
    result = CliRunner().invoke(
        cli,
        [*ARGS, "sparql", "ASK { ?s ?p ?o }", "--endpoint", f"http://ada:s3cret@{netloc}"],
        env=NO_CREDENTIALS,
    )
    assert result.exit_code == 0, result.stderr
    assert "kzgraph: warning: the password in the --endpoint URL is visible" in result.stderr
    assert "s3cret" not in result.stdout + result.stderr
