"""The kzgraph CLI through CliRunner: every command, format and error path."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import project_args
from kzgraph import __version__
from kzgraph.cli import cli
from kzgraph.project import Project

KZR = "https://w3id.org/kzgraph/resource/"


def invoke(runner: CliRunner, args: list[str], **kwargs):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, args, catch_exceptions=False, **kwargs)


# --------------------------------------------------------------------------- group


def test_help_and_version(runner: CliRunner) -> None:
    result = invoke(runner, ["-h"])
    assert result.exit_code == 0
    assert "every answer traced to [P#]" in " ".join(result.stdout.split())
    for command in (
        "build",
        "validate",
        "check",
        "queries",
        "query",
        "sparql",
        "export",
        "describe",
        "stats",
    ):
        assert f"  {command} " in result.stdout
    version = invoke(runner, ["--version"])
    assert version.stdout == f"kzgraph, version {__version__}\n"


@pytest.mark.parametrize(
    "command",
    ["build", "validate", "check", "queries", "query", "sparql", "export", "describe", "stats"],
)
def test_every_command_has_summary_and_examples(runner: CliRunner, command: str) -> None:
    result = invoke(runner, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert f"kzgraph {command}" in result.stdout or command == "build"


# --------------------------------------------------------------------------- build


def test_build_reports_counts_on_stderr(
    runner: CliRunner, copied_project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / "private-cache"))
    result = invoke(runner, [*project_args(copied_project), "build"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "cache built: 110 triples asserted, 21 inferred" in result.stderr
    again = invoke(runner, [*project_args(copied_project), "build"])
    assert "cache up to date" in again.stderr
    forced = invoke(runner, [*project_args(copied_project), "build", "--force"])
    assert "cache built" in forced.stderr


def test_build_with_violations_exits_1(runner: CliRunner, copied_project: Project) -> None:
    (copied_project.data_dir / "bad.ttl").write_text(
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n<http://e/t> a kz:Tenure .\n",
        encoding="utf-8",
    )
    result = invoke(runner, [*project_args(copied_project), "build"])
    assert result.exit_code == 1
    assert "does not conform: 2 violations" in result.stderr


def test_syntax_error_is_one_line_with_location(runner: CliRunner, copied_project: Project) -> None:
    (copied_project.data_dir / "broken.ttl").write_text(
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n\nkz:a kz:b kz:c ;\n", encoding="utf-8"
    )
    result = invoke(runner, [*project_args(copied_project), "build"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ") and "broken.ttl:3:17: " in lines[0]
    assert "Traceback" not in result.stderr


def test_undefined_prefix_error(runner: CliRunner, copied_project: Project) -> None:
    (copied_project.data_dir / "prefix.ttl").write_text(
        "nope:a nope:b nope:c .\n", encoding="utf-8"
    )
    result = invoke(runner, [*project_args(copied_project), "query", "agents"])
    assert result.exit_code == 2
    assert "prefix.ttl:1:1: undefined prefix 'nope:'" in result.stderr


def test_missing_data_folder(runner: CliRunner, tmp_path: Path, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "--data", str(tmp_path / "missing"), "stats"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "data folder not found" in result.stderr


def test_non_utf8_data_file(runner: CliRunner, copied_project: Project) -> None:
    (copied_project.data_dir / "latin.ttl").write_bytes(
        '<http://e/a> <http://e/b> "Ö" .\n'.encode("latin-1")
    )
    result = invoke(runner, [*project_args(copied_project), "build"])
    assert result.exit_code == 2
    assert "latin.ttl:1:28: not UTF-8 text" in result.stderr


def test_inconsistent_data(runner: CliRunner, copied_project: Project) -> None:
    (copied_project.data_dir / "clash.ttl").write_text(
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
        "<https://w3id.org/kzgraph/resource/state/kazakhstan> a kz:Person .\n",
        encoding="utf-8",
    )
    result = invoke(runner, [*project_args(copied_project), "build"])
    assert result.exit_code == 1
    assert "inconsistent" in result.stderr and f"{KZR}state/kazakhstan" in result.stderr
    validated = invoke(runner, [*project_args(copied_project), "validate"])
    assert validated.exit_code == 1
    assert validated.stdout.startswith("inconsistent: Disjoint classes")


# --------------------------------------------------------------------------- validate


def test_validate_conforming(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "validate"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "the data (3 files) conforms: 0 violations, 0 warnings" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "turtle"])
def test_validate_violations_each_format(
    runner: CliRunner, copied_project: Project, fmt: str
) -> None:
    bad = copied_project.data_dir / "bad.ttl"
    bad.write_text(
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<http://e/t> a kz:Tenure ; rdfs:label "Lost tenure"@en .\n',
        encoding="utf-8",
    )
    result = invoke(runner, [*project_args(copied_project), "validate", "-f", fmt])
    assert result.exit_code == 1
    if fmt == "text":
        assert (
            "bad.ttl: violation: Lost tenure <http://e/t> kz:holder: A tenure needs a holder"
            in result.stdout
        )
    elif fmt == "json":
        doc = json.loads(result.stdout)
        assert doc["conforms"] is False and doc["counts"] == {"Violation": 2}
    else:
        assert "sh:conforms false" in result.stdout and "sh:focusNode <http://e/t>" in result.stdout
    assert "2 violations" in result.stderr


def test_validate_given_paths(
    runner: CliRunner, fx_args: list[str], fixture_project: Project
) -> None:
    result = invoke(runner, [*fx_args, "validate", str(fixture_project.data_dir / "people.ttl")])
    # without events.ttl and paragraphs.ttl there is nothing to break: people alone conform
    assert result.exit_code == 0
    assert "the data (1 files) conforms" in result.stderr
    missing = invoke(runner, [*fx_args, "validate", "no/such.ttl"])
    assert missing.exit_code == 2
    assert missing.stderr == "Error: no/such.ttl: no such file\n"


# --------------------------------------------------------------------------- check


def test_check_warnings_only_exit_0(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "check"])
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "WARNING shared-altlabel: Alternative labels shared by two resources (2 rows)\n"
    )
    assert "  fix: check that the two resources are really different" in result.stdout
    assert f"Turgut Özal <{KZR}person/ozal>" in result.stdout
    assert "2 checks: 0 error rows, 2 warning rows" in result.stderr


def test_check_error_rows_exit_1(runner: CliRunner, copied_project: Project) -> None:
    events = copied_project.data_dir / "events.ttl"
    text = events.read_text(encoding="utf-8").replace(
        "    kz:statedIn paragraph:p1 .", '    rdfs:comment "no source" .'
    )
    events.write_text(text, encoding="utf-8")
    result = invoke(runner, [*project_args(copied_project), "check"])
    assert result.exit_code == 1
    assert "ERROR unsourced-visit: Visits without a source paragraph (1 rows)" in result.stdout
    assert "Özal visits Kazakhstan" in result.stdout
    assert "1 error rows" in result.stderr


def test_a_check_past_its_time_limit_is_stopped_and_the_others_still_run(
    runner: CliRunner, copied_project: Project
) -> None:
    """A check that runs past --timeout is stopped (its process killed) and named; the other
    checks report as usual; exit 2 (a check could not answer) unless an error check found
    rows; --timeout 0 and the default leave a quick check alone."""
    import multiprocessing

    checks = copied_project.queries_dir / "checks"
    (checks / "every-five-triples.rq").write_text(
        "#+ title: Every five triples of the graph\n#+ severity: warning\n"
        "#+ fix: none (it never ends)\n"
        "SELECT ?entity ?property ?value WHERE { ?entity ?property ?value . ?a ?b ?c . "
        "?d ?e ?f . ?g ?h ?i . ?j ?k ?l }\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    result = invoke(runner, [*project_args(copied_project), "check", "--timeout", "1.5"])
    assert time.monotonic() - started < 60
    assert result.exit_code == 2, result.stderr
    assert result.stderr.splitlines()[-2:] == [
        "kzgraph: check every-five-triples did not finish in 1.5 s (see --timeout)",
        "kzgraph: 3 checks: 0 error rows, 2 warning rows, 1 not finished",
    ]
    assert "WARNING shared-altlabel: Alternative labels shared by two resources (2 rows)" in (
        result.stdout
    )
    assert multiprocessing.active_children() == []

    (checks / "every-five-triples.rq").unlink()
    for timeout in ("0", "120"):
        quick = invoke(runner, [*project_args(copied_project), "check", "--timeout", timeout])
        assert quick.exit_code == 0, quick.stderr
        assert quick.stderr == "kzgraph: 2 checks: 0 error rows, 2 warning rows\n"
    refused = invoke(runner, [*project_args(copied_project), "check", "--timeout", "-1"])
    assert refused.exit_code == 2
    assert "--timeout" in refused.stderr


def test_a_check_that_fails_in_its_process_fails_the_command_in_one_line(
    runner: CliRunner, copied_project: Project
) -> None:
    (copied_project.queries_dir / "checks" / "unknown-function.rq").write_text(
        "#+ title: A function no engine has\n#+ severity: error\n#+ fix: none\n"
        "SELECT ?entity ?property ?value WHERE { ?entity ?property ?value "
        "FILTER(<http://example.org/no-such-function>(?value)) }\n",
        encoding="utf-8",
    )
    result = invoke(runner, [*project_args(copied_project), "check"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    assert "unknown-function.rq" in result.stderr


# --------------------------------------------------------------------------- queries


def test_queries_catalog(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "queries"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "title", "params", "(default)"]
    assert any(
        line.startswith("timeline ") and "from=1991-01-01 to=2020-12-31" in line for line in lines
    )
    assert len(lines) == 2 + 5


def test_queries_long_documents_and_runs_examples(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "queries", "--long"])
    assert result.exit_code == 0
    out = result.stdout
    assert "## timeline: Visits in a period" in out
    assert "  -p from (date, default 1991-01-01, e.g. 1992-01-01): first day" in out
    assert "Example: kzgraph query timeline" in out
    assert "Nazarbayev visits Turkey" in out  # the example result, with labels


def test_queries_reports_bad_header(runner: CliRunner, copied_project: Project) -> None:
    (copied_project.queries_dir / "broken.rq").write_text("#+ title: x\nSELECT * { ?s ?p $o }\n")
    result = invoke(runner, [*project_args(copied_project), "queries"])
    assert result.exit_code == 2
    assert "broken.rq:2:18: $variables not declared in params: o" in result.stderr


# --------------------------------------------------------------------------- query


def test_query_table(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "query", "timeline"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "date        visit                     visitor               host",
        "----------  ------------------------  --------------------  ----------",
        "1992-09-24  Nazarbayev visits Turkey  Nursultan Nazarbayev  Turkey",
        "1993-04-10  Özal visits Kazakhstan    Turgut Özal           Kazakhstan",
    ]
    assert "2 rows" in result.stderr


def test_query_params_and_csv(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(
        runner, [*fx_args, "query", "timeline", "-p", "from", "1993-01-01", "-f", "csv"]
    )
    assert result.exit_code == 0
    assert result.stdout_bytes.decode() == (
        "date,visit,visitor,host\r\n"
        f"1993-04-10,{KZR}event/visit-1993,{KZR}person/ozal,{KZR}state/kazakhstan\r\n"
    )


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_query_tsv_json_markdown_on_both_engines(
    runner: CliRunner, fx_args: list[str], engine: str
) -> None:
    tsv = invoke(runner, [*fx_args, "query", "tenures", "-f", "tsv", "--engine", engine])
    assert tsv.stdout == (
        "?tenure\t?office\t?start\n"
        f'<{KZR}tenure/nazarbayev-president>\t"President of Kazakhstan"\t'
        '"1991-12-16"^^<http://www.w3.org/2001/XMLSchema#date>\n'
    )
    doc = json.loads(
        invoke(runner, [*fx_args, "query", "tenures", "-f", "json", "--engine", engine]).stdout
    )
    assert doc["results"]["bindings"][0]["office"] == {
        "type": "literal",
        "value": "President of Kazakhstan",
    }
    md = invoke(runner, [*fx_args, "query", "tenures", "-f", "markdown", "--engine", engine]).stdout
    assert md.splitlines()[:3] == [
        "| tenure | office | start |",
        "|---|---|---|",
        "| Nazarbayev, President of Kazakhstan | President of Kazakhstan | 1991-12-16 |",
    ]


def test_query_asserted_only(runner: CliRunner, fx_args: list[str]) -> None:
    full = invoke(runner, [*fx_args, "query", "agents", "-f", "csv"])
    asserted = invoke(runner, [*fx_args, "query", "agents", "-f", "csv", "--asserted"])
    assert len(full.stdout.splitlines()) == 6
    assert asserted.stdout_bytes == b"agent,label\r\n"


def test_query_name_typed_otherwise_is_said(runner: CliRunner, fx_args: list[str]) -> None:
    plain = invoke(runner, [*fx_args, "query", "visits-since", "-f", "csv"])
    typed = invoke(runner, [*fx_args, "query", "Visits_Since", "-f", "csv"])
    assert plain.exit_code == typed.exit_code == 0, typed.stderr
    assert typed.stdout == plain.stdout and plain.stdout.count("\n") > 1
    assert typed.stderr.splitlines()[0] == 'kzgraph: "Visits_Since" is the saved query visits-since'
    assert "is the saved query" not in plain.stderr


def test_query_unknown_name_suggests(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "query", "timelne"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        result.stderr
        == "Error: no saved query named 'timelne'\n  did you mean: timeline, tenures?\n"
    )


def test_query_unknown_param_lists_declared(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "query", "timeline", "-p", "since", "1992-01-01"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: saved query 'timeline': no parameter 'since' (declared: from, to)\n"
    )


def test_query_ill_typed_param(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "query", "timeline", "-p", "from", "1992"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: saved query 'timeline': parameter 'from' expects date (e.g. 1992-01-01), got '1992'"
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            ["-p", "person", "http://a b"],
            "Error: saved query 'visits-by-person': parameter 'person' expects iri "
            "(e.g. person:nursultan-nazarbayev), got 'http://a b': not a full IRI",
        ),
        (
            ["-p", "person", "nosuch:x"],
            "Error: saved query 'visits-by-person': parameter 'person' expects iri",
        ),
        (
            ["-p", "person", "Zzyzzx Qwvx"],
            "Error: saved query 'visits-by-person': parameter 'person': no resource matches "
            "'Zzyzzx Qwvx'",
        ),
        (
            ["-p", "persn", "Demirel"],
            "Error: saved query 'visits-by-person': no parameter 'persn' (declared: person",
        ),
    ],
    ids=["bad-iri", "unknown-prefix", "no-such-name", "unknown-param"],
)
def test_errors_on_bundled_queries_name_the_query_not_its_file(
    runner: CliRunner, params: list[str], expected: str
) -> None:
    """What the user typed is a query name and -p values: the error names those, not the
    bundled file (a path under site-packages in an installed wheel)."""
    result = invoke(runner, ["query", "visits-by-person", *params])
    assert result.exit_code == 2 and result.stdout == ""
    said = [line for line in result.stderr.splitlines() if not line.startswith("kzgraph: ")]
    assert said[0].startswith(expected), result.stderr  # (after a build note, if any)
    assert ".rq" not in result.stderr and "_bundle" not in result.stderr
    assert "queries/" not in result.stderr


def test_errors_in_a_users_own_query_file_keep_file_line_col(
    runner: CliRunner, copied_project: Project
) -> None:
    (copied_project.queries_dir / "typo.rq").write_text(
        "#+ title: A typo\nSELECT ?s WHERE { ?s ?p ?o . FILTER( }\n", encoding="utf-8"
    )
    result = invoke(runner, [*project_args(copied_project), "query", "typo"])
    assert result.exit_code == 2
    assert re.match(r"Error: \S*/queries/typo\.rq:\d+:\d+: SPARQL syntax error", result.stderr)


def test_query_injection_matches_nothing(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(
        runner, [*fx_args, "query", "labels", "-p", "name", '"} ; DROP ALL ; #', "-f", "csv"]
    )
    assert result.exit_code == 0
    assert result.stdout_bytes == b"thing,label\r\n"
    after = invoke(runner, [*fx_args, "query", "labels", "-f", "csv"])
    assert len(after.stdout.splitlines()) == 3


# --------------------------------------------------------------------------- sparql


def test_sparql_select_with_predeclared_prefixes(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(
        runner, [*fx_args, "sparql", "SELECT ?l WHERE { person:ozal rdfs:label ?l }", "-f", "csv"]
    )
    assert result.exit_code == 0
    assert result.stdout_bytes.decode() == "l\r\nTurgut Özal\r\n"


def test_sparql_table_keeps_every_selected_column(runner: CliRunner, fx_args: list[str]) -> None:
    """?x beside ?xLabel: both columns, ?x as its prefixed IRI; an IRI alone shows its label."""
    text = (
        "SELECT ?who ?whoLabel ?kind WHERE { ?who rdfs:label ?whoLabel ; a ?kind "
        'FILTER(?who = person:ozal && ?kind = kz:Person && LANG(?whoLabel) = "en") }'
    )
    for fmt in ("table", "markdown"):
        result = invoke(runner, [*fx_args, "sparql", text, "-f", fmt])
        assert result.exit_code == 0, result.stderr
        header, *rows = [line for line in result.stdout.splitlines() if "---" not in line]
        assert header.replace("|", " ").split() == ["who", "whoLabel", "kind"]
        assert "person:ozal" in rows[0] and "Turgut Özal" in rows[0]
        assert "https://" not in rows[0]  # kz:Person is shown by its label
    saved = invoke(runner, [*fx_args, "sparql", text, "-f", "csv"])
    assert saved.stdout_bytes.decode().splitlines()[0] == "who,whoLabel,kind"


def test_sparql_from_stdin_and_file(runner: CliRunner, fx_args: list[str], tmp_path: Path) -> None:
    ask = invoke(runner, [*fx_args, "sparql", "-"], input="ASK { person:ozal a kz:Agent }")
    assert ask.stdout == "yes\n"
    query_file = tmp_path / "q.rq"
    query_file.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a kz:Visit }", encoding="utf-8")
    counted = invoke(runner, [*fx_args, "sparql", "--file", str(query_file), "-f", "json"])
    assert json.loads(counted.stdout)["results"]["bindings"][0]["n"]["value"] == "2"


@pytest.mark.parametrize("fmt", ["turtle", "nt", "jsonld"])
def test_sparql_describe_and_construct_print_rdf(
    runner: CliRunner, fx_args: list[str], fmt: str
) -> None:
    result = invoke(runner, [*fx_args, "sparql", "DESCRIBE person:ozal", "-f", fmt])
    assert result.exit_code == 0
    if fmt == "turtle":
        assert "person:ozal" in result.stdout and '"Turgut Özal"@en' in result.stdout
    elif fmt == "nt":
        assert (
            f'<{KZR}person/ozal> <http://www.w3.org/2000/01/rdf-schema#label> "Turgut Özal"@en .'
            in result.stdout
        )
    else:  # compact JSON-LD: the prefixes are its @context
        doc = json.loads(result.stdout)
        assert doc["@context"]["person"] == f"{KZR}person/"
        assert "person:ozal" in {node["@id"] for node in doc["@graph"]}
    construct = invoke(
        runner, [*fx_args, "sparql", "CONSTRUCT { ?v a kz:Visit } WHERE { ?v a kz:Visit }"]
    )
    assert construct.stdout.count("kz:Visit") == 2


def test_sparql_syntax_error_is_one_line(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "sparql", "SELECT ?x WHERE { ?x ?y }"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and "SPARQL syntax error" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_sparql_needs_exactly_one_source(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "sparql"])
    assert result.exit_code == 2
    assert "give the query as an argument" in result.stderr
    missing = invoke(runner, [*fx_args, "sparql", "--file", "nope.rq"])
    assert missing.exit_code == 2 and missing.stderr == "Error: nope.rq: no such file\n"


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("fmt", ["turtle", "nt", "nq", "trig", "jsonld", "jsonld-expanded", "xml"])
def test_export_formats(runner: CliRunner, fx_args: list[str], fmt: str) -> None:
    result = invoke(runner, [*fx_args, "export", "-f", fmt])
    assert result.exit_code == 0
    out = result.stdout
    marker = {
        "turtle": "person:ozal",
        "nt": f"<{KZR}person/ozal>",
        "nq": "graph/asserted>",
        "trig": "graph/asserted",
        "jsonld": '"@id": "person:ozal"',  # compact: the @context's prefixes
        "jsonld-expanded": f'"@id": "{KZR}person/ozal"',
        "xml": "rdf:RDF",
    }[fmt]
    assert marker in out
    assert "Turgut Özal" in out


def test_export_inferred_adds_triples(runner: CliRunner, fx_args: list[str]) -> None:
    asserted = invoke(runner, [*fx_args, "export", "-f", "nt"]).stdout.splitlines()
    everything = invoke(runner, [*fx_args, "export", "-f", "nt", "--inferred"]).stdout.splitlines()
    assert len(asserted) == 110 and len(everything) == 131
    assert everything == sorted(everything)
    nq = invoke(runner, [*fx_args, "export", "-f", "nq", "--inferred"]).stdout
    assert "graph/inferred> ." in nq


def test_export_to_file_atomically(
    runner: CliRunner, fx_args: list[str], tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.ttl"
    result = invoke(runner, [*fx_args, "export", "-o", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    good = target.read_bytes()
    assert good.startswith(b"@prefix")

    import kzgraph.cli as cli_module

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module.os, "fsync", interrupted)
    stopped = runner.invoke(cli, [*fx_args, "export", "-f", "nt", "-o", str(target)])
    assert stopped.exit_code == 1 and "Aborted" in stopped.stderr  # click's KeyboardInterrupt
    assert target.read_bytes() == good  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ttl"]  # no partial file


def test_export_is_byte_identical_across_processes(
    fx_args: list[str], kzgraph_exe: str, tmp_path: Path
) -> None:
    outputs = []
    for i in range(2):
        env = {**os.environ, "KZGRAPH_CACHE": str(tmp_path / f"cache{i}")}
        done = subprocess.run(
            [kzgraph_exe, *fx_args, "export", "-f", "turtle", "--inferred"],
            capture_output=True,
            cwd=tmp_path,
            env=env,
            check=True,
            timeout=120,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and len(outputs[0]) > 1000


# --------------------------------------------------------------------------- describe


def test_describe_by_label_prefixed_name_and_iri(runner: CliRunner, fx_args: list[str]) -> None:
    by_label = invoke(runner, [*fx_args, "describe", "TURGUT ÖZAL"])
    assert by_label.exit_code == 0
    assert by_label.stdout.startswith(
        f"Turgut Özal  <{KZR}person/ozal>\n  type: agent, person\n  sources: [P14]\n"
    )
    assert "citizen of\n  Turkey\n" in by_label.stdout
    assert "← visitor\n  Özal visits Kazakhstan  [P1]" in by_label.stdout
    by_pname = invoke(runner, [*fx_args, "describe", "person:ozal"])
    by_iri = invoke(runner, [*fx_args, "describe", f"{KZR}person/ozal"])
    by_alt = invoke(runner, [*fx_args, "describe", "Türkiye"])
    assert by_pname.stdout == by_iri.stdout == by_label.stdout
    assert by_alt.stdout.startswith("Turkey  <")


def test_describe_ambiguous_label(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "describe", "T. Ozal"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: 'T. Ozal' matches 2 resources; give more of the name, or an IRI"
    assert lines[1:] == [  # ranked: label, kind, IRI
        "  candidates:",
        f"    1. Ozal (namesake) (person) <{KZR}person/ozal-namesake>",
        f"    2. Turgut Özal (person) <{KZR}person/ozal>",
    ]


def test_describe_close_spelling_resolves_and_says_so(
    runner: CliRunner, fx_args: list[str]
) -> None:
    result = invoke(runner, [*fx_args, "describe", "Kazakstan"])
    assert result.exit_code == 0
    assert result.stderr == f'kzgraph: "Kazakstan" → Kazakhstan <{KZR}state/kazakhstan>\n'
    assert result.stdout.startswith(f"Kazakhstan  <{KZR}state/kazakhstan>\n")


def test_describe_not_found_suggests(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "describe", "Kazak"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: no resource matches 'Kazak'",
        "  nearest names:",
        f"    Kazakhstan (state) <{KZR}state/kazakhstan>",
    ]
    unknown_iri = invoke(runner, [*fx_args, "describe", "person:nobody"])
    assert unknown_iri.exit_code == 2
    assert unknown_iri.stderr.splitlines()[0] == "Error: no resource matches 'person:nobody'"


# --------------------------------------------------------------------------- stats


def test_stats(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "stats"])
    assert result.exit_code == 0
    assert result.stdout.startswith("triples: 110 asserted, 21 inferred, 131 in all\n")
    assert "agent              https://w3id.org/kzgraph/ontology#Agent" in result.stdout
    doc = json.loads(invoke(runner, [*fx_args, "stats", "-f", "json"]).stdout)
    assert doc["classes"]["https://w3id.org/kzgraph/ontology#Person"] == 3
    assert doc["triples"] == {"asserted": 110, "inferred": 21}


def test_kzgraph_data_environment_variable(runner: CliRunner, fixture_project: Project) -> None:
    args = [
        "--ontology",
        str(fixture_project.ontology_dir),
        "--queries",
        str(fixture_project.queries_dir),
    ]
    result = runner.invoke(
        cli, [*args, "stats"], env={"KZGRAPH_DATA": str(fixture_project.data_dir)}
    )
    assert result.exit_code == 0
    assert "110 asserted" in result.stdout


# --------------------------------------------------------------------------- table width

LONG = "a claim the article makes and another paragraph contradicts " * 6  # 366 characters
WIDE_QUERY = (
    "SELECT ?id ?claim ?at ?note WHERE { VALUES (?id ?claim ?at ?note) { "
    f'("c1" "{LONG}" "P4" "{LONG.upper()}") ("c2" "short" "P19" "none") }} }} ORDER BY ?id'
)


def table_lines(text: str) -> list[str]:
    return text.splitlines()


def test_width_fits_table_and_keeps_short_columns(runner: CliRunner, fx_args: list[str]) -> None:
    result = invoke(runner, [*fx_args, "sparql", WIDE_QUERY, "--width", "80"])
    assert result.exit_code == 0, result.stderr
    lines = table_lines(result.stdout)
    assert len(lines) == 4
    assert all(len(line) <= 80 for line in lines), result.stdout
    assert lines[0].split() == ["id", "claim", "at", "note"]
    c1 = re.split(r"\s{2,}", lines[2])
    assert c1[0] == "c1" and c1[2] == "P4"  # short columns whole
    assert c1[1].endswith("…") and LONG.startswith(c1[1][:-1])  # long ones cut, marked
    assert c1[3].endswith("…") and LONG.upper().startswith(c1[3][:-1])
    assert lines[3].split() == ["c2", "short", "P19", "none"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "markdown"])
def test_width_leaves_other_formats_whole(runner: CliRunner, fx_args: list[str], fmt: str) -> None:
    result = invoke(runner, [*fx_args, "sparql", WIDE_QUERY, "--width", "80", "-f", fmt])
    assert result.exit_code == 0, result.stderr
    assert LONG.strip() in result.stdout and "…" not in result.stdout


def test_not_a_terminal_means_no_limit_even_with_columns(
    runner: CliRunner, fx_args: list[str]
) -> None:
    """CliRunner's stdout is not a terminal: the table is as before, $COLUMNS or not."""
    plain = invoke(runner, [*fx_args, "sparql", WIDE_QUERY])
    with_columns = invoke(runner, [*fx_args, "sparql", WIDE_QUERY], env={"COLUMNS": "60"})
    assert plain.stdout == with_columns.stdout
    assert LONG.strip() in plain.stdout and "…" not in plain.stdout
    assert max(len(line) for line in table_lines(plain.stdout)) > 2 * len(LONG.strip())


