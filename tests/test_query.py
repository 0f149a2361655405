"""kzgraph.query and kzgraph.sparql_text: catalog, typed parameters, safe binding, engines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kzgraph.errors import ParameterError, QueryHeaderError, QuerySyntaxError, UnknownQueryError
from kzgraph.query import (
    OxigraphEngine,
    RdflibEngine,
    bind,
    coerce,
    find_query,
    load_catalog,
    load_checks,
    load_saved,
    open_engine,
    parse_saved_query,
    resolve_params,
    run_saved,
    sort_key,
)
from kzgraph.sparql_text import (
    declared_prefixes,
    dollar_variables,
    query_form,
    tokens,
    update_keyword,
    where_brace,
    with_values,
)
from kzgraph.terms import IRI, XSD, Literal

FIXTURES = Path(__file__).parent / "fixtures"
KZR = "https://w3id.org/kzgraph/resource/"


def rq(tmp_path: Path, text: str, name: str = "q.rq") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- catalog


def test_catalog_reads_headers() -> None:
    catalog = load_catalog(FIXTURES / "queries")
    assert sorted(catalog) == ["agents", "labels", "tenures", "timeline", "visits-since"]
    timeline = catalog["timeline"]
    assert timeline.title == "Visits in a period"
    assert [(p.name, p.type, p.default) for p in timeline.params] == [
        ("from", "date", "1991-01-01"),
        ("to", "date", "2020-12-31"),
    ]
    assert timeline.params[0].example == "1992-01-01"


def test_checks_need_severity() -> None:
    checks = load_checks(FIXTURES / "queries")
    assert {(c.name, c.severity) for c in checks} == {
        ("shared-altlabel", "warning"),
        ("unsourced-visit", "error"),
    }
    assert all(c.fix for c in checks)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT * WHERE { ?s ?p ?o }\n", "no '#+ ' YAML header"),
        ("#+ title: [unclosed\nSELECT * WHERE { ?s ?p ?o }\n", "not valid YAML"),
        ("#+ description: no title\nSELECT * WHERE { ?s ?p ?o }\n", "needs a 'title'"),
        (
            "#+ title: t\nSELECT * WHERE { ?s ?p $o }\n",
            "q.rq:2:24: $variables not declared in params: o",
        ),
        (
            "#+ title: t\n#+ params:\n#+   x: {type: string}\nSELECT * WHERE { ?s ?p ?o }\n",
            "q.rq:3: params never used as $variables: x",
        ),
        (
            "#+ title: t\n#+ params:\n#+   x: {type: colour}\nSELECT * WHERE { ?s ?p $x }\n",
            "q.rq:3: parameter 'x' needs a type",
        ),
        (
            "#+ title: t\n#+ params:\n#+   n: {type: integer, default: 1}\n"
            "SELECT ?s (COUNT(*) AS ?c) WHERE { ?s ?p ?o } GROUP BY ?s HAVING (COUNT(*) > $n)\n",
            "parameters used outside the WHERE group: n",
        ),
        (
            "#+ title: t\n#+ params:\n#+   d: {type: date, default: yesterday}\n"
            "SELECT * WHERE { ?s ?p ?o FILTER(?o = $d) }\n",
            "q.rq:3: bad default: parameter 'd' expects date",
        ),
    ],
)
def test_bad_headers_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = rq(tmp_path, text)
    with pytest.raises(QueryHeaderError) as caught:
        parse_saved_query(path)
    assert message in str(caught.value)
    assert "q.rq" in str(caught.value)


def test_dollar_variables_ignore_comments_strings_and_iris() -> None:
    text = '# $notme\nSELECT ?a WHERE { ?a <http://e/$x> "$y" ; ?p $real . FILTER(?v < $other) }'
    assert dollar_variables(text) == {"real", "other"}


def test_where_brace_skips_the_construct_template() -> None:
    text = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert text[where_brace(text) :].startswith("{ ?s ?p ?o }")
    assert where_brace("SELECT * { ?s ?p ?o }") == 9
    assert "WHERE { VALUES (?x)" in with_values("DESCRIBE $x", {"x": "<http://e/a>"})


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("PREFIX describe: <urn:d:> SELECT ?s WHERE { ?s describe:p ?o }", "SELECT"),
        ("prefix select: <urn:s:> base <urn:b> construct { ?s select:p 1 } where {}", "CONSTRUCT"),
        ("PREFIX : <urn:x:> PREFIX ask:<urn:a:> # SELECT\nASK { :a ask:b ?c }", "ASK"),
        ("DESCRIBE <urn:x>", "DESCRIBE"),
        ("SELECT ('DESCRIBE' AS ?describe) WHERE {}", "SELECT"),
        ("INSERT DATA { <urn:a> <urn:b> 'SELECT' }", ""),
        ("PREFIX x: <urn:x:> x:SELECT", ""),
        ("", ""),
    ],
)
def test_query_form_is_the_keyword_after_the_prologue(text: str, form: str) -> None:
    assert query_form(text) == form


def test_prefixed_names_and_blank_nodes_are_single_tokens() -> None:
    text = "?s kz:a.b%20c:d\\.e. _:b0 :x service:p 'a:b' <a:b> Ünal:x SERVICE"
    assert [(t.kind, t.text) for t in tokens(text)] == [
        ("var", "?s"), ("pname", "kz:a.b%20c:d\\.e"), ("punct", "."), ("bnode", "_:b0"),
        ("pname", ":x"), ("pname", "service:p"), ("string", "'a:b'"), ("iri", "<a:b>"),
        ("pname", "Ünal:x"), ("word", "SERVICE"),
    ]  # fmt: skip
    text = "PREFIX : <urn:e:> PREFIX service:<urn:s:> PREFIX kz: <urn:k#> INSERT DATA {}"
    assert declared_prefixes(text) == {"": "urn:e:", "service": "urn:s:", "kz": "urn:k#"}
    keyword = update_keyword(text)
    assert keyword is not None and keyword.text == "INSERT"


@pytest.mark.parametrize(
    ("ranges", "also", "readable"),
    [
        ("_BASE", "", r"[A-Za-z\u00C0-\uFFFF]"),
        ("_PN_CHARS", "", r"[A-Za-z0-9_\-\u00B7\u00C0-\uFFFF]"),
        ("_PN_CHARS", ".:", r"[A-Za-z0-9_\-\u00B7\u00C0-\uFFFF.:]"),
    ],
)
def test_a_name_class_written_as_a_negation_holds_the_same_characters(
    ranges: str, also: str, readable: str
) -> None:
    """The lexer writes its name classes as negations (they compile ten times faster);
    over every code point, each holds exactly the characters of the class as SPARQL
    spells it."""
    import kzgraph.sparql_text as lexer

    negated = re.compile(lexer.char_class(getattr(lexer, ranges), *also))
    assert lexer.char_class(getattr(lexer, ranges), *also).startswith("[^")
    spelled = re.compile(readable)
    differ = [
        hex(cp)
        for cp in range(0x110000)
        if bool(negated.fullmatch(chr(cp))) != bool(spelled.fullmatch(chr(cp)))
    ]
    assert differ == []


def test_unknown_query_suggests_close_names() -> None:
    catalog = load_catalog(FIXTURES / "queries")
    with pytest.raises(UnknownQueryError) as caught:
        find_query(catalog, "timelin")
    assert caught.value.suggestions[0] == "timeline"
    assert "did you mean: timeline" in caught.value.hint


def test_one_saved_query_is_read_from_its_own_file(tmp_path: Path) -> None:
    """``kzgraph query NAME`` reads NAME's file alone: a broken file beside it does not
    stop it; a name that is not a file of the folder reads the catalog to suggest names."""
    folder = tmp_path / "queries"
    folder.mkdir()
    for name in ("timeline", "labels"):
        (folder / f"{name}.rq").write_bytes((FIXTURES / "queries" / f"{name}.rq").read_bytes())
    (tmp_path / "outside.rq").write_bytes((FIXTURES / "queries" / "labels.rq").read_bytes())
    assert load_saved(folder, "timeline") == load_catalog(folder)["timeline"]
    with pytest.raises(UnknownQueryError) as caught:
        load_saved(folder, "timelin")
    assert caught.value.suggestions[0] == "timeline"
    with pytest.raises(UnknownQueryError):
        load_saved(folder, "../outside")  # never a file outside the folder
    for typed in ("Timeline", "TIMELINE", " timeline "):
        assert load_saved(folder, typed).name == "timeline"
    (folder / "office-holder-on.rq").write_bytes((folder / "labels.rq").read_bytes())
    for typed in ("Office_Holder_On", "office holder on", "OFFICE-holder_on"):
        assert load_saved(folder, typed).name == "office-holder-on"
    (folder / "office_holder_on.rq").write_bytes((folder / "labels.rq").read_bytes())
    with pytest.raises(UnknownQueryError):  # two queries fit: none is taken
        load_saved(folder, "Office Holder On")
    assert load_saved(folder, "office_holder_on").name == "office_holder_on"  # its own file
    (folder / "broken.rq").write_text("SELECT * WHERE {\n", encoding="utf-8")
    assert load_saved(folder, "labels").name == "labels"
    with pytest.raises(QueryHeaderError):  # the catalog is read, and the broken file named
        load_saved(folder, "timelin")


# --------------------------------------------------------------------------- parameters


def test_a_period_that_starts_after_it_ends_is_an_error() -> None:
    """No row can fall in it: an error that says both ends, as typed and as days, with or
    without the graph; a period of one day or one month is fine."""
    from kzgraph.query import bind_params

    timeline = load_catalog(Path(__file__).parent.parent / "queries")["timeline"]
    for check_only in (True, False):
        with pytest.raises(ParameterError) as caught:
            bind_params(timeline, [("from", "1995-03"), ("to", "1994")], check_only=check_only)
        assert str(caught.value) == (
            "saved query 'timeline': the period is empty: from 1995-03 (1995-03-01) is after "
            "to 1994 (1994-12-31)"
        )
    with pytest.raises(ParameterError) as caught:
        bind_params(timeline, [("from", "1992-01-02"), ("to", "1992-01-01")])
    assert str(caught.value).endswith("from 1992-01-02 is after to 1992-01-01")
    for same in (("1994-06", "1994-06"), ("1994-06-01", "1994-06-01"), ("1994", "1994")):
        bound = bind_params(timeline, [("from", same[0]), ("to", same[1])])
        assert bound.values["from"].value <= bound.values["to"].value


def test_coerce_each_type() -> None:
    q = load_catalog(FIXTURES / "queries")["tenures"]
    param = q.params[0]
    assert coerce(param, "person:ozal", q) == IRI(KZR + "person/ozal")
    assert coerce(param, f"<{KZR}person/ozal>", q) == IRI(KZR + "person/ozal")
    timeline = load_catalog(Path(__file__).parent.parent / "queries")["timeline"]
    assert coerce(timeline.params[0], "1994-10-17") == Literal("1994-10-17", XSD + "date")
    since = load_catalog(FIXTURES / "queries")["visits-since"]
    assert coerce(since.params[0], "1992") == Literal("1992", XSD + "gYear")
    assert coerce(since.params[1], "+07") == Literal("7", XSD + "integer")


@pytest.mark.parametrize(
    ("query", "value", "expected"),
    [
        (
            "timeline",
            "17/10/1994",
            "parameter 'from' expects date (e.g. 1992-01-01), got '17/10/1994'",
        ),
        ("timeline", "1994-02-30", "no such day"),
        ("visits-since", "ninety", "parameter 'year' expects gYear"),
        ("tenures", "nosuchprefix:x", "not a full IRI or a known prefixed name"),
        ("tenures", "http://bad iri", "expects iri"),
        ("labels", "not a tag!", "parameter 'lang' expects lang"),
    ],
)
def test_ill_typed_values_say_which_param_and_type(query: str, value: str, expected: str) -> None:
    q = load_catalog(FIXTURES / "queries")[query]
    with pytest.raises(ParameterError) as caught:
        resolve_params(q, [(q.params[0].name, value)])
    assert expected in str(caught.value)


def test_unknown_and_missing_params(tmp_path: Path) -> None:
    q = load_catalog(FIXTURES / "queries")["timeline"]
    with pytest.raises(ParameterError, match=r"no parameter 'form' \(declared: from, to\)"):
        resolve_params(q, [("form", "1992-01-01")])
    no_default = parse_saved_query(
        rq(
            tmp_path,
            "#+ title: t\n#+ params:\n#+   who: {type: iri}\nSELECT * WHERE { $who ?p ?o }\n",
        )
    )
    with pytest.raises(ParameterError, match="'who' of query 'q' needs a value"):
        resolve_params(no_default, [])


def test_injection_is_just_a_string(entry) -> None:  # type: ignore[no-untyped-def]
    q = load_catalog(FIXTURES / "queries")["labels"]
    original = q.text
    evil = '"} ; DROP ALL ; #'
    values = resolve_params(q, [("name", evil)])
    bound = bind(q.text, values)
    assert q.text == original  # the saved text is never edited
    assert bound.replace(' VALUES (?lang ?name) { ("en" "\\"} ; DROP ALL ; #") }\n', "") == original
    engine = open_engine(entry)
    before = len(engine)
    result = run_saved(engine, q, [("name", evil)])
    assert result.rows == ()
    assert len(engine) == before
    # and the same query without the hostile value does match
    assert len(run_saved(engine, q, [("name", "kaz")]).rows) == 1


def test_parameters_filter_results(entry) -> None:  # type: ignore[no-untyped-def]
    engine = open_engine(entry)
    q = load_catalog(FIXTURES / "queries")["timeline"]
    rows = run_saved(engine, q, [("from", "1993-01-01")]).rows
    assert [r[1] for r in rows] == [IRI(KZR + "event/visit-1993")]
    tenures = load_catalog(FIXTURES / "queries")["tenures"]
    assert run_saved(engine, tenures, [("person", "person:ozal")]).rows == ()
    assert len(run_saved(engine, tenures).rows) == 1


# --------------------------------------------------------------------------- engines


@pytest.mark.parametrize("name", ["agents", "labels", "tenures", "timeline", "visits-since"])
def test_both_engines_give_the_same_rows(entry, name: str) -> None:  # type: ignore[no-untyped-def]
    q = load_catalog(FIXTURES / "queries")[name]
    ox = run_saved(open_engine(entry, "oxigraph"), q)
    rd = run_saved(open_engine(entry, "rdflib"), q)
    assert ox.variables == rd.variables
    assert ox.rows == rd.rows  # ORDER BY makes the order part of the answer
    assert ox.rows


def test_describe_ask_construct_on_both_engines(entry) -> None:  # type: ignore[no-untyped-def]
    for engine in (open_engine(entry, "oxigraph"), open_engine(entry, "rdflib")):
        ask = engine.run(
            f"ASK {{ <{KZR}person/ozal> a <https://w3id.org/kzgraph/ontology#Agent> }}"
        )
        assert ask.kind == "ask" and ask.boolean is True
        described = engine.run(f"DESCRIBE <{KZR}person/ozal>")
        assert described.kind == "graph"
        assert (
            IRI(KZR + "person/ozal"),
            IRI("http://www.w3.org/2000/01/rdf-schema#label"),
            Literal("Turgut Özal", language="en"),
        ) in described.triples
        built = engine.run(
            "CONSTRUCT { ?s <http://e/seen> true } "
            "WHERE { ?s a <https://w3id.org/kzgraph/ontology#Visit> }"
        )
        assert len(built.triples) == 2


def test_asserted_only_hides_inferences(entry) -> None:  # type: ignore[no-untyped-def]
    q = load_catalog(FIXTURES / "queries")["agents"]
    assert len(run_saved(open_engine(entry), q).rows) == 5
    assert run_saved(open_engine(entry, asserted_only=True), q).rows == ()


@pytest.mark.parametrize("engine_class", [OxigraphEngine, RdflibEngine])
def test_syntax_errors_are_typed(engine_class) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuerySyntaxError) as caught:
        engine_class().run("SELECT ?x WHERE { ?x ?y }", origin="q.rq")
    assert str(caught.value).startswith("q.rq")
    assert "\n" not in str(caught.value)


def test_labels_fallback_order(entry) -> None:  # type: ignore[no-untyped-def]
    engine = open_engine(entry)
    labels = engine.labels([KZR + "state/turkey", KZR + "nothing/here-at-all"])
    assert labels[KZR + "state/turkey"] == "Turkey"
    assert labels[KZR + "nothing/here-at-all"] == "here-at-all"


def test_sort_key_orders_unbound_first() -> None:
    terms = [Literal("a"), None, IRI("http://e/a")]
    assert sorted(terms, key=sort_key) == [None, IRI("http://e/a"), Literal("a")]


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_an_engine_reads_its_files_as_one_document(engine: str, tmp_path: Path) -> None:
    """A blank node label names one node in all the files (a cache's inferred triples about a
    reified statement are about the asserted blank node), even after a file without its
    last newline."""
    from kzgraph.query import ENGINES

    (tmp_path / "asserted.nt").write_bytes(b'_:s <http://e/p> "1" .')
    (tmp_path / "inferred.nt").write_bytes(b'_:s <http://e/q> "2" .\n')
    store = ENGINES[engine]([tmp_path / "asserted.nt", tmp_path / "inferred.nt"])
    result = store.run("SELECT (COUNT(DISTINCT ?s) AS ?n) (COUNT(*) AS ?t) WHERE { ?s ?p ?o }")
    assert [[t.value for t in row] for row in result.rows] == [["1", "2"]]
