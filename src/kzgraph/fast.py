"""The scale path: parse, reason and validate inside one pyoxigraph store.

``build_fast`` is the fast counterpart of ``store._build_entry``'s load -> reason ->
validate: Oxigraph parses the Turtle (~400k triples/s against rdflib's ~30k),
:mod:`kzgraph.materialize` computes the OWL RL closure with rules generated from the
ontology, and :mod:`kzgraph.shacl_fast` evaluates the shapes as SPARQL in the same
store.  If the ontology or the shapes use something those modules do not compile,
they raise a typed error and ``build_fast(..., fallback=True)`` validates with
pyshacl instead (never silently skipping a shape).

``choose_engine`` picks the path by size: the reference (rdflib + owlrl + pyshacl) is
kept where it is fast enough -- the bundled data, a few thousand triples -- and the
fast path above ``FAST_THRESHOLD`` bytes of Turtle input.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from kzgraph.child import Helper, run_child
from kzgraph.errors import KzgraphError, ParseError
from kzgraph.namespaces import ONTOLOGY

if TYPE_CHECKING:
    import pyoxigraph as ox

    from kzgraph.materialize import Materialization
    from kzgraph.validate import ValidationReport

Progress = Callable[[str], None]

#: above this many bytes of Turtle input (~20k triples) the CLI uses the fast path:
#: owlrl takes ~5 s there and grows ~linearly (49 s at 100k triples)
FAST_THRESHOLD = 2_000_000


def input_size(paths: Iterable[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def choose_engine(paths: Iterable[Path], requested: str | None = None) -> str:
    """``"reference"`` or ``"fast"``: the requested one, else by input size."""
    if requested in ("reference", "fast"):
        return requested
    return "fast" if input_size(paths) > FAST_THRESHOLD else "reference"


@dataclass(frozen=True)
class FastBuild:
    store: ox.Store
    materialization: Materialization
    report: ValidationReport
    seconds: dict[str, float] = field(default_factory=dict)
    shacl_engine: str = "sparql"  # or "pyshacl" when the shapes needed the fallback
    #: the shapes files' warnings (:attr:`kzgraph.load.LoadedGraph.warnings`)
    warnings: tuple[str, ...] = ()


def build_fast(
    graph_files: Iterable[Path],
    shapes_files: Iterable[Path],
    *,
    store: ox.Store | None = None,
    sources: dict[str, tuple[str, ...]] | None = None,
    progress: Progress | None = None,
    fallback: bool = True,
    after_parse: Callable[[bytes], None] | None = None,
    after_reason: Callable[[ox.Store], None] | None = None,
    written: WrittenLiterals | None = None,
    scan: Callable[[], FileScan] | None = None,
) -> FastBuild:
    """Load ``graph_files`` (ontology + data) into ``store`` (new, in memory, by
    default), give its blank nodes canonical labels (:func:`canonical_blank_nodes`, on
    the literals as ``written``), materialize, validate.  ``after_parse`` gets the
    asserted triples as N-Triples, the store's forms (e.g. to write them out before
    reasoning).  ``after_reason`` gets the store once it holds the closure, in a
    thread while the build validates (both only read it), e.g. to write the cache; its
    error is raised before validation's.  ``scan``, if given, is called once the files
    are parsed and its result's ``written`` and ``sources`` stand for those arguments
    (:class:`ScanJob` scans beside the parse).  Raises ParseError,
    UnsupportedAxiomError, InconsistencyError as the reference path does."""
    from kzgraph.load import load_graph
    from kzgraph.materialize import load_store, materialize
    from kzgraph.shacl_fast import UnsupportedShapeError, validate_store

    say = progress or (lambda _m: None)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    files = list(graph_files)
    say(f"parsing {len(files)} files with Oxigraph")
    target = load_store(files, store)
    seconds["parse"] = time.perf_counter() - t0
    if scan is not None:
        t0 = time.perf_counter()
        scanned = scan()
        written, sources = scanned.written, scanned.sources
        seconds["scan_wait"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    asserted = canonical_blank_nodes(target, written)
    if after_parse is not None:
        after_parse(asserted)
    del asserted
    seconds["canonical"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say(f"reasoning (OWL 2 RL rules from the ontology) over {len(target)} triples")
    mat = materialize(target, progress=lambda m: say(f"reasoning: {m}"))
    seconds["reason"] = time.perf_counter() - t0
    # after_reason (the cache's inferred file) runs in a thread beside validation: both
    # only read the store, and most of their work is in Oxigraph, without the GIL (at
    # 1M asserted triples 9.5 s side by side against 13.2-14.0 s one after the other)
    with ThreadPoolExecutor(max_workers=1) as beside:
        alongside = beside.submit(after_reason, target) if after_reason is not None else None
        t0 = time.perf_counter()
        say("validating (SHACL as SPARQL)")
        shapes_loaded = load_graph(list(shapes_files))
        shapes = shapes_loaded.graph
        engine = "sparql"
        try:
            report = validate_store(target, shapes, sources)
        except UnsupportedShapeError as error:
            if not fallback:
                raise
            say(f"validating with pyshacl instead: {error}")
            report = _pyshacl_on_store(target, shapes, sources)
            engine = "pyshacl"
        finally:
            # the cache's error first, as when it ran before validation
            failed = alongside.exception() if alongside is not None else None
            if failed is not None:
                raise failed
        seconds["validate"] = time.perf_counter() - t0
    return FastBuild(target, mat, report, seconds, engine, shapes_loaded.warnings)


def canonical_blank_nodes(store: ox.Store, written: WrittenLiterals | None = None) -> bytes:
    """Relabel the blank nodes of ``store``'s default graph canonically, as the
    reference path does (``store._canonical``: rdflib's ``to_canonical_graph``), and
    return the default graph as N-Triples, its lines in a fixed order.

    Oxigraph gives every parsed blank node a random label, so without this each build
    wrote different cache files and exports (the ontology's ``owl:propertyChainAxiom``
    lists).  Only the triples with a blank node are canonicalized: rdflib's labels
    depend on those triples alone, so they are the reference path's labels, and the
    cost is a scan of the N-Triples dump for ``_:`` (at 1M triples the dump, which the
    cache writes anyway, takes ~1 s; the scan ~0.05 s), not an rdflib pass over the
    graph.  The lines without a blank node keep Oxigraph's dump order (the same for the
    same triples); the relabelled ones follow, sorted.

    The labels come from :func:`canonical_quads`, shared with the reference path, and
    are computed on the literals as the data wrote them (``written``), as the reference
    path computes them: a blank node holding ``"10"^^xsd:positiveInteger`` is labelled
    for that, not for the store's ``"10"^^xsd:integer``."""
    import pyoxigraph as ox

    data = _dump(store)
    spans: list[tuple[int, int]] = []  # the lines that mention "_:" (maybe in a literal)
    found = data.find(b"_:")
    while found != -1:
        end = data.find(b"\n", found) + 1 or len(data)
        spans.append((data.rfind(b"\n", 0, found) + 1, end))
        found = data.find(b"_:", end)
    blank = []
    for start, end in spans:
        (quad,) = ox.parse(data[start:end], format=ox.RdfFormat.N_TRIPLES)
        if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
            blank.append((start, end, quad))
    if not blank:
        return data
    quads = [quad for _start, _end, quad in blank]
    if written is not None:
        quads, stored = written.as_written([(data[a:b], q) for a, b, q in blank])
    relabelled = canonical_quads(quads)
    if written is not None and stored:  # back to the store's forms, as it dumps them
        relabelled = [
            ox.Quad(q.subject, q.predicate, stored.get(str(q.object), q.object)) for q in relabelled
        ]
    for _start, _end, quad in blank:
        store.remove(quad)
    store.extend(relabelled)
    serialized = ox.serialize(relabelled, format=ox.RdfFormat.N_TRIPLES)
    assert serialized is not None  # no output given: the bytes are returned
    lines = sorted(set(serialized.splitlines()))
    kept, last = [], 0
    for start, end, _quad in blank:
        kept.append(data[last:start])
        last = end
    kept.append(data[last:])
    return b"".join(kept) + b"".join(line + b"\n" for line in lines)


