"""kzgraph.diff and ``kzgraph diff``: on copies of the real data folder, on exports, and the
patch applied to a real Oxigraph server (started from PyPI's ``oxigraph``, as in
test_remote) until the store holds exactly the new release."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from conftest import project_args
from kzgraph.cli import cli
from kzgraph.project import Project
from test_remote import server  # noqa: F401 - the real Oxigraph server fixture

ROOT = Path(__file__).parent.parent
NAZARBAYEV = "https://w3id.org/kzgraph/resource/person/nursultan-nazarbayev"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def releases(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two copies of the bundled data folder; the second one is release 1.1.0 with one
    label changed, one triple added and one resource's statement removed."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(ROOT / "data", old)
    shutil.copytree(ROOT / "data", new)
    persons = (new / "persons.ttl").read_text(encoding="utf-8")
    assert persons.count('rdfs:label "Nursultan Nazarbayev"@en') == 1
    persons = persons.replace(
        'rdfs:label "Nursultan Nazarbayev"@en', 'rdfs:label "Nursultan Ä. Nazarbayev"@en'
    )
    persons += '\nperson:nursultan-nazarbayev rdfs:comment "First President of Kazakhstan."@en .\n'
    (new / "persons.ttl").write_text(persons, encoding="utf-8")
    meta = (new / "dataset.toml").read_text(encoding="utf-8")
    meta = meta.replace('[[release]]\nversion = "1.0.0"', '[[release]]\nversion = "1.1.0"\n'
                        'date = 2026-12-07\nnotes = "A comment and a label."\n\n'
                        '[[release]]\nversion = "1.0.0"', 1)  # fmt: skip
    (new / "dataset.toml").write_text(meta, encoding="utf-8")
    yield old, new


def test_two_data_folders_by_resource_with_labels(releases: tuple[Path, Path]) -> None:
    old, new = releases
    code, out, err = run("diff", str(old), str(new))
    assert code == 1, err
    assert out == (
        f"--- {old} (version 1.0.0)\n"
        f"+++ {new} (version 1.1.0)\n"
        "1 resource changed: 1 triple removed, 2 added\n"
        "\n"
        "person:nursultan-nazarbayev  Nursultan Ä. Nazarbayev\n"
        '  - rdfs:label "Nursultan Nazarbayev"@en\n'
        '  + rdfs:comment "First President of Kazakhstan."@en\n'
        '  + rdfs:label "Nursultan Ä. Nazarbayev"@en\n'
    )
    assert err == "kzgraph: 1 triple removed, 2 added\n"


def test_the_same_data_is_no_difference(releases: tuple[Path, Path]) -> None:
    old, _new = releases
    code, out, _err = run("diff", str(old), str(ROOT / "data"))
    assert code == 0
    assert "0 resources changed: 0 triples removed, 0 added" in out
    code, out, _err = run("diff", str(old), str(ROOT / "data"), "-f", "sparql")
    assert code == 0 and "DATA" not in out


def test_blank_nodes_match_by_their_place_not_their_label(tmp_path: Path) -> None:
    head = "@prefix ex: <http://example.org/> .\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.ttl").write_text(
        head + 'ex:s ex:p [ ex:q "1" ; ex:r [ ex:q "2" ] ] .\n', encoding="utf-8"
    )
    (tmp_path / "b" / "x.ttl").write_text(
        head + 'ex:s ex:p _:n1 .\n_:n1 ex:r _:n2 ; ex:q "1" .\n_:n2 ex:q "2" .\n',
        encoding="utf-8",
    )
    assert run("diff", str(tmp_path / "a"), str(tmp_path / "b"))[0] == 0
    (tmp_path / "b" / "x.ttl").write_text(
        head + 'ex:s ex:p [ ex:q "1" ; ex:r [ ex:q "3" ] ] .\n', encoding="utf-8"
    )
    code, out, _err = run("diff", str(tmp_path / "a"), str(tmp_path / "b"), "-f", "sparql")
    assert code == 1 and "_:" not in out
    assert "<https://w3id.org/kzgraph/genid/" in out  # skolem IRIs, as export writes them


def _store_triples(url: str, graph: str = "default") -> set[str]:
    request = urllib.request.Request(
        f"{url}/store?{graph}", headers={"Accept": "application/n-triples"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        data = answer.read()
    return {str(t) for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}


def _as_a_store_keeps_it(data: bytes) -> set[str]:
    """The triples of an N-Triples export as Oxigraph stores them (literals canonical)."""
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.N_TRIPLES)
    return {str(ox.Triple(q.subject, q.predicate, q.object)) for q in store}


def test_the_patch_turns_the_old_release_into_the_new_on_a_real_store(
    copied_project: Project,
    tmp_path: Path,
    server: str,  # noqa: F811
) -> None:
    old_args = project_args(copied_project)
    old_dump, new_dump = tmp_path / "kzgraph-1.0.0.nt", tmp_path / "kzgraph-1.1.0.nt"
    assert run(*old_args, "export", "-f", "nt", "--inferred", "-o", str(old_dump))[0] == 0
    events = copied_project.data_dir / "events.ttl"
    text = events.read_text(encoding="utf-8")
    events.write_text(text + '\n<https://w3id.org/kzgraph/resource/event/new-visit> '
                      '<http://www.w3.org/2000/01/rdf-schema#label> "A new visit"@en .\n',
                      encoding="utf-8")  # fmt: skip
    assert run(*old_args, "export", "-f", "nt", "--inferred", "-o", str(new_dump))[0] == 0
    code, patch, _err = run("diff", str(old_dump), str(new_dump), "-f", "sparql")
    assert code == 1 and patch.startswith("# kzgraph diff ")
    assert "INSERT DATA" in patch and "A new visit" in patch

    put = urllib.request.Request(
        f"{server}/store?default", data=old_dump.read_bytes(), method="PUT",
        headers={"Content-Type": "application/n-triples"},
    )  # fmt: skip
    urllib.request.urlopen(put, timeout=30).close()
    assert _store_triples(server) == _as_a_store_keeps_it(old_dump.read_bytes())
    update = urllib.request.Request(
        f"{server}/update", data=patch.encode("utf-8"), method="POST",
        headers={"Content-Type": "application/sparql-update"},
    )  # fmt: skip
    urllib.request.urlopen(update, timeout=30).close()
    assert _store_triples(server) == _as_a_store_keeps_it(new_dump.read_bytes())


def test_the_help_examples_run(
    releases: tuple[Path, Path],
    tmp_path: Path,
    server: str,  # noqa: F811
    kzgraph_exe: str,
) -> None:
    old, new = releases
    work = tmp_path / "work"
    (work / "old-release").mkdir(parents=True)
    shutil.copytree(old, work / "old-release" / "data")
    shutil.copytree(new, work / "data")
    (work / "kzgraph-1.0.0.nt").write_bytes(b"<http://a> <http://b> <http://c> .\n")
    (work / "kzgraph-1.1.0.nt").write_bytes(b"<http://a> <http://b> <http://d> .\n")
    help_text = run("diff", "--help")[1]
    examples = [
        line.strip()
        for line in help_text.split("Examples:", 1)[1].split("Options:", 1)[0].splitlines()
        if line.strip()
    ]
    assert len(examples) == 3
    for example in examples:
        command = example.replace("http://127.0.0.1:7878", server)
        done = subprocess.run(
            ["bash", "-c", command.replace("kzgraph ", f"{kzgraph_exe} ", 1)],
            cwd=work, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode in (0, 1), (example, done.stderr)
        assert "Error" not in done.stderr, (example, done.stderr)
    assert (work / "patch.ru").read_text().startswith("# kzgraph diff ")
    assert "<http://d>" in (work / "patch.ru").read_text()
    assert _store_triples(server) >= {"<http://a> <http://b> <http://d>"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-folder", "data"], "Error: no-such-folder: no such file or folder"),
        (["notes.txt", "data"], "Error: notes.txt: not a data folder nor a dump this reads"),
        (["bad.nt", "data"], "Error: bad.nt:1:"),
        (["data", "data", "--graph", "not an iri"], "Error: --graph needs an absolute IRI"),
    ],
)
def test_bad_sides_are_one_line_errors(
    tmp_path: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "notes.txt").write_text("notes\n")
    (tmp_path / "bad.nt").write_text("<http://a> <http://b> .\n")
    code, out, err = run("diff", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith(message), err


def test_changed_data_under_the_same_version_is_a_warning(releases: tuple[Path, Path]) -> None:
    old, new = releases
    shutil.copyfile(old / "dataset.toml", new / "dataset.toml")
    code, _out, err = run("diff", str(old), str(new))
    assert code == 1
    assert err.splitlines()[-1] == (
        "kzgraph: warning: the data changed but both say version 1.0.0: add a [[release]] to "
        f"{new / 'dataset.toml'}"
    )
