"""The saved-query catalog (queries/*.rq) and the data checks (queries/checks/*.rq).

Whole-repository tests: every header is valid, every query returns its golden rows
(tests/golden/<query>.csv, written from the article), rdflib and pyoxigraph agree row
for row and in the same order, also over the same triples loaded in reverse order, the
queries that rely on OWL RL reasoning return fewer rows without it, no check of severity
error finds anything in data/, and a string parameter cannot inject SPARQL.

Engines:
- ``ox``: pyoxigraph over the cached, materialised graph exported as N-Triples
  (``kzgraph.store.build``), as the CLI uses it;
- ``rd``: rdflib over the closure computed in memory (``load_graph`` + ``reason``),
  i.e. not through the export, so the export is checked too;
- ``rd_reversed``: rdflib over the cache's N-Triples lines loaded in reverse order, a third
  order of the same triples: rdflib's in-memory store iterates in insertion order, so a
  result that depends on an order SPARQL leaves open (the items of a GROUP_CONCAT, a
  SAMPLE, ties under ORDER BY, LIMIT without a total order) comes out differently here
  (``describe-entity``'s GROUP_CONCAT did: rows equal on ``ox`` and ``rd``, not here);
- ``ox_asserted`` / ``rd_asserted``: the asserted triples only (ontology + data).
Parameters are always bound the library's way (``run_saved``: a VALUES block).
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from rdflib import Graph

from kzgraph import store
from kzgraph.load import load_graph
from kzgraph.namespaces import PREFIXES
from kzgraph.project import Project
from kzgraph.query import (
    PARAM_TYPES,
    Engine,
    OxigraphEngine,
    RdflibEngine,
    SavedQuery,
    load_catalog,
    load_checks,
    open_engine,
    parse_saved_query,
    run_saved,
)
from kzgraph.reason import reason
from kzgraph.sparql_text import dollar_variables, tokens
from kzgraph.terms import IRI, Term

HERE = Path(__file__).parent
ROOT = HERE.parent
QUERIES = ROOT / "queries"
GOLDEN = HERE / "golden"

CATALOG = load_catalog(QUERIES)
CHECKS = {q.name: q for q in load_checks(QUERIES)}
QUERY_FILES = sorted(QUERIES.glob("*.rq"))
CHECK_FILES = sorted((QUERIES / "checks").glob("*.rq"))
INJECTION = '"} ; DROP ALL ; #'
RESOURCE = "https://w3id.org/kzgraph/resource/"

# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Engines:
    ox: Engine
    rd: Engine
    rd_reversed: Engine
    ox_asserted: Engine
    rd_asserted: Engine
    nt_files: tuple[Path, ...]


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Engines:
    project = Project.locate(data=ROOT / "data", ontology=ROOT / "ontology", queries=QUERIES)
    cache = tmp_path_factory.mktemp("kzgraph-cache")
    saved = os.environ.get("KZGRAPH_CACHE")
    os.environ["KZGRAPH_CACHE"] = str(cache)
    try:
        entry = store.build(project).entry
    finally:
        if saved is None:
            del os.environ["KZGRAPH_CACHE"]
        else:
            os.environ["KZGRAPH_CACHE"] = saved
    loaded = load_graph(project.ontology_files() + project.data_files())
    closure = reason(loaded.graph)
    lines = (entry.asserted_path.read_bytes() + entry.inferred_path.read_bytes()).splitlines()
    reversed_graph = Graph().parse(data=b"\n".join(reversed(lines)).decode(), format="nt")
    return Engines(
        ox=open_engine(entry, "oxigraph"),
        rd=RdflibEngine(graph=closure.asserted + closure.inferred),
        rd_reversed=RdflibEngine(graph=reversed_graph),
        ox_asserted=open_engine(entry, "oxigraph", asserted_only=True),
        rd_asserted=RdflibEngine(graph=loaded.graph),
        nt_files=(entry.asserted_path, entry.inferred_path),
    )


# --------------------------------------------------------------------------- helpers

_SHORT = sorted(((ns, p) for p, ns in PREFIXES.items()), key=lambda item: -len(item[0]))


def short(term: Term | None) -> str:
    """A golden-file cell: prefixed name for an IRI, lexical form for a literal, '' if unbound."""
    if term is None:
        return ""
    if isinstance(term, IRI):
        for namespace, prefix in _SHORT:
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace) :]}"
    return term.value


def n3(term: Term | None) -> str:
    return "UNBOUND" if term is None else term.n3()


def header_of(path: Path) -> dict:
    lines = [
        line[3:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#+ ")
    ]
    return yaml.safe_load("\n".join(lines))


def rows_of(result) -> list[tuple[str, ...]]:
    """Rows, in order, as tuples of N-Triples term strings."""
    return [tuple(n3(t) for t in row) for row in result.rows]


def run(engine: Engine, query: SavedQuery, params: tuple[tuple[str, str], ...] = ()):
    result = run_saved(engine, query, params, names=engine)  # names as people type them
    assert result.kind == "select"
    return result


@dataclass(frozen=True)
class Golden:
    columns: tuple[str, ...]
    rows: Counter
    subset: bool
    count: int | None


def read_golden(name: str) -> Golden:
    path = GOLDEN / f"{name}.csv"
    directives: dict[str, str] = {}
    body = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            m = re.match(r"#\s*(mode|count):\s*(.+)", line)
            if m:
                directives[m.group(1)] = m.group(2).strip()
        elif line.strip():
            body.append(line)
    reader = csv.reader(body)
    columns = tuple(next(reader))
    rows = Counter(tuple(row) for row in reader)
    return Golden(
        columns=columns,
        rows=rows,
        subset=directives.get("mode") == "subset",
        count=int(directives["count"]) if "count" in directives else None,
    )


def project_rows(result, columns) -> Counter:
    missing = [c for c in columns if c not in result.variables]
    assert not missing, f"golden columns not in the result: {missing}"
    idx = [result.variables.index(c) for c in columns]
    return Counter(tuple(short(row[i]) for i in idx) for row in result.rows)


def param_sets(query: SavedQuery) -> list[tuple[tuple[str, str], ...]]:
    """The defaults, then each parameter's example (the others at their defaults)."""
    sets: list[tuple[tuple[str, str], ...]] = [()]
    sets += [((p.name, p.example),) for p in query.params if p.example is not None]
    return sets


