"""The cache: the materialized graph of one set of inputs, stored as N-Triples.

``build`` = load -> reason -> validate -> write.  An entry lives in
``<cache root>/<key>/`` where the key hashes every input file and the kzgraph
version; a changed input gives a new key, so a stale entry is simply not found.

Cache root: ``$KZGRAPH_CACHE``, else ``$XDG_CACHE_HOME/kzgraph``, else
``~/.cache/kzgraph``.  An entry holds ``asserted.nt`` and ``inferred.nt`` (sorted
N-Triples lines), ``sources.json`` (subject IRI -> defining files), ``search.sqlite``
(the full-text index, :mod:`kzgraph.search`) and ``meta.json`` (counts, times,
versions, the validation summary), written last.

Concurrency: a builder holds an exclusive ``fcntl.flock`` on ``<key>.lock`` while it
builds, so a second process waits and then reuses the first one's entry.  Files
are written into a temporary directory beside the entry, fsynced, and the whole
directory is renamed into place, so a reader sees a complete entry or none.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kzgraph import __version__
from kzgraph.errors import CacheError, KzgraphError
from kzgraph.project import Project, input_hash

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Graph

    from kzgraph.validate import ValidationReport

ASSERTED = "asserted.nt"
INFERRED = "inferred.nt"
SOURCES = "sources.json"
META = "meta.json"
STORE = "store"  # fast-path entries only: an on-disk Oxigraph store of the closure
KEEP_ENTRIES = 8

Progress = Callable[[str], None]


def cache_root() -> Path:
    """Where cache entries live (see module doc)."""
    if os.environ.get("KZGRAPH_CACHE"):
        return Path(os.environ["KZGRAPH_CACHE"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "kzgraph"
    return Path.home() / ".cache" / "kzgraph"


@dataclass(frozen=True)
class CacheEntry:
    """A complete cache entry on disk."""

    key: str
    path: Path
    meta: dict[str, Any]

    @property
    def asserted_path(self) -> Path:
        return self.path / ASSERTED

    @property
    def inferred_path(self) -> Path:
        return self.path / INFERRED

    @property
    def asserted_count(self) -> int:
        return int(self.meta["counts"]["asserted"])

    @property
    def inferred_count(self) -> int:
        return int(self.meta["counts"]["inferred"])

    def sources(self) -> dict[str, list[str]]:
        sources: dict[str, list[str]] = json.loads(
            (self.path / SOURCES).read_text(encoding="utf-8")
        )
        return sources


@dataclass(frozen=True)
class BuildResult:
    entry: CacheEntry
    built: bool  # False when an up-to-date entry was reused
    report: ValidationReport | None  # None when reused
    seconds: float


def _read_entry(key: str, path: Path) -> CacheEntry | None:
    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("key") != key:
        return None
    return CacheEntry(key=key, path=path, meta=meta)


def find_entry(project: Project) -> CacheEntry | None:
    """The up-to-date entry for the project's current inputs, if one exists."""
    key = input_hash(project.graph_inputs())
    return _read_entry(key, cache_root() / key)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path``.  The kernel drops it when the holder
    dies, so a killed build never blocks the next one.  A lock file removed by ``_prune``
    while we waited on it is no longer the lock: open the file again."""
    import fcntl

    while True:
        handle = open(lock_path, "a+b")  # closed below, or by the with
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            held = os.fstat(handle.fileno())
            current = os.stat(lock_path)
        except FileNotFoundError:
            handle.close()
            continue
        except BaseException:
            handle.close()
            raise
        if (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino):
            break
        handle.close()
    with handle:
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _if_free(lock_path: Path) -> Iterator[bool]:
    """True (holding the lock until the block ends) when no one holds ``lock_path``."""
    import fcntl

    try:
        handle = open(lock_path, "a+b")
    except OSError:
        yield False
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ntriples_lines(graph: Graph) -> list[bytes]:
    if len(graph) == 0:
        return []
    data = graph.serialize(format="nt", encoding="utf-8")
    return sorted({line for line in data.splitlines() if line.strip()})


def _write_file(path: Path, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _canonical(graph: Graph) -> Graph:
    """Relabel blank nodes canonically, so equal inputs give byte-identical files.  Only
    the triples with a blank node are relabelled, with the fast path's labels
    (:func:`kzgraph.fast.canonical_quads`); up to its rdflib limit without leaving rdflib,
    so no literal passes through Oxigraph (which lower-cases language tags: above it, the
    tags are put back as written).

    Works in place: ``graph`` is the build's own freshly loaded graph, and copying its
    other triples into a new graph cost more than the relabelling (a few dozen triples)."""
    from rdflib import BNode, Graph
    from rdflib import Literal as RLiteral

    from kzgraph.fast import RDFLIB_CANONICAL_LIMIT

    blank = Graph(bind_namespaces="none")
    for triple in graph:
        if isinstance(triple[0], BNode) or isinstance(triple[2], BNode):
            blank.add(triple)
    if not len(blank):
        return graph
    for triple in blank:
        graph.remove(triple)
    if len(blank) <= RDFLIB_CANONICAL_LIMIT:  # rdflib itself: no round trip through Oxigraph
        from rdflib.compare import to_canonical_graph

        for triple in to_canonical_graph(blank):
            graph.add(triple)
        return graph
    import pyoxigraph as ox

    from kzgraph.fast import canonical_quads
    from kzgraph.terms import from_oxigraph, from_rdflib, to_oxigraph, to_oxigraph_triple, to_rdflib

    quads = [ox.Quad(*to_oxigraph_triple(*map(from_rdflib, triple))) for triple in blank]
    # pyoxigraph's terms lower-case language tags: the tags as written, by Oxigraph's form
    tagged = {
        str(to_oxigraph(from_rdflib(o))): o
        for _s, _p, o in blank
        if isinstance(o, RLiteral) and o.language
    }
    for quad in canonical_quads(quads):
        s, p, o = (to_rdflib(from_oxigraph(t)) for t in (quad.subject, quad.predicate, quad.object))
        graph.add((s, p, tagged.get(str(quad.object), o)))
    return graph


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"kzgraph": __version__}
    for name in ("rdflib", "owlrl", "pyshacl", "pyoxigraph"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover
            found[name] = "?"
    return found


def _prune(root: Path, keep: str) -> None:
    """Keep the newest entries only (best effort; entries in use are never locked)."""
    entries = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[KEEP_ENTRIES:]:
        if old.name == keep:
            continue
        lock = root / f"{old.name}.lock"
        with _if_free(lock) as free:
            if free:  # else being rebuilt (`build --force` of an old input): leave it
                shutil.rmtree(old, ignore_errors=True)
                with contextlib.suppress(OSError):
                    lock.unlink()  # while holding it: see _locked


_LEFTOVER = re.compile(r"\.(?:old-)?([0-9a-f]{32})-.+")


def _sweep(root: Path, key: str) -> None:
    """Remove the temporary entries (``.KEY-*``, ``.old-KEY-*``) of builds that were killed:
    those of ``key``, whose lock the caller holds, and those of any key whose lock is free."""
    for path in root.iterdir():
        m = _LEFTOVER.fullmatch(path.name)
        if m is None or not path.is_dir():
            continue
        lock = root / f"{m.group(1)}.lock"
        if m.group(1) == key or not lock.exists():  # ours, or no one is building that key
            shutil.rmtree(path, ignore_errors=True)
            continue
        with _if_free(lock) as free:
            if free:  # else being built right now
                shutil.rmtree(path, ignore_errors=True)


def build(
    project: Project,
    *,
    force: bool = False,
    progress: Progress | None = None,
    engine: str | None = None,
) -> BuildResult:
    """Make sure an up-to-date entry exists (building it if needed) and return it.

    ``engine``: ``"reference"`` (rdflib + owlrl + pyshacl), ``"fast"`` (Oxigraph,
    :mod:`kzgraph.fast`) or None to choose by input size (:func:`kzgraph.fast.choose_engine`).
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    inputs = project.graph_inputs()
    key = input_hash(inputs)
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheError(f"cannot create cache directory: {exc.strerror}", path=root) from None
    final = root / key
    lock = root / f"{key}.lock"
    with _locked(lock):
        _sweep(root, key)
        existing = _read_entry(key, final)
        if existing is not None and not force:
            return BuildResult(existing, False, None, time.perf_counter() - started)
        from kzgraph.fast import choose_engine

        inputs_ = project.ontology_files() + project.data_files()
        try:
            if choose_engine(inputs_, engine) == "fast":
                entry, report = _build_entry_fast(project, key, root, say)
            else:
                entry, report = _build_entry(project, key, root, say)
        except BaseException:
            # bad input writes nothing, not even its lock file (a process waiting on
            # this lock then builds, and fails, on its own: an unlinked lock costs at
            # most a duplicate build, entries being renamed into place atomically)
            if not final.exists():
                with contextlib.suppress(OSError):
                    lock.unlink()
            raise
        _prune(root, key)
    return BuildResult(entry, True, report, time.perf_counter() - started)


