"""What the server says about itself: the ontology and its version IRI, the VoID and DCAT
description (/.well-known/void, the dataset and catalogue IRIs), the graph IRIs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from kzgraph import formats
from kzgraph import html as pages
from kzgraph.terms import IRI
from kzgraph.void import served_dump, void_triples
from kzgraph.web.config import (
    DESCRIPTION_FORMATS,
    GRAPH_NAMES,
    KZ,
    RDF_ONLY,
    RESOURCE_FORMATS,
    HttpError,
)
from kzgraph.web.respond import accept_of, base_of, rdf
from kzgraph.web.site import Site

DCT_DESCRIPTION = "http://purl.org/dc/terms/description"


class Descriptions:
    """/ontology, /ontology/<version>, /.well-known/void, /dataset, /catalog, /graph/<name>."""

    def __init__(self, site: Site) -> None:
        self.site = site

    async def ontology(self, request: Request) -> Response:
        site, config = self.site, self.site.config
        fmt = formats.negotiate(
            RESOURCE_FORMATS, accept_of(request), request.query_params.get("format")
        )
        key = ("ontology", fmt)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        headers = {"vary": "Accept"}
        if fmt == "html":
            body = self._ontology_html()
        elif fmt == "turtle" and len(config.ontology_files) == 1:
            body = Path(config.ontology_files[0]).read_bytes()
        else:
            body = rdf(list(site.ontology.triples(None, None, None)), fmt)
        media = formats.content_type(fmt)
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    def _ontology_html(self) -> bytes:
        ontology, terms = self.site.ontology, self.site.ontology_terms
        header = ontology.labels([KZ.rstrip("#")])
        desc = [
            o.value
            for _s, _p, o in ontology.triples(IRI(KZ.rstrip("#")), IRI(DCT_DESCRIPTION), None)
        ]
        labels = ontology.labels({i for t in terms for i in (*t.parents, *t.domain, *t.range)})
        return pages.ontology_page(
            header[KZ.rstrip("#")], desc[0] if desc else "", terms, labels
        ).encode("utf-8")

    async def ontology_version(self, request: Request) -> Response:
        """The ontology's owl:versionIRI answers as the ontology; other versions are 404."""
        wanted = f"{KZ.rstrip('#')}/{request.path_params['version']}"
        if wanted != self.site.ontology_version:
            have = self.site.ontology_version or "none"
            raise HttpError(404, f"no ontology version {wanted}; this server has {have}")
        return await self.ontology(request)

    async def void(self, request: Request) -> Response:
        fmt = formats.negotiate(RDF_ONLY, accept_of(request), request.query_params.get("format"))
        return self.description(request, fmt)

    def description(self, request: Request, fmt: str) -> Response:
        site = self.site
        base = base_of(request)
        key = ("void", fmt, base)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        files = [Path(f) for f in site.config.graph_files]
        triples = void_triples(
            site.stats,
            site.meta,
            sparql_endpoint=f"{base}/sparql",
            dumps=[served_dump(files, f"{base}/dump.nt")],
            resource_base=site.resource_base,
        )
        body = rdf(triples, fmt)
        media = formats.content_type(fmt)
        headers = {"vary": "Accept"}
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    @staticmethod
    def rdf_or_home(request: Request) -> str | None:
        """The RDF format a request for a dataset or graph IRI gets, or None: a browser
        (HTML preferred) is sent to the home page, which describes the dataset."""
        fmt = formats.negotiate(
            DESCRIPTION_FORMATS, accept_of(request), request.query_params.get("format")
        )
        return None if fmt == "html" else fmt

    async def dataset_iri(self, request: Request) -> Response:
        """<base>dataset, <base>catalog and <base>dataset/<version>: the description."""
        meta = self.site.meta
        version = request.path_params.get("version")
        if version is not None and version != meta.version:
            known = [r.version for r in meta.releases]
            said = "an older release" if version in known else "not a release"
            raise HttpError(
                404,
                f"{meta.version_iri(version)} is {said} of dataset.toml; this server "
                f"serves release {meta.version} ({meta.version_iri()})",
            )
        fmt = self.rdf_or_home(request)
        if fmt is None:
            return RedirectResponse("/", status_code=303, headers={"vary": "Accept"})
        return self.description(request, fmt)

    async def graph_iri(self, request: Request) -> Response:
        """<base>graph/<name>: the triples of that graph (as export --layout named)."""
        site = self.site
        name = request.path_params["name"]
        inferred = len(site.config.graph_files) > 1
        if name not in GRAPH_NAMES or (name == "inferred" and not inferred):
            have = ", ".join(n for n in GRAPH_NAMES if n != "inferred" or inferred)
            raise HttpError(404, f"no graph {name!r} on this server (graphs: {have})")
        fmt = self.rdf_or_home(request)
        if fmt is None:
            return RedirectResponse("/", status_code=303, headers={"vary": "Accept"})
        if name == "void":
            return self.description(request, fmt)
        key = ("graph", name, fmt)
        headers = {"vary": "Accept"}
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        body = await asyncio.to_thread(lambda: rdf(site.graph_triples(name), fmt))
        media = formats.content_type(fmt)
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})
