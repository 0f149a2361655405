"""Data checks (queries/checks/*.rq) on fixtures that break them.

Each fixture ``tests/checks/invalid/<check>-NN.ttl`` is a small graph with one defect. Its first
line says what is wrong (``# Invalid: why``), its second the row the check must find
(``# Expect: <entity> <property> <value>``, prefixed names of the fixture or a quoted literal).
The fixture is read with the bundled ontology and reasoned (owlrl), as a build does, and the
check runs on both engines. That no check of severity error finds a row in data/ is
tests/test_queries.py's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal as RdfLiteral
from rdflib import URIRef

from kzgraph.load import load_graph
from kzgraph.query import Engine, OxigraphEngine, RdflibEngine, load_checks, run_saved
from kzgraph.reason import reason
from kzgraph.resolve import NameIndex

HERE = Path(__file__).parent
ROOT = HERE.parent
FIXTURES = sorted((HERE / "checks" / "invalid").glob("*.ttl"))
CHECKS = {q.name: q for q in load_checks(ROOT / "queries")}
#: the checks a fixture here exercises (test_queries.py counts them as exercised)
EXERCISED = frozenset(path.stem.rsplit("-", 1)[0] for path in FIXTURES)


def _expected(path: Path) -> tuple[str, str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Invalid: "), f"{path.name}: first line must be '# Invalid: why'"
    assert lines[1].startswith("# Expect: "), f"{path.name}: second line must be '# Expect: …'"
    entity, prop, value = lines[1].removeprefix("# Expect: ").split(" ", 2)
    prefixes = dict(re.findall(r"@prefix ([\w-]*): <([^>]*)> \.", "\n".join(lines)))

    def full(term: str) -> str:
        if term.startswith('"'):
            return term.strip('"')
        prefix, _, local = term.partition(":")
        return prefixes[prefix] + local

    return full(entity), full(prop), full(value)


def _engines(path: Path, tmp_path: Path) -> list[Engine]:
    loaded = load_graph([ROOT / "ontology" / "kzgraph.ttl", path])
    closure = reason(loaded.graph)
    graph = closure.asserted + closure.inferred
    nt = tmp_path / "closure.nt"
    graph.serialize(nt, format="nt", encoding="utf-8")
    return [RdflibEngine(graph=graph), OxigraphEngine([nt])]


def test_there_is_a_fixture_for_each_kind_of_statement_shown_with_a_foreign_source() -> None:
    assert len([p for p in FIXTURES if p.stem.startswith("statement-shown-with-foreign")]) == 3
    assert len([p for p in FIXTURES if p.stem.startswith("citation-occurrences-disagree")]) == 4
    assert len([p for p in FIXTURES if p.stem.startswith("prose-mentions-unlinked")]) == 2
    assert EXERCISED <= set(CHECKS), EXERCISED - set(CHECKS)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_check_finds_the_defect_of_its_fixture(path: Path, tmp_path: Path) -> None:
    check = CHECKS[path.stem.rsplit("-", 1)[0]]
    expected = _expected(path)
    for engine in _engines(path, tmp_path):
        rows = {tuple(t.value for t in row) for row in run_saved(engine, check).rows}
        assert expected in rows, (engine.name, rows)


def test_the_repaired_link_is_not_found(tmp_path: Path) -> None:
    """Fixture 01 with its link annotated (stated in P27, which names both nodes) passes."""
    broken = HERE / "checks" / "invalid" / "statement-shown-with-foreign-source-01.ttl"
    repaired = tmp_path / "repaired.ttl"
    repaired.write_text(
        broken.read_text(encoding="utf-8").replace(
            "@prefix rdfs:",
            "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix rdfs:",
        )
        + """
[] a owl:Axiom ;
    owl:annotatedSource institution:akhiska ;
    owl:annotatedProperty kz:cooperatesWith ;
    owl:annotatedTarget institution:embassy-of-turkey-in-kazakhstan ;
    kz:axiomStatedIn paragraph:P27 .

