"""kzgraph.render: SPARQL CSV/TSV/JSON exactly per spec, tables, deterministic RDF."""

from __future__ import annotations

import json

from kzgraph.query import QueryResult
from kzgraph.render import (
    MIN_COLUMN,
    RDF_FORMATS,
    column_widths,
    cut,
    render_description,
    render_rdf,
    render_result,
    render_validation,
    span_text,
    to_markdown,
    to_table,
)
from kzgraph.terms import IRI, XSD, BNode, Literal
from kzgraph.validate import ValidationReport, Violation

RESULT = QueryResult(
    "select",
    ("who", "note", "n"),
    (
        (
            IRI("http://e/a"),
            Literal('say "hi", then\nleave', language="en"),
            Literal("3", XSD + "integer"),
        ),
        (BNode("b0"), None, Literal("tab\there")),
    ),
)


def test_csv_follows_the_spec() -> None:
    text = render_result(RESULT, "csv")
    assert text == ('who,note,n\r\nhttp://e/a,"say ""hi"", then\nleave",3\r\n_:b0,,tab\there\r\n')


def test_tsv_follows_the_spec() -> None:
    text = render_result(RESULT, "tsv")
    assert text == (
        '?who\t?note\t?n\n<http://e/a>\t"say \\"hi\\", then\\nleave"@en\t3\n_:b0\t\t"tab\\there"\n'
    )


def test_json_follows_the_spec() -> None:
    doc = json.loads(render_result(RESULT, "json"))
    assert doc["head"] == {"vars": ["who", "note", "n"]}
    first, second = doc["results"]["bindings"]
    assert first["who"] == {"type": "uri", "value": "http://e/a"}
    assert first["note"] == {"type": "literal", "value": 'say "hi", then\nleave', "xml:lang": "en"}
    assert first["n"] == {"type": "literal", "value": "3", "datatype": XSD + "integer"}
    assert second == {
        "who": {"type": "bnode", "value": "b0"},
        "n": {"type": "literal", "value": "tab\there"},
    }


def test_ask_in_every_format() -> None:
    ask = QueryResult("ask", boolean=True)
    assert render_result(ask, "table") == "yes\n"
    assert json.loads(render_result(ask, "json")) == {"head": {}, "boolean": True}
    assert render_result(QueryResult("ask", boolean=False), "csv") == "false\r\n"


def test_table_uses_labels_and_aligns() -> None:
    text = render_result(RESULT, "table", {"http://e/a": "Alpha"})
    lines = text.splitlines()
    assert lines[0].split() == ["who", "note", "n"]
    assert lines[2].startswith('Alpha  say "hi", then leave')
    assert len({line.index(" n") if " n" in line else 0 for line in lines[:1]}) == 1
    assert to_table(["a", "bb"], [["xxx", "y"]]) == "a    bb\n---  --\nxxx  y\n"


def test_markdown_escapes_pipes() -> None:
    assert to_markdown(["a"], [["x|y"]]) == "| a |\n|---|\n| x\\|y |\n"


TRIPLES = [
    (IRI("http://e/b"), IRI("http://e/p"), Literal("1", XSD + "integer")),
    (IRI("http://e/a"), IRI("http://e/p"), Literal("Özal", language="tr")),
    (IRI("http://e/a"), IRI("http://e/q"), IRI("http://e/b")),
]


def test_ntriples_are_sorted_and_deduplicated() -> None:
    out = render_rdf({None: TRIPLES + TRIPLES[:1]}, "nt").decode()
    assert out.splitlines() == sorted(out.splitlines())
    assert len(out.splitlines()) == 3
    assert '"Özal"@tr' in out


def test_every_rdf_format_is_order_independent() -> None:
    for fmt in RDF_FORMATS:
        one = render_rdf({"http://g/1": TRIPLES}, fmt, {"ex": "http://e/", "unused": "http://u/"})
        two = render_rdf(
            {"http://g/1": list(reversed(TRIPLES))}, fmt, {"ex": "http://e/", "unused": "http://u/"}
        )
        assert one == two, fmt
        # compact JSON-LD's @context is the whole prefix context, used or not
        assert (b"http://u/" in one) == (fmt == "jsonld"), fmt
    turtle = render_rdf({None: TRIPLES}, "turtle", {"ex": "http://e/"}).decode()
    assert turtle.startswith("@prefix ex: <http://e/> .\n")
    assert "ex:a ex:p" in turtle
    nq = render_rdf({"http://g/1": TRIPLES}, "nq").decode()
    assert all(line.endswith("<http://g/1> .") for line in nq.splitlines())


