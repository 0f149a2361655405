"""kzgraph.remote and the --endpoint / publish commands, against real servers.

A real Oxigraph server (``oxigraph serve`` from the PyPI ``oxigraph`` package, a test
dependency) is started once for the module on a free loopback port and stopped by its
PID.  The whole graph is published to it with ``kzgraph publish``, then the whole
saved-query catalog runs there and here and the rows are compared exactly, in order:
both engines are Oxigraph 0.5, so language tags and numeric lexical forms come back the
same and no normalisation is needed (if a future server normalised them, this test is
where it would show), and no saved query leaves an order to the engine (no GROUP_CONCAT,
whose items came back in another order from a store loaded by upload; every ORDER BY
total: see tests/test_queries.py).  Headers, credentials, 415
and time-outs are tested with a small ``http.server`` on 127.0.0.1 that records what it
receives: a real server, not a mock.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kzgraph.cli import cli
from kzgraph.project import Project
from kzgraph.query import SavedQuery, load_catalog, open_engine, run_saved
from kzgraph.remote import RemoteEngine, graph_url, query_url, store_url
from kzgraph.store import build

ROOT = Path(__file__).parent.parent
PROJECT = Project(ROOT / "data", ROOT / "ontology", ROOT / "queries")
ARGS = ["--data", str(ROOT / "data"), "--ontology", str(ROOT / "ontology")]
ARGS += ["--queries", str(ROOT / "queries")]
CATALOG = load_catalog(ROOT / "queries")
INJECTION = '"} ; DROP ALL ; #'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph"
    )
    if found is None:
        pytest.fail("the oxigraph server is not installed (pip install '.[test]')")
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph server; yields its base URL (http://127.0.0.1:PORT)."""
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    log = open(location / "server.log", "wb")  # noqa: SIM115 - closed in the finalizer
    proc = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location / "db"), "--bind",
         f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "oxigraph serve did not start: "
                        + (location / "server.log").read_text(errors="replace")
                    ) from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def entry() -> Any:
    return build(PROJECT).entry


@pytest.fixture(scope="module")
def published(server: str, entry: Any) -> str:
    """The reasoned graph uploaded to the server's default graph with kzgraph publish."""
    result = CliRunner().invoke(cli, [*ARGS, "publish", "--endpoint", server, "--replace"])
    assert result.exit_code == 0, result.stderr
    total = entry.asserted_count + entry.inferred_count
    assert f"uploaded {total} triples (asserted + inferred)" in result.stderr
    assert result.stderr.rstrip().endswith(f"; verified: the graph holds {total} triples")
    return server


@pytest.fixture(scope="module")
def local(entry: Any) -> Any:
    return open_engine(entry)


