"""The SPARQL 1.1 Protocol at /sparql (GET, POST form, POST query; the Service Description
without a query) and the saved queries at /query/<name>."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from kzgraph import formats
from kzgraph import html as pages
from kzgraph.errors import NotAcceptableError
from kzgraph.void import service_triples
from kzgraph.web.config import DESCRIPTION_FORMATS, EXAMPLE_QUERY, READ_ONLY, HttpError
from kzgraph.web.respond import (
    Answers,
    accept_of,
    base_of,
    form_of,
    iris_of,
    limits_link,
    query_pairs,
    rdf,
    read_body,
    saved_text,
    sparql_format,
)
from kzgraph.web.site import Site

Pairs = list[tuple[str, str]]


class Endpoint:
    """/sparql and /query/<name>: queries from the request, answered through :class:`Answers`."""

    def __init__(self, site: Site, answers: Answers) -> None:
        self.site = site
        self.answers = answers

    async def sparql(self, request: Request) -> Response:
        text, listed = await self._asked(request)
        # SPARQLWrapper sends format=, output= (and results=), some twice: any value this
        # server does not know leaves the choice to Accept, as on Oxigraph's server
        fmt_values = [v for name, v in listed if name in ("format", "output", "results") and v]
        default = tuple(v for name, v in listed if name == "default-graph-uri")
        named = tuple(v for name, v in listed if name == "named-graph-uri")
        if not text or not text.strip():
            return await self._no_query(request, text, fmt_values)
        link = limits_link(request)
        # the same text asked the same way gets the same bytes: look that up before lexing
        accept = accept_of(request)
        raw_key = ("sparql-request", text, accept, tuple(fmt_values), default, named, link)
        cached = self.site.cache.get(raw_key)
        if cached is not None:
            return cached
        dataset = self.site.dataset(default, named)
        # the form is the keyword after the prologue (kzgraph.sparql_text), never a word
        # elsewhere; the worker still trusts the engine's parse over it
        fmt = sparql_format(form_of(text), accept, tuple(fmt_values))
        return await self.answers.answer(
            text,
            fmt,
            key=("sparql", text, fmt, dataset, link),
            also=raw_key,
            link=link,
            dataset=dataset,
            html=lambda a: pages.sparql_page(
                text,
                a.result,
                self.site.engine.labels(iris_of(a)),
                truncated=a.truncated,
                seconds=a.seconds,
            ),
            html_error=lambda e: pages.sparql_page(text, error=e),
        )

    async def _asked(self, request: Request) -> tuple[str | None, Pairs]:
        """The query text of a request (None: no ``query``) and all its parameters."""
        pairs = query_pairs(request.scope["query_string"])
        params = dict(pairs)
        listed = list(pairs)  # parameters that may repeat
        text: str | None = params.get("query")
        given = sum(1 for name, _value in pairs if name == "query")  # the protocol allows one
        if request.method == "POST":
            text, fields, sent = await self._posted(request)
            listed += fields
            params.update(fields)
            given += sent
        if "update" in params:
            raise HttpError(403, READ_ONLY)
        if given > 1:
            raise HttpError(400, f"the request carries {given} queries; send exactly one")
        return text, listed

    async def _posted(self, request: Request) -> tuple[str | None, Pairs, int]:
        """A POST's query, its form fields, and how many queries it carries."""
        config = self.site.config
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await read_body(request, config.max_body, config.timeout)
        if ctype == "application/sparql-update":
            raise HttpError(403, READ_ONLY)
        if ctype == "application/x-www-form-urlencoded":
            try:
                fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                raise HttpError(400, "the form body is not UTF-8") from None
            if any(name == "update" for name, _value in fields):
                raise HttpError(403, READ_ONLY)
            sent = sum(1 for name, _value in fields if name == "query")
            return dict(fields).get("query"), fields, sent
        if ctype == "application/sparql-query":
            try:
                return body.decode("utf-8"), [], 1
            except UnicodeDecodeError:
                raise HttpError(400, "the query is not UTF-8 text") from None
        raise HttpError(
            415,
            f"unsupported Content-Type {ctype or '(none)'!r}: POST "
            "application/x-www-form-urlencoded or application/sparql-query",
        )

    async def _no_query(
        self, request: Request, text: str | None, fmt_values: Sequence[str]
    ) -> Response:
        """A request without a query (or an empty one): the endpoint itself, or 400."""
        if text is None and request.method != "POST":  # GET /sparql: the endpoint itself
            return await self.described(request, fmt_values)
        if fmt_values in ([], ["html"]) and "text/html" in (accept_of(request) or ""):
            return Response(pages.sparql_page(EXAMPLE_QUERY), media_type="text/html; charset=utf-8")
        raise HttpError(400, "missing the 'query' parameter (a SPARQL query)")

    async def described(self, request: Request, fmt_values: Sequence[str]) -> Response:
        """GET /sparql without a query: the SPARQL 1.1 Service Description for clients that
        ask for RDF (Turtle for ``*/*``), the query editor for browsers."""
        site = self.site
        try:
            fmt = formats.negotiate(
                DESCRIPTION_FORMATS, accept_of(request), fmt_values, fallback=True
            )
        except NotAcceptableError:  # e.g. Accept: application/sparql-results+json
            raise HttpError(400, "missing the 'query' parameter (a SPARQL query)") from None
        headers = {"vary": "Accept"}
        if fmt == "html":
            page = pages.sparql_page(EXAMPLE_QUERY)
            return Response(page, media_type="text/html; charset=utf-8", headers=headers)
        endpoint = base_of(request) + "/sparql"
        key = ("service-description", fmt, endpoint)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        functions = sorted(f.value for f in site.engine.custom_functions())
        graphs = [graph for graph, _files in site.graphs.values()]
        triples = service_triples(
            endpoint, site.stats, graphs, functions=functions, dataset=site.meta.dataset
        )
        body, media = rdf(triples, fmt), formats.content_type(fmt)
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    async def saved_query(self, request: Request) -> Response:
        """/query/<name>: a saved query's result; HTML redirects to its form on the home page."""
        query, text, given = saved_text(self.site, request.path_params["name"], request)
        kind = form_of(query.text)
        available = (
            formats.GRAPH_FORMATS if kind in ("CONSTRUCT", "DESCRIBE") else (formats.RESULT_FORMATS)
        )
        fmt = formats.negotiate(available, accept_of(request), request.query_params.get("format"))
        if fmt == "html":
            target = "/?" + urlencode([("run", query.name), *given.items()]) + f"#q-{query.name}"
            return RedirectResponse(target, status_code=303)
        link = limits_link(request)
        return await self.answers.answer(
            text, fmt, key=("sparql", text, fmt, None, link), html=None, html_error=None, link=link
        )
