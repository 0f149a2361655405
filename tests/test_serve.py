"""``kzgraph serve``: the SPARQL endpoint, linked-data pages and VoID, over a real socket.

A session-scoped server (uvicorn in a subprocess on a free 127.0.0.1 port) serves a
copy of the fixture project plus one extra file (translations and a label full of
HTML metacharacters).  Protocol, timeout and conneg tests go through that socket;
a few fast unit tests use the library directly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from conftest import project_args
from kzgraph.errors import NotAcceptableError
from kzgraph.formats import negotiate, parse_accept
from kzgraph.html import esc, local_href, pick_language
from kzgraph.project import Project
from kzgraph.serve import ServeConfig, config_for

FIXTURES = Path(__file__).parent / "fixtures"
R = "https://w3id.org/kzgraph/resource/"
KZ = "https://w3id.org/kzgraph/ontology#"
TIMEOUT = 2.0  # the server's per-query limit in these tests
MAX_RESULTS = 40
MAX_BODY = 4096
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
EXTRA = """# Serve-test additions: a resource whose label is full of HTML metacharacters.
@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix paragraph: <https://w3id.org/kzgraph/resource/paragraph/> .
@prefix person: <https://w3id.org/kzgraph/resource/person/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

person:mallory a kz:Person ;
    rdfs:label "<script>alert('x')</script> & \\"Mallory\\""@en ;
    kz:statedIn paragraph:p14 .
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def serve_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("serve") / "project"
    shutil.copytree(FIXTURES, root)
    (root / "data" / "serve.ttl").write_text(EXTRA, encoding="utf-8")
    return Project(root / "data", root / "ontology", root / "queries")


@pytest.fixture(scope="session")
def serve_config(serve_project: Project) -> ServeConfig:
    from kzgraph.store import build

    entry = build(serve_project).entry
    return config_for(
        entry,
        serve_project,
        timeout=TIMEOUT,
        max_results=MAX_RESULTS,
        max_body=MAX_BODY,
        query_workers=2,
        memory_limit=1024**3,  # a memory bomb then fails well inside the time limit
    )


class Server:
    def __init__(self, config: ServeConfig) -> None:
        self.port = free_port()
        self.config = ServeConfig.from_json(config.to_json())
        data = json.loads(config.to_json())
        data["port"] = self.port
        handle, self.log_path = tempfile.mkstemp(prefix="kzgraph-serve-", suffix=".log")
        with os.fdopen(handle, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sys; from kzgraph.serve import ServeConfig, run; "
                    "run(ServeConfig.from_json(sys.argv[1]))",
                    json.dumps(data),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ},
            )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.stderr()}")
            try:
                if httpx.get(self.base + "/sparql?query=ASK{}", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.stderr()}")

    def stderr(self) -> str:
        return Path(self.log_path).read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.unlink(self.log_path)


@pytest.fixture(scope="session")
def server(serve_config: ServeConfig) -> Iterator[Server]:
    srv = Server(serve_config)
    yield srv
    log = srv.stderr()
    srv.stop()
    assert "Traceback" not in log, log


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=30) as c:
        yield c


def count_query() -> str:
    return "SELECT (COUNT(*) AS ?n) WHERE { ?s a kz:Person }"


def json_count(response: httpx.Response) -> int:
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# --------------------------------------------------------------------------- protocol