def remote_count(url: str, text: str = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") -> int:
    result = RemoteEngine(url).run(text)
    return int(result.rows[0][0].value)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- URLs


def test_url_rules() -> None:
    assert query_url("http://127.0.0.1:7878") == "http://127.0.0.1:7878/query"
    assert query_url("http://127.0.0.1:7878/") == "http://127.0.0.1:7878/query"
    assert query_url("http://h:3030/kz/sparql") == "http://h:3030/kz/sparql"
    assert store_url("http://127.0.0.1:7878") == "http://127.0.0.1:7878/store"
    assert store_url("http://h:3030/kz/data") == "http://h:3030/kz/data"
    assert graph_url("http://h:1", None) == "http://h:1/store?default"
    assert graph_url("http://h:1/x?repo=a", "https://e.org/g#1") == (
        "http://h:1/x?repo=a&graph=https%3A%2F%2Fe.org%2Fg%231"
    )


# --------------------------------------------------------------------------- publish + catalog


def test_publish_uploads_every_triple(published: str, entry: Any) -> None:
    assert remote_count(published) == entry.asserted_count + entry.inferred_count


def _catalog_runs() -> list[Any]:
    runs = []
    for q in CATALOG.values():
        given = tuple((p.name, p.example) for p in q.params if p.default is None and p.example)
        runs.append(pytest.param(q, given, id=q.name))
        examples = tuple((p.name, p.example) for p in q.params if p.example)
        if examples and examples != given:
            runs.append(pytest.param(q, examples, id=f"{q.name}-examples"))
    return runs


@pytest.mark.parametrize(("saved", "given"), _catalog_runs())
def test_catalog_gives_the_same_rows_remotely(
    published: str, local: Any, saved: SavedQuery, given: tuple[tuple[str, str], ...]
) -> None:
    here = run_saved(local, saved, given)
    there = run_saved(RemoteEngine(published), saved, given)
    assert there.kind == here.kind == "select"
    assert there.variables == here.variables
    # the same rows, term by term, in the same order
    assert there.rows == here.rows


def test_the_catalog_is_covered() -> None:
    assert len(CATALOG) >= 40 and "timeline" in CATALOG


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "markdown"])
def test_every_output_format_is_the_same_remotely(published: str, fmt: str) -> None:
    runner = CliRunner()
    args = [*ARGS, "query", "heads-of-state", "-f", fmt]
    here = runner.invoke(cli, args)
    there = runner.invoke(cli, [*args, "--endpoint", published])
    assert here.exit_code == there.exit_code == 0, there.stderr
    assert there.stdout == here.stdout and there.stdout.strip()
    if fmt == "table":  # labels were fetched from the endpoint, not IRIs
        assert "Nursultan Nazarbayev" in there.stdout and "https://" not in there.stdout
    assert f"ms, {published}/query)" in there.stderr


def test_describe_on_the_endpoint_gives_the_same_triples(published: str) -> None:
    runner = CliRunner()
    args = [*ARGS, "sparql", "DESCRIBE state:turkey", "-f", "nt"]
    here = runner.invoke(cli, args)
    there = runner.invoke(cli, [*args, "--endpoint", published])
    assert here.exit_code == there.exit_code == 0
    lines = set(there.stdout.splitlines())
    assert lines == set(here.stdout.splitlines()) and len(lines) > 20


def test_ask_and_labels_remotely(published: str) -> None:
    engine = RemoteEngine(published)
    assert engine.run("ASK { ?s ?p ?o }").boolean is True
    turkey = "https://w3id.org/kzgraph/resource/state/turkey"
    labels = engine.labels([turkey, "https://example.org/no/such-thing"])
    assert labels == {turkey: "Turkey", "https://example.org/no/such-thing": "such-thing"}


