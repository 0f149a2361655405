"""The fast path (materialize, shacl_fast, fast) gives the reference path's answers.

Reference: owlrl (kzgraph.reason) and pyshacl (kzgraph.validate).  Compared on:
- tiny input/expected graph pairs per OWL RL rule kind (``rdflib.compare.isomorphic``);
- the bundled data (ontology + data/*.ttl) and generated data (benchmarks/generate.py,
  5k triples: owlrl takes ~7 s there): the closure (minus ``reason.is_junk``), the
  SHACL results (focus, path, component, shape, value, severity, message), the rows of
  every saved query;
- refusal of unsupported axioms and shapes, inconsistency and sameAs reporting.
Literals are compared after Oxigraph's canonicalization ("314.0"^^xsd:decimal is
stored as "314"), applied to both sides.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic

from kzgraph.engine import StoreEngine
from kzgraph.errors import InconsistencyError
from kzgraph.fast import build_fast, choose_engine
from kzgraph.load import load_graph
from kzgraph.materialize import (
    UnsupportedAxiomError,
    generate_rules,
    inferred_quads,
    load_store,
    materialize,
    read_tbox,
)
from kzgraph.query import (
    OxigraphEngine,
    load_catalog,
    load_checks,
    run_saved,
    run_saved_within,
    sort_key,
)
from kzgraph.reason import reason
from kzgraph.shacl_fast import (
    UnsupportedShapeError,
    compile_shapes,
    raw_results,
    reference_results,
)

REPO = Path(__file__).parent.parent
ONTOLOGY = REPO / "ontology" / "kzgraph.ttl"
SHAPES = REPO / "ontology" / "shapes.ttl"
VIOLATIONS = Path(__file__).parent / "fixtures" / "scale" / "violations.ttl"
NESTED = Path(__file__).parent / "shapes" / "invalid" / "Summit-ordinal-02.ttl"
sys.path.insert(0, str(REPO / "benchmarks"))

from generate import generate  # noqa: E402

HEAD = """@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def _store_of(text: str) -> ox.Store:
    store = ox.Store()
    store.load((HEAD + text).encode(), format=ox.RdfFormat.TURTLE)
    return store


def _inferred_graph(store: ox.Store) -> Graph:
    """Materialize ``store``; the triples that were not there before, as a graph."""
    asserted = set(store)
    materialize(store)
    data = "".join(
        f"{q.subject} {q.predicate} {q.object} .\n" for q in inferred_quads(store, asserted)
    )
    return Graph().parse(data=data, format="nt")


def _canonical(triples: str) -> set[tuple[str, str, str]]:
    """N-Triples text -> set of (s, p, o) strings in Oxigraph's canonical form."""
    store = ox.Store()
    store.load(triples.encode(), format=ox.RdfFormat.N_TRIPLES)
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in store}


# --------------------------------------------------------------------------- rule kinds