def test_get_query_returns_sparql_json(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": count_query()})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    assert "Accept" in r.headers["vary"]
    assert json_count(r) == 4  # nazarbayev, ozal, ozal-namesake, mallory


def test_post_form_and_direct_post_give_the_same_answer(client: httpx.Client) -> None:
    form = client.post("/sparql", data={"query": count_query()})
    direct = client.post(
        "/sparql",
        content=count_query().encode(),
        headers={"content-type": "application/sparql-query"},
    )
    assert form.status_code == direct.status_code == 200
    assert json_count(form) == json_count(direct) == 4


def test_the_same_request_again_gets_the_same_answer_and_headers(client: httpx.Client) -> None:
    """Repeats come from the result cache, then from kzgraph.replay, then the query runs in
    the web process (kzgraph.pool): every way gives the same bytes and the right headers."""
    query = count_query() + " # repeated"
    plain, browser, gzipped = [], [], []
    for _ in range(4):
        plain.append(client.get("/sparql", params={"query": query}))
        browser.append(
            client.get("/sparql", params={"query": query}, headers={"origin": "http://x.org"})
        )
        gzipped.append(
            client.get("/sparql", params={"query": query}, headers={"accept-encoding": "gzip"})
        )
    for runs in (plain, browser, gzipped):
        assert {r.status_code for r in runs} == {200}
        assert {r.content for r in runs} == {runs[0].content}
        assert {r.headers["content-type"] for r in runs} == {runs[0].headers["content-type"]}
        assert json_count(runs[-1]) == 4
    assert all("access-control-allow-origin" not in r.headers for r in plain)
    assert all(r.headers["access-control-allow-origin"] == "*" for r in browser)
    # answers under 1 KB are sent as they are
    assert all("content-encoding" not in r.headers for r in gzipped)


def test_post_with_unknown_content_type_is_415(client: httpx.Client) -> None:
    r = client.post("/sparql", content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 415
    assert "application/sparql-query" in r.text


XML_RESULTS = "application/sparql-results+xml"
FORM = "application/x-www-form-urlencoded"
LABELS = "SELECT ?s ?l WHERE { ?s a kz:State ; rdfs:label ?l } ORDER BY ?l"


@pytest.mark.parametrize(
    ("accept", "ctype", "marker"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", '"bindings"'),
        ("application/json", "application/sparql-results+json", '"bindings"'),
        ("application/sparql-results+xml", "application/sparql-results+xml", "<sparql xmlns"),
        ("application/xml", "application/sparql-results+xml", "<literal xml:lang"),
        ("text/csv", "text/csv", "s,l\r\n"),
        ("text/tab-separated-values", "text/tab-separated-values", '?s\t?l\n<https://w3id'),
        ("text/html", "text/html", "<table class=\"results\">"),
        ("*/*", "application/sparql-results+json", '"vars"'),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", XML_RESULTS, "<uri>"),
        ("text/*", "text/csv", "Kazakhstan"),
    ],
)  # fmt: skip
def test_select_conneg_by_accept(
    client: httpx.Client, accept: str, ctype: str, marker: str
) -> None:
    r = client.get("/sparql", params={"query": LABELS}, headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == ctype
    assert marker in r.text
    assert "Turkey" in r.text


@pytest.mark.parametrize(
    ("fmt", "ctype"),
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("text/csv", "text/csv"),
    ],
)
def test_format_parameter_overrides_accept(client: httpx.Client, fmt: str, ctype: str) -> None:
    r = client.get(
        "/sparql", params={"query": LABELS, "format": fmt}, headers={"accept": "text/html"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == ctype
    assert "Kazakhstan" in r.text


def test_csv_and_xml_results_are_correct(client: httpx.Client) -> None:
    csv_text = client.get("/sparql", params={"query": LABELS, "format": "csv"}).text
    assert csv_text.splitlines() == [
        "s,l",
        f"{R}state/kazakhstan,Kazakhstan",
        f"{R}state/turkey,Turkey",
    ]
    xml = client.get("/sparql", params={"query": LABELS, "format": "xml"}).text
    import xml.etree.ElementTree as ET

    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(xml)
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["s", "l"]
    uris = [u.text for u in root.findall("r:results/r:result/r:binding/r:uri", ns)]
    assert uris == [f"{R}state/kazakhstan", f"{R}state/turkey"]


def test_ask_in_json_and_xml(client: httpx.Client) -> None:
    q = "ASK { state:kazakhstan a kz:Agent }"  # true only by reasoning (State subClassOf Agent)
    assert client.get("/sparql", params={"query": q}).json() == {"head": {}, "boolean": True}
    xml = client.get("/sparql", params={"query": q, "format": "xml"}).text
    assert "<boolean>true</boolean>" in xml


GRAPH = "CONSTRUCT { ?p kz:citizenOf ?s } WHERE { ?p kz:citizenOf ?s }"


@pytest.mark.parametrize(
    ("accept", "fmt", "ctype", "oxformat"),
    [
        ("text/turtle", "ttl", "text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", "jsonld", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", "nt", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", "rdfxml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_construct_conneg(
    client: httpx.Client, accept: str, fmt: str, ctype: str, oxformat: ox.RdfFormat
) -> None:
    for response in (
        client.get("/sparql", params={"query": GRAPH}, headers={"accept": accept}),
        client.get("/sparql", params={"query": GRAPH, "format": fmt}),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == ctype
        triples = list(ox.parse(response.content, format=oxformat))
        assert len(triples) == 2
        assert {t.subject.value for t in triples} == {f"{R}person/nazarbayev", f"{R}person/ozal"}


def test_construct_defaults_to_turtle_and_describe_works(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "DESCRIBE person:ozal"})
    assert r.headers["content-type"].startswith("text/turtle")
    assert "Turgut Özal" in r.text


def test_reasoned_graph_is_served_by_default(client: httpx.Client) -> None:
    # kz:heldTenure is only the inverse of the asserted kz:holder
    q = "ASK { person:nazarbayev kz:heldTenure tenure:nazarbayev-president }"
    assert client.get("/sparql", params={"query": q}).json()["boolean"] is True


def test_cors_headers_and_preflight(client: httpx.Client) -> None:
    r = client.get(
        "/sparql", params={"query": count_query()}, headers={"origin": "http://example.org"}
    )
    assert r.headers["access-control-allow-origin"] == "*"
    pre = client.options(
        "/sparql",
        headers={
            "origin": "http://example.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert pre.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "asked", ["authorization", "x-requested-with", "cache-control", "content-type, authorization"]
)
def test_cors_preflight_allows_the_headers_browser_clients_ask_for(
    client: httpx.Client, asked: str
) -> None:
    """YASGUI and other browser clients ask to send Authorization, X-Requested-With..."""
    pre = client.options(
        "/sparql",
        headers={
            "origin": "https://yasgui.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": asked,
        },
    )
    assert pre.status_code == 200, pre.text
    allowed = pre.headers["access-control-allow-headers"].lower()
    assert all(h.strip() in allowed for h in asked.split(","))


# --------------------------------------------------------------------------- refusals


def test_update_is_refused(client: httpx.Client) -> None:
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    by_form = client.post("/sparql", data={"update": update})
    by_type = client.post(
        "/sparql", content=update, headers={"content-type": "application/sparql-update"}
    )
    by_get = client.get("/sparql", params={"update": update})
    for r in (by_form, by_type, by_get):
        assert r.status_code == 403
        assert "read-only" in r.text
    assert client.post("/update", data={"update": update}).status_code == 403
    # and nothing changed
    assert (
        client.get("/sparql", params={"query": "ASK { <urn:a> ?p ?o }"}).json()["boolean"] is False
    )


@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/sparql"), ("DELETE", "/sparql"), ("PATCH", "/sparql"),
    ("PUT", "/store"), ("POST", "/store"), ("DELETE", "/store"),
    ("PUT", "/resource/person/ozal"), ("DELETE", "/resource/person/ozal"), ("POST", "/"),
])  # fmt: skip
def test_write_methods_are_405(client: httpx.Client, method: str, path: str) -> None:
    r = client.request(method, path, content=b"<urn:a> <urn:b> <urn:c> .")
    assert r.status_code == 405
    assert "read-only" in r.text
    assert "GET" in r.headers["allow"]


def test_oversized_body_is_413(client: httpx.Client) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * MAX_BODY
    r = client.post("/sparql", content=big, headers={"content-type": "application/sparql-query"})
    assert r.status_code == 413
    assert str(MAX_BODY) in r.text
    r = client.post("/sparql", data={"query": big})
    assert r.status_code == 413


def test_chunked_oversized_body_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"#" + b"y" * 1000 + b"\n"

    r = client.post(
        "/sparql", content=chunks(), headers={"content-type": "application/sparql-query"}
    )
    assert r.status_code == 413


def test_malformed_sparql_is_400_with_the_parser_message(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p "})
    assert r.status_code == 400
    assert "syntax error" in r.text
    assert "1:" in r.text  # line:column from the parser
    r = client.post("/sparql", data={"query": "SELECT ?s WHERE { ?s ?p ", "format": "html"})
    assert r.status_code == 400
    assert "syntax error" in r.text and "<textarea" in r.text


def test_unknown_format_and_unacceptable_types(client: httpx.Client) -> None:
    # a format= value the endpoint does not know leaves the choice to Accept (as Oxigraph)
    r = client.get("/sparql", params={"query": count_query(), "format": "yaml"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    r = client.get(
        "/sparql", params={"query": count_query(), "output": "yaml"}, headers={"accept": "text/csv"}
    )
    assert r.status_code == 200
    assert r.text == "n\r\n4\r\n"
    r = client.get(  # a known value that cannot be given for this query: Accept decides too
        "/sparql", params={"query": GRAPH, "format": "csv"}, headers={"accept": "text/turtle"}
    )
    assert r.headers["content-type"].startswith("text/turtle")
    # the site's own ?format= links are strict: a typo there is an error
    r = client.get("/query/labels", params={"format": "yaml"})
    assert r.status_code == 400
    assert "unknown format 'yaml'" in r.text
    r = client.get("/sparql", params={"query": count_query()}, headers={"accept": "image/png"})
    assert r.status_code == 406
    assert "application/sparql-results+json" in r.text
    r = client.get("/sparql", params={"query": GRAPH}, headers={"accept": "text/csv"})
    assert r.status_code == 406
    assert "text/turtle" in r.text


def test_missing_query_is_400_and_browsers_get_the_editor(client: httpx.Client) -> None:
    for r in (
        client.get("/sparql", headers={"accept": "application/sparql-results+json"}),
        client.get("/sparql", params={"query": ""}),
        client.post("/sparql", data={"query": " "}),
    ):
        assert r.status_code == 400
        assert "missing the 'query' parameter" in r.text
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for accept in ("text/html", browser):
        page = client.get("/sparql", headers={"accept": accept})
        assert page.status_code == 200
        assert '<form class="editor" method="post" action="/sparql">' in page.text


SD = "http://www.w3.org/ns/sparql-service-description#"


@pytest.mark.parametrize(
    ("accept", "ctype", "oxformat"),
    [
        (None, "text/turtle", ox.RdfFormat.TURTLE),  # httpx sends */*
        ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_service_description_at_the_endpoint(
    client: httpx.Client, server: Server, accept: str | None, ctype: str, oxformat: ox.RdfFormat
) -> None:
    """GET /sparql without a query: a SPARQL 1.1 Service Description for RDF clients."""
    r = client.get("/sparql", headers={"accept": accept} if accept else {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == ctype
    store = ox.Store()
    store.load(r.content, format=oxformat)
    endpoint = f"{server.base}/sparql"
    rows = store.query(
        f"""PREFIX sd: <{SD}> PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?name ?n WHERE {{
          ?service a sd:Service ; sd:endpoint <{endpoint}> ;
                   sd:supportedLanguage sd:SPARQL11Query ;
                   sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON> ;
                   sd:defaultDataset/sd:defaultGraph/void:triples ?all ;
                   sd:availableGraphs/sd:namedGraph [ sd:name ?name ; sd:graph/void:triples ?n ]
        }}"""
    )
    graphs = {s["name"].value: int(s["n"].value) for s in rows}  # type: ignore[index,union-attr]
    asserted = "https://w3id.org/kzgraph/graph/asserted"
    assert set(graphs) == {
        "https://w3id.org/kzgraph/dataset",
        asserted,
        "https://w3id.org/kzgraph/graph/inferred",
    }
    assert 0 < graphs[asserted] < graphs["https://w3id.org/kzgraph/dataset"]


def test_service_is_refused(client: httpx.Client) -> None:
    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 400
    assert "SERVICE" in r.text


@pytest.mark.parametrize(
    ("query", "accept", "ctype"),
    [
        # a prefix spelled like a query form is a name, not the form
        ("PREFIX describe: <urn:d:> SELECT ?s WHERE { ?s a kz:State }",
         "application/sparql-results+json", "application/sparql-results+json"),
        ("PREFIX describe: <urn:d:> SELECT ?s WHERE { ?s a kz:State }",
         "text/turtle, application/sparql-results+xml;q=0.5", "application/sparql-results+xml"),
        ("PREFIX select: <urn:s:> CONSTRUCT { ?s select:x 1 } WHERE { ?s a kz:State }",
         "text/turtle, application/sparql-results+json;q=0.9", "text/turtle"),
        ("# DESCRIBE in a comment\nSELECT ('DESCRIBE' AS ?describe) WHERE {}",
         "*/*", "application/sparql-results+json"),
        # SERVICE as a prefix, a prefixed name, a variable: no federated query
        ("PREFIX service: <urn:s:> ASK { ?s service:p ?o }", "*/*",
         "application/sparql-results+json"),
        ("ASK { ?service <urn:x:SERVICE> ?o . ?s kz:service ?o }", "*/*",
         "application/sparql-results+json"),
    ],
)  # fmt: skip
def test_query_form_comes_from_tokens_not_words(
    client: httpx.Client, query: str, accept: str, ctype: str
) -> None:
    r = client.get("/sparql", params={"query": query}, headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == ctype


GRAPHS = "https://w3id.org/kzgraph/graph/"
HELD_ONLY_BY_REASONING = "ASK { state:kazakhstan a kz:Agent }"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, True),
        ({"default-graph-uri": "https://w3id.org/kzgraph/dataset"}, True),
        ({"default-graph-uri": f"{GRAPHS}inferred"}, True),
        ({"default-graph-uri": f"{GRAPHS}asserted"}, False),  # the inference is not asserted
        ({"default-graph-uri": [f"{GRAPHS}asserted", f"{GRAPHS}inferred"]}, True),
        ({"named-graph-uri": f"{GRAPHS}inferred"}, False),  # the default graph is then empty
    ],
)
def test_dataset_graphs_are_accepted(
    client: httpx.Client, params: dict[str, str | list[str]], expected: bool
) -> None:
    for response in (
        client.get("/sparql", params={"query": HELD_ONLY_BY_REASONING, **params}),
        client.post("/sparql", data={"query": HELD_ONLY_BY_REASONING, **params}),
    ):
        assert response.status_code == 200, response.text
        assert response.json()["boolean"] is expected


def test_named_graphs_and_graphs_the_server_lacks(client: httpx.Client) -> None:
    q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    every = ["https://w3id.org/kzgraph/dataset", f"{GRAPHS}asserted", f"{GRAPHS}inferred"]
    r = client.get("/sparql", params={"query": q, "named-graph-uri": every, "format": "csv"})
    counts = dict(line.split(",") for line in r.text.splitlines()[1:])
    assert list(counts) == sorted(every)
    assert int(counts[every[0]]) == int(counts[every[1]]) + int(counts[every[2]])
    # no named graphs unless asked for
    assert client.get("/sparql", params={"query": q, "format": "csv"}).text == "g,n\r\n"
    for name in ("default-graph-uri", "named-graph-uri"):
        r = client.get("/sparql", params={"query": q, name: "urn:other"})
        assert r.status_code == 400
        assert "no graph <urn:other>" in r.text
        assert all(f"<{g}>" in r.text for g in every)  # it says which graphs there are


def test_results_are_cut_at_the_limit(client: httpx.Client, server: Server) -> None:
    everything = "SELECT * WHERE { ?s ?p ?o }"
    r = client.get("/sparql", params={"query": everything, "format": "csv"})
    assert r.status_code == 200
    assert len(r.text.splitlines()) == MAX_RESULTS + 1
    assert r.headers["x-result-truncated"] == "true"
    assert r.headers["x-result-limit"] == str(MAX_RESULTS)
    link = f"{server.base}/limits#truncated"
    assert r.headers["link"] == f'<{link}>; rel="describedby"'
    # SPARQL JSON and XML say it in their own head (the standard "link")
    document = client.get("/sparql", params={"query": everything}).json()
    assert document["head"]["link"] == [link]
    assert len(document["results"]["bindings"]) == MAX_RESULTS
    xml = client.get("/sparql", params={"query": everything, "format": "xml"}).text
    assert f'<link href="{link}"/>' in xml.split("</head>")[0]
    # Turtle, N-Triples, RDF/XML: a comment, and they still parse
    graph = "CONSTRUCT WHERE { ?s ?p ?o }"
    for fmt, oxformat in (("turtle", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
                          ("rdfxml", ox.RdfFormat.RDF_XML)):  # fmt: skip
        body = client.get("/sparql", params={"query": graph, "format": fmt}).text
        note = body.split("\n", 2)[1 if fmt == "rdfxml" else 0]  # after <?xml ...?>
        assert f"truncated: only the first {MAX_RESULTS} triples" in note
        assert len(list(ox.parse(body.encode(), format=oxformat))) == MAX_RESULTS
    # an answer within the limit says nothing
    small = client.get("/sparql", params={"query": count_query()})
    assert "link" not in small.json()["head"] and "x-result-truncated" not in small.headers
    # the link leads to the explanation
    page = client.get("/limits")
    assert page.status_code == 200
    assert 'id="truncated"' in page.text and f"<strong>{MAX_RESULTS}</strong>" in page.text


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"content": b"\xff\xfe\x00", "headers": {"content-type": "application/sparql-query"}},
        {"content": b"query=%ff%fe", "headers": {"content-type": FORM}},
        {"data": {"query": "SELECT * WHERE { ?s ?p ?o }"}, "headers": {"accept": "a/b;q=zz, ,;;"}},
        {"data": {"query": "SELECT (1/0 AS ?x) (xsd:date('nope') AS ?y) WHERE {}"}},
        {"data": {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "urn:g"}},
        {"data": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {"data": {"query": "\x00"}},
    ],
)  # fmt: skip
def test_odd_input_never_gives_a_500(client: httpx.Client, request_kwargs: dict) -> None:
    r = client.post("/sparql", **request_kwargs)
    assert 200 <= r.status_code < 500, r.text
    assert "Traceback" not in r.text


# --------------------------------------------------------------------------- limits


def test_runaway_query_is_stopped_while_others_are_served(
    client: httpx.Client, server: Server
) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        r = httpx.get(server.base + "/sparql", params={"query": RUNAWAY}, timeout=60)
        outcome["status"], outcome["text"] = r.status_code, r.text
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)  # the runaway is now holding one worker
    started = time.monotonic()
    r = client.get("/sparql", params={"query": count_query() + " # concurrent"})
    quick = time.monotonic() - started
    assert r.status_code == 200 and json_count(r) == 4
    assert quick < 1.0, f"a normal query waited {quick:.2f} s behind the runaway"
    thread.join(timeout=30)
    assert outcome["status"] == 503
    assert "time limit" in str(outcome["text"]) or "limit of" in str(outcome["text"])
    assert TIMEOUT - 0.1 <= float(outcome["seconds"]) < TIMEOUT + 3  # type: ignore[arg-type]
    # the killed worker is replaced: two queries in parallel still both answer
    time.sleep(1.5)
    results: list[int] = []

    def one(i: int) -> None:
        q = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s a kz:Person }} # parallel {i}"
        results.append(httpx.get(server.base + "/sparql", params={"query": q}).status_code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200, 200, 200, 200]
    assert "503" in server.stderr()  # logged, in one line
    assert "Traceback" not in server.stderr()


def test_memory_hungry_query_is_stopped(serve_config: ServeConfig) -> None:
    # A server of its own with a generous time limit, so that on a busy machine it is the
    # memory cap, not the clock, that stops the query.
    server = Server(dataclasses.replace(serve_config, timeout=60.0))
    try:
        # each BIND multiplies the string by 8: 16 * 8**12 characters will not fit in the cap
        binds = 'BIND("xxxxxxxxxxxxxxxx" AS ?s0) ' + " ".join(
            f"BIND(CONCAT(?s{i},?s{i},?s{i},?s{i},?s{i},?s{i},?s{i},?s{i}) AS ?s{i + 1})"
            for i in range(12)
        )
        query = f"SELECT (STRLEN(?s12) AS ?n) WHERE {{ {binds} }}"
        with httpx.Client(base_url=server.base, timeout=90) as client:
            r = client.get("/sparql", params={"query": query})
            assert r.status_code == 503
            assert "memory" in r.text
            time.sleep(1.5)  # the replacement worker starts
            after = client.get("/sparql", params={"query": count_query() + " # after"})
            assert json_count(after) == 4
        assert "panicked" not in server.stderr() and "Traceback" not in server.stderr()
    finally:
        server.stop()


# --------------------------------------------------------------------------- resources


def test_resource_page_html(client: httpx.Client) -> None:
    r = client.get("/resource/person/nazarbayev", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Accept" in r.headers["vary"]
    page = r.text
    assert "<h1>Nursultan Nazarbayev</h1>" in page
    assert '<a href="/ontology#Person"' in page  # type, linked to the ontology page
    # a fact with a linked value and its source paragraph and cited work
    assert '<a href="/resource/state/kazakhstan"' in page and ">Kazakhstan</a>" in page
    assert '<a href="/resource/paragraph/p1"' in page and "[P1]" in page
    assert "Asylbekov et al., 2010" in page
    assert '<a href="/resource/work/asylbekov-2010"' in page
    # incoming links, with the n-ary tenure's own details and sources
    assert "Incoming links" in page
    assert '<a href="/resource/tenure/nazarbayev-president"' in page
    assert "President of Kazakhstan" in page
    assert 'rel="alternate" type="text/turtle"' in page


def test_resource_page_in_requested_language(client: httpx.Client) -> None:
    ru = client.get("/resource/state/kazakhstan?lang=ru", headers={"accept": "text/html"})
    assert "<h1>Казахстан</h1>" in ru.text and '<html lang="ru">' in ru.text
    kk = client.get("/resource/state/kazakhstan?lang=kk-Cyrl", headers={"accept": "text/html"})
    assert "<h1>Қазақстан</h1>" in kk.text
    tr = client.get(
        "/resource/state/kazakhstan",
        headers={"accept": "text/html", "accept-language": "tr-TR,tr;q=0.9,en;q=0.5"},
    )
    assert "<h1>Kazakistan</h1>" in tr.text
    assert tr.headers["content-language"] == "tr"
    assert "Accept-Language" in tr.headers["vary"]
    # a language without a label falls back to English
    turkey = client.get("/resource/state/turkey?lang=ru", headers={"accept": "text/html"})
    assert "<h1>Turkey</h1>" in turkey.text
    # links between resources use the localized labels too
    person = client.get("/resource/person/nazarbayev?lang=ru", headers={"accept": "text/html"})
    assert ">Казахстан</a>" in person.text


@pytest.mark.parametrize(
    ("accept", "ctype", "oxformat"),
    [
        ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_resource_rdf_by_accept(
    client: httpx.Client, accept: str, ctype: str, oxformat: ox.RdfFormat
) -> None:
    r = client.get("/resource/person/ozal", headers={"accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == ctype
    assert "Accept" in r.headers["vary"]
    triples = [q.triple for q in ox.parse(r.content, format=oxformat)]
    ozal = ox.NamedNode(f"{R}person/ozal")
    assert (
        ox.Triple(ozal, ox.NamedNode(f"{KZ}citizenOf"), ox.NamedNode(f"{R}state/turkey")) in triples
    )
    # incoming links are included
    assert any(t.object == ozal for t in triples)


def test_resource_406_and_404(client: httpx.Client) -> None:
    r = client.get("/resource/person/ozal", headers={"accept": "image/png"})
    assert r.status_code == 406
    assert "text/turtle" in r.text
    assert client.get("/resource/person/nobody").status_code == 404
    assert client.get("/resource/spaceship/ozal").status_code == 404
    assert client.get("/resource/person").status_code == 404
    html404 = client.get("/resource/person/nobody", headers={"accept": "text/html"})
    assert "<h1>Error 404</h1>" in html404.text


@pytest.mark.parametrize(
    "path",
    [
        "/resource/../../../../etc/passwd",
        "/resource/person/../../pyproject.toml",
        "/resource/%2e%2e/%2e%2e/etc/passwd",
        "/resource/person/%2e%2e",
        "/resource/person/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static/../serve.py",
        "/static/%2e%2e/serve.py",
        "/static/..%2fserve.py",
        "/ontology/../pyproject.toml",
    ],
)
def test_path_traversal_reaches_nothing(server: Server, path: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", path)  # sent as is, not normalized
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    assert response.status == 404, (path, body)
    assert "[build-system]" not in body and "root:" not in body and "import" not in body


def test_ontology_by_conneg(client: httpx.Client) -> None:
    page = client.get("/ontology", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert '<dt id="Person">' in page.text and "kz:Agent" in page.text
    assert '<a href="/ontology#Agent"' in page.text  # Person subClassOf Agent, linked
    ttl = client.get("/ontology", headers={"accept": "text/turtle"})
    assert ttl.headers["content-type"].startswith("text/turtle")
    triples = [q.triple for q in ox.parse(ttl.content, format=ox.RdfFormat.TURTLE)]
    assert (
        ox.Triple(
            ox.NamedNode(f"{KZ}Person"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
            ox.NamedNode(f"{KZ}Agent"),
        )
        in triples
    )
    jsonld = client.get("/ontology?format=jsonld")
    assert jsonld.headers["content-type"].startswith("application/ld+json")


# --------------------------------------------------------------------------- pages


def test_home_page_lists_the_saved_questions(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    page = r.text
    for title in ("Visits in a period", "Agents", "Labels in one language", "Tenures of a person"):
        assert f"<h3>{title}</h3>" in page
    assert '<input type="date" name="from" value="1991-01-01"' in page
    assert '<textarea name="query"' in page and 'action="/sparql"' in page


def test_home_page_runs_a_question_into_a_table(client: httpx.Client) -> None:
    r = client.get("/", params={"run": "timeline", "from": "1992-01-01", "to": "1992-12-31"})
    assert r.status_code == 200
    page = r.text
    assert '<table class="results">' in page
    assert '<a href="/resource/event/visit-1992"' in page
    assert ">Nazarbayev visits Turkey</a>" in page
    assert "visit-1993" not in page.split('<table class="results">')[1].split("</table>")[0]
    assert '<input type="date" name="from" value="1992-01-01"' in page  # the form keeps values
    assert "/query/timeline?format=csv&amp;from=1992-01-01&amp;to=1992-12-31" in page


def test_home_page_bad_parameter_is_a_message(client: httpx.Client) -> None:
    r = client.get("/", params={"run": "timeline", "from": "not-a-date"})
    assert r.status_code == 400
    assert "expects date" in r.text and '<p class="error">' in r.text


# --------------------------------------------------------------------------- ask (kzgraph.ask)


def test_home_page_has_the_ask_box(client: httpx.Client) -> None:
    page = client.get("/").text
    assert '<form class="ask" method="get" action="/ask">' in page
    assert '<input type="search" name="q"' in page.split('action="/ask">')[1]


def test_ask_page_shows_the_query_its_parameters_and_the_answer(client: httpx.Client) -> None:
    r = client.get("/ask", params={"q": "which offices did Nazarbayev hold"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<p class="asked">Asked as <a href="/?run=tenures&amp;person=person%3Anazarbayev' in page
    assert "<code>tenures</code>" in page
    assert "<tr><td><code>person</code></td><td>person:nazarbayev</td>" in page
    assert "<td>Nursultan Nazarbayev</td><td>Nazarbayev</td></tr>" in page  # read as, from
    assert "$ kzgraph query tenures -p person person:nazarbayev</pre>" in page
    table = page.split('<table class="results">')[1].split("</table>")[0]
    assert "President of Kazakhstan" in table
    assert f'value="{esc("which offices did Nazarbayev hold")}"' in page  # the box keeps it


def test_ask_as_json(client: httpx.Client) -> None:
    r = client.get("/ask", params={"q": "labels in Turkish", "format": "json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["query"] == "labels" and doc["params"] == {"lang": "tr"}
    assert doc["command"] == "kzgraph query labels -p lang tr"
    assert doc["readAs"] == [{"param": "lang", "words": "Turkish", "value": "tr"}]
    labels = {b["label"]["value"] for b in doc["result"]["results"]["bindings"]}
    assert "Türkiye" in labels and doc["fallback"] is None and doc["search"] is None


def test_ask_falls_back_to_search(client: httpx.Client) -> None:
    question = "weather and sunshine on the visits tomorrow"
    r = client.get("/ask", params={"q": question, "format": "json"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["query"] is None and doc["fallback"] == "weather sunshine visits tomorrow"
    assert {h["resource"] for h in doc["search"]["hits"]} >= {R + "event/visit-1992"}
    page = client.get("/ask", params={"q": question}).text
    assert "No saved question fits; a full-text search for" in page and '<ol class="hits">' in page


@pytest.mark.parametrize("q", ["?!...", "\x00\x01", "x" * 5000], ids=["punct", "ctrl", "long"])
def test_ask_bad_questions_are_400(client: httpx.Client, q: str) -> None:
    r = client.get("/ask", params={"q": q})
    assert r.status_code == 400 and '<p class="error">' in r.text
    assert client.get("/ask", params={"q": q, "format": "json"}).status_code == 400


def test_ask_without_a_question(client: httpx.Client) -> None:
    r = client.get("/ask")
    assert r.status_code == 200 and '<form class="ask"' in r.text
    assert client.get("/ask", params={"format": "json"}).status_code == 400


def test_saved_query_as_csv_and_json(client: httpx.Client) -> None:
    csv_text = client.get(
        "/query/timeline", params={"format": "csv", "from": "1992-01-01", "to": "1992-12-31"}
    ).text
    assert csv_text.splitlines() == [
        "date,visit,visitor,host",
        f"1992-09-24,{R}event/visit-1992,{R}person/nazarbayev,{R}state/turkey",
    ]
    doc = client.get("/query/tenures", params={"person": "person:nazarbayev"}).json()
    assert doc["results"]["bindings"][0]["tenure"]["value"] == f"{R}tenure/nazarbayev-president"
    browser = client.get("/query/timeline", headers={"accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303
    assert browser.headers["location"].startswith("/?run=timeline")
    assert client.get("/query/no-such-query").status_code == 404
    bad = client.get("/query/timeline", params={"from": "1992-13-45", "format": "csv"})
    assert bad.status_code == 400 and "from" in bad.text


def test_html_escapes_data_and_queries(client: httpx.Client) -> None:
    page = client.get("/resource/person/mallory", headers={"accept": "text/html"}).text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Mallory&quot;" in page
    q = 'SELECT ?x WHERE { BIND("<img src=x onerror=alert(1)>" AS ?x) } # </textarea><script>'
    result = client.post("/sparql", data={"query": q}, headers={"accept": "text/html"}).text
    assert "<img" not in result and "<script>" not in result
    assert "&lt;img src=x onerror=alert(1)&gt;" in result


def test_jsonld_context_is_served_as_the_export_uses_it(client: httpx.Client) -> None:
    from kzgraph.namespaces import PREFIXES
    from kzgraph.serialization import jsonld_context

    r = client.get("/context.jsonld")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == "application/ld+json"
    assert r.json() == {"@context": jsonld_context(PREFIXES)}
    assert r.json()["@context"]["person"] == "https://w3id.org/kzgraph/resource/person/"


def test_void_description(client: httpx.Client, server: Server) -> None:
    r = client.get("/.well-known/void")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    store = ox.Store()
    store.load(r.content, format=ox.RdfFormat.TURTLE)

    def value(prop: str) -> str:
        rows = list(
            store.query(
                "PREFIX void: <http://rdfs.org/ns/void#> "
                "PREFIX dcat: <http://www.w3.org/ns/dcat#> "
                f"PREFIX dcterms: <http://purl.org/dc/terms/> "
                f"SELECT ?v WHERE {{ <https://w3id.org/kzgraph/dataset> {prop} ?v }}"
            )
        )
        assert rows, prop
        return str(rows[0]["v"].value)

    triples = json_count(
        client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    )
    assert int(value("void:triples")) == triples
    assert int(value("void:entities")) > 10
    assert int(value("void:classes")) >= 5
    assert value("dcterms:license") == "https://creativecommons.org/licenses/by/4.0/"
    assert "Kazakhstan" in value("dcterms:title")
    assert value("void:sparqlEndpoint") == f"{server.base}/sparql"
    assert value("dcat:version")
    assert value("dcterms:creator")
    vocabularies = {
        row["v"].value
        for row in store.query("SELECT ?v WHERE { ?d <http://rdfs.org/ns/void#vocabulary> ?v }")
    }
    assert KZ in vocabularies and "http://www.w3.org/2000/01/rdf-schema#" in vocabularies
    example = value("void:exampleResource")
    assert example.startswith(R)
    dump_url = value("void:dataDump")
    dump = client.get(dump_url.replace(server.base, ""))
    assert dump.status_code == 200
    assert len(list(ox.parse(dump.content, format=ox.RdfFormat.N_TRIPLES))) == triples
    jsonld = client.get("/.well-known/void", headers={"accept": "application/ld+json"})
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    # DCAT-AP 3 with its recommended properties (tests/test_void.py), the dump described
    # with the bytes /dump.nt sends and the service on a distribution
    from rdflib import Graph

    from test_void import results

    assert results(Graph().parse(data=r.text, format="turtle")) == []
    size = value("dcat:distribution/dcat:byteSize")
    assert int(size) == len(dump.content)
    assert value("dcat:distribution/dcat:accessService/dcat:endpointURL") == (
        f"{server.base}/sparql"
    )


def test_every_rdf_link_of_a_resource_page_works(client: httpx.Client) -> None:
    import re

    page = client.get("/resource/person/ozal").text
    links = re.findall(r'<link rel="alternate" type="([^"]+)" href="([^"]+)">', page)
    links += [("application/rdf+xml", href) for href in re.findall(r'href="([^"]+)">RDF/XML', page)]
    assert len(links) >= 5
    for media, href in links:
        r = client.get(href.replace("&amp;", "&"))
        assert r.status_code == 200, (href, r.text)
        assert r.headers["content-type"].split(";")[0] == media


GZIP = {"accept-encoding": "gzip"}


def test_large_answers_are_gzipped_for_clients_that_accept_it(server: Server) -> None:
    import gzip

    labels = "SELECT * WHERE { ?s rdfs:label ?l }"
    with httpx.Client(base_url=server.base, timeout=30) as plain:
        for path, params in (("/dump.nt", {}), ("/sparql", {"query": labels})):
            identity = plain.get(path, params=params, headers={"accept-encoding": "identity"})
            assert "content-encoding" not in identity.headers
            for attempt in ("first", "again (from the result cache for /sparql)"):
                request = plain.build_request("GET", path, params=params, headers=GZIP)
                raw = plain.send(request, stream=True)
                compressed = b"".join(raw.iter_raw())  # as sent, not decoded by httpx
                assert raw.headers["content-encoding"] == "gzip", (path, attempt)
                assert "Accept-Encoding" in raw.headers["vary"]
                assert int(raw.headers.get("content-length", len(compressed))) == len(compressed)
                assert gzip.decompress(compressed) == identity.content, (path, attempt)
                assert len(compressed) < len(identity.content) / 2
        # the dump streams; uncompressed it still says how long it is
        dump = plain.get("/dump.nt", headers={"accept-encoding": "identity"})
        assert int(dump.headers["content-length"]) == len(dump.content)
        # small answers and gzip;q=0 are left as they are
        small = plain.get("/sparql", params={"query": "ASK {}"}, headers=GZIP)
        assert "content-encoding" not in small.headers
        refused = plain.get("/dump.nt", headers={"accept-encoding": "gzip;q=0, identity"})
        assert "content-encoding" not in refused.headers
        assert refused.content == dump.content


def test_compression_keeps_etags_distinct() -> None:
    """A strong ETag names one representation: the gzip one gets its own (RFC 9110 8.8.3)."""
    import asyncio
    from typing import Any

    from kzgraph.compression import Compression, accepts_gzip

    start = {"type": "http.response.start", "status": 200}
    headers = [(b"etag", b'"v1"'), (b"content-type", b"text/plain")]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({**start, "headers": list(headers)})
        await send({"type": "http.response.body", "body": b"x" * 5000})

    def etag_of(encoding: str) -> str:
        sent: list[Any] = []

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {"type": "http.request", "body": b""}

        scope = {"type": "http", "method": "GET", "path": "/",
                 "headers": [(b"accept-encoding", encoding.encode())]}  # fmt: skip
        asyncio.run(Compression(app)(scope, receive, send))
        return str(dict(sent[0]["headers"])[b"etag"].decode())

    assert etag_of("identity") == '"v1"'
    assert etag_of("gzip, deflate") == '"v1-gzip"'
    verdicts = {"gzip": True, "GZIP;q=0.5": True, "gzip;q=0": False, "*": True,
                "*, gzip;q=0": False, "br": False, "": False}  # fmt: skip
    for header, expected in verdicts.items():
        scope = {"type": "http", "headers": [(b"accept-encoding", header.encode())]}
        assert accepts_gzip(scope) is expected, header


def test_favicon(client: httpx.Client) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/vnd.microsoft.icon"
    assert r.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


# --------------------------------------------------------------------------- unit


def test_negotiate_rules() -> None:
    results = ("json", "xml", "csv", "tsv", "html")
    assert negotiate(results, None) == "json"
    assert (
        negotiate(results, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        == "html"
    )
    assert negotiate(results, "text/csv;q=0.2, text/*;q=0.9") == "tsv"  # text/csv capped at 0.2
    assert negotiate(results, "application/json", "csv") == "csv"
    with pytest.raises(NotAcceptableError) as info:
        negotiate(results, "image/*")
    assert not info.value.unknown_format
    with pytest.raises(NotAcceptableError) as info:
        negotiate(results, None, "yaml")
    assert info.value.unknown_format
    assert [r.q for r in parse_accept("a/b;q=0.3, c/d;q=x, e/f")] == [0.3, 0.0, 1.0]
    # several values (SPARQLWrapper's format=json-ld&format=application/ld+json,...): the
    # first known one wins; with fallback an unknown one leaves the choice to Accept
    graphs = ("turtle", "jsonld", "nt", "xmlrdf", "html")
    assert negotiate(graphs, None, ["json-ld", "application/ld+json"]) == "jsonld"
    assert negotiate(graphs, None, ["bogus", "application/x-json+ld,application/ld+json"]) == (
        "jsonld"
    )
    assert negotiate(graphs, None, "n3") == "turtle"
    assert negotiate(graphs, None, "xmlrdf") == "xmlrdf"  # the resource pages' own link
    assert negotiate(graphs, "application/n-triples", ["n-quads"], fallback=True) == "nt"
    assert negotiate(results, None, ["turtle"], fallback=True) == "json"
    with pytest.raises(NotAcceptableError) as info:
        negotiate(results, "image/png", "turtle", fallback=True)
    assert not info.value.unknown_format


def test_language_and_links() -> None:
    assert pick_language("ru", "tr") == "ru"
    assert pick_language(None, "de, kk;q=0.8, tr;q=0.5") == "kk-Cyrl"
    assert pick_language("xx", None) == "en"
    assert local_href(f"{R}state/turkey") == "/resource/state/turkey"
    assert local_href(f"{KZ}Visit") == "/ontology#Visit"
    assert local_href("urn:x") is None
    assert esc("<a href='x'>&") == "&lt;a href=&#x27;x&#x27;&gt;&amp;"


def test_asserted_only_server_has_no_inferences(serve_config: ServeConfig) -> None:
    files = tuple(f for f in serve_config.graph_files if f.endswith("asserted.nt"))
    data = {**json.loads(serve_config.to_json()), "graph_files": files, "asserted": True}
    srv = Server(ServeConfig.from_json(json.dumps(data)))
    try:
        q = "ASK { person:nazarbayev kz:heldTenure tenure:nazarbayev-president }"
        assert httpx.get(srv.base + "/sparql", params={"query": q}).json()["boolean"] is False
        q = "ASK { tenure:nazarbayev-president kz:holder person:nazarbayev }"
        assert httpx.get(srv.base + "/sparql", params={"query": q}).json()["boolean"] is True
    finally:
        srv.stop()


# --------------------------------------------------------------------------- browser


def test_home_page_in_headless_chromium(server: Server, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        # CI installs chromium (.ci/run), so there the page is always checked in a browser
        assert not os.environ.get("CI"), "CI must install chromium (see .ci/run)"
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    url = f"{server.base}/?run=timeline#q-timeline"
    common = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    dom = subprocess.run(
        [*common, "--dump-dom", url], capture_output=True, text=True, timeout=120
    ).stdout
    assert '<table class="results">' in dom
    assert "Nazarbayev visits Turkey" in dom
    shot = tmp_path / "home.png"
    subprocess.run(
        [*common, "--window-size=1200,1600", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000
    if os.environ.get("KZGRAPH_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["KZGRAPH_KEEP_SCREENSHOT"])


# --------------------------------------------------------------------------- command line


def connections_by_process(root: int, port: int) -> dict[int, int]:
    """Established TCP connections on local ``port`` held by each descendant of ``root``
    (read from /proc: socket inodes of each process's descriptors, /proc/net/tcp)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                    inodes.add(inode)
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
    owners: dict[int, int] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        held = 0
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        held += 1
        if held:
            owners[pid] = held
    return owners


def test_kzgraph_serve_command(serve_project: Project, kzgraph_exe: str) -> None:
    """The real command, with two HTTP workers (a listening socket each), then Ctrl-C."""
    import signal

    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [kzgraph_exe, "--data", str(serve_project.data_dir),
             "--ontology", str(serve_project.ontology_dir),
             "--queries", str(serve_project.queries_dir), "serve", "--port", str(port),
             "--workers", "2", "--timeout", "3"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    r = httpx.get(base + "/sparql", params={"query": count_query()}, timeout=5)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None
                    time.sleep(0.2)
            assert json_count(r) == 4
            # keep-alive answers are immediate (TCP_NODELAY on the sockets made by kzgraph serve)
            with httpx.Client(base_url=base) as c:
                c.get("/sparql", params={"query": count_query()})
                started = time.monotonic()
                for _ in range(20):
                    assert c.get("/sparql", params={"query": count_query()}).status_code == 200
                assert (time.monotonic() - started) / 20 < 0.02
            page = httpx.get(base + "/resource/state/turkey", headers={"accept": "text/html"})
            assert "<h1>Turkey</h1>" in page.text
            # connections are spread over both HTTP processes (a socket each, SO_REUSEPORT);
            # on one shared socket the first process to wake took them all
            held = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
            try:
                for conn in held:
                    conn.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n")
                for conn in held:
                    assert conn.recv(65536).startswith(b"HTTP/1.1 200")
                owners = connections_by_process(process.pid, port)
            finally:
                for conn in held:
                    conn.close()
            assert sum(owners.values()) == 16 and len(owners) == 2, owners
            # the port is taken: a second server says so, even though the first one's
            # sockets allow port sharing, and so does one with a single HTTP process (its
            # socket is bound the same way); neither claims to serve
            for workers in ("2", "1"):
                busy = subprocess.run(
                    [kzgraph_exe, *project_args(serve_project), "serve", "--port", str(port),
                     "--workers", workers],
                    capture_output=True, text=True, timeout=120,
                )  # fmt: skip
                assert (busy.returncode, busy.stderr) == (
                    2,
                    f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n",
                ), workers
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        log.seek(0)
        output = log.read().decode()
    assert f"serving the reasoned graph on http://127.0.0.1:{port}/" in output
    assert "Traceback" not in output


def test_kzgraph_serve_port_zero_says_the_port_it_got(
    serve_project: Project, kzgraph_exe: str
) -> None:
    """--port 0 lets the system choose; the line that says it serves names the chosen port,
    and the server answers there (one HTTP process: its socket is bound by kzgraph too)."""
    import signal

    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [kzgraph_exe, *project_args(serve_project), "serve", "--port", "0",
             "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            said = None
            while said is None:
                assert time.monotonic() < deadline and process.poll() is None
                log.seek(0)
                said = re.search(
                    rb"serving the reasoned graph on http://127\.0\.0\.1:(\d+)/", log.read()
                )
                time.sleep(0.1)
            port = int(said.group(1))
            assert port != 0
            while True:
                try:
                    r = httpx.get(
                        f"http://127.0.0.1:{port}/sparql",
                        params={"query": count_query()},
                        timeout=5,
                    )
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None
                    time.sleep(0.2)
            assert json_count(r) == 4
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        log.seek(0)
        assert b"Traceback" not in log.read()
