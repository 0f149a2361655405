"""Print requests/s of ``kzgraph serve`` on each of uvicorn's HTTP parsers, for a small query.

    python benchmarks/http_parser.py                    # 10 s per run, 3 rounds
    python benchmarks/http_parser.py --duration 5 --rounds 1

The same app (one HTTP process, the result cache on, so the HTTP stack dominates) is run
by uvicorn with
  - kzgraph.http_protocol.PlainUpgradeProtocol (httptools; what ``kzgraph serve`` uses),
  - uvicorn's own httptools protocol (drops the body of an ``Upgrade: h2c`` request),
  - uvicorn's h11 protocol (pure Python; reads such requests too);
and wrk sends GET /sparql?query=ASK... and POST application/sparql-query at 8 and 32
connections.  The parsers alternate round by round, so a busy machine hurts each alike;
the server's CPU time per request (from /proc, not wall time) is the figure that other
load on the machine disturbs least.
Each line: requests/s, p99 latency, CPU µs per request; non-2xx and socket errors must be 0.
Not a pass/fail test: it prints the figures the choice of parser rests on.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from serve import free_port, stop, to_ms, wait_until_up  # noqa: E402

QUERY = "ASK { ?s a <https://w3id.org/kzgraph/ontology#Event> }"
PARSERS = {
    "PlainUpgradeProtocol": "kzgraph.http_protocol:PlainUpgradeProtocol",
    "httptools (uvicorn)": "httptools",
    "h11 (uvicorn)": "h11",
}
#: run one server: argv[1] the ServeConfig JSON, argv[2] the parser (a name or module:class)
SERVER = """
import importlib, sys, uvicorn
from kzgraph.serve import ServeConfig, create_app
config = ServeConfig.from_json(sys.argv[1])
http = sys.argv[2]
if ":" in http:
    module, name = http.split(":")
    http = getattr(importlib.import_module(module), name)
uvicorn.run(create_app(config), host="127.0.0.1", port=config.port, http=http,
            access_log=False, log_level="warning", server_header=False)
"""
POST_LUA = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/sparql-query"
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(
    url: str, connections: int, duration: int, accept: str, script: str = "", pid: int = 0
) -> tuple[float, float, int, float]:
    """(requests/s, p99 ms, non-2xx + socket errors, server CPU µs per request) of one run."""
    extra = ["-s", script] if script else []
    cpu = cpu_seconds(pid)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
         "-H", f"Accept: {accept}", *extra, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(g) for g in sock.groups()) if sock else 0
    )
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return rps, p99, errors, (cpu_seconds(pid) - cpu) / max(1, total) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per parser and case")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")

    from kzgraph.project import Project
    from kzgraph.serve import config_for
    from kzgraph.store import ensure_entry

    project = Project.locate()
    entry, _ = ensure_entry(project)
    accept = "application/sparql-results+json"
    results: dict[tuple[str, str, int], list[tuple[float, float, int, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="kzgraph-http-") as tmp:
        lua = Path(tmp) / "post.lua"
        lua.write_text(POST_LUA.format(body=json.dumps(QUERY)), encoding="utf-8")
        for _round in range(args.rounds):
            for label, http in PARSERS.items():
                port = free_port()
                config = config_for(entry, project, port=port)
                process = subprocess.Popen(
                    [sys.executable, "-c", SERVER, config.to_json(), http],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env={**os.environ},
                )
                try:
                    base = f"http://127.0.0.1:{port}/sparql"
                    get = f"{base}?query={urllib.parse.quote(QUERY, safe='')}"
                    wait_until_up(get, process)
                    time.sleep(1)
                    for c in (8, 32):
                        for case, url, script in (("GET", get, ""), ("POST", base, str(lua))):
                            results.setdefault((label, case, c), []).append(
                                wrk(url, c, args.duration, accept, script, process.pid)
                            )
                finally:
                    stop(process)
    print(f"# {QUERY}; {args.rounds} rounds of {args.duration} s; median of the rounds")
    print("| parser | request | connections | requests/s | p99 ms | CPU µs/request | errors |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (label, case, c), runs in results.items():
        rps, p99, _errors, cpu = (sorted(r[i] for r in runs)[len(runs) // 2] for i in range(4))
        errors = sum(r[2] for r in runs)
        print(f"| {label} | {case} | {c} | {rps:,.0f} | {p99:.2f} | {cpu:.0f} | {errors:.0f} |")


if __name__ == "__main__":
    main()
