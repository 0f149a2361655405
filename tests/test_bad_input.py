"""Hostile and broken input, run through the installed ``kzgraph`` in a subprocess.

The corpus is ``tests/bad-input/``: the bad files themselves, and ``cases.toml``, one
``[[case]]`` per run with where the file goes, the command line, the exit code, a
fragment of the message and the file:line:col it must name.  Inputs too big or too odd
to commit (a 50 MB literal, binary, UTF-16, a byte-order mark, CRLF line endings,
10,000 levels of nesting) are made by the generators below, named in the manifest.

Every case runs on a fresh copy of the fixture project with its own ``KZGRAPH_CACHE``
and asserts: the exit code; stderr is one ``Error: <where>: ...`` line (plus the hint
line the case names, if any) holding the fragment; no traceback; an end within the
subprocess time limit (a hang fails, it is not a timing test); nothing written -- no
cache entry, no output file, the project's files byte-for-byte unchanged.  Cases that
build run on both build paths (``--engine reference`` and ``--engine fast``), which must
refuse the same input with the same line.  A few inputs are accepted on purpose
(``exit = 0``; see each case's ``decision``), some with one ``Warning: <file>: ...``
line on stderr (the case's ``warning``: a byte-order mark, a file without triples).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: the test extra installs tomli there
    import tomli as tomllib

CORPUS = Path(__file__).parent / "bad-input"
FIXTURES = Path(__file__).parent / "fixtures"
MANIFEST: list[dict[str, Any]] = tomllib.loads((CORPUS / "cases.toml").read_text("utf-8"))["case"]
# seconds: generous, so only a hang (or a pathological slowdown) fails; the 10,000-item list
# builds in about 50 s on the reference path on 2 quiet cores, and ran past 120 s at load 6-8
TIMEOUT = 300
ENGINES = ("reference", "fast")
PREFIXES = (
    "@prefix ex: <http://example.org/> .\n"
    "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
)
GOOD = 'ex:a rdfs:label "a" .\nex:b rdfs:label "b" .\n'


# --------------------------------------------------------------------------- generators


def _literal_50mb(target: Path) -> None:
    """50 MiB in one string literal: over Oxigraph's 16 MiB token buffer (the file is
    over 2 MB, so the build takes the fast path by itself)."""
    with open(target, "wb") as out:
        out.write(("# Invalid: a 50 MB literal.\n" + PREFIXES).encode())
        out.write(b'ex:a rdfs:comment "')
        chunk = b"fifty megabytes of text " * 43690  # ~1 MiB
        for _ in range(50):
            out.write(chunk)
        out.write(b'" .\n')


def _deep_list(target: Path) -> None:
    depth = 10_000
    body = "ex:a kz:citation " + "(" * depth + ")" * depth + " .\n"
    target.write_text("# Invalid: 10,000 nested lists.\n" + PREFIXES + body, encoding="utf-8")


def _deep_blank_nodes(target: Path) -> None:
    depth = 10_000
    body = "ex:a kz:citation " + "[ kz:citation " * depth + "[]" + " ]" * depth + " .\n"
    target.write_text("# Invalid: 10,000 nested blank nodes.\n" + PREFIXES + body, "utf-8")


def _binary(target: Path) -> None:
    target.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def _utf16(target: Path) -> None:
    target.write_bytes(("# Invalid: UTF-16.\n" + PREFIXES + GOOD).encode("utf-16"))


def _utf16_without_bom(target: Path) -> None:
    target.write_bytes(("# Invalid: UTF-16 without BOM.\n" + PREFIXES + GOOD).encode("utf-16-le"))


def _bom(target: Path) -> None:
    target.write_bytes(b"\xef\xbb\xbf" + ("# A byte-order mark.\n" + PREFIXES + GOOD).encode())


def _crlf(target: Path) -> None:
    text = "# Windows line endings: valid Turtle.\n" + PREFIXES + GOOD
    target.write_bytes(text.replace("\n", "\r\n").encode())


def _long_collection(target: Path) -> None:
    body = "ex:a kz:citation (" + " ".join(str(i) for i in range(10_000)) + ") .\n"
    target.write_text("# A flat list of 10,000 items.\n" + PREFIXES + body, encoding="utf-8")


def _unreadable(target: Path) -> None:
    # a link to nothing: unreadable for every user, root included (chmod 0 is not, for root)
    target.symlink_to(target.with_name("moved-away.ttl"))


GENERATORS: dict[str, Callable[[Path], None]] = {
    "literal-50mb": _literal_50mb,
    "deep-list": _deep_list,
    "deep-blank-nodes": _deep_blank_nodes,
    "binary": _binary,
    "utf16": _utf16,
    "utf16-without-bom": _utf16_without_bom,
    "bom": _bom,
    "crlf": _crlf,
    "long-collection": _long_collection,
    "unreadable": _unreadable,
}


@pytest.fixture(scope="session")
def big_literal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 50 MB file, written once per session and hard-linked into each project."""
    path = tmp_path_factory.mktemp("big") / "literal-50mb.ttl"
    _literal_50mb(path)
    return path


# --------------------------------------------------------------------------- running


