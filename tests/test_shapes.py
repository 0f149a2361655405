"""ontology/shapes.ttl: valid fixtures conform, each invalid fixture breaks exactly its rule.

The shapes are run as the project runs them: pyshacl with ``inference='none'`` on the OWL RL
closure (owlrl) of ontology + data.  Every invalid fixture ``tests/shapes/invalid/<shape>-NN.ttl``
starts with two comment lines::

    # Invalid: why the graph is wrong
    # Expect: kzsh:Tenure-holder | needs exactly one kz:holder

and must yield exactly one violation -- one (focus node, source shape) pair -- whose source
shape is the expected one and whose message contains the fragment.  (A single rule may be
reported by several constraint components of the same shape on the same node, e.g. a plain
label breaks both sh:datatype and sh:languageIn of kzsh:Labelled-label: one violation.)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import owlrl
import pyshacl
import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

HERE = Path(__file__).parent
REPO = HERE.parent
ONTOLOGY = REPO / "ontology" / "kzgraph.ttl"
SHAPES = REPO / "ontology" / "shapes.ttl"
DATA = REPO / "data"
VALID = sorted((HERE / "shapes" / "valid").glob("*.ttl"))
INVALID = sorted((HERE / "shapes" / "invalid").glob("*.ttl"))

SH = Namespace("http://www.w3.org/ns/shacl#")
KZ = Namespace("https://w3id.org/kzgraph/ontology#")
KZSH = Namespace("https://w3id.org/kzgraph/shapes#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")

#: SHACL Core constraint parameters (sh:property and sh:node/sh:and/... operands excluded
#: from "needs a message" only in that sh:property is a link, not a check of its own).
CONSTRAINT_PARAMETERS = {
    SH[name]
    for name in (
        "class datatype nodeKind minCount maxCount minExclusive minInclusive maxExclusive "
        "maxInclusive minLength maxLength pattern languageIn uniqueLang equals disjoint "
        "lessThan lessThanOrEquals not and or xone node qualifiedValueShape closed hasValue in"
    ).split()
}


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


@cache
def shapes() -> Graph:
    return Graph().parse(SHAPES)


def closure(*data_files: Path) -> Graph:
    """ontology + data, closed under OWL 2 RL on a fresh graph (never the cached ontology)."""
    graph = Graph()
    graph += ontology()
    for path in data_files:
        graph.parse(path, format="turtle")
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return graph


def violations(graph: Graph) -> list[tuple[URIRef, URIRef, str, URIRef]]:
    """(focus, source shape, message, component) of every result, sorted."""
    _conforms, report, _text = pyshacl.validate(
        graph, shacl_graph=shapes(), inference="none", ont_graph=None, inplace=True
    )
    found = []
    # top-level results only: pyshacl also nests the operand shapes' results under sh:detail
    for result in report.objects(None, SH.result):
        found.append(
            (
                report.value(result, SH.focusNode),
                report.value(result, SH.sourceShape),
                " ".join(str(m) for m in report.objects(result, SH.resultMessage)),
                report.value(result, SH.sourceConstraintComponent),
            )
        )
    return sorted(found)


def expectation(path: Path) -> tuple[URIRef, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Invalid: "), f"{path.name}: first line must be '# Invalid: why'"
    assert lines[1].startswith("# Expect: "), f"{path.name}: second line must be '# Expect: …'"
    shape, _, fragment = lines[1].removeprefix("# Expect: ").partition(" | ")
    assert shape.startswith("kzsh:") and fragment.strip(), f"{path.name}: bad Expect line"
    return KZSH[shape.removeprefix("kzsh:").strip()], fragment.strip()


def test_there_are_fixtures() -> None:
    assert len(VALID) >= 4
    assert len(INVALID) >= 20


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixture_conforms(path: Path) -> None:
    found = violations(closure(path))
    assert found == [], "\n".join(f"{f} {s}: {m}" for f, s, m, _ in found)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_fixture_breaks_exactly_its_rule(path: Path) -> None:
    shape, fragment = expectation(path)
    assert path.stem.rsplit("-", 1)[0] == shape.removeprefix(str(KZSH)), (
        f"{path.name} must be named after the shape it breaks ({shape})"
    )
    assert (shape, RDF.type, None) in shapes(), f"{shape} is not in shapes.ttl"
    found = violations(closure(path))
    pairs = {(focus, source) for focus, source, _, _ in found}
    assert len(pairs) == 1, "expected one violation, got:\n" + "\n".join(
        f"{f} {s}: {m}" for f, s, m, _ in found
    )
    ((_focus, source),) = pairs
    assert source == shape
    assert all(fragment in message for _, _, message, _ in found), found


def _operands(graph: Graph) -> set:
    """Shapes used only as operands (of sh:or/sh:and/sh:xone lists, sh:not, sh:node,
    sh:qualifiedValueShape): their results are reported under the shape that uses them."""
    out = set()
    for listp in (SH["or"], SH["and"], SH.xone):
        for head in graph.objects(None, listp):
            out.update(Collection(graph, head))
    for p in (SH["not"], SH.node, SH.qualifiedValueShape):
        out.update(graph.objects(None, p))
    return out


def test_every_constraint_has_an_english_message() -> None:
    graph = shapes()
    constrained = {s for s, p, _ in graph if p in CONSTRAINT_PARAMETERS}
    assert len(constrained) > 50
    missing = sorted(str(s) for s in constrained if (s, SH.message, None) not in graph)
    assert missing == []
    for shape in constrained:
        for message in graph.objects(shape, SH.message):
            assert isinstance(message, Literal) and message.language == "en", shape
            assert len(str(message)) >= 10, shape


def test_shapes_have_stable_iris_and_stay_in_shacl_core() -> None:
    graph = shapes()
    shape_nodes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(
        graph.subjects(RDF.type, SH.PropertyShape)
    )
    used = set(graph.objects(None, SH.property)) | _operands(graph)
    for node in shape_nodes | used:
        assert isinstance(node, URIRef) and str(node).startswith(str(KZSH)), node
    assert used <= shape_nodes, used - shape_nodes
    sparql = {SH.sparql, SH.select, SH.ask, SH.SPARQLConstraint, SH.target}
    assert not any(p in sparql or o in sparql for _, p, o in graph)


def test_shapes_cover_every_instantiated_class_of_the_fixtures_and_the_ontology() -> None:
    """Every class the brief lists has a targeting shape (directly or through a superclass)."""
    targeted = set(shapes().objects(None, SH.targetClass))
    for cls in (
        KZ.Polity, KZ.SovereignState, KZ.UnionRepublic, KZ.FederalUnion, KZ.Place, KZ.City,
        KZ.Region, KZ.District, KZ.Site, KZ.Person, KZ.EthnicGroup, KZ.Office, KZ.Tenure,
        KZ.Event, KZ.Visit, KZ.OfficialVisit, KZ.Summit, KZ.Election, KZ.Recognition,
        KZ.Founding, KZ.Opening, KZ.Renaming, KZ.Migration, KZ.Document, KZ.Signature,
        KZ.Institution, KZ.Diaspora, KZ.Observation, KZ.Article, KZ.Paragraph, KZ.CitedWork,
        KZ.Conflict, KZ.EventSeries, SKOS.Concept,
    ):  # fmt: skip
        assert _covered(cls, targeted), cls


def _covered(cls: URIRef, targeted: set) -> bool:
    onto = ontology()
    return any(c in targeted for c in onto.transitive_objects(cls, RDFS.subClassOf))


def _data_files() -> list[Path]:
    return sorted(DATA.glob("*.ttl"))


def test_every_class_with_instances_in_data_has_a_shape() -> None:
    targeted = set(shapes().objects(None, SH.targetClass))
    data = Graph()
    for path in _data_files():
        data.parse(path, format="turtle")
    classes = {o for o in data.objects(None, RDF.type) if isinstance(o, URIRef)}
    assert classes
    uncovered = sorted(str(c) for c in classes if not _covered(c, targeted))
    assert uncovered == []


@pytest.fixture(scope="module")
def data_closure() -> Graph:
    return closure(*_data_files())


def test_the_data_conforms(data_closure: Graph) -> None:
    found = violations(data_closure)
    assert found == [], f"{len(found)} violations:\n" + "\n".join(
        f"{f} {s}: {m}" for f, s, m, _ in found
    )


def test_an_impossible_date_is_ill_typed_in_rdflib() -> None:
    """kzsh:DateForms-date relies on rdflib marking 1994-02-30 ill-typed (sh:datatype fails)."""
    from rdflib import XSD

    assert Literal("1994-02-30", datatype=XSD.date).ill_typed
    assert not Literal("1994-02-28", datatype=XSD.date).ill_typed