def test_every_rdf_format_writes_literals_as_given() -> None:
    """No store or parser in between: a tag's case and a non-canonical lexical form stay."""
    triples = [
        (IRI("http://e/a"), IRI("http://e/p"), Literal("Қазақстан", language="kk-Cyrl")),
        (IRI("http://e/a"), IRI("http://e/p"), Literal("09", XSD + "positiveInteger")),
        (IRI("http://e/a"), IRI("http://e/p"), Literal("100.0", XSD + "decimal")),
        (IRI("http://e/a"), IRI("http://e/p"), Literal('a "b"\n<c> & d')),
    ]
    for fmt in RDF_FORMATS:
        out = render_rdf({None: triples}, fmt, {"ex": "http://e/"}).decode()
        assert "kk-Cyrl" in out and "kk-cyrl" not in out, fmt
        assert ">09<" in out if fmt == "xml" else '"09"' in out, fmt
        assert "100.0" in out, fmt


def test_validation_text_report_is_actionable() -> None:
    report = ValidationReport(
        conforms=False,
        results=(
            Violation(
                file="data/tenures.ttl",
                focus="http://e/t",
                focus_label="A tenure",
                path="kz:holder",
                message="needs a holder",
                severity="Violation",
                source_shape="kz:TenureShape-holder",
                component="sh:MinCountConstraintComponent",
            ),
        ),
        severity_counts={"Violation": 1},
    )
    assert render_validation(report, "text") == (
        "data/tenures.ttl: violation: A tenure <http://e/t> kz:holder: needs a holder"
        " [shape kz:TenureShape-holder]\n"
    )
    doc = json.loads(render_validation(report, "json"))
    assert doc["conforms"] is False and doc["results"][0]["file"] == "data/tenures.ttl"


def test_description_shows_sources_per_fact(entry) -> None:  # type: ignore[no-untyped-def]
    from kzgraph.describe import describe
    from kzgraph.query import open_engine

    text = render_description(
        describe(
            open_engine(entry),
            "https://w3id.org/kzgraph/resource/person/nazarbayev",
            open_engine(entry, asserted_only=True),
        )
    )
    assert text.splitlines()[0] == (
        "Nursultan Nazarbayev  <https://w3id.org/kzgraph/resource/person/nazarbayev>"
    )
    assert "  sources: [P1] · Asylbekov et al., 2010" in text
    # facts on the node itself share the sources at the top
    assert "citizen of\n  Kazakhstan\n" in text
    assert "names: N. Nazarbayev@en" in text
    # facts reached through the n-ary tenure node carry the tenure's locator
    assert "← holder\n  Nazarbayev, President of Kazakhstan  [P14] · Asylbekov et al., 2010" in text
    assert "held tenure" not in text  # describe shows asserted facts, not inverse copies
    assert "office: President of Kazakhstan; start date: 1991-12-16" in text
    assert (
        "← visitor\n  Nazarbayev visits Turkey  [P14]\n      date: 1992-09-24; host: Turkey" in text
    )
    assert "states" not in text  # provenance inverses are not facts


def test_table_folds_a_label_column_into_its_iri_column() -> None:
    result = QueryResult(
        "select",
        ("city", "cityLabel", "visits"),
        (
            (
                IRI("http://e/almaty"),
                Literal("Алматы", language="ru"),
                Literal("2", XSD + "integer"),
            ),
            (IRI("http://e/x"), None, Literal("1", XSD + "integer")),
        ),
    )
    lines = render_result(
        result, "table", {"http://e/almaty": "Almaty", "http://e/x": "X"}
    ).splitlines()
    assert lines[0].split() == ["city", "visits"]
    assert lines[2].split() == ["Алматы", "2"]  # the query's label (its lang parameter) wins
    assert lines[3].split() == ["X", "1"]  # no label in the row: the store's label
    # machine formats keep both columns
    assert render_result(result, "csv").splitlines()[0] == "city,cityLabel,visits"


# --------------------------------------------------------------------------- dates


def test_a_span_of_dates_reads_as_people_write_it() -> None:
    assert span_text("1994-10-16/1994-10-18") == "16–18 Oct 1994"
    assert span_text("1994-09-30/1994-10-02") == "30 Sep – 2 Oct 1994"
    assert span_text("1994-12-30/1995-01-02") == "30 Dec 1994 – 2 Jan 1995"
    assert span_text("1994-10/1994-11") == "Oct–Nov 1994"
    assert span_text("1940/1950") == "1940–1950"
    assert span_text("1994/1995-03") == "1994 – Mar 1995"
    for not_a_span in ("1994-10-16", "a/b", "1994-10-16/", "see 1994/1995", "12345/1995"):
        assert span_text(not_a_span) is None, not_a_span


