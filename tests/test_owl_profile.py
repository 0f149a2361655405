"""The ontology as the OWL API and HermiT see it: OWL 2 RL and DL profiles, consistency.

owlrl accepts what OWL 2 DL does not (an object property under an annotation property, undeclared
terms, ranges outside the OWL 2 datatype map) and misses a clash HermiT finds (a language-tagged
string is not an xsd:string). So the ontology is checked here by the OWL API 3.4's profile
checkers (``tests/owl/Profile.java``, compiled once per run, one JVM for every document) and by
HermiT through owlready2; both come in owlready2's ``hermit/HermiT.jar`` and run on the system's
Java (``.ci/run`` installs ``default-jdk-headless`` where java or javac is missing). Both read
RDF/XML that rdflib writes from the Turtle (owlready2 cannot read Turtle).

What is checked, and the one exception: ``ontology/kzgraph.ttl`` has no OWL 2 RL and no OWL 2 DL
violation. With the data added, the only violations are OWL 2 RL's for the data's date literals
(xsd:date, xsd:gYearMonth, xsd:gYear: the article's precision, not in the OWL 2 datatype map), so
HermiT reads ontology + data with ``ignore_unsupported_datatypes`` and the ontology alone without.
Each check is shown to fail on an ontology with the defect it looks for.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import owlready2
import pytest
from rdflib import OWL, RDF, Graph

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILE = ROOT / "ontology" / "kzgraph.ttl"
DATA_FILES = sorted((ROOT / "data").glob("*.ttl"))
PROFILE_JAVA = Path(__file__).parent / "owl" / "Profile.java"
HERMIT_JAR = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
PREFIXES = """
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
#: the only violations the data may add: date literals outside the OWL 2 datatype map
DATE_LITERAL = re.compile(
    r"Use of data range not in profile: xsd:(date|gYearMonth|gYear) \[DataPropertyAssertion\("
)
#: one defect of each kind the profile checkers found in ontology 1.0.0, added to today's
#: ontology, and the violation each must give, in the profiles named (the OWL API 3.4's DL
#: checker does not report datatypes outside the OWL 2 datatype map; HermiT refuses them)
DEFECTS = {
    "data-property-under-annotation-property": (
        "kz:title rdfs:subPropertyOf dcterms:title .",
        "Cannot pun between properties:",
        ("RL", "DL"),
    ),
    "range-outside-the-datatype-map": (
        "kz:year rdfs:range xsd:gYear .",
        "Use of data range not in profile: xsd:gYear [DataPropertyRange(",
        ("RL",),
    ),
    "undeclared-class": (
        "kz:Person rdfs:subClassOf <http://example.org/Undeclared> .",
        "Use of undeclared class: <http://example.org/Undeclared>",
        ("RL", "DL"),
    ),
}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: the OWL checks need a JDK "
            "(apt-get install -y default-jdk-headless; .ci/run installs it)"
        )
    return path


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@cache
def ontology_and_data() -> Graph:
    graph = Graph()
    graph += ontology()
    for path in DATA_FILES:
        graph.parse(path, format="turtle")
    return graph


def with_axiom(graph: Graph, turtle: str) -> Graph:
    changed = Graph()
    changed += graph
    return changed.parse(data=PREFIXES + turtle, format="turtle")


def rdfxml(graph: Graph, path: Path) -> Path:
    graph.serialize(path, format="xml")
    return path


