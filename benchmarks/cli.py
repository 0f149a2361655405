"""Print median wall-clock times of kzgraph commands, each in a fresh process.

    python benchmarks/cli.py                  # the bundled data
    python benchmarks/cli.py --runs 11 --query timeline
    python benchmarks/cli.py -- --data tests/fixtures/data --ontology tests/fixtures/ontology \
        --queries tests/fixtures/queries

Targets: --help and queries <= 0.2 s, query NAME (warm cache) <= 0.3 s, first build <= 5 s.
Not a pass/fail test: it prints figures for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def kzgraph() -> str:
    exe = shutil.which("kzgraph", path=str(Path(sys.executable).parent)) or shutil.which("kzgraph")
    if exe is None:
        sys.exit("kzgraph is not installed next to this Python")
    return exe


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (median reported)")
    parser.add_argument("--build-runs", type=int, default=3, help="runs of the cold build")
    parser.add_argument("--query", default="timeline", help="saved query to time")
    parser.add_argument("extra", nargs="*", help="global kzgraph options (after --)")
    opts = parser.parse_args()
    exe = kzgraph()
    base = [exe, *opts.extra]
    with tempfile.TemporaryDirectory(prefix="kzgraph-bench-") as tmp:
        env = {**os.environ, "KZGRAPH_CACHE": str(Path(tmp) / "cache")}
        cases = {
            "kzgraph --help": [[*base, "--help"]] * opts.runs,
            "kzgraph queries": [[*base, "queries"]] * opts.runs,
        }
        builds = []
        for i in range(opts.build_runs):
            cold = {**env, "KZGRAPH_CACHE": str(Path(tmp) / f"cold{i}")}
            builds.append(timed([*base, "build"], cold))
        timed([*base, "build"], env)  # warm the cache for the query runs
        cases[f"kzgraph query {opts.query} (warm cache)"] = [
            [*base, "query", opts.query]
        ] * opts.runs
        print(f"# {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"{'command':45} {'median':>8} {'min':>8}  runs")
        for name, runs in cases.items():
            times = [timed(args, env) for args in runs]
            print(f"{name:45} {statistics.median(times):7.3f}s {min(times):7.3f}s  {len(times)}")
        print(
            f"{'kzgraph build (first, cold cache)':45} {statistics.median(builds):7.3f}s "
            f"{min(builds):7.3f}s  {len(builds)}"
        )


if __name__ == "__main__":
    main()
