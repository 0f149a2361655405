"""``kzgraph serve`` with the clients people use, next to Oxigraph's own server (issue 13).

Two real servers on the bundled data: ``kzgraph serve`` (the console script, as in
test_reliability_serve.py) and ``oxigraph serve-read-only`` (PyPI ``oxigraph``) loaded
with the very same N-Triples.  The clients are the real ones from PyPI, with default
settings: SPARQLWrapper (every query form x every return format x GET / POST form / POST
body, compared with what Oxigraph answers: the same combinations succeed and give the
same rows or graphs), rdflib's ``SPARQLStore`` with and without a graph identifier,
pyoxigraph's ``SERVICE``, and curl offering an h2c upgrade as Java's HTTP client does
(Apache Jena ``rsparql`` and ``SERVICE``).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import to_isomorphic
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from kzgraph.project import Project
from kzgraph.store import build

REPO = Path(__file__).parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import reliability as rel  # noqa: E402

MAX_RESULTS = 10_000  # kzgraph serve's default --max-results
#: more rows than MAX_RESULTS on the bundled data (every triple, once per sovereign state)
CUT = "SELECT * WHERE { ?s ?p ?o . ?x a <https://w3id.org/kzgraph/ontology#SovereignState> }"
GUIDE_BASE = "http://127.0.0.1:8000"  # the serving guide's Python example talks to this server
DATASET = "https://w3id.org/kzgraph/dataset"
ASSERTED = "https://w3id.org/kzgraph/graph/asserted"
INFERRED = "https://w3id.org/kzgraph/graph/inferred"
PREFIXES = """PREFIX kz: <https://w3id.org/kzgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
QUERIES = {
    "SELECT": PREFIXES + "SELECT ?state ?label "
    "WHERE { ?state a kz:SovereignState ; rdfs:label ?label } ORDER BY ?state ?label",
    "ASK": PREFIXES + "ASK { ?state a kz:SovereignState }",
    "CONSTRUCT": PREFIXES + "CONSTRUCT { ?state rdfs:label ?label } "
    "WHERE { ?state a kz:SovereignState ; rdfs:label ?label }",
    "DESCRIBE": "DESCRIBE <https://w3id.org/kzgraph/resource/state/turkey>",
}
RETURN_FORMATS = (JSON, XML, TURTLE, N3, RDF, RDFXML, CSV, TSV, JSONLD)
METHODS = {"GET": (GET, URLENCODED), "POST": (POST, URLENCODED), "POST-body": (POST, POSTDIRECTLY)}
RESULTS_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


# --------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def entry() -> Any:
    return build(Project(REPO / "data", REPO / "ontology", REPO / "queries")).entry


