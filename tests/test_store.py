"""kzgraph.store: cache location, atomic entries, staleness, concurrent builds."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest

from kzgraph.project import Project
from kzgraph.store import (
    KEEP_ENTRIES,
    _locked,
    _prune,
    build,
    cache_root,
    ensure_entry,
    find_entry,
)


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("KZGRAPH_CACHE", str(root))
    return root


def test_cache_root_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KZGRAPH_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "a"
    monkeypatch.delenv("KZGRAPH_CACHE")
    assert cache_root() == tmp_path / "xdg" / "kzgraph"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "kzgraph"


def test_build_writes_a_complete_entry(fixture_project: Project, private_cache: Path) -> None:
    result = build(fixture_project)
    assert result.built
    entry = result.entry
    assert entry.path.parent == private_cache
    assert sorted(p.name for p in entry.path.iterdir()) == [
        "asserted.nt",
        "inferred.nt",
        "meta.json",
        "search.sqlite",
        "sources.json",
    ]
    meta = json.loads((entry.path / "meta.json").read_text())
    lines = entry.asserted_path.read_text(encoding="utf-8").splitlines()
    assert meta["counts"]["asserted"] == len(lines) == entry.asserted_count
    assert lines == sorted(lines)
    assert meta["validation"] == {"conforms": True, "violations": 0, "warnings": 0}
    assert set(meta["versions"]) >= {"kzgraph", "rdflib", "owlrl", "pyshacl", "pyoxigraph"}
    assert entry.inferred_count > 0
    assert "Özal" in entry.asserted_path.read_text(encoding="utf-8")
    # no temporary directories left behind
    assert [p.name for p in private_cache.iterdir() if p.name.startswith(".")] == []


def test_second_build_reuses_and_force_rebuilds(
    fixture_project: Project, private_cache: Path
) -> None:
    first = build(fixture_project)
    again = build(fixture_project)
    assert not again.built and again.entry.key == first.entry.key
    forced = build(fixture_project, force=True)
    assert forced.built and forced.entry.path == first.entry.path
    assert forced.entry.asserted_path.read_bytes() == first.entry.asserted_path.read_bytes()


def test_changed_input_makes_the_cache_stale(copied_project: Project, private_cache: Path) -> None:
    entry, built = ensure_entry(copied_project)
    assert built
    assert find_entry(copied_project) == entry
    people = copied_project.data_dir / "people.ttl"
    people.write_text(people.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert find_entry(copied_project) is None
    fresh, built = ensure_entry(copied_project)
    assert built and fresh.key != entry.key


def test_blank_nodes_get_canonical_labels(copied_project: Project, private_cache: Path) -> None:
    extra = copied_project.data_dir / "blank.ttl"
    extra.write_text(
        "@prefix ex: <http://example.org/> .\nex:a ex:p [ ex:q 1 ] .\n", encoding="utf-8"
    )
    first = build(copied_project).entry.asserted_path.read_bytes()
    second = build(copied_project, force=True).entry.asserted_path.read_bytes()
    assert b"_:" in first
    assert first == second


def _build_in_child(args: tuple[str, str, str, str]) -> str:
    data, onto, queries, cache = args
    os.environ["KZGRAPH_CACHE"] = cache
    result = build(Project(Path(data), Path(onto), Path(queries)))
    return result.entry.key


def test_concurrent_builds_give_one_valid_entry(
    fixture_project: Project, private_cache: Path
) -> None:
    args = (
        str(fixture_project.data_dir),
        str(fixture_project.ontology_dir),
        str(fixture_project.queries_dir),
        str(private_cache),
    )
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        keys = pool.map(_build_in_child, [args, args, args])
    assert len(set(keys)) == 1
    entry = find_entry(fixture_project)
    assert entry is not None and entry.asserted_count > 0
    entries = [p for p in private_cache.iterdir() if p.is_dir()]
    assert [p.name for p in entries] == [keys[0]]


def test_prune_spares_an_entry_being_rebuilt(private_cache: Path) -> None:
    private_cache.mkdir()
    keys = [f"{i:032x}" for i in range(KEEP_ENTRIES + 3)]  # keys[0] is the newest
    for age, key in enumerate(keys):
        (private_cache / key).mkdir()
        (private_cache / f"{key}.lock").touch()
        os.utime(private_cache / key, (1e9 - age, 1e9 - age))
    busy = keys[-1]
    with _locked(private_cache / f"{busy}.lock"):  # e.g. `build --force` of an old input
        _prune(private_cache, keys[0])
    assert (private_cache / busy).is_dir() and (private_cache / f"{busy}.lock").exists()
    assert not (private_cache / keys[-2]).exists()
    assert not (private_cache / f"{keys[-2]}.lock").exists()


def test_a_lock_file_removed_while_waited_on_is_not_the_lock(private_cache: Path) -> None:
    """_prune removes the lock file of an old entry; a process that was waiting on that
    file must not then build alongside one that opened the new file."""
    private_cache.mkdir()
    lock = private_cache / "k.lock"
    active: set[str] = set()
    overlaps: list[set[str]] = []
    waiting, newcomer_in = threading.Event(), threading.Event()

    def hold(name: str, started: threading.Event | None = None) -> None:
        if started is None:
            waiting.set()
        with _locked(lock):
            active.add(name)
            if len(active) > 1:
                overlaps.append(set(active))
            if started is not None:
                started.set()
            time.sleep(0.3)
            active.discard(name)

    with _locked(lock):  # the pruner
        waiter = threading.Thread(target=hold, args=("waiter",))
        waiter.start()
        assert waiting.wait(10)
        time.sleep(0.1)  # the waiter is blocked in flock on the old file
        lock.unlink()
        newcomer = threading.Thread(target=hold, args=("newcomer", newcomer_in))
        newcomer.start()
        assert newcomer_in.wait(10)
    waiter.join(10)
    newcomer.join(10)
    assert overlaps == []