RULE_CASES = {
    "cax-sco": (
        "ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:C . ex:x a ex:A .",
        "ex:x a ex:B , ex:C . ex:A rdfs:subClassOf ex:C .",
    ),
    "cax-eqc": (
        "ex:A owl:equivalentClass ex:B . ex:x a ex:A . ex:y a ex:B .",
        "ex:x a ex:B . ex:y a ex:A . ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:A ."
        " ex:B owl:equivalentClass ex:A .",
    ),
    "prp-spo1": (
        "ex:p rdfs:subPropertyOf ex:q . ex:q rdfs:subPropertyOf ex:r . ex:x ex:p ex:y .",
        "ex:x ex:q ex:y . ex:x ex:r ex:y . ex:p rdfs:subPropertyOf ex:r .",
    ),
    "prp-eqp": (
        "ex:p owl:equivalentProperty ex:q . ex:x ex:p ex:y .",
        "ex:x ex:q ex:y . ex:p rdfs:subPropertyOf ex:q . ex:q rdfs:subPropertyOf ex:p ."
        " ex:q owl:equivalentProperty ex:p .",
    ),
    "prp-inv": (
        'ex:p owl:inverseOf ex:q . ex:x ex:p ex:y . ex:y ex:q ex:z . ex:x ex:p "lit" .',
        "ex:y ex:q ex:x . ex:z ex:p ex:y .",
    ),
    "prp-symp": (
        "ex:p a owl:SymmetricProperty . ex:x ex:p ex:y .",
        "ex:y ex:p ex:x .",
    ),
    "prp-trp": (
        "ex:p a owl:TransitiveProperty . ex:a ex:p ex:b . ex:b ex:p ex:c . ex:c ex:p ex:d .",
        "ex:a ex:p ex:c , ex:d . ex:b ex:p ex:d .",
    ),
    "prp-spo2": (
        "ex:q owl:propertyChainAxiom ( ex:p1 ex:p2 ) . ex:a ex:p1 ex:b . ex:b ex:p2 ex:c .",
        "ex:a ex:q ex:c .",
    ),
    "prp-dom": (
        "ex:p rdfs:domain ex:D . ex:D rdfs:subClassOf ex:E . ex:x ex:p ex:y .",
        "ex:x a ex:D , ex:E . ex:p rdfs:domain ex:E .",
    ),
    "prp-rng": (
        'ex:p rdfs:range ex:R . ex:q rdfs:subPropertyOf ex:p . ex:x ex:q ex:y . ex:x ex:p "l" .',
        "ex:y a ex:R . ex:x ex:p ex:y . ex:q rdfs:range ex:R .",
    ),
    "scm-cls": (
        "ex:A a owl:Class . ex:p rdfs:domain ex:A .",
        "ex:p rdfs:domain owl:Thing .",
    ),
    # iteration 1 composes single-atom rules (super-property of an inverse of a
    # super-property, then symmetry; a domain on an equivalent class) in one pass; owlrl
    # goes on through the junk triple "lit" ex:r ex:x to ex:x ex:s "lit"
    "composed": (
        "ex:p rdfs:subPropertyOf ex:q . ex:q owl:inverseOf ex:r . ex:r rdfs:subPropertyOf ex:s ."
        " ex:s a owl:SymmetricProperty . ex:r rdfs:domain ex:D . ex:D owl:equivalentClass ex:E ."
        ' ex:E rdfs:subClassOf ex:F . ex:x ex:p ex:y . ex:x ex:p "lit" .',
        'ex:x ex:q ex:y , "lit" . ex:x ex:s ex:y , "lit" . ex:y ex:r ex:x . ex:y ex:s ex:x .'
        " ex:y a ex:D , ex:E , ex:F . ex:D rdfs:subClassOf ex:E , ex:F . ex:E rdfs:subClassOf"
        " ex:D . ex:E owl:equivalentClass ex:D . ex:r rdfs:domain ex:E , ex:F .",
    ),
    # what a join derives goes on through the single-atom rules in later iterations
    "join-then-single": (
        "ex:p a owl:TransitiveProperty . ex:p owl:inverseOf ex:q . ex:q rdfs:range ex:R ."
        " ex:R rdfs:subClassOf ex:S . ex:a ex:p ex:b . ex:b ex:p ex:c .",
        "ex:a ex:p ex:c . ex:b ex:q ex:a . ex:c ex:q ex:a , ex:b . ex:a a ex:R , ex:S ."
        " ex:b a ex:R , ex:S . ex:q rdfs:range ex:S .",
    ),
}


@pytest.mark.parametrize("kind", sorted(RULE_CASES))
def test_rule_kind_gives_exactly_the_expected_triples(kind: str) -> None:
    given, expected = RULE_CASES[kind]
    store = _store_of(given)
    got = _inferred_graph(store)
    want = Graph().parse(data=HEAD + expected, format="turtle")
    assert isomorphic(got, want), got.serialize(format="nt")
    # and owlrl (minus its junk) agrees
    closure = reason(Graph().parse(data=HEAD + given, format="turtle"))
    assert isomorphic(closure.inferred, want), closure.inferred.serialize(format="nt")


def test_a_new_axiom_becomes_a_new_rule_without_code() -> None:
    store = _store_of("ex:A rdfs:subClassOf ex:B .")
    before = sum(len(r.axioms) for r in generate_rules(read_tbox(store)))
    store.load((HEAD + "ex:p owl:inverseOf ex:q .").encode(), format=ox.RdfFormat.TURTLE)
    rules = generate_rules(read_tbox(store))
    assert sum(len(r.axioms) for r in rules) == before + 2
    assert any(
        "ex:p> owl:inverseOf" in a or "ex:p owl:inverseOf" in a or "inverseOf" in a
        for r in rules
        for a in r.axioms
    )


def test_iterations_are_counted_until_nothing_is_new() -> None:
    store = _store_of(
        "ex:p a owl:TransitiveProperty . ex:a ex:p ex:b . ex:b ex:p ex:c . ex:c ex:p ex:d ."
        " ex:d ex:p ex:e ."
    )
    result = materialize(store)
    assert result.iterations[-1] == 0
    assert sum(result.iterations) == result.inferred == 6


