"""``kzgraph serve``: a read-only SPARQL 1.1 endpoint with linked-data pages (the second face).

An ASGI app (Starlette, run by uvicorn).  It maps HTTP onto the library and owns no
logic of its own: queries run in killable worker processes (:mod:`kzgraph.pool`; one a
worker answered quickly runs in this process the next time it comes), answers from the
result cache are replayed to the same request (:mod:`kzgraph.replay`),
formats are chosen by :mod:`kzgraph.formats`, resource pages come from
:func:`kzgraph.describe.describe`, pages from :mod:`kzgraph.html`, the dataset
description from :mod:`kzgraph.void`.  The handlers, middleware and shared state live in
:mod:`kzgraph.web`, one module per job; this module assembles them into the app and runs it.

Routes
  /                        home: the dataset, the saved questions (forms, result tables), an editor
  /sparql                  SPARQL 1.1 Protocol: GET, POST form, POST application/sparql-query;
                           without a query: the Service Description (RDF) or the editor (HTML)
  /query/<name>            a saved query's result (CSV, JSON, TSV, XML; HTML redirects home)
  /resource/<kind>/<slug>  every https://w3id.org/kzgraph/resource/... IRI (HTML or RDF): 200
                           with Content-Location and Link rel="describedby" (the document);
                           with --base B the IRIs are B<kind>/<slug>, at B's path less the
                           root path (kzgraph.web.config.resource_path)
  /ontology                the ontology (HTML or RDF); ontology IRIs map to /ontology#Name
  /ontology/<version>      the ontology's owl:versionIRI (the same answer, this version only)
  /dataset, /catalog       the dataset and catalogue IRIs: their description (RDF; HTML -> /)
  /dataset/<version>       the dataset's version IRI (the newest release of dataset.toml)
  /graph/<name>            the graph IRIs asserted, inferred, void (RDF; HTML -> /)
  /sitemap.xml, /robots.txt  for crawlers; the home and resource pages embed schema.org JSON-LD
  /search?q=               full-text search (HTML, or JSON by Accept or format=json)
  /.well-known/void        VoID + DCAT description (Turtle by default)
  /dump.nt                 the served graph as N-Triples (streamed; also /dump/kzgraph.nt)
  /limits                  the endpoint's limits; where a cut answer's ``link`` points
  /context.jsonld          the JSON-LD @context of `kzgraph export -f jsonld` (the prefixes)
Everything is read-only: SPARQL Update is refused (403), write methods get 405.
Answers over 1 KB are gzip-compressed for clients that accept it (:mod:`kzgraph.compression`).
Every 200 answer to GET/HEAD carries an ETag and Last-Modified of the build (:class:`Conditional`)
and is answered 304 when the client has it; ``access_log`` writes Combined Log Format lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator, Callable
from typing import Any, TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from kzgraph.compression import Compression
from kzgraph.replay import Replay
from kzgraph.web.config import (
    EXAMPLE_QUERY,
    HttpError,
    ServeConfig,
    ServeError,
    log,
)
from kzgraph.web.descriptions import Descriptions
from kzgraph.web.endpoint import Endpoint
from kzgraph.web.files import Files
from kzgraph.web.finding import Finding
from kzgraph.web.middleware import (
    AccessLog,
    Conditional,
    NoTraceback,
    RootPath,
    _not_modified,
    access_line,
    access_logger,
    check_root_path,
)
from kzgraph.web.resources import Resources
from kzgraph.web.respond import EXCEPTION_HANDLERS, Answers, read_body
from kzgraph.web.site import ResponseCache, Site, build_stamp

__all__ = [  # the names tests, benchmarks and the CLI import from here
    "EXAMPLE_QUERY",
    "AccessLog",
    "Conditional",
    "HttpError",
    "NoTraceback",
    "ResponseCache",
    "RootPath",
    "ServeConfig",
    "ServeError",
    "Site",
    "_not_modified",
    "access_line",
    "access_logger",
    "app_from_env",
    "build_stamp",
    "check_root_path",
    "config_for",
    "create_app",
    "listen",
    "read_body",
    "run",
]

CONFIG_ENV = "KZGRAPH_SERVE_CONFIG"
READ = ["GET", "HEAD"]


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI app serving ``config`` (the query pool starts with the app's lifespan)."""
    site = Site(config)
    app = Starlette(
        routes=_routes(site),
        middleware=_middleware(site),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=_lifespan(site),
    )
    app.state.site = site
    return app


