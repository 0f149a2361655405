"""How a request becomes an answer: reading it (body, query string, Accept), running a query
through the pool and the result cache (:class:`Answers`), and errors as HTTP answers."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from kzgraph import formats
from kzgraph import html as pages
from kzgraph.errors import (
    KzgraphError,
    NotAcceptableError,
    ParameterError,
    QueryEvaluationError,
    QueryFailedError,
    QuerySyntaxError,
    QueryTimeoutError,
    UnknownQueryError,
)
from kzgraph.namespaces import PREFIXES
from kzgraph.pool import Answer, Dataset
from kzgraph.query import SavedQuery, bind, find_query, resolve_params
from kzgraph.render import iris_in, render_rdf
from kzgraph.sparql_text import query_form
from kzgraph.terms import IRI
from kzgraph.web.config import HttpError, log, one_line
from kzgraph.web.middleware import route_path
from kzgraph.web.site import Site


async def read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The body of ``request``: at most ``limit`` bytes (413), arriving within ``seconds`` (408)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise HttpError(413, f"request body larger than the limit of {limit} bytes")
    chunks: list[bytes] = []

    async def receive() -> None:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HttpError(413, f"request body larger than the limit of {limit} bytes")
            chunks.append(chunk)

    try:
        # a client that announces a body and never sends it must not hold the request forever
        await asyncio.wait_for(receive(), seconds)
    except asyncio.TimeoutError:
        raise HttpError(408, f"the request body did not arrive within {seconds:g} s") from None
    except ClientDisconnect:  # nobody is left to answer; not a server error
        raise HttpError(400, "the client closed the connection before the body ended") from None
    return b"".join(chunks)


def text_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        one_line(message) + "\n",
        status_code=status,
        media_type="text/plain; charset=utf-8",
        headers=dict(headers or {}),
    )


def error_response(request: Request, status: int, message: str, headers: Any = None) -> Response:
    if status >= 500:
        log.warning(
            "kzgraph serve: %s %s %s: %s",
            status,
            request.method,
            request.url.path,
            one_line(message),
        )
    accept = request.headers.get("accept", "")
    # the answer's form (HTML or text) follows Accept, and so does a 406: say so to caches
    headers = {"vary": "Accept", **dict(headers or {})}
    if "text/html" in accept and route_path(request.scope) != "/sparql":
        return Response(
            pages.error_page(status, message),
            status_code=status,
            media_type="text/html; charset=utf-8",
            headers=dict(headers or {}),
        )
    return text_response(status, message, headers)


def status_of(error: KzgraphError) -> int:
    if isinstance(error, NotAcceptableError):
        return 400 if error.unknown_format else 406
    if isinstance(error, UnknownQueryError):
        return 404
    if isinstance(error, (QueryTimeoutError, QueryFailedError)):
        return 503
    if isinstance(error, (QuerySyntaxError, QueryEvaluationError, ParameterError)):
        return 400
    return 400


def message_of(error: KzgraphError) -> str:
    text = error.message
    if error.hint:
        text += f" ({error.hint})"
    return text


def accept_of(request: Request) -> str | None:
    return request.headers.get("accept")


def rdf(triples: Sequence[Any], fmt: str) -> bytes:
    return render_rdf({None: triples}, formats.RDF_NAMES[fmt], PREFIXES)


def base_of(request: Request) -> str:
    """The URL this server is reached at, without a trailing slash."""
    return str(request.base_url).rstrip("/")


#: what the request-to-answer steps below remember: the same request text gets the same
#: result, and each of them cost more than a small query itself (percent-decoding a query
#: string, lexing a query for its form, weighing an Accept header)
_MEMO = 512
_MEMO_CHARS = 16 * 1024  # longer inputs are worked out every time, not kept


@functools.lru_cache(maxsize=_MEMO)
def _pairs(query_string: bytes) -> tuple[tuple[str, str], ...]:
    return tuple(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


def query_pairs(query_string: bytes) -> tuple[tuple[str, str], ...]:
    """The name/value pairs of a query string, decoded as Starlette's ``query_params``."""
    if len(query_string) > _MEMO_CHARS:
        return tuple(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    return _pairs(query_string)


_form = functools.lru_cache(maxsize=_MEMO)(query_form)


def form_of(text: str) -> str:
    """The form of ``text`` (SELECT, ASK, CONSTRUCT, DESCRIBE), by :func:`query_form`."""
    return _form(text) if len(text) <= _MEMO_CHARS else query_form(text)


@functools.lru_cache(maxsize=_MEMO)
def sparql_format(form: str, accept: str | None, fmt_values: tuple[str, ...]) -> str:
    """The format a query of ``form`` is answered in (NotAcceptableError: 406/400)."""
    graph = form in ("CONSTRUCT", "DESCRIBE")
    available = formats.GRAPH_FORMATS if graph else formats.RESULT_FORMATS
    return formats.negotiate(available, accept, fmt_values, "this query", fallback=True)


def limits_link(request: Request) -> str:
    """Where a cut answer points (``link`` of SPARQL results, ``Link`` header)."""
    return base_of(request) + "/limits#truncated"


def saved_text(site: Site, name: str, request: Request) -> tuple[SavedQuery, str, dict[str, str]]:
    """The saved query ``name``, its text with the request's parameters bound, and those."""
    query = find_query(site.catalog, name)
    given = {
        k: v for k, v in request.query_params.items() if query.param(k) is not None and v != ""
    }
    values = resolve_params(query, given.items(), site.names)
    return query, bind(query.text, values), given


def iris_of(answer: Answer) -> set[str]:
    """The IRIs in a query's answer, to label them on a page."""
    result = answer.result
    if result is None:
        return set()
    if result.kind == "graph":
        return {t.value for tr in result.triples for t in tr if isinstance(t, IRI)}
    return iris_in(result)


class Answers:
    """Queries run for a request: in the pool, their bytes kept in the result cache."""

    def __init__(self, site: Site) -> None:
        self.site = site

    async def run(
        self, text: str, fmt: str, link: str = "", dataset: Dataset | None = None
    ) -> Answer:
        return await self.site.pool.run(text, fmt, link=link, dataset=dataset)

    async def answer(
        self,
        text: str,
        fmt: str,
        *,
        key: tuple[Any, ...],
        html: Callable[[Answer], str] | None,
        html_error: Callable[[str], str] | None,
        link: str,
        also: tuple[Any, ...] | None = None,
        dataset: Dataset | None = None,
    ) -> Response:
        """Run ``text`` for format ``fmt`` (or reuse the cached bytes under ``key``); a cut
        answer points at ``link`` (in its own syntax where it can, and in headers)."""
        cache = self.site.cache
        cached = cache.get(key)
        if cached is not None:
            return cached
        headers = {"vary": "Accept"}
        try:
            result = await self.run(text, fmt, link, dataset)
        except KzgraphError as error:
            if (
                fmt == "html"
                and html_error is not None
                and not isinstance(error, NotAcceptableError)
            ):
                return _html_error(error, html_error, headers)
            raise
        if result.truncated:
            headers["x-result-truncated"] = "true"
            headers["x-result-limit"] = str(self.site.config.max_results)
            headers["link"] = f'<{link}>; rel="describedby"'
        body = html(result).encode("utf-8") if result.format == "html" and html else result.body
        media = formats.content_type(result.format)
        cache.put(key, body, media, headers)
        if also is not None:
            cache.put(also, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})


def _html_error(
    error: KzgraphError, page: Callable[[str], str], headers: dict[str, str]
) -> Response:
    """A query that failed, on the page it was asked from."""
    status = status_of(error)
    if status >= 500:
        log.warning("kzgraph serve: %s query: %s", status, one_line(error.message))
    return Response(
        page(message_of(error)),
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers=headers,
    )


# ---- the app's exception handlers


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpError)
    return error_response(request, exc.status, exc.message, exc.headers)


async def on_kzgraph_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KzgraphError)
    return error_response(request, status_of(exc), message_of(exc))


async def on_starlette_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "GET, HEAD")
        return error_response(
            request,
            405,
            f"this endpoint is read-only: {request.method} is not allowed (allowed: {allowed})",
            {"allow": allowed},
        )
    if exc.status_code == 404:
        return error_response(request, 404, f"nothing at {request.url.path}")
    return error_response(request, exc.status_code, str(exc.detail))


EXCEPTION_HANDLERS = {
    HttpError: on_http_error,
    KzgraphError: on_kzgraph_error,
    HTTPException: on_starlette_error,
}
