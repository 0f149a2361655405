"""Print the reliability figures of ``kzgraph serve``: a load run, a runaway query, memory.

    python benchmarks/reliability.py                 # 60 s of load, the bundled data
    python benchmarks/reliability.py --duration 20

It starts the real ``kzgraph serve`` (the console script next to this Python) on a free
127.0.0.1 port with ``--timeout 5``, then
  - runs wrk with 32 connections over canned requests (saved queries as GET /sparql, the
    /query/<name> routes, resource pages in HTML and Turtle, /ontology, VoID), one in
    eight a query with a unique comment so that it misses the result cache and runs in a
    query worker; it prints requests, requests/s, p50/p99, the status counts, socket
    errors and the peak RSS of the server and all its processes (sampled every 0.5 s);
  - sends a runaway query (a cartesian product) and prints when and how it was stopped,
    and the latency of cheap uncached queries sent before and while it runs.
Not a pass/fail test: tests/test_reliability_serve.py runs the same scenario (with these
helpers) and asserts; this script prints the figures docs/reliability.md quotes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from serve import free_port, machine, stop, to_ms

REPO = Path(__file__).resolve().parent.parent
KZ = "https://w3id.org/kzgraph/ontology#"
RESOURCE = "https://w3id.org/kzgraph/resource/"
TIMEOUT = 5  # the server's per-query limit (--timeout) in the scenario
CONNECTIONS = 32
BUST_EVERY = 8  # one request in this many misses the result cache
#: a cartesian product of the whole graph with itself three times (~10^11 rows for 9,000
#: triples): COUNT(*) must see every row, so only the time limit stops it
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "SELECT (COUNT(*) AS ?n) WHERE { ?e a kz:Event }"
SAVED = ("visits", "timeline", "documents", "summits", "events-per-year", "heads-of-state",
         "institutions", "conflicts")  # fmt: skip


# --------------------------------------------------------------------------- the server


def kzgraph_exe() -> str:
    exe = shutil.which("kzgraph", path=str(Path(sys.executable).parent))
    if exe is None:
        sys.exit("the kzgraph console script is not installed next to this Python")
    return exe


def project_args() -> list[str]:
    """The bundled project (data, ontology, queries of this repository)."""
    return ["--data", str(REPO / "data"), "--ontology", str(REPO / "ontology"),
            "--queries", str(REPO / "queries")]  # fmt: skip


@dataclass
class Server:
    """``kzgraph serve`` in a subprocess; its stderr goes to ``log_path``."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        stop(self.process)