paragraph:P27 a kz:Paragraph ; rdfs:label "[P27]"@en ; kz:locator "P27" .
""",
        encoding="utf-8",
    )
    check = CHECKS["statement-shown-with-foreign-source"]
    for engine in _engines(repaired, tmp_path):
        assert run_saved(engine, check).rows == (), engine.name


def _prose_rows(turtle: str, tmp_path: Path) -> dict[str, set[tuple[str, str, str]]]:
    path = tmp_path / "prose.ttl"
    path.write_text(PROSE_PREFIXES + turtle, encoding="utf-8")
    check = CHECKS["prose-mentions-unlinked-entity"]
    return {
        engine.name: {tuple(t.value for t in row) for row in run_saved(engine, check).rows}
        for engine in _engines(path, tmp_path)
    }


PROSE_PREFIXES = """
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix event: <https://w3id.org/kzgraph/resource/event/> .
@prefix institution: <https://w3id.org/kzgraph/resource/institution/> .
@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix paragraph: <https://w3id.org/kzgraph/resource/paragraph/> .
@prefix people: <https://w3id.org/kzgraph/resource/people/> .
@prefix place: <https://w3id.org/kzgraph/resource/place/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
paragraph:P24 a kz:Paragraph ; rdfs:label "[P24]"@en ; kz:locator "P24" .
"""
RESOURCE = "https://w3id.org/kzgraph/resource/"


def test_the_lifted_request_is_not_found(tmp_path: Path) -> None:
    """Fixture 02 with the request as a property: the prose names nothing unlinked."""
    broken = HERE / "checks" / "invalid" / "prose-mentions-unlinked-entity-02.ttl"
    repaired = broken.read_text(encoding="utf-8") + (
        "\nevent:centre-founding kz:requestedBy institution:embassy .\n"
    )
    for rows in _prose_rows(repaired, tmp_path).values():
        assert rows == set(), rows


def test_the_prose_check_reads_whole_names_and_links_through_one_node(tmp_path: Path) -> None:
    """Of four names in one description only the unlinked whole name is found: 'Kazakh' inside
    'Kazakhstan' is no name, 'Turkestan' inside the linked 'East Turkestan' is the fund's, and
    Nakhchivan is where the linked summit met."""
    turtle = """
event:founding a kz:Founding ; rdfs:label "Founding"@en ; kz:statedIn paragraph:P24 ;
    dcterms:description "Kazakhstan's diaspora set up East Turkestan after the Nakhchivan summit, \
in Ankara."@en ;
    kz:institution institution:fund ; kz:subEventOf event:summit .
event:summit a kz:Summit ; rdfs:label "Summit"@en ; kz:statedIn paragraph:P24 ;
    kz:place place:nakhchivan .
institution:fund a kz:Institution ; rdfs:label "East Turkestan Fund"@en ;
    kz:articleSpelling "East Turkestan" ; kz:statedIn paragraph:P24 .
people:kazakh a kz:EthnicGroup ; rdfs:label "Kazakh"@en ; kz:statedIn paragraph:P24 .
place:turkestan a kz:City ; rdfs:label "Turkestan"@en ; kz:statedIn paragraph:P24 .
place:nakhchivan a kz:Region ; rdfs:label "Nakhchivan"@en ; kz:statedIn paragraph:P24 .
place:ankara a kz:City ; rdfs:label "Ankara"@en ; kz:statedIn paragraph:P24 .
"""
    expected = {
        (
            RESOURCE + "event/founding",
            "http://purl.org/dc/terms/description",
            RESOURCE + "place/ankara",
        )
    }
    for name, rows in _prose_rows(turtle, tmp_path).items():
        assert rows == expected, (name, rows)


def test_the_prose_check_links_the_countries_a_linked_migration_passed_through(
    tmp_path: Path,
) -> None:
    """A figure about a migration names a country the migration passed through (kz:via: linked
    through one node) and the country it reached, which nothing links."""
    turtle = """
@prefix figure: <https://w3id.org/kzgraph/resource/figure/> .
@prefix state: <https://w3id.org/kzgraph/resource/state/> .
event:flight a kz:Migration ; rdfs:label "Flight"@en ; kz:statedIn paragraph:P24 ;
    kz:via state:india .
figure:survivors a kz:Observation ; rdfs:label "Survivors"@en ; kz:statedIn paragraph:P24 ;
    dcterms:description "Those who reached Turkey through India."@en ;
    kz:about event:flight .
