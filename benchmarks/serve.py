"""Print HTTP figures of ``kzgraph serve`` next to Oxigraph's own server on the same data.

    python benchmarks/serve.py                       # 10 s per line, the bundled data
    python benchmarks/serve.py --duration 5 --connections 8
    python benchmarks/serve.py --only small

Three servers run side by side on 127.0.0.1, all on the very same N-Triples:
  - kzgraph serve with its result cache (``cache hit``: every request is answered from it);
  - kzgraph serve with the result cache off (``cache miss``: every request runs the query);
  - the anchor: ``oxigraph load`` + ``oxigraph serve-read-only`` (PyPI ``oxigraph``).
For each request kind (a small ``SELECT ... LIMIT 10``, a saved query with its default
parameters, a resource's description in Turtle) and each connection count, wrk hits the
three servers one after the other, in an order that alternates from line to line so a
change in the machine's load does not favour one server.  The anchor answers the same
SPARQL at ``/query`` (for the resource, ``DESCRIBE <iri>``), so the same line compares
kzgraph's cache hit and miss with Oxigraph's only mode (it keeps no result cache).

Each line: requests/s and p99 latency of each, kzgraph's ratios to the anchor (requests/s:
higher is better; p99: lower is better) and the non-2xx/socket errors (must be 0).
Targets (issue 15): a miss >= 0.5x the anchor's requests/s for the small query and >= 1x for
the saved query, a hit >= 1x for both, p99 <= 2x the anchor's.  Not a pass/fail test: it
prints figures for docs/performance.md, with the machine and the load average at the start and end.
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

CONNECTIONS = (1, 8)
SMALL = """PREFIX kz: <https://w3id.org/kzgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?event ?label WHERE { ?event a kz:Event ; rdfs:label ?label } LIMIT 10"""
RESOURCE = "https://w3id.org/kzgraph/resource/event/nazarbayev-visit-1994-10"
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"


@dataclass(frozen=True)
class Kind:
    name: str  # shown in the table
    kzgraph: str  # path and query string on kzgraph serve
    oxigraph: str  # path and query string on Oxigraph's server
    accept: str


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


@contextmanager
def running(command: list[str], probe: str) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(probe, process)
        yield
    finally:
        stop(process)


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
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    errors += sum(int(g) for g in sock.groups()) if sock else 0
    return {"rps": rps, "p99": p99, "errors": errors}