def _runs() -> list[Any]:
    runs = []
    for case in MANIFEST:
        engines = ENGINES if case.get("both_engines") else (None,)
        for engine in engines:
            name = case["name"] + (f"-{engine}" if engine else "")
            runs.append(pytest.param(case, engine, id=name))
    return runs


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> SHA-256) and every folder."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            found[str(path.relative_to(root)) + "/"] = "dir"
    return found


def prepare(case: dict[str, Any], tmp: Path, big_literal: Path | None = None) -> Path:
    """A fresh copy of the fixture project with the case's file in place; returns its root."""
    root = tmp / "project"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("scale"))
    if "into" in case:
        target = root / case["into"] / case.get("as", case.get("file", case["name"] + ".ttl"))
        target.parent.mkdir(parents=True, exist_ok=True)
        if "file" in case:
            shutil.copyfile(CORPUS / case["file"], target)
        elif case["generator"] == "literal-50mb" and big_literal is not None:
            os.link(big_literal, target)
        else:
            GENERATORS[case["generator"]](target)
    return root


def command(case: dict[str, Any], engine: str | None, root: Path, tmp: Path) -> list[str]:
    args = [a.replace("{tmp}", str(tmp)) for a in case.get("args", ["build"])]
    if engine is not None:
        args += ["--engine", engine]
    return ["--data", "data", "--ontology", "ontology", "--queries", "queries", *args]


def run_case(
    exe: str, case: dict[str, Any], engine: str | None, root: Path, tmp: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KZGRAPH_CACHE": str(tmp / "cache"), "LC_ALL": "C.UTF-8"}
    env.pop("KZGRAPH_DATA", None)
    return subprocess.run(
        [exe, *command(case, engine, root, tmp)],
        cwd=root,
        env=env,
        input=case.get("stdin", ""),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=TIMEOUT,
        check=False,
    )


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize(("case", "engine"), _runs())
def test_bad_input(
    case: dict[str, Any],
    engine: str | None,
    kzgraph_exe: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    big = (
        request.getfixturevalue("big_literal") if case.get("generator") == "literal-50mb" else None
    )
    root = prepare(case, tmp_path, big)
    (tmp_path / "cache").mkdir()
    before = _snapshot(root), _snapshot(tmp_path / "cache"), sorted(os.listdir(tmp_path))

    result = run_case(kzgraph_exe, case, engine, root, tmp_path)

    stderr = result.stderr
    assert "Traceback" not in stderr, stderr
    assert result.returncode == case["exit"], stderr
    assert case["message"] in stderr, stderr
    lines = stderr.splitlines()
    if case["exit"] == 0:  # accepted on purpose: the data loads and is cached
        assert not any(line.startswith("Error") for line in lines), stderr
        assert os.listdir(tmp_path / "cache"), "an accepted input builds the cache"
        warned = [line for line in lines if line.startswith("Warning: ")]
        expected = [f"Warning: {case['warning']}"] if "warning" in case else []
        assert warned == expected, stderr  # one line naming the file, or none
        return
    assert lines and lines[0].startswith("Error: "), stderr
    expected_lines = 2 if "hint" in case else 1
    assert len(lines) == expected_lines, f"expected {expected_lines} line(s):\n{stderr}"
    if "hint" in case:
        assert lines[1] == f"  {case['hint']}", stderr
    where = case["where"]
    if where:  # the file and the position, right after "Error: "
        assert lines[0].startswith(f"Error: {where}: "), stderr
    assert result.stdout == "", "stdout carries results only"
    after = _snapshot(root), _snapshot(tmp_path / "cache"), sorted(os.listdir(tmp_path))
    assert after[0] == before[0], "the project's files changed"
    assert after[1] == before[1], "the cache changed"
    assert after[2] == before[2], "something was written next to the project"


def test_manifest_has_enough_cases_and_uses_every_file() -> None:
    names = [case["name"] for case in MANIFEST]
    assert len(names) >= 40
    assert len(set(names)) == len(names), "case names are unique"
    used = {case["file"] for case in MANIFEST if "file" in case}
    present = {p.name for p in CORPUS.iterdir() if p.name != "cases.toml"}
    assert present - used == set(), "files no case uses"
    assert used - present == set(), "cases whose file is missing"
    for case in MANIFEST:
        assert {"name", "exit", "message"} <= case.keys(), case
        assert "generator" not in case or case["generator"] in GENERATORS, case
        assert "into" not in case or ("file" in case) != ("generator" in case), case
        if case["exit"] != 0:
            assert "where" in case, f"{case['name']}: say where the error points ('' if nowhere)"
            assert case["where"] or case.get("no_position"), (
                f"{case['name']}: a case without a position says why (no_position)"
            )
        if "into" in case and case["exit"] != 0 and not case.get("no_position"):
            assert re.search(r":\d+(:\d+)?$", case["where"]), f"{case['name']}: file:line[:col]"
        if case["exit"] == 0:
            assert case.get("decision"), f"{case['name']}: an accepted input says why"
        if "warning" in case:
            assert case["exit"] == 0, f"{case['name']}: a warning is for an accepted input"
            assert case["warning"].startswith(f"{case['into']}/"), "a warning names the file"