SPANNED = QueryResult(
    "select",
    ("date", "note"),
    (
        (Literal("1994-10-16/1994-10-18"), Literal("1994-10-16/1994-10-18", language="en")),
        (Literal("1994-10-17", XSD + "date"), Literal("17 Oct")),
    ),
)


def test_tables_show_a_span_for_people_and_csv_json_keep_iso() -> None:
    table = render_result(SPANNED, "table")
    assert "16–18 Oct 1994" in table.splitlines()[2]
    assert "1994-10-16/1994-10-18" in table.splitlines()[2]  # a text in a language is left as is
    assert "1994-10-17" in table.splitlines()[3]
    assert "16–18 Oct 1994" in render_result(SPANNED, "markdown")
    assert render_result(SPANNED, "csv").splitlines()[1].startswith("1994-10-16/1994-10-18,")
    doc = json.loads(render_result(SPANNED, "json"))
    assert doc["results"]["bindings"][0]["date"] == {
        "type": "literal",
        "value": "1994-10-16/1994-10-18",
    }


LABELLED = QueryResult(
    "select",
    ("x", "xLabel", "y"),
    (
        (
            IRI("https://w3id.org/kzgraph/resource/person/turgut-ozal"),
            Literal("Turgut Özal"),
            IRI("https://w3id.org/kzgraph/ontology#Person"),
        ),
    ),
)


def test_saved_query_tables_fold_a_label_column_and_user_queries_keep_it() -> None:
    labels = {"https://w3id.org/kzgraph/ontology#Person": "person"}
    folded = render_result(LABELLED, "table", labels).splitlines()
    assert folded[0].split() == ["x", "y"] and folded[2].split() == ["Turgut", "Özal", "person"]
    kept = render_result(LABELLED, "table", labels, fold_labels=False).splitlines()
    assert kept[0].split() == ["x", "xLabel", "y"]
    assert kept[2].split() == ["person:turgut-ozal", "Turgut", "Özal", "person"]


# --------------------------------------------------------------------------- width

LONG_A = "a long claim about a meeting " * 20  # 580 characters
LONG_B = "a note on how the paragraphs disagree " * 10


def test_table_without_width_is_unchanged_by_long_cells() -> None:
    table = to_table(["id", "text"], [["x1", LONG_A]])
    assert table.splitlines()[2] == "x1  " + LONG_A.rstrip()


def test_table_fits_width_keeping_short_columns_whole() -> None:
    rows = [["1994-10-17", LONG_A, "P4", LONG_B], ["1992", "short", "P19", "z"]]
    table = to_table(["date", "claim", "at", "note"], rows, width=80)
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines), table
    assert max(len(line) for line in lines) == 80  # the room is used, not wasted
    assert lines[2].startswith("1994-10-17  a long claim")
    assert lines[2].split("  ")[2] == "P4"  # short columns whole
    assert lines[3].split()[0] == "1992" and " P19 " in lines[3]
    cells = [c for c in lines[2].split("  ") if c]
    assert cells[1].endswith("…") and cells[3].endswith("…")  # long ones cut
    assert "short" in lines[3] and "…" not in lines[3]  # a short cell in a long column


def test_column_widths_share_room_between_long_columns() -> None:
    # room 80 - 3 gaps of 2 = 74; 10 and 2 whole; 62 shared by the two long columns
    assert column_widths([10, 700, 2, 300], 80) == [10, 31, 2, 31]
    assert column_widths([10, 700, 2, 40], 80) == [10, 31, 2, 31]
    assert column_widths([10, 700, 2, 20], 80) == [10, 42, 2, 20]  # 20 fits its share
    assert column_widths([5, 6], 80) == [5, 6]  # fits: unchanged
    assert column_widths([300, 300, 300], 20) == [MIN_COLUMN] * 3  # never below a minimum


def test_cut_marks_what_it_cuts() -> None:
    assert cut("Nursultan Nazarbayev", 10) == "Nursultan…"
    assert cut("Nursultan", 10) == "Nursultan"
    assert cut("ab cd", 4) == "ab…"  # no space before the mark
    assert len(cut(LONG_A, 33)) <= 33


def test_render_result_width_applies_to_tables_only() -> None:
    result = QueryResult("select", ("id", "text"), ((Literal("x1"), Literal(LONG_A)),))
    table = render_result(result, "table", width=40)
    assert all(len(line) <= 40 for line in table.splitlines()) and "…" in table
    for fmt in ("csv", "tsv", "json", "markdown"):
        assert LONG_A.rstrip() in render_result(result, fmt, width=40), fmt
