"""kzgraph.validate: SHACL over the reasoned graph, a dataclass report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import project_args
from kzgraph.cli import cli
from kzgraph.load import load_graph
from kzgraph.project import Project
from kzgraph.reason import reason
from kzgraph.render import render_validation, validation_turtle
from kzgraph.validate import ValidationReport, validate_graph

REPO = Path(__file__).parent.parent
#: kz:ordinal "9" (a string): one sh:node violation, two nested sh:detail results
NESTED = Path(__file__).parent / "shapes" / "invalid" / "Summit-ordinal-02.ttl"


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


@pytest.fixture
def nested_project(tmp_path: Path) -> Project:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(NESTED, data / NESTED.name)
    return Project(data, REPO / "ontology", REPO / "queries")


def test_nested_results_are_details_of_one_violation(nested_project: Project) -> None:
    """SHACL (Jena, pyshacl's own sh:result list) counts one result; the sh:detail
    results that say why "9" fails kzsh:PositiveInteger are listed under it."""
    report = run(nested_project)
    assert report.violations == 1 and dict(report.severity_counts) == {"Violation": 1}
    (result,) = report.results
    assert result.file.endswith(NESTED.name) and result.value == '"9"'
    assert result.source_shape == "kzsh:Summit-ordinal"
    assert [(d.focus, d.focus_label, d.file, d.component) for d in result.details] == [
        ('"9"', "9", "", "sh:MinInclusiveConstraintComponent"),
        ('"9"', "9", "", "sh:OrConstraintComponent"),
    ]
    text = render_validation(report, "text").splitlines()
    assert len(text) == 3 and text[0].startswith(result.file + ": violation: ")
    assert all(line.startswith('    detail: "9" The value must be') for line in text[1:])
    assert "(unknown file)" not in "\n".join(text) and "9 <9>" not in "\n".join(text)
    doc = json.loads(render_validation(report, "json"))
    assert doc["counts"] == {"Violation": 1} and len(doc["results"]) == 1
    assert len(doc["results"][0]["details"]) == 2
    turtle = validation_turtle(report)
    assert turtle.count("sh:result ") == 1 and turtle.count("sh:detail ") == 2


def test_validate_command_and_cache_count_top_level_results(nested_project: Project) -> None:
    from kzgraph.store import build

    result = CliRunner().invoke(cli, [*project_args(nested_project), "validate"])
    assert result.exit_code == 1
    assert "does not conform: 1 violations, 0 warnings" in result.stderr
    assert len([line for line in result.stdout.splitlines() if not line.startswith(" ")]) == 1
    for engine in ("reference", "fast"):
        built = build(nested_project, force=True, engine=engine)
        assert built.entry.meta["validation"]["violations"] == 1, engine
        assert built.report is not None and len(built.report.results[0].details) == 2, engine
