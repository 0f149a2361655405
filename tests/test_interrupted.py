"""Interrupted writes (issue 8): ``kzgraph export -o FILE`` and ``kzgraph build`` killed
with SIGKILL at random points leave FILE old or new and complete, the cache without a
half-written entry, no lock that blocks the next run and no temporary files that pile up;
concurrent builds end with one valid entry.

The real console script runs in a subprocess.  Each test first measures how long an
uninterrupted run takes (a figure, never asserted), then kills runs at seeded random
times: two in three uniformly over that duration, one in three in the write phase (as soon
as the temporary file or directory appears, plus a random part of the measured write time),
where a crash would do the most harm.  A summary line per test says where the kills
landed (``pytest -s`` or ``-rP`` shows it).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import project_args
from kzgraph.project import Project, input_hash

ROOT = Path(__file__).parent.parent
SEED = 8  # issue 8: the same kill times on every run
HANG = 120  # seconds: a run that takes longer is stuck (e.g. on a lock nobody holds)
ENTRY_FILES = ("asserted.nt", "inferred.nt", "sources.json")


@dataclass
class Kzgraph:
    """The console script over one project and one private cache."""

    exe: str
    args: list[str]
    cache: Path

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "KZGRAPH_DATA"}
        return {**env, "KZGRAPH_CACHE": str(self.cache)}

    def command(self, *args: str) -> list[str]:
        return [self.exe, *self.args, *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(self.command(*args), env=self.env, capture_output=True, timeout=HANG)

    def timed(self, *args: str) -> float:
        started = time.perf_counter()
        done = self.run(*args)
        assert done.returncode == 0, done.stderr.decode()
        return time.perf_counter() - started


def kill_during(
    kz: Kzgraph,
    args: list[str],
    *,
    delay: float | None = None,
    trigger: Callable[[], bool] | None = None,
    window: float = 0.0,
    rng: random.Random,
) -> bool:
    """Start ``kzgraph ARGS``; SIGKILL it after ``delay`` seconds, or once ``trigger()``
    is true plus up to ``window`` seconds.  False when it finished before the kill."""
    proc = subprocess.Popen(
        kz.command(*args), env=kz.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if trigger is None:
        time.sleep(delay or 0.0)
    else:
        deadline = time.monotonic() + HANG
        while proc.poll() is None and not trigger() and time.monotonic() < deadline:
            time.sleep(0.0002)
        time.sleep(rng.uniform(0, window))
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=HANG)
    return killed


def appeared(folder: Path, prefix: str, before: set[str]) -> Callable[[], bool]:
    """A trigger: a new name starting with ``prefix`` exists in ``folder``."""

    def check() -> bool:
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return False
        return any(n.startswith(prefix) and n not in before for n in names)

    return check


def measure(kz: Kzgraph, args: list[str], folder: Path, prefix: str) -> tuple[float, float]:
    """An uninterrupted run: its seconds, and how long a temporary name starting with
    ``prefix`` was visible in ``folder`` (its write phase; 5 ms at least)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        kz.command(*args), env=kz.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    seen = appeared(folder, prefix, set())
    first = last = None
    while proc.poll() is None:
        if seen():
            last = time.perf_counter()
            first = first or last
        time.sleep(0.0002)
    assert proc.wait(timeout=HANG) == 0
    seconds = time.perf_counter() - started
    return seconds, max((last - first) if first and last else 0.0, 0.005)


def temporaries(folder: Path, prefix: str) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith(prefix)) if folder.is_dir() else []


def cache_leftovers(cache: Path) -> list[str]:
    """Temporary entry directories (``.KEY-*``, ``.old-KEY-*``) in the cache root."""
    return temporaries(cache, ".")


def entry_content(entry: Path) -> dict[str, object]:
    """The entry's files, as sorted lines (the fast path writes N-Triples in another order)."""
    return {name: sorted((entry / name).read_bytes().splitlines()) for name in ENTRY_FILES}


Content = dict[str, object]