@pytest.mark.parametrize(
    ("axiom", "named"),
    [
        (
            "ex:A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ex:p ;"
            " owl:someValuesFrom ex:B ] .",
            "owl:someValuesFrom",
        ),
        ("ex:p rdfs:range [ owl:unionOf ( ex:A ex:B ) ] .", "owl:unionOf"),
        ("ex:A owl:equivalentClass [ owl:onProperty ex:p ; owl:hasValue ex:v ] .", "owl:hasValue"),
        ("ex:x owl:sameAs ex:y .", "owl:sameAs"),
        ("ex:A owl:hasKey ( ex:p ) .", "owl:hasKey"),
        # a chain that is not a list (a literal where a list node should be)
        ('ex:p owl:propertyChainAxiom "ex:q ex:r" .', "owl:propertyChainAxiom"),
        ('ex:p owl:propertyChainAxiom [ rdf:first ex:q ; rdf:rest "ex:r" ] .', "propertyChain"),
    ],
)
def test_unsupported_axioms_are_refused_by_name(axiom: str, named: str) -> None:
    store = _store_of(axiom + " ex:x a ex:A .")
    with pytest.raises(UnsupportedAxiomError) as caught:
        materialize(store)
    assert named in str(caught.value)
    assert len(store) == len(_store_of(axiom + " ex:x a ex:A ."))  # untouched


def test_disjoint_classes_are_reported_like_owlrl() -> None:
    text = (REPO / "ontology" / "kzgraph.ttl").read_text(encoding="utf-8")
    bad = """
    <https://w3id.org/kzgraph/resource/person/x> a <https://w3id.org/kzgraph/ontology#Person> ,
        <https://w3id.org/kzgraph/ontology#SovereignState> .
    """
    store = ox.Store()
    store.load((text + bad).encode(), format=ox.RdfFormat.TURTLE)
    with pytest.raises(InconsistencyError) as fast:
        materialize(store)
    assert "https://w3id.org/kzgraph/resource/person/x" in fast.value.nodes
    assert "Polity" in str(fast.value) and "Person" in str(fast.value)
    with pytest.raises(InconsistencyError) as ref:
        reason(Graph().parse(data=text + bad, format="turtle"))
    assert "https://w3id.org/kzgraph/resource/person/x" in str(ref.value.messages)


def test_functional_property_conflicts_are_reported_not_materialized() -> None:
    store = _store_of("ex:holder a owl:FunctionalProperty . ex:t ex:holder ex:a , ex:b .")
    result = materialize(store)
    assert [(r.prop, r.node, r.first, r.second) for r in result.same_as] == [
        (
            "http://example.org/holder",
            "<http://example.org/t>",
            "<http://example.org/a>",
            "<http://example.org/b>",
        )
    ]
    assert not any("sameAs" in str(q.predicate) for q in store)


# --------------------------------------------------------------------------- whole graphs


_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _statement_names(triples: Iterable[tuple[object, object, object]]) -> dict[str, str]:
    """A name for each reified statement's blank node (``_:…`` -> ``<urn:statement:…>``) from
    what it reifies, the same on both paths (each labels blank nodes its own way)."""
    parts: dict[str, dict[str, str]] = {}
    for s, p, o in triples:
        iri = getattr(p, "value", str(p))  # Oxigraph's str() of an IRI has its <>
        name = iri.removeprefix(_RDF)
        if iri.startswith(_RDF) and name in ("subject", "predicate", "object"):
            value = o.value if isinstance(o, ox.Literal | ox.NamedNode) else str(o)  # lexical
            parts.setdefault("_:" + str(s).removeprefix("_:"), {})[name] = value
    return {
        label: f"<urn:statement:{hashlib.sha1(repr(sorted(p.items())).encode()).hexdigest()}>"
        for label, p in parts.items()
    }


def _closures(files: list[Path]) -> tuple[set, set, ox.Store, Graph]:
    store = load_store(files)
    asserted = set(store)
    materialize(store)
    names = _statement_names((q.subject, q.predicate, q.object) for q in asserted)
    fast = {
        tuple(names.get(str(t), str(t)) for t in (q.subject, q.predicate, q.object))
        for q in inferred_quads(store, asserted)
    }
    loaded = load_graph(files)
    closure = reason(loaded.graph)
    names = _statement_names(loaded.graph)
    inferred = Graph()
    for triple in closure.inferred:  # the names before Oxigraph relabels the blank nodes
        inferred.add(
            tuple(URIRef(names["_:" + t][1:-1]) if isinstance(t, BNode) else t for t in triple)
        )
    ref = _canonical(inferred.serialize(format="nt"))
    return fast, ref, store, loaded.graph + closure.inferred


@pytest.fixture(scope="module")
def bundled() -> tuple[set, set, ox.Store, Graph]:
    data = sorted((REPO / "data").glob("*.ttl"))
    assert data, "the bundled data is missing"
    return _closures([ONTOLOGY, *data])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(5000, seed=7, out=tmp_path_factory.mktemp("gen") / "data")


@pytest.fixture(scope="module")
def generated_closures(generated: Path) -> tuple[set, set, ox.Store, Graph]:
    return _closures([ONTOLOGY, *sorted(generated.glob("*.ttl"))])