def test_width_and_no_truncate_exclude_each_other(runner: CliRunner, fx_args: list[str]) -> None:
    for fmt in ("table", "csv"):  # refused before anything runs, whatever the format
        both = invoke(
            runner, [*fx_args, "sparql", WIDE_QUERY, "-f", fmt, "--no-truncate", "--width", "80"]
        )
        assert both.exit_code == 2 and both.stdout == ""
        assert both.stderr == (
            "Error: --width and --no-truncate exclude each other (see 'cli sparql -h')\n"
        )
    narrow = invoke(runner, [*fx_args, "sparql", WIDE_QUERY, "--width", "5"])
    assert narrow.exit_code == 2 and "--width" in narrow.stderr and "20" in narrow.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["queries"],
        ["query", "tenures"],
        ["stats"],
        ["check"],
        ["search", "nazarbayev"],
        ["ask", "tenures", "of", "nazarbayev"],
        ["sparql", WIDE_QUERY],
    ],
    ids=["queries", "query", "stats", "check", "search", "ask", "sparql"],
)
def test_every_table_command_takes_width(
    runner: CliRunner, fx_args: list[str], args: list[str]
) -> None:
    wide = invoke(runner, [*fx_args, *args, "--no-truncate"])
    narrow = invoke(runner, [*fx_args, *args, "--width", "40"])
    assert narrow.exit_code == wide.exit_code, narrow.stderr
    pairs = list(zip(wide.stdout.splitlines(), narrow.stdout.splitlines(), strict=True))
    cut = [(w, n) for w, n in pairs if w != n]  # strict: cut, not wrapped
    assert cut, wide.stdout
    assert all(len(n) <= 40 for _w, n in cut), narrow.stdout
    assert any(len(w) > 40 for w, _n in cut) and "…" in narrow.stdout
    # the rest: lines that were short already, or a line of text above a table (stats)
    assert all(len(w) <= 40 or not w.startswith(("--", "  --")) for w, n in pairs if w == n)