#: up to this many triples with a blank node, rdflib's labels are used (the reference
#: path's since the first release); above it rdflib's cost (about cubic in a chain of
#: blank nodes: a 1,000-item list takes 55 s) rules it out
RDFLIB_CANONICAL_LIMIT = 200


def canonical_quads(quads: list[ox.Quad]) -> list[ox.Quad]:
    """``quads`` (every triple with a blank node) with canonical blank-node labels: the
    same labels for the same triples however their blank nodes were named, on both build
    paths (``store._canonical`` calls this too).

    Up to :data:`RDFLIB_CANONICAL_LIMIT` triples: rdflib's ``to_canonical_graph``.
    Above: :func:`_forest_labels` where the blank nodes form trees (what Turtle's
    ``[ ]`` and ``( )`` make), else Oxigraph's own canonicalization (RDFC-style hashing,
    linear in practice; its labels may change with Oxigraph's version, which is part of
    the cache key)."""
    import pyoxigraph as ox

    if len(quads) <= RDFLIB_CANONICAL_LIMIT:
        from rdflib import Graph
        from rdflib.compare import to_canonical_graph

        from kzgraph.load import exact_literals

        text = ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES)
        assert text is not None  # no output given: the bytes are returned
        with exact_literals():  # "09"^^xsd:positiveInteger is labelled as it is, not as "9"
            graph = Graph().parse(data=text.decode("utf-8"), format="nt")
        return list(
            ox.parse(
                to_canonical_graph(graph).serialize(format="nt", encoding="utf-8"),
                format=ox.RdfFormat.N_TRIPLES,
            )
        )
    forest = _forest_labels(quads)
    if forest is not None:
        labels: dict[Any, Any] = forest  # keyed by blank nodes, looked up with any term
        return [
            ox.Quad(labels.get(q.subject, q.subject), q.predicate, labels.get(q.object, q.object))
            for q in quads
        ]
    dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return [ox.Quad(q.subject, q.predicate, q.object) for q in dataset]