def entry_state(cache: Path, key: str, reference: Content | list[Content]) -> str:
    """ "none" or "valid"; a half-written entry fails the test."""
    entry = cache / key
    if not entry.exists():
        return "none"
    assert (entry / "meta.json").is_file(), f"entry without meta.json: {sorted(os.listdir(entry))}"
    references = reference if isinstance(reference, list) else [reference]
    assert entry_content(entry) in references, "the entry differs from the reference"
    return "valid"


def reference_entry(kz: Kzgraph, project: Project) -> tuple[str, Content]:
    key = input_hash(project.graph_inputs())
    return key, entry_content(kz.cache / key)


def schedule(rng: random.Random, runs: int, seconds: float) -> list[float | None]:
    """Kill times: None = in the write phase, else seconds after the start."""
    return [None if i % 3 == 2 else rng.uniform(0, seconds * 1.1) for i in range(runs)]


def say(figures: str) -> None:
    print(f"\n{figures}", file=sys.stderr)


@pytest.fixture
def kz(kzgraph_exe: str, copied_project: Project, tmp_path: Path) -> Kzgraph:
    return Kzgraph(kzgraph_exe, project_args(copied_project), tmp_path / "cache")


# --------------------------------------------------------------------------- export


def test_killed_export_leaves_the_old_or_the_new_file(
    kz: Kzgraph, copied_project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "graph.ttl"
    new_args = ["export", "--inferred", "--with-void", "-o", str(target)]
    # the complete files: "old" from an earlier export without inferences, "new" the one killed
    assert kz.run("export", "-o", str(tmp_path / "old.ttl")).returncode == 0
    assert kz.run(*new_args[:-1], str(tmp_path / "new.ttl")).returncode == 0
    old, new = (tmp_path / "old.ttl").read_bytes(), (tmp_path / "new.ttl").read_bytes()
    assert old != new and new.endswith(b"\n")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "new.ttl").stat().st_mode & 0o777 == 0o666 & ~umask  # as with open()
    key, reference = reference_entry(kz, copied_project)
    warm, window = measure(kz, new_args, out, f".{target.name}.")
    shutil.rmtree(kz.cache)
    cold = kz.timed(*new_args)  # builds the cache first

    rng = random.Random(SEED)
    runs = 24
    seen: Counter[str] = Counter()
    for i in range(runs):
        start_with = "absent" if i % 2 else "old"
        if start_with == "old":
            target.write_bytes(old)
        else:
            target.unlink(missing_ok=True)
        building = i % 4 < 2  # half the runs also build the cache, and may be killed doing that
        if building:
            shutil.rmtree(kz.cache, ignore_errors=True)
        (when,) = schedule(rng, 1, cold if building else warm) if i % 3 != 2 else [None]
        before = set(os.listdir(out))
        trigger = None if when is not None else appeared(out, f".{target.name}.", before)
        killed = kill_during(kz, new_args, delay=when, trigger=trigger, window=window, rng=rng)
        if not killed:
            seen["finished before the kill"] += 1
        state = (
            "absent"
            if not target.exists()
            else {old: "old", new: "new"}.get(target.read_bytes(), "BROKEN")
        )
        assert state != "BROKEN", f"run {i}: {target} is neither the old nor the new export"
        assert state in (start_with, "new"), f"run {i}: was {start_with}, is {state}"
        seen[f"file {state}"] += 1
        seen[f"cache {entry_state(kz.cache, key, reference)}"] += 1
        seen[f"{len(temporaries(out, '.'))} temporary files"] += 1
        # the next run works, writes the new file, and removes what the killed one left
        assert kz.run(*new_args).returncode == 0
        assert target.read_bytes() == new
        assert temporaries(out, ".") == [], f"run {i}: temporary files pile up"
        assert entry_state(kz.cache, key, reference) == "valid"
    say(
        f"export killed {runs - seen['finished before the kill']} times of {runs} "
        f"(uninterrupted: {warm:.2f} s with a cache, {cold:.2f} s building it; "
        f"write window {window * 1000:.1f} ms): {dict(sorted(seen.items()))}"
    )
    assert seen["file new"] < runs  # some kills landed before the rename