def column(result, name: str) -> list[str]:
    i = result.variables.index(name)
    return [short(row[i]) for row in result.rows]


INFERENCE_QUERIES = sorted(n for n, q in CATALOG.items() if header_of(q.path).get("inference"))
STRING_PARAMS = sorted(
    (name, p.name) for name, q in CATALOG.items() for p in q.params if p.type == "string"
)

# --------------------------------------------------------------------------- headers


def test_catalog_has_at_least_thirty_kebab_case_questions() -> None:
    assert len(CATALOG) >= 30
    for name in CATALOG:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name


@pytest.mark.parametrize("path", QUERY_FILES + CHECK_FILES, ids=lambda p: p.stem)
def test_header_is_valid(path: Path) -> None:
    is_check = path.parent.name == "checks"
    parse_saved_query(path, check=is_check)  # the library's own validation
    meta = header_of(path)
    assert isinstance(meta, dict)
    assert isinstance(meta.get("title"), str) and meta["title"].strip()
    assert isinstance(meta.get("description"), str) and meta["description"].strip()
    params = meta.get("params") or {}
    text = path.read_text(encoding="utf-8")
    # a date parameter with period: span also binds $NAME_end, the period's last day
    spans = {f"{n}_end" for n, spec in params.items() if spec.get("period") == "span"}
    assert set(params) | (spans & dollar_variables(text)) == dollar_variables(text)
    for name, spec in params.items():  # every bundled date parameter says how it reads 1994
        assert spec.get("type") != "date" or spec.get("period") in ("start", "end", "span"), name
    body_vars = {t.text[1:] for t in tokens(text) if t.kind == "var" and t.text.startswith("?")}
    for name, spec in params.items():
        assert spec.get("type") in PARAM_TYPES, name
        assert spec.get("default") is not None or spec.get("example") is not None, name
        assert spec.get("description"), name
        # $x and ?x are the same variable: a ?x in the body would capture the parameter
        assert name not in body_vars, f"?{name} collides with parameter ${name}"
    words = [t.text.upper() for t in tokens(text) if t.kind == "word"]
    assert "PREFIX" in words and "ORDER" in words, "full PREFIX block and ORDER BY required"
    assert "PREFIX kz: <https://w3id.org/kzgraph/ontology#>" in text
    if is_check:
        assert meta.get("severity") in ("error", "warning")
        assert isinstance(meta.get("fix"), str) and meta["fix"].strip()


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_selects_entity_property_value(engines: Engines, name: str) -> None:
    assert run(engines.ox, CHECKS[name]).variables == ("entity", "property", "value")


def test_every_query_has_a_golden_file() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.csv")) == sorted(CATALOG)


# --------------------------------------------------------------------------- golden rows


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_golden_rows(engines: Engines, name: str) -> None:
    golden = read_golden(name)
    result = run(engines.ox, CATALOG[name])
    got = project_rows(result, golden.columns)
    if golden.count is not None:
        assert len(result.rows) == golden.count
    if golden.subset:
        assert not golden.rows - got, f"golden rows missing: {golden.rows - got}"
    else:
        assert got == golden.rows, (
            f"missing: {sorted(golden.rows - got)}\nunexpected: {sorted(got - golden.rows)}"
        )


