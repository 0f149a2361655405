"""Print the figures of full-text search (kzgraph.search) on the bundled data.

    python benchmarks/search.py               # everything (about a minute)
    python benchmarks/search.py --runs 11 --builds 5

1. `kzgraph search TEXT` as a fresh process with a warm cache (target <= 0.5 s);
2. a search inside `kzgraph serve` (target <= 20 ms warm): the library call, and GET /search
   over HTTP with a new text each time (so the server's answer cache never helps);
3. what the index adds to `kzgraph build --force` (target <= 10 %): the build's own "search"
   seconds (meta.json) against the whole build;
4. the spelling keys' precision: the words each variant search marked, against the words a
   person would accept for it.
Not a pass/fail test: it prints figures for docs/cli.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from cli import cpu_model, kzgraph, timed  # noqa: E402 - the sibling benchmark's helpers

from kzgraph.project import Project  # noqa: E402
from kzgraph.search import open_index, write_index  # noqa: E402
from kzgraph.spelling import fold  # noqa: E402
from kzgraph.store import build  # noqa: E402

ROOT = Path(__file__).parent.parent
PROJECT = Project(ROOT / "data", ROOT / "ontology", ROOT / "queries")
CLI_SEARCHES = [
    ["madrassa"], ["Назарбаев"], ['"treaty of friendship"'], ["yass*", "--kind", "person"],
]  # fmt: skip
SERVE_SEARCHES = [
    "nazarbaev", "madrassa", "erdogan OR gul", '"treaty of friendship"', "visit -ozal",
    "kazakh*", "university", "Назарбаев", "chiller", "mausoleum", "diaspora", "embassy",
]  # fmt: skip
#: variant searches and the folded words a person would accept as the same word
VARIANTS = {
    "nazarbaev": {"nazarbayev", "nazarbayevs", "nazarbaev"},
    "madrassa": {"madrasah"},
    "chiller": {"ciller", "cillers", "chiller"},
    "yasawi": {"yasawi", "yassawi", "yassawis", "yasavi"},
    "hoja": {"khoja", "khodzha", "hoja"},
    "akhiska": {"akhiska", "akhiskas", "ahiska"},
    "nakhchivan": {"nakhchivan", "nahcivan"},
    "visit": {"visit", "visits"},
    "kazakh": {"kazakh", "kazakhs"},
    "meeting": {"meeting", "meetings"},
    "office": {"office", "offices"},
    "president": {"president", "presidents"},
    # words where the keys can conflate two words
    "latter": {"latter"},
    "meet": {"meet", "meets"},
    "press": {"press"},
    "see": {"see"},
    "2000": {"2000"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_figures(exe: str, env: dict[str, str], runs: int) -> None:
    print(f"\n1. kzgraph search, fresh process, warm cache ({runs} runs each; target <= 0.5 s)")
    print(f"{'command':55} {'median':>8} {'min':>8}")
    for words in CLI_SEARCHES:
        times = [timed([exe, "search", *words], env) for _ in range(runs)]
        shown = "kzgraph search " + " ".join(words)
        print(f"{shown:55} {statistics.median(times):7.3f}s {min(times):7.3f}s")


def serve_figures(exe: str, env: dict[str, str], entry: Path, runs: int) -> None:
    print("\n2. search inside kzgraph serve (target <= 20 ms warm)")
    index = open_index(entry)
    for text in SERVE_SEARCHES:  # warm: parse caches, SQLite pages
        index.search(text)
    library = []
    for _ in range(runs):
        for text in SERVE_SEARCHES:
            started = time.perf_counter()
            index.search(text)
            library.append(time.perf_counter() - started)
    median, worst = statistics.median(library) * 1000, max(library) * 1000
    print(f"   library call (SearchIndex.search), {len(library)} searches: median "
          f"{median:.2f} ms, max {worst:.2f} ms")  # fmt: skip
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [exe, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=log, stderr=log
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(base + "/search?q=warm&format=json", timeout=5)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        sys.exit("kzgraph serve did not start")
                    time.sleep(0.2)
            http = []
            with httpx.Client(base_url=base) as client:
                for i in range(runs):
                    for text in SERVE_SEARCHES:
                        # a new limit each time: a new key for the server's answer cache
                        params = {"q": text, "limit": str(20 + i), "format": "json"}
                        started = time.perf_counter()
                        r = client.get("/search", params=params)
                        http.append(time.perf_counter() - started)
                        assert r.status_code == 200, r.text
            http.sort()
            print(f"   GET /search?format=json, uncached, one connection, {len(http)} requests: "
                  f"median {statistics.median(http) * 1000:.2f} ms, "
                  f"p95 {http[int(len(http) * 0.95)] * 1000:.2f} ms")  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)


def build_figures(exe: str, env: dict[str, str], builds: int) -> Path:
    print(f"\n3. what the index adds to kzgraph build --force ({builds} builds; target <= 10 %)")
    rows = []
    for _ in range(builds):
        wall = timed([exe, "build", "--force"], env)
        entry = build(PROJECT).entry
        meta = json.loads((entry.path / "meta.json").read_text(encoding="utf-8"))
        rows.append((wall, meta["seconds"]["search"]))
    for wall, index in rows:
        print(f"   build {wall:6.2f} s, of which the index {index:5.3f} s ({index / wall:5.1%})")
    share = statistics.median(index / wall for wall, index in rows)
    print(f"   median share: {share:.1%}")
    alone = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(builds):
            started = time.perf_counter()
            write_index(entry.path, Path(tmp) / "search.sqlite")
            alone.append(time.perf_counter() - started)
    size = (entry.path / "search.sqlite").stat().st_size
    print(f"   write_index alone: median {statistics.median(alone):.3f} s; "
          f"{size / 1024:.0f} KiB on disk")  # fmt: skip
    return entry.path


def precision_figures(entry: Path) -> None:
    print("\n4. spelling keys: words each search marked (precision = accepted / all marked)")
    index = open_index(entry)
    total = accepted = 0
    for text, good in VARIANTS.items():
        result = index.search(text, limit=1000)
        marked: dict[str, int] = {}
        for hit in result.hits:
            for start, end in hit.snippet.spans:
                for word in fold(hit.snippet.text[start:end]).split():
                    marked[word] = marked.get(word, 0) + 1
        ok = sum(n for w, n in marked.items() if w in good)
        bad = {w: n for w, n in marked.items() if w not in good}
        total += sum(marked.values())
        accepted += ok
        share = ok / sum(marked.values()) if marked else 1.0
        print(f"   {text:11} {result.total:3} resources, {share:6.1%} precision"
              + (f"; also marked: {bad}" if bad else ""))  # fmt: skip
    print(f"   all: {accepted}/{total} marked words accepted ({accepted / total:.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measure")
    parser.add_argument("--builds", type=int, default=3, help="builds with --force")
    opts = parser.parse_args()
    exe = kzgraph()
    with tempfile.TemporaryDirectory(prefix="kzgraph-bench-") as tmp:
        os.environ["KZGRAPH_CACHE"] = str(Path(tmp) / "cache")
        env = {**os.environ}
        load = os.getloadavg()[0]
        print(f"# {cpu_model()}, {os.cpu_count()} cores, load average {load:.1f} at the start")
        timed([exe, "build"], env)
        entry = build_figures(exe, env, opts.builds)
        cli_figures(exe, env, opts.runs)
        serve_figures(exe, env, entry, opts.runs)
        precision_figures(entry)


if __name__ == "__main__":
    main()