def test_closure_equals_owlrl_on_the_bundled_data(bundled) -> None:  # type: ignore[no-untyped-def]
    fast, ref, _store, _graph = bundled
    assert fast == ref, (sorted(ref - fast)[:5], sorted(fast - ref)[:5])
    assert len(fast) > 1000


def test_closure_equals_owlrl_on_generated_data(generated_closures) -> None:  # type: ignore[no-untyped-def]
    fast, ref, _store, _graph = generated_closures
    assert fast == ref, (sorted(ref - fast)[:5], sorted(fast - ref)[:5])
    assert len(fast) > 5000


def _key(r):  # type: ignore[no-untyped-def]
    """A result's fields, and (recursively) those of the result it is a detail of."""
    parent = None if r.detail_of is None else _key(r.detail_of)
    return (r.focus, r.path, r.component, r.source_shape, r.value, r.severity, r.messages, parent)


def _keyed(results) -> Counter:  # type: ignore[no-untyped-def]
    return Counter(_key(r) for r in results)


def _shacl_pair(store: ox.Store, reference_graph: Graph) -> tuple[Counter, Counter]:
    shapes = load_graph([SHAPES]).graph
    return _keyed(raw_results(store, shapes)), _keyed(reference_results(reference_graph, shapes))


def test_shacl_verdicts_and_messages_equal_pyshacl_on_the_bundled_data(bundled) -> None:  # type: ignore[no-untyped-def]
    _fast, _ref, store, graph = bundled
    mine, theirs = _shacl_pair(store, graph)
    assert mine == theirs


def test_generated_data_conforms_and_both_validators_agree(generated_closures) -> None:  # type: ignore[no-untyped-def]
    _fast, _ref, store, graph = generated_closures
    mine, theirs = _shacl_pair(store, graph)
    assert mine == theirs == Counter()


def test_shacl_verdicts_equal_pyshacl_on_many_kinds_of_violation(generated: Path) -> None:
    files = [ONTOLOGY, *sorted(generated.glob("*.ttl")), VIOLATIONS]
    store = load_store(files)
    materialize(store)
    graph = Graph().parse(
        data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()),
        format="nt",
    )
    mine, theirs = _shacl_pair(store, graph)
    assert mine == theirs
    components = {key[2].rsplit("#", 1)[1] for key in mine}
    assert len(mine) >= 40 and len(components) >= 15, components
    assert all(key[6] for key in mine)  # every result carries the shape's sh:message


def test_nested_results_are_details_as_in_pyshacl() -> None:
    """kz:ordinal "9": one violation (sh:node), explained by two sh:detail results (the
    shape kzsh:PositiveInteger's sh:or and sh:minInclusive), as pyshacl reports it."""
    from kzgraph.shacl_fast import validate_store
    from kzgraph.validate import validate_graph

    store = load_store([ONTOLOGY, NESTED])
    materialize(store)
    graph = Graph().parse(
        data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()),
        format="nt",
    )
    shapes = load_graph([SHAPES]).graph
    raw = raw_results(store, shapes)
    assert _keyed(raw) == _keyed(reference_results(graph, shapes))
    assert [r.detail_of is None for r in raw].count(True) == 1 and len(raw) == 3
    fast = validate_store(store, shapes)
    assert fast == validate_graph(graph, shapes)
    assert fast.violations == 1 and len(fast.results) == 1
    (result,) = fast.results
    assert result.component == "sh:NodeConstraintComponent" and result.value == '"9"'
    assert {d.component for d in result.details} == {
        "sh:OrConstraintComponent",
        "sh:MinInclusiveConstraintComponent",
    }
    assert {(d.focus, d.focus_label, d.file) for d in result.details} == {('"9"', "9", "")}