def test_timeline_is_in_date_order(engines: Engines) -> None:
    result = run(engines.ox, CATALOG["timeline"])
    earliest = column(result, "earliest")
    assert earliest == sorted(earliest)
    assert earliest[0] == "1940-01-01"  # the 1940-1950 migration [P22]
    items = column(result, "item")
    # the talks of 14 March 1991 come before the agreement signed the next day [P14]
    assert items.index("event:talks-1991-03-14") < items.index(
        "document:cooperation-agreement-1991"
    )


# Answers the article gives, for parameters other than the defaults.
ANSWERS = [
    # (query, params, column, expected values (exact set), why)
    (
        "office-holder-on",
        (("office", "office:prime-minister-of-turkey"), ("date", "1992-04-29")),
        "holder",
        {"person:suleyman-demirel"},
        "P15: Prime Minister Demirel in Almaty",
    ),
    (
        "office-holder-on",
        (("date", "1993-04-15"),),
        "holder",
        {"person:turgut-ozal"},
        "P9: President Ozal's visit in April 1993",
    ),
    (
        "office-holder-on",
        (("date", "2000-10-20"),),
        "holder",
        {"person:ahmet-necdet-sezer"},
        "P20: the tenth President Sezer on 20 October 2000",
    ),
    (
        "office-holder-on",
        (("date", "2018-06-01"),),
        "holder",
        {"person:recep-tayyip-erdogan"},
        "P28: President Erdogan in 2018",
    ),
    (
        "office-holder-on",
        (("date", "1999-06-01"),),
        "holder",
        set(),
        "no tenure is attested between June 1998 and October 2000",
    ),
    (
        "office-holder-on",
        (("office", "office:president-of-kazakhstan"), ("date", "2009-10-03")),
        "holder",
        {"person:nursultan-nazarbayev"},
        "P21: Nazarbayev at the IX summit",
    ),
    (
        "offices-of-person",
        (("person", "person:ahmet-necdet-sezer"),),
        "ordinal",
        {"10"},
        "P20: the tenth President of Turkey",
    ),
    (
        "documents-signed-by",
        (("person", "person:turgut-ozal"),),
        "document",
        {"document:cooperation-agreement-1991"},
        "P10, P14",
    ),
    (
        "documents-signed-by",
        (("person", "person:tansu-ciller"),),
        "document",
        {"document:friendship-treaty-1994"},
        "P18",
    ),
    (
        "documents-by-type",
        (("type", "kz:Protocol"),),
        "document",
        {"document:political-consultations-protocol-1994", "document:foreign-ministries-protocol"},
        "P17, P19",
    ),
    (
        "documents-by-type",
        (("type", "TREATY"),),
        "document",
        {"document:friendship-treaty-1994"},
        "label, case-insensitive",
    ),
    (
        "documents-by-type",
        (("type", "antlaşma"),),
        "document",
        {"document:friendship-treaty-1994"},
        "Turkish label",
    ),
    (
        "documents-by-type",
        (("type", "treaties"),),
        "document",
        {"document:friendship-treaty-1994"},
        "a plural, through the resolver",
    ),
    (
        "documents-by-type",
        (("type", "https://w3id.org/kzgraph/ontology#JointStatement"),),
        "document",
        {"document:joint-statement-1992"},
        "full IRI; P15",
    ),
    (
        "documents-in-year",
        (("year", "1994"),),
        "document",
        {"document:political-consultations-protocol-1994", "document:friendship-treaty-1994"},
        "P17",
    ),
    (
        "parties-of-documents",
        (("state", "state:kazakh-ssr"),),
        "document",
        {"document:cooperation-agreement-1991", "document:foreign-ministries-protocol"},
        "P14, P19",
    ),
    (
        "visits",
        (("direction", "kazakhstan-to-turkey"),),
        "visit",
        {
            "event:nazarbayev-visit-1991-09",
            "event:nazarbayev-visit-1992-10",
            "event:nazarbayev-visit-1994-10",
            "event:nazarbayev-visit-2003-05",
            "event:nazarbayev-visit-2018",
        },
        "P4, P16, P17, P21, P28",
    ),
    ("visits", (("direction", "nowhere"),), "visit", set(), "unknown direction"),
    (
        "visits-in-year",
        (("year", "1992"),),
        "visit",
        {"event:demirel-visit-1992-04-29", "event:nazarbayev-visit-1992-10"},
        "P4, P15",
    ),
    (
        "meetings-between",
        (("person1", "person:ahmet-necdet-sezer"), ("person2", "person:nursultan-nazarbayev")),
        "event",
        {"event:sezer-nazarbayev-meeting-new-york", "event:sezer-nazarbayev-meeting-antalya"},
        "P20: New York and Antalya",
    ),
    (
        "institutions-in",
        (("place", "place:istanbul"),),
        "institution",
        {"institution:istanbul-university", "institution:kazakh-cultural-centre-istanbul"},
        "P24, P25: the centre is in Zeytinburnu, a district of Istanbul",
    ),
    (
        "economic-figures",
        (("measure", "trade turnover"),),
        "figure",
        {"figure:trade-turnover-2007", "figure:trade-turnover-target-2010"},
        "P21",
    ),
    (
        "economic-figures",
        (("measure", "kz:JointVentureCount"),),
        "figure",
        {"figure:joint-ventures"},
        "P20",
    ),
    (
        "search",
        (("text", "zatunburyn"),),
        "entity",
        {"place:zeytinburnu", "conflict:zeytinburnu-spelling"},
        "P25's spelling",
    ),
    ("search", (("text", "Chiller"),), "entity", {"person:tansu-ciller"}, "P18's spelling"),
    (
        "timeline",
        (("from", "1991-03-01"), ("to", "1991-03-31")),
        "item",
        {
            "event:ozal-visit-1991-03",
            "event:talks-1991-03-14",
            "document:cooperation-agreement-1991",
            "event:ussr-dissolution-1991",
            "event:kazakh-migration-to-europe",
        },
        "P14, P15: March 1991; the USSR's dissolution is dated only to 1991 [P1]: it overlaps;"
        " the labour migration to Europe is bounded only from below (1940) [P23]: open-ended",
    ),
    (
        "cities-visited",
        (("lang", "ru"),),
        "cityLabel",
        {"Алматы", "Анкара", "Туркестан"},
        "Russian names",
    ),
]