def test_conflicts_table_fits_80_columns_on_the_bundled_data(runner: CliRunner) -> None:
    """The table with 700-character cells the issue names."""
    table = invoke(runner, ["query", "conflicts", "--width", "80"])
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "locator" in lines[0].split() and "…" in table.stdout
    at = lines[0].index("locator")
    locators = {line[at:].split()[0] for line in lines[2:]}
    assert locators and all(re.fullmatch(r"P\d+", loc) for loc in locators)  # whole
    full = invoke(runner, ["query", "conflicts", "-f", "csv"])
    longest = max(len(cell) for row in csv_rows(full.stdout) for cell in row)
    assert longest > 500  # csv carries the full text
    assert len(lines) - 2 == len(csv_rows(full.stdout)) - 1


def csv_rows(text: str) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(text)))


def run_in_terminal(args: list[str], columns: str | None, cwd: Path) -> tuple[int, str]:
    """Run the installed kzgraph with its stdout on a real pseudo-terminal (and its stderr
    on a pipe); the exit code and what the terminal showed."""
    import pty

    env = {**os.environ, "LC_ALL": "C.UTF-8", "TERM": "dumb"}
    env.pop("COLUMNS", None)
    if columns is not None:
        env["COLUMNS"] = columns
    main, other = pty.openpty()
    try:
        process = subprocess.Popen(
            args, stdout=other, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=cwd, env=env
        )
        os.close(other)
        shown = bytearray()
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        code = process.wait(timeout=120)
        assert process.stderr is not None
        process.stderr.close()
    finally:
        os.close(main)
    return code, shown.decode("utf-8").replace("\r\n", "\n")


