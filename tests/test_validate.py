"""kzgraph.validate: SHACL over the reasoned graph, a dataclass report."""

from __future__ import annotations

from pathlib import Path

from kzgraph.load import load_graph
from kzgraph.project import Project
from kzgraph.reason import reason
from kzgraph.validate import ValidationReport, validate_graph


def run(project: Project, reasoned: bool = True) -> ValidationReport:
    tbox = project.ontology_files() if reasoned else []
    loaded = load_graph(tbox + project.data_files())
    shapes = load_graph(project.shapes_files()).graph
    data = loaded.graph + reason(loaded.graph).inferred if reasoned else loaded.graph
    return validate_graph(data, shapes, loaded.sources)


def test_fixture_data_conforms(fixture_project: Project) -> None:
    report = run(fixture_project)
    assert report.conforms
    assert report.results == ()
    assert report.violations == 0


def test_superclass_constraint_needs_the_reasoned_graph(fixture_project: Project) -> None:
    # sh:class kz:Agent on a tenure holder: the data alone never says a kz:Person is a kz:Agent.
    report = run(fixture_project, reasoned=False)
    assert not report.conforms
    assert {v.component for v in report.results} == {"sh:ClassConstraintComponent"}


def test_scratch_graph_gives_the_same_report_and_keeps_its_triples(
    copied_project: Project,
) -> None:
    (copied_project.data_dir / "broken.ttl").write_text(
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
        "<https://w3id.org/kzgraph/resource/tenure/orphan> a kz:Tenure .\n",
        encoding="utf-8",
    )
    loaded = load_graph(copied_project.ontology_files() + copied_project.data_files())
    shapes = load_graph(copied_project.shapes_files()).graph
    closure = reason(loaded.graph)
    before = set(closure.closed)
    scratch = validate_graph(closure.closed, shapes, loaded.sources, scratch=True)
    assert set(closure.closed) == before
    assert scratch.violations > 0
    assert scratch == validate_graph(loaded.graph + closure.inferred, shapes, loaded.sources)


def test_violation_names_file_label_path_message_and_shape(
    copied_project: Project, tmp_path: Path
) -> None:
    bad = copied_project.data_dir / "broken.ttl"
    bad.write_text(
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/kzgraph/resource/tenure/orphan> a kz:Tenure ;\n"
        '    rdfs:label "An orphan tenure"@en .\n',
        encoding="utf-8",
    )
    report = run(copied_project)
    assert not report.conforms
    assert report.violations == 2
    by_path = {v.path: v for v in report.results}
    holder = by_path["kz:holder"]
    assert holder.focus == "https://w3id.org/kzgraph/resource/tenure/orphan"
    assert holder.focus_label == "An orphan tenure"
    assert holder.file.endswith("broken.ttl")
    assert holder.message == "A tenure needs a holder who is an agent."
    assert holder.severity == "Violation"
    assert holder.source_shape == "kz:TenureShape-holder"
    assert by_path["kz:statedIn"].component == "sh:MinCountConstraintComponent"
