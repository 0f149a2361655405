"""kzgraph.export: ``kzgraph export --with-void`` and ``--base``, on the fixture project."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kzgraph.cli import cli
from kzgraph.errors import ExportError
from kzgraph.export import check_base, rebase
from kzgraph.namespaces import ONTOLOGY, RESOURCE_BASE
from kzgraph.terms import IRI, Literal

VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
NEW_BASE = "https://data.example.org/kz/"
OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}


def export(runner: CliRunner, fx_args: list[str], *args: str) -> bytes:
    result = runner.invoke(cli, [*fx_args, "export", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def quads(data: bytes, fmt: str) -> set[tuple[str, str, str, str]]:
    return {
        (str(q.subject), str(q.predicate), str(q.object), str(q.graph_name))
        for q in ox.parse(data, format=OX_FORMATS[fmt])
    }


# --------------------------------------------------------------------------- VoID


def test_with_void_describes_the_exported_triples(runner: CliRunner, fx_args: list[str]) -> None:
    plain = quads(export(runner, fx_args, "-f", "nt", "--inferred"), "nt")
    described = quads(export(runner, fx_args, "-f", "nt", "--inferred", "--with-void"), "nt")
    assert plain < described
    void = described - plain
    dataset = "<https://w3id.org/kzgraph/dataset>"
    assert (dataset, f"<{RDF_TYPE}>", f"<{VOID}Dataset>", "DEFAULT") in void
    counts = {p: o for s, p, o, _g in void if s == dataset}
    assert (
        counts[f"<{VOID}triples>"] == f'"{len(plain)}"^^<http://www.w3.org/2001/XMLSchema#integer>'
    )
    # without --with-void the export is the graph alone (unchanged default)
    assert not any(VOID in p for _s, p, _o, _g in plain)


def test_void_goes_to_its_own_named_graph(runner: CliRunner, fx_args: list[str]) -> None:
    found = quads(export(runner, fx_args, "-f", "nq", "--with-void"), "nq")
    graphs = {g for *_t, g in found}
    assert graphs == {
        "<https://w3id.org/kzgraph/graph/asserted>",
        "<https://w3id.org/kzgraph/graph/void>",
    }
    assert all(g == "<https://w3id.org/kzgraph/graph/void>" for _s, p, _o, g in found if VOID in p)


def test_void_export_is_byte_identical_and_has_no_timestamp(
    fx_args: list[str], kzgraph_exe: str, tmp_path: Path
) -> None:
    outputs = []
    for i in range(2):
        env = {**os.environ, "KZGRAPH_CACHE": str(tmp_path / f"cache{i}")}
        done = subprocess.run(
            [kzgraph_exe, *fx_args, "export", "-f", "turtle", "--inferred", "--with-void"],
            capture_output=True,
            env=env,
            check=True,
            timeout=120,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and b"void:Dataset" in outputs[0]
    text = outputs[0].decode()
    assert dt.date.today().isoformat() not in text and "dateTime" not in text


# --------------------------------------------------------------------------- --base


@pytest.mark.parametrize("fmt", sorted(OX_FORMATS))
def test_base_rewrites_resource_iris_in_every_format(
    runner: CliRunner, fx_args: list[str], fmt: str
) -> None:
    original = quads(export(runner, fx_args, "-f", fmt, "--inferred", "--with-void"), fmt)
    moved = quads(
        export(runner, fx_args, "-f", fmt, "--inferred", "--with-void", "--base", NEW_BASE), fmt
    )
    text = "\n".join(" ".join(q) for q in moved)
    assert RESOURCE_BASE not in text.replace(f'"{RESOURCE_BASE}"', "")  # only in no literal
    assert f"<{NEW_BASE}person/ozal>" in text
    assert f"<{ONTOLOGY}Person>" in text  # ontology IRIs stay
    assert f'"{NEW_BASE}"' in text  # void:uriSpace follows the new base
    back = {
        tuple(
            part.replace(f"<{NEW_BASE}", f"<{RESOURCE_BASE}").replace(
                f'"{NEW_BASE}"', f'"{RESOURCE_BASE}"'
            )
            for part in q
        )
        for q in moved
    }
    assert back == original and len(moved) == len(original)


def test_base_with_a_hash(runner: CliRunner, fx_args: list[str]) -> None:
    out = export(runner, fx_args, "-f", "nt", "--base", "http://example.org/kz#").decode()
    assert "<http://example.org/kz#person/ozal>" in out and RESOURCE_BASE not in out


@pytest.mark.parametrize(
    ("base", "why"),
    [
        ("https://data.example.org/kz", "must end with '/' or '#'"),
        ("ftp://data.example.org/kz/", "absolute http(s) IRI"),
        ("data/kz/", "absolute http(s) IRI"),
        ("https://data example.org/", "absolute http(s) IRI"),
        ("https:///", "absolute http(s) IRI"),
    ],
)
def test_a_bad_base_is_a_one_line_error(
    runner: CliRunner, fx_args: list[str], base: str, why: str
) -> None:
    result = runner.invoke(cli, [*fx_args, "export", "--base", base])
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --base") and why in lines[0]


def test_rebase_and_check_base_directly() -> None:
    with pytest.raises(ExportError):
        check_base("urn:x:")
    triples = [
        (IRI(RESOURCE_BASE + "state/turkey"), IRI(ONTOLOGY + "partOf"), IRI(ONTOLOGY + "X")),
        (IRI("https://w3id.org/kzgraph/dataset"), IRI(VOID + "uriSpace"), Literal(RESOURCE_BASE)),
        (IRI("http://other.org/a"), IRI(ONTOLOGY + "note"), Literal(RESOURCE_BASE + "state/x")),
    ]
    assert rebase(triples, NEW_BASE) == [
        (IRI(NEW_BASE + "state/turkey"), IRI(ONTOLOGY + "partOf"), IRI(ONTOLOGY + "X")),
        (IRI("https://w3id.org/kzgraph/dataset"), IRI(VOID + "uriSpace"), Literal(NEW_BASE)),
        # a literal that merely mentions an IRI is text, not an IRI: unchanged
        (IRI("http://other.org/a"), IRI(ONTOLOGY + "note"), Literal(RESOURCE_BASE + "state/x")),
    ]
