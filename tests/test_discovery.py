"""Discovery and persistent IRIs (issue 17 parts 4-5): kzgraph.discovery and what
``kzgraph serve`` answers for the dataset, graph and version IRIs, ETag/304, Vary, the
access log, the schema.org JSON-LD, sitemap.xml and robots.txt.

The server is a real one on 127.0.0.1 (test_serve's ``Server``) over a copy of the
fixture project with two additions: an ontology file aligning two classes with
schema.org and giving the ontology a version IRI, and a dataset.toml with its own title
and two releases.  The embedded JSON-LD is expanded with PyLD, an independent processor.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import json
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from pyld import jsonld
from starlette.datastructures import Headers

from kzgraph import discovery
from kzgraph.cli import cli
from kzgraph.metadata import read_metadata
from kzgraph.project import Project
from kzgraph.query import OxigraphEngine
from kzgraph.serve import _not_modified, access_line, config_for
from test_serve import Server

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
S = "https://schema.org/"
R = "https://w3id.org/kzgraph/resource/"
ALIGNMENTS = """# Discovery-test additions: schema.org alignments and a version IRI.
@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .

<https://w3id.org/kzgraph/ontology> owl:versionIRI <https://w3id.org/kzgraph/ontology/9.9.9> .
schema:Country a owl:Class .
schema:Person a owl:Class .
kz:Person rdfs:subClassOf schema:Person .
kz:State rdfs:subClassOf schema:Country .
"""
DATASET_TOML = """# Discovery-test metadata: a title of its own and two releases.
title = "Discovery test dataset"
issued = 2026-11-01

[[release]]
version = "2.1.0"
date = 2026-12-01
notes = "The second release."

