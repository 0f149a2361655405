"""The serving guide's "One base for the resources": every ``$`` line of its console blocks
(before the catalog example, which needs a store) runs, in order, in one environment, and
writes what the text says (resource IRIs under the base, none left under w3id.org); its
``dataset.toml`` snippet moves the resources without any option or variable."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kzgraph.cli import cli
from test_remote import free_port

ROOT = Path(__file__).parent.parent
GUIDE = ROOT / "docs" / "serving-and-publishing.md"
ARGS = ["--data", str(ROOT / "data"), "--ontology", str(ROOT / "ontology")]
ARGS += ["--queries", str(ROOT / "queries")]
BASE = "https://data.example.org/kz/"
W3ID_RESOURCE = "https://w3id.org/kzgraph/resource/"


def section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("### One base for the resources")
    return text[start : text.index("#### The whole catalog on a rebased store", start)]


def blocks(kind: str) -> list[str]:
    text = section()
    return [
        re.sub(r"(?m)^ {3}", "", body)
        for body in re.findall(rf"(?ms)^ *```{kind}\n(.*?)^ *```", text)
    ]


def console_blocks() -> list[list[str]]:
    found = [
        [line[2:] for line in block.splitlines() if line.startswith("$ ")]
        for block in blocks("console")
    ]
    assert found and all(found), "the base section has no console example"
    return found


def serve_lines() -> list[str]:
    return [
        line for block in console_blocks() for line in block if line.startswith("kzgraph serve")
    ]


def written(path: Path) -> str:
    """The text kzgraph wrote at ``path`` (a folder: its queries.html)."""
    return (path / "queries.html" if path.is_dir() else path).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "block",
    [b for b in console_blocks() if not b[0].startswith("kzgraph serve")],
    ids=lambda b: b[-1],
)
def test_every_console_line_runs(
    block: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KZGRAPH_BASE", raising=False)
    env: dict[str, str | None] = {"KZGRAPH_BASE": None}
    for line in block:
        words = shlex.split(line)
        if words[0] == "export":  # the shell's: the variable holds for the lines after it
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        assert words[0] == "kzgraph", f"not a kzgraph command: {line}"
        result = CliRunner(env=env).invoke(cli, [*ARGS, *words[1:]])
        assert result.exit_code == 0, f"{line}: {result.stderr}"
        output = tmp_path / words[words.index("-o") + 1]
        text = written(output)
        assert BASE in text, line
        assert W3ID_RESOURCE not in text, line
        assert "https://w3id.org/kzgraph/ontology#" in text, line  # the ontology stays


def test_the_dataset_toml_snippet_sets_the_base(tmp_path: Path) -> None:
    (snippet,) = blocks("toml")
    assert snippet.strip() == f'resources = "{BASE}"'
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    toml = data / "dataset.toml"
    before = toml.read_text(encoding="utf-8")
    after = re.sub(r'(?m)^resources = ".*"$', snippet.strip(), before)
    assert after != before
    toml.write_text(after, encoding="utf-8")
    out = tmp_path / "kzgraph.ttl"
    args = ["--data", str(data), "--ontology", str(ROOT / "ontology"), "--queries"]
    args += [str(ROOT / "queries"), "export", "-o", str(out)]
    result = CliRunner(env={"KZGRAPH_BASE": None}).invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert f"<{BASE}state/>" in text and W3ID_RESOURCE not in text


@pytest.mark.parametrize("line", serve_lines())
def test_the_serve_line_serves_the_rebased_iris(line: str, kzgraph_exe: str) -> None:
    """The proxy example, run as the real command (on a free port rather than 8000): the
    path the proxy forwards a rebased IRI to answers with rebased IRIs only."""
    words = shlex.split(line)
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [kzgraph_exe, *ARGS, *words[1:], "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if k != "KZGRAPH_BASE"},
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    page = httpx.get(f"http://127.0.0.1:{port}/state/kazakhstan", timeout=5)
                    break
                except httpx.HTTPError:
                    assert process.poll() is None and time.monotonic() < deadline
                    time.sleep(0.2)
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert page.status_code == 200
    assert f"{BASE}state/kazakhstan" in page.text and W3ID_RESOURCE not in page.text
    assert 'href="/kz/state/turkey"' in page.text
