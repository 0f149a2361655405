"""What is served as a file: the crawler files (sitemap, robots.txt), the graph as N-Triples,
the static files, the limits page, and the refusals of the write routes (read-only)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from kzgraph import discovery, formats
from kzgraph import html as pages
from kzgraph.export import export_prefixes
from kzgraph.namespaces import KINDS
from kzgraph.web.config import DUMP_CHUNK, READ_ONLY, SLUG, STATIC, HttpError
from kzgraph.web.respond import base_of
from kzgraph.web.site import Site


class Files:
    """/sitemap.xml, /robots.txt, /dump.nt, /store, /update, /context.jsonld, /static/...,
    /favicon.ico, /limits."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.config = site.config

    async def sitemap(self, request: Request) -> Response:
        site = self.site
        base = base_of(request)
        key = ("sitemap", base)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        urls = [f"{base}/", f"{base}/ontology"]
        for iri in site.resource_iris():
            kind, _, slug = iri[len(site.resource_base) :].partition("/")
            if kind in KINDS and SLUG.fullmatch(slug):
                urls.append(f"{base}{site.resource_path}{kind}/{slug}")
        day = time.gmtime(site.built)
        lastmod = dt.date(day.tm_year, day.tm_mon, day.tm_mday)
        body = discovery.sitemap_xml(urls, lastmod).encode("utf-8")
        media = "application/xml"
        site.cache.put(key, body, media, {})
        return Response(body, media_type=media)

    async def robots(self, request: Request) -> Response:
        text = discovery.robots_txt(f"{base_of(request)}/sitemap.xml", prefix=self.config.root_path)
        return Response(text, media_type="text/plain; charset=utf-8")

    async def dump(self, request: Request) -> Response:
        paths = [Path(f) for f in self.config.graph_files]
        size = sum(p.stat().st_size for p in paths)

        async def pieces() -> AsyncIterator[bytes]:  # streamed: a big graph is never in memory
            for path in paths:
                with path.open("rb") as handle:
                    while piece := handle.read(DUMP_CHUNK):
                        yield piece

        return StreamingResponse(
            pieces(), media_type=formats.content_type("nt"), headers={"content-length": str(size)}
        )

    async def store(self, request: Request) -> Response:
        """The Graph Store: read as the dump, every write refused."""
        if request.method not in ("GET", "HEAD"):
            raise HttpError(
                405,
                f"this endpoint is read-only: {request.method} is not allowed",
                {"allow": "GET, HEAD"},
            )
        return await self.dump(request)

    async def update(self, request: Request) -> Response:
        raise HttpError(403, READ_ONLY)

    async def context(self, request: Request) -> Response:
        from kzgraph.serialization import context_document

        return Response(
            context_document(export_prefixes(self.config.resource_base or None)).encode(),
            media_type=formats.content_type("jsonld"),
            headers={"cache-control": "max-age=3600"},
        )

    async def stylesheet(self, request: Request) -> Response:
        return Response(
            (STATIC / "kzgraph.css").read_bytes(),
            media_type="text/css; charset=utf-8",
            headers={"cache-control": "max-age=3600"},
        )

    async def favicon(self, request: Request) -> Response:
        return Response(
            (STATIC / "favicon.ico").read_bytes(),
            media_type="image/vnd.microsoft.icon",
            headers={"cache-control": "max-age=86400"},
        )

    async def limits(self, request: Request) -> Response:
        config = self.config
        body = pages.limits_page(config.max_results, config.timeout, config.max_body)
        return Response(body, media_type="text/html; charset=utf-8")