def _forest_labels(quads: list[ox.Quad]) -> dict[ox.BlankNode, ox.BlankNode] | None:
    """Canonical labels for blank nodes that form a forest (each the object of at most
    one triple, no cycles), or None if they do not.

    Each blank node is hashed bottom-up from its outgoing triples (a child blank node
    by its hash), then labelled top-down from its parent's label or IRI, the predicate,
    its hash, and its rank among identical siblings (identical subtrees under the same
    parent and predicate are interchangeable).  Linear but for sorting, with no
    recursion, so a 10,000-item list is no deeper than a short one."""
    import hashlib

    import pyoxigraph as ox

    children: dict[ox.BlankNode, list[tuple[str, object]]] = {}
    parent: dict[ox.BlankNode, tuple[object, str]] = {}
    for quad in quads:
        subject, predicate, obj = quad.subject, quad.predicate.value, quad.object
        if isinstance(subject, ox.BlankNode):
            children.setdefault(subject, []).append((predicate, obj))
        if isinstance(obj, ox.BlankNode):
            children.setdefault(obj, [])
            if obj in parent:
                return None
            parent[obj] = (subject, predicate)
    waiting = {
        node: sum(isinstance(o, ox.BlankNode) for _p, o in edges)
        for node, edges in children.items()
    }
    ready = [node for node, n in waiting.items() if n == 0]
    digest: dict[ox.BlankNode, str] = {}
    while ready:
        node = ready.pop()
        parts = sorted(
            f"{p} {'_:' + digest[o] if isinstance(o, ox.BlankNode) else o}"
            for p, o in children[node]
        )
        digest[node] = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        up = parent.get(node)
        if up is not None and isinstance(up[0], ox.BlankNode):
            waiting[up[0]] -= 1
            if waiting[up[0]] == 0:
                ready.append(up[0])
    if len(digest) < len(children):  # a cycle
        return None
    groups: dict[tuple[str, str], list[ox.BlankNode]] = {}
    for node in children:
        up = parent.get(node)
        if up is None or not isinstance(up[0], ox.BlankNode):
            anchor = "" if up is None else f"{up[0]} {up[1]}"
            groups.setdefault((anchor, digest[node]), []).append(node)
    labels: dict[ox.BlankNode, ox.BlankNode] = {}
    below: dict[ox.BlankNode, list[ox.BlankNode]] = {}
    for node, (up_node, _p) in parent.items():
        if isinstance(up_node, ox.BlankNode):
            below.setdefault(up_node, []).append(node)
    todo = sorted(groups.items())
    while todo:
        (anchor, hashed), nodes = todo.pop()
        for rank, node in enumerate(nodes):  # identical: any order gives the same graph
            key = f"{anchor}\n{hashed}\n{rank}".encode()
            labels[node] = ox.BlankNode("t" + hashlib.sha256(key).hexdigest()[:32])
            subgroups: dict[tuple[str, str], list[ox.BlankNode]] = {}
            for child in below.get(node, ()):
                sub = (f"_:{labels[node].value} {parent[child][1]}", digest[child])
                subgroups.setdefault(sub, []).append(child)
            todo.extend(subgroups.items())
    return labels


def _dump(store: ox.Store) -> bytes:
    """The default graph as N-Triples."""
    import pyoxigraph as ox

    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    assert data is not None  # no output given: the bytes are returned
    return data


def inferred_ntriples(store: ox.Store, asserted: bytes) -> bytes:
    """The inferred triples of the materialized ``store`` as N-Triples: its default
    graph (the closure) minus the ``asserted`` N-Triples (as dumped from the same store
    by :func:`canonical_blank_nodes`), in dump order.  Reasoning writes each new triple
    once, into the closure only, so this is where the inferred ones are told apart.

    Oxigraph dumps in index order, so the asserted lines come in the closure's dump in
    their own order: one walk over both finds them; the lines left over at the end of
    ``asserted`` (the relabelled blank-node lines; anything out of order) are matched
    by a set, so the result is the difference whatever the order.  1M asserted
    triples, load ~2.5: the closure's dump (2.3M triples) ~2.4 s, the walk ~0.7 s (a
    set of every asserted line ~1.5 s); dumping a graph of the inferred triples took
    ~1.5 s but writing that graph ~4.5 s more reasoning, and a layout with the inferred
    triples in a named graph of their own (``USING`` both graphs in every rule) ~1 s."""
    known = asserted.splitlines()
    closure = _dump(store).splitlines()
    unmatched: list[bytes] = []
    i, n = 0, len(known)
    for line in closure:
        if i < n and line == known[i]:
            i += 1
        else:
            unmatched.append(line)
    rest = set(known[i:])
    inferred = [line for line in unmatched if line not in rest] if rest else unmatched
    return b"\n".join(inferred) + b"\n" if inferred else b""