@pytest.mark.parametrize(
    "query,params,col,expected,why", ANSWERS, ids=[f"{a[0]}-{i}" for i, a in enumerate(ANSWERS)]
)
def test_answers_with_parameters(engines, query, params, col, expected, why) -> None:
    for engine in (engines.ox, engines.rd):
        assert set(column(run(engine, CATALOG[query], params), col)) == expected, why


def test_events_in_a_district_are_events_in_its_state(engines: Engines) -> None:
    # the Kazakh Cultural Center was founded in Zeytinburnu, Istanbul [P25]
    result = run(engines.ox, CATALOG["events-in-place"], (("place", "state:turkey"),))
    assert "event:kazakh-cultural-centre-founding-1997-03" in column(result, "event")


def test_labels_fall_back_to_english(engines: Engines) -> None:
    result = run(engines.ox, CATALOG["labels"], (("lang", "kk-Cyrl"),))
    names = dict(
        zip(
            column(result, "entity"),
            zip(column(result, "name"), column(result, "language"), strict=True),
            strict=True,
        )
    )
    assert names["state:kazakhstan"] == ("Қазақстан", "kk-cyrl")
    assert names["person:a-kara"] == ("A. Kara", "en")  # no Kazakh name: English
    english = run(engines.ox, CATALOG["labels"], (("lang", "en"),))
    assert set(column(english, "language")) == {"en"}


def test_visit_direction_queries_agree(engines: Engines) -> None:
    for direction in ("kazakhstan-to-turkey", "turkey-to-kazakhstan"):
        by_param = run(engines.ox, CATALOG["visits"], (("direction", direction),))
        fixed = run(engines.ox, CATALOG[f"visits-{direction}"])
        shared = [by_param.variables.index(v) for v in fixed.variables]
        projected = Counter(tuple(row[i] for i in shared) for row in by_param.rows)
        assert projected == Counter(fixed.rows)


def test_visits_in_all_directions_are_the_three_groups(engines: Engines) -> None:
    """direction all = kazakhstan-to-turkey + turkey-to-kazakhstan + not-stated, each visit in
    exactly one group; Ozal's tour of Central Asia names no host state [P19]."""
    everything = run(engines.ox, CATALOG["visits"], (("direction", "all"),))
    groups = {
        d: run(engines.ox, CATALOG["visits"], (("direction", d),))
        for d in ("kazakhstan-to-turkey", "turkey-to-kazakhstan", "not-stated")
    }
    assert Counter(everything.rows) == sum((Counter(r.rows) for r in groups.values()), Counter())
    for direction, result in groups.items():
        assert set(column(result, "visitDirection")) == {direction}
    assert set(column(groups["not-stated"], "visit")) == {"event:ozal-official-visit-central-asia"}
    assert not run(engines.ox, CATALOG["visits"], (("direction", "sideways"),)).rows


