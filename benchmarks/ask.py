"""Print the wall-clock time of `kzgraph ask` in a fresh process, with a warm cache.

    python benchmarks/ask.py
    python benchmarks/ask.py --runs 21 "who was president of Turkey in October 1994"

The cache is warmed first (the graph, the search index and the ask model of the catalog:
`kzgraph build` and one `kzgraph ask`), so each timed run is what a person sees on the
second and later questions.  Target: <= 0.5 s.  Not a pass/fail test: it prints figures for
the README, with the load average (a busy machine makes every figure larger).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cli import cpu_model, kzgraph  # noqa: E402  (benchmarks/ is not a package)

QUESTIONS = (
    "Which treaties were signed?",
    "who was president of Turkey in October 1994",
    "documents signed by Demirel",
    "what happened in Turkestan",
    "weather in Almaty today",  # no saved question fits: the full-text search answers
)


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per question (median reported)")
    parser.add_argument("questions", nargs="*", help="questions to time (default: a mixed set)")
    opts = parser.parse_args()
    exe = kzgraph()
    questions = opts.questions or list(QUESTIONS)
    with tempfile.TemporaryDirectory(prefix="kzgraph-bench-") as tmp:
        env = {**os.environ, "KZGRAPH_CACHE": str(Path(tmp) / "cache")}
        timed([exe, "build"], env)
        timed([exe, "ask", questions[0]], env)  # keeps the ask model in the cache entry
        print(f"# {cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        print(f"{'kzgraph ask (warm cache)':52} {'median':>8} {'min':>8}  runs")
        medians = []
        for question in questions:
            times = [timed([exe, "ask", question], env) for _ in range(opts.runs)]
            medians.append(statistics.median(times))
            shown = question if len(question) <= 50 else question[:47] + "..."
            print(f"{shown:52} {medians[-1]:7.3f}s {min(times):7.3f}s  {len(times)}")
        print(f"{'median of the medians':52} {statistics.median(medians):7.3f}s")


if __name__ == "__main__":
    main()