def test_unsupported_shapes_are_refused() -> None:
    shapes = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true .""",
        format="turtle",
    )
    with pytest.raises(UnsupportedShapeError, match="sh:closed"):
        compile_shapes(shapes)


def _rows(engine, query) -> list:  # type: ignore[no-untyped-def]
    given = [(p.name, p.example) for p in query.params if p.default is None and p.example]
    result = run_saved(engine, query, given)
    return sorted(result.rows, key=lambda row: [sort_key(t) for t in row])


def test_every_saved_query_returns_the_same_rows_on_both_closures(bundled, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _fast, _ref, store, graph = bundled
    nt = tmp_path / "reference.nt"
    graph.serialize(nt, format="nt", encoding="utf-8")
    reference = OxigraphEngine([nt])
    fast = StoreEngine(store)
    catalog = load_catalog(REPO / "queries")
    assert catalog, "the saved queries are missing"
    nonempty = 0
    for name, query in sorted(catalog.items()):
        want = _rows(reference, query)
        assert _rows(fast, query) == want, name
        nonempty += bool(want)
    assert nonempty >= len(catalog) // 2


def test_generator_is_deterministic_and_near_the_requested_size(tmp_path: Path) -> None:
    a = generate(3000, seed=3, out=tmp_path / "a")
    b = generate(3000, seed=3, out=tmp_path / "b")
    c = generate(3000, seed=4, out=tmp_path / "c")
    files = sorted(p.name for p in a.glob("*.ttl"))
    assert files == sorted(p.name for p in b.glob("*.ttl"))
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert any((a / f).read_bytes() != (c / f).read_bytes() for f in files)
    triples = len(load_store(sorted(a.glob("*.ttl"))))
    assert 3000 <= triples <= 3300


def test_build_fast_and_engine_choice(generated: Path) -> None:
    files = [ONTOLOGY, *sorted(generated.glob("*.ttl"))]
    built = build_fast(files, [SHAPES])
    assert built.report.conforms and built.shacl_engine == "sparql"
    assert set(built.seconds) == {"parse", "canonical", "reason", "validate"}
    assert choose_engine(files) == "reference"
    assert choose_engine(files, "fast") == "fast"


def test_the_work_after_reasoning_runs_beside_validation(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``after_reason`` (the cache's inferred file) and validation run at the same time:
    the callback waits for validation to have started, and would time out if it ran
    first. It sees the whole closure."""
    import threading

    import kzgraph.shacl_fast

    files = [ONTOLOGY, *sorted(generated.glob("*.ttl"))]
    validating = threading.Event()
    real = kzgraph.shacl_fast.validate_store

    def validate_store(*args, **kwargs):  # type: ignore[no-untyped-def]
        validating.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(kzgraph.shacl_fast, "validate_store", validate_store)
    seen: list[int] = []

    def after_reason(store: ox.Store) -> None:
        assert validating.wait(timeout=60), "validation did not start beside the callback"
        seen.append(len(store))

    built = build_fast(files, [SHAPES], after_reason=after_reason)
    assert built.report.conforms
    assert seen == [len(built.store)] and built.materialization.inferred > 0


def test_an_error_after_reasoning_comes_before_validations(generated: Path) -> None:
    """The cache's error is the build's error, as when it ran before validation, even when
    validation fails too (an unsupported shape, with no fallback)."""
    from kzgraph.errors import CacheError

    files = [ONTOLOGY, *sorted(generated.glob("*.ttl"))]
    closed = Path(generated.parent / "closed-shapes.ttl")
    closed.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true .\n",
        encoding="utf-8",
    )

    def after_reason(_store: ox.Store) -> None:
        raise CacheError("cannot write inferred.nt: disk full")

    with pytest.raises(UnsupportedShapeError):  # validation alone
        build_fast(files, [closed], fallback=False)
    with pytest.raises(CacheError, match="disk full"):
        build_fast(files, [closed], fallback=False, after_reason=after_reason)
    with pytest.raises(CacheError, match="disk full"):  # validation passes
        build_fast(files, [SHAPES], after_reason=after_reason)


