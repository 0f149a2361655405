"""``kzgraph serve --base``: a real server on 127.0.0.1 serving the repository's data
under a publisher's base behind a proxy's sub-path (``--root-path /kz``): the resources
answer at their rebased IRIs' paths with rebased IRIs only, the saved-query catalog gives
row for row what the local graph gives (IRIs moved), and the description follows."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from kzgraph.cli import cli
from kzgraph.namespaces import RESOURCE_BASE
from kzgraph.query import SavedQuery, run_saved
from kzgraph.remote import RemoteEngine
from kzgraph.terms import IRI
from kzgraph.web.config import resource_path
from test_remote import ARGS, ROOT, _catalog_runs, entry, free_port, local  # noqa: F401 - fixtures

BASE = "https://data.example.org/kz/"


@contextlib.contextmanager
def running(kzgraph_exe: str, args: list[str]) -> Iterator[str]:
    """``kzgraph ARGS serve --port P`` as a real process (KZGRAPH_BASE unset); its URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KZGRAPH_BASE"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [kzgraph_exe, *args, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        try:
            while True:
                try:
                    httpx.get(url + "/sparql?query=ASK{}", timeout=5)
                    break
                except httpx.HTTPError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        pytest.fail(f"serve did not start: {log.read().decode()}")
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def served(kzgraph_exe: str) -> Iterator[str]:
    """``kzgraph serve --base BASE --root-path /kz``, as a publisher behind a proxy that
    forwards https://data.example.org/kz/... without the /kz runs it."""
    with running(kzgraph_exe, [*ARGS, "serve", "--base", BASE, "--root-path", "/kz"]) as url:
        yield url


def _back(term: Any) -> Any:
    """A term of the served graph with its resource IRI moved back to the w3id base."""
    if isinstance(term, IRI) and term.value.startswith(BASE):
        return IRI(RESOURCE_BASE + term.value[len(BASE) :])
    return term


