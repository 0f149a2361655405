"""Print the figures of the name resolver (kzgraph.resolve) on the bundled data.

    python benchmarks/resolve.py             # about half a minute
    python benchmarks/resolve.py --runs 21
    python benchmarks/resolve.py --data /tmp/sc/1000000/data --runs 3   # on a large graph

With ``--data`` (a folder of generated data, ``benchmarks/generate.py``), it builds that graph's
cache entry if it has none (in ``KZGRAPH_CACHE``, as the CLI does) and times fresh processes
of ``kzgraph describe`` instead: the first name looked up in the entry (the names index is
built and kept), the same name again (the kept index is read), the resource's IRI, a
misspelling of the name (fuzzy) and a name the graph lacks (answered with the nearest).

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
import subprocess
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


def describe_at_scale(data: Path, runs: int) -> None:
    """Fresh ``kzgraph describe`` processes on the graph of ``data`` (see the module doc)."""
    from kzgraph.resolve import names_path
    from kzgraph.store import find_entry

    exe, env = kzgraph(), dict(os.environ)
    base = [exe, "--data", str(data)]
    project = Project.locate(data=data, ontology=ROOT / "ontology", queries=ROOT / "queries")
    entry = find_entry(project)
    if entry is None:
        subprocess.run([*base, "build"], env=env, check=True, capture_output=True)
        entry = find_entry(project)
        assert entry is not None
    # the entry's engine: its on-disk store after a fast build (large data), else its files
    ((person_term, label_term),) = (
        open_engine(entry)
        .run(
            "SELECT ?p ?l WHERE { ?p a <https://w3id.org/kzgraph/ontology#Person> ; "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(CONTAINS(?l, ' ')) } "
            "ORDER BY ?p LIMIT 1"
        )
        .rows
    )
    person, label = str(person_term.value), str(label_term.value)
    misspelt = label[:-2] + label[-1]  # one letter less: a fuzzy match
    print(f"{entry.meta['counts']['asserted']} asserted triples; the name: {label!r} <{person}>")

    def timed_describe(typed: str) -> float:
        start = time.perf_counter()
        done = subprocess.run([*base, "describe", typed], env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode not in (0, 2):  # 2: no resource of that name
            sys.exit(f"kzgraph describe {typed!r} failed ({done.returncode}): {done.stderr}")
        return elapsed

    kept = names_path(entry.path)
    first = []
    for _ in range(max(1, min(runs, 3))):
        kept.unlink(missing_ok=True)
        first.append(timed_describe(label))
    rows = [("the first name looked up in the entry (index built, kept)", first)]
    for what, typed in (
        ("a name (the kept index read)", label),
        ("the IRI", person),
        (f"a misspelling, {misspelt!r} (fuzzy)", misspelt),
        ("a name the graph lacks (the nearest listed)", "Qwertyuiop Zxcvbnm"),
    ):
        rows.append((what, [timed_describe(typed) for _ in range(runs)]))
    print("kzgraph describe, fresh process (median, min, runs):")
    for what, samples in rows:
        print(
            f"  {what:58} {statistics.median(samples):7.2f} s {min(samples):7.2f} s  {len(samples)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="repetitions of each timing")
    parser.add_argument("--data", type=Path, help="time kzgraph describe on this data instead")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}; load {Path('/proc/loadavg').read_text().split()[0]}")
    if args.data is not None:
        describe_at_scale(args.data.resolve(), args.runs)
        return
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