def start_server(exe: str, log_path: Path, *options: str, wait: float = 180) -> Server:
    """Start ``exe [project] serve --port P options`` and wait until it answers."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [exe, *project_args(), "serve", "--port", str(port), *options],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(process, port, log_path)
    deadline = time.monotonic() + wait
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"kzgraph serve exited with {process.returncode}: {server.log()}")
        try:
            if request(port, "GET", "/sparql?query=ASK%7B%7D", timeout=5).status == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"kzgraph serve did not answer within {wait} s: {server.log()}")
        time.sleep(0.2)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(
    port: int,
    method: str,
    target: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    """One request on a fresh connection, the target sent byte for byte (no normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        return Reply(
            response.status,
            data,
            {k.lower(): v for k, v in response.getheaders()},
            time.monotonic() - started,
        )
    finally:
        conn.close()


def sparql_path(query: str, fmt: str | None = None) -> str:
    params = [("query", query)] + ([("format", fmt)] if fmt else [])
    return "/sparql?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


# --------------------------------------------------------------------------- memory


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/<pid>/task/*/children)."""
    found = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [p for c in children.read_text().split() for p in process_tree(int(c))]
        except OSError:  # the task ended meanwhile
            continue
    return found


def rss(pid: int) -> int:
    """Resident set size of one process in bytes (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> int:
    return sum(rss(p) for p in process_tree(pid))


class RssSampler:
    """Samples the RSS of a process tree every ``interval`` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []  # (seconds since start, bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - started, tree_rss(self.pid)))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> int:
        return max(b for _t, b in self.samples)

    def peak_between(self, start: float, end: float) -> int:
        return max((b for t, b in self.samples if start <= t < end), default=0)


# --------------------------------------------------------------------------- canned requests


@dataclass(frozen=True)
class Canned:
    path: str
    accept: str


def canned_requests(port: int) -> list[Canned]:
    """Saved queries (GET /sparql and /query/<name>), resource pages, /ontology, VoID."""
    from kzgraph.query import bind, load_catalog, resolve_params

    catalog = load_catalog(REPO / "queries")
    out: list[Canned] = []
    for name in [n for n in SAVED if n in catalog]:
        saved = catalog[name]
        text = bind(saved.text, resolve_params(saved, []))
        out.append(Canned(sparql_path(text), "application/sparql-results+json"))
        out.append(Canned(f"/query/{name}?format=csv", "*/*"))
    # one resource of each of a few kinds, found by asking the server
    listing = request(
        port,
        "GET",
        sparql_path(
            f'SELECT DISTINCT ?s WHERE {{ ?s a ?t FILTER(STRSTARTS(STR(?s), "{RESOURCE}")) }} '
            "ORDER BY ?s"
        ),
        headers={"Accept": "application/sparql-results+json"},
    )
    subjects = [b["s"]["value"] for b in json.loads(listing.body)["results"]["bindings"]]
    first_of_kind: dict[str, str] = {}
    for iri in subjects:
        first_of_kind.setdefault(iri[len(RESOURCE) :].split("/")[0], iri)
    pages = list(first_of_kind.values())[:6]
    if RESOURCE + "state/kazakhstan" in subjects:
        pages.append(RESOURCE + "state/kazakhstan")  # the largest page
    for iri in pages:
        path = "/resource/" + urllib.parse.quote(iri[len(RESOURCE) :])
        out.append(Canned(path, "text/html"))
    out.append(Canned("/resource/" + urllib.parse.quote(pages[0][len(RESOURCE) :]), "text/turtle"))
    out += [Canned("/ontology", "text/html"), Canned("/.well-known/void", "text/turtle")]
    return out


def lua_script(canned: Sequence[Canned], bust_every: int = BUST_EVERY) -> str:
    """A wrk script cycling through ``canned``; every ``bust_every``-th request is a cheap
    query with a unique comment (it misses the cache and runs in a query worker).
    ``done`` prints ``status <code> <count>`` lines and the socket errors."""
    entries = ",\n".join(f"  {{[==[{c.path}]==], [==[{c.accept}]==]}}" for c in canned)
    bust = sparql_path(CHEAP + " # ")
    return f"""-- generated by benchmarks/reliability.py
local paths = {{
{entries}
}}
local bust = [==[{bust}]==]
local threads = {{}}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  statuses = {{}}
end

function request()
  counter = counter + 1
  if counter % {bust_every} == 0 then
    return wrk.format("GET", bust .. "t" .. id .. "-" .. counter,
                      {{["Accept"] = "application/sparql-results+json"}})
  end
  local entry = paths[(counter % #paths) + 1]
  return wrk.format("GET", entry[1], {{["Accept"] = entry[2]}})
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {{}}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      total[code] = (total[code] or 0) + n
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("status %d %d\\n", code, n))
  end
  local e = summary.errors
  io.write(string.format("errors connect %d read %d write %d status %d timeout %d\\n",
                         e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class LoadRun:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]  # connect, read, write, timeout (wrk's "status" is non2xx)
    output: str = field(repr=False)

    @property
    def non_2xx(self) -> int:
        return sum(n for code, n in self.statuses.items() if not 200 <= code < 300)

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


def run_wrk(base: str, script: str, connections: int = CONNECTIONS, duration: int = 60) -> LoadRun:
    """wrk with ``script`` for ``duration`` seconds (2 threads, 10 s request timeout)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="kzgraph-wrk-") as lua:
        lua.write(script)
        lua.flush()
        done = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
             "--latency", "-s", lua.name, base],
            capture_output=True, text=True, timeout=duration + 60,
        )  # fmt: skip
    out = done.stdout
    if done.returncode != 0 or "requests in" not in out:
        raise RuntimeError(f"wrk failed ({done.returncode}): {out}{done.stderr}")
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    assert total is not None
    seconds = to_ms(total.group(2) + total.group(3)) / 1000
    statuses = {int(c): int(n) for c, n in re.findall(r"^status (\d+) (\d+)$", out, re.M)}
    errors = re.search(r"^errors connect (\d+) read (\d+) write (\d+) status \d+ timeout (\d+)$",
                       out, re.M)  # fmt: skip
    assert errors is not None, out
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return LoadRun(
        requests=int(total.group(1)),
        seconds=seconds,
        rps=float(rps.group(1)) if rps else float("nan"),
        p50_ms=to_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=to_ms(p99.group(1)) if p99 else float("nan"),
        statuses=statuses,
        socket_errors=dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        ),
        output=out,
    )


