"""Names as people type them: kzgraph.spelling, kzgraph.resolve, and every place that takes a term.

The resolver runs over the bundled graph (built once for the module); the CLI through
CliRunner; ``--endpoint`` against a real Oxigraph server (the fixtures of test_remote).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kzgraph.cli import cli
from kzgraph.errors import AmbiguousTermError, ParameterError, TermNotFoundError
from kzgraph.project import Project
from kzgraph.query import bind, bind_params, load_catalog, open_engine
from kzgraph.resolve import Name, NameIndex
from kzgraph.spelling import fold, fold_with_offsets, loose
from kzgraph.store import build
from kzgraph.terms import IRI, Literal

ROOT = Path(__file__).parent.parent
PROJECT = Project(ROOT / "data", ROOT / "ontology", ROOT / "queries")
ARGS = ["--data", str(ROOT / "data"), "--ontology", str(ROOT / "ontology")]
ARGS += ["--queries", str(ROOT / "queries")]
R = "https://w3id.org/kzgraph/resource/"
KZ = "https://w3id.org/kzgraph/ontology#"
CATALOG = load_catalog(ROOT / "queries")


@pytest.fixture(scope="module")
def engine() -> Any:
    return open_engine(build(PROJECT).entry)


@pytest.fixture(scope="module")
def names(engine: Any) -> NameIndex:
    return NameIndex.from_engine(engine)


# --------------------------------------------------------------------------- spelling


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Erdoğan", "erdogan"),
        ("ERDOGAN", "erdogan"),
        ("Эрдоган", "erdogan"),
        ("Назарбаев", "nazarbaev"),
        ("Қазақстан", "kazakstan"),
        ("İstanbul", "istanbul"),
        ("Şanlıurfa", "sanliurfa"),
        ("Türkiye’s", "turkiyes"),
        ("A.N.  Sezer", "a n sezer"),
        ("«Ясави»", "yasavi"),
    ],
)
def test_fold(typed: str, folded: str) -> None:
    assert fold(typed) == folded


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Chiller", "Çiller"),
        ("Nazarbaev", "Nazarbayev"),
        ("Yasawi", "Yassawi"),
        ("Khodzha", "Hoja"),
        ("madrasa", "madrassa"),
        ("Shanliurfa", "Şanlıurfa"),
    ],
)
def test_loose_joins_conventional_variants(a: str, b: str) -> None:
    assert fold(a) != fold(b)
    assert loose(a) == loose(b)


def test_fold_offsets_point_into_the_original() -> None:
    text = "Visit of «Erdoğan», 2018"
    folded, offsets = fold_with_offsets(text)
    assert folded == "visit of erdogan 2018"
    start = folded.index("erdogan")
    end = start + len("erdogan") - 1
    assert text[offsets[start] : offsets[end] + 1] == "Erdoğan"
    assert len(offsets) == len(folded)


# --------------------------------------------------------------------------- the resolver


@pytest.mark.parametrize(
    ("typed", "iri", "how"),
    [
        ("person:turgut-ozal", R + "person/turgut-ozal", "iri"),
        (f"<{R}person/turgut-ozal>", R + "person/turgut-ozal", "iri"),
        (f"{R}state/turkey", R + "state/turkey", "iri"),
        ("Turgut Özal", R + "person/turgut-ozal", "exact"),
        ("turgut özal", R + "person/turgut-ozal", "exact"),
        ("TURGUT OZAL", R + "person/turgut-ozal", "folded"),
        ("Abdulla Gyul", R + "person/abdullah-gul", "folded"),  # the Russian label
        ("S. Demirel", R + "person/suleyman-demirel", "exact"),
        ("Demirel", R + "person/suleyman-demirel", "surname"),
        ("A.N. Sezer", R + "person/ahmet-necdet-sezer", "exact"),
        ("A. N. Sezer", R + "person/ahmet-necdet-sezer", "folded"),
        ("N. Sezer", R + "person/ahmet-necdet-sezer", "surname"),
        ("Erdogan", R + "person/recep-tayyip-erdogan", "surname"),
        ("ERDOĞAN", R + "person/recep-tayyip-erdogan", "surname"),
        ("Эрдоган", R + "person/recep-tayyip-erdogan", "surname"),
        ("Ozal", R + "person/turgut-ozal", "surname"),
        ("Chiller", R + "person/tansu-ciller", "surname"),
        ("Ciller", R + "person/tansu-ciller", "surname"),
        ("Nazarbaev", R + "person/nursultan-nazarbayev", "surname"),
        ("Назарбаев", R + "person/nursultan-nazarbayev", "surname"),
        ("Nazarbaiev", R + "person/nursultan-nazarbayev", "fuzzy"),
        ("Yesevi", R + "person/khoja-akhmet-yassawi", "surname"),
        ("Yasawi", R + "person/khoja-akhmet-yassawi", "surname"),
        ("ходжа ахмед ясави", R + "person/khoja-akhmet-yassawi", "exact"),
        ("president of turkey", R + "office/president-of-turkey", "exact"),
        ("Kazakstan", R + "state/kazakhstan", "folded"),  # Қазақстан
        ("Kazakhstn", R + "state/kazakhstan", "fuzzy"),
    ],
)
def test_resolves_what_people_type(names: NameIndex, typed: str, iri: str, how: str) -> None:
    found = names.resolve(typed)
    assert (found.iri, found.how) == (iri, how)
    assert found.label and found.kind


def test_kind_is_the_most_specific_class(names: NameIndex) -> None:
    assert names.resolve("Demirel").kind == "person"
    assert names.resolve("Istanbul").kind == "city"


def test_a_class_narrows_the_candidates(names: NameIndex) -> None:
    person = [KZ + "Person"]
    with pytest.raises(TermNotFoundError) as caught:
        names.resolve("Kazakhstan", person)
    assert "(wanted: person; found: Kazakhstan (sovereign state) <" in str(caught.value)
    # "Yassawi" alone names the person and the mausoleum; the class decides
    assert names.resolve("Khoja Akhmet Yassawi", person).iri == R + "person/khoja-akhmet-yassawi"
    assert names.resolve("Yassawi", [KZ + "Place"]).iri == R + "place/yassawi-mausoleum"


@pytest.mark.parametrize("typed", ["15", "P15", "p 15", "paragraph 15", "Paragraph 15"])
def test_paragraphs_by_number(names: NameIndex, typed: str) -> None:
    found = names.resolve(typed, [KZ + "Paragraph"])
    assert found.iri == R + "paragraph/P15"
    assert names.resolve("paragraph 3", [KZ + "Paragraph"]).iri == R + "paragraph/P3"  # not P33


def test_loose_keeps_numbers() -> None:
    assert loose("1993") == "1993" and loose("P33") == "p33"


def test_several_close_candidates_are_listed_ranked(names: NameIndex) -> None:
    with pytest.raises(AmbiguousTermError) as caught:
        names.resolve("friendship treaty")
    error = caught.value
    iris = [iri for _label, iri in error.candidates]
    assert R + "document/friendship-treaty-1994" in iris
    assert len(iris) >= 2 and len(set(iris)) == len(iris)
    assert error.hint is not None and "(document) <" in error.hint


def test_ambiguous_names_built_by_hand() -> None:
    index = NameIndex(
        names=[
            Name("urn:a", "T. Ozal", None, "label"),
            Name("urn:b", "T. Ozal", None, "label"),
            Name("urn:c", "Another", None, "label"),
        ],
        types={},
        labels={"urn:a": "Turgut Özal", "urn:b": "Ozal (namesake)", "urn:c": "Another"},
        kinds={},
        known=frozenset({"urn:a", "urn:b", "urn:c"}),
    )
    with pytest.raises(AmbiguousTermError) as caught:
        index.resolve("t ozal")
    assert caught.value.candidates == [
        ("Ozal (namesake) (resource)", "urn:b"),
        ("Turgut Özal (resource)", "urn:a"),
    ]


def test_nothing_found_gives_the_nearest_names(names: NameIndex) -> None:
    with pytest.raises(TermNotFoundError) as caught:
        names.resolve("person:nazarbayev")  # an IRI that does not exist is never read as a name
    assert f"Nursultan Nazarbayev (person) <{R}person/nursultan-nazarbayev>" in (
        caught.value.suggestions
    )
    with pytest.raises(TermNotFoundError) as caught:
        names.resolve("Qwxzq")
    assert caught.value.suggestions == []


def test_mentions_finds_the_names_in_a_sentence(names: NameIndex) -> None:
    found = names.mentions("when did demirel meet nazarbaev in almaty in 1992")
    assert [(m.text, m.candidates[0].iri) for m in found] == [
        ("demirel", R + "person/suleyman-demirel"),
        ("nazarbaev", R + "person/nursultan-nazarbayev"),
        ("almaty", R + "place/almaty"),
    ]
    office = names.mentions("who was president of turkey in 1994")
    assert [m.candidates[0].iri for m in office] == [R + "office/president-of-turkey"]


# --------------------------------------------------------------------------- saved queries


def test_iri_parameters_take_names(engine: Any) -> None:
    query = CATALOG["visits-by-person"]
    by_name = bind_params(query, [("person", "S. Demirel")], engine)
    assert by_name.values["person"] == IRI(R + "person/suleyman-demirel")
    ((param, typed, found),) = by_name.resolved
    assert (param, typed, found.label) == ("person", "S. Demirel", "Süleyman Demirel")
    by_iri = bind_params(query, [("person", "person:suleyman-demirel")], engine)
    assert by_iri.values == by_name.values and by_iri.resolved == ()


def test_an_iri_that_names_nothing_is_an_error_not_zero_rows(engine: Any) -> None:
    query = CATALOG["visits-by-person"]
    with pytest.raises(TermNotFoundError) as caught:
        bind_params(query, [("person", "person:nazarbayev")], engine)
    assert str(caught.value).startswith(
        "saved query 'visits-by-person': parameter 'person': no resource matches"
    )
    without_graph = bind_params(query, [("person", "Nobody At All")], check_only=True)
    assert "person" not in without_graph.values  # checked later, against the graph


DATE_QUERIES = sorted(
    (name, p.name) for name, q in CATALOG.items() for p in q.params if p.type == "date"
)


def test_every_date_parameter_declares_how_it_reads_a_period() -> None:
    assert DATE_QUERIES  # office-holder-on, timeline
    for name, param in DATE_QUERIES:
        assert CATALOG[name].param(param).period in ("start", "end", "span"), (name, param)  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "param"), DATE_QUERIES)
@pytest.mark.parametrize(
    ("given", "first", "last"),
    [
        ("1994", "1994-01-01", "1994-12-31"),
        ("1992-02", "1992-02-01", "1992-02-29"),
        ("1994-10-17", "1994-10-17", "1994-10-17"),
    ],
)
def test_a_date_takes_a_year_a_month_or_a_day(
    name: str, param: str, given: str, first: str, last: str
) -> None:
    query = CATALOG[name]
    period = query.param(param).period  # type: ignore[union-attr]
    values = bind_params(query, [(param, given)]).values
    xsd_date = "http://www.w3.org/2001/XMLSchema#date"
    expected = last if period == "end" else first
    assert values[param] == Literal(expected, xsd_date)
    if period == "span":
        assert values[f"{param}_end"] == Literal(last, xsd_date)
    else:
        assert f"{param}_end" not in values


def test_a_bad_month_or_day_is_refused() -> None:
    query = CATALOG["office-holder-on"]
    for bad in ("1994-13", "1994-02-30", "94", "October 1994"):
        with pytest.raises(ParameterError):
            bind_params(query, [("date", bad)])


def _holders(engine: Any, date: str, office: str = "office:president-of-turkey") -> set[str]:
    query = CATALOG["office-holder-on"]
    values = bind_params(query, [("office", office), ("date", date)], engine).values
    result = engine.run(bind(query.text, values))
    return {row[result.variables.index("holderLabel")].value for row in result.rows}


def test_office_holder_in_a_year_is_anyone_in_office_during_it(engine: Any) -> None:
    assert _holders(engine, "1994-10-17") == {"Süleyman Demirel"}
    assert _holders(engine, "1994") == {"Süleyman Demirel"}
    # 1993: Özal until April 1993, Demirel from May 1993 (as the article attests them)
    assert _holders(engine, "1993") == {"Turgut Özal", "Süleyman Demirel"}
    assert _holders(engine, "1993-04") == {"Turgut Özal"}
    assert _holders(engine, "1993-05") == {"Süleyman Demirel"}
    assert _holders(engine, "1993-04-30") == {"Turgut Özal"}
    assert _holders(engine, "1999") == set()  # no tenure the article attests covers 1999


def test_timeline_of_a_year_is_the_whole_year(engine: Any) -> None:
    query = CATALOG["timeline"]
    whole = bind_params(query, [("from", "1992"), ("to", "1992")]).values
    by_days = bind_params(query, [("from", "1992-01-01"), ("to", "1992-12-31")]).values
    assert whole == by_days
    rows = engine.run(bind(query.text, whole)).rows
    assert rows


# --------------------------------------------------------------------------- the CLI


def test_query_with_a_name_says_what_it_resolved_to() -> None:
    runner = CliRunner()
    by_name = runner.invoke(cli, [*ARGS, "query", "visits-by-person", "-p", "person", "Demirel"])
    assert by_name.exit_code == 0, by_name.stderr
    assert (
        f'kzgraph: "Demirel" → Süleyman Demirel <{R}person/suleyman-demirel>'
        in by_name.stderr.splitlines()
    )
    by_iri = runner.invoke(
        cli, [*ARGS, "query", "visits-by-person", "-p", "person", "person:suleyman-demirel"]
    )
    assert by_iri.stdout == by_name.stdout and "Almaty" in by_name.stdout
    assert "→" not in by_iri.stderr


def test_query_with_an_unknown_name_is_exit_2_with_nearest() -> None:
    done = CliRunner().invoke(cli, [*ARGS, "query", "visits-by-person", "-p", "person", "Yeltsin"])
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.splitlines()[0] == (
        "Error: saved query 'visits-by-person': parameter 'person': no resource matches 'Yeltsin'"
    )


def test_office_holder_on_takes_a_year_on_the_command_line() -> None:
    done = CliRunner().invoke(
        cli, [*ARGS, "query", "office-holder-on", "-p", "office", "President of Turkey",
              "-p", "date", "1994", "-f", "csv"],
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert "Süleyman Demirel" in done.stdout and "Özal" not in done.stdout


def test_describe_and_plot_focus_take_names(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, [*ARGS, "describe", "Erdogan"])
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith(f"Recep Tayyip Erdoğan  <{R}person/recep-tayyip-erdogan>")
    drawn = runner.invoke(
        cli, [*ARGS, "plot", "network", "--focus", "Chiller", "-o", str(tmp_path / "n.svg")]
    )
    assert drawn.exit_code == 0, drawn.stderr
    assert f'"Chiller" → Tansu Çiller <{R}person/tansu-ciller>' in drawn.stderr
    assert "Çiller" in (tmp_path / "n.svg").read_text(encoding="utf-8")


def test_describe_by_iri_needs_no_index_of_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An IRI or prefixed name the graph has is described without the index of names; a name,
    or an IRI the graph lacks (answered with the nearest names), builds and keeps it."""
    from kzgraph.resolve import names_path

    monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / "cache"))
    kept = names_path(build(PROJECT).entry.path)
    runner = CliRunner()
    for typed in ("person:turgut-ozal", f"<{R}person/turgut-ozal>", f"{R}person/turgut-ozal"):
        done = runner.invoke(cli, [*ARGS, "describe", typed])
        assert done.exit_code == 0, done.stderr
        assert done.stdout.startswith(f"Turgut Özal  <{R}person/turgut-ozal>")
        said = f'kzgraph: "{typed}" → Turgut Özal <{R}person/turgut-ozal>'
        assert done.stderr.strip() == ("" if typed.startswith("http") else said)
    assert not kept.exists()
    missing = runner.invoke(cli, [*ARGS, "describe", "person:turgut-ozall"])
    assert missing.exit_code == 2
    assert f"Turgut Özal (person) <{R}person/turgut-ozal>" in missing.stderr
    assert kept.is_file()


