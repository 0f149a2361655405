"""Print the wall-clock time of `kzgraph ask` in a fresh process, with a warm cache.

    python benchmarks/ask.py
    python benchmarks/ask.py --runs 21 "who was president of Turkey in October 1994"

The cache is warmed first (the graph, the search index and the ask model of the catalog:
`kzgraph build` and one `kzgraph ask`; Python's bytecode too, as an installed package has it,
in a temporary PYTHONPYCACHEPREFIX), so each timed run is what a person sees on the
second and later questions.  Target: <= 0.5 s.  Not a pass/fail test: it prints figures for
the README, with the load average (a busy machine makes every figure larger): the wall-clock
time and the CPU time of the process (user + system, which other jobs inflate less), and the
same for `kzgraph query` as a yardstick.
"""

from __future__ import annotations

import argparse
import os
import resource
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


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per question (median reported)")
    parser.add_argument("questions", nargs="*", help="questions to time (default: a mixed set)")
    opts = parser.parse_args()
    exe = kzgraph()
    questions = opts.questions or list(QUESTIONS)
    with tempfile.TemporaryDirectory(prefix="kzgraph-bench-") as tmp:
        # as installed: with bytecode (kept out of the source tree), whatever the shell says
        env = {**os.environ, "KZGRAPH_CACHE": str(Path(tmp) / "cache")}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        timed([exe, "build"], env)
        timed([exe, "ask", questions[0]], env)  # keeps the ask model in the cache entry
        print(f"# {cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        print(f"{'kzgraph ask (warm cache)':52} {'median':>8} {'min':>8} {'cpu':>8}  runs")
        medians = []
        cases = [(q, [exe, "ask", q]) for q in questions]
        cases.append(
            ("(yardstick) kzgraph query office-holder-on", [exe, "query", "office-holder-on"])
        )
        for shown, args in cases:
            runs = [timed(args, env) for _ in range(opts.runs)]
            wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
            if args[1] == "ask":
                medians.append(statistics.median(wall))
            shown = shown if len(shown) <= 50 else shown[:47] + "..."
            print(
                f"{shown:52} {statistics.median(wall):7.3f}s {min(wall):7.3f}s "
                f"{statistics.median(cpu):7.3f}s  {len(runs)}"
            )
        print(f"{'ask: median of the medians':52} {statistics.median(medians):7.3f}s")


if __name__ == "__main__":
    main()