def warm_up(port: int, canned: Sequence[Canned], rounds: int = 4) -> list[tuple[str, int]]:
    """Ask every canned request ``rounds`` times at once (so that every HTTP worker builds
    and caches its pages before the measured run); returns the (path, status) not 2xx."""
    bad: list[tuple[str, int]] = []

    def one(c: Canned) -> None:
        reply = request(port, "GET", c.path, headers={"Accept": c.accept})
        if not 200 <= reply.status < 300:
            bad.append((c.path, reply.status))

    for c in canned:
        threads = [threading.Thread(target=one, args=(c,)) for _ in range(rounds)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return bad


# --------------------------------------------------------------------------- runaway


@dataclass(frozen=True)
class RunawayRun:
    status: int
    message: str
    seconds: float  # from sending the runaway to its answer
    baseline_ms: list[float]  # cheap uncached queries before the runaway
    during_ms: list[float]  # the same while the runaway held a worker

    @staticmethod
    def pct(values: Sequence[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cheap_latency(port: int, tag: str) -> float:
    """Milliseconds for one cheap query that misses the cache (a unique comment)."""
    reply = request(port, "GET", sparql_path(f"{CHEAP} # {tag}"),
                    headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    if reply.status != 200:
        raise RuntimeError(f"a cheap query got {reply.status}: {reply.text}")
    return reply.seconds * 1000


def runaway(port: int, baseline: int = 30) -> RunawayRun:
    """Cheap-query latency before and during a runaway query, and how it was stopped."""
    stamp = f"{time.time_ns()}"
    before = [cheap_latency(port, f"before {stamp} {i}") for i in range(baseline)]
    outcome: dict[str, Reply] = {}

    def run() -> None:
        outcome["reply"] = request(port, "GET", sparql_path(RUNAWAY), timeout=120)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.3)  # the runaway now holds a worker
    during: list[float] = []
    i = 0
    while thread.is_alive():
        during.append(cheap_latency(port, f"during {stamp} {i}"))
        i += 1
        time.sleep(0.02)
    thread.join()
    reply = outcome["reply"]
    return RunawayRun(reply.status, reply.text.strip(), reply.seconds, before, during)


# --------------------------------------------------------------------------- main


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="kzgraph-reliability-") as tmp:
        server = start_server(kzgraph_exe(), Path(tmp) / "serve.log", "--timeout", str(TIMEOUT))
        try:
            canned = canned_requests(server.port)
            bad = warm_up(server.port, canned)
            idle = tree_rss(server.process.pid)
            print(f"# machine: {machine()}")
            print(
                f"# kzgraph serve --timeout {TIMEOUT} (2 HTTP workers x 2 query workers), "
                f"bundled data; {len(canned)} canned requests + 1 in {BUST_EVERY} uncached"
            )
            if bad:
                print(f"# warm-up: non-2xx answers: {bad}")
            with RssSampler(server.process.pid) as sampler:
                load = run_wrk(server.base, lua_script(canned), duration=args.duration)
            print(
                f"load: wrk -t2 -c{CONNECTIONS} -d{args.duration}s: {load.requests:,} requests, "
                f"{load.rps:,.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms, "
                f"non-2xx {load.non_2xx}, socket errors {load.errors} {load.socket_errors}"
            )
            print(f"  statuses: {dict(sorted(load.statuses.items()))}")
            end = sampler.samples[-1][0]
            print(
                f"memory (server + all its processes): {mib(idle)} idle after warm-up, "
                f"peak {mib(sampler.peak)}; first 10 s peak {mib(sampler.peak_between(0, 10))}, "
                f"last 10 s peak {mib(sampler.peak_between(end - 10, end + 1))}"
            )
            run = runaway(server.port)
            pct = RunawayRun.pct
            print(f"runaway ({RUNAWAY}): {run.status} after {run.seconds:.2f} s: {run.message}")
            print(
                f"  cheap uncached query before: p50 {pct(run.baseline_ms, 0.5):.1f} ms, "
                f"p95 {pct(run.baseline_ms, 0.95):.1f} ms ({len(run.baseline_ms)}); during: "
                f"p50 {pct(run.during_ms, 0.5):.1f} ms, p95 {pct(run.during_ms, 0.95):.1f} ms, "
                f"max {max(run.during_ms):.1f} ms ({len(run.during_ms)})"
            )
            log = server.log()
            tracebacks = log.count("Traceback")
            errors500 = len(re.findall(r"\b500\b", log))
            print(f"server log: {tracebacks} tracebacks, {errors500} lines about a 500")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
