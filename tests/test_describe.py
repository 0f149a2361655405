"""Statement-level sources (kzgraph.describe.statement_sources) on the bundled data.

Every statement a person sees shows the sources of that statement: the paragraphs and works
that state it, or "editorial" with the reason. The expected values were read in
../shared/sources/paper-paragraphs.md at the paragraphs named, not copied from the data. The
saved query ``sources-of`` implements the same rule in SPARQL; a test holds the two to the
same answer, statement by statement, on both engines. The data-model guide's example queries
run here.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from kzgraph.cli import cli
from kzgraph.describe import Sources, describe, natural_key, statement_sources
from kzgraph.engine import LinesEngine, OxigraphEngine
from kzgraph.project import Project
from kzgraph.query import Engine, load_catalog, open_engine, run_saved
from kzgraph.render import format_sources, render_description
from kzgraph.store import build
from kzgraph.terms import IRI, BNode, Literal

ROOT = Path(__file__).resolve().parent.parent
R = "https://w3id.org/kzgraph/resource/"
KZ = "https://w3id.org/kzgraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
BUNDLED = Project.locate(data=ROOT / "data", ontology=ROOT / "ontology", queries=ROOT / "queries")
ARGS = ["--data", str(ROOT / "data"), "--ontology", str(ROOT / "ontology")]


@cache
def engines(name: str = "oxigraph") -> tuple[Engine, Engine]:
    entry = build(BUNDLED).entry
    return open_engine(entry, name), open_engine(entry, name, asserted_only=True)


def sources(s: str, p: str, o: IRI | Literal | str) -> Sources:
    value = IRI(R + o) if isinstance(o, str) else o
    closure, asserted = engines()
    return statement_sources(closure, IRI(R + s), IRI(p), value, asserted)


# --------------------------------------------------------------------------- the rule


def test_a_wikidata_link_is_editorial_not_the_offices_paragraphs() -> None:
    # The example: the office of President of Kazakhstan is named in eight paragraphs,
    # none of which gives a Wikidata id.
    found = sources("office/president-of-kazakhstan", SKOS + "exactMatch",
                    IRI("http://www.wikidata.org/entity/Q5256775"))  # fmt: skip
    assert found == Sources(editorial=("external identifier",))
    assert format_sources(found) == "editorial: external identifier"


def test_a_plain_link_shows_only_the_paragraph_that_states_it() -> None:
    # P27 (Toybaeva, 2016): the centre has close relations with the Turkish embassy. P26, the
    # centre's other paragraph, and P15, the embassy's, say nothing of it.
    found = sources("institution/akhiska", KZ + "cooperatesWith",
                    "institution/embassy-of-turkey-in-kazakhstan")  # fmt: skip
    assert found.locators == ("P27",) and found.citations == ("Toybaeva (2016)",)
    assert found.editorial == ("identification",)  # the 'Turkish embassy' is read as this one
    # the reasoner's copy in the other direction (kz:cooperatesWith is symmetric) agrees
    assert sources("institution/embassy-of-turkey-in-kazakhstan", KZ + "cooperatesWith",
                   "institution/akhiska") == found  # fmt: skip
    assert format_sources(found) == "[P27] · Toybaeva (2016) · editorial: identification"


def test_an_article_spelling_is_stated_where_it_is_printed() -> None:
    # "Nursultan Nazarbayev" is printed in P8 only; "N.A Nazarbayev" (no second dot) in P20.
    spelling = KZ + "articleSpelling"
    assert sources("person/nursultan-nazarbayev", spelling, Literal("Nursultan Nazarbayev")) == (
        Sources(("P8",))
    )
    assert sources("person/nursultan-nazarbayev", spelling, Literal("N.A Nazarbayev")) == Sources(
        ("P20",)
    )
    # kz:articleSpelling is a sub-property of skos:altLabel: the altLabel copy has its source
    closure, _asserted = engines()
    copy = statement_sources(
        closure, IRI(R + "person/nursultan-nazarbayev"), IRI(SKOS + "altLabel"),
        Literal("Nursultan Nazarbayev"),
    )  # fmt: skip
    assert copy == Sources(("P8",))


def test_labels_are_standard_names_or_translations_by_language() -> None:
    label = SKOS + "prefLabel"
    assert sources(
        "person/turgut-ozal", label, Literal("Turgut Özal", language="en")
    ).editorial == ("standard name",)
    russian = sources("person/turgut-ozal", label, Literal("Тургут Озал", language="ru"))
    assert russian == Sources(editorial=("translated labels",))


def test_derived_bounds_are_editorial_and_the_stated_dates_are_not() -> None:
    # P17: the visit of 16-18 October 1994 (National Archive of…, 2021); P18, the memoir,
    # says only October 1994.
    visit = "event/nazarbayev-visit-1994-10"
    day = Literal("1994-10-16", datatype="http://www.w3.org/2001/XMLSchema#date")
    assert sources(visit, KZ + "startDate", day) == Sources(
        ("P17",), ("National Archive of… (2021)",)
    )
    assert sources(visit, KZ + "earliestDate", day) == Sources(editorial=("derived bound",))
    # the memoir alone calls it his first official visit
    first = Literal("Nazarbayev's first official visit to Turkey", language="en")
    assert sources(visit, KZ + "firstOf", first) == Sources(("P18",), ("Nazarbayev (2017)",))
    # visitor and host state are in both paragraphs: the visit's own sources
    assert sources(visit, KZ + "visitor", "person/nursultan-nazarbayev") == Sources(
        ("P17", "P18"), ("National Archive of… (2021)", "Nazarbayev (2017)")
    )


def test_a_link_to_an_n_ary_node_has_that_nodes_sources() -> None:
    # Çiller signs only in the memoir (P18), though the treaty is in P17 and P18.
    treaty = "document/friendship-treaty-1994"
    ciller = sources(
        treaty, KZ + "hasSignature", "document/friendship-treaty-1994-signature-ciller"
    )
    assert ciller == Sources(("P18",), ("Nazarbayev (2017)",))
    # ... and so does kz:signatory, the property chain through the signature
    assert sources(treaty, KZ + "signatory", "person/tansu-ciller") == ciller
    # the reasoner's inverse copy (kz:signed) has the sources of what it copies
    assert sources("person/tansu-ciller", KZ + "signed", treaty) == ciller


def test_a_tenure_is_stated_where_the_article_gives_the_title() -> None:
    # P9 and P19 call Özal President; P10, P14 and P15 (March 1991) give him no title, so the
    # tenure's link to those events is the editors' classification.
    tenure = "tenure/ozal-president-of-turkey"
    assert sources(tenure, KZ + "holder", "person/turgut-ozal").locators == ("P9", "P19")
    march = sources(tenure, KZ + "attestedBy", "event/ozal-visit-1991-03")
    assert march.locators == ("P10", "P15") and march.editorial == ("classification",)
    april = sources(tenure, KZ + "attestedBy", "event/ozal-visit-1993-04")
    assert april == Sources(("P9",), ("Nazarbayev (2017)",))  # the visit's own sources


def test_the_inverse_copy_of_a_party_link_is_sourced_as_the_document() -> None:
    state_side = sources("state/kazakhstan", KZ + "partyTo", "document/joint-statement-1992")
    assert state_side.locators == ("P15",)


# --------------------------------------------------------------------------- describe


def test_describe_shows_each_statements_own_sources() -> None:
    closure, asserted = engines()
    text = render_description(describe(closure, R + "office/president-of-kazakhstan", asserted))
    assert "  Q5256775  editorial: external identifier" in text
    assert "  Kazakhstan’s President  [P4]" in text
    assert "  President of the Republic of Kazakhstan  [P8] [P17] [P21]" in text
    assert "names: " in text and "(editorial: standard name, translated labels)" in text
    place = render_description(describe(closure, R + "place/kazakhkent", asserted))
    assert "  Istanbul  [P22] · editorial: classification" in place


def test_describe_never_shows_an_axiom_annotation_as_a_link() -> None:
    closure, asserted = engines()
    desc = describe(closure, R + "person/nursultan-nazarbayev", asserted)
    shown = {f.property for f in desc.facts + desc.incoming}
    assert not shown & {"http://www.w3.org/2002/07/owl#annotated" + n
                        for n in ("Source", "Property", "Target")}  # fmt: skip


# --------------------------------------------------------------------------- the saved query


SOURCES_OF = load_catalog(ROOT / "queries")["sources-of"]
SAME_RULE = [
    "event/nazarbayev-visit-1994-10",
    "document/friendship-treaty-1994",
    "document/cooperation-agreement-1991",
    "institution/akhiska",
    "office/president-of-kazakhstan",
    "person/nursultan-nazarbayev",
    "tenure/ozal-president-of-turkey",
    "state/kazakhstan",
    "diaspora/kazakhs-in-turkey",
]


def _from_query(engine: Engine, iri: str) -> dict[tuple[str, str, str], Sources]:
    """(property, value as shown, language) -> the sources the rows give that statement."""
    result = run_saved(engine, SOURCES_OF, (("iri", R + iri),))
    cols = {name: i for i, name in enumerate(result.variables)}
    grouped: dict[tuple[str, str, str], Sources] = {}
    for row in result.rows:
        language = row[cols["language"]]
        key = (
            row[cols["property"]].value,
            row[cols["value"]].value,
            language.value if language else "",
        )
        kind, label = row[cols["kind"]].value, row[cols["sourceLabel"]].value
        locator = row[cols["locator"]]
        if kind == "paragraph":
            add = Sources(locators=(locator.value,))
        elif kind == "cited work":
            add = Sources(citations=(label,))
        else:
            add = Sources(editorial=(label,))
        grouped[key] = grouped.get(key, Sources()) | add
    return grouped


@pytest.mark.parametrize("engine_name", ["oxigraph", "rdflib"])
@pytest.mark.parametrize("iri", SAME_RULE)
def test_sources_of_applies_the_same_rule_as_describe(engine_name: str, iri: str) -> None:
    closure, asserted = engines(engine_name)
    rows = _from_query(closure, iri)
    assert rows
    for (prop, shown, language), found in rows.items():
        (value,) = [
            o
            for _s, _p, o in closure.triples(IRI(R + iri), IRI(prop), None)
            if o.value == shown and (getattr(o, "language", None) or "").lower() == language
        ]
        assert statement_sources(closure, IRI(R + iri), IRI(prop), value, asserted) == found, (
            prop,
            shown,
        )


# --------------------------------------------------------------------------- guide examples


def _readme_example() -> tuple[str, str]:
    text = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    section = text[text.index("## Statement-level sources") :]
    found = re.search(r"```sparql\n(.*?)```\n\n```text\n(.*?)```", section, re.S)
    assert found, "the data-model guide's statement-level sources section has no example"
    return found.group(1), found.group(2)


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_readme_example_asks_the_sources_of_one_statement(engine: str) -> None:
    query, shown = _readme_example()
    result = CliRunner().invoke(cli, [*ARGS, "sparql", query, "--engine", engine])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown


def _readme_scholarly_example() -> tuple[str, str]:
    text = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    section = text[text.index("## The article as a scholarly work") :]
    found = re.search(r"```sparql\n(.*?)```\n\n```text\n(.*?)```", section, re.S)
    assert found, "the data-model guide's scholarly-work section has no example"
    return found.group(1), found.group(2)


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_readme_example_asks_where_and_how_a_work_is_cited(engine: str) -> None:
    query, shown = _readme_scholarly_example()
    result = CliRunner().invoke(cli, [*ARGS, "sparql", query, "--engine", engine])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown


# --------------------------------------------------------------------------- the article's parts


def test_numbers_in_labels_sort_as_numbers() -> None:
    labels = ["[P10]", "[P2]", "[P1]", "[P33]", "[P3]"]
    assert sorted(labels, key=natural_key) == ["[P1]", "[P2]", "[P3]", "[P10]", "[P33]"]
    assert natural_key("Abc") == natural_key("abc")


def test_the_article_lists_its_paragraphs_in_reading_order() -> None:
    closure, asserted = engines()
    desc = describe(closure, R + "work/article", asserted)
    parts = [f.value_label for f in desc.facts if f.property_label == "hasPart"]
    assert parts == [f"[P{n}]" for n in range(1, 34)]


def test_a_paragraph_lists_what_it_states_and_cites_in_reading_order() -> None:
    # P17: the treaty of October 1994 (National Archive of…, 2021), then Nazarbayev named as the
    # author of the quotation that follows in P18 (his book, Nazarbayev 2017).
    closure, asserted = engines()
    desc = describe(closure, R + "paragraph/P17", asserted)
    cites = [f.value_label for f in desc.facts if f.property == KZ + "containsCitation"]
    assert cites == [
        "1. National Archive of… (2021) — parenthetical",
        "2. Nazarbayev (2017) — narrative; includes quotation from",
    ]
    states = {f.value_label: f.sources for f in desc.facts if f.property == KZ + "states"}
    assert states["Treaty of Friendship and Cooperation (1994)"].citations == (
        "National Archive of… (2021)",
        "Nazarbayev (2017)",
    )
    assert "Election of Demirel as President of Turkey, May 1993" in states
    one = {f.value_label: f.sources for f in desc.facts if f.property == KZ + "axiomStatedIn"}
    assert one["[P17] — type: results"] == Sources(editorial=("classification",))
    assert "results" in desc.types and "paragraph" in desc.types
    shown = render_description(desc)
    assert "_:" not in shown  # axiom annotations are shown as the statements they annotate
    assert shown.index("1. National Archive") < shown.index("2. Nazarbayev (2017)")


def test_a_paragraph_with_a_group_of_citations_lists_the_works_that_close_it() -> None:
    # P16 ends "(Burabaev, 2002; Stepanchuk et al., 2016)."
    closure, asserted = engines()
    desc = describe(closure, R + "paragraph/P16", asserted)
    cites = [f.value_label for f in desc.facts if f.property == KZ + "containsCitation"]
    assert cites == [
        "1. Burabaev (2002) — parenthetical, closes the paragraph",
        "2. Stepanchuk et al. (2016) — parenthetical, closes the paragraph",
    ]


# --------------------------------------------------------------------------- reasoner, exports


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OWL = "http://www.w3.org/2002/07/owl#"
ANNOTATION = {OWL + "annotated" + n for n in ("Source", "Property", "Target")}


def _annotations(graph: object) -> set[tuple[str, ...]]:
    """(subject, predicate, object, paragraphs, works, reasons) of every axiom annotation."""
    from rdflib import OWL as O_
    from rdflib import RDF as R_
    from rdflib import URIRef

    out = set()
    for node in set(graph.subjects(R_.type, O_.Axiom)):  # type: ignore[attr-defined]

        def objs(p: str, node: object = node) -> str:
            found = sorted(str(o) for o in graph.objects(node, URIRef(p)))  # type: ignore[attr-defined]
            return " ".join(found)

        out.add(
            (objs(OWL + "annotatedSource"), objs(OWL + "annotatedProperty"),
             objs(OWL + "annotatedTarget"), objs(KZ + "axiomStatedIn"), objs(KZ + "axiomCitation"),
             objs(KZ + "axiomEditorialAddition"))
        )  # fmt: skip
    return out


@cache
def _data_annotations() -> frozenset[tuple[str, ...]]:
    from rdflib import Graph

    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path, format="turtle")
    found = _annotations(graph)
    written = sum(
        path.read_text(encoding="utf-8").count("[] a owl:Axiom ;")
        for path in sorted((ROOT / "data").glob("*.ttl"))
    )  # counted in the text, not by the parser under test
    assert written > 150 and len(found) == written
    assert all(" " not in r[0] + r[1] for r in found)
    return frozenset(found)


def test_the_reasoner_keeps_every_axiom_annotation_once_and_adds_none() -> None:
    from rdflib import Graph

    entry = build(BUNDLED).entry
    asserted = Graph().parse(entry.asserted_path, format="nt")
    closure = Graph().parse(entry.inferred_path, format="nt") + asserted
    assert _annotations(closure) == _data_annotations()
    inferred = Graph().parse(entry.inferred_path, format="nt")
    sources = {KZ + "axiomStatedIn", KZ + "axiomCitation", KZ + "axiomEditorialAddition"}
    about = ANNOTATION | sources
    assert not [t for t in inferred if str(t[1]) in about or str(t[2]) == OWL + "Axiom"]


@pytest.mark.parametrize("fmt", ["turtle", "nt", "nq", "trig", "jsonld", "xml"])
def test_every_export_format_carries_the_statement_sources(fmt: str, tmp_path: Path) -> None:
    import warnings

    from rdflib import Dataset, Graph

    out = tmp_path / f"export.{fmt}"
    result = CliRunner().invoke(cli, [*ARGS, "export", "-f", fmt, "--inferred", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")  # from the text: rdflib's JSON-LD parser leaks a file
    graph = Graph()
    with warnings.catch_warnings():  # rdflib 7.6's Dataset and JSON-LD parser warn inside
        warnings.simplefilter("ignore", DeprecationWarning)
        if fmt in ("nq", "trig"):
            dataset = Dataset().parse(data=text, format={"nq": "nquads"}.get(fmt, fmt))
            for s, p, o, _g in dataset.quads((None, None, None)):
                graph.add((s, p, o))
        else:
            graph.parse(data=text, format={"jsonld": "json-ld"}.get(fmt, fmt))
    assert _annotations(graph) == _data_annotations()


def _readme_lifted_example() -> tuple[str, str]:
    text = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    section = text[text.index("## Facts lifted from prose (events, documents, institutions)") :]
    found = re.search(r"```sparql\n(.*?)```\n\n```text\n(.*?)```", section, re.S)
    assert found, "the data-model guide's facts-lifted-from-prose section has no example"
    return found.group(1), found.group(2)


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_readme_example_asks_the_aims_a_speaker_stated_and_where(engine: str) -> None:
    query, shown = _readme_lifted_example()
    result = CliRunner().invoke(cli, [*ARGS, "sparql", query, "--engine", engine])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown
    assert "Strengthen the ties between the fraternal peoples" in shown  # P20, Kara (2011)


# --------------------------------------------------------------------------- the data as written


def test_describe_reads_the_data_as_written_node_by_node_as_if_whole() -> None:
    """``kzgraph describe`` reads the asserted triples only about the nodes it looks at
    (LinesEngine), not the whole file: every node of the bundled data is described as with
    the whole file loaded, but for the blank nodes' labels (the file's own, where a store's
    load makes up new ones), and nothing ever loads the whole file."""
    closure, whole = engines()
    lines = LinesEngine(build(BUNDLED).entry.asserted_path)
    nodes = sorted({s.value for s, _p, _o in whole.triples() if isinstance(s, IRI)})
    assert len(nodes) > 700

    def shown(text: str) -> str:
        return re.sub(r"_:\w+", "_:b", text)

    for iri in nodes:
        by_node = render_description(describe(closure, iri, lines))
        assert shown(by_node) == shown(render_description(describe(closure, iri, whole))), iri
    assert lines._whole is None


def test_a_node_is_read_from_its_own_lines_only(tmp_path: Path) -> None:
    """A node's IRI inside a literal, or a blank node label that starts another one, is not a
    triple of that node; a typed literal reads as a store keeps it; a pattern without a node
    reads the whole file."""
    path = tmp_path / "asserted.nt"
    path.write_text(
        '<http://e/a> <http://e/p> "see <http://e/b> too" .\n'
        "<http://e/b> <http://e/p> _:b10 .\n"
        "_:b1 <http://e/p> <http://e/c> .\n"
        '_:b10 <http://e/q> "49.0"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
        "<http://e/c> <http://e/q> <http://e/b> .",  # no newline at the end
        encoding="utf-8",
    )
    lines = LinesEngine(path)
    e = "http://e/"
    assert list(lines.triples(IRI(e + "b"))) == [(IRI(e + "b"), IRI(e + "p"), BNode("b10"))]
    assert list(lines.triples(None, None, IRI(e + "b"))) == [
        (IRI(e + "c"), IRI(e + "q"), IRI(e + "b"))
    ]
    assert list(lines.triples(BNode("b1"))) == [(BNode("b1"), IRI(e + "p"), IRI(e + "c"))]
    assert list(lines.triples(BNode("b10"), IRI(e + "q"))) == [
        (BNode("b10"), IRI(e + "q"), Literal("49", "http://www.w3.org/2001/XMLSchema#decimal"))
    ]
    assert list(lines.triples(IRI(e + "nothing"))) == []
    assert lines._whole is None
    decimal = Literal("49", "http://www.w3.org/2001/XMLSchema#decimal")
    assert sorted(map(repr, lines.triples(None, IRI(e + "q")))) == sorted(
        map(
            repr,
            [(BNode("b10"), IRI(e + "q"), decimal), (IRI(e + "c"), IRI(e + "q"), IRI(e + "b"))],
        )
    )
    assert lines._whole is not None
    assert list(lines.triples(BNode("b1"))) == [(BNode("b1"), IRI(e + "p"), IRI(e + "c"))]
    assert len(lines) == len(OxigraphEngine([path])) == 5
    empty = tmp_path / "empty.nt"
    empty.write_bytes(b"")
    assert list(LinesEngine(empty).triples(IRI(e + "a"))) == []