# --------------------------------------------------------------------------- --endpoint

from test_remote import entry, published, server  # noqa: E402, F401 - fixtures: a real Oxigraph server


def test_names_resolve_on_a_remote_endpoint_too(published: str) -> None:  # noqa: F811
    runner = CliRunner()
    remote = runner.invoke(
        cli,
        [*ARGS, "query", "visits-by-person", "-p", "person", "Назарбаев", "--endpoint", published,
         "-f", "csv"],
    )  # fmt: skip
    assert remote.exit_code == 0, remote.stderr
    assert f'"Назарбаев" → Nursultan Nazarbayev <{R}person/nursultan-nazarbayev>' in remote.stderr
    local = runner.invoke(
        cli, [*ARGS, "query", "visits-by-person", "-p", "person", "Nazarbayev", "-f", "csv"]
    )
    assert remote.stdout == local.stdout and local.stdout.count("\n") > 3
    missing = runner.invoke(
        cli,
        [*ARGS, "query", "visits-by-person", "-p", "person", "person:nobody", "--endpoint",
         published],
    )  # fmt: skip
    assert missing.exit_code == 2
    assert "no resource matches 'person:nobody'" in missing.stderr


# --------------------------------------------------------------------------- the kept index


def _same_index(a: NameIndex, b: NameIndex) -> None:
    assert (a.names, a.types, a.labels, a.kinds, a.known) == (
        b.names,
        b.types,
        b.labels,
        b.kinds,
        b.known,
    )


