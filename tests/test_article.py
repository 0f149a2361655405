"""The article as a scholarly work, on the bundled data: sections, paragraph roles, the
article's statements about itself and its in-text citation occurrences.

The expected values were read in ../shared/sources/paper-paragraphs.md (its headings, its block
quotations, each paragraph's parenthetical and narrative citations), not copied from the data.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from pathlib import Path

from rdflib import OWL, RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SKOS

ROOT = Path(__file__).resolve().parent.parent
KZ = Namespace("https://w3id.org/kzgraph/ontology#")
DEO = "http://purl.org/spar/deo/"
DOCO = Namespace("http://purl.org/spar/doco/")
CITO = Namespace("http://purl.org/spar/cito/")
C4O = Namespace("http://purl.org/spar/c4o/")
R = "https://w3id.org/kzgraph/resource/"

#: the article's headings and the paragraphs under each, read in the article
HEADINGS = {
    "Abstract": range(1, 2),
    "Resumen": range(2, 4),
    "Introduction": range(4, 7),
    "Materials and methods": range(7, 14),
    "Results and discussion": range(14, 32),
    "Conclusions": range(32, 34),
}
BLOCK_QUOTATIONS = {9, 10, 12, 18, 30}
#: every in-text citation, paragraph by paragraph, in reading order: (work, narrative?)
CITATIONS = {
    5: [("asylbekov-et-al-2010", False), ("joint-declaration-1995", False),
        ("ayagan-et-al-2010", False), ("akpynar-et-al-2018", False)],
    7: [("republic-of-kazakhstan-2021", False)],
    8: [("nazarbayev-2017", True)],
    9: [("nazarbayev-2017", False), ("akpynar-et-al-2018", True)],
    10: [("akpynar-et-al-2018", False)],
    11: [("perepelitsa-2007", True)],
    12: [("perepelitsa-2007", False)],
    15: [("asylbekov-et-al-2010", False), ("ketners-2015", False),
         ("republic-of-kazakhstan-2021", False)],
    16: [("burabaev-2002", False), ("stepanchuk-et-al-2016", False)],
    17: [("national-archive-2021", False), ("nazarbayev-2017", True)],
    18: [("nazarbayev-2017", False)],
    19: [("nazarbayev-2003", False), ("republic-of-kazakhstan-2021", False)],
    20: [("kara-2011", False), ("karasaev-et-al-2012", False), ("burabaev-2002", False)],
    21: [("ayagan-et-al-2010", False), ("yensenov-2018", False)],
    22: [("tuimebaev-2013", False)],
    23: [("asylbekov-et-al-2010", False)],
    24: [("martinkovic-2005", False), ("ayagan-et-al-2010", False)],
    25: [("national-archive-2021", False), ("republic-of-kazakhstan-2021", False)],
    26: [("agency-for-strategic-2021", False)],
    27: [("toybaeva-2016", False)],
    28: [("asankeldiuly-2018", False), ("imasheva-2003", False), ("ketners-2020", False)],
    29: [("giritliogly-2021", True)],
    30: [("giritliogly-2021", False)],
}  # fmt: skip
#: the works that close each paragraph (a parenthetical citation after its last sentence)
CLOSING = {
    5: {"joint-declaration-1995", "ayagan-et-al-2010", "akpynar-et-al-2018"},
    10: {"akpynar-et-al-2018"}, 12: {"perepelitsa-2007"}, 15: {"republic-of-kazakhstan-2021"},
    16: {"burabaev-2002", "stepanchuk-et-al-2016"}, 18: {"nazarbayev-2017"},
    19: {"republic-of-kazakhstan-2021"}, 20: {"burabaev-2002"}, 21: {"yensenov-2018"},
    23: {"asylbekov-et-al-2010"}, 24: {"martinkovic-2005", "ayagan-et-al-2010"},
    26: {"agency-for-strategic-2021"}, 27: {"toybaeva-2016"},
    28: {"imasheva-2003", "ketners-2020"}, 30: {"giritliogly-2021"},
}  # fmt: skip


@cache
def data() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def paragraph(n: int) -> URIRef:
    return URIRef(f"{R}paragraph/P{n}")


def test_every_paragraph_stands_under_the_heading_the_article_puts_it_under() -> None:
    graph = data()
    for heading, numbers in HEADINGS.items():
        for n in numbers:
            sections = list(graph.objects(paragraph(n), KZ.inSection))
            assert len(sections) == 1, n
            assert graph.value(sections[0], KZ.sectionTitle) == Literal(heading), n
            assert graph.value(paragraph(n), KZ.section) == Literal(heading), n
    numbers = sorted(
        int(graph.value(s, KZ.sectionNumber)) for s in graph.subjects(RDF.type, KZ.Section)
    )
    assert numbers == [1, 2, 3, 4, 5, 6]


def test_block_quotations_are_marked_as_such_and_nothing_else_is() -> None:
    graph = data()
    quoted = {n for n in range(1, 34) if (paragraph(n), RDF.type, DOCO.BlockQuotation) in graph}
    plain = {n for n in range(1, 34) if (paragraph(n), RDF.type, DOCO.Paragraph) in graph}
    flagged = {
        n for n in range(1, 34) if graph.value(paragraph(n), KZ.blockQuotation) == Literal(True)
    }
    assert quoted == flagged == BLOCK_QUOTATIONS
    assert plain == set(range(1, 34)) - BLOCK_QUOTATIONS


def test_a_role_the_heading_does_not_name_is_an_editorial_classification() -> None:
    graph = data()
    annotated = {
        (graph.value(a, OWL.annotatedSource), graph.value(a, OWL.annotatedTarget))
        for a in graph.subjects(OWL.annotatedProperty, RDF.type)
        if (a, KZ.axiomEditorialAddition, KZ.Classification) in graph
        and graph.value(a, SKOS.editorialNote) is not None
    }
    editorial = 0
    for n in range(1, 34):
        section = graph.value(paragraph(n), KZ.inSection)
        for role in graph.objects(paragraph(n), RDF.type):
            if not str(role).startswith(DEO):
                continue
            named = [r for r in graph.objects(section, RDF.type) if str(r).startswith(DEO)]
            if named == [role]:  # the heading names this role and no other
                assert (paragraph(n), role) not in annotated, (n, role)
            else:
                assert (paragraph(n), role) in annotated, (n, role)
                editorial += 1
    # P4-P6 (a finer role than introduction), P7, P8, P11, P13 (materials and methods name two
    # roles), P14-P17, P19-P28 (results and discussion), P29, P31, P33
    assert editorial == 24


def test_every_in_text_citation_is_one_occurrence_in_reading_order() -> None:
    graph = data()
    found: dict[int, list[tuple[int, str, bool]]] = defaultdict(list)
    closing: dict[int, set[str]] = defaultdict(set)
    for occ in graph.subjects(RDF.type, KZ.CitationOccurrence):
        n = int(str(graph.value(occ, KZ.citingParagraph)).rsplit("P", 1)[1])
        work = str(graph.value(occ, KZ.citedWork))[len(R + "work/") :]
        narrative = graph.value(occ, KZ.citationForm) == KZ.NarrativeCitation
        found[n].append((int(graph.value(occ, KZ.orderInParagraph)), work, narrative))
        if graph.value(occ, KZ.closesParagraph) == Literal(True):
            closing[n].add(work)
        assert graph.value(occ, C4O.hasContent) is not None
    assert {n: [(w, nar) for _o, w, nar in sorted(rows)] for n, rows in found.items()} == CITATIONS
    for rows in found.values():
        assert sorted(o for o, _w, _n in rows) == list(range(1, len(rows) + 1))
    assert dict(closing) == CLOSING
    assert sum(len(v) for v in CITATIONS.values()) == 39


def test_every_quotation_source_and_data_source_is_characterised() -> None:
    graph = data()
    quoting = {
        int(str(graph.value(o, KZ.citingParagraph)).rsplit("P", 1)[1])
        for o in graph.subjects(CITO.hasCitationCharacterization, CITO.includesQuotationFrom)
    }
    data_sources = {
        int(str(graph.value(o, KZ.citingParagraph)).rsplit("P", 1)[1])
        for o in graph.subjects(CITO.hasCitationCharacterization, CITO.citesAsDataSource)
    }
    # the block quotations, the phrases that introduce them (P8, P9, P11, P17, P29), and the
    # official figure P25 quotes
    assert quoting == BLOCK_QUOTATIONS | {8, 11, 17, 29, 25}
    # P7: the article was written from the archive's data; P25, P26: official figures
    assert data_sources == {7, 25, 26}


def test_the_article_states_its_aims_methods_and_conclusions_where_the_article_does() -> None:
    graph = data()

    def stated(cls: URIRef) -> set[int]:
        return {
            int(str(p).rsplit("P", 1)[1])
            for s in graph.subjects(RDF.type, cls)
            for p in graph.objects(s, KZ.statedIn)
        }

    assert stated(KZ.ResearchAim) == {1, 2, 6}
    assert stated(KZ.ResearchSubject) == {5}
    assert stated(KZ.ResearchMethod) == {7, 8, 13}
    assert stated(KZ.ResearchMaterial) == {1, 7}
    assert stated(KZ.Conclusion) == {1, 2, 28, 31, 32}
    assert stated(KZ.Suggestion) == {33}
    methods = {str(graph.value(s, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
               for s in graph.subjects(RDF.type, KZ.ResearchMethod)}  # fmt: skip
    assert "Method: historical comparative analysis" in methods
    assert "Method: retrospective analysis" in methods
    article = URIRef(R + "work/article")
    assert graph.value(article, KZ.coversFrom) == Literal(
        "1991", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear")
    )
    assert graph.value(article, KZ.coversUntil) == Literal(
        "2020", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear")
    )
    assert Literal("diplomacia", lang="es") in set(graph.objects(article, KZ.keyword))