# A span (a start and an end day) is given as an ISO 8601 interval, never as its start alone:
# Nazarbayev's visit of 16-18 October 1994 [P17], the 1940-1950 migration [P22].
SPANS = [
    ("visits", "visit", "event:nazarbayev-visit-1994-10", "1994-10-16/1994-10-18"),
    ("visits-in-year", "visit", "event:nazarbayev-visit-1994-10", "1994-10-16/1994-10-18"),
    ("firsts", "item", "event:nazarbayev-visit-1994-10", "1994-10-16/1994-10-18"),
    ("timeline", "item", "event:nazarbayev-visit-1994-10", "1994-10-16/1994-10-18"),
    ("timeline", "item", "event:kazakh-migration-to-turkey", "1940/1950"),
    ("events-in-place", "event", "event:nazarbayev-visit-1994-10", "1994-10-16/1994-10-18"),
    ("meetings-between", "event", "event:nazarbayev-visit-1994-10", "1994-10-16/1994-10-18"),
]


@pytest.mark.parametrize("query,key,item,span", SPANS, ids=[f"{s[0]}-{s[3]}" for s in SPANS])
def test_a_span_shows_its_start_and_end(engines, query, key, item, span) -> None:
    for engine in (engines.ox, engines.rd):
        params = (("place", "place:ankara"),) if query == "events-in-place" else ()
        result = run(engine, CATALOG[query], params)
        dates = dict(zip(column(result, key), column(result, "date"), strict=True))
        assert dates[item] == span
        others = {d for i, d in dates.items() if i != item and d}
        assert len(dates) == 1 or others, "the other rows keep their dates"
        assert all("/" not in d for d in others if query != "timeline"), "one day stays one day"


# The rule for "in a year" (and "in a period") queries: an item counts when its possible days,
# kz:earliestDate to kz:latestDate, overlap the period; with no latest bound they run on without
# end, so an open-ended item counts in every year from its earliest bound on.
OPEN_ENDED = """
@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix ex: <https://w3id.org/kzgraph/resource/event/> .
@prefix doc: <https://w3id.org/kzgraph/resource/document/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:open a kz:Event, kz:Visit ; rdfs:label "open"@en ; kz:earliestDate "1991-12-16"^^xsd:date .
ex:day a kz:Event, kz:Visit ; rdfs:label "day"@en ; kz:date "1992-04-29"^^xsd:date ;
    kz:earliestDate "1992-04-29"^^xsd:date ; kz:latestDate "1992-04-29"^^xsd:date .
ex:span a kz:Event, kz:Visit ; rdfs:label "span"@en ;
    kz:startDate "1990"^^xsd:gYear ; kz:endDate "1993"^^xsd:gYear ;
    kz:earliestDate "1990-01-01"^^xsd:date ; kz:latestDate "1993-12-31"^^xsd:date .
doc:open a kz:Document ; rdfs:label "open document"@en ; kz:earliestDate "1991-12-16"^^xsd:date .
doc:day a kz:Document ; rdfs:label "day document"@en ; kz:date "1992-04-29"^^xsd:date ;
    kz:earliestDate "1992-04-29"^^xsd:date ; kz:latestDate "1992-04-29"^^xsd:date .
"""

YEAR_RULE = [
    # (year, {item: match}) for events-in-year and visits-in-year
    ("1990", {"span": "overlaps"}),
    ("1991", {"open": "open-ended", "span": "overlaps"}),
    ("1992", {"open": "open-ended", "day": "within", "span": "overlaps"}),
    ("1993", {"open": "open-ended", "span": "overlaps"}),
    ("2018", {"open": "open-ended"}),
]


@pytest.mark.parametrize("year,expected", YEAR_RULE, ids=[y for y, _ in YEAR_RULE])
def test_open_ended_items_count_in_every_year_from_their_bound(year, expected) -> None:
    engine = RdflibEngine(graph=Graph().parse(data=OPEN_ENDED, format="turtle"))
    for query, key in (("events-in-year", "event"), ("visits-in-year", "visit")):
        result = run(engine, CATALOG[query], (("year", year),))
        got = dict(zip(column(result, key), column(result, "match"), strict=True))
        assert got == {f"event:{k}": v for k, v in expected.items()}, query
    documents = run(engine, CATALOG["documents-in-year"], (("year", year),))
    got = dict(zip(column(documents, "document"), column(documents, "match"), strict=True))
    wanted = {f"document:{k}": v for k, v in expected.items() if k in ("open", "day")}
    assert got == wanted
    timeline = run(engine, CATALOG["timeline"], (("from", year), ("to", year)))
    assert set(column(timeline, "item")) == {f"event:{k}" for k in expected} | set(wanted)