# --------------------------------------------------------------------------- build


def check_recovery(kz: Kzgraph, key: str, reference: list[Content], rows: bytes) -> None:
    """After a kill: the next query answers (rebuilding if needed), then the next build
    removes any temporary entry the killed one left."""
    done = kz.run("query", "agents", "-f", "csv")  # times out (fails) on a stuck lock
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == rows
    assert entry_state(kz.cache, key, reference) == "valid"
    assert kz.run("build").returncode == 0
    assert cache_leftovers(kz.cache) == [], "temporary entries pile up"
    assert sorted(p.name for p in kz.cache.iterdir() if p.is_dir()) == [key]


@pytest.mark.parametrize(("engine", "runs"), [("reference", 24), ("fast", 12)])
def test_killed_build_leaves_a_valid_entry_or_none(
    kz: Kzgraph, copied_project: Project, engine: str, runs: int
) -> None:
    """The next query rebuilds a missing entry on the reference path (auto for small
    inputs), so the fast runs kill fast builds that replace or follow reference ones.
    The two paths' entries may differ in form (the fast path writes language tags in
    lower case), so either is valid; within a path the content is fixed."""
    reference = []
    for path in ("reference", "fast"):
        shutil.rmtree(kz.cache, ignore_errors=True)
        assert kz.run("build", "--engine", path).returncode == 0
        key, content = reference_entry(kz, copied_project)
        reference.append(content)
    shutil.rmtree(kz.cache)
    build = ["build", "--engine", engine]
    cold = kz.timed(*build)
    rows = kz.run("query", "agents", "-f", "csv").stdout
    assert rows.count(b"\n") > 3
    forced, window = measure(kz, [*build, "--force"], kz.cache, ".")

    rng = random.Random(SEED)
    seen: Counter[str] = Counter()
    for i, when in enumerate(schedule(rng, runs, max(cold, forced))):
        force = i % 2 == 0  # replace a valid entry, else build where there is none
        if not force:
            shutil.rmtree(kz.cache / key)
        inode = (kz.cache / key).stat().st_ino if force else None
        before = set(os.listdir(kz.cache))
        trigger = None if when is not None else appeared(kz.cache, ".", before)
        args = [*build, "--force"] if force else build
        killed = kill_during(kz, args, delay=when, trigger=trigger, window=window, rng=rng)
        state = entry_state(kz.cache, key, reference)
        if state == "valid" and force:
            state = "valid (old)" if (kz.cache / key).stat().st_ino == inode else "valid (new)"
        seen[("killed: " if killed else "finished: ") + ("--force, " if force else "") + state] += 1
        seen[f"{len(cache_leftovers(kz.cache))} temporary entries"] += 1
        check_recovery(kz, key, reference, rows)
    say(
        f"{engine} build killed {sum(v for k, v in seen.items() if k.startswith('killed'))} "
        "times of "
        f"{runs} (uninterrupted: {cold:.2f} s, --force {forced:.2f} s; write window "
        f"{window * 1000:.1f} ms): {dict(sorted(seen.items()))}"
    )


def test_concurrent_builds_end_with_one_valid_entry(kz: Kzgraph, copied_project: Project) -> None:
    procs = [
        subprocess.Popen(kz.command("build"), env=kz.env, stderr=subprocess.PIPE) for _ in range(3)
    ]
    messages = [p.communicate(timeout=HANG)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], messages
    assert sum("cache built" in text for text in messages) == 1, messages
    key = input_hash(copied_project.graph_inputs())
    assert sorted(p.name for p in kz.cache.iterdir() if p.is_dir()) == [key]
    assert (kz.cache / key / "meta.json").is_file()


