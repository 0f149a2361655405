"""kzgraph.metadata: data/dataset.toml is read, defaulted and checked with file:line errors.

The end-to-end runs (the installed ``kzgraph`` refusing a bad file before building) are in
the bad-input corpus (``tests/bad-input/dataset-*.toml``); here the positions of keys in
tables, inline tables and arrays of tables, and the defaults.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from kzgraph.errors import InputError
from kzgraph.metadata import parse_metadata, read_metadata

ROOT = Path(__file__).parent.parent


def test_the_bundled_file_states_the_defaults() -> None:
    bundled = read_metadata(ROOT / "data")
    assert bundled.path == ROOT / "data" / "dataset.toml"
    assert dataclasses.replace(bundled, path=None) == parse_metadata("")
    assert bundled.version == "1.0.0" and bundled.version_iri() == (
        "https://w3id.org/kzgraph/dataset/1.0.0"
    )
    assert bundled.issued < bundled.modified


def test_a_folder_without_the_file_gets_the_defaults(tmp_path: Path) -> None:
    assert read_metadata(tmp_path) == parse_metadata("")


def test_a_key_left_out_keeps_its_default() -> None:
    meta = parse_metadata('title = "Mine"\n[publisher]\nname = "A library"\n')
    assert meta.title == "Mine" and meta.publisher.name == "A library"
    assert meta.publisher.url == "https://w3id.org/kzgraph/"  # the default of a table's key
    assert meta.sparql_endpoint == "https://w3id.org/kzgraph/sparql"


def test_endpoint_and_downloads_follow_the_base() -> None:
    meta = parse_metadata('base = "https://data.example.org/kz/"\n')
    assert meta.dataset == "https://data.example.org/kz/dataset"
    assert meta.sparql_endpoint == "https://data.example.org/kz/sparql"
    assert meta.downloads == "https://data.example.org/kz/dump/"


RELEASES = """\
title = "x"

[[release]]
version = "1.1.0"
date = 2026-03-01
notes = "second"

[[release]]
version = "1.0.0"
date = 2026-04-01
notes = "first"
"""


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (RELEASES, 10, "release.date: releases go newest first: 2026-04-01 after 2026-03-01"),
        ('[publisher]\nname = "A"\nurl = "library.example.org"\n', 3,
         "publisher.url: expected an absolute http(s) IRI"),
        ('publisher = { name = 3 }\n', 1, "publisher.name: expected a string, got a number"),
        ('[[spatial]]\ncode = "KAZ"\nlabel = "K"\nbbox = "POINT(1 2)"\ncentroid = "POINT(1 2)"\n',
         4, "spatial.bbox: expected WKT POLYGON(...)"),
        ('[[spatial]]\ncode = "KZ"\nlabel = "K"\nbbox = "POLYGON((1 2))"\n'
         'centroid = "POINT(1 2)"\n',
         2, "spatial.code: 'KZ' is not one of a three-letter"),
        ('[temporal]\nstart = 2020-01-01\nend = 1991-01-01\n', 3,
         "temporal.end: ends (1991-01-01) before it starts (2020-01-01)"),
        ('[contact]\nemail = "nobody"\n', 2, "contact.email: not an e-mail address"),
        ('[keywords]\nEnglish = ["a"]\n', 2, "keywords.English: 'English' is not a language tag"),
        ('[[release]]\nversion = "1"\ndate = 2026-01-01\nnotes = "n"\n', 2,
         "release.version: expected MAJOR.MINOR.PATCH"),
        ('[[release]]\nversion = "1.0.0"\nnotes = "n"\n', 1, "release: release 1 has no date"),
        ('issued = 2030-01-01\n', 1, "issued: 2030-01-01 is after the first release"),
        ('[source]\nhandel = "enu/1"\n', 2, "source.handel: unknown key; did you mean 'handle'?"),
        ('issued = 2026-01-01T10:00:00\n', 1, "issued: expected a date written YYYY-MM-DD"),
    ],
)  # fmt: skip
def test_a_bad_value_names_its_line(text: str, where: int, message: str) -> None:
    path = Path("data/dataset.toml")
    with pytest.raises(InputError) as caught:
        parse_metadata(text, path)
    assert caught.value.line == where, str(caught.value)
    assert caught.value.message.startswith(message), str(caught.value)
    assert str(caught.value).startswith(f"data/dataset.toml:{where}: ")


def test_a_syntax_error_names_line_and_column() -> None:
    with pytest.raises(InputError) as caught:
        parse_metadata('title = "x"\nissued = 2026-13-01\n', Path("dataset.toml"))
    assert caught.value.line == 2 and caught.value.col is not None
    assert str(caught.value).startswith(f"dataset.toml:2:{caught.value.col}: ")


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "dataset.toml").write_bytes(b'title = "x"\ndescription = "caf\xe9"\n')
    with pytest.raises(InputError) as caught:
        read_metadata(tmp_path)
    assert caught.value.line == 2 and "not UTF-8" in caught.value.message


def test_dates_are_toml_dates() -> None:
    meta = parse_metadata("[temporal]\nstart = 1992-01-01\n")
    assert meta.temporal == (dt.date(1992, 1, 1), dt.date(2020, 12, 31))