def test_fast_cache_entry_is_reopened_and_answers_like_the_reference(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from kzgraph import store
    from kzgraph.cli import cli
    from kzgraph.project import Project
    from kzgraph.query import open_engine
    from kzgraph.search import open_index

    assert sorted((REPO / "data").glob("*.ttl")), "the bundled data is missing"
    project = Project(REPO / "data", REPO / "ontology", REPO / "queries")
    monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / "fast"))
    fast = store.build(project, engine="fast")
    assert fast.entry.meta["engine"] == "fast" and (fast.entry.path / "store").is_dir()
    monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / "reference"))
    ref = store.build(project, engine="reference")
    assert fast.entry.meta["validation"] == ref.entry.meta["validation"]
    assert fast.entry.inferred_count == ref.entry.inferred_count
    # the same files, and the store (loaded leniently by the build's child) holds the
    # triples of the N-Triples files (87 bundled literals are written otherwise: the
    # store holds its own forms of them, as it does when it reads the files); the same
    # search index (both paths' files give it, whatever the order of their lines)
    assert sorted(p.name for p in fast.entry.path.iterdir()) == sorted(
        [*(p.name for p in ref.entry.path.iterdir()), "store"]
    )
    on_disk = ox.Store.read_only(str(fast.entry.path / "store"))
    from_files = ox.Store()
    for path in (fast.entry.asserted_path, fast.entry.inferred_path):
        from_files.extend(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))
    assert len(on_disk) == len(from_files) > 9000
    assert set(on_disk) == set(from_files)
    del on_disk
    fast_index, ref_index = open_index(fast.entry.path), open_index(ref.entry.path)
    for table in ("literal", "resource", "type", "term"):
        rows = fast_index._all(f"SELECT * FROM {table}")
        assert rows and rows == ref_index._all(f"SELECT * FROM {table}"), table
    fast_engine = open_engine(fast.entry)
    assert isinstance(fast_engine, StoreEngine)
    ref_engine = open_engine(ref.entry)
    for name in ("timeline", "events-in-place", "documents-signed-by"):
        query = load_catalog(REPO / "queries")[name]
        assert _rows(fast_engine, query) == _rows(ref_engine, query), name
    # the checks as kzgraph check runs them: each in a child process, which opens the on-disk
    # store again (and the in-memory graph is the child's copy)
    for check in load_checks(REPO / "queries"):
        within = run_saved_within(fast_engine, check, 120)
        assert within is not None, check.name
        assert sorted(within.rows, key=lambda row: [sort_key(t) for t in row]) == _rows(
            ref_engine, check
        ), check.name
        forked, here = run_saved_within(ref_engine, check, 120), run_saved(ref_engine, check)
        assert forked is not None and forked.rows == here.rows, check.name
    # a check of one's own that calls the search functions: the child answers them too
    (tmp_path / "own" / "checks").mkdir(parents=True)
    (tmp_path / "own" / "checks" / "visits-to-turkestan.rq").write_text(
        "#+ title: Visits the search finds for Turkestan\n#+ severity: warning\n#+ fix: none\n"
        "PREFIX kz: <https://w3id.org/kzgraph/ontology#>\n"
        "PREFIX kzf: <https://w3id.org/kzgraph/function#>\n"
        "SELECT ?entity ?property ?value WHERE { ?entity a kz:OfficialVisit "
        'BIND(kzf:score(?entity, "turkestan") AS ?value) FILTER(BOUND(?value)) '
        "BIND(kz:OfficialVisit AS ?property) }\n",
        encoding="utf-8",
    )
    (own,) = load_checks(tmp_path / "own")
    forked, here = run_saved_within(fast_engine, own, 120), run_saved(fast_engine, own)
    assert here.rows and forked is not None and forked.rows == here.rows
    # the CLI: --engine on build, and a second build finds the entry
    monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / "cli"))
    args = ["--data", str(project.data_dir), "--ontology", str(project.ontology_dir)]
    first = CliRunner().invoke(cli, [*args, "build", "--engine", "fast"])
    assert first.exit_code in (0, 1), first.output
    assert "fast path" in first.stderr
    again = CliRunner().invoke(cli, [*args, "build"])
    assert "cache up to date" in again.stderr


def test_fast_builds_are_byte_identical_and_label_blank_nodes_as_the_reference(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Oxigraph labels parsed blank nodes at random; the fast path relabels them
    canonically, so two builds write the same bytes and export the same graph."""
    from click.testing import CliRunner

    from kzgraph import store
    from kzgraph.cli import cli
    from kzgraph.project import Project

    project = Project(REPO / "data", REPO / "ontology", REPO / "queries")
    args = ["--data", str(project.data_dir), "--ontology", str(project.ontology_dir)]
    files: dict[str, dict[str, bytes]] = {}
    for name in ("first", "second", "reference"):
        monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / name))
        built = store.build(project, engine="reference" if name == "reference" else "fast")
        exported = CliRunner().invoke(cli, [*args, "export", "-f", "nq", "--inferred"])
        assert exported.exit_code == 0, exported.output
        files[name] = {
            "asserted": built.entry.asserted_path.read_bytes(),
            "inferred": built.entry.inferred_path.read_bytes(),
            "export": exported.stdout_bytes,
        }
    first, second, reference = files["first"], files["second"], files["reference"]
    assert first == second
    # the ontology's property chains are blank-node lists: labelled as the reference does
    blank = {line for line in first["asserted"].splitlines() if b"_:" in line}
    assert len(blank) >= 10
    assert blank == {line for line in reference["asserted"].splitlines() if b"_:" in line}
    # the export writes them as skolem IRIs (RDF 1.1), the same on every build
    assert b"_:" not in first["export"] and b"<https://w3id.org/kzgraph/genid/" in first["export"]
    # the entry's counts are its files' lines, and no line is both asserted and inferred
    asserted, inferred = first["asserted"].splitlines(), first["inferred"].splitlines()
    assert len(set(asserted)) == len(asserted) == len(reference["asserted"].splitlines())
    assert len(set(inferred)) == len(inferred) == len(reference["inferred"].splitlines())
    assert not set(asserted) & set(inferred)


def test_long_blank_node_lists_get_the_same_labels_on_every_build_and_both_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Above 200 blank-node triples rdflib's canonicalization is out (about cubic in a
    list): trees of blank nodes are labelled by kzgraph, anything else (here a ring) by
    Oxigraph.  The labels are the same on every build and on both paths, the list keeps
    its order, and identical siblings stay apart."""
    from rdflib import URIRef
    from rdflib.collection import Collection

    from kzgraph import store
    from kzgraph.project import Project

    data = tmp_path / "data"
    data.mkdir()
    items = " ".join(str(i) for i in range(1000))
    (data / "lists.ttl").write_text(
        "# A long list and two identical blank nodes.\n"
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
        f"<urn:x:a> kz:citation ( {items} ) .\n"
        '<urn:x:b> kz:note [ kz:text "same" ] , [ kz:text "same" ] .\n'
        + "".join(f"_:r{i} <urn:x:next> _:r{(i + 1) % 300} .\n" for i in range(300)),
        encoding="utf-8",
    )
    project = Project(data, REPO / "ontology", REPO / "queries")
    files = []
    for name in ("first", "second", "reference"):
        monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / name))
        engine = "reference" if name == "reference" else "fast"
        files.append(store.build(project, engine=engine).entry.asserted_path.read_bytes())
    assert files[0] == files[1]
    assert set(files[0].splitlines()) == set(files[2].splitlines())
    ring = [line for line in files[0].splitlines() if b"<urn:x:next>" in line]
    assert len(ring) == 300 and len({line.split()[0] for line in ring}) == 300
    graph = Graph().parse(data=files[0].decode("utf-8"), format="nt")
    cite = URIRef("https://w3id.org/kzgraph/ontology#citation")
    head = graph.value(URIRef("urn:x:a"), cite)
    assert [int(i) for i in Collection(graph, head)] == list(range(1000))
    notes = list(graph.objects(URIRef("urn:x:b"), URIRef("https://w3id.org/kzgraph/ontology#note")))
    assert len(set(notes)) == 2