state:india a kz:SovereignState ; rdfs:label "India"@en ; kz:statedIn paragraph:P24 .
state:turkey a kz:SovereignState ; rdfs:label "Turkey"@en ; kz:statedIn paragraph:P24 .
"""
    expected = {
        (
            RESOURCE + "figure/survivors",
            "http://purl.org/dc/terms/description",
            RESOURCE + "state/turkey",
        )
    }
    for name, rows in _prose_rows(turtle, tmp_path).items():
        assert rows == expected, (name, rows)


def test_the_candidate_without_the_doubtful_word_is_not_found(tmp_path: Path) -> None:
    """The doubtful-reading fixture with the word kept on the conflict only passes."""
    broken = HERE / "checks" / "invalid" / "doubtful-reading-as-name-01.ttl"
    repaired = tmp_path / "repaired.ttl"
    text = broken.read_text(encoding="utf-8")
    assert '    kz:articleSpelling "Turkestan" ;\n' in text
    repaired.write_text(
        text.replace('    kz:articleSpelling "Turkestan" ;\n', ""), encoding="utf-8"
    )
    check = CHECKS["doubtful-reading-as-name"]
    for engine in _engines(repaired, tmp_path):
        assert run_saved(engine, check).rows == (), engine.name


def test_a_place_typed_as_its_description_says_is_not_found(tmp_path: Path) -> None:
    """The microdistrict fixture, described as what it is typed, passes."""
    broken = HERE / "checks" / "invalid" / "place-described-as-another-kind-01.ttl"
    repaired = tmp_path / "repaired.ttl"
    repaired.write_text(
        broken.read_text(encoding="utf-8").replace(
            '"District of Istanbul', '"Microdistrict of Istanbul'
        ),
        encoding="utf-8",
    )
    check = CHECKS["place-described-as-another-kind"]
    for engine in _engines(repaired, tmp_path):
        assert run_saved(engine, check).rows == (), engine.name


def test_the_doubtful_word_of_the_bundled_data_names_only_the_city() -> None:
    """'Turkestan' is the city's name; on the editors' candidate it is only the conflict's
    reading."""
    data = sorted((ROOT / "data").glob("*.ttl"))
    loaded = load_graph([ROOT / "ontology" / "kzgraph.ttl", *data])
    found = NameIndex.from_engine(RdflibEngine(graph=loaded.graph)).resolve("Turkestan")
    resource = "https://w3id.org/kzgraph/resource/"
    assert (found.iri, found.how) == (resource + "place/turkestan", "exact")
    conflict = URIRef(resource + "conflict/turkestan-among-nations")
    kz = "https://w3id.org/kzgraph/ontology#"
    assert set(loaded.graph.objects(conflict, URIRef(kz + "articleReading"))) == {
        RdfLiteral("Turkestan")
    }
    assert set(loaded.graph.objects(conflict, URIRef(kz + "probableReading"))) == {
        URIRef(resource + "state/turkmenistan")
    }
    # no literal of the candidate, names or prose, carries the word (search finds it on the
    # conflict)
    prose = {
        str(o).lower()
        for o in loaded.graph.objects(URIRef(resource + "state/turkmenistan"), None)
        if isinstance(o, RdfLiteral)
    }
    assert prose and not any("turkestan" in text for text in prose)


def test_the_founding_labelled_with_the_name_it_had_then_is_not_found(tmp_path: Path) -> None:
    """name-used-before-renaming (an error check; its fixture finds the defect with the others)
    passes once the founding carries the name the centre had then."""
    path = HERE / "checks" / "invalid" / "name-used-before-renaming-01.ttl"
    check = CHECKS["name-used-before-renaming"]
    assert check.severity == "error"
    relabelled = tmp_path / "relabelled.ttl"
    relabelled.write_text(
        path.read_text(encoding="utf-8").replace(
            '"Founding of the Turkish Ethnocultural Center Akhiska, February 1991"@en',
            '"Founding of the Turkish Ethnocultural Center (later Akhiska), February 1991"@en',
        ),
        encoding="utf-8",
    )
    for engine in _engines(relabelled, tmp_path):
        assert run_saved(engine, check).rows == (), engine.name