@pytest.fixture(scope="module")
def violations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    """(profile, violation) pairs of each document, from one run of the profile checker."""
    java, javac = tool("java"), tool("javac")
    out = tmp_path_factory.mktemp("owl-profile")
    compiled = subprocess.run(
        [javac, "-d", str(out), "-cp", str(HERMIT_JAR), str(PROFILE_JAVA)],
        capture_output=True,
        text=True,
    )
    assert compiled.returncode == 0, compiled.stderr
    documents = {
        "ontology": rdfxml(ontology(), out / "ontology.rdf"),
        "ontology+data": rdfxml(ontology_and_data(), out / "ontology-data.rdf"),
    }
    for name, (turtle, _v, _p) in DEFECTS.items():
        documents[name] = rdfxml(with_axiom(ontology(), turtle), out / f"{name}.rdf")
    run = subprocess.run(
        [java, "-cp", f"{HERMIT_JAR}:{out}", "Profile", *map(str, documents.values())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    found: dict[str, list[tuple[str, str]]] = {name: [] for name in documents}
    names = list(documents)
    for line in run.stdout.splitlines():
        index, profile, text = line.split("\t", 2)
        found[names[int(index)]].append((profile, text))
    return found


def profile_violations(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(profile, text) for profile, text in pairs if profile != "ANNOTATED"]


def annotated_axioms(pairs: list[tuple[str, str]]) -> int:
    (count,) = [int(text) for profile, text in pairs if profile == "ANNOTATED"]
    return count


def listing(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(sorted(f"{profile}: {text}" for profile, text in pairs))


def test_the_ontology_is_inside_owl2_rl_and_owl2_dl(
    violations: dict[str, list[tuple[str, str]]],
) -> None:
    found = profile_violations(violations["ontology"])
    assert not found, f"{len(found)} OWL 2 profile violations:\n{listing(found)}"


def test_with_the_data_only_date_literals_are_outside_owl2_rl(
    violations: dict[str, list[tuple[str, str]]],
) -> None:
    other = [
        (profile, text)
        for profile, text in profile_violations(violations["ontology+data"])
        if profile != "RL" or not DATE_LITERAL.match(text)
    ]
    assert not other, f"{len(other)} OWL 2 profile violations:\n{listing(other)}"


def test_the_owl_api_reads_each_statement_source_as_an_annotated_axiom(
    violations: dict[str, list[tuple[str, str]]],
) -> None:
    """Each owl:Axiom of the data (a statement with its own sources) is one annotated axiom for
    the OWL API: the annotation reached the statement, not a stray individual of owl:Axiom."""
    data = Graph()
    for path in DATA_FILES:
        data.parse(path, format="turtle")
    written = len(set(data.subjects(RDF.type, OWL.Axiom)))
    assert written > 100
    assert annotated_axioms(violations["ontology+data"]) == written
    assert annotated_axioms(violations["ontology"]) == 0


@pytest.mark.parametrize("defect", DEFECTS)
def test_the_profile_check_reports_a_defect_of_ontology_1_0_0(
    violations: dict[str, list[tuple[str, str]]], defect: str
) -> None:
    _turtle, expected, profiles = DEFECTS[defect]
    found = violations[defect]
    reported = {profile for profile, text in found if text.startswith(expected)}
    assert set(profiles) <= reported, f"expected {expected!r} in {profiles}:\n{listing(found)}"


def hermit(graph: Graph, path: Path, *, ignore_unsupported_datatypes: bool) -> None:
    """HermiT's consistency check of ``graph``; raises owlready2's errors when it fails."""
    tool("java")
    world = owlready2.World()
    try:
        world.get_ontology(rdfxml(graph, path).as_uri()).load()
        owlready2.sync_reasoner_hermit(
            world,
            infer_property_values=False,
            debug=0,
            ignore_unsupported_datatypes=ignore_unsupported_datatypes,
        )
    finally:
        world.close()


def test_hermit_reads_the_ontology_without_unsupported_datatypes(tmp_path: Path) -> None:
    hermit(ontology(), tmp_path / "ontology.rdf", ignore_unsupported_datatypes=False)


def test_hermit_refuses_a_range_outside_the_owl2_datatype_map(tmp_path: Path) -> None:
    graph = with_axiom(ontology(), "kz:latestDate rdfs:range xsd:date .")
    with pytest.raises(owlready2.OwlReadyJavaError, match="not part of the OWL 2 datatype map"):
        hermit(graph, tmp_path / "ontology.rdf", ignore_unsupported_datatypes=False)


def test_hermit_finds_the_ontology_and_data_consistent(tmp_path: Path) -> None:
    hermit(ontology_and_data(), tmp_path / "all.rdf", ignore_unsupported_datatypes=True)


def test_hermit_finds_an_english_value_of_an_xsd_string_range_inconsistent(
    tmp_path: Path,
) -> None:
    """Ontology 1.0.0's defect, which owlrl does not report: kz:role's values are "…"@en."""
    graph = with_axiom(ontology_and_data(), "kz:role rdfs:range xsd:string .")
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        hermit(graph, tmp_path / "all.rdf", ignore_unsupported_datatypes=True)
