"""Print HTTP figures of ``kzgraph serve`` next to Oxigraph's own server on the same data.

    python benchmarks/serve.py                       # 30 s per run, the bundled data
    python benchmarks/serve.py --duration 10 --query visits
    python benchmarks/serve.py --duration 10 --only kzgraph --cache-size 0

For one canned query (a saved query with its default parameters, sent as GET /sparql)
it runs wrk on 127.0.0.1 at 1, 8 and 32 connections against:
  - kzgraph serve (uvicorn + httptools, --workers HTTP processes, LRU result cache);
  - kzgraph serve with the result cache off (every request runs the query);
  - the anchor: ``oxigraph load`` + ``oxigraph serve-read-only`` (PyPI ``oxigraph``) on
    the very same N-Triples, queried at /query;
and then resource pages (HTML, GET /resource/...) of kzgraph serve.
Each line: requests/s, p50 and p99 latency, and non-2xx/socket errors (must be 0).
Targets: /sparql within 2x of the anchor's throughput and p99; resource pages >= 1,000 req/s.
Not a pass/fail test: it prints figures for the README.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

CONNECTIONS = (1, 8, 32)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"server did not answer {url} within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def to_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, connections: int, duration: int, accept: str) -> dict[str, float]:
    threads = min(2, connections)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
         "-H", f"Accept: {accept}", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    errors += sum(int(g) for g in sock.groups()) if sock else 0
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors, "requests": total}


def machine() -> str:
    model = platform.processor() or "?"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s+(.+)", lscpu)
        model = m.group(1).strip() if m else model
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per wrk run")
    parser.add_argument("--query", help="saved query to use (default: the first of a few)")
    parser.add_argument("--workers", type=int, default=2, help="HTTP processes of kzgraph serve")
    parser.add_argument(
        "--only", choices=["kzgraph", "oxigraph", "all"], default="all", help="which servers"
    )
    parser.add_argument("--cache-size", type=int, default=None, help="only this cache size")
    parser.add_argument(
        "--resource",
        action="append",
        help="resource page(s) to load (default: a typical event and the largest page)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")

    from kzgraph.project import Project
    from kzgraph.query import bind, load_catalog, resolve_params
    from kzgraph.store import ensure_entry

    project = Project.locate()
    entry, _ = ensure_entry(project)
    catalog = load_catalog(project.queries_dir)
    preferred = [args.query] if args.query else ["visits", "timeline", "documents", "summits"]
    name = next((n for n in preferred if n in catalog), None) or next(iter(catalog), None)
    if name is None:
        sys.exit("no saved queries")
    saved = catalog[name]
    text = bind(saved.text, resolve_params(saved, []))
    encoded = urllib.parse.quote(text, safe="")
    files = [entry.asserted_path, entry.inferred_path]
    triples = entry.asserted_count + entry.inferred_count
    accept = "application/sparql-results+json"
    print(f"# machine: {machine()}")
    print(f"# graph: {triples} triples (asserted + inferred); query: {name} ({saved.title})")
    print(f"# wrk -t min(2,c) -c c -d {args.duration}s, loopback, Accept: {accept}")
    print()
    print("| server | path | connections | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---|---:|---:|---:|---:|---:|")

    def row(label: str, path: str, c: int, r: dict[str, float]) -> None:
        print(
            f"| {label} | {path} | {c} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['errors']:.0f} |",
            flush=True,
        )

    resources = args.resource or ["event/nazarbayev-visit-1994-10", "state/kazakhstan"]
    kz = [sys.executable, "-m", "kzgraph", "serve"]
    caches = [args.cache_size] if args.cache_size is not None else [1024, 0]
    if args.only in ("kzgraph", "all"):
        for cache in caches:
            port = free_port()
            process = subprocess.Popen(
                [*kz, "--port", str(port), "--workers", str(args.workers),
                 "--cache-size", str(cache)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                base = f"http://127.0.0.1:{port}"
                url = f"{base}/sparql?query={encoded}"
                wait_until_up(url, process)
                label = f"kzgraph serve ({args.workers} workers, cache {cache or 'off'})"
                for c in CONNECTIONS:
                    row(label, "/sparql", c, wrk(url, c, args.duration, accept))
                for resource in resources if cache else []:
                    page = f"{base}/resource/{resource}"
                    for c in CONNECTIONS[1:]:
                        row(label, f"/resource/{resource} (HTML)", c,
                            wrk(page, c, args.duration, "text/html"))  # fmt: skip
            finally:
                stop(process)
    if args.only in ("oxigraph", "all"):
        oxigraph = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
            "oxigraph"
        )
        if oxigraph is None:
            sys.exit("the oxigraph server is not installed (pip install oxigraph)")
        with tempfile.TemporaryDirectory(prefix="kzgraph-bench-") as tmp:
            location = Path(tmp) / "store"
            load = [oxigraph, "load", "--location", str(location)]
            for f in files:
                load += ["--file", str(f)]
            subprocess.run(load, check=True, capture_output=True)
            port = free_port()
            process = subprocess.Popen(
                [oxigraph, "serve-read-only", "--location", str(location),
                 "--bind", f"127.0.0.1:{port}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                url = f"http://127.0.0.1:{port}/query?query={encoded}"
                wait_until_up(url, process)
                for c in CONNECTIONS:
                    row("oxigraph serve-read-only", "/query", c, wrk(url, c, args.duration, accept))
            finally:
                stop(process)


if __name__ == "__main__":
    main()
