"""Full-text search (kzgraph.search): the language, the index, `kzgraph search`, the SPARQL
functions on both engines and on `kzgraph serve`.

Most tests run on the bundled data (what people search); the rebuild, the lazy index of an
older entry and the endpoint use copies of the tiny fixture project.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from conftest import project_args
from kzgraph.cli import cli
from kzgraph.errors import SearchError
from kzgraph.project import Project
from kzgraph.query import open_engine
from kzgraph.search import INDEX, SearchIndex, open_index
from kzgraph.search_syntax import parse_query
from kzgraph.spelling import fold, fold_with_offsets
from kzgraph.store import build

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
BUNDLED = Project(ROOT / "data", ROOT / "ontology", ROOT / "queries")
ARGS = project_args(BUNDLED)
R = "https://w3id.org/kzgraph/resource/"
NAZARBAYEV = R + "person/nursultan-nazarbayev"


@pytest.fixture(scope="module")
def index() -> Iterator[SearchIndex]:
    opened = open_index(build(BUNDLED).entry.path)
    yield opened
    opened.close()


def iris(index: SearchIndex, text: str, **options: object) -> list[str]:
    return [hit.iri for hit in index.search(text, **options).hits]  # type: ignore[arg-type]


def search(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*ARGS, "search", *args])
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------- the language


def test_fold_is_the_characters_folded_one_at_a_time() -> None:
    samples = [
        "Нұрсұлтан Назарбаев", "Çiller's  visit", "Küçükçekmece—Üsküdar", "  ½ © x  ", "El'tsin",
        "Türkiye’s", "a\tb\nc", "ǅ ß ﬁ Ⅻ", "",
    ]  # fmt: skip
    lines = (ROOT / "data" / "events.ttl").read_text(encoding="utf-8").splitlines()
    for text in samples + lines:
        assert fold(text) == fold_with_offsets(text)[0], text


def test_match_expression_is_built_from_quoted_folded_tokens() -> None:
    query = parse_query(
        '"Treaty OF" Назарбаев* OR cesme -"x\'); DROP TABLE literal; --" NOT "} near"'
    )
    assert query.show() == '"treaty of" nazarbaev* OR cesme -"x drop table literal" -near'
    # every string in the expression is a quoted run of [a-z0-9 ]: nothing typed is syntax
    expression = query.fts()
    assert all(re.fullmatch(r"[a-z0-9 ]+", s) for s in re.findall(r'"([^"]*)"', expression))
    rest = re.sub(r'"[^"]*"\*?', "", expression)
    assert set(re.findall(r"[A-Za-z]+", rest)) <= {"fold", "key", "OR", "AND", "NOT"}
    assert set(re.sub(r"[A-Za-z]+", "", rest)) <= set(" ():")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the search text is empty"),
        ("   \t ", "the search text is empty"),
        ("a" * 1_048_576, "1048576 characters long; the limit is 1000"),
        ("ozal\x07", "control character (U+0007)"),
        ("!!! ... ---", "no words to look for (only punctuation)"),
        ('"treaty of', "unbalanced quote: the phrase opened at column 1"),
        ('visit "treaty', "opened at column 7 has no closing"),
        ("AND", "'AND' at column 1 needs a word on each side"),
        ("ozal OR", "'OR' at column 6 needs a word after it"),
        ("OR ozal", "'OR' at column 1 needs a word on each side"),
        ("NOT", "'NOT' at column 1 needs a word after it"),
        ("NOT ozal", "-word and NOT word only leave things out"),
        ("visit OR -ozal", "cannot join an excluded word"),
    ],
)
def test_bad_search_text_is_one_line_exit_2(text: str, message: str) -> None:
    with pytest.raises(SearchError, match=re.escape(message)):
        parse_query(text)
    code, out, err = search(text)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("Error: ") and message in err
    assert "Traceback" not in err


def test_python_matching_agrees_with_the_index(index: SearchIndex) -> None:
    """kzf:match decides in Python; the index decides in FTS5: the same literals match."""
    values = [str(v) for (v,) in index._all("SELECT value FROM literal")]
    for text in ["nazarbaev", '"treaty of friendship"', "yass*", "visit -ozal", "gul OR sezer"]:
        query = parse_query(text)
        found = {str(v) for (v,) in index._all(
            "SELECT value FROM literal WHERE literal MATCH ?", [query.fts()]
        )}  # fmt: skip
        assert found, text
        assert {v for v in values if query.matches(v)} == found, text


# --------------------------------------------------------------------------- what it finds


def test_spelling_variants_find_the_same_resource(index: SearchIndex) -> None:
    for text in ["Назарбаев", "nazarbaev", "NAZARBAYEV", "Nazarbayev"]:
        assert iris(index, text)[0] == NAZARBAYEV, text
    # the possessive is its own word first (his visits...), then the name by its key
    assert NAZARBAYEV in iris(index, "Nazarbayev's", limit=100)
    assert iris(index, "Chiller")[0] == R + "person/tansu-ciller"
    assert iris(index, "kucukcekmece")[0] == R + "place/kucukcekmece"
    madrasah = [R + "event/yasawi-foundation-madrasah-opening", R + "institution/yasawi-foundation"]
    assert iris(index, "madrassa") == iris(index, "madrasah") == madrasah
    assert iris(index, "cesme") == []  # the bundled data has no Çeşme (see the fixture test)


def test_phrase_prefix_or_and_not(index: SearchIndex) -> None:
    treaty = R + "document/friendship-treaty-1994"
    assert iris(index, '"treaty of friendship"')[0] == treaty
    assert iris(index, '"friendship of treaty"') == []
    assert iris(index, "friendship treaty")[0] == treaty  # words in any order
    assert iris(index, "yassaw") == []
    assert R + "person/khoja-akhmet-yassawi" in iris(index, "yassaw*")
    either = iris(index, "erdogan OR gul")
    assert {R + "person/recep-tayyip-erdogan", R + "person/abdullah-gul"} <= set(either)
    visits = iris(index, "visit -ozal", limit=1000)
    assert R + "event/gul-visit-2007-10" in visits
    # left out: every resource any of whose texts names Özal, not only those literals
    assert not [iri for iri in visits if "ozal" in iri]
    assert R + "tenure/ozal-president-of-turkey" in iris(index, "visit", limit=1000)
    assert iris(index, "visit NOT ozal", limit=1000) == visits


def test_hit_carries_kind_property_snippet_and_locators(index: SearchIndex) -> None:
    hit = index.search("Назарбаев").hits[0]
    assert hit.kind == "https://w3id.org/kzgraph/ontology#Person" and hit.kind_label == "person"
    assert hit.property == "http://www.w3.org/2004/02/skos/core#prefLabel"
    assert hit.language == "kk-Cyrl"
    assert hit.snippet.marked() == "Нұрсұлтан «Назарбаев»"
    assert hit.label == "Nursultan Nazarbayev"
    assert {"P4", "P17", "P28"} <= set(hit.locators)
    assert hit.literals > 1


def test_names_rank_above_prose(index: SearchIndex) -> None:
    hits = index.search("kucukcekmece").hits
    assert [h.property_label for h in hits] == ["label", "editorialNote"]
    assert hits[0].score > hits[1].score


def test_kind_takes_subclasses_and_lang_filters_literals(index: SearchIndex) -> None:
    events = iris(index, "nazarbayev", kind="event", limit=1000)
    assert R + "event/nazarbayev-visit-2018" in events  # an official visit is an event
    assert all(iri.startswith(R + "event/") for iri in events)
    persons = iris(index, "nazarbayev", kind="person")
    assert persons[0] == NAZARBAYEV and all(iri.startswith(R + "person/") for iri in persons)
    official = iris(index, "nazarbayev", kind="official-visit", limit=1000)
    assert R + "event/nazarbayev-visit-2018" in official and set(official) < set(events)
    assert R + "event/gul-visit-2007-10" in events and R + "event/gul-visit-2007-10" not in official
    hits = index.search("nazarbayev", lang="kk").hits
    assert hits and {h.language for h in hits} == {"kk-Cyrl"}
    hits = index.search("kazakistan", lang="tr").hits
    assert hits[0].iri == R + "state/kazakhstan" and hits[0].language == "tr"
    assert index.search("kazakistan", lang="ru").hits == ()
    with pytest.raises(SearchError, match="unknown kind 'persn' \\(did you mean person\\?\\)"):
        index.search("nazarbayev", kind="persn")


# --------------------------------------------------------------------------- the command


def test_cli_table_marks_the_match() -> None:
    code, out, err = search("madrassa")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["resource", "kind", "in", "text", "sources"]
    assert lines[2].startswith("event:yasawi-foundation-madrasah-opening  opening  ")
    assert "«madrasah»" in lines[2] and lines[2].endswith("[P24]")
    assert lines[3].startswith("institution:yasawi-foundation")
    assert err == "kzgraph: 2 resources match (" + err.split("(", 1)[1]


def test_cli_json_and_csv() -> None:
    code, out, _err = search('"treaty of friendship"', "-f", "json", "--limit", "2")
    assert code == 0
    doc = json.loads(out)
    assert doc["total"] == 5 and len(doc["hits"]) == 2
    first = doc["hits"][0]
    assert first["resource"] == R + "document/friendship-treaty-1994"
    start, end = first["matches"][0]
    assert first["snippet"][start:end] == "Treaty of Friendship"
    assert first["sources"] == ["P17", "P18"]
    code, out, _err = search("Chiller", "--kind", "person", "-f", "csv")
    assert code == 0
    rows = out.splitlines()
    assert rows[0].startswith("resource,label,kind,kindLabel,property")
    assert rows[1].startswith(R + "person/tansu-ciller,Tansu Çiller,")
    assert "«" in rows[1]


def test_cli_no_hits_is_exit_1_and_bad_options_exit_2() -> None:
    code, out, err = search("zzzqqq")
    assert (code, out) == (1, "")
    assert err.startswith("kzgraph: nothing matches zzzqqq (") and err.count("\n") == 1
    code, out, _err = search("zzzqqq", "-f", "json")
    assert code == 1 and json.loads(out)["hits"] == []
    code, out, err = search("treaty", "--kind", "state")
    assert code == 1 and "nothing of kind state matches treaty" in err
    for options, message in [
        (["--kind", "nope"], "unknown kind 'nope'"),
        (["--lang", "e n"], "not a language tag: 'e n'"),
        (["--limit", "0"], "Invalid value for '--limit'"),
    ]:
        code, out, err = search("ozal", *options)
        assert code == 2 and out == "" and err.count("\n") == 1 and message in err


# --------------------------------------------------------------------------- the index


def test_index_follows_the_data(copied_project: Project) -> None:
    """A changed literal gives a new entry with a new index, never a stale one."""
    args = project_args(copied_project)
    runner = CliRunner()
    before = runner.invoke(cli, [*args, "search", "cesme"])
    assert before.exit_code == 1
    events = copied_project.data_dir / "events.ttl"
    events.write_text(
        events.read_text(encoding="utf-8").replace(
            '"Nazarbayev visits Turkey"@en', '"Nazarbayev visits Çeşme"@en'
        ),
        encoding="utf-8",
    )
    after = runner.invoke(cli, [*args, "search", "cesme", "-f", "json"])
    assert after.exit_code == 0, after.stderr
    hit = json.loads(after.stdout)["hits"][0]
    assert hit["resource"] == R + "event/visit-1992"
    assert hit["snippet"] == "Nazarbayev visits Çeşme"
    assert hit["sources"] == ["P14"]
    assert runner.invoke(cli, [*args, "search", "turkey", "--kind", "visit"]).exit_code == 1


def test_an_entry_without_index_gets_one_atomically(fixture_project: Project) -> None:
    entry = build(fixture_project).entry
    (entry.path / INDEX).unlink()
    assert [h.iri for h in open_index(entry.path).search("ozal").hits][0] == R + "person/ozal"
    assert (entry.path / INDEX).is_file()
    assert not [p.name for p in entry.path.iterdir() if p.name.startswith(".")]


def test_build_writes_the_index_and_times_it(fixture_project: Project) -> None:
    result = build(fixture_project, force=True)
    assert (result.entry.path / INDEX).is_file()
    assert result.entry.meta["seconds"]["search"] >= 0


# --------------------------------------------------------------------------- SPARQL


def _readme_example() -> tuple[str, str]:
    text = (ROOT / "docs" / "sparql-cookbook.md").read_text(encoding="utf-8")
    section = text[text.index("## Extension functions") :]
    query = re.search(r"```sparql\n(.*?)```", section, re.S)
    shown = re.search(r"```sparql\n.*?```\n\n```text\n(.*?)```", section, re.S)
    assert query and shown
    return query.group(1), shown.group(1)


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_readme_sparql_example_runs_on_both_engines(engine: str) -> None:
    query, shown = _readme_example()
    result = CliRunner().invoke(cli, [*ARGS, "sparql", query, "--engine", engine])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_sparql_functions_combine_text_and_graph(engine: str) -> None:
    store = open_engine(build(BUNDLED).entry, engine)
    result = store.run(
        """PREFIX kz: <https://w3id.org/kzgraph/ontology#>
        PREFIX kzf: <https://w3id.org/kzgraph/function#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?person ?name ?score ?bad WHERE {
          ?person a kz:Person ; skos:prefLabel ?name .
          FILTER(LANG(?name) = "ru" && kzf:match(?name, "nazarbaev OR chiller"))
          BIND(kzf:score(?person, "nazarbaev OR chiller") AS ?score)
          BIND(kzf:score(?person, "AND") AS ?bad)
        } ORDER BY ?name"""
    )
    rows = [(r[0].value, r[1].value) for r in result.rows]  # type: ignore[union-attr]
    assert rows == [
        (NAZARBAYEV, "Нурсултан Назарбаев"),
        (R + "person/tansu-ciller", "Тансу Чиллер"),
    ]
    assert all(float(r[2].value) > 0 for r in result.rows)  # type: ignore[union-attr]
    assert [r[3] for r in result.rows] == [None, None]  # a search that does not parse: unbound


def test_sparql_unknown_function_is_one_line() -> None:
    result = CliRunner().invoke(
        cli, [*ARGS, "sparql", "SELECT * WHERE { BIND(<urn:x:f>(1) AS ?x) }"]
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "<urn:x:f> is not supported" in result.stderr


# --------------------------------------------------------------------------- kzgraph serve


EXTRA = """# Search-test additions: a label with HTML metacharacters, and Cyrillic.
@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix paragraph: <https://w3id.org/kzgraph/resource/paragraph/> .
@prefix person: <https://w3id.org/kzgraph/resource/person/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