BAD_FILES = {
    "undefined-prefix": (
        "people.ttl",
        "# One person, with a prefix nobody declared.\n"
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
        "<https://w3id.org/kzgraph/resource/person/x> a kz:Person ;\n"
        "    foo:bar 1 .\n",
        "people.ttl:4:5: undefined prefix 'foo:' (add an @prefix line)",
    ),
    "ill-typed-date": (
        "events.ttl",
        "# One event on a day that does not exist.\n"
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "<https://w3id.org/kzgraph/resource/event/x> a kz:Event ;\n"
        '    kz:date "1994-02-30"^^xsd:date .\n',
        'events.ttl:5:13: ill-typed literal "1994-02-30"^^xsd:date: not a valid xsd:date value',
    ),
}


@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_data_is_the_same_one_line_error_with_its_position_on_both_paths(
    case: str, engine: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from kzgraph.cli import cli

    name, text, expected = BAD_FILES[case]
    data = tmp_path / "data"
    data.mkdir()
    (data / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, ["--data", str(data), "build", "--engine", engine])
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(expected)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").glob("*/meta.json"))


@pytest.mark.parametrize(
    ("lexical", "datatype", "bad"),
    [
        ("1994-10-17", "date", False),
        ("1994-02-30", "date", True),
        ("1994-13", "gYearMonth", True),
        ("1994-10", "gYearMonth", False),
        ("1994", "gYear", False),
        ("abc", "integer", True),
        ("0", "positiveInteger", True),
        ("104792.0", "decimal", False),
        ("anything", "string", False),
    ],
)
def test_ill_typed_lexical_forms(lexical: str, datatype: str, bad: bool) -> None:
    from kzgraph.load import is_ill_typed

    assert is_ill_typed(lexical, "http://www.w3.org/2001/XMLSchema#" + datatype) is bad


@pytest.mark.parametrize(
    "content",
    [
        b"@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n<urn:x> a kz:Person ;\n    kz:role",
        b'@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n<urn:x> kz:role "caf\xe9" .\n',
        b"@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n<urn:x> a kz:Person .\n\x00\x01",
    ],
    ids=["unexpected-end", "not-utf8", "binary"],
)
def test_broken_files_get_the_same_error_on_both_paths(
    content: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from kzgraph.cli import cli

    data = tmp_path / "data"
    data.mkdir()
    (data / "broken.ttl").write_bytes(b"# A broken file.\n" + content)
    errors = {}
    for engine in ("reference", "fast"):
        monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / engine))
        result = CliRunner().invoke(cli, ["--data", str(data), "build", "--engine", engine])
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and "broken.ttl:" in result.stderr
        errors[engine] = result.stderr
    assert errors["fast"] == errors["reference"]


XSD_NS = "http://www.w3.org/2001/XMLSchema#"


def _stored(lexical: str, datatype: str) -> tuple[str, str]:
    store = ox.Store()
    literal = ox.Literal(lexical, datatype=ox.NamedNode(XSD_NS + datatype))
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), literal))
    (quad,) = store
    return quad.object.value, quad.object.datatype.value.removeprefix(XSD_NS)


