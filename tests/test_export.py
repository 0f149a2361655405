"""kzgraph.export: ``kzgraph export --with-void`` and ``--base``, on the fixture project."""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from conftest import project_args
from kzgraph.cli import cli
from kzgraph.errors import ExportError
from kzgraph.export import check_base, rebase
from kzgraph.metadata import parse_metadata
from kzgraph.namespaces import ONTOLOGY, RESOURCE_BASE
from kzgraph.project import Project
from kzgraph.terms import IRI, Literal

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
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
    # the only dates are the metadata's (the fixture has no dataset.toml: the defaults)
    meta = parse_metadata("")
    known = {meta.issued, meta.temporal[0], meta.temporal[1], *(r.date for r in meta.releases)}
    env = {**os.environ, "KZGRAPH_CACHE": str(tmp_path / "cache0")}
    plain = subprocess.run(
        [kzgraph_exe, *fx_args, "export", "-f", "turtle", "--inferred"],
        capture_output=True, env=env, check=True, timeout=120, text=True,
    ).stdout  # fmt: skip
    pattern = r'"(\d{4}-\d\d-\d\d)"\^\^xsd:date'
    found = set(re.findall(pattern, text)) - set(re.findall(pattern, plain))
    assert found == {d.isoformat() for d in known} - set(re.findall(pattern, plain))
    assert len(found) >= 2
    assert "dateTime" not in text


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
    # the dumps' sizes and checksums describe the moved bytes: they differ, nothing else does
    sized = (f"<{DCAT}byteSize>", "<http://spdx.org/rdf/terms#checksumValue>")
    assert {q for q in back if q[1] not in sized} == {q for q in original if q[1] not in sized}
    assert len(moved) == len(original)


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


# --------------------------------------------------------------------------- written forms

REPO = Path(__file__).parent.parent
BUNDLED = Project(REPO / "data", REPO / "ontology", REPO / "queries")
EXPORT_FORMATS = ("turtle", "nt", "nq", "trig", "jsonld", "jsonld-expanded", "xml")
RDFLIB_FORMATS = {
    "turtle": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld",
    "jsonld-expanded": "json-ld", "xml": "xml",
}  # fmt: skip
#: literals written the way Oxigraph's store (lower-cased tags, canonical values) and
#: rdflib's default normalization do not keep them; kz:value and kz:articleSpelling have
#: super-properties (schema:value, skos:altLabel), so OWL RL copies them into inferences
UNCANONICAL = """\
@prefix event: <https://w3id.org/kzgraph/resource/event/> .
@prefix figure: <https://w3id.org/kzgraph/resource/figure/> .
@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

event:summit a kz:Summit ;
    rdfs:label "Summit"@en , "Саммит"@kk-Cyrl , "Zirve"@TR ;
    kz:ordinal "09"^^xsd:positiveInteger ;
    kz:articleSpelling "Sammit"@kk-Cyrl ;
    kz:bilateral "1"^^xsd:boolean ;
    kz:date "2009"^^xsd:gYear .

figure:members a kz:Observation ;
    rdfs:label "Members"@en ;
    kz:value 100.0 , "+7"^^xsd:decimal .
"""


@pytest.fixture
def exact_rdflib(monkeypatch: pytest.MonkeyPatch) -> None:
    """rdflib keeps every lexical form as it reads it ("01" stays "01", not "1")."""
    import rdflib

    monkeypatch.setattr(rdflib, "NORMALIZE_LITERALS", False)


def written_literals(paths: list[Path]) -> set[str]:
    """Every literal of Turtle files, as written (N-Triples form: lexical form, language
    tag in the file's case, datatype); read with rdflib, not with kzgraph."""
    from rdflib import Graph
    from rdflib import Literal as RLiteral

    found = set()
    for path in paths:
        graph = Graph().parse(path, format="turtle")
        found |= {o.n3() for o in graph.objects() if isinstance(o, RLiteral)}
    return found


def exported_literals(data: bytes, fmt: str) -> set[str]:
    from rdflib import Dataset, Graph
    from rdflib import Literal as RLiteral

    with warnings.catch_warnings():  # rdflib 7.6's Dataset and JSON-LD parser warn inside
        warnings.simplefilter("ignore", DeprecationWarning)
        if fmt in ("nq", "trig"):
            dataset = Dataset().parse(data=data, format=RDFLIB_FORMATS[fmt])
            objects = [o for _s, _p, o, _g in dataset.quads((None, None, None, None))]
        else:
            objects = list(Graph().parse(data=data, format=RDFLIB_FORMATS[fmt]).objects())
    return {o.n3() for o in objects if isinstance(o, RLiteral)}