def test_open_ended_events_of_the_article_count_after_their_first_year(engines: Engines) -> None:
    # Turkey's recognition is bounded only from below, by independence on 16 Dec 1991 [P14]
    for year, present in (("1990", False), ("1991", True), ("1995", True), ("2018", True)):
        result = run(engines.ox, CATALOG["events-in-year"], (("year", year),))
        matches = dict(zip(column(result, "event"), column(result, "match"), strict=True))
        assert ("event:recognition-by-turkey" in matches) is present, year
        if present:
            assert matches["event:recognition-by-turkey"] == "open-ended"
    later = run(engines.ox, CATALOG["timeline"], (("from", "2000"), ("to", "2003")))
    assert "event:recognition-by-turkey" in column(later, "item")


def test_cited_works_counts_are_what_their_columns_say(engines: Engines) -> None:
    """citationOccurrences: the in-text citations of the work that paragraph-citations lists,
    over every paragraph; citingParagraphs: the paragraphs holding them; factsCiting: the facts
    facts-citing lists for the work."""
    works = run(engines.ox, CATALOG["cited-works"])
    assert "facts" not in works.variables
    counts = {
        w: (int(f), int(p), int(o))
        for w, f, p, o in zip(
            column(works, "work"),
            column(works, "factsCiting"),
            column(works, "citingParagraphs"),
            column(works, "citationOccurrences"),
            strict=True,
        )
    }
    occurrences: Counter[str] = Counter()
    paragraphs: Counter[str] = Counter()
    for n in range(1, 34):
        paragraph = (("paragraph", f"paragraph:P{n}"),)
        result = run(engines.ox, CATALOG["paragraph-citations"], paragraph)
        cited = dict(zip(column(result, "occurrence"), column(result, "work"), strict=True))
        occurrences.update(cited.values())
        paragraphs.update(set(cited.values()))
    assert sum(occurrences.values()) > 30
    assert {w: o for w, (_f, _p, o) in counts.items() if o} == dict(occurrences)
    assert {w: p for w, (_f, p, _o) in counts.items() if p} == dict(paragraphs)
    for work in ("work:ayagan-et-al-2010", "work:giritliogly-2021"):
        facts = run(engines.ox, CATALOG["facts-citing"], (("work", work),))
        assert counts[work][0] == len(set(column(facts, "fact")))
    # a work cited where it rests no fact (a block quotation, a general remark) counts a paragraph
    assert counts["work:giritliogly-2021"][0] == 0 and counts["work:giritliogly-2021"][1] >= 1


def test_every_figure_of_every_measure_is_listed(engines: Engines) -> None:
    everything = engines.ox.run(
        "SELECT DISTINCT ?f WHERE { ?f a <https://w3id.org/kzgraph/ontology#Observation> }"
    )
    figures = run(engines.ox, CATALOG["figures"], (("readings", "all"),))
    assert sorted(column(figures, "figure")) == sorted(short(r[0]) for r in everything.rows)
    # what the economic and population queries never showed: the lease of the Kazakh Cultural
    # Center's land (49 years) and its building's storeys (7) [P25], the Kazakh Foundation's
    # members (more than 400) [P24], by label, local name or prefixed name
    for measure, value, unit in (
        ("lease term", "49", "years"),
        ("BuildingStoreys", "7", "storeys"),
        ("kz:MemberCount", "400", "members"),
    ):
        for engine in (engines.ox, engines.rd):
            result = run(engine, CATALOG["figures"], (("measure", measure),))
            assert (column(result, "value"), column(result, "unit")) == ([value], [unit]), measure


def test_facts_in_a_paragraph_without_citations_cite_nothing(engines: Engines) -> None:
    # P14 (the first talks, the agreement, independence and recognition) cites no work
    for engine in (engines.ox, engines.rd):
        result = run(engine, CATALOG["facts-in-paragraph"], (("paragraph", "paragraph:P14"),))
        assert len({*column(result, "thing")}) >= 10
        assert set(column(result, "citationLabel")) == {""}
    # P17 cites two works; each of its rows shows only those
    cited = run(engines.ox, CATALOG["facts-in-paragraph"], (("paragraph", "paragraph:P17"),))
    assert set(column(cited, "citationLabel")) - {""} == {
        "National Archive of… (2021)",
        "Nazarbayev (2017)",
    }


# --------------------------------------------------------------------------- engines


PARAM_RUNS = [(n, s) for n in sorted(CATALOG) for s in param_sets(CATALOG[n])]


def _run_id(value: object) -> str:
    if isinstance(value, str):
        return value
    return ",".join(f"{a}={b}" for a, b in value) or "defaults"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name,params", PARAM_RUNS, ids=_run_id)
