"""kzgraph.load and kzgraph.project: parsing, source tracking, error locations, hashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kzgraph.errors import InputError, ParseError
from kzgraph.load import load_graph, parse_turtle, read_text
from kzgraph.project import Project, input_hash

PREFIX = "@prefix ex: <http://example.org/> .\n"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_load_graph_unions_files_and_records_defining_file(fixture_project: Project) -> None:
    loaded = load_graph(fixture_project.data_files())
    assert len(loaded.graph) > 40
    nazarbayev = "https://w3id.org/kzgraph/resource/person/nazarbayev"
    assert loaded.source_of(nazarbayev).endswith("people.ttl")
    tenure = "https://w3id.org/kzgraph/resource/tenure/nazarbayev-president"
    assert loaded.source_of(tenure).endswith("events.ttl")
    assert loaded.source_of("http://example.org/nothing") is None


def test_subject_in_two_files_lists_both(tmp_path: Path) -> None:
    a = write(tmp_path, "a.ttl", PREFIX + "ex:x ex:p 1 .\n")
    b = write(tmp_path, "b.ttl", PREFIX + "ex:x ex:q 2 .\n")
    loaded = load_graph([a, b])
    owners = loaded.sources["http://example.org/x"]
    assert [Path(o).name for o in owners] == ["a.ttl", "b.ttl"]


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.ttl",
        PREFIX + 'ex:a ex:b ex:c .\nex:d ex:e "x" ;\n   ex:f ex:g\nex:h ex:i ex:j .\n',
    )
    with pytest.raises(ParseError) as caught:
        parse_turtle(path)
    error = caught.value
    assert (error.line, error.col) == (5, 1)
    assert str(error).startswith(f"{error.path}:5:1: ")
    assert "expected" in error.message


def test_undefined_prefix_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.ttl", PREFIX + "\nex:a  foo:b ex:c .\n")
    with pytest.raises(ParseError) as caught:
        parse_turtle(path)
    assert caught.value.line == 3
    assert caught.value.col == 7
    assert "undefined prefix 'foo:'" in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        parse_turtle(tmp_path / "nope.ttl")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        read_text(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path, "x.ttl", b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(InputError, match="binary file"):
        parse_turtle(path)


def test_non_utf8_file_points_at_the_byte(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.ttl", (PREFIX + 'ex:a ex:b "Özal" .\n').encode("latin-1"))
    with pytest.raises(InputError) as caught:
        parse_turtle(path)
    assert "not UTF-8" in caught.value.message
    assert (caught.value.line, caught.value.col) == (2, 12)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "locked.ttl", PREFIX)

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(InputError, match="cannot read file: Permission denied"):
        parse_turtle(path)


def test_input_hash_tracks_content_and_is_stable(tmp_path: Path) -> None:
    path = write(tmp_path, "a.ttl", PREFIX + "ex:a ex:b 1 .\n")
    first = input_hash([path])
    assert input_hash([path]) == first
    write(tmp_path, "a.ttl", PREFIX + "ex:a ex:b 2 .\n")
    assert input_hash([path]) != first
    with pytest.raises(InputError):
        input_hash([tmp_path / "missing.ttl"])


def test_project_lists_files_by_role(fixture_project: Project) -> None:
    assert [p.name for p in fixture_project.shapes_files()] == ["shapes.ttl"]
    assert [p.name for p in fixture_project.ontology_files()] == ["kzgraph.ttl"]
    assert [p.name for p in fixture_project.data_files()] == [
        "events.ttl",
        "paragraphs.ttl",
        "people.ttl",
    ]


def test_project_errors_on_missing_or_empty_data(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="data folder not found"):
        Project(tmp_path / "none", tmp_path, tmp_path).data_files()
    with pytest.raises(InputError, match="no .ttl files"):
        Project(tmp_path, tmp_path, tmp_path).data_files()


def test_locate_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KZGRAPH_DATA", str(tmp_path))
    assert Project.locate().data_dir == tmp_path
    assert Project.locate(data=tmp_path / "x").data_dir == tmp_path / "x"


# ------------------------------------------------------------------ accepted, with a warning

BOM = b"\xef\xbb\xbf"


def test_byte_order_mark_is_dropped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.ttl", BOM + (PREFIX + 'ex:a ex:p "x" .\n').encode())
    loaded = load_graph([path])
    assert len(loaded.graph) == 1
    assert [str(s) for s in loaded.graph.subjects()] == ["http://example.org/a"]
    assert loaded.warnings == (
        f"{path}: starts with a UTF-8 byte-order mark (BOM); read without it",
    )


def test_byte_order_mark_keeps_positions_of_later_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.ttl", BOM + (PREFIX + "ex:a ex:p ex:b ;\n").encode())
    with pytest.raises(ParseError) as caught:
        load_graph([path])
    assert (caught.value.line, caught.value.col) == (2, 17)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"", "empty"),
        (b"\n  \n\t\n", "only whitespace and comments"),
        (b"# nothing here\n\n# still nothing\n", "only whitespace and comments"),
        (BOM, "empty"),
    ],
)
def test_file_without_triples_is_accepted_with_a_warning(
    tmp_path: Path, content: bytes, what: str
) -> None:
    empty = write(tmp_path, "empty.ttl", content)
    full = write(tmp_path, "full.ttl", PREFIX + "ex:a ex:p 1 .\n")
    loaded = load_graph([empty, full])
    assert len(loaded.graph) == 1
    assert f"{empty}: no triples in this file ({what}); nothing loaded from it" in loaded.warnings
    assert not any(w.startswith(str(full)) for w in loaded.warnings)


def test_prefixes_without_triples_are_still_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "cut.ttl", PREFIX + "# the data was never written\n")
    with pytest.raises(ParseError, match="only prefixes"):
        load_graph([path])


def test_plain_file_has_no_warnings(fixture_project: Project) -> None:
    assert load_graph(fixture_project.data_files()).warnings == ()


def test_read_text_still_refuses_a_byte_order_mark_unless_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "q.rq", BOM + b"SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(InputError, match="byte-order mark"):
        read_text(path)
    assert read_text(path, allow_bom=True) == "SELECT * WHERE { ?s ?p ?o }\n"
