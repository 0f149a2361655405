"""``kzgraph.pool``: known-quick queries run in the web process, all others in a worker.

Real worker processes on the fixture project's cache entry (no mocks): a query a worker
answered quickly runs in this process the next time it comes, with the same bytes; a
runaway is stopped by killing its worker however often it comes back; SPARQL JSON written
by the endpoint is the very text of ``kzgraph query -f json``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from kzgraph.errors import QuerySyntaxError, QueryTimeoutError
from kzgraph.namespaces import FUNCTIONS, PREFIXES
from kzgraph.pool import QueryPool, _execute, results_json
from kzgraph.project import Project
from kzgraph.query import OxigraphEngine, QueryResult, bind, load_catalog, resolve_params
from kzgraph.render import to_json
from kzgraph.terms import IRI, BNode, Literal

REPO = Path(__file__).parent.parent
SMALL = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label LIMIT 3"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def files(entry: Any) -> list[Path]:
    return [Path(entry.asserted_path), Path(entry.inferred_path)]


def test_a_query_answered_quickly_runs_in_process_the_next_time(entry: Any) -> None:
    async def scenario() -> tuple[list[bytes], list[int]]:
        local = OxigraphEngine(files(entry))
        pool = QueryPool(files(entry), size=1, timeout=30, local=local, memory_limit=None)
        await pool.start()
        try:
            # warm the fresh worker with another text, so that the first answer of SMALL costs
            # what a query costs, not a cold worker's first-use work (which could pass 25 ms)
            await pool.run(SMALL.replace("LIMIT 3", "LIMIT 2"), "json")
            assert pool.local_runs == 0
            bodies, runs = [], []
            for fmt in ("json", "json", "csv", "csv", "html", "html"):
                answer = await pool.run(SMALL, fmt)
                bodies.append(answer.body)
                runs.append(pool.local_runs)
            assert answer.result is not None and len(answer.result.rows) == 3  # html: rows
            with pytest.raises(QuerySyntaxError):  # an error is never remembered as quick
                await pool.run("SELECT ?x WHERE {", "json")
            with pytest.raises(QuerySyntaxError):
                await pool.run("SELECT ?x WHERE {", "json")
            assert pool.local_runs == runs[-1]
            # a text's own PREFIX wins over the defaults, in a worker and here alike
            own = "PREFIX rdfs: <https://example.org/not-rdfs#>\n" + SMALL
            for _ in range(3):
                answer = await pool.run(own, "json")
                assert json.loads(answer.body)["results"]["bindings"] == []
            assert pool.local_runs == runs[-1] + 2
            return bodies, runs
        finally:
            await pool.close()

    bodies, runs = asyncio.run(scenario())
    assert runs == [0, 1, 1, 2, 2, 3]  # each format first in a worker, then here
    assert bodies[0] == bodies[1] and bodies[2] == bodies[3]  # the same bytes from both
    rows = json.loads(bodies[0])["results"]["bindings"]
    assert len(rows) == 3 and {"s", "label"} <= set(rows[0])
    assert bodies[2].decode().splitlines()[0] == "s,label"


def test_a_runaway_query_is_killed_every_time_it_comes_and_never_runs_here(entry: Any) -> None:
    async def scenario() -> tuple[int, int, bytes]:
        local = OxigraphEngine(files(entry))
        pool = QueryPool(files(entry), size=1, timeout=1.0, local=local, memory_limit=None)
        await pool.start()
        try:
            for _ in range(2):
                with pytest.raises(QueryTimeoutError, match="longer than the limit of 1 s"):
                    await pool.run(RUNAWAY, "json")
            await asyncio.sleep(0.5)
            after = await pool.run(SMALL, "json")  # the replacement worker answers
            return pool.killed, pool.local_runs, after.body
        finally:
            await pool.close()

    killed, local_runs, after = asyncio.run(scenario())
    assert killed == 2 and local_runs == 0
    assert len(json.loads(after)["results"]["bindings"]) == 3


def test_named_graph_queries_always_go_to_a_worker(entry: Any) -> None:
    from kzgraph.pool import Dataset

    graph = "https://example.org/g"
    dataset = Dataset(default=(graph,), named=(), files=((graph, (str(entry.asserted_path),)),))

    async def scenario() -> tuple[int, int]:
        local = OxigraphEngine(files(entry))
        pool = QueryPool(files(entry), size=1, timeout=30, local=local, memory_limit=None)
        await pool.start()
        try:
            counts = []
            for _ in range(2):
                answer = await pool.run(
                    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "json", dataset=dataset
                )
                counts.append(int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"]))
            assert counts[0] == counts[1] > 0
            return pool.local_runs, counts[0]
        finally:
            await pool.close()

    local_runs, count = asyncio.run(scenario())
    assert local_runs == 0
    assert count < len(OxigraphEngine(files(entry)))  # the asserted graph only


def test_sparql_json_of_the_endpoint_is_the_text_of_query_json() -> None:
    """The endpoint writes SPARQL JSON itself (the indenting encoder was half a saved
    query's time); it must stay the exact text ``kzgraph query -f json`` prints."""
    from kzgraph.store import build

    project = Project(REPO / "data", REPO / "ontology", REPO / "queries")
    entry = build(project).entry
    engine = OxigraphEngine(files(entry))
    prefixes = {**PREFIXES, "kzf": FUNCTIONS}
    checked = 0
    for name, query in sorted(load_catalog(project.queries_dir).items()):
        text = bind(query.text, resolve_params(query, []))
        result = engine.run(text)
        if result.kind != "select":
            continue
        expected = to_json(result)
        assert results_json(result) == expected, name
        assert _execute(engine, text, "json", 10_000, prefixes).body.decode() == expected, name
        if len(result.rows) > 2:  # cut: the link says so, in the head
            cut = _execute(engine, text, "json", 2, prefixes, link="http://h/limits")
            short = QueryResult("select", result.variables, result.rows[:2])
            assert cut.truncated and cut.count == 2
            assert cut.body.decode() == to_json(short, ["http://h/limits"]), name
        checked += 1
    assert checked >= 20
    # terms of every kind, unbound values, control characters and non-ASCII text
    odd = QueryResult(
        "select",
        ("a", "b", "c"),
        (
            (BNode("b0"), None, IRI("https://example.org/é")),
            (None, None, None),
            (
                Literal('line\n"quoted"\u0001 é', language="kk-Cyrl"),
                Literal("7", datatype="http://www.w3.org/2001/XMLSchema#integer"),
                Literal("plain"),
            ),
        ),
    )
    assert results_json(odd) == to_json(odd)
    assert results_json(QueryResult("select", (), ())) == to_json(QueryResult("select", (), ()))
    text = (
        'SELECT ?a ?b WHERE { VALUES (?a ?b) { (UNDEF "x"@en) (<http://x> UNDEF) (UNDEF UNDEF) } }'
    )
    direct = _execute(engine, text, "json", 10_000, prefixes).body.decode()
    assert direct == to_json(engine.run(text))