def _routes(site: Site) -> list[Route]:
    """Every route, each to the handler that owns its job (:mod:`kzgraph.web`)."""
    answers = Answers(site)
    endpoint, resources = Endpoint(site, answers), Resources(site, answers)
    finding, described, files = Finding(site, answers), Descriptions(site), Files(site)
    return [
        Route("/", resources.home, methods=READ),
        Route("/sparql", endpoint.sparql, methods=["GET", "HEAD", "POST"]),
        Route("/query/{name}", endpoint.saved_query, methods=READ),
        Route("/ontology", described.ontology, methods=READ),
        Route("/ontology/{version}", described.ontology_version, methods=READ),
        Route("/dataset", described.dataset_iri, methods=READ),
        Route("/dataset/{version}", described.dataset_iri, methods=READ),
        Route("/catalog", described.dataset_iri, methods=READ),
        Route("/graph/{name}", described.graph_iri, methods=READ),
        Route("/sitemap.xml", files.sitemap, methods=READ),
        Route("/robots.txt", files.robots, methods=READ),
        Route("/dump/kzgraph.nt", files.dump, methods=READ),
        Route("/search", finding.search, methods=READ),
        Route("/ask", finding.ask, methods=READ),
        Route("/.well-known/void", described.void, methods=READ),
        Route("/dump.nt", files.dump, methods=READ),
        Route("/store", files.store, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/update", files.update, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/context.jsonld", files.context, methods=READ),
        Route("/static/kzgraph.css", files.stylesheet, methods=READ),
        Route("/favicon.ico", files.favicon, methods=READ),
        Route("/limits", files.limits, methods=READ),
        # last: with serve --base the resources may answer at /{kind}/{slug}
        Route(site.resource_path + "{kind}/{slug}", resources.resource, methods=READ),
    ]


def _middleware(site: Site) -> list[Middleware]:
    """The wrappers, outermost first: log, replay, CORS, guard, gzip, sub-path, validators."""
    config = site.config
    logged = (
        [Middleware(AccessLog, logger=access_logger(config.access_log))]
        if config.access_log
        else []
    )
    return [
        *logged,
        Middleware(Replay, size=config.cache_size),
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "OPTIONS"],
            # open: YASGUI and other browser clients ask for Authorization,
            # X-Requested-With, Cache-Control...; nothing here depends on a credential
            allow_headers=["*"],
            expose_headers=[
                "Content-Type",
                "Vary",
                "Link",
                "ETag",
                "Last-Modified",
                "Content-Location",
                "X-Result-Truncated",
                "X-Result-Limit",
            ],
            max_age=86400,
        ),
        Middleware(NoTraceback),
        Middleware(Compression),
        *([Middleware(RootPath, root=config.root_path)] if config.root_path else []),
        Middleware(Conditional, stamp=site.stamp, modified=site.built),
    ]