def test_engines_and_orders_agree_row_for_row(engines: Engines, name: str, params) -> None:
    """The same rows (a multiset: which rows differ), then in the same order (ORDER BY is
    total), on Oxigraph, rdflib, and rdflib over the triples in reverse order."""
    query = CATALOG[name]
    results = [run(e, query, params) for e in (engines.ox, engines.rd, engines.rd_reversed)]
    assert len({r.variables for r in results}) == 1
    ox, rd, rd_reversed = (rows_of(r) for r in results)
    assert Counter(ox) == Counter(rd)
    assert Counter(ox) == Counter(rd_reversed), "the rows depend on the order of the triples"
    assert ox == rd
    assert ox == rd_reversed, "ORDER BY leaves ties, ordered by the order of the triples"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_checks_agree_across_engines(engines: Engines, name: str) -> None:
    query = CHECKS[name]
    results = [run(e, query) for e in (engines.ox, engines.rd, engines.rd_reversed)]
    assert Counter(rows_of(results[0])) == Counter(rows_of(results[1]))
    assert Counter(rows_of(results[0])) == Counter(rows_of(results[2]))


#: aggregates whose answer SPARQL leaves to the engine: the order of GROUP_CONCAT's items,
#: the item SAMPLE picks (describe-entity returns one row per locator instead)
ORDER_DEPENDENT = {"GROUP_CONCAT", "SAMPLE"}


@pytest.mark.parametrize("path", QUERY_FILES + CHECK_FILES, ids=lambda p: p.stem)
def test_no_aggregate_leaves_the_answer_to_the_engine(path: Path) -> None:
    words = {t.text.upper() for t in tokens(path.read_text(encoding="utf-8")) if t.kind == "word"}
    assert not words & ORDER_DEPENDENT, f"{path.name} depends on an order SPARQL leaves open"


# --------------------------------------------------------------------------- reasoning


def test_at_least_six_queries_rely_on_inference() -> None:
    assert len(INFERENCE_QUERIES) >= 6, INFERENCE_QUERIES


@pytest.mark.parametrize("name", INFERENCE_QUERIES)
def test_inference_queries_need_the_reasoner(engines: Engines, name: str) -> None:
    query = CATALOG[name]
    inferred = len(run(engines.ox, query).rows)
    assert inferred > 0
    assert len(run(engines.ox_asserted, query).rows) < inferred
    assert len(run(engines.rd_asserted, query).rows) < inferred


# --------------------------------------------------------------------------- ranks


def test_deprecated_claims_are_left_out_by_default(engines: Engines) -> None:
    """Mark one reading deprecated in a private store: default queries drop it, 'all' keeps it."""
    engine = OxigraphEngine(engines.nt_files)
    engine.store.update(
        "DELETE WHERE { <https://w3id.org/kzgraph/resource/event/nazarbayev-visit-1992-10> "
        "<https://w3id.org/kzgraph/ontology#rank> ?rank } ; "
        "INSERT DATA { <https://w3id.org/kzgraph/resource/event/nazarbayev-visit-1992-10> "
        "<https://w3id.org/kzgraph/ontology#rank> "
        "<https://w3id.org/kzgraph/ontology#DeprecatedRank> }"
    )
    visit = "event:nazarbayev-visit-1992-10"
    for name, col in (("timeline", "item"), ("visits", "visit"), ("firsts", "item")):
        assert visit not in column(run(engine, CATALOG[name]), col), name
        assert visit in column(run(engine, CATALOG[name], (("readings", "all"),)), col), name
    for name, col in (
        ("events-in-year", "event"),
        ("visits-kazakhstan-to-turkey", "visit"),
        ("cities-visited", "visit"),
        ("events-per-year", "year"),
    ):
        rows = column(run(engine, CATALOG[name]), col)
        if name == "events-per-year":
            counts = dict(zip(rows, column(run(engine, CATALOG[name]), "events"), strict=True))
            assert counts["1992"] == str(
                int(
                    dict(
                        zip(
                            column(run(engines.ox, CATALOG[name]), "year"),
                            column(run(engines.ox, CATALOG[name]), "events"),
                            strict=True,
                        )
                    )["1992"]
                )
                - 1
            )
        else:
            assert visit not in rows, name
    # the conflicts query shows every reading, deprecated ones included, with their rank
    conflicts = run(engine, CATALOG["conflicts"])
    ranks = dict(zip(column(conflicts, "claim"), column(conflicts, "rankLabel"), strict=True))
    assert ranks[visit] == "deprecated"


@pytest.mark.parametrize(
    "name", sorted(n for n, q in CATALOG.items() if q.param("readings") is not None)
)
def test_all_readings_include_the_best(engines: Engines, name: str) -> None:
    query = CATALOG[name]
    best = Counter(run(engines.ox, query).rows)
    every = Counter(run(engines.ox, query, (("readings", "all"),)).rows)
    assert not best - every


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize("name", sorted(n for n, q in CHECKS.items() if q.severity == "error"))
def test_error_checks_find_nothing(engines: Engines, name: str) -> None:
    for engine in (engines.ox, engines.rd):
        rows = run(engine, CHECKS[name]).rows
        assert not rows, [tuple(short(t) for t in r) for r in rows]


