"""`kzgraph publish` to a real Oxigraph server at scale, then the saved query through --endpoint.

For each size: the generated data of ``benchmarks/scale.py`` (same work folder, so an entry
that scale.py built is reused; otherwise ``kzgraph build --engine fast`` builds it first,
untimed), an ``oxigraph serve`` on a fresh store on 127.0.0.1, then as fresh processes:

- ``kzgraph publish --endpoint URL --replace`` (with ``--no-transaction``, ``--endpoint
  URL/store?no_transaction``: Oxigraph's bulk loader, not atomic): wall time, the upload's
  own time (from its report line), peak memory of kzgraph and of the server (resident,
  sampled every 0.2 s); ``--no-verify`` leaves out the read-back that counts the graph;
- ``kzgraph query events-in-place -p place state:s1`` on the local entry and with
  ``--endpoint``: wall time each, and whether the rows are the same (sorted).

Not a pass/fail test: it prints figures.

Usage::

    python benchmarks/publish.py                       # 1M
    python benchmarks/publish.py --sizes 10000000      # 10M (build it first with scale.py)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402 - benchmarks/ is not a package
from scale import _tree_rss_kb  # noqa: E402

QUERY = ["query", "events-in-place", "-p", "place", "state:s1", "-f", "csv"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _kzgraph(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kzgraph", "--data", str(data), *args]


def _run_sampled(cmd: list[str], env: dict[str, str], server: int) -> tuple[float, int, int, str]:
    """(wall seconds, peak kB of the command's tree, peak kB of the server, stderr)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    mine = theirs = 0
    while proc.poll() is None:
        mine, theirs = max(mine, _tree_rss_kb(proc.pid)), max(theirs, _tree_rss_kb(server))
        time.sleep(0.2)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:])}: exit {proc.returncode}: {stderr.strip()}")
    return wall, mine, theirs, stderr


def _rows(cmd: list[str], env: dict[str, str]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:])}: exit {done.returncode}: {done.stderr.strip()}")
    header, *rows = done.stdout.splitlines()
    return wall, sorted(rows)


def measure(size: int, workdir: Path, seed: int, bulk: bool, verify: bool) -> str:
    folder = workdir / str(size)
    data = folder / "data"
    if not data.is_dir():
        generate(size, seed=seed, out=data)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "KZGRAPH_CACHE": str(folder / "cache")}
    subprocess.run(_kzgraph(data, "build", "--engine", "fast"), env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    store = Path(tempfile.mkdtemp(prefix="kzgraph-publish-", dir=workdir))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        ["oxigraph", "serve", "--location", str(store), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        target = f"{url}/store?no_transaction" if bulk else url
        publish = _kzgraph(data, "publish", "--endpoint", target, "--replace",
                           "--timeout", "7200", *([] if verify else ["--no-verify"]))  # fmt: skip
        wall, mine, theirs, report = _run_sampled(publish, env, server.pid)
        line = next(x for x in report.splitlines() if "uploaded" in x)
        sent = re.search(r"uploaded (\d+) triples", line)
        upload = re.search(r"HTTP \d+, ([\d.]+) s", line)
        verified = "verified: the graph holds" in line
        here_wall, here = _rows(_kzgraph(data, *QUERY), env)
        there_wall, there = _rows(_kzgraph(data, *QUERY, "--endpoint", url), env)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(store, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    sent_text = f"{int(sent.group(1)):,}" if sent else "?"
    upload_text = f"upload {upload.group(1) if upload else '?'} s"
    checked = "verified" if verified else "not verified" if verify else "--no-verify"
    same = "same rows" if here == there else "ROWS DIFFER"
    return (
        f"| {size:,}{' (no_transaction)' if bulk else ''} | {sent_text} | {wall:.1f} s "
        f"({upload_text}; {checked}) | {mine / 1024**2:.2f} GB | {theirs / 1024**2:.2f} GB "
        f"| {here_wall:.2f} s / {there_wall:.2f} s, {len(there)} rows, {same} | {load} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000", help="comma-separated triple counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kzgraph-scale"
    )
    parser.add_argument(
        "--no-transaction",
        action="store_true",
        help="publish to URL/store?no_transaction: Oxigraph's bulk loader, not atomic",
    )
    parser.add_argument(
        "--no-verify", action="store_true", help="publish --no-verify: no read-back GET"
    )
    args = parser.parse_args(argv)
    if shutil.which("oxigraph") is None:
        raise SystemExit("publish.py needs the `oxigraph` command: pip install '.[test]'")
    print(
        f"# kzgraph publish to `oxigraph serve` ({os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]})\n\n| asserted (requested) | triples sent | publish, whole "
        "command | peak kzgraph | peak server | query local / --endpoint | load after |\n"
        "|---|---|---|---|---|---|---|",
        flush=True,
    )
    for size in (int(s) for s in args.sizes.split(",")):
        args.workdir.mkdir(parents=True, exist_ok=True)
        print(
            measure(size, args.workdir, args.seed, args.no_transaction, not args.no_verify),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
