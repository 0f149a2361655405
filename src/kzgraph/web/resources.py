"""The linked-data pages: the home page (the dataset, the saved questions, their answers)
and one page per resource IRI (HTML, or its triples as RDF)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from kzgraph import discovery, formats
from kzgraph import html as pages
from kzgraph.describe import describe
from kzgraph.errors import KzgraphError
from kzgraph.namespaces import KINDS
from kzgraph.terms import IRI
from kzgraph.web.config import EXAMPLE_QUERY, KZ, RESOURCE_FORMATS, SLUG, HttpError
from kzgraph.web.respond import (
    Answers,
    accept_of,
    base_of,
    iris_of,
    message_of,
    rdf,
    saved_text,
)
from kzgraph.web.site import Site


class Resources:
    """/ and /resource/<kind>/<slug>."""

    def __init__(self, site: Site, answers: Answers) -> None:
        self.site = site
        self.answers = answers

    async def home(self, request: Request) -> Response:
        site = self.site
        run = await self._canned(request)
        stats = {
            "triples": site.stats.triples,
            "resources": site.stats.entities,
            "classes in use": len(site.stats.classes),
            "saved questions": len(site.catalog),
        }
        if site.home_pictures is None:  # drawn once per worker (kzgraph.plot)
            site.home_pictures = await asyncio.to_thread(self.pictures_html, None)
        base = base_of(request)
        document = discovery.dataset_document(
            site.meta,
            page=base + "/",
            downloads=[(base + "/dump.nt", formats.content_type("nt").split(";")[0])],
        )
        body = pages.home_page(
            site.catalog,
            stats,
            run,
            EXAMPLE_QUERY,
            pictures=site.home_pictures,
            head=discovery.script(document),
        )
        status = 400 if run is not None and run.error else 200
        return Response(body, status_code=status, media_type="text/html; charset=utf-8")

    async def _canned(self, request: Request) -> pages.CannedRun | None:
        """The saved question the home page was asked to run (``?run=name``), answered."""
        name = request.query_params.get("run")
        if not name or name not in self.site.catalog:
            return None
        query = self.site.catalog[name]
        values = {k: v for k, v in request.query_params.items() if query.param(k)}
        try:
            _q, text, _given = saved_text(self.site, name, request)
            result = await self.answers.run(text, "html")
            labels = self.site.engine.labels(iris_of(result))
            return pages.CannedRun(name, values, result.result, labels, result.truncated)
        except KzgraphError as error:
            return pages.CannedRun(name, values, error=message_of(error))

    async def resource(self, request: Request) -> Response:
        site = self.site
        kind = request.path_params["kind"]
        slug = request.path_params["slug"]
        if kind not in KINDS or slug in (".", "..") or not SLUG.fullmatch(slug):
            raise HttpError(404, f"no resource at {request.url.path}")
        iri = f"{site.resource_base}{kind}/{slug}"
        fmt = formats.negotiate(
            RESOURCE_FORMATS, accept_of(request), request.query_params.get("format")
        )
        lang = pages.pick_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        base = base_of(request)
        key = ("resource", iri, fmt, lang if fmt == "html" else "", base)
        path = f"{site.resource_path}{kind}/{slug}"
        # the IRI names a thing, not a document: it answers 200 with the document that
        # describes it named in Content-Location and Link rel="describedby" (the section
        # "Persistent IRIs and being found" of docs/serving-and-publishing.md says why, not 303)
        document = f"{path}?format={fmt}" + (f"&lang={lang}" if fmt == "html" else "")
        media = formats.content_type(fmt)
        headers = {
            "vary": "Accept, Accept-Language",
            "content-location": document,
            "link": f'<{document}>; rel="describedby"; type="{media.split(";")[0]}"',
        }
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        if not site.exists(iri):
            raise HttpError(404, f"no resource {iri} in this graph")
        if fmt == "html":
            # describe() walks the graph in Python: off the event loop, so cached pages and
            # other requests keep flowing while a big page is built; concurrent requests for
            # the same page wait for the one build
            body = await site.once(
                key, lambda: asyncio.to_thread(self.resource_html, iri, path, lang, base)
            )
            headers["content-language"] = lang
        else:
            node = IRI(iri)
            triples = list(site.engine.triples(node, None, None))
            triples += list(site.engine.triples(None, None, node))
            body = rdf(triples, fmt)
            headers["link"] += f', <{iri}>; rel="canonical"'
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    def resource_html(self, iri: str, path: str, lang: str, base: str) -> str:
        site = self.site
        desc = describe(site.engine, iri, asserted=site.asserted)
        type_iris = sorted(
            o.value
            for _s, _p, o in site.engine.triples(IRI(iri), IRI(pages.RDF_TYPE), None)
            if isinstance(o, IRI) and o.value.startswith(KZ)
        )
        iris = {iri, *type_iris}
        for fact in (*desc.facts, *desc.incoming):
            iris.add(fact.property)
            if isinstance(fact.value, IRI):
                iris.add(fact.value.value)
        labels = pages.localized_labels(site.engine, iris, lang)
        node, rdf_type = IRI(iri), IRI(pages.RDF_TYPE)
        classes = [o.value for _s, _p, o in site.engine.triples(node, rdf_type, None)]
        document = discovery.resource_document(
            iri,
            labels.get(iri, desc.label),
            discovery.types_of(classes, site.alignments),
            base + path,
        )
        return pages.resource_page(
            desc,
            type_iris,
            labels,
            site.locators,
            site.works,
            path=path,
            lang=lang,
            pictures=self.pictures_html(iri),
            head=discovery.script(document),
        )

    def pictures_html(self, iri: str | None) -> str:
        """The timeline and network pictures (kzgraph.plot) of the whole graph or of one
        resource, as inline SVG; a picture with nothing to draw is left out."""
        parts = []
        try:
            from kzgraph.plot import inline_svg, network_svg, timeline_svg
        except ImportError:  # matplotlib/networkx missing: pages without pictures
            return ""
        engine = self.site.engine
        pictures: tuple[tuple[str, Callable[[], str]], ...] = (
            ("Timeline", lambda: timeline_svg(engine, focus=iri)),
            ("Network", lambda: network_svg(engine, focus=iri, depth=1)),
        )
        for heading, draw in pictures:
            try:
                svg = draw()
            except KzgraphError:
                continue
            parts.append(
                f'<section class="kz-picture"><h2>{heading}</h2>{inline_svg(svg)}</section>'
            )
        return "\n".join(parts)