@pytest.fixture(scope="module")
def kzgraph(
    kzgraph_exe: str, entry: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``kzgraph serve`` on the bundled data; yields the endpoint URL."""
    log = tmp_path_factory.mktemp("clients") / "serve.log"
    server = rel.start_server(kzgraph_exe, log)  # the defaults, as in the serving guide
    yield server.base + "/sparql"
    server.stop()
    assert "Traceback" not in server.log(), server.log()


@pytest.fixture(scope="module")
def oxigraph(entry: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``oxigraph serve-read-only`` on the same N-Triples; yields its query URL."""
    exe = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph"
    )
    if exe is None:
        pytest.fail("the oxigraph server is not installed (pip install '.[test]')")
    location = tmp_path_factory.mktemp("oxigraph-clients") / "store"
    load = [exe, "load", "--location", str(location)]
    for path in (entry.asserted_path, entry.inferred_path):
        load += ["--file", str(path)]
    subprocess.run(load, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [exe, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("oxigraph serve-read-only did not start")
                time.sleep(0.1)
        yield base + "/query"
    finally:
        rel.stop(process)


# --------------------------------------------------------------------------- SPARQLWrapper


def wrapper_answer(endpoint: str, form: str, return_format: str, method: str) -> Any:
    """What SPARQLWrapper (default settings) gets: ``("error", HTTP status)`` or the answer
    normalized (rows of lexical values, a boolean, or an rdflib graph's canonical form)."""
    client = SPARQLWrapper(endpoint)
    client.setQuery(QUERIES[form])
    client.setReturnFormat(return_format)
    http_method, request_method = METHODS[method]
    client.setMethod(http_method)
    client.setRequestMethod(request_method)
    with warnings.catch_warnings():  # "Sending Accept header '*/*'": SPARQLWrapper's own note
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = client.query()
        except Exception as exc:  # SPARQLWrapper raises one class per HTTP status
            return ("error", type(exc).__name__)
    media = result.info()["content-type"].split(";")[0].strip().lower()
    return normalized(media, result.response.read(), form)


def normalized(media: str, body: bytes, form: str) -> Any:
    if form in ("SELECT", "ASK"):
        if media == "text/csv":
            rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
            if form == "ASK":
                return rows[0][0] == "true"
            return sorted(tuple(row) for row in rows[1:])
        if form == "ASK" and media == "text/tab-separated-values":
            return body.strip() == b"true"
        parsed = ox.parse_query_results(body, RESULTS_FORMATS[media])
        if isinstance(parsed, ox.QueryBoolean):
            return bool(parsed)
        names = [v.value for v in parsed.variables]
        return sorted(tuple(solution[n].value for n in names) for solution in parsed)
    rdf_format = ox.RdfFormat.from_media_type(media)
    assert rdf_format is not None, media
    lines = "".join(
        f"{q.subject} {q.predicate} {q.object} .\n" for q in ox.parse(body, format=rdf_format)
    )
    return to_isomorphic(rdflib.Graph().parse(data=lines, format="nt"))


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("return_format", RETURN_FORMATS)
@pytest.mark.parametrize("form", list(QUERIES))
def test_sparqlwrapper_gets_what_oxigraph_gives(
    kzgraph: str, oxigraph: str, form: str, return_format: str, method: str
) -> None:
    ours = wrapper_answer(kzgraph, form, return_format, method)
    reference = wrapper_answer(oxigraph, form, return_format, method)
    assert not (isinstance(reference, tuple) and reference[:1] == ("error",)), reference
    assert ours == reference
    assert ours not in ([], set(), False), "the query must have an answer to compare"


@pytest.mark.parametrize(
    ("form", "return_format", "check"),
    [
        ("SELECT", JSON, lambda r: len(r["results"]["bindings"]) >= 2),
        ("SELECT", XML, lambda r: len(r.getElementsByTagName("result")) >= 2),
        ("ASK", JSON, lambda r: r["boolean"] is True),
        ("CONSTRUCT", TURTLE, lambda r: len(r) >= 2),
        ("CONSTRUCT", JSONLD, lambda r: len(r) >= 2),
        ("DESCRIBE", RDFXML, lambda r: len(r) >= 5),
        ("DESCRIBE", N3, lambda r: len(r) >= 5),
    ],
)
def test_sparqlwrapper_converts_the_answer(
    kzgraph: str, form: str, return_format: str, check: Any
) -> None:
    client = SPARQLWrapper(kzgraph)
    client.setQuery(QUERIES[form])
    client.setReturnFormat(return_format)
    with warnings.catch_warnings():  # SPARQLWrapper parses RDF into rdflib's ConjunctiveGraph
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        assert check(client.query().convert())


def test_a_cut_answer_carries_the_link_sparqlwrapper_shows(kzgraph: str) -> None:
    client = SPARQLWrapper(kzgraph)
    client.setQuery(CUT)
    client.setReturnFormat(JSON)
    result = client.query()
    assert result.info()["x-result-truncated"] == "true"
    document = result.convert()
    assert len(document["results"]["bindings"]) == MAX_RESULTS
    (link,) = document["head"]["link"]
    assert link.endswith("/limits#truncated")
    with urllib.request.urlopen(link) as page:  # the explanation is there
        assert f"{MAX_RESULTS:,}" in page.read().decode("utf-8")


# --------------------------------------------------------------------------- rdflib


def sparql_store(endpoint: str, identifier: str | None = None) -> rdflib.Graph:
    graph = rdflib.Graph(
        store="SPARQLStore", identifier=rdflib.URIRef(identifier) if identifier else None
    )
    graph.open(endpoint)
    return graph


def test_rdflib_sparqlstore_with_and_without_an_identifier(kzgraph: str, entry: Any) -> None:
    total = entry.asserted_count + entry.inferred_count
    assert len(sparql_store(kzgraph)) == total
    assert len(sparql_store(kzgraph, DATASET)) == total  # the dataset: everything served
    assert len(sparql_store(kzgraph, ASSERTED)) == entry.asserted_count
    assert len(sparql_store(kzgraph, INFERRED)) == entry.inferred_count
    graph = sparql_store(kzgraph, ASSERTED)
    rows = list(graph.query(QUERIES["SELECT"]))
    assert any(str(label) == "Kazakhstan" for _state, label in rows)  # type: ignore[misc]
    turkey = rdflib.URIRef("https://w3id.org/kzgraph/resource/state/turkey")
    state = rdflib.URIRef("https://w3id.org/kzgraph/ontology#SovereignState")
    assert (turkey, rdflib.RDF.type, state) in sparql_store(kzgraph, DATASET)


def test_rdflib_sparqlstore_with_a_graph_the_server_lacks_fails(kzgraph: str) -> None:
    with pytest.raises(ValueError):  # rdflib hides the 400's text; test_serve.py reads it
        len(sparql_store(kzgraph, "https://example.org/no-such-graph"))


# --------------------------------------------------------------------------- pyoxigraph


def test_pyoxigraph_service_short_and_long(kzgraph: str) -> None:
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    kazakhstan = "<https://w3id.org/kzgraph/resource/state/kazakhstan>"
    short = f"SELECT ?l WHERE {{ SERVICE <{kzgraph}> {{ {kazakhstan} {label} ?l }} }}"
    labels = {s["l"].value for s in ox.Store().query(short)}  # type: ignore[index,union-attr]
    assert "Kazakhstan" in labels
    many = " ".join(f"<urn:kzgraph:test:{i}>" for i in range(200))  # a ~5 KB inner query
    long = (
        f"SELECT ?l WHERE {{ SERVICE <{kzgraph}> {{ VALUES ?x {{ {many} }} "
        f"{kazakhstan} {label} ?l }} }}"
    )
    assert len(long) > 4096
    rows = list(ox.Store().query(long))  # type: ignore[arg-type]
    assert len(rows) == 200 * len(labels)


# --------------------------------------------------------------------------- h2c (Java)


@pytest.mark.parametrize("padding", [0, 3000])
def test_curl_offering_h2c_gets_its_answer(kzgraph: str, padding: int) -> None:
    """Java's HTTP client offers ``Upgrade: h2c`` on every request; the body must be read.
    ``padding`` makes the query longer than the ~2 KB past which Jena POSTs."""
    query = "ASK { ?s ?p ?o }" + (" #" + "x" * padding if padding else "")
    reply = subprocess.run(
        ["curl", "--http2", "-sS", "-v", "-i", "--data-binary", query,
         "-H", "Content-Type: application/sparql-query", kzgraph],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert "> Upgrade: h2c" in reply.stderr  # curl did offer it
    assert reply.stdout.startswith("HTTP/1.1 200"), reply.stdout[:300]
    assert '"boolean": true' in reply.stdout


def test_h2c_offers_pipelined_in_pieces_are_all_answered(kzgraph: str) -> None:
    """Two upgrade offers (a body, a chunked form) and a plain GET, sent 7 bytes at a time
    on one connection: three answers, in order, each to its own request."""
    offer = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
    )
    body = b"ASK { ?s a <https://w3id.org/kzgraph/ontology#SovereignState> }"
    form = b"query=SELECT%20%28%22one%22%20AS%20%3Fx%29%20%7B%7D&format=csv"
    data = (
        offer + b"Content-Type: application/sparql-query\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
        + offer + b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(form), form)
        + b"GET /sparql?query=ASK%7B%7D&format=tsv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )  # fmt: skip
    port = int(kzgraph.split(":")[-1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for i in range(0, len(data), 7):
            sock.sendall(data[i : i + 7])
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    text = received.decode("utf-8")
    assert text.count("HTTP/1.1 200 OK") == 3, text
    first, second, third = text.split("HTTP/1.1 200 OK")[1:]
    assert '"boolean": true' in first
    assert second.rstrip().endswith("x\r\none")
    assert third.rstrip().endswith("true")


# --------------------------------------------------------------------------- guide example


def guide_section() -> str:
    text = (REPO / "docs" / "serving-and-publishing.md").read_text(encoding="utf-8")
    start = text.index("### Clients, graphs and cut answers")
    return text[start : text.index("\n## ", start)]


def test_readme_python_example(kzgraph: str) -> None:
    code, shown = re.findall(r"```python\n(.*?)```\n\n```text\n(.*?)```", guide_section(), re.S)[0]
    base = kzgraph.removesuffix("/sparql")
    run = subprocess.run(
        [sys.executable, "-c", code.replace(GUIDE_BASE, base)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout == shown
