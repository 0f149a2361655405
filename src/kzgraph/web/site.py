"""The state one HTTP worker serves from (:class:`Site`: engines, catalog, pool, the
result cache) and the build stamp every answer's validators come from."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.responses import Response

from kzgraph import __version__, discovery
from kzgraph import html as pages
from kzgraph.compression import CachedResponse
from kzgraph.engine import TextFunctions
from kzgraph.export import rebase_query
from kzgraph.metadata import read_metadata
from kzgraph.namespaces import RESOURCE_BASE
from kzgraph.pool import Dataset, QueryPool
from kzgraph.query import OxigraphEngine, SavedQuery, load_catalog
from kzgraph.resolve import NameIndex
from kzgraph.search import KIND_NAMES, open_index
from kzgraph.terms import IRI, Literal
from kzgraph.void import ServedGraph, dataset_stats
from kzgraph.web.config import (
    CACHE_BYTES,
    DUMP_CHUNK,
    KZ,
    OWL_VERSION_IRI,
    HttpError,
    ServeConfig,
    resource_path,
)


class ResponseCache:
    """A small LRU of finished responses (the data is read-only, so they never go stale).

    Bounded by count and by bytes: without the byte bound, distinct 4 MB answers (the same
    big query with a new comment each time) grew an HTTP worker by 4 GB.
    """

    def __init__(self, size: int, max_bytes: int = CACHE_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0  # bodies held (a body stored under two keys counts twice)
        self._items: OrderedDict[tuple[Any, ...], tuple[bytes, str, dict[str, str]]] = OrderedDict()
        self._gzipped: dict[tuple[Any, ...], bytes] = {}  # compressed once, on the first ask

    def get(self, key: tuple[Any, ...]) -> Response | None:
        if self.size <= 0:
            return None
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        body, media, headers = item

        def keep(gz: bytes) -> None:
            if self._items.get(key) is item and key not in self._gzipped:
                self._gzipped[key] = gz
                self.bytes += len(gz)
                self._shrink()

        headers = {**headers, "content-type": media}
        return CachedResponse(body, headers, self._gzipped.get(key), keep)

    def _drop(self, key: tuple[Any, ...]) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self.bytes -= len(item[0])
        self.bytes -= len(self._gzipped.pop(key, b""))

    def _shrink(self) -> None:
        while self._items and (len(self._items) > self.size or self.bytes > self.max_bytes):
            self._drop(next(iter(self._items)))

    def put(self, key: tuple[Any, ...], body: bytes, media: str, headers: dict[str, str]) -> None:
        if self.size <= 0 or len(body) > min(4 * 1024 * 1024, self.max_bytes):
            return
        self._drop(key)
        self._items[key] = (body, media, headers)
        self.bytes += len(body)
        self._shrink()


class Site:
    """The state one HTTP worker serves from: engines, catalog, pool, cache."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.engine = OxigraphEngine([Path(f) for f in config.graph_files])
        # resource pages list what the data states, not the inverse and super-property
        # copies the reasoner adds (types, labels and sources still come from the closure)
        self.asserted = OxigraphEngine([Path(config.graph_files[0])])
        self.ontology = OxigraphEngine(turtle=[Path(f) for f in config.ontology_files])
        # where the resources live (serve --base: the graph files are a rebased entry's)
        self.resource_base = config.resource_base or RESOURCE_BASE
        self.resource_path = resource_path(config.resource_base, config.root_path)
        pages.serve_resources(self.resource_base, self.resource_path)
        self.catalog: dict[str, SavedQuery] = {
            name: replace(q, text=rebase_query(q.text, config.resource_base or None))
            for name, q in load_catalog(Path(config.queries_dir)).items()
        }
        self.stats = dataset_stats(self.engine, self.resource_base)
        # full-text search (kzgraph.search): opened now, so the first /search is fast
        self.search_dir = Path(config.search_dir or Path(config.graph_files[0]).parent)
        # names as people type them, for the saved queries' iri parameters (kzgraph.resolve),
        # kept beside the graph files served (the entry's, or a rebased copy's)
        self.engine.kept_dir = self.search_dir
        self.names = NameIndex.from_engine(self.engine)
        self.search = open_index(self.search_dir)
        self.kinds = [k for k in KIND_NAMES if k in self.search.kinds()]
        self.engine.text_functions = TextFunctions(self.search_dir)
        self.pool = QueryPool(
            [Path(f) for f in config.graph_files],
            size=config.query_workers,
            timeout=config.timeout,
            max_results=config.max_results,
            memory_limit=config.memory_limit,
            search_dir=self.search_dir,
            local=self.engine,  # queries a worker answered quickly run here next time
        )
        self.cache = ResponseCache(config.cache_size)
        self.meta = read_metadata(Path(config.data_dir) if config.data_dir else None)
        self.graphs = self._graphs()
        self._building: dict[tuple[Any, ...], asyncio.Future[bytes]] = {}
        self.locators = self._locators()
        self.works = self._works()
        self.ontology_terms = pages.ontology_terms(self.ontology)
        self.home_pictures: str | None = None  # drawn on the first visit to the home page
        # schema.org types of each class, from the ontology's own alignments
        self.alignments = discovery.schema_types(self.ontology)
        self.ontology_version = next(
            (
                o.value
                for _s, _p, o in self.ontology.triples(None, IRI(OWL_VERSION_IRI), None)
                if isinstance(o, IRI)
            ),
            "",
        )
        self.stamp, self.built = build_stamp(config)
        self._ask_model: Any = None  # kzgraph.ask's, read on the first /ask

    def _graphs(self) -> dict[str, tuple[ServedGraph, tuple[str, ...]]]:
        """The graphs a request may name (default-graph-uri, named-graph-uri): IRI ->
        (its description, its N-Triples files).  The dataset IRI is everything served; the
        IRIs are dataset.toml's ``<base>dataset`` and ``<base>graph/...``, as export names them."""
        files = self.config.graph_files
        asserted = len(self.asserted)
        dataset, graph = self.meta.dataset, self.meta.base + "graph/"
        graphs = {
            dataset: (ServedGraph(dataset, len(self.engine), "everything served"), files),
            graph + "asserted": (
                ServedGraph(graph + "asserted", asserted, "asserted triples"),
                files[:1],
            ),
        }
        if len(files) > 1:
            title = "OWL 2 RL inferences"
            graphs[graph + "inferred"] = (
                ServedGraph(graph + "inferred", len(self.engine) - asserted, title),
                files[1:],
            )
        return graphs

    def dataset(self, default: Sequence[str], named: Sequence[str]) -> Dataset | None:
        """The RDF dataset a request names, or None for the served graph as the default
        graph (nothing named, or the union of all as the default graph).  HttpError 400
        for a graph this server does not have, with the graphs it has."""
        if not default and not named:
            return None
        for iri in (*default, *named):
            if iri not in self.graphs:
                shown = iri if len(iri) <= 200 else iri[:200] + "…"
                have = "; ".join(f"<{g}> ({d.title})" for g, (d, _f) in self.graphs.items())
                raise HttpError(
                    400,
                    f"no graph <{shown}> on this endpoint: default-graph-uri and "
                    f"named-graph-uri take {have}",
                )
        files = {f for iri in default for f in self.graphs[iri][1]}
        if not named and files == set(self.config.graph_files):
            return None
        # the merge of the named default graphs is one of the served graphs (no duplicates)
        merged = [g for g, (_d, f) in self.graphs.items() if set(f) == files][:1] if files else []
        used = sorted({*merged, *named})
        return Dataset(
            default=tuple(merged),
            named=tuple(sorted(set(named))),
            files=tuple((g, self.graphs[g][1]) for g in used),
        )

    def _locators(self) -> dict[str, str]:
        """Locator ("P14") -> paragraph IRI, to link the [P#] of each fact."""
        return {
            o.value: s.value
            for s, _p, o in self.engine.triples(None, IRI(KZ + "locator"), None)
            if isinstance(s, IRI) and isinstance(o, Literal)
        }

    def _works(self) -> dict[str, str]:
        """Display label of each cited work -> its IRI (describe gives citations as labels)."""
        works = {
            s.value
            for _s0, _p, s in self.engine.triples(None, IRI(KZ + "citation"), None)
            if isinstance(s, IRI)
        }
        return {label: iri for iri, label in self.engine.labels(works).items()}

    async def once(self, key: tuple[Any, ...], make: Any) -> bytes:
        """Build the bytes for ``key`` once even when several requests ask at the same time."""
        pending = self._building.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            text = await make()
            body = text.encode("utf-8") if isinstance(text, str) else text
            future.set_result(body)
            return body
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            del self._building[key]

    def ask(self, question: str) -> Any:
        """What ``question`` asks (a :class:`kzgraph.ask.Answer`); the model of the catalog is
        kept in the cache entry, as for ``kzgraph ask``."""
        from kzgraph.ask import build_model, load_model
        from kzgraph.question import graph_terms

        if self._ask_model is None:
            queries = Path(self.config.queries_dir)
            self._ask_model = load_model(
                self.search_dir,
                queries,
                lambda: build_model(self.catalog, self.names, graph_terms(self.engine)),
            )
        return self._ask_model.ask(question)

    def graph_triples(self, name: str) -> list[Any]:
        """The triples of the graph ``<base>graph/<name>`` (asserted, inferred)."""
        files = self.config.graph_files
        if name == "asserted":
            return list(self.asserted.triples(None, None, None))
        return list(OxigraphEngine([Path(f) for f in files[1:]]).triples(None, None, None))

    def resource_iris(self) -> list[str]:
        """Every resource IRI of the served graph (subject or object), sorted."""
        found: set[str] = set()
        for s, _p, o in self.engine.triples(None, None, None):
            for term in (s, o):
                if isinstance(term, IRI) and term.value.startswith(self.resource_base):
                    found.add(term.value)
        return sorted(found)

    def exists(self, iri: str) -> bool:
        node = IRI(iri)
        try:
            return any(True for _ in self.engine.triples(node, None, None)) or any(
                True for _ in self.engine.triples(None, None, node)
            )
        except ValueError:  # not an IRI (U+FFFD from undecodable bytes...): nothing there
            return False


# --------------------------------------------------------------------------- helpers


def build_stamp(config: ServeConfig) -> tuple[str, float]:
    """What every answer depends on, as (a short hash, the newest file's mtime): the graph,
    the ontology, the saved queries, dataset.toml and the kzgraph version.  The data is
    read-only while served, so this is the validator (ETag) and Last-Modified of every
    answer; a rebuild with other data or code changes it."""
    files = [Path(f) for f in (*config.graph_files, *config.ontology_files)]
    files += sorted(Path(config.queries_dir).rglob("*.rq"))
    if config.data_dir and (Path(config.data_dir) / "dataset.toml").is_file():
        files.append(Path(config.data_dir) / "dataset.toml")
    digest = hashlib.sha256(__version__.encode())
    newest = 0.0
    for path in files:
        digest.update(str(path.name).encode() + b"\0")
        with path.open("rb") as handle:
            while piece := handle.read(DUMP_CHUNK):
                digest.update(piece)
        newest = max(newest, path.stat().st_mtime)
    return digest.hexdigest()[:16], float(int(newest))