def test_a_rebased_iri_answers_at_its_path_with_rebased_iris(served: str) -> None:
    page = httpx.get(served + "/state/kazakhstan", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "<h1>Kazakhstan</h1>" in page.text
    assert RESOURCE_BASE not in page.text
    assert BASE + "state/kazakhstan" in page.text
    # links go where the proxy forwards them: /kz/<kind>/<slug>
    assert 'href="/kz/state/turkey"' in page.text
    assert page.headers["content-location"].startswith("/kz/state/kazakhstan?format=html")
    turtle = httpx.get(served + "/state/kazakhstan", headers={"accept": "text/turtle"})
    assert turtle.status_code == 200 and RESOURCE_BASE not in turtle.text
    assert f"<{BASE}state/kazakhstan>" in turtle.text or f"<{BASE}state/>" in turtle.text
    assert httpx.get(served + "/resource/state/kazakhstan").status_code == 404


def test_the_endpoint_takes_the_rebased_prefixes_undeclared(served: str) -> None:
    answer = httpx.get(
        served + "/sparql",
        params={
            "query": "SELECT ?l WHERE { state:kazakhstan rdfs:label ?l FILTER(lang(?l)='en') }"
        },
        headers={"accept": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.text.splitlines()[1:] == ["Kazakhstan"]


def test_the_description_and_sitemap_follow_the_base(served: str) -> None:
    void = httpx.get(served + "/.well-known/void", headers={"accept": "application/n-triples"})
    assert f'<http://rdfs.org/ns/void#uriSpace> "{BASE}"' in void.text
    assert RESOURCE_BASE not in void.text
    entities = re.search(r'void#entities> "(\d+)"', void.text)
    assert entities is not None and int(entities.group(1)) > 200
    sitemap = httpx.get(served + "/sitemap.xml").text
    assert "/kz/state/kazakhstan</loc>" in sitemap and "/resource/" not in sitemap


def test_search_and_the_home_page_follow_the_base(served: str) -> None:
    found = httpx.get(served + "/search", params={"q": "Nazarbayev", "format": "json"})
    assert found.status_code == 200, found.text
    assert f"{BASE}person/nursultan-nazarbayev" in found.text
    assert RESOURCE_BASE not in found.text
    home = httpx.get(served + "/", headers={"accept": "text/html"}).text
    assert 'href="/kz/state/kazakhstan"' in home and "/resource/" not in home


def test_a_saved_query_on_the_server_runs_rebased(served: str) -> None:
    answer = httpx.get(
        served + "/query/visits-by-person",
        params={"person": "person:turgut-ozal", "format": "csv"},
    )
    assert answer.status_code == 200, answer.text
    assert f"{BASE}event/ozal-visit-1993-04" in answer.text
    assert RESOURCE_BASE not in answer.text


@pytest.mark.parametrize(("saved", "given"), _catalog_runs())
def test_the_catalog_gives_the_local_rows_on_the_rebased_server(
    served: str,
    local: Any,  # noqa: F811
    saved: SavedQuery,
    given: tuple[tuple[str, str], ...],
) -> None:
    here = run_saved(local, saved, given)
    there = run_saved(RemoteEngine(served + "/sparql", resource_base=BASE), saved, given)
    assert there.variables == here.variables
    iris = {cell.value for row in there.rows for cell in row if isinstance(cell, IRI)}
    assert not any(iri.startswith(RESOURCE_BASE) for iri in iris)
    assert tuple(tuple(_back(c) for c in row) for row in there.rows) == here.rows


@pytest.mark.parametrize(
    ("base", "root", "path"),
    [
        ("", "", "/resource/"),
        ("", "/kz", "/resource/"),
        (BASE, "", "/kz/"),
        (BASE, "/kz", "/"),
        ("https://data.example.org/", "", "/"),
        ("https://data.example.org/kzx/", "/kz", "/kzx/"),  # not under the root path
    ],
)
def test_where_the_resources_answer(base: str, root: str, path: str) -> None:
    assert resource_path(base, root) == path


def test_a_hash_base_is_refused_by_serve() -> None:
    result = CliRunner().invoke(cli, [*ARGS, "serve", "--base", "https://data.example.org/kz#"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "must end with '/'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_dataset_toml_alone_sets_the_base_and_the_dataset_and_graph_iris(
    kzgraph_exe: str, tmp_path: Path
) -> None:
    """With ``base`` and ``resources`` in dataset.toml (no option, no variable, no root
    path): the resources answer at the base's own path, and the dataset and graph IRIs a
    request may name are the metadata's, as export names them."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    toml = data / "dataset.toml"
    text = toml.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^base = ".*"$', f'base = "{BASE}"', text)
    text = re.sub(r'(?m)^resources = ".*"$', f'resources = "{BASE}"', text)
    toml.write_text(text, encoding="utf-8")
    args = ["--data", str(data), *ARGS[2:], "serve"]
    with running(kzgraph_exe, args) as url:
        page = httpx.get(url + "/kz/state/turkey", headers={"accept": "text/html"})
        asked = {"query": "ASK { ?s ?p ?o }", "default-graph-uri": f"{BASE}graph/asserted"}
        json = {"accept": "application/sparql-results+json"}
        named = httpx.get(url + "/sparql", params=asked, headers=json)
        asked["default-graph-uri"] = "https://w3id.org/kzgraph/graph/asserted"
        old = httpx.get(url + "/sparql", params=asked, headers=json)
        service = httpx.get(url + "/sparql", headers={"accept": "application/n-triples"})
    assert page.status_code == 200 and RESOURCE_BASE not in page.text
    assert named.status_code == 200 and named.json()["boolean"] is True
    assert old.status_code == 400
    assert f"<{BASE}dataset>" in service.text and f"<{BASE}graph/inferred>" in service.text
    assert "https://w3id.org/kzgraph/dataset" not in service.text
