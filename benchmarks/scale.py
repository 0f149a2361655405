"""Build and query generated kzgraph data at several sizes on both paths, side by side.

Paths, each measured in its own subprocess (peak RSS = the worker's ru_maxrss):
- fast:      pyoxigraph parse -> materialize (rules from the ontology) -> SHACL as
             SPARQL in the store -> saved query on the store; then the closure is
             written to an on-disk Oxigraph store and reopened read-only (the cache);
- reference: rdflib parse -> owlrl -> pyshacl (inference none, on the closure) ->
             the same saved query with rdflib SPARQL.
The reference is skipped above ``--reference-max`` asserted triples (owlrl: 49 s at
100k, 395 s at 1M) and the table says so.  Before the parts, each size gets its own
row for what a user waits for: the whole ``kzgraph build --engine fast`` as a fresh
process from an empty cache (median of ``--build-runs``, peak = the largest summed RSS
of the build and its child processes), then a fresh process that opens the entry and
answers the saved query once.  Not a pass/fail test: it prints figures.

Usage::

    python benchmarks/scale.py                      # 10k and 100k
    python benchmarks/scale.py --sizes 1000000 --reference-max 0
    python benchmarks/scale.py --sizes 1000000 --build-only   # the whole build, 3 runs
    python benchmarks/scale.py --sizes 10000 --bundled   # + fresh-process CLI query
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ONTOLOGY = REPO / "ontology" / "kzgraph.ttl"
SHAPES = REPO / "ontology" / "shapes.ttl"
QUERY = "events-in-place"
PARAMS = [("place", "state:s1")]
PATH_QUERY = (
    "PREFIX kz: <https://w3id.org/kzgraph/ontology#> "
    "SELECT (COUNT(*) AS ?n) WHERE { ?x kz:locatedIn+ ?y }"
)
QUERY_RUNS = 11


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _time_query(engine, saved) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from kzgraph.query import run_saved

    times, rows = [], 0
    for _ in range(QUERY_RUNS):
        t0 = time.perf_counter()
        result = run_saved(engine, saved, PARAMS)
        times.append(time.perf_counter() - t0)
        rows = len(result.rows)
    return statistics.median(times), rows


def worker_fast(data: Path, workdir: Path) -> dict:
    sys.path.insert(0, str(REPO / "src"))
    import pyoxigraph as ox

    from kzgraph.engine import StoreEngine
    from kzgraph.fast import canonical_blank_nodes, fill_disk_store, inferred_ntriples
    from kzgraph.load import load_graph
    from kzgraph.materialize import load_store, materialize
    from kzgraph.query import load_catalog
    from kzgraph.shacl_fast import validate_store

    out: dict = {}
    files = [ONTOLOGY, *sorted(data.glob("*.ttl"))]
    t0 = time.perf_counter()
    store = load_store(files)
    out["parse"] = time.perf_counter() - t0
    out["asserted"] = len(store)
    t0 = time.perf_counter()  # as kzgraph build does before reasoning (fast.build_fast)
    asserted = canonical_blank_nodes(store)
    out["canonical"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    mat = materialize(store)
    out["reason"] = time.perf_counter() - t0
    out["inferred"] = mat.inferred
    out["iterations"] = list(mat.iterations)
    t0 = time.perf_counter()
    report = validate_store(store, load_graph([SHAPES]).graph)
    out["validate"] = time.perf_counter() - t0
    out["violations"] = report.violations
    saved = load_catalog(REPO / "queries")[QUERY]
    out["query"], out["rows"] = _time_query(StoreEngine(store), saved)
    t0 = time.perf_counter()
    out["path_rows"] = int(next(iter(store.query(PATH_QUERY)))["n"].value)
    out["path_query"] = time.perf_counter() - t0
    out["peak_mb_build"] = _peak_mb()
    # the cache: an on-disk store written to a temporary directory, renamed, reopened
    target = workdir / "store"
    shutil.rmtree(target, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=".store-", dir=workdir))
    t0 = time.perf_counter()  # the cache's N-Triples files, as store._build_entry_fast
    (tmp / "asserted.nt").write_bytes(asserted)
    (tmp / "inferred.nt").write_bytes(inferred_ntriples(store, asserted))
    del asserted
    out["write_nt"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fill_disk_store(tmp / "store", [tmp / "asserted.nt", tmp / "inferred.nt"])
    os.replace(tmp / "store", target)
    shutil.rmtree(tmp, ignore_errors=True)
    out["persist"] = time.perf_counter() - t0
    del store
    t0 = time.perf_counter()
    reopened = ox.Store.read_only(str(target))
    engine = StoreEngine(reopened)
    first_t0 = time.perf_counter()
    from kzgraph.query import run_saved

    run_saved(engine, saved, PARAMS)
    out["reopen"] = first_t0 - t0
    out["reopen_first_query"] = time.perf_counter() - first_t0
    out["query_reopened"], _rows = _time_query(engine, saved)
    out["peak_mb"] = _peak_mb()
    return out


def worker_reference(data: Path, workdir: Path, path_query: bool) -> dict:
    sys.path.insert(0, str(REPO / "src"))
    from kzgraph.load import load_graph
    from kzgraph.query import RdflibEngine, load_catalog
    from kzgraph.reason import reason
    from kzgraph.validate import validate_graph

    out: dict = {}
    files = [ONTOLOGY, *sorted(data.glob("*.ttl"))]
    t0 = time.perf_counter()
    loaded = load_graph(files)
    shapes = load_graph([SHAPES]).graph
    out["parse"] = time.perf_counter() - t0
    out["asserted"] = len(loaded.graph)
    t0 = time.perf_counter()
    closure = reason(loaded.graph)
    out["reason"] = time.perf_counter() - t0
    out["inferred"] = len(closure.inferred)
    closed = loaded.graph + closure.inferred
    t0 = time.perf_counter()
    report = validate_graph(closed, shapes)
    out["validate"] = time.perf_counter() - t0
    out["violations"] = report.violations
    saved = load_catalog(REPO / "queries")[QUERY]
    out["query"], out["rows"] = _time_query(RdflibEngine(graph=closed), saved)
    if path_query:
        t0 = time.perf_counter()
        out["path_rows"] = int(list(closed.query(PATH_QUERY))[0][0])
        out["path_query"] = time.perf_counter() - t0
    out["peak_mb"] = _peak_mb()
    return out


def _tree_rss_kb(pid: int) -> int:
    """The summed resident memory of ``pid`` and every process below it (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def whole_build(data: Path, workdir: Path, runs: int) -> dict:
    """``kzgraph build`` as a user runs it: a fresh process, an empty cache, until the
    cache answers queries; then a fresh process that opens the entry and runs the saved
    query once.  Peak memory is the largest sum of the resident memory of the build and
    its child processes, sampled every 0.1 s."""
    walls, peaks, metas, reopen = [], [], [], []
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    # as an installed kzgraph runs: its modules compiled once (pip does it at install),
    # here into the work folder, never into the checkout
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    for _ in range(runs):
        cache = workdir / "cache"
        shutil.rmtree(cache, ignore_errors=True)
        env["KZGRAPH_CACHE"] = str(cache)
        cmd = [sys.executable, "-m", "kzgraph", "--data", str(data), "build", "--engine", "fast"]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.1)
        walls.append(time.perf_counter() - started)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            return {"error": (stderr.strip().splitlines() or ["?"])[-1]}
        peaks.append(peak / 1024)
        (meta,) = [json.loads(p.read_text()) for p in cache.glob("*/meta.json")]
        metas.append(meta["seconds"])
        probe = subprocess.run(
            [sys.executable, __file__, "--worker", "reopen", "--data", str(data),
             "--workdir", str(cache), "--result", str(workdir / "reopen.json")],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if probe.returncode == 0:
            reopen.append(json.loads((workdir / "reopen.json").read_text()))
    middle = sorted(range(runs), key=lambda i: walls[i])[runs // 2]
    return {
        "walls": walls,
        "wall": walls[middle],
        "peak_mb": max(peaks),
        "stages": metas[middle],
        "reopen": statistics.median(r["open"] for r in reopen) if reopen else None,
        "first_query": statistics.median(r["first"] for r in reopen) if reopen else None,
        "steady": statistics.median(r["steady"] for r in reopen) if reopen else None,
        "load": os.getloadavg()[0],
    }


def worker_reopen(cache: Path) -> dict:
    """Open the one entry in ``cache`` as ``kzgraph query`` does; time that and one query."""
    sys.path.insert(0, str(REPO / "src"))
    t0 = time.perf_counter()
    from kzgraph.query import load_catalog, open_engine, run_saved
    from kzgraph.store import _read_entry

    (path,) = [p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")]
    entry = _read_entry(path.name, path)
    assert entry is not None
    saved = load_catalog(REPO / "queries")[QUERY]  # reading the .rq files is not the store's
    t1 = time.perf_counter()
    engine = open_engine(entry)
    t2 = time.perf_counter()
    first = run_saved(engine, saved, PARAMS)
    t3 = time.perf_counter()
    again = [time.perf_counter()]
    for _ in range(QUERY_RUNS):
        run_saved(engine, saved, PARAMS)
        again.append(time.perf_counter())
    steady = statistics.median(b - a for a, b in zip(again, again[1:], strict=False))
    return {
        "imports": t1 - t0,
        "open": t2 - t1,
        "first": t3 - t2,
        "rows": len(first.rows),
        "steady": steady,
    }


def report_build(size: int, built: dict) -> str:
    if "error" in built:
        return f"whole `kzgraph build` at {size:,} failed: {built['error']}"
    stages = ", ".join(f"{k} {v:.1f}" for k, v in sorted(built["stages"].items()))
    runs = ", ".join(f"{w:.1f}" for w in built["walls"])
    reopen = (
        f"; then a fresh process opens the entry in {_fmt(built['reopen'])} and answers "
        f"`{QUERY}` in {_fmt(built['first_query'])} (then {_fmt(built['steady'])}, median "
        f"of {QUERY_RUNS})"
        if built["reopen"] is not None
        else ""
    )
    n, load, wall = len(built["walls"]), built["load"], _fmt(built["wall"])
    return (
        f"| **whole `kzgraph build`** (fresh process, empty cache; median of {n}: "
        f"{runs} s; load average {load:.1f} at the end) | **{wall}** | | |\n"
        f"| peak memory of the build and its child processes (summed RSS) | "
        f"{_fmt(built['peak_mb'], 'mb')} | | |\n\n"
        f"build stages of the median run (meta.json seconds; the scan, the on-disk store "
        f"and the search index run in child processes beside the rest): {stages}{reopen}"
    )


def _run_worker(kind: str, data: Path, workdir: Path, extra: list[str]) -> dict:
    result = workdir / f"{kind}.json"
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--data",
        str(data),
        "--workdir",
        str(workdir),
        "--result",
        str(result),
        *extra,
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    out = json.loads(result.read_text())
    out["wall"] = time.perf_counter() - started
    return out


def _fmt(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    return f"{value:.0f} MB"


def _ratio(ref: float | None, fast: float | None) -> str:
    if not ref or not fast:
        return "—"
    return f"{ref / fast:.1f}×"


def report(size: int, fast: dict, ref: dict | None, skipped: str | None) -> str:
    lines = [
        f"\n## {size:,} requested triples ({fast.get('asserted', '?'):,} asserted incl. "
        f"ontology; fast inferred {fast.get('inferred', '?'):,}"
        + (f", owlrl inferred {ref['inferred']:,}" if ref and "inferred" in ref else "")
        + ")"
    ]
    if "error" in fast:
        return lines[0] + f"\nfast path failed: {fast['error']}"
    header = "| stage | fast | reference | reference/fast |\n|---|---|---|---|"
    lines.append(header)
    r = ref or {}
    for stage in ("parse", "reason", "validate"):
        lines.append(
            f"| {stage} | {_fmt(fast[stage])} | {_fmt(r.get(stage))} | "
            f"{_ratio(r.get(stage), fast[stage])} |"
        )
    f_total = fast["parse"] + fast["reason"] + fast["validate"]
    r_total = (r["parse"] + r["reason"] + r["validate"]) if "validate" in r else None
    lines.append(
        f"| **parse+reason+validate** | **{_fmt(f_total)}** | **{_fmt(r_total)}** | "
        f"**{_ratio(r_total, f_total)}** |"
    )
    lines.append(
        f"| query `{QUERY}` (median of {QUERY_RUNS}, {fast['rows']} rows) | "
        f"{_fmt(fast['query'])} | {_fmt(r.get('query'))} | "
        f"{_ratio(r.get('query'), fast['query'])} |"
    )
    lines.append(
        f"| `locatedIn+` count ({fast['path_rows']}) | {_fmt(fast['path_query'])} | "
        f"{_fmt(r.get('path_query'))} | {_ratio(r.get('path_query'), fast['path_query'])} |"
    )
    f_e2e = f_total + fast["query"]
    r_e2e = (r_total + r["query"]) if r_total is not None else None
    lines.append(
        f"| end to end (build + one query) | {_fmt(f_e2e)} | {_fmt(r_e2e)} | "
        f"{_ratio(r_e2e, f_e2e)} |"
    )
    lines.append(
        f"| peak RSS (build) | {_fmt(fast['peak_mb_build'], 'mb')} | "
        f"{_fmt(r.get('peak_mb'), 'mb')} | |"
    )
    lines.append(
        f"| cache N-Triples: canonical blank nodes + asserted dump / inferred "
        f"(closure minus asserted) | {_fmt(fast['canonical'])} / {_fmt(fast['write_nt'])} | | |"
    )
    lines.append(f"| write on-disk store (cache) | {_fmt(fast['persist'])} | | |")
    lines.append(
        f"| reopen cached store read-only | {_fmt(fast['reopen'])} "
        f"(+ first query {_fmt(fast['reopen_first_query'])}) | | |"
    )
    lines.append(f"| query on reopened store (median) | {_fmt(fast['query_reopened'])} | | |")
    lines.append(f"| peak RSS (whole fast worker) | {_fmt(fast['peak_mb'], 'mb')} | | |")
    lines.append(
        f"\nfast: iterations (new triples) {fast['iterations']}; "
        f"{fast['violations']} violations"
        + (f"; reference: {r['violations']} violations" if "violations" in r else "")
    )
    if skipped:
        lines.append(f"reference: {skipped}")
    elif ref and "error" in ref:
        lines.append(f"reference failed: {ref['error']}")
    return "\n".join(lines)


def bundled_cli() -> str:
    """A fresh-process canned query on the bundled data (after the cache is built)."""
    env = {**os.environ, "KZGRAPH_CACHE": tempfile.mkdtemp(prefix="kzgraph-cache-")}
    cmd = [sys.executable, "-m", "kzgraph", "query", "timeline", "-f", "csv"]
    subprocess.run(cmd, env=env, capture_output=True, check=True)  # builds the cache
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return (
        f"\n## bundled data: fresh-process `kzgraph query timeline` (cache built): "
        f"median {statistics.median(times):.3f} s of 5 (target ≤ 0.3 s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="comma-separated triple counts (default 10000,100000)",
    )
    parser.add_argument(
        "--reference-max",
        type=int,
        default=100_000,
        help="skip the reference path above this many triples (owlrl)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kzgraph-scale"
    )
    parser.add_argument("--bundled", action="store_true", help="also time the CLI on data/")
    parser.add_argument(
        "--build-runs",
        type=int,
        default=3,
        help="fresh-process `kzgraph build` runs per size (median; 0 to skip)",
    )
    parser.add_argument(
        "--build-only", action="store_true", help="only the whole `kzgraph build` rows"
    )
    parser.add_argument("--worker", choices=["fast", "reference", "reopen"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--path-query", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        if args.worker == "reopen":
            out = worker_reopen(args.workdir)
        elif args.worker == "fast":
            out = worker_fast(args.data, args.workdir)
        else:
            out = worker_reference(args.data, args.workdir, args.path_query)
        args.result.write_text(json.dumps(out))
        return 0

    sys.path.insert(0, str(HERE))
    from generate import generate

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# kzgraph scale benchmark ({os.cpu_count()} CPUs, load average {load}, Python "
        f"{sys.version.split()[0]}); targets: 1M whole build ≤ 30 s and ≤ 4 GB, reopen + "
        f"first query ≤ 0.1 s, saved query ≤ 50 ms; 10M whole build ≤ 5 min and ≤ 16 GB; "
        f"100k ≥ 10× faster than the reference"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        workdir = args.workdir / str(size)
        workdir.mkdir(parents=True, exist_ok=True)
        data = workdir / "data"
        if not data.is_dir():
            generate(size, seed=args.seed, out=data)
        if args.build_runs:
            built = whole_build(data, workdir, args.build_runs)
            print(f"\n## {size:,} requested triples: the whole build\n", flush=True)
            print("| stage | fast | | |\n|---|---|---|---|", flush=True)
            print(report_build(size, built), flush=True)
        if args.build_only:
            continue
        fast = _run_worker("fast", data, workdir, [])
        ref, skipped = None, None
        if size <= args.reference_max:
            extra = ["--path-query"] if size <= 100_000 else []
            ref = _run_worker("reference", data, workdir, extra)
        else:
            skipped = (
                f"skipped: {size:,} triples is above --reference-max "
                f"{args.reference_max:,} (owlrl alone: 395 s at 1M on this machine)"
            )
        print(report(size, fast, ref, skipped), flush=True)
    if args.bundled:
        print(bundled_cli(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
