"""What every part of the server shares: its settings (:class:`ServeConfig`), fixed values,
and the error a handler raises to answer with an HTTP status (:class:`HttpError`)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from kzgraph.errors import InputError

log = logging.getLogger("kzgraph.serve")
STATIC = Path(__file__).resolve().parent.parent / "static"
RDF_ONLY = ("turtle", "jsonld", "nt", "xmlrdf")
RESOURCE_FORMATS = ("html", *RDF_ONLY)
DESCRIPTION_FORMATS = (*RDF_ONLY, "html")  # GET /sparql without a query: RDF unless HTML wins
DUMP_CHUNK = 256 * 1024  # bytes per piece of the streamed /dump.nt
KZ = "https://w3id.org/kzgraph/ontology#"
OWL_VERSION_IRI = "http://www.w3.org/2002/07/owl#versionIRI"
GRAPH_NAMES = ("asserted", "inferred", "void")  # <base>graph/<name>, as export --layout named
CACHE_BYTES = 64 * 1024**2  # bytes of answers an HTTP worker's result cache holds
SLUG = re.compile(r"[^/\x00-\x20<>\"{}|^`\\]+")
EXAMPLE_QUERY = """SELECT ?event ?label ?date WHERE {
  ?event a kz:Event ;
         rdfs:label ?label .
  OPTIONAL { ?event kz:date ?date }
}
ORDER BY ?date ?label
LIMIT 25
"""
READ_ONLY = "this endpoint is read-only: SPARQL Update is not accepted"


@dataclass(frozen=True)
class ServeConfig:
    """Everything a server process needs (JSON-serializable, for uvicorn's worker processes)."""

    graph_files: tuple[str, ...]  # N-Triples of the served graph: asserted first [+ inferred]
    ontology_files: tuple[str, ...]  # Turtle of the TBox, for /ontology
    queries_dir: str
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0  # seconds per query
    max_results: int = 10_000  # rows (SELECT) or triples (CONSTRUCT/DESCRIBE)
    max_body: int = 1_048_576  # bytes of a request body
    asserted: bool = False  # True: asserted triples only, no inferences
    workers: int = 1  # HTTP worker processes (uvicorn)
    query_workers: int = 2  # query processes per HTTP worker
    cache_size: int = 1024  # responses kept in each HTTP worker's LRU cache (0: none)
    memory_limit: int = 2 * 1024**3  # address-space cap of a query process (bytes)
    search_dir: str = ""  # the cache entry whose search index answers /search and kzf: functions
    data_dir: str = ""  # the data folder, whose dataset.toml the description reads
    access_log: str = ""  # a file to append Combined Log Format lines to; "-": stdout
    root_path: str = ""  # the sub-path a reverse proxy serves this under ("/kz"), "" for none
    resource_base: str = ""  # where the served resources' IRIs start (serve --base); "": as built

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        data = json.loads(text)
        data["graph_files"] = tuple(data["graph_files"])
        data["ontology_files"] = tuple(data["ontology_files"])
        return cls(**data)


class ServeError(InputError):
    """The server cannot start (e.g. the port is taken)."""


class HttpError(Exception):
    """Answer the request with ``status`` and ``message`` (and ``headers``)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def resource_path(resource_base: str, root_path: str) -> str:
    """The path the resources answer at: ``/resource/`` for the IRIs as built; for a base
    (``serve --base``) its own path less the root path a proxy strips, so that every
    rebased IRI dereferences (https://data.example.org/kz/ with --root-path /kz: ``/``)."""
    from urllib.parse import urlsplit

    if not resource_base:
        return "/resource/"
    path = urlsplit(resource_base).path or "/"
    if root_path and (path == root_path + "/" or path.startswith(root_path + "/")):
        path = path[len(root_path) :]
    return path


def one_line(text: object) -> str:
    return " ".join(str(text).split())
