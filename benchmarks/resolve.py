"""Print the figures of the name resolver (kzgraph.resolve) on the bundled data.

    python benchmarks/resolve.py             # about half a minute
    python benchmarks/resolve.py --runs 21

1. building the NameIndex from an engine (done once per process, or per worker of
   `kzgraph serve`), in the library;
2. one name resolved in a warm index (target <= 20 ms inside `kzgraph serve`), per tier;
3. `kzgraph query visits-by-person -p person NAME` as a fresh process with a warm cache,
   against the same command with the IRI (what resolving a name adds to a command).
Not a pass/fail test: it prints figures for docs/cli.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cli import cpu_model, kzgraph, timed  # noqa: E402 - the sibling benchmark's helpers

from kzgraph.project import Project  # noqa: E402
from kzgraph.query import open_engine  # noqa: E402
from kzgraph.resolve import NameIndex  # noqa: E402
from kzgraph.store import build  # noqa: E402

ROOT = Path(__file__).parent.parent
PROJECT = Project(ROOT / "data", ROOT / "ontology", ROOT / "queries")
#: one typed name per tier, and the tier it is expected to be decided in
NAMES = [
    ("person:suleyman-demirel", "iri"),
    ("Turgut Özal", "exact"),
    ("TURGUT OZAL", "folded"),
    ("Chiller", "surname"),
    ("Nazarbaev", "surname"),
    ("friendship treaty 1994", "words"),
    ("Nazarbaiev", "fuzzy"),
]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="repetitions of each timing")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}; load {Path('/proc/loadavg').read_text().split()[0]}")
    engine = open_engine(build(PROJECT).entry)

    builds = []
    for _ in range(args.runs):
        started = time.perf_counter()
        index = NameIndex.from_engine(engine)
        builds.append(time.perf_counter() - started)
    print(f"NameIndex.from_engine: {median_ms(builds):.1f} ms median ({len(index.names)} names)")

    print("one name in a warm index (median):")
    for typed, tier in NAMES:
        samples = []
        for _ in range(args.runs):
            started = time.perf_counter()
            found = index.lookup(typed)
            samples.append(time.perf_counter() - started)
        how = found[0].how if found else "none"
        print(f"  {typed!r:28} {how:9} (expected {tier:8}) {median_ms(samples):7.2f} ms")

    exe, env = kzgraph(), dict(os.environ)
    command = [exe, "query", "visits-by-person", "-p", "person"]
    by_iri = [timed([*command, "person:suleyman-demirel"], env) for _ in range(args.runs)]
    by_name = [timed([*command, "S. Demirel"], env) for _ in range(args.runs)]
    print(
        f"kzgraph query visits-by-person, fresh process: with the IRI {median_ms(by_iri):.0f} ms,"
        f" with a name {median_ms(by_name):.0f} ms (median of {args.runs})"
    )


if __name__ == "__main__":
    main()