person:mallory a kz:Person ;
    rdfs:label "<script>alert('x')</script> Mallory Маллори"@en ;
    kz:statedIn paragraph:p14 .
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from kzgraph.serve import config_for
    from test_serve import Server

    root = tmp_path_factory.mktemp("search-serve") / "project"
    shutil.copytree(FIXTURES, root)
    (root / "data" / "search.ttl").write_text(EXTRA, encoding="utf-8")
    project = Project(root / "data", root / "ontology", root / "queries")
    srv = Server(config_for(build(project).entry, project, timeout=5.0, query_workers=1))
    yield srv.base
    log = srv.stderr()
    srv.stop()
    assert "Traceback" not in log, log


def test_serve_search_html_is_escaped_and_marked(server: str) -> None:
    r = httpx.get(server + "/search", params={"q": "маллори"}, headers={"accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in r.text
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Mallory <mark>Маллори</mark>" in r.text
    )
    assert '<a href="/resource/person/mallory"' in r.text
    assert (
        '<a href="/resource/paragraph/p14" title="https://w3id.org/kzgraph/resource/paragraph/p14">[P14]</a>'
        in r.text
    )  # noqa: E501
    assert 'name="q" value="маллори"' in r.text  # the header box keeps the text


def test_serve_search_json_and_errors(server: str) -> None:
    r = httpx.get(server + "/search", params={"q": "ozal", "format": "json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    hits = r.json()["hits"]
    assert {R + "person/ozal", R + "person/ozal-namesake"} <= {h["resource"] for h in hits}
    same = httpx.get(server + "/search?q=ozal", headers={"accept": "application/json"})
    assert same.json() == r.json()
    kind = httpx.get(server + "/search", params={"q": "visits", "kind": "visit", "format": "json"})
    visits = {R + "event/visit-1992", R + "event/visit-1993"}
    assert {h["resource"] for h in kind.json()["hits"]} == visits
    for params, status, message in [
        ({"q": '"ozal', "format": "json"}, 400, "unbalanced quote"),
        ({"q": "AND", "format": "json"}, 400, "'AND' at column 1"),
        ({"q": "x" * 5000, "format": "json"}, 400, "the limit is 1000"),
        ({"q": "ozal", "kind": "nope", "format": "json"}, 400, "unknown kind 'nope'"),
        ({"q": "ozal", "limit": "x"}, 400, "limit must be a whole number"),
        ({"q": "", "format": "json"}, 400, "missing the 'q' parameter"),
        ({"q": "ozal", "format": "pdf"}, 400, "unknown format 'pdf'"),
    ]:
        r = httpx.get(server + "/search", params=params)
        assert (r.status_code, r.text.count("\n")) == (status, 1) and message in r.text, params
    page = httpx.get(server + "/search", params={"q": '"ozal'}, headers={"accept": "text/html"})
    assert page.status_code == 400 and '<p class="error">unbalanced quote' in page.text


def test_serve_every_page_has_the_search_box(server: str) -> None:
    box = '<form class="search" role="search" method="get" action="/search">'
    for path in ["/", "/ontology", "/resource/person/ozal", "/search", "/nowhere"]:
        r = httpx.get(server + path, headers={"accept": "text/html"})
        assert box in r.text, path


def test_serve_sparql_has_the_functions(server: str) -> None:
    query = 'SELECT ?p { ?p a kz:Person BIND(kzf:score(?p, "nazarbaev") AS ?s) FILTER(BOUND(?s)) }'
    r = httpx.get(server + "/sparql", params={"query": query, "format": "json"})
    assert r.status_code == 200
    found = [b["p"]["value"] for b in r.json()["results"]["bindings"]]
    assert found == [R + "person/nazarbayev"]


def test_serve_search_page_in_headless_chromium(server: str, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        assert not os.environ.get("CI"), "CI must install chromium (see .ci/run)"
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    url = f"{server}/search?q=%D0%BC%D0%B0%D0%BB%D0%BB%D0%BE%D1%80%D0%B8"
    common = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    dom = subprocess.run(
        [*common, "--dump-dom", url], capture_output=True, text=True, timeout=120
    ).stdout
    assert '<ol class="hits">' in dom and "<mark>Маллори</mark>" in dom
    assert "<script>alert" not in dom  # the label stayed text
    shot = tmp_path / "search.png"
    subprocess.run(
        [*common, "--window-size=1200,900", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000
    if os.environ.get("KZGRAPH_KEEP_SCREENSHOT"):
        shutil.copy(shot, Path(os.environ["KZGRAPH_KEEP_SCREENSHOT"]).with_suffix(".search.png"))