def test_injection_matches_nothing_and_drops_nothing(published: str, entry: Any) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, [*ARGS, "query", "search", "-p", "text", INJECTION, "--endpoint", published, "-f",
              "csv"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == []  # the header only
    assert "0 rows" in result.stderr
    assert remote_count(published) == entry.asserted_count + entry.inferred_count


def test_named_graph_upload_then_from_and_graph(server: str, entry: Any) -> None:
    graph = "https://w3id.org/kzgraph/graph/test-named"
    result = CliRunner().invoke(
        cli, [*ARGS, "publish", "--endpoint", f"{server}/store", "--graph", graph, "--asserted",
              "--replace"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert f"uploaded {entry.asserted_count} triples (asserted)" in result.stderr
    assert f"graph <{graph}>" in result.stderr
    assert f"verified: the graph holds {entry.asserted_count} triples" in result.stderr
    assert remote_count(server, f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}") == (
        entry.asserted_count
    )
    assert (
        remote_count(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        == entry.asserted_count
    )
    # POST adds: uploading again without --replace keeps the count (same triples)
    again = CliRunner().invoke(
        cli, [*ARGS, "publish", "--endpoint", server, "--graph", graph, "--asserted"]
    )
    assert again.exit_code == 0 and "added to graph" in again.stderr


# --------------------------------------------------------------------------- failures


def one_error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


def test_upload_to_a_closed_port_fails_in_one_line(entry: Any) -> None:
    port = free_port()
    result = CliRunner().invoke(cli, [*ARGS, "publish", "--endpoint", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert line == f"Error: cannot reach http://127.0.0.1:{port}/store?default: connection refused"


def test_upload_answered_404_says_what_the_server_answered(server: str, entry: Any) -> None:
    result = CliRunner().invoke(cli, [*ARGS, "publish", "--endpoint", f"{server}/no-such-store"])
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert line.startswith(f"Error: {server}/no-such-store?default answered 404 Not Found: ")
    assert "not supported by this server" in line  # Oxigraph's own words, first line


def test_query_errors_are_one_line(server: str) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, [*ARGS, "sparql", "SELECT ?x WHERE { ?x ?y }", "--endpoint", server])
    assert bad.exit_code == 2
    line = one_error_line(bad.stderr)
    assert "answered 400 Bad Request: " in line
    assert "at 1:26" in line  # the position in the user's text, not after the PREFIX lines
    closed = runner.invoke(
        cli, [*ARGS, "query", "summits", "--endpoint", f"http://127.0.0.1:{free_port()}"]
    )
    assert closed.exit_code == 2 and "connection refused" in one_error_line(closed.stderr)
    scheme = runner.invoke(cli, [*ARGS, "query", "summits", "--endpoint", "ftp://example.org/"])
    assert scheme.exit_code == 2
    assert one_error_line(scheme.stderr) == "Error: not an http(s) URL: 'ftp://example.org/'"
    usage = runner.invoke(cli, [*ARGS, "query", "summits", "--endpoint", server, "--asserted"])
    assert usage.exit_code == 2 and "--asserted applies to the local graph" in usage.stderr


# --------------------------------------------------------------------------- headers


class Recorder(BaseHTTPRequestHandler):
    """Records each request; answers like a tiny SPARQL + Graph Store server.

    /query: SPARQL JSON (one row); /store: 204; /locked: 401 unless authorised;
    /form-only: 415 for application/sparql-query, results for a form; /slow: sleeps.
    """

    seen: list[dict[str, Any]] = []
    token = "Bearer s3cret-token"

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path = self.path.split("?")[0]
        self.seen.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        if path == "/slow":
            time.sleep(3)
        if path == "/locked" and self.headers.get("Authorization") != self.token:
            return self.answer(401, "text/plain", b"Unauthorized: a bearer token is needed\n")
        if path == "/store":
            return self.answer(204, "text/plain", b"")
        ctype = self.headers.get("Content-Type", "")
        if path == "/form-only" and ctype.startswith("application/sparql-query"):
            return self.answer(415, "text/plain", b"send a form\nsecond line")
        doc = {
            "head": {"vars": ["x", "label"]},
            "results": {
                "bindings": [
                    {
                        "x": {"type": "uri", "value": "https://example.org/a"},
                        "label": {"type": "literal", "value": "Ä", "xml:lang": "kk-Cyrl"},
                    },
                    {"x": {"type": "bnode", "value": "b0"}},
                ]
            },
        }
        self.answer(200, "application/sparql-results+json", json.dumps(doc).encode())

    def answer(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_basic_credentials_come_from_the_environment(recorder: str, entry: Any) -> None:
    env = {"KZGRAPH_ENDPOINT_USER": "ada", "KZGRAPH_ENDPOINT_PASSWORD": "pa:ss"}
    result = CliRunner().invoke(
        cli, [*ARGS, "publish", "--endpoint", recorder, "--no-verify"], env=env
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.rstrip().endswith("; not verified (--no-verify)")
    (request,) = Recorder.seen
    assert request["path"] == "/store?default"
    assert request["headers"]["Authorization"] == "Basic YWRhOnBhOnNz"  # ada:pa:ss
    assert request["headers"]["Content-Type"].startswith("application/n-triples")
    lines = [line for line in request["body"].split(b"\n") if line.strip()]
    assert len(lines) == entry.asserted_count + entry.inferred_count
    assert "pa:ss" not in result.stderr


def test_bearer_token_and_a_401_answer(recorder: str) -> None:
    runner = CliRunner()
    args = [*ARGS, "sparql", "SELECT * WHERE { ?x ?p ?o }", "--endpoint", f"{recorder}/locked"]
    refused = runner.invoke(cli, args, env={"KZGRAPH_ENDPOINT_TOKEN": ""})
    assert refused.exit_code == 2
    assert one_error_line(refused.stderr) == (
        f"Error: {recorder}/locked answered 401 Unauthorized: "
        "Unauthorized: a bearer token is needed"
    )
    allowed = runner.invoke(
        cli, [*args, "-f", "json"], env={"KZGRAPH_ENDPOINT_TOKEN": "s3cret-token"}
    )
    assert allowed.exit_code == 0, allowed.stderr
    assert Recorder.seen[-1]["headers"]["Authorization"] == "Bearer s3cret-token"
    assert Recorder.seen[-1]["headers"]["Content-Type"].startswith("application/sparql-query")
    assert "application/sparql-results+json" in Recorder.seen[-1]["headers"]["Accept"]
    doc = json.loads(allowed.stdout)
    assert doc["results"]["bindings"][0]["label"] == {
        "type": "literal", "value": "Ä", "xml:lang": "kk-Cyrl",
    }  # fmt: skip
    assert doc["results"]["bindings"][1] == {"x": {"type": "bnode", "value": "b0"}}


def test_half_set_credentials_are_an_error(recorder: str) -> None:
    result = CliRunner().invoke(
        cli,
        [*ARGS, "sparql", "ASK {}", "--endpoint", recorder],
        env={"KZGRAPH_ENDPOINT_USER": "ada", "KZGRAPH_ENDPOINT_PASSWORD": None},
    )
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        "Error: KZGRAPH_ENDPOINT_USER is set but KZGRAPH_ENDPOINT_PASSWORD is not"
    )
    assert Recorder.seen == []


def test_a_415_answer_is_retried_as_a_form(recorder: str) -> None:
    result = RemoteEngine(f"{recorder}/form-only").run("SELECT * WHERE { ?x ?p ?o }")
    assert len(result.rows) == 2
    first, second = Recorder.seen
    assert first["headers"]["Content-Type"].startswith("application/sparql-query")
    assert second["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert second["body"].startswith(b"query=SELECT")


def test_timeout(recorder: str) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(
        cli, [*ARGS, "sparql", "ASK {}", "--endpoint", f"{recorder}/slow", "--timeout", "0.5"]
    )
    assert result.exit_code == 2 and time.monotonic() - started < 2.5
    assert one_error_line(result.stderr) == f"Error: {recorder}/slow did not answer within 0.5 s"


@pytest.mark.parametrize("command", ["publish", "query", "sparql"])
def test_help_shows_endpoint_examples(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "--endpoint http://127.0.0.1:7878" in result.stdout
    assert "KZGRAPH_ENDPOINT_" in result.stdout  # where credentials come from


def test_ask_on_the_endpoint_answers_as_locally(published: str) -> None:
    question = "which treaties were signed"
    here = CliRunner().invoke(cli, [*ARGS, "ask", question])
    there = CliRunner().invoke(cli, [*ARGS, "ask", question, "--endpoint", published])
    assert there.exit_code == 0 and here.exit_code == 0, there.stderr
    assert there.stdout == here.stdout and "Treaty of Friendship" in there.stdout
    assert f"query documents-by-type -p type kz:Treaty --endpoint {published}" in there.stderr
    # nothing fits: the endpoint has no full-text index, the saved query 'search' looks up words
    fallback = CliRunner().invoke(
        cli, [*ARGS, "ask", "weather and sunshine in Almaty tomorrow", "--endpoint", published]
    )
    assert fallback.exit_code == 0, fallback.stderr
    assert "kzgraph: same as: kzgraph query search -p text almaty --endpoint" in fallback.stderr
    assert "Almaty" in fallback.stdout