def test_terminal_width_comes_from_columns(
    kzgraph_exe: str, fx_args: list[str], tmp_path: Path
) -> None:
    code, shown = run_in_terminal([kzgraph_exe, *fx_args, "sparql", WIDE_QUERY], "70", tmp_path)
    assert code == 0
    lines = shown.splitlines()
    assert len(lines) == 4 and all(len(line) <= 70 for line in lines), shown
    assert max(len(line) for line in lines) == 70 and "…" in shown
    code, whole = run_in_terminal(
        [kzgraph_exe, *fx_args, "sparql", WIDE_QUERY, "--no-truncate"], "70", tmp_path
    )
    assert code == 0 and LONG.strip() in whole and "…" not in whole
    code, given = run_in_terminal(
        [kzgraph_exe, *fx_args, "sparql", WIDE_QUERY, "--width", "50"], "70", tmp_path
    )
    assert code == 0 and max(len(line) for line in given.splitlines()) == 50


# --------------------------------------------------------------------------- real processes


def run_exe(args: list[str], cwd: Path, **kwargs):  # type: ignore[no-untyped-def]
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=120, **kwargs)


def test_installed_entry_point_from_another_directory(
    kzgraph_exe: str, fx_args: list[str], tmp_path: Path
) -> None:
    done = run_exe([kzgraph_exe, *fx_args, "query", "timeline", "-f", "csv"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("date,visit,visitor,host\n")  # text mode folds CRLF
    bad = run_exe([kzgraph_exe, *fx_args, "query", "nope"], tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("Error: no saved query named 'nope'")
    assert "Traceback" not in bad.stderr


def test_python_dash_m(fx_args: list[str], tmp_path: Path) -> None:
    done = run_exe([sys.executable, "-m", "kzgraph", "--version"], tmp_path)
    assert done.returncode == 0 and done.stdout == f"kzgraph, version {__version__}\n"


def test_bundled_folders_are_found_from_elsewhere(kzgraph_exe: str, tmp_path: Path) -> None:
    done = run_exe([kzgraph_exe, "queries"], tmp_path)
    assert done.returncode in (0, 2), done.stderr
    assert "Traceback" not in done.stderr


def test_fast_commands_do_not_import_rdflib(fx_args: list[str], tmp_path: Path) -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom kzgraph.cli import cli\n"
        f"r = CliRunner().invoke(cli, {[*fx_args, 'queries']!r})\n"
        "assert r.exit_code == 0, r.output\n"
        "h = CliRunner().invoke(cli, ['--help'])\n"
        "print(sorted(m for m in ('rdflib', 'owlrl', 'pyshacl') if m in sys.modules))\n"
    )
    done = run_exe([sys.executable, "-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


# --------------------------------------------------------------------------- the terminal guide

TERMINAL_GUIDE = Path(__file__).parent.parent / "docs" / "cli.md"


def test_terminal_guide_warnings_are_the_ones_printed() -> None:
    """The guide's warning lines are those tests/test_bad_input.py sees the build print."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10: the test extra installs tomli there
        import tomli as tomllib

    text = TERMINAL_GUIDE.read_text(encoding="utf-8")
    shown = re.findall(r"^Warning: (.*)$", text, re.M)
    cases = tomllib.loads(
        (Path(__file__).parent / "bad-input" / "cases.toml").read_text(encoding="utf-8")
    )["case"]
    printed = {case["warning"] for case in cases if "warning" in case}
    assert len(shown) == 2 and set(shown) <= printed