def export_with(cache: Path, args: list[str], *more: str) -> bytes:
    result = CliRunner().invoke(
        cli, [*args, "export", *more], env={"KZGRAPH_CACHE": str(cache)}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def built(project: Project, engine: str, cache: Path) -> Path:
    from kzgraph.store import build

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KZGRAPH_CACHE", str(cache))
        entry = build(project, force=True, engine=engine).entry
    assert entry.meta.get("engine", "reference") == engine
    return cache


@pytest.fixture(scope="module", params=["reference", "fast"])
def bundled_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled data built on one path, in a cache of its own."""
    return built(BUNDLED, request.param, tmp_path_factory.mktemp(f"bundled-{request.param}"))


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_every_format_keeps_the_literals_of_data_as_written(
    bundled_cache: Path, fmt: str, exact_rdflib: None
) -> None:
    """The export holds the literals of ontology/kzgraph.ttl and data/*.ttl and no other
    form of them: "Қазақстан"@kk-Cyrl, not @kk-cyrl; "9"^^xsd:positiveInteger and
    "90.0"^^xsd:decimal, not Oxigraph's "9"^^xsd:integer and "90"."""
    out = export_with(bundled_cache, project_args(BUNDLED), "-f", fmt, "--inferred")
    got = exported_literals(out, fmt)
    want = written_literals(BUNDLED.ontology_files() + BUNDLED.data_files())
    assert got == want, (sorted(got - want)[:5], sorted(want - got)[:5])
    assert sum(lit.endswith("@kk-Cyrl") for lit in got) == 30
    assert not any(lit.endswith("@kk-cyrl") for lit in got)


@pytest.fixture(scope="module", params=["reference", "fast"])
def uncanonical(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Project]:
    root = tmp_path_factory.mktemp(f"uncanonical-{request.param}")
    (root / "data").mkdir()
    (root / "data" / "written.ttl").write_text(UNCANONICAL, encoding="utf-8")
    project = Project(root / "data", REPO / "ontology", REPO / "queries")
    return built(project, request.param, root / "cache"), project


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_uncanonical_literals_survive_both_build_paths(
    uncanonical: tuple[Path, Project], fmt: str, exact_rdflib: None
) -> None:
    cache, project = uncanonical
    out = export_with(cache, project_args(project), "-f", fmt, "--inferred")
    got = exported_literals(out, fmt)
    assert got == written_literals(project.ontology_files() + project.data_files())
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for literal in (
        f'"09"^^<{xsd}positiveInteger>',
        f'"1"^^<{xsd}boolean>',
        f'"100.0"^^<{xsd}decimal>',
        f'"+7"^^<{xsd}decimal>',
        '"Саммит"@kk-Cyrl',
        '"Zirve"@TR',
    ):
        assert literal in got, literal


def test_inferred_triples_keep_the_written_forms(uncanonical: tuple[Path, Project]) -> None:
    """OWL RL copies a literal to the super-property: the copy is written as the data
    wrote the original, on both paths (the fast path's store had made it "100")."""
    cache, project = uncanonical
    lines = export_with(cache, project_args(project), "-f", "nt", "--inferred").decode()
    decimal = "<http://www.w3.org/2001/XMLSchema#decimal>"
    assert f'<https://schema.org/value> "100.0"^^{decimal} .' in lines
    assert '<http://www.w3.org/2004/02/skos/core#altLabel> "Sammit"@kk-Cyrl .' in lines
    assert "kk-cyrl" not in lines and '"100"^^' not in lines and '"9"^^' not in lines


def test_compact_jsonld_expands_to_the_ntriples_export(
    runner: CliRunner, fx_args: list[str]
) -> None:
    """A JSON-LD processor (PyLD) expands the compact export, and the expanded one, to the
    graph of the N-Triples export (PyLD lower-cases language tags when it expands, as
    JSON-LD 1.0 required: the comparison does too; the tags as written are checked above)."""
    import json

    from pyld import jsonld
    from rdflib import Graph
    from rdflib import Literal as RLiteral
    from rdflib.compare import isomorphic

    from kzgraph.namespaces import PREFIXES
    from kzgraph.serialization import jsonld_context

    def lowered(graph: Graph) -> Graph:
        out = Graph()
        for s, p, o in graph:
            if isinstance(o, RLiteral) and o.language:
                o = RLiteral(str(o), lang=o.language.lower())
            out.add((s, p, o))
        return out

    nt = Graph().parse(data=export(runner, fx_args, "-f", "nt", "--inferred"), format="nt")
    compact = json.loads(export(runner, fx_args, "-f", "jsonld", "--inferred"))
    expanded = json.loads(export(runner, fx_args, "-f", "jsonld-expanded", "--inferred"))
    assert compact["@context"] == jsonld_context(PREFIXES)
    assert "person:ozal" in {node["@id"] for node in compact["@graph"]}
    assert isinstance(expanded, list)
    assert all(node["@id"].startswith(("https://", "_:")) for node in expanded)
    for doc in (compact, expanded):
        quads = jsonld.to_rdf(doc, {"format": "application/n-quads"})
        assert isomorphic(lowered(Graph().parse(data=quads, format="nt")), lowered(nt))


@pytest.mark.parametrize("fmt", ["jsonld", "jsonld-expanded", "xml", "trig"])
def test_each_format_is_byte_identical_from_two_builds(
    fx_args: list[str], tmp_path: Path, fmt: str
) -> None:
    outputs = {
        export_with(tmp_path / f"cache{i}", fx_args, "-f", fmt, "--inferred") for i in (1, 2)
    }
    assert len(outputs) == 1


def test_the_base_comes_from_the_option_the_environment_or_the_metadata_file(
    runner: CliRunner, copied_project: Project
) -> None:
    args = project_args(copied_project)
    (copied_project.data_dir / "dataset.toml").write_text(
        f'resources = "{NEW_BASE}"\n', encoding="utf-8"
    )
    from_file = export(runner, args, "-f", "nt").decode()
    assert f"<{NEW_BASE}person/ozal>" in from_file and RESOURCE_BASE not in from_file
    env = runner.invoke(
        cli, [*args, "export", "-f", "nt"], env={"KZGRAPH_BASE": "https://env.example.org/"}
    )
    assert env.exit_code == 0, env.stderr
    assert "<https://env.example.org/person/ozal>" in env.stdout
    option = runner.invoke(
        cli,
        [*args, "export", "-f", "nt", "--base", "https://opt.example.org/"],
        env={"KZGRAPH_BASE": "https://env.example.org/"},
    )
    assert "<https://opt.example.org/person/ozal>" in option.stdout
    (copied_project.data_dir / "dataset.toml").write_text('resources = "x"\n', encoding="utf-8")
    bad = runner.invoke(cli, [*args, "export"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith(f"Error: {copied_project.data_dir / 'dataset.toml'}:1: ")


# --------------------------------------------------------------------------- streamed lines


@pytest.mark.parametrize("base", [None, NEW_BASE])
def test_the_streamed_cache_files_are_the_export(bundled_cache: Path, base: str | None) -> None:
    """What publish streams (each cache file's lines through skolemise_lines, from the
    rebased folder when there is a base) is the export's graph, line for line, on both
    build paths."""
    from kzgraph.export import export_graphs, line_blocks, rebased_entry, skolemise_lines
    from kzgraph.render import render_rdf
    from kzgraph.store import build

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KZGRAPH_CACHE", str(bundled_cache))
        entry = build(BUNDLED).entry
    folder = rebased_entry(entry.path, base) if base else entry.path
    streamed = b"".join(
        skolemise_lines(block)
        for name in ("asserted.nt", "inferred.nt")
        for block in line_blocks(folder / name, size=4096)
    )
    lines = streamed.decode("utf-8").splitlines()
    exported = render_rdf(export_graphs(entry, inferred=True, base=base), "nt")
    assert len(lines) == len(set(lines)) == entry.asserted_count + entry.inferred_count
    assert set(lines) == set(exported.decode("utf-8").splitlines())
    assert sum("<https://w3id.org/kzgraph/genid/" in line for line in lines) > 0
    assert not any(line.startswith("_:") or " _:" in line.split('"')[0] for line in lines)


def test_streamed_lines_leave_literals_datatypes_and_predicates_alone(tmp_path: Path) -> None:
    """Only a subject (it starts the line) and an object (it ends it) are terms to move;
    text that looks like a term inside a literal stays as it is."""
    from kzgraph.export import (
        _read_ntriples,
        blank_lines,
        line_blocks,
        rebase_lines,
        skolemise,
        skolemise_lines,
    )
    from kzgraph.render import render_rdf

    r = RESOURCE_BASE
    written = (
        "_:b0 <http://example.org/p> _:b1 .\n"
        f'<{r}a> <http://example.org/p> "x _:b2 ." .\n'
        f"<{r}a> <{r}p> <{r}b> .\n"
        f'<{r}a> <http://example.org/p> "v <{r}q> ." .\n'
        f'<{r}a> <http://example.org/p> "v <{r}q"^^<http://example.org/d> .\n'
        f'<{r}a> <http://example.org/p> "1"^^<{r}dt> .\n'
        f'<{r}a> <http://example.org/p> "v <{r}q> .\\"" .\n'
        '_:x <http://example.org/p> "y"@kk-Cyrl .\n'
        f'<{r}a> <http://example.org/p> "no newline at the end" .'
    )
    path = tmp_path / "lines.nt"
    path.write_text(written, encoding="utf-8")
    blocks = list(line_blocks(path, size=16))
    assert b"".join(blocks) == written.encode() + b"\n"
    assert all(block.endswith(b"\n") for block in blocks)
    assert sum(blank_lines(block) for block in blocks) == 2
    streamed = b"".join(rebase_lines(skolemise_lines(b), NEW_BASE) for b in blocks).decode()
    want = render_rdf({None: rebase(skolemise(_read_ntriples(path)), NEW_BASE)}, "nt").decode()
    assert sorted(streamed.splitlines()) == sorted(want.splitlines())
    assert f"<{NEW_BASE}a> <{r}p> <{NEW_BASE}b> ." in streamed.splitlines()
    assert f'"v <{r}q> ." .' in streamed and f'"1"^^<{r}dt> .' in streamed
    assert '"x _:b2 ." .' in streamed