def test_the_index_of_names_is_kept_with_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first name looked up in an entry keeps the index beside its graph; later ones
    read it without querying the graph, and find the same; a damaged file is built again,
    and a change to the code that builds it makes a new one; --asserted and rdflib engines
    keep nothing."""
    import pickle

    from kzgraph.resolve import names_path

    monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / "cache"))
    cached = build(PROJECT).entry
    kept = names_path(cached.path)
    assert not kept.exists()
    first = NameIndex.from_engine(open_engine(cached))
    assert kept.is_file()
    again = open_engine(cached)

    def no_queries(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the kept index was not used")

    with monkeypatch.context() as patch:
        patch.setattr(again, "run", no_queries)
        patch.setattr(NameIndex, "_build", classmethod(no_queries))
        read = NameIndex.from_engine(again)
    _same_index(read, first)
    assert read.resolve("Nazarbaev").iri == R + "person/nursultan-nazarbayev"

    for damaged in (b"not an index\n", kept.read_bytes()[:200], b"", pickle.dumps({"a": 1})):
        kept.write_bytes(damaged)
        _same_index(NameIndex.from_engine(open_engine(cached)), first)
        assert isinstance(pickle.loads(kept.read_bytes()), NameIndex)  # written again

    with monkeypatch.context() as patch:
        patch.setattr("kzgraph.resolve._INDEX_VERSION", "changed")
        newer = names_path(cached.path)
        assert newer != kept
        NameIndex.from_engine(open_engine(cached))
        assert sorted(newer.parent.iterdir()) == [newer]  # the older one is gone

    newer.unlink()
    for other in (open_engine(cached, asserted_only=True), open_engine(cached, "rdflib")):
        assert other.kept_dir is None
        NameIndex.from_engine(other)
        assert not any(newer.parent.iterdir())

    # read from Oxigraph's own terms, or as any engine's rows: the same names (Oxigraph
    # writes language tags in lower case), classes, labels and kinds
    def read_as(index: NameIndex) -> tuple[object, ...]:
        names = sorted((n.iri, n.text, (n.language or "").lower(), n.property) for n in index.names)
        return names, index.types, index.labels, index.kinds, index.known

    assert read_as(NameIndex.from_engine(open_engine(cached, "rdflib"))) == read_as(first)


def test_a_kept_object_is_read_without_the_cycle_collector_and_leaves_it_as_it_was(
    tmp_path: Path,
) -> None:
    """The collector is paused while a kept object is read or built (see kept.py), and is on
    again after, even when the build fails; a process that had it off keeps it off."""
    import gc

    from kzgraph.kept import load_or_build

    seen: list[bool] = []

    def made() -> NameIndex:
        seen.append(gc.isenabled())
        return NameIndex([], {}, {}, {})

    def fails() -> NameIndex:
        raise ValueError("no graph")

    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            path = tmp_path / str(enabled) / "names.pickle"
            load_or_build(path, NameIndex, made)  # built
            assert isinstance(load_or_build(path, NameIndex, fails), NameIndex)  # read
            with pytest.raises(ValueError, match="no graph"):
                load_or_build(tmp_path / "other" / "names.pickle", NameIndex, fails)
            assert gc.isenabled() is enabled
        assert seen == [False, False]
    finally:
        gc.enable()


def test_a_cache_that_cannot_be_written_still_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from kzgraph.resolve import names_path

    monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / "cache"))
    cached = build(PROJECT).entry
    kept = names_path(cached.path)
    cached.path.chmod(0o555)
    try:
        if os.access(cached.path, os.W_OK):  # root writes anyway: a file in the way instead
            (cached.path / "names").write_bytes(b"")
        found = NameIndex.from_engine(open_engine(cached)).resolve("Özal")
        assert found.iri == R + "person/turgut-ozal"
        assert not kept.is_file()
    finally:
        cached.path.chmod(0o755)