def test_a_leftover_temporary_entry_is_ignored_then_removed(
    kz: Kzgraph, copied_project: Project
) -> None:
    """What a build killed after writing half its files leaves behind."""
    key = input_hash(copied_project.graph_inputs())
    kz.cache.mkdir()
    half = kz.cache / f".{key}-killed"
    half.mkdir()
    (half / "asserted.nt").write_bytes(b"<http://example.org/a> <http://example.org/b> ")
    other = kz.cache / ".0123456789abcdef0123456789abcdef-killed"  # another input's
    other.mkdir()
    trash = kz.cache / f".old-{key}-killed"
    (trash / "entry").mkdir(parents=True)
    done = kz.run("query", "agents")
    assert done.returncode == 0, done.stderr.decode()
    assert b"Nazarbayev" in done.stdout
    assert cache_leftovers(kz.cache) == []


# --------------------------------------------------------------------------- the bundled data


@pytest.fixture
def bundled(kzgraph_exe: str, tmp_path: Path) -> Kzgraph:
    args = ["--data", str(ROOT / "data"), "--ontology", str(ROOT / "ontology")]
    return Kzgraph(kzgraph_exe, [*args, "--queries", str(ROOT / "queries")], tmp_path / "cache")


def test_killed_builds_of_the_bundled_data(bundled: Kzgraph) -> None:
    """A few kills of the real 4.7k-triple build (~5 s), most of them in its write phase,
    then a build killed while two others wait for its lock."""
    kz = bundled
    project = Project.locate(
        data=ROOT / "data", ontology=ROOT / "ontology", queries=ROOT / "queries"
    )
    seconds, window = measure(kz, ["build"], kz.cache, ".")
    key, reference = reference_entry(kz, project)
    rows = kz.run("query", "heads-of-state", "-f", "csv").stdout
    assert rows.count(b"\n") == 7

    rng = random.Random(SEED)
    seen: Counter[str] = Counter()
    whens = [rng.uniform(0, seconds), None, None, None]
    for i, when in enumerate(whens):
        inode = (kz.cache / key).stat().st_ino
        trigger = None if when is not None else appeared(kz.cache, ".", set())
        args = ["build", "--force"]
        killed = kill_during(kz, args, delay=when, trigger=trigger, window=window, rng=rng)
        state = entry_state(kz.cache, key, reference)
        if state == "valid":
            state = "valid (old)" if (kz.cache / key).stat().st_ino == inode else "valid (new)"
        seen[("killed: " if killed else "finished: ") + state] += 1
        done = kz.run("query", "heads-of-state", "-f", "csv")
        assert done.returncode == 0 and done.stdout == rows, f"run {i}: {done.stderr.decode()}"
        assert entry_state(kz.cache, key, reference) == "valid"
        assert kz.run("build").returncode == 0
        assert cache_leftovers(kz.cache) == []

    # a build holding the lock is killed while two others wait for it: the kernel drops
    # an flock with its holder, so one of them builds and the other reuses its entry
    shutil.rmtree(kz.cache)
    first = subprocess.Popen(
        kz.command("build"), env=kz.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    locked = appeared(kz.cache, f"{key}.lock", set())
    while not locked() and first.poll() is None:
        time.sleep(0.0002)
    waiting = [
        subprocess.Popen(kz.command("build"), env=kz.env, stderr=subprocess.PIPE) for _ in range(2)
    ]
    time.sleep(min(1.0, seconds / 3))  # they start and block on the lock
    assert first.poll() is None, "the first build ended before it could be killed"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=HANG)
    messages = [p.communicate(timeout=HANG)[1].decode() for p in waiting]
    assert [p.returncode for p in waiting] == [0, 0], messages
    assert sum("cache built" in text for text in messages) == 1, messages
    assert sorted(p.name for p in kz.cache.iterdir() if p.is_dir()) == [key]
    assert entry_state(kz.cache, key, reference) == "valid"
    assert cache_leftovers(kz.cache) == []
    say(
        f"bundled build killed {sum(v for k, v in seen.items() if k.startswith('killed'))} "
        f"times of {len(whens)} (uninterrupted: {seconds:.2f} s; write window "
        f"{window * 1000:.1f} ms): {dict(sorted(seen.items()))}"
    )