#: how much of the inferred lines :func:`write_inferred` takes out and restores at a time
INFERRED_BLOCK = 1 << 24


def write_inferred(
    store: ox.Store,
    asserted: Path,
    target: Path,
    restore: Callable[[bytes], bytes] | None = None,
) -> None:
    """Write the inferred triples of the materialized ``store`` to ``target`` as
    :func:`inferred_ntriples` computes them, from the ``asserted`` N-Triples file (the
    store's forms), streaming: the closure is dumped to a file beside ``target`` by
    Oxigraph and both files are read line by line, so memory does not grow with the
    graph (at 10M triples the closure's dump and its lines alone took ~7 GB in memory).
    ``restore`` (e.g. :meth:`WrittenLiterals.restore_inferred`) rewrites each block of
    whole lines on the way out.  Asserted lines left over at the end of the walk (the
    relabelled blank-node lines) are taken out in a second pass over the few matches."""
    import os

    import pyoxigraph as ox

    closure = target.with_name(f".{target.name}.closure")
    raw = target.with_name(f".{target.name}.raw")
    try:
        store.dump(output=str(closure), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        rest: set[bytes] = set()
        with open(asserted, "rb") as known, open(closure, "rb") as lines, open(raw, "wb") as out:
            expected = known.readline()
            for line in lines:
                if line == expected:
                    expected = known.readline()
                else:
                    out.write(line)
            while expected:
                rest.add(expected.rstrip(b"\n") + b"\n")
                expected = known.readline()
        closure.unlink()
        # the leftovers are the blank-node lines, as a rule: then only a block with a
        # blank node can hold one (at 1M, 20 leftovers made this pass 2.7 s, not 0.5)
        blank_only = all(b"_:" in line for line in rest)
        with open(raw, "rb") as lines, open(target, "wb") as out:
            while True:
                block = lines.read(INFERRED_BLOCK)
                if not block:
                    break
                if not block.endswith(b"\n"):
                    block += lines.readline()
                if rest and (not blank_only or b"_:" in block):
                    kept = [ln + b"\n" for ln in block.split(b"\n")[:-1]]
                    block = b"".join(ln for ln in kept if ln not in rest)
                if restore is not None and block:
                    block = restore(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
    finally:
        closure.unlink(missing_ok=True)
        raw.unlink(missing_ok=True)


#: a file at least this big is bulk-loaded in parts, one per core (:func:`fill_disk_store`)
SPLIT_BYTES = 8 << 20
#: at most this many parts
MAX_PARTS = 4


class _Lines(io.RawIOBase):
    """The lines in bytes ``[start, end)`` of an N-Triples file (both at the start of a
    line) as a stream for Oxigraph's bulk loader, less those with a blank node, which go
    to ``blank`` instead: the bulk loader gives each blank node of a load a new label,
    so a node written in two loads (asserted.nt and inferred.nt, or two parts of one
    file) would become two nodes.  Read in blocks of whole lines; only a block with
    ``_:`` in it is split into lines."""

    BLOCK = 1 << 20

    def __init__(self, path: Path, start: int, end: int, blank: list[bytes]) -> None:
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 (closed by close(), after the load)
        self._file.seek(start)
        self._left = end - start
        self._blank = blank
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _next_block(self) -> bytes:
        block = self._file.read(min(self.BLOCK, self._left))
        if block and not block.endswith(b"\n") and len(block) < self._left:
            block += self._file.readline()  # the end is at a line's start
        self._left -= len(block)
        if b"_:" not in block:
            return block
        kept: list[bytes] = []
        for line in block.splitlines(keepends=True):
            (self._blank if b"_:" in line else kept).append(line)
        return b"".join(kept)

    def readinto(self, buffer: Any) -> int:
        while not self._pending and self._left > 0:
            self._pending = memoryview(self._next_block())
        n = min(len(buffer), len(self._pending))
        memoryview(buffer).cast("B")[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def line_cuts(path: Path, parts: int) -> list[int]:
    """Offsets that cut the N-Triples file ``path`` into at most ``parts`` runs of whole
    lines of about the same size: ``[0, ..., size]``."""
    size = path.stat().st_size
    cuts = [0]
    with open(path, "rb") as f:
        for i in range(1, parts):
            f.seek(max(size * i // parts, cuts[-1]))
            f.readline()  # to the start of the next line
            if cuts[-1] < f.tell() < size:
                cuts.append(f.tell())
    return [*cuts, size]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def fill_disk_store(target: Path, ntriples: Iterable[Path], *, split_from: int = 0) -> None:
    """Bulk-load each N-Triples file of ``ntriples`` (e.g. the cache's asserted and
    inferred files) into a new on-disk Oxigraph store at ``target`` as the iterable gives
    it (it may wait for the next file to be written), then compact it (``optimize``) and
    flush it.  Measured at 1M asserted triples: ``bulk_extend`` from the in-memory store
    took 17.6 s and 3.3 GB peak, and a saved query then took a median of 45 ms on it;
    bulk-load and compaction take ~13-18 s and 1.1 GB, and the query 26 ms (RocksDB reads
    fewer, sorted files).  The build runs it in a child process (:class:`StoreWriter`).

    A big file is loaded in parts of whole lines, one per core, side by side (as
    ``oxigraph load`` loads several files), since one of Oxigraph's bulk loads keeps
    about one core busy: at 1M, asserted + inferred 16.1 s -> 8.5 s on two free cores,
    for the same CPU time and memory; the files before ``split_from`` load whole (the build
    splits only ``inferred.nt``, loaded once its main line is nearly done: ``asserted.nt``
    loads while it reasons, when the search index's child needs the rest of the second
    core).  The lines with a blank node are added last, from Oxigraph's parser, which
    keeps their labels (:class:`_Lines`), so a blank node is the same node in every
    file, as it is in the N-Triples."""
    import pyoxigraph as ox

    disk = ox.Store(str(target))
    # lenient: the cache's N-Triples come from Oxigraph's dumps, whose IRIs it need not
    # check again (at 1M, 13.2-13.5 s of CPU for both files against 14.4-14.9 s)
    load = functools.partial(disk.bulk_load, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    parts = max(1, min(_cores(), MAX_PARTS))
    blank: list[bytes] = []
    for i, path in enumerate(ntriples):
        split = i >= split_from and path.stat().st_size >= SPLIT_BYTES
        cuts = line_cuts(path, parts if split else 1)
        ranges = [
            io.BufferedReader(_Lines(path, a, b, blank), 1 << 20)
            for a, b in itertools.pairwise(cuts)
        ]
        try:
            if len(ranges) == 1:
                load(input=ranges[0])
                continue
            with ThreadPoolExecutor(len(ranges)) as pool:
                for loading in [pool.submit(load, input=r) for r in ranges]:
                    loading.result()
        finally:
            for r in ranges:
                r.close()
    if blank:
        disk.bulk_extend(ox.parse(input=b"".join(blank), format=ox.RdfFormat.N_TRIPLES))
    disk.optimize()
    disk.flush()
    del disk


class StoreWriter(Helper):
    """:func:`fill_disk_store` in a child process, fed file by file: the build says when
    the asserted N-Triples are written (:meth:`~kzgraph.child.Helper.ready`), so that
    Oxigraph's bulk loader (~16-18 s of CPU for the two files at 1M, in parts side by
    side where cores are free) loads them while the build reasons, and when the inferred
    ones are, while it validates.  :meth:`~kzgraph.child.Helper.finish` waits for the compacted
    store and returns the seconds the child worked.  The child dies with the build, like
    the others."""

    def __init__(self, target: Path, ntriples: Iterable[Path]) -> None:
        args = [str(target), *map(str, ntriples)]
        super().__init__("kzgraph.fast", args, target.parent, "the on-disk store")


def _child() -> None:
    """The body of :class:`StoreWriter`'s child: ``TARGET NTRIPLES... PARENT_PID`` on the
    command line; each N-Triples file is loaded once the build says it is ready."""
    from kzgraph.child import announced

    def work(args: list[str]) -> None:
        files = [Path(arg) for arg in args[1:]]
        fill_disk_store(Path(args[0]), announced(files), split_from=len(files) - 1)

    run_child(work)


class ScanJob:
    """:func:`scan_files` in a forked child process, so that the file scan (Python, ~6 s
    at 1M asserted triples) runs on the second core while Oxigraph parses the same files
    (~3.5 s) in this one.  :meth:`result` waits for it.  Errors stay those of the scan
    alone, in the same order: when the child fails (a bad file) or the parse fails first,
    the scan runs again here and raises what it finds (:meth:`result`,
    :meth:`raise_first`); only a good scan crosses the process boundary."""

    def __init__(self, files: Iterable[Path], instances_only: Iterable[Path] = ()) -> None:
        import multiprocessing
        import os

        self.files, self.instances_only = list(files), list(instances_only)
        self._scan: FileScan | None = None
        self._scanned_here = False
        # fork: the child starts at once with this process's modules (the build has made
        # no store yet, and runs no other thread)
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_scan_child,
            args=(send, self._receive, self.files, self.instances_only, os.getpid()),
            daemon=True,
        )
        self._process.start()
        send.close()

    def result(self) -> FileScan:
        """The scan; if the child did not deliver one, the scan run here (which raises
        the file's error)."""
        if self._scan is None:
            try:
                delivered = self._receive.recv()
            except (EOFError, OSError):  # the child failed or was killed
                delivered = None
            self.abort()
            if delivered is None:
                self._scanned_here = True  # what it raises is the error to report
                delivered = scan_files(self.files, self.instances_only)
            self._scan = delivered
        return self._scan

    def raise_first(self) -> None:
        """The build failed: if the scan had not been delivered yet, stop the child and
        scan here, so that a file the scan refuses is reported as the scan reports it
        (it used to run before the parse); else return and let the caller raise."""
        if self._scan is None and not self._scanned_here:
            self.abort()
            self._scanned_here = True
            self._scan = scan_files(self.files, self.instances_only)

    def abort(self) -> None:
        """Stop the child if it still runs."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receive.close()


def _scan_child(
    send: Any, receive: Any, files: list[Path], instances_only: list[Path], parent: int
) -> None:
    """:class:`ScanJob`'s child: send the scan, or None if it failed."""
    from kzgraph.child import die_with_parent

    # the pipe's read end came with the fork: closed here, a parent that is gone makes
    # the send fail at once instead of blocking on a full pipe that no one reads
    receive.close()
    die_with_parent(parent)
    try:
        scan: FileScan | None = scan_files(files, instances_only)
    except BaseException:  # noqa: BLE001 - the parent scans again and raises it
        scan = None
    with contextlib.suppress(OSError):
        send.send(scan)
    send.close()


def file_sources(
    files: Iterable[Path], instances_only: Iterable[Path] = ()
) -> dict[str, tuple[str, ...]]:
    """Subject IRI -> the files (in order) with triples about it (:func:`scan_files`)."""
    return scan_files(files, instances_only).sources


@dataclass(frozen=True)
class FileScan:
    sources: dict[str, tuple[str, ...]]
    written: WrittenLiterals
    #: ``path: message`` for what was accepted but is worth a warning (a byte-order mark,
    #: a file without triples), as :attr:`kzgraph.load.LoadedGraph.warnings`
    warnings: tuple[str, ...] = ()


def scan_files(files: Iterable[Path], instances_only: Iterable[Path] = ()) -> FileScan:
    """Read every file once with Oxigraph's parser: subject IRI -> the files (in order)
    with triples about it, as ``load_graph`` records them, and the literals whose
    written form the store would change (:class:`WrittenLiterals`).  Refuses bad files
    as ``load_graph`` does: syntax errors, ill-typed literals, empty files, vocabulary
    in the data files (``instances_only``), and Oxigraph's own limit of 16 MiB per
    literal or IRI.  Accepts, with a warning, what the reference path accepts: a
    byte-order mark, a file of nothing but whitespace and comments."""
    import pyoxigraph as ox

    from kzgraph.load import (
        SCHEMA_SUSPECTS,
        check_triple,
        empty_file_error,
        input_warnings,
        is_blank_turtle,
        language_tags,
        nesting_error,
        oxigraph_syntax_error,
        read_text,
        too_long_error,
        turtle_source,
    )
    from kzgraph.project import display_path

    named, literal, string = ox.NamedNode, ox.Literal, XSD + "string"
    found: dict[str, list[str]] = {}
    occurrences: list[tuple[bytes | None, bytes, str]] = []  # (subject, predicate, literal)
    data = set(instances_only)
    warnings: list[str] = []
    for path in files:
        label = display_path(path)
        subjects = set()
        check_schema = path in data
        count = 0
        problem = None
        # as the reference path: binary, UTF-16, BOM, non-UTF-8, then a nest so deep
        # that the blank-node canonicalization would never finish
        text = read_text(Path(path), allow_bom=True)
        deep = nesting_error(path, text)
        if deep is not None:
            raise deep
        capitals = _CAPITAL_TAG.search(text) is not None  # else every tag is as parsed
        tagged: list[tuple[ox.Quad, ox.Literal]] = []
        try:
            for t in ox.parse(**turtle_source(Path(path)), format=ox.RdfFormat.TURTLE):
                count += 1
                subject, obj = t.subject, t.object
                kind, object_kind = type(subject), type(obj)
                if kind is ox.Triple or object_kind is ox.Triple:
                    # RDF 1.2 triple terms (<< >>): rdflib, and so the reference path, refuses
                    raise _reference_parse_error(Path(path)) or ParseError(
                        "RDF 1.2 triple terms are not supported", path=label
                    )
                subject_iri = subject.value if kind is named else ""
                if subject_iri:
                    subjects.add(subject_iri)
                # Oxigraph keeps an ill-typed literal ("1994-02-30"^^xsd:date) as it is;
                # the reference path refuses it, and so does this one -- after a syntax
                # error further on, if any, as the reference path reports that first.
                # check_triple runs where it may find something: a typed literal (a string
                # is never ill-typed), or in a data file a predicate that may define
                # vocabulary or a subject in the ontology's namespace
                suspect = False
                if object_kind is literal:
                    if obj.language:
                        if capitals:
                            tagged.append((t, obj))
                    else:
                        datatype = obj.datatype.value
                        if datatype != string:
                            suspect = True
                            if not _kept_as(obj.value, datatype):
                                occurrences.append((_key(subject), _key(t.predicate), str(obj)))
                if problem is None and (
                    suspect
                    or check_schema
                    and (t.predicate.value in SCHEMA_SUSPECTS or subject_iri.startswith(ONTOLOGY))
                ):
                    problem = check_triple(path, t, instances_only=check_schema)
        except SyntaxError as exc:
            raise _reference_parse_error(Path(path)) or oxigraph_syntax_error(path, exc) from None
        except MemoryError:  # "Reached the buffer maximal size": a token over 16 MiB
            raise too_long_error(path, Path(path).read_bytes()) from None
        if problem is not None:
            raise problem
        if count == 0 and not is_blank_turtle(text):
            raise empty_file_error(path)
        warnings += input_warnings(Path(path), triples=count)
        if tagged:
            occurrences += _written_tags(tagged, language_tags(text))
        for subject in subjects:
            found.setdefault(subject, []).append(label)
    return FileScan(
        {k: tuple(v) for k, v in found.items()}, WrittenLiterals(occurrences), tuple(warnings)
    )


XSD = "http://www.w3.org/2001/XMLSchema#"
#: lexical forms that Oxigraph's store keeps as they are (its canonical forms), by
#: datatype; any other typed literal is checked against a scratch store
#: (tests/test_fast.py checks that these are kept)
_CANONICAL = {
    XSD + "string": re.compile(r"(?s).*"),
    XSD + "integer": re.compile(r"0|-?[1-9][0-9]*"),
    XSD + "decimal": re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]*[1-9]"),
    XSD + "boolean": re.compile(r"true|false"),
    XSD + "date": re.compile(r"[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"),
    XSD + "gYearMonth": re.compile(r"[1-9][0-9]{3}-(0[1-9]|1[0-2])"),
    XSD + "gYear": re.compile(r"[1-9][0-9]{3}"),
}
#: a language tag with a capital letter after a quote: the file may need :func:`_written_tags`
_CAPITAL_TAG = re.compile(r"[\"']@[A-Za-z0-9-]*[A-Z]")


def _kept_as(lexical: str, datatype: str) -> bool:
    pattern = _CANONICAL.get(datatype)
    return pattern is not None and pattern.fullmatch(lexical) is not None


@overload
def _key(term: ox.NamedNode) -> bytes: ...
@overload
def _key(term: object) -> bytes | None: ...
def _key(term: object) -> bytes | None:
    """An IRI as the N-Triples dump writes it (None for a blank node, whose label the
    dump does not share with the parser)."""
    import pyoxigraph as ox

    return f"<{term.value}>".encode() if isinstance(term, ox.NamedNode) else None


def _written_tags(
    tagged: list[tuple[ox.Quad, ox.Literal]], tags: list[str]
) -> list[tuple[bytes | None, bytes, str]]:
    """The language-tagged literals of one file whose tag the file writes with capitals,
    as written: Oxigraph's parser yields literals in document order, so the n-th tagged
    literal parsed has the n-th tag of :func:`kzgraph.load.language_tags`.  If the two do
    not line up (never seen), the file's tags stay in Oxigraph's lower case."""
    if len(tags) != len(tagged) or any(
        tag.lower() != literal.language for (_t, literal), tag in zip(tagged, tags, strict=True)
    ):
        return []
    out = []
    for (t, literal), tag in zip(tagged, tags, strict=True):
        if tag != literal.language:
            parsed = str(literal)
            written = parsed[: len(parsed) - len(tag)] + tag
            out.append((_key(t.subject), _key(t.predicate), written))
    return out


class WrittenLiterals:
    """The literals of the input whose form Oxigraph's store changes, and how the data
    wrote them: the store lower-cases language tags (``@kk-Cyrl`` -> ``@kk-cyrl``) and
    writes typed values canonically (``"100.0"^^xsd:decimal`` -> ``"100"``,
    ``"9"^^xsd:positiveInteger`` -> ``"9"^^xsd:integer``).  Keys are N-Triples bytes as
    the store dumps them; values the written forms.

    :meth:`restore_asserted` puts the written forms back into the dump of the asserted
    triples, exactly: a triple (s, p, o) becomes one line per form the data wrote for it.
    :meth:`restore_inferred` then does the same for the inferred triples, whose
    predicate the data did not write: a line gets the forms its subject holds in the
    asserted triples, else every form the data wrote of that value.  Where the data
    writes one value in two forms (``"1"`` and ``"true"``, ``@kk-Cyrl`` and
    ``@kk-cyrl``), the store holds them as one term and an inferred copy gets both."""

    def __init__(self, occurrences: Sequence[tuple[bytes | None, bytes, str]] = ()) -> None:
        """From (subject, predicate, written literal) occurrences, every literal's store
        form read back from a scratch store (one load of the distinct literals)."""
        Forms = dict[Any, set[bytes]]  # noqa: N806 - a local type alias
        self.by_triple: Forms = {}
        self.by_subject: Forms = {}
        self.by_literal: Forms = {}
        if not occurrences:
            return
        import pyoxigraph as ox

        distinct = sorted({literal for _s, _p, literal in occurrences})
        scratch = ox.Store()
        lines = (
            f"<urn:kzgraph:written:{i}> <urn:kzgraph:p> {w} .\n" for i, w in enumerate(distinct)
        )
        scratch.load("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)
        stored: dict[str, bytes] = {}
        for line in _dump(scratch).splitlines():
            numbered, _p, rest = line.split(b" ", 2)
            stored[distinct[int(numbered[len(b"<urn:kzgraph:written:") : -1])]] = rest[:-2]
        for subject, predicate, literal in occurrences:
            form, written = stored[literal], literal.encode()
            if form == written:
                continue
            self.by_literal.setdefault(form, set()).add(written)
            if subject is not None:
                self.by_triple.setdefault((subject, predicate, form), set()).add(written)
                self.by_subject.setdefault((subject, form), set()).add(written)

    def as_written(
        self, lines: list[tuple[bytes, ox.Quad]]
    ) -> tuple[list[ox.Quad], dict[str, ox.Literal]]:
        """The quads (each with its dump line) with every changed literal object in the
        forms the data wrote, one quad per form (a typed value's lexical form: a
        pyoxigraph term lower-cases a tag), and each written form -> the store's form."""
        import pyoxigraph as ox

        out: list[ox.Quad] = []
        stored: dict[str, ox.Literal] = {}
        for line, quad in lines:
            forms = self.by_literal.get(line.split(b" ", 2)[2].rstrip()[:-2])
            if not forms or not isinstance(quad.object, ox.Literal):
                out.append(quad)
                continue
            for form in sorted(forms):
                (parsed,) = ox.parse(b"<urn:s> <urn:p> %s ." % form, format=ox.RdfFormat.N_TRIPLES)
                assert isinstance(parsed.object, ox.Literal)
                stored[str(parsed.object)] = quad.object
                out.append(ox.Quad(quad.subject, quad.predicate, parsed.object))
        return out, stored

    def restore_asserted(self, ntriples: bytes) -> bytes:
        """The store's dump of the asserted triples with every literal as written.  A
        changed value that a triple has in the store's own form (``"true"`` beside a
        ``"1"`` elsewhere) was written so: that form is kept, and remembered for
        :meth:`restore_inferred`."""

        def forms(subject: bytes, predicate: bytes, obj: bytes) -> set[bytes] | None:
            if subject.startswith(b"_:"):  # labelled after parsing: no key, every form
                return self.by_literal[obj]
            found = self.by_triple.get((subject, predicate, obj))
            if found is None:  # written in the store's form
                self.by_literal[obj].add(obj)
                self.by_subject.setdefault((subject, obj), set()).add(obj)
            return found

        return self._restore(ntriples, forms)

    def restore_inferred(self, ntriples: bytes) -> bytes:
        """The store's dump of inferred triples with every literal as written (after
        :meth:`restore_asserted`)."""

        def forms(subject: bytes, _predicate: bytes, obj: bytes) -> set[bytes] | None:
            return self.by_subject.get((subject, obj)) or self.by_literal[obj]

        return self._restore(ntriples, forms)

    def _restore(
        self, ntriples: bytes, forms: Callable[[bytes, bytes, bytes], set[bytes] | None]
    ) -> bytes:
        if not self.by_literal:
            return ntriples
        out = []
        for line in ntriples.split(b"\n"):
            if b'"' not in line:
                out.append(line)
                continue
            subject, predicate, rest = line.split(b" ", 2)
            obj = rest[:-2]  # the object, without " ."
            found = forms(subject, predicate, obj) if obj in self.by_literal else None
            if found is None:
                out.append(line)
            else:
                out += [b"%s %s %s ." % (subject, predicate, form) for form in sorted(found)]
        return b"\n".join(out)


def _reference_parse_error(path: Path) -> KzgraphError | None:
    """The error the reference loader gives for a file Oxigraph refused, so that both
    paths say the same thing (rdflib's positions and wording: undefined prefixes, binary
    and non-UTF-8 files).  Only runs once a file has failed, so it costs nothing otherwise."""
    from kzgraph.load import parse_turtle

    try:
        parse_turtle(path)
    except KzgraphError as error:
        return error
    return None


def _pyshacl_on_store(store: ox.Store, shapes, sources):  # type: ignore[no-untyped-def]
    import pyoxigraph as ox
    from rdflib import Graph

    from kzgraph.validate import validate_graph

    data = Graph()
    data.parse(
        data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()),
        format="nt",
    )
    return validate_graph(data, shapes, sources)