def _lifespan(site: Site) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    """The app's lifespan: the query pool runs while the app does."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await site.pool.start()
        # what is loaded now lives as long as the process: out of the cyclic collector's
        # way, so a full collection no longer walks it in the middle of a request
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await site.pool.close()

    return lifespan


def app_from_env() -> Starlette:
    """uvicorn factory for worker processes: the config comes in ``$KZGRAPH_SERVE_CONFIG``."""
    return create_app(ServeConfig.from_json(os.environ[CONFIG_ENV]))


def config_for(entry: Any, project: Any, **options: Any) -> ServeConfig:
    """A ServeConfig for a cache entry and a project (``options``: any ServeConfig field).
    With a ``resource_base`` the graph served is the entry's rebased copy
    (:func:`kzgraph.export.rebased_entry`), with its own search index."""
    from kzgraph.export import rebased_entry

    base = options.get("resource_base")
    folder = rebased_entry(entry.path, base) if base else entry.path
    asserted, inferred = folder / "asserted.nt", folder / "inferred.nt"
    files = [asserted] if options.get("asserted") else [asserted, inferred]
    return ServeConfig(
        graph_files=tuple(str(f) for f in files),
        ontology_files=tuple(str(f) for f in project.ontology_files()),
        queries_dir=str(project.queries_dir),
        **{"search_dir": str(folder), "data_dir": str(project.data_dir), **options},
    )


class _UvicornOptions(TypedDict):
    """The keyword arguments ``run`` passes to ``uvicorn.Config``."""

    host: str
    port: int
    http: type[asyncio.Protocol] | str
    access_log: bool
    log_level: str
    timeout_graceful_shutdown: int
    server_header: bool
    root_path: str


def listen(config: ServeConfig) -> list[Any]:
    """The listening sockets ``run`` serves on, one per HTTP process, bound to ``config``'s
    address now, so that a port that is taken stops the start before anything says it is
    serving (ServeError: cannot listen)."""
    return _listening_sockets(config)


def run(config: ServeConfig, sockets: list[Any] | None = None) -> None:
    """Serve on ``sockets`` (by default ``listen(config)``) until interrupted (blocking)."""
    import uvicorn

    http: type[asyncio.Protocol] | str
    try:  # httptools, reading the body of an h2c upgrade offer too (kzgraph.http_protocol)
        from kzgraph.http_protocol import PlainUpgradeProtocol

        http = PlainUpgradeProtocol
    except ImportError:  # pragma: no cover - the pure-Python parser also works
        http = "h11"
    common = _UvicornOptions(
        host=config.host,
        port=config.port,
        http=http,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
        server_header=False,
        root_path=config.root_path,
    )
    if sockets is None:
        sockets = listen(config)
    if config.workers <= 1:
        uvicorn.Server(uvicorn.Config(create_app(config), **common)).run(sockets=sockets)
        return
    # Each HTTP process listens on a socket of its own, all bound to the port with
    # SO_REUSEPORT, so that the kernel spreads connections over the processes: on one
    # shared socket the process that woke first accepted every waiting connection (asyncio
    # accepts in a loop), and wrk's 8 connections all went to one process while the other
    # idled.  The sockets are made here with an explicit IPPROTO_TCP: uvicorn's own
    # (protocol 0) makes asyncio skip TCP_NODELAY on accepted connections, and every
    # keep-alive response then waited ~40 ms for a delayed ACK.
    os.environ[CONFIG_ENV] = config.to_json()
    uv_config = uvicorn.Config(
        "kzgraph.serve:app_from_env", factory=True, workers=config.workers, **common
    )
    _supervisor_class()(uv_config, sockets=sockets).run()


def _listening_sockets(config: ServeConfig) -> list[Any]:
    """One TCP socket per HTTP process on ``config``'s address (ServeError: cannot listen)."""
    import socket

    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET

    def make(reuse_port: bool, port: int) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((config.host, port))
        except OSError as exc:
            sock.close()
            raise ServeError(
                f"cannot listen on {config.host}:{config.port}: {exc.strerror}"
            ) from None
        sock.set_inheritable(True)
        return sock

    # first without SO_REUSEPORT: a port that anything holds, even another server's
    # SO_REUSEPORT group, is refused rather than shared
    probe = make(False, config.port)
    port = probe.getsockname()[1]
    probe.close()
    sockets: list[socket.socket] = []
    try:
        for _ in range(config.workers):
            sockets.append(make(True, port))
    except ServeError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _supervisor_class() -> Any:
    """uvicorn's process supervisor, with process ``i`` always on socket ``i``."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors.multiprocess import Multiprocess, Process

    class Supervisor(Multiprocess):
        def init_processes(self) -> None:
            for sock in self.sockets:
                process = Process(self.config, [sock])
                process.start()
                self.processes.append(process)

        def restart_all(self) -> None:
            for idx, old in enumerate(self.processes):
                if self.should_exit.is_set():
                    return
                new = Process(self.config, [self.sockets[idx]])
                new.start()
                if not new.wait_until_ready(
                    self.config.timeout_worker_healthcheck, self.should_exit
                ):
                    new.kill()
                    new.join()
                    return
                old.terminate()
                old.join()
                self.processes[idx] = new

        def keep_subprocess_alive(self) -> None:
            if self.should_exit.is_set():
                return
            for idx, process in enumerate(self.processes):
                if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                    continue
                process.kill()
                process.join()
                if process.exitcode == STARTUP_FAILURE:
                    log.error("kzgraph serve: an HTTP process failed to start; stopping")
                    self.should_exit.set()
                    return
                if self.should_exit.is_set():
                    return
                fresh = Process(self.config, [self.sockets[idx]])
                fresh.start()
                self.processes[idx] = fresh

    return Supervisor