BROKEN = """
@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix event: <https://w3id.org/kzgraph/resource/event/> .
@prefix place: <https://w3id.org/kzgraph/resource/place/> .
@prefix person: <https://w3id.org/kzgraph/resource/person/> .
@prefix document: <https://w3id.org/kzgraph/resource/document/> .
@prefix conflict: <https://w3id.org/kzgraph/resource/conflict/> .
@prefix tenure: <https://w3id.org/kzgraph/resource/tenure/> .
@prefix paragraph: <https://w3id.org/kzgraph/resource/paragraph/> .
event:unsourced a kz:Event ; rdfs:label "unsourced"@en ; kz:place place:nowhere .
event:ancient a kz:Event ; rdfs:label "ancient"@en ; kz:statedIn paragraph:P1 ;
    kz:date "1850"^^xsd:gYear ; kz:earliestDate "1850-01-01"^^xsd:date ;
    kz:latestDate "1850-12-31"^^xsd:date .
event:backwards a kz:Event ; rdfs:label "backwards"@en ; kz:statedIn paragraph:P1 ;
    kz:date "1994"^^xsd:gYear ; kz:earliestDate "1995-01-01"^^xsd:date ;
    kz:latestDate "1994-12-31"^^xsd:date .
event:unbounded a kz:Event ; rdfs:label "unbounded"@en ; kz:statedIn paragraph:P1 ;
    kz:date "1993"^^xsd:gYear .
event:misbounded a kz:Event ; rdfs:label "misbounded"@en ; kz:statedIn paragraph:P1 ;
    kz:date "1992-10"^^xsd:gYearMonth ; kz:earliestDate "1993-01-01"^^xsd:date ;
    kz:latestDate "1993-12-31"^^xsd:date .
person:nameless a kz:Person ; kz:statedIn paragraph:P1 .
document:partyless a kz:Document ; rdfs:label "partyless"@en ; kz:statedIn paragraph:P1 .
document:partyless-signature a kz:Signature ; rdfs:label "signature"@en ;
    kz:statedIn paragraph:P1 .
conflict:silent a kz:Conflict ; rdfs:label "silent"@en ; kz:statedIn paragraph:P1 ;
    kz:involves event:unbounded .
tenure:unattested a kz:Tenure ; rdfs:label "unattested"@en ; kz:statedIn paragraph:P1 .
paragraph:P1 a kz:Paragraph ; rdfs:label "[P1]"@en ; kz:locator "P1" .
"""

BROKEN_HITS = {
    "facts-without-locator": "event/unsourced",
    "dates-out-of-range": "event/ancient",
    "persons-without-label": "person/nameless",
    "documents-without-party": "document/partyless",
    "dangling-references": "event/unsourced",
    "conflicts-without-note": "conflict/silent",
    "conflicting-claims-without-note": "event/unbounded",
    "earliest-after-latest": "event/backwards",
    "tenure-without-attested-bounds": "tenure/unattested",
    "dated-without-bounds": "event/unbounded",
    "bounds-disagree-with-date": "event/misbounded",
    "signatures-incomplete": "document/partyless-signature",
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("broken")
    (folder / "broken.ttl").write_text(BROKEN, encoding="utf-8")
    loaded = load_graph([ROOT / "ontology" / "kzgraph.ttl", folder / "broken.ttl"])
    closure = reason(loaded.graph)
    return RdflibEngine(graph=closure.asserted + closure.inferred)


def test_every_error_check_is_exercised() -> None:
    """Here, or by a fixture under tests/checks/invalid/ (tests/test_checks.py)."""
    fixtures = {p.stem.rsplit("-", 1)[0] for p in (HERE / "checks" / "invalid").glob("*.ttl")}
    errors = {n for n, q in CHECKS.items() if q.severity == "error"}
    assert set(BROKEN_HITS) | (fixtures & errors) == errors  # warnings may have fixtures too


@pytest.mark.parametrize("name", sorted(BROKEN_HITS))
def test_error_checks_catch_broken_data(broken: Engine, name: str) -> None:
    entities = {row[0].value for row in run(broken, CHECKS[name]).rows}
    assert RESOURCE + BROKEN_HITS[name] in entities


# --------------------------------------------------------------------------- injection


@pytest.mark.parametrize("name,param", STRING_PARAMS, ids=[f"{n}-{p}" for n, p in STRING_PARAMS])
def test_injection_matches_nothing(engines: Engines, name: str, param: str) -> None:
    query = CATALOG[name]
    before = len(engines.ox)
    for engine in (engines.ox, engines.rd):
        assert run(engine, query, ((param, INJECTION),)).rows == ()
    assert len(engines.ox) == before  # nothing was dropped
    assert len(run(engines.ox, CATALOG["overview-classes"]).rows) > 0