def _build_entry(
    project: Project, key: str, root: Path, say: Progress
) -> tuple[CacheEntry, ValidationReport]:
    from kzgraph.load import load_graph
    from kzgraph.reason import reason
    from kzgraph.search import write_index
    from kzgraph.validate import validate_graph

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    say("loading Turtle files")
    data = project.data_files()
    loaded = load_graph(project.ontology_files() + data, instances_only=data)
    shapes_loaded = load_graph(project.shapes_files())
    shapes = shapes_loaded.graph
    warnings = loaded.warnings + shapes_loaded.warnings
    asserted = _canonical(loaded.graph)
    times["load"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say(f"reasoning (OWL 2 RL) over {len(asserted)} triples")
    closure = reason(asserted)
    times["reason"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say("validating (SHACL)")
    report = validate_graph(closure.closed, shapes, loaded.sources, scratch=True)
    times["validate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say("writing cache")
    asserted_lines = _ntriples_lines(asserted)
    inferred_lines = _ntriples_lines(closure.inferred)
    with _temporary_entry(root, key) as tmp:
        _write_file(tmp / ASSERTED, b"".join(line + b"\n" for line in asserted_lines))
        _write_file(tmp / INFERRED, b"".join(line + b"\n" for line in inferred_lines))
        _write_file(
            tmp / SOURCES,
            json.dumps(dict(loaded.sources), sort_keys=True, ensure_ascii=False).encode(),
        )
        times["write"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        say("indexing text (SQLite FTS5)")
        write_index(tmp)
        times["search"] = time.perf_counter() - t0
        counts = {
            "asserted": len(asserted_lines),
            "inferred": len(inferred_lines),
            "dropped_inferred": closure.dropped,
            "shapes": len(shapes),
        }
        meta = _meta(project, key, {}, counts, times, report, warnings)
        final = _finish(tmp, root, key, meta)
    return CacheEntry(key=key, path=final, meta=meta), report


@contextlib.contextmanager
def _temporary_entry(root: Path, key: str) -> Iterator[Path]:
    """A temporary directory for a new entry, removed if the build fails or is
    interrupted (Ctrl-C), so no half-written entry is ever left behind."""
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    except OSError as exc:
        raise CacheError(f"cannot write cache: {exc.strerror}", path=root) from None
    try:
        yield tmp
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CacheError(f"cannot write cache: {exc.strerror or exc}", path=root) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _meta(
    project: Project,
    key: str,
    engine: dict[str, Any],
    counts: dict[str, Any],
    seconds: dict[str, float],
    report: ValidationReport,
    warnings: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The entry's meta.json: what was built from what, how big, how long, whether it
    conforms, and what was accepted with a warning (``path: message``, :mod:`kzgraph.load`)."""
    return {
        "key": key,
        **engine,
        "versions": _versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "inputs": [str(p) for p in project.graph_inputs()],
        "data_dir": str(project.data_dir),
        "counts": counts,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "validation": {
            "conforms": report.conforms,
            "violations": report.violations,
            "warnings": report.warnings,
        },
        "input_warnings": list(warnings),
    }


def _finish(tmp: Path, root: Path, key: str, meta: dict[str, Any]) -> Path:
    """Write meta.json last, then rename the finished entry into place."""
    _write_file(tmp / META, json.dumps(meta, indent=2, sort_keys=True).encode())
    return _install(tmp, root, key)


def _install(tmp: Path, root: Path, key: str) -> Path:
    """Rename the finished ``tmp`` directory to the entry ``root/key`` atomically."""
    final = root / key
    if final.exists():  # --force: move the old entry aside, then swap in the new one
        trash = Path(tempfile.mkdtemp(prefix=f".old-{key}-", dir=root))
        os.replace(final, trash / "entry")
        os.replace(tmp, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, final)
    dir_fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


def _build_entry_fast(
    project: Project, key: str, root: Path, say: Progress
) -> tuple[CacheEntry, ValidationReport]:
    """The fast path (:mod:`kzgraph.fast`): the same entry files (N-Triples in
    Oxigraph's dump order, which is the same for the same input; blank nodes labelled
    as the reference path labels them; every literal as the data writes it, which the
    store does not keep: :class:`kzgraph.fast.WrittenLiterals`), plus ``store/``, an
    on-disk Oxigraph store of the closure that queries open read-only instead of
    reloading the N-Triples."""
    from kzgraph.fast import ScanJob, StoreWriter, build_fast
    from kzgraph.fast import write_inferred as write_inferred_file
    from kzgraph.search import IndexWriter

    files = project.ontology_files() + project.data_files()
    with _temporary_entry(root, key) as tmp:
        seconds: dict[str, float] = {}
        # the files are scanned in a second process while Oxigraph parses them here
        scanning = ScanJob(files, instances_only=project.data_files())
        # the on-disk store and the search index are written in child processes too, from
        # the N-Triples files as each is written: asserted.nt while the build reasons,
        # inferred.nt while it validates
        storing: list[StoreWriter] = []
        indexing: list[IndexWriter] = []

        def store_forms() -> Path:
            """The asserted triples in the store's forms, which write_inferred compares with
            the closure's (on disk during reasoning, not in memory): asserted.nt itself
            unless the data wrote some literal otherwise."""
            by_literal = scanning.result().written.by_literal
            return tmp / (".asserted-store.nt" if by_literal else ASSERTED)

        def write_asserted(ntriples: bytes) -> None:
            _write_file(tmp / ASSERTED, scanning.result().written.restore_asserted(ntriples))
            if store_forms().name != ASSERTED:
                _write_file(store_forms(), ntriples)
            say("writing the on-disk store and the search index in child processes")
            storing.append(StoreWriter(tmp / STORE, [tmp / ASSERTED, tmp / INFERRED]))
            indexing.append(IndexWriter(tmp))
            for child in (*storing, *indexing):
                child.ready(tmp / ASSERTED)

        def write_inferred(store: ox.Store) -> None:
            # the N-Triples are complete once the closure is: the children read the rest
            # while the build validates
            t0 = time.perf_counter()
            restore = scanning.result().written.restore_inferred
            write_inferred_file(store, store_forms(), tmp / INFERRED, restore=restore)
            if store_forms().name != ASSERTED:
                store_forms().unlink()
            seconds["inferred"] = time.perf_counter() - t0
            for child in (*storing, *indexing):
                child.ready(tmp / INFERRED)

        try:
            try:
                built = build_fast(
                    files,
                    project.shapes_files(),
                    progress=say,
                    after_parse=write_asserted,
                    after_reason=write_inferred,
                    scan=scanning.result,
                )
            except (KzgraphError, MemoryError):  # Oxigraph's parser: a token over 16 MiB
                scanning.raise_first()  # a file the scan refuses: its error, as before
                raise
            scan = scanning.result()
            sources = scan.sources
            _write_file(
                tmp / SOURCES, json.dumps(sources, sort_keys=True, ensure_ascii=False).encode()
            )
            mat, report = built.materialization, built.report
            seconds.update(built.seconds)
            engine = {"engine": "fast", "shacl_engine": built.shacl_engine}
            warnings = scan.warnings + built.warnings
            del built  # the closure in memory is not needed while the children finish
            say("waiting for the on-disk store and the search index")
            for children, stage in ((storing, "write"), (indexing, "search")):
                t0 = time.perf_counter()
                seconds[stage] = children.pop().finish()  # the child's own time
                seconds[f"{stage}_wait"] = time.perf_counter() - t0  # what the build waited
        finally:
            scanning.abort()
            for child in (*storing, *indexing):  # the build failed or was interrupted
                child.abort()
        counts = {
            "asserted": mat.asserted,
            "inferred": mat.inferred,
            "dropped_inferred": 0,
            "shapes": len(project.shapes_files()),
            "iterations": list(mat.iterations),
            "same_as_reported": len(mat.same_as),
        }
        meta = _meta(project, key, engine, counts, seconds, report, warnings)
        final = _finish(tmp, root, key, meta)
    return CacheEntry(key=key, path=final, meta=meta), report


def ensure_entry(project: Project, progress: Progress | None = None) -> tuple[CacheEntry, bool]:
    """The up-to-date entry, built on demand; returns (entry, built_now)."""
    entry = find_entry(project)
    if entry is not None:
        return entry, False
    result = build(project, progress=progress)
    return result.entry, result.built