def test_forms_the_scan_takes_as_kept_are_kept_by_the_store() -> None:
    """kzgraph.fast._CANONICAL: a literal it matches is not checked against a scratch
    store, because Oxigraph stores it unchanged; anything else is checked."""
    from kzgraph.fast import _CANONICAL

    kept = [("integer", str(i)) for i in range(-30, 3000, 7)]
    kept += [("decimal", f"{i}.{j}") for i in (-2, 0, 7, 1800) for j in ("5", "25", "05", "125")]
    kept += [("boolean", "true"), ("boolean", "false"), ("string", " a\\n b ")]
    kept += [
        ("date", f"{y}-{m:02d}-{d:02d}")
        for y in (1000, 1991, 2020)
        for m in (1, 12)
        for d in (1, 28, 31)
    ]
    kept += [("gYearMonth", "1992-10"), ("gYear", "2009"), ("gYear", "1000")]
    for datatype, lexical in kept:
        assert _CANONICAL[XSD_NS + datatype].fullmatch(lexical), (datatype, lexical)
        assert _stored(lexical, datatype) == (lexical, datatype), (datatype, lexical)
    changed = [
        ("integer", "01"), ("integer", "+5"), ("integer", "-0"), ("decimal", "100.0"),
        ("decimal", "+7"), ("decimal", "1.50"), ("boolean", "1"), ("date", "2009-01-01Z"),
        ("gYear", "0999"),
    ]  # fmt: skip
    for datatype, lexical in changed:
        assert not _CANONICAL[XSD_NS + datatype].fullmatch(lexical), (datatype, lexical)
    assert _stored("9", "positiveInteger") == ("9", "integer")  # why every other type is checked


# --------------------------------------------------------------------------- accepted input


def test_fast_path_reads_past_a_byte_order_mark_and_accepts_empty_files(tmp_path: Path) -> None:
    from kzgraph.fast import scan_files

    bom = tmp_path / "bom.ttl"
    bom.write_bytes(b"\xef\xbb\xbf@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\n")
    empty = tmp_path / "empty.ttl"
    empty.write_bytes(b"# nothing but a comment\n")
    store = load_store([bom, empty])
    assert [str(q.subject) for q in store] == ["<http://example.org/a>"]
    scan = scan_files([bom, empty])
    assert scan.sources == {"http://example.org/a": (str(bom),)}
    assert scan.warnings == (
        f"{bom}: starts with a UTF-8 byte-order mark (BOM); read without it",
        f"{empty}: no triples in this file (only whitespace and comments); nothing loaded from it",
    )
    assert scan.warnings == load_graph([bom, empty]).warnings  # as the reference path says


@pytest.mark.parametrize("order", ["as dumped", "out of order"])
def test_the_streamed_inferred_file_is_the_closure_minus_the_asserted_lines(
    order: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``write_inferred`` (line by line, from files) writes what ``inferred_ntriples``
    (in memory) computes, blank-node lines included, and hands ``restore`` whole lines;
    asserted lines out of the dump's order (left over after the walk, and not only
    blank-node lines) are taken out too."""
    from kzgraph import fast
    from kzgraph.fast import canonical_blank_nodes, inferred_ntriples, write_inferred

    monkeypatch.setattr(fast, "INFERRED_BLOCK", 40)  # a line or two at a time
    store = _store_of(
        """ex:p owl:inverseOf ex:q . ex:q rdfs:domain ex:C . ex:C rdfs:subClassOf ex:D .
        ex:a ex:p ex:b . ex:b ex:r [ ex:p ex:c ; ex:s ( ex:d ex:e ) ] .
        ex:e rdfs:label "e" ."""
    )
    asserted = canonical_blank_nodes(store)
    if order == "out of order":
        asserted = b"".join(reversed(asserted.splitlines(keepends=True)))
    materialize(store)
    expected = inferred_ntriples(store, asserted)
    assert expected.count(b"\n") >= 4 and b"_:" in expected
    (tmp_path / "asserted.nt").write_bytes(asserted)
    blocks: list[bytes] = []

    def restore(block: bytes) -> bytes:
        blocks.append(block)
        return block.replace(b"<http://example.org/D>", b"<http://example.org/Restored>")

    write_inferred(store, tmp_path / "asserted.nt", tmp_path / "inferred.nt", restore=restore)
    assert blocks and all(block.endswith(b"\n") for block in blocks)
    written = (tmp_path / "inferred.nt").read_bytes()
    assert written == expected.replace(b"<http://example.org/D>", b"<http://example.org/Restored>")
    assert b"Restored" in written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asserted.nt", "inferred.nt"]
