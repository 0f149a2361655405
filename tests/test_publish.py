"""``kzgraph publish`` for releases, on a real Oxigraph server (PyPI's ``oxigraph``, started
on 127.0.0.1 by test_remote's fixture): a second upload without --replace changes nothing
(blank nodes go as skolem IRIs), --with-void sends the description, --layout named leaves
the store holding the graphs of ``export -f nq --inferred --with-void``; and what the store
changes in literals (docs/serving-and-publishing.md, Publishing)."""

from __future__ import annotations

import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from conftest import project_args
from kzgraph.cli import cli
from kzgraph.namespaces import RESOURCE_BASE
from kzgraph.project import Project
from kzgraph.query import SavedQuery, run_saved
from kzgraph.remote import RemoteEngine
from kzgraph.terms import IRI
from test_remote import _catalog_runs, entry, local, server  # noqa: F401 - fixtures

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
ARGS = project_args(Project(FIXTURES / "data", FIXTURES / "ontology", FIXTURES / "queries"))
GRAPH = "https://w3id.org/kzgraph/graph/"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*ARGS, *args])
    return result.exit_code, result.stdout, result.stderr


def graph_quads(url: str, graph: str | None) -> set[str]:
    """The triples of one graph of the store (GET), as Oxigraph writes them."""
    which = "default" if graph is None else "graph=" + urllib.parse.quote(graph, safe="")
    request = urllib.request.Request(
        f"{url}/store?{which}", headers={"Accept": "application/n-triples"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return {str(t) for t in ox.parse(answer.read(), format=ox.RdfFormat.N_TRIPLES)}


def count(url: str, graph: str | None = None) -> int:
    return len(graph_quads(url, graph))


BLANK = """@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/kzgraph/resource/work/note> rdfs:label "A note"@en ;
    kz:citation [ rdfs:label "a work without a name"@en ] , [ rdfs:label "another"@en ] .
"""


def test_publishing_again_without_replace_adds_nothing(
    server: str,  # noqa: F811
    copied_project: Project,
) -> None:
    (copied_project.data_dir / "notes.ttl").write_text(BLANK, encoding="utf-8")
    graph = "https://example.org/republished"
    args = [*project_args(copied_project), "publish", "--endpoint", server, "--graph", graph]
    result = CliRunner().invoke(cli, [*args, "--with-void"])
    assert result.exit_code == 0, result.stderr
    first = count(server, graph)
    assert first > 0 and "(asserted + inferred + description)" in result.stderr
    for _ in range(2):
        result = CliRunner().invoke(cli, [*args, "--with-void"])
        code, err = result.exit_code, result.stderr
        assert code == 0, err
        assert f"verified: the graph holds {first} triples, {first} before" in err
        assert count(server, graph) == first
    content = graph_quads(server, graph)
    assert not any("_:" in line for line in content)  # no blank nodes: skolem IRIs
    assert any("<https://w3id.org/kzgraph/genid/" in line for line in content)


def test_the_named_layout_is_the_export_in_one_run(
    server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    code, _out, err = run("publish", "--endpoint", server, "--replace", "--with-void",
                          "--layout", "named")  # fmt: skip
    assert code == 0, err
    uploads = [line for line in err.splitlines() if "uploaded" in line]
    parts = [line.split(" triples (")[1].split(")")[0] for line in uploads]
    assert parts == ["asserted", "inferred", "description"]
    code, _out, err = run("export", "-f", "nq", "--inferred", "--with-void",
                          "-o", str(tmp_path / "kzgraph.nq"))  # fmt: skip
    assert code == 0, err
    expected = ox.Store()  # the store's own normal form of the same quads
    expected.load((tmp_path / "kzgraph.nq").read_bytes(), format=ox.RdfFormat.N_QUADS)
    names = sorted(str(g.value) for g in expected.named_graphs())
    assert names == [GRAPH + "asserted", GRAPH + "inferred", GRAPH + "void"]
    for name in names:
        want = {
            str(ox.Triple(q.subject, q.predicate, q.object))
            for q in expected.quads_for_pattern(None, None, None, ox.NamedNode(name))
        }
        assert graph_quads(server, name) == want, name


def test_graph_and_the_named_layout_exclude_each_other(server: str) -> None:  # noqa: F811
    code, out, err = run("publish", "--endpoint", server, "--graph", "https://example.org/g",
                         "--layout", "named")  # fmt: skip
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "Error: --graph and --layout named exclude each other (see 'cli publish -h')"
    ]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ('"2"^^<http://www.w3.org/2001/XMLSchema#positiveInteger>',
         '"2"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ('"1800.0"^^<http://www.w3.org/2001/XMLSchema#decimal>',
         '"1800"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
        ('"2"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>',
         '"2"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ('"Қазақстан"@kk-Cyrl', '"Қазақстан"@kk-cyrl'),
        ('"1991-12-16"^^<http://www.w3.org/2001/XMLSchema#date>',
         '"1991-12-16"^^<http://www.w3.org/2001/XMLSchema#date>'),
    ],
)  # fmt: skip
def test_what_the_store_changes_in_literals(server: str, written: str, stored: str) -> None:  # noqa: F811
    """The publishing guide's list: Oxigraph keeps a value, not its spelling or derived datatype."""
    graph = "https://example.org/literals"
    body = f"<http://example.org/s> <http://example.org/p> {written} .\n".encode()
    put = urllib.request.Request(
        f"{server}/store?graph={urllib.parse.quote(graph, safe='')}", data=body, method="PUT",
        headers={"Content-Type": "application/n-triples"},
    )  # fmt: skip
    urllib.request.urlopen(put, timeout=30).close()
    assert graph_quads(server, graph) == {f"<http://example.org/s> <http://example.org/p> {stored}"}


@pytest.mark.parametrize("base", [None, "https://data.example.org/streamed/"])
def test_publish_streams_the_cache_files(
    server: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    base: str | None,
) -> None:
    """Without --with-void nothing reads the graph into terms: the cache files go line by
    line (at ten million triples an in-memory graph took 15 GB before a byte was sent),
    and the store then holds exactly the export's graph."""
    code, _out, err = run("export", "-f", "nt", "--inferred", *(["--base", base] if base else []),
                          "-o", str(tmp_path / "kzgraph.nt"))  # fmt: skip
    assert code == 0, err
    expected = ox.Store()
    expected.load((tmp_path / "kzgraph.nt").read_bytes(), format=ox.RdfFormat.N_TRIPLES)
    want = {str(ox.Triple(q.subject, q.predicate, q.object)) for q in expected}

    def refused(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("publish read the graph into memory")

    monkeypatch.setattr("kzgraph.export._read_ntriples", refused)
    monkeypatch.setattr("kzgraph.export.export_graphs", refused)
    graph = "https://example.org/streamed" + ("-rebased" if base else "")
    code, _out, err = run("publish", "--endpoint", server, "--graph", graph, "--replace",
                          *(["--base", base] if base else []))  # fmt: skip
    assert code == 0, err
    assert f"uploaded {len(want)} triples (asserted + inferred)" in err
    assert err.rstrip().endswith(f"; verified: the graph holds {len(want)} triples")
    assert graph_quads(server, graph) == want


# --------------------------------------------------------------------------- one base


NEW_BASE = "https://data.example.org/kz/"


def _back(term: Any) -> Any:
    """A term of the rebased store with its resource IRI moved back to the w3id base."""
    if isinstance(term, IRI) and term.value.startswith(NEW_BASE):
        return IRI(RESOURCE_BASE + term.value[len(NEW_BASE) :])
    return term


@pytest.fixture(scope="module")
def rebased(server: str, entry: Any) -> str:  # noqa: F811
    """The server's default graph holding ``publish --base NEW_BASE`` (these tests come last
    in the module: the ones above use named graphs or drop everything)."""
    real = project_args(Project(ROOT / "data", ROOT / "ontology", ROOT / "queries"))
    result = CliRunner().invoke(
        cli, [*real, "publish", "--endpoint", server, "--replace", "--base", NEW_BASE]
    )
    assert result.exit_code == 0, result.stderr
    return server


@pytest.mark.parametrize(("saved", "given"), _catalog_runs())
def test_the_catalog_runs_on_a_store_with_a_rebased_export(
    rebased: str,
    local: Any,  # noqa: F811
    saved: SavedQuery,
    given: tuple[tuple[str, str], ...],
) -> None:
    """Every saved query gives the same rows on a store loaded with ``publish --base``
    (the resource IRIs under another base) as on the local graph, run with ``--base``."""
    here = run_saved(local, saved, given)
    there = run_saved(RemoteEngine(rebased, resource_base=NEW_BASE), saved, given)
    assert there.variables == here.variables
    moved = {cell.value for row in there.rows for cell in row if isinstance(cell, IRI)}
    assert not any(iri.startswith(RESOURCE_BASE) for iri in moved)  # the store's own IRIs
    assert tuple(tuple(_back(c) for c in row) for row in there.rows) == here.rows


def test_query_with_base_on_the_command_line(rebased: str) -> None:
    real = project_args(Project(ROOT / "data", ROOT / "ontology", ROOT / "queries"))
    args = [*real, "query", "visits-by-person", "-p", "person", "person:turgut-ozal",
            "--endpoint", rebased, "-f", "csv"]  # fmt: skip
    plain = CliRunner().invoke(cli, args)
    assert plain.exit_code == 2  # the w3id IRI names nothing there
    moved = CliRunner().invoke(cli, [*args, "--base", NEW_BASE])
    assert moved.exit_code == 0, moved.stderr
    assert f"{NEW_BASE}event/ozal-visit-1993-04" in moved.stdout
    here = CliRunner().invoke(cli, [*real, "query", "--base", NEW_BASE, "summits"])
    assert here.exit_code == 2
    assert "--base applies to --endpoint only" in here.stderr


def test_sparql_on_the_endpoint_follows_the_environment(rebased: str) -> None:
    text = (
        "SELECT ?label WHERE { <https://w3id.org/kzgraph/resource/person/turgut-ozal> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    )
    args = ["sparql", text, "--endpoint", rebased, "-f", "csv"]
    plain = CliRunner().invoke(cli, args, env={"KZGRAPH_BASE": None})
    assert plain.exit_code == 0 and plain.stdout == "label\n"
    moved = CliRunner().invoke(cli, args, env={"KZGRAPH_BASE": NEW_BASE})
    assert moved.exit_code == 0, moved.stderr
    assert moved.stdout == "label\nTurgut Özal\n"
