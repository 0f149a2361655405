"""Every benchmark command the guides show runs and prints its figures.

README.md and docs/*.md show benchmark commands (`python benchmarks/NAME.py ...`) beside the
figures they printed.  Each runs here as shown, made short where the guides' runs are long:
fewer repetitions, a second of load instead of ten, a graph of 2,000 triples instead of a
million (the options are appended, and argparse takes the last).  The benchmarks start real
servers (`kzgraph serve`, Oxigraph's, wrk) on 127.0.0.1, as in the guides; the figures
themselves are not checked, only that each command finishes and prints them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from generate import generate  # noqa: E402

#: a benchmark command in a guide's inline code (it may run over a line break)
COMMAND = re.compile(r"`python (benchmarks/(\w+)\.py)((?:\s+[^`\s]+)*)\s*`")
#: what makes each benchmark short
QUICK = {
    "ask": ["--runs", "1"],
    "cli": ["--runs", "1", "--build-runs", "1"],
    "http_parser": ["--duration", "1", "--rounds", "1"],
    "publish": ["--sizes", "2000"],
    "reliability": ["--duration", "5"],
    "resolve": ["--runs", "1"],
    "scale": ["--sizes", "2000", "--build-runs", "1"],
    "search": ["--runs", "1", "--builds", "1"],
    "serve": ["--duration", "1"],
}
#: a line each prints with its figures (a Markdown table's, or its own)
PRINTS = {
    "ask": "median of the medians",
    "cli": "kzgraph query timeline",
    "http_parser": "| httptools",
    "publish": "| 2,000 ",
    "reliability": "runaway",
    "resolve": "kzgraph describe, fresh process",
    "scale": "whole `kzgraph build`",
    "search": "marked words accepted",
    "serve": "| small SELECT",
}


def shown() -> list[tuple[str, str, tuple[str, ...]]]:
    """(guide, script name, arguments) of every benchmark command the guides show, once."""
    found: dict[tuple[str, tuple[str, ...]], str] = {}
    for guide in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for match in COMMAND.finditer(guide.read_text(encoding="utf-8")):
            key = (match.group(2), tuple(match.group(3).split()))
            found.setdefault(key, guide.name)
    return [(guide, name, args) for (name, args), guide in found.items()]


def test_the_guides_show_every_benchmark() -> None:
    """Each script in benchmarks/ but the generator (a helper the others call, shown with
    its own usage in the guides' prose) is shown as a command somewhere."""
    scripts = {p.stem for p in (REPO / "benchmarks").glob("*.py")} - {"generate"}
    assert {name for _guide, name, _args in shown()} == scripts == set(QUICK)


@pytest.mark.parametrize(
    ("guide", "name", "args"),
    shown(),
    ids=[f"{guide}: {name}.py {' '.join(args)}".strip() for guide, name, args in shown()],
)
def test_a_benchmark_command_the_guides_show_runs(
    guide: str, name: str, args: tuple[str, ...], tmp_path: Path
) -> None:
    data = generate(1000, seed=1, out=tmp_path / "data")
    placeholders = {"SIZE": "2000", "DIR": str(data)}
    command = [
        sys.executable,
        str(REPO / "benchmarks" / f"{name}.py"),
        *(placeholders.get(arg, arg) for arg in args),
        *QUICK[name],
    ]
    bin_dir = str(Path(sys.executable).parent)  # kzgraph and oxigraph, as installed
    env = {
        **os.environ,
        "KZGRAPH_CACHE": str(tmp_path / "cache"),
        "TMPDIR": str(tmp_path),  # the benchmarks' work folders
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
    }
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(command)} ({guide}):\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    assert PRINTS[name] in done.stdout, done.stdout