[[release]]
version = "2.0.0"
date = 2026-11-01
notes = "The first release."
"""


# --------------------------------------------------------------------------- the library


def test_schema_types_come_from_the_ontologys_alignments() -> None:
    ontology = OxigraphEngine(turtle=[ROOT / "ontology" / "kzgraph.ttl"])
    types = discovery.schema_types(ontology)
    kz = "https://w3id.org/kzgraph/ontology#"
    assert "Person" in types[kz + "Person"]
    assert "Country" in types[kz + "Polity"]
    # through a chain: a sovereign state is a polity, a polity a kz:Place, that a schema:Place
    assert {"Country", "Place"} <= set(types[kz + "SovereignState"])
    assert all(name and "/" not in name for names in types.values() for name in names)


def test_types_of_a_resource_without_alignment_is_thing() -> None:
    alignments = {"urn:a": ("Person",), "urn:b": ("Country", "Place")}
    assert discovery.types_of(["urn:a", "urn:b"], alignments) == ["Country", "Person", "Place"]
    assert discovery.types_of(["urn:c", S + "Event"], alignments) == ["Event"]
    assert discovery.types_of(["urn:c"], alignments) == ["Thing"]


def expand(document: Any) -> dict[str, Any]:
    """The single node of ``document`` after JSON-LD expansion (PyLD)."""
    nodes = jsonld.expand(document)
    assert len(nodes) == 1
    return dict(nodes[0])


def values(node: dict[str, Any], term: str) -> list[Any]:
    return [v.get("@value", v.get("@id")) for v in node.get(S + term, [])]


def test_dataset_document_of_the_bundled_metadata() -> None:
    meta = read_metadata(ROOT / "data")
    document = discovery.dataset_document(
        meta,
        page="https://example.org/",
        downloads=[("https://example.org/d.nt", "application/n-triples")],
    )
    node = expand(document)
    assert node["@type"] == [S + "Dataset"]
    assert node["@id"] == "https://w3id.org/kzgraph/dataset"
    assert values(node, "name") == [meta.title]
    assert values(node, "description") == [meta.description]
    assert values(node, "license") == ["https://creativecommons.org/licenses/by/4.0/"]
    assert values(node, "temporalCoverage") == ["1991/2020"]
    assert values(node, "version") == [meta.version]
    assert values(node, "dateModified") == [meta.modified.isoformat()]
    assert set(values(node, "keywords")) == {"Kazakhstan", "Turkey", "international relations"}
    assert values(node, "url") == ["https://example.org/"]
    (creator,) = node[S + "creator"]
    assert values(creator, "name") == ["The kzgraph developers"]
    (catalog,) = node[S + "includedInDataCatalog"]
    assert catalog["@type"] == [S + "DataCatalog"]
    assert catalog["@id"] == "https://w3id.org/kzgraph/catalog"
    (download,) = node[S + "distribution"]
    assert download["@type"] == [S + "DataDownload"]
    assert values(download, "contentUrl") == ["https://example.org/d.nt"]
    assert values(download, "encodingFormat") == ["application/n-triples"]
    assert {v["@value"] for v in node[S + "spatialCoverage"][0][S + "name"]} <= {
        "Kazakhstan",
        "Turkey",
    }


def test_temporal_coverage_of_part_years_names_the_days() -> None:
    assert discovery._coverage(dt.date(1991, 12, 16), dt.date(2020, 12, 31)) == (
        "1991-12-16/2020-12-31"
    )


def test_script_cannot_be_closed_by_the_data() -> None:
    text = discovery.script({"name": "</script><b>&"})
    inner = text.split(">", 1)[1].rsplit("</script>", 1)[0]
    assert "</" not in inner and "<b>" not in inner
    assert json.loads(inner) == {"name": "</script><b>&"}


def test_sitemap_and_robots() -> None:
    xml = discovery.sitemap_xml(
        ["https://e.org/a?x=1&y=2", "https://e.org/b", "https://e.org/b"], dt.date(2026, 1, 2)
    )
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.fromstring(xml)
    assert [u.findtext("s:loc", namespaces=ns) for u in root] == [
        "https://e.org/a?x=1&y=2",
        "https://e.org/b",
    ]
    assert {u.findtext("s:lastmod", namespaces=ns) for u in root} == {"2026-01-02"}
    robots = discovery.robots_txt("https://e.org/sitemap.xml")
    assert "Sitemap: https://e.org/sitemap.xml" in robots.splitlines()
    assert "Disallow: /sparql" in robots.splitlines()


GUIDE = ROOT / "docs" / "serving-and-publishing.md"
LOG_SCOPE = {
    "type": "http",
    "method": "GET",
    "path": "/resource/state/kazakhstan",
    "raw_path": b"/resource/state/kazakhstan",
    "query_string": b"format=turtle",
    "http_version": "1.1",
    "client": ("127.0.0.1", 5555),
    "headers": [(b"user-agent", b'say "hi"\\'), (b"referer", b"http://e.org/")],
}
LOG_WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc).timestamp()


def test_access_line_is_combined_log_format() -> None:
    scope, when = LOG_SCOPE, LOG_WHEN
    line = access_line(scope, 200, 1234, when)
    assert line == (
        '127.0.0.1 - - [04/Mar/2026:05:06:07 +0000] "GET /resource/state/kazakhstan?format=turtle '
        'HTTP/1.1" 200 1234 "http://e.org/" "say \\"hi\\"\\\\"'
    )
    assert access_line({**scope, "headers": []}, 304, 0, when).endswith(' 304 - "-" "-"')


def test_conditional_rules() -> None:
    tag = 'W/"abc-123"'
    modified = 1_000_000.0
    date = email.utils.formatdate(modified, usegmt=True)
    earlier = email.utils.formatdate(modified - 10, usegmt=True)

    def check(**headers: str) -> bool:
        return _not_modified(
            Headers(headers={k.replace("_", "-"): v for k, v in headers.items()}), tag, modified
        )

    assert check(if_none_match=tag)
    assert check(if_none_match='"other", W/"abc-123-gzip"')  # the compressed answer's tag
    assert check(if_none_match="*")
    assert not check(if_none_match='W/"abc-124"')
    assert check(if_modified_since=date)
    assert not check(if_modified_since=earlier)
    assert not check(if_modified_since="not a date")
    # If-None-Match decides when both are sent (RFC 9110 13.2.2)
    assert not check(if_none_match='"x"', if_modified_since=date)
    assert not check()


# --------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("discovery") / "project"
    shutil.copytree(FIXTURES, root)
    (root / "ontology" / "alignments.ttl").write_text(ALIGNMENTS, encoding="utf-8")
    (root / "data" / "dataset.toml").write_text(DATASET_TOML, encoding="utf-8")
    return Project(root / "data", root / "ontology", root / "queries")


@pytest.fixture(scope="module")
def server(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from kzgraph.store import build

    log = tmp_path_factory.mktemp("log") / "access.log"
    config = config_for(build(project).entry, project, access_log=str(log), query_workers=1)
    srv = Server(config)
    srv.access_log = log  # type: ignore[attr-defined]
    yield srv
    output = srv.stderr()
    srv.stop()
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=30) as c:
        yield c


class Head(HTMLParser):
    """The JSON-LD scripts and the <link> elements of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.links: list[dict[str, str]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "script" and attributes.get("type") == "application/ld+json":
            self._in_script = True
            self.scripts.append("")
        if tag == "link":
            self.links.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def head_of(response: httpx.Response) -> Head:
    parser = Head()
    parser.feed(response.text)
    return parser


def test_home_page_embeds_the_dataset(client: httpx.Client, server: Server) -> None:
    r = client.get("/")
    assert r.status_code == 200
    (script,) = head_of(r).scripts
    node = expand(json.loads(script))
    assert node["@type"] == [S + "Dataset"]
    assert values(node, "name") == ["Discovery test dataset"]  # from the project's dataset.toml
    assert values(node, "version") == ["2.1.0"]
    assert values(node, "dateModified") == ["2026-12-01"]
    assert values(node, "temporalCoverage") == ["1991/2020"]
    assert values(node, "url") == [server.base + "/"]
    (download,) = node[S + "distribution"]
    (url,) = values(download, "contentUrl")
    dump = client.get(url)
    assert dump.status_code == 200
    assert dump.headers["content-type"].startswith(values(download, "encodingFormat")[0])


def test_every_page_links_the_dump_the_dcat_record_and_the_service(client: httpx.Client) -> None:
    for path in ("/", "/resource/person/nazarbayev", "/ontology"):
        links = {
            link["href"]: link["type"]
            for link in head_of(client.get(path, headers={"accept": "text/html"})).links
            if link.get("rel") == "alternate"
        }
        assert links["/dump.nt"] == "application/n-triples"
        assert links["/.well-known/void"] == "text/turtle"
        assert links["/sparql"] == "text/turtle"
        record = client.get("/.well-known/void", headers={"accept": "text/turtle"})
        graph = ox.Store()
        graph.load(record.content, ox.RdfFormat.TURTLE)
        assert (
            ox.Quad(
                ox.NamedNode("https://w3id.org/kzgraph/catalog#record-dataset"),
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode("http://www.w3.org/ns/dcat#CatalogRecord"),
                ox.DefaultGraph(),
            )
            in graph
        )
        service = client.get("/sparql", headers={"accept": "text/turtle"})
        assert "sparql-service-description#Service" in service.text


@pytest.mark.parametrize(
    "path, types",
    [
        ("/resource/person/nazarbayev", [S + "Person"]),
        ("/resource/state/kazakhstan", [S + "Country"]),
        ("/resource/paragraph/p14", [S + "Thing"]),
    ],
)
def test_resource_pages_carry_their_schema_org_types(
    client: httpx.Client, server: Server, path: str, types: list[str]
) -> None:
    r = client.get(path, headers={"accept": "text/html"})
    (script,) = head_of(r).scripts
    node = expand(json.loads(script))
    assert node["@id"] == R + path.removeprefix("/resource/")
    assert node["@type"] == types
    assert values(node, "url") == [server.base + path]
    assert values(node, "name")


def test_sitemap_lists_every_page_and_robots_points_at_it(
    client: httpx.Client, server: Server
) -> None:
    robots = client.get("/robots.txt")
    assert robots.status_code == 200
    assert f"Sitemap: {server.base}/sitemap.xml" in robots.text.splitlines()
    r = client.get("/sitemap.xml")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [u.findtext("s:loc", namespaces=ns) for u in ET.fromstring(r.content)]
    answer = client.get(
        "/sparql",
        params={
            "query": "SELECT DISTINCT ?r WHERE { { ?r ?p ?o } UNION { ?s ?p ?r } "
            f'FILTER(isIRI(?r) && STRSTARTS(STR(?r), "{R}")) }}'
        },
        headers={"accept": "application/sparql-results+json"},
    )
    resources = {b["r"]["value"] for b in answer.json()["results"]["bindings"]}
    assert len(resources) > 10
    expected = {f"{server.base}/resource/{iri.removeprefix(R)}" for iri in resources}
    assert set(urls) == expected | {f"{server.base}/", f"{server.base}/ontology"}
    assert len(urls) == len(set(urls))
    for url in urls:
        assert client.get(url, headers={"accept": "text/html"}).status_code == 200, url


# ---- the IRIs the data uses


def turtle(response: httpx.Response) -> ox.Store:
    assert response.status_code == 200, response.text
    store = ox.Store()
    store.load(response.content, ox.RdfFormat.TURTLE)
    return store


@pytest.mark.parametrize("path", ["/dataset", "/dataset/2.1.0", "/catalog", "/graph/void"])
def test_dataset_and_catalogue_iris_answer_their_description(
    client: httpx.Client, path: str
) -> None:
    store = turtle(client.get(path, headers={"accept": "text/turtle"}))
    dataset = ox.NamedNode("https://w3id.org/kzgraph/dataset")
    titles = {
        q.object.value
        for q in store.quads_for_pattern(
            dataset, ox.NamedNode("http://purl.org/dc/terms/title"), None
        )
    }
    assert titles == {"Discovery test dataset"}
    versions = [
        q.object.value
        for q in store.quads_for_pattern(
            dataset, ox.NamedNode("http://www.w3.org/ns/dcat#version"), None
        )
    ]
    assert versions == ["2.1.0"]
    browser = client.get(path, headers={"accept": "text/html"})
    assert browser.status_code == 303 and browser.headers["location"] == "/"
    assert "Accept" in browser.headers["vary"]


def test_version_iris_of_other_releases_are_404(client: httpx.Client) -> None:
    older = client.get("/dataset/2.0.0", headers={"accept": "text/turtle"})
    assert older.status_code == 404
    assert "older release" in older.text and "2.1.0" in older.text
    assert client.get("/dataset/7.0.0").status_code == 404


@pytest.mark.parametrize("name", ["asserted", "inferred"])
def test_graph_iris_answer_their_triples(client: httpx.Client, server: Server, name: str) -> None:
    store = ox.Store()
    r = client.get(f"/graph/{name}", headers={"accept": "application/n-triples"})
    assert r.status_code == 200
    store.load(r.content, ox.RdfFormat.N_TRIPLES)
    index = 0 if name == "asserted" else 1
    expected = ox.Store()
    expected.load(path=server.config.graph_files[index], format=ox.RdfFormat.N_TRIPLES)
    assert len(store) == len(expected) > 0
    assert set(store) == set(expected)
    assert client.get("/graph/nothing").status_code == 404


def test_ontology_version_iri(client: httpx.Client) -> None:
    now = client.get("/ontology/9.9.9", headers={"accept": "text/turtle"})
    assert now.status_code == 200
    assert now.content == client.get("/ontology", headers={"accept": "text/turtle"}).content
    assert "owl#versionIRI" in now.text or "versionIRI" in now.text
    other = client.get("/ontology/1.0.0")
    assert other.status_code == 404 and "9.9.9" in other.text


def test_resource_iri_answers_200_naming_its_document(client: httpx.Client) -> None:
    r = client.get("/resource/person/nazarbayev", headers={"accept": "text/turtle"})
    assert r.status_code == 200
    document = r.headers["content-location"]
    assert document == "/resource/person/nazarbayev?format=turtle"
    assert f'<{document}>; rel="describedby"; type="text/turtle"' in r.headers["link"]
    assert client.get(document).content == r.content
    page = client.get("/resource/person/nazarbayev?lang=tr", headers={"accept": "text/html"})
    assert page.headers["content-location"] == "/resource/person/nazarbayev?format=html&lang=tr"
    assert client.get(page.headers["content-location"]).content == page.content


# ---- caching headers


def test_etag_last_modified_and_304(client: httpx.Client, server: Server) -> None:
    path = "/resource/state/kazakhstan"
    first = client.get(path, headers={"accept": "text/turtle"})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('W/"')
    built = max(Path(f).stat().st_mtime for f in server.config.graph_files)
    assert email.utils.parsedate_to_datetime(modified).timestamp() >= int(built)
    again = client.get(path, headers={"accept": "text/turtle", "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag and "Accept" in again.headers["vary"]
    since = client.get(path, headers={"accept": "text/turtle", "if-modified-since": modified})
    assert since.status_code == 304
    old = email.utils.formatdate(0, usegmt=True)
    assert (
        client.get(path, headers={"accept": "text/turtle", "if-modified-since": old}).status_code
        == 200
    )
    other = client.get(path, headers={"accept": "application/n-triples", "if-none-match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    # the compressed answer has its own tag, and it validates too
    zipped = client.get(path, headers={"accept": "text/html", "accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"].endswith('-gzip"')
    revalidated = client.get(
        path,
        headers={
            "accept": "text/html",
            "accept-encoding": "gzip",
            "if-none-match": zipped.headers["etag"],
        },
    )
    assert revalidated.status_code == 304


def test_errors_vary_on_accept_including_406(client: httpx.Client) -> None:
    refused = client.get("/resource/person/nazarbayev", headers={"accept": "image/png"})
    assert refused.status_code == 406
    assert "Accept" in refused.headers["vary"]
    missing = client.get("/resource/person/nobody", headers={"accept": "text/turtle"})
    assert missing.status_code == 404 and "Accept" in missing.headers["vary"]
    assert "etag" not in missing.headers


def test_curl_revalidates(server: Server) -> None:
    url = server.base + "/ontology"
    head = subprocess.run(
        ["curl", "-sS", "-D", "-", "-o", "/dev/null", "-H", "Accept: text/turtle", url],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    etag = re.search(r"(?im)^etag: (.+?)\r?$", head.stdout)
    assert etag is not None, head.stdout
    code = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Accept: text/turtle",
         "-H", f"If-None-Match: {etag.group(1)}", url],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert code.stdout == "304"


def test_access_log_has_a_combined_line_per_request(client: httpx.Client, server: Server) -> None:
    client.get("/robots.txt", headers={"user-agent": 'probe "quoted"', "referer": "http://e.org/x"})
    client.get("/resource/person/nobody")
    log: Path = server.access_log  # type: ignore[attr-defined]
    lines = log.read_text(encoding="utf-8").splitlines()
    combined = re.compile(
        r"^127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "
        r'"GET (\S+) HTTP/1\.1" (\d{3}) (\d+|-) "(.*)" "(.*)"$'
    )
    parsed = [combined.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m]
    robots = [m for m in parsed if m and m.group(1) == "/robots.txt"][-1]
    assert robots.group(2) == "200"
    assert int(robots.group(3)) == len(client.get("/robots.txt").content)
    assert robots.group(4) == "http://e.org/x"
    assert robots.group(5) == 'probe \\"quoted\\"'
    assert any(
        m and m.group(1) == "/resource/person/nobody" and m.group(2) == "404" for m in parsed
    )


def test_serve_refuses_an_access_log_it_cannot_open(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--access-log", str(tmp_path / "no" / "such.log")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: cannot open the access log ")
    assert len(result.stderr.strip().splitlines()) == 1


# ---- the serving guide's access-log line (its console examples run in test_examples.py)


def test_the_guides_access_log_line_is_what_serve_writes() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    (sample,) = re.findall(r"^    (127\.0\.0\.1 .*)$", text, re.M)
    assert sample == access_line(LOG_SCOPE, 200, 1234, LOG_WHEN)


def test_the_serve_command_logs_every_workers_requests(
    project: Project, kzgraph_exe: str, tmp_path: Path
) -> None:
    """``kzgraph serve --access-log access.log`` and ``--root-path /kz`` (the --help
    examples) with two HTTP processes appending to one file: one Combined Log Format line
    per request, and each process serving under the root path."""
    import signal

    from test_serve import free_port

    port = free_port()
    with (tmp_path / "out.txt").open("wb") as out:
        process = subprocess.Popen(
            [kzgraph_exe, "--data", str(project.data_dir), "--ontology", str(project.ontology_dir),
             "--queries", str(project.queries_dir), "serve", "--port", str(port),
             "--workers", "2", "--access-log", "access.log", "--root-path", "/kz"],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    httpx.get(base + "/robots.txt", timeout=5)
                    break
                except httpx.HTTPError:
                    assert process.poll() is None, (tmp_path / "out.txt").read_text()
                    time.sleep(0.1)
            for i in range(20):  # separate connections: the kernel spreads them
                robots = httpx.get(f"{base}/robots.txt?n={i}", timeout=5)
                assert robots.status_code == 200
                assert "Disallow: /kz/sparql" in robots.text.splitlines()  # --root-path /kz
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    lines = (tmp_path / "access.log").read_text(encoding="utf-8").splitlines()
    asked = [line for line in lines if '"GET /kz/robots.txt?n=' in line]  # the public path
    assert len(asked) == 20
    assert {re.search(r"n=(\d+) ", line).group(1) for line in asked} == {  # type: ignore[union-attr]
        str(i) for i in range(20)
    }
    assert all(line.startswith("127.0.0.1 - - [") and '" 200 ' in line for line in asked)


# ---- under a sub-path behind a reverse proxy (--root-path)

ROOT_PATH = "/kz"


@pytest.fixture(scope="module")
def rooted(project: Project) -> Iterator[Server]:
    """A server told it lives under /kz; requests to it are what a proxy that strips
    /kz sends (``location /kz/ { proxy_pass http://127.0.0.1:PORT/; }``)."""
    from kzgraph.store import build

    config = config_for(build(project).entry, project, root_path=ROOT_PATH, query_workers=1)
    srv = Server(config)
    yield srv
    output = srv.stderr()
    srv.stop()
    assert "Traceback" not in output, output


def stripped(url: str) -> str:
    """What the proxy forwards for a path under /kz (the fragment never travels)."""
    url = url.split("#")[0]
    assert url.startswith(ROOT_PATH + "/"), url
    return url[len(ROOT_PATH) :]


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LINK = re.compile(r'\s(?:href|action|src)="(/[^"]*)"')


@pytest.mark.parametrize(
    "path",
    ["/", "/resource/person/nazarbayev", "/ontology", "/search?q=Nazarbayev", "/sparql", "/limits"],
)
def test_every_link_of_a_page_under_the_root_path_works(rooted: Server, path: str) -> None:
    with httpx.Client(base_url=rooted.base, timeout=30) as c:
        page = c.get(path, headers={"accept": "text/html"})
        assert page.status_code == 200
        links = {html.unescape(link) for link in LINK.findall(page.text)}
        assert len(links) >= 3
        assert all(link.startswith(ROOT_PATH + "/") for link in links), links
        for link in sorted(links):
            target = c.get(stripped(link), headers={"accept": BROWSER})
            assert target.status_code < 400, link


def test_headers_and_built_urls_under_the_root_path(rooted: Server) -> None:
    public = rooted.base + ROOT_PATH
    with httpx.Client(base_url=rooted.base, timeout=30) as c:
        r = c.get("/resource/person/nazarbayev", headers={"accept": "text/turtle"})
        assert r.headers["content-location"] == "/kz/resource/person/nazarbayev?format=turtle"
        assert (
            '</kz/resource/person/nazarbayev?format=turtle>; rel="describedby"' in r.headers["link"]
        )
        assert "<https://w3id.org/kzgraph/resource/person/nazarbayev>" in r.headers["link"]
        assert c.get(stripped(r.headers["content-location"])).content == r.content
        d = c.get("/dataset", headers={"accept": "text/html"})
        assert d.status_code == 303 and d.headers["location"] == "/kz/"
        (script,) = head_of(c.get("/")).scripts
        node = expand(json.loads(script))
        assert values(node, "url") == [public + "/"]
        (download,) = node[S + "distribution"]
        assert values(download, "contentUrl") == [public + "/dump.nt"]
        sitemap = c.get("/sitemap.xml")
        ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        urls = [u.findtext("s:loc", namespaces=ns) or "" for u in ET.fromstring(sitemap.content)]
        assert urls and all(u.startswith(public + "/") for u in urls)
        robots = c.get("/robots.txt").text.splitlines()
        assert f"Sitemap: {public}/sitemap.xml" in robots
        assert "Disallow: /kz/sparql" in robots and "Allow: /kz/" in robots
        void = turtle(c.get("/.well-known/void", headers={"accept": "text/turtle"}))
        endpoints = {
            q.object.value
            for q in void.quads_for_pattern(
                None, ox.NamedNode("http://www.w3.org/ns/dcat#endpointURL"), None
            )
        }
        assert endpoints == {public + "/sparql"}
        plain = {"accept-encoding": "identity"}
        get, head = c.get("/", headers=plain), c.head("/", headers=plain)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(get.content))


@pytest.mark.parametrize("value", ["kz", "/k z", "/kz/../x", "/.", '/"kz', "//kz"])
def test_serve_refuses_a_root_path_that_is_not_one(value: str, tmp_path: Path) -> None:
    # an access log that cannot be opened: were the root path let through, the command
    # would stop on that (another message) rather than serve for ever inside the test
    unopenable = str(tmp_path / "no" / "such.log")
    result = CliRunner().invoke(cli, ["serve", "--root-path", value, "--access-log", unopenable])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --root-path must be a path such as /kz")
    assert len(result.stderr.strip().splitlines()) == 1