def machine() -> str:
    model = platform.processor() or "?"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s+(.+)", lscpu)
        model = m.group(1).strip() if m else model
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def ratios(server: dict[str, float], anchor: dict[str, float]) -> str:
    """``server``'s requests/s and p99 as multiples of ``anchor``'s."""
    return f"{server['rps'] / anchor['rps']:.2f}, {server['p99'] / anchor['p99']:.2f}"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--query", default="visits", help="the saved query (default: visits)")
    parser.add_argument("--workers", type=int, default=2, help="HTTP processes of kzgraph serve")
    parser.add_argument(
        "--connections", type=int, action="append", help="connection counts (default: 1 and 8)"
    )
    parser.add_argument(
        "--only", choices=["small", "saved", "resource"], action="append", help="request kinds"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    oxigraph = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph"
    )
    if oxigraph is None:
        sys.exit("the oxigraph server is not installed (pip install oxigraph)")

    from kzgraph.project import Project
    from kzgraph.query import bind, load_catalog, resolve_params
    from kzgraph.store import ensure_entry

    project = Project.locate()
    entry, _ = ensure_entry(project)
    catalog = load_catalog(project.queries_dir)
    if args.query not in catalog:
        sys.exit(f"no saved query {args.query!r}")
    saved = catalog[args.query]
    # without the saved query's comment lines (its title, description, parameters): the
    # anchor refuses a request whose headers pass 8 KB, which the whole text in a URL did
    bound = bind(saved.text, resolve_params(saved, []))
    saved_text = "".join(line for line in bound.splitlines(True) if not line.startswith("#"))

    def q(text: str) -> str:
        return urllib.parse.quote_plus(text, safe="")

    resource_path = "/resource/" + RESOURCE.split("/resource/", 1)[1]
    kinds = [
        Kind("small SELECT … LIMIT 10", f"/sparql?query={q(SMALL)}",
             f"/query?query={q(SMALL)}", JSON),
        Kind(f"saved query `{args.query}`", f"/sparql?query={q(saved_text)}",
             f"/query?query={q(saved_text)}", JSON),
        Kind("resource (Turtle; anchor: DESCRIBE)", resource_path,
             f"/query?query={q(f'DESCRIBE <{RESOURCE}>')}", TURTLE),
    ]  # fmt: skip
    wanted = {"small": 0, "saved": 1, "resource": 2}
    if args.only:
        kinds = [kinds[wanted[name]] for name in args.only]
    connections = args.connections or list(CONNECTIONS)
    files = [entry.asserted_path, entry.inferred_path]
    triples = entry.asserted_count + entry.inferred_count
    print(f"# machine: {machine()}")
    print(f"# graph: {triples} triples (asserted + inferred); saved query: {args.query}")
    print(
        f"# wrk -t min(2,c) -c c -d {args.duration}s on 127.0.0.1; kzgraph --workers {args.workers}"
    )
    print(f"# load average at start: {load()}")
    print()
    print(
        "| request | conn. | anchor req/s | p99 ms | kzgraph miss req/s | p99 ms "
        "| × anchor (req/s, p99) | kzgraph hit req/s | p99 ms | × anchor (req/s, p99) | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    kz = [sys.executable, "-m", "kzgraph", "serve", "--workers", str(args.workers)]
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="kzgraph-bench-") as tmp:
        location = Path(tmp) / "store"
        command = [oxigraph, "load", "--location", str(location)]
        for f in files:
            command += ["--file", str(f)]
        subprocess.run(command, check=True, capture_output=True)
        bases = {name: f"http://127.0.0.1:{free_port()}" for name in ("anchor", "miss", "hit")}
        port = bases["anchor"].rsplit(":", 1)[1]
        stack.enter_context(
            running(
                [oxigraph, "serve-read-only", "--location", str(location),
                 "--bind", f"127.0.0.1:{port}"],
                bases["anchor"] + kinds[0].oxigraph,
            )
        )  # fmt: skip
        for name, cache in (("miss", 0), ("hit", 1024)):
            port = bases[name].rsplit(":", 1)[1]
            stack.enter_context(
                running(
                    [*kz, "--port", port, "--cache-size", str(cache)],
                    bases[name] + kinds[0].kzgraph,
                )
            )
        line = 0
        for kind in kinds:
            urls = {
                "anchor": bases["anchor"] + kind.oxigraph,
                "miss": bases["miss"] + kind.kzgraph,
                "hit": bases["hit"] + kind.kzgraph,
            }
            for url in urls.values():  # warm: the hit server caches the answer (each process)
                for _ in range(4):
                    request = urllib.request.Request(url, headers={"Accept": kind.accept})
                    with urllib.request.urlopen(request, timeout=60) as response:
                        response.read()
            for c in connections:
                order = ["anchor", "miss", "hit"]
                if line % 2:
                    order.reverse()
                line += 1
                r = {name: wrk(urls[name], c, args.duration, kind.accept) for name in order}
                a, m, h = r["anchor"], r["miss"], r["hit"]
                errors = sum(int(x["errors"]) for x in r.values())
                print(
                    f"| {kind.name} | {c} | {a['rps']:,.0f} | {a['p99']:.2f} "
                    f"| {m['rps']:,.0f} | {m['p99']:.2f} | {ratios(m, a)} "
                    f"| {h['rps']:,.0f} | {h['p99']:.2f} | {ratios(h, a)} | {errors} |",
                    flush=True,
                )
    print()
    print(f"# load average at end: {load()}")


if __name__ == "__main__":
    main()
