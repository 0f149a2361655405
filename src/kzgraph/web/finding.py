"""Finding things without SPARQL: full-text search at /search (:mod:`kzgraph.search`) and
questions in plain words at /ask (:mod:`kzgraph.ask`), as HTML or JSON."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kzgraph import formats
from kzgraph import html as pages
from kzgraph.errors import KzgraphError
from kzgraph.pool import Answer
from kzgraph.query import bind, find_query, resolve_params
from kzgraph.render import iris_in, search_document
from kzgraph.web.config import HttpError
from kzgraph.web.respond import Answers, accept_of, message_of
from kzgraph.web.site import Site

HTML = "text/html; charset=utf-8"


def ask_document(answer: Any, ran: Answer | None, found: Any) -> dict[str, Any]:
    """/ask as JSON: the reading chosen, close ones, and the answer (SPARQL JSON results) or
    the full-text search's hits."""

    def reading(r: Any) -> dict[str, Any]:
        return {"query": r.query, "title": r.title, "params": dict(r.params), "command": r.command}

    best = answer.best
    return {
        "question": answer.question,
        **(reading(best) if best is not None else {"query": None}),
        "readAs": [{"param": p, "words": w, "value": v} for p, w, v in best.because]
        if best is not None
        else [],
        "alternatives": [reading(r) for r in answer.alternatives],
        "fallback": answer.fallback,
        "result": json.loads(ran.body) if ran is not None and ran.body else None,
        "search": search_document(found) if found is not None else None,
    }


def _json(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False) + "\n").encode("utf-8")


class Finding:
    """/search and /ask."""

    def __init__(self, site: Site, answers: Answers) -> None:
        self.site = site
        self.answers = answers

    async def search(self, request: Request) -> Response:
        site = self.site
        params = request.query_params
        text = params.get("q", "")
        kind, lang = params.get("kind", ""), params.get("lang", "")
        limit = params.get("limit", "20")
        fmt = formats.negotiate(
            ("html", "json"), accept_of(request), params.get("format"), "search"
        )
        key = ("search", text, kind, lang, limit, fmt)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            raise HttpError(400, f"limit must be a whole number from 1 to 1000, got {limit!r}")
        headers = {"vary": "Accept"}

        def run() -> Any:
            return site.search.search(text, kind=kind or None, lang=lang or None, limit=int(limit))

        if fmt == "json":
            if not text.strip():
                raise HttpError(400, "missing the 'q' parameter (the search text)")
            body, media = _json(search_document(await asyncio.to_thread(run))), "application/json"
        else:
            result, error = None, None
            if text.strip():
                try:
                    result = await asyncio.to_thread(run)  # SearchError: 400
                except KzgraphError as exc:
                    error = message_of(exc)
            body, media = self._search_page(text, result, kind, lang, error), HTML
            if error:
                return Response(body, status_code=400, headers={**headers, "content-type": media})
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    def _search_page(
        self, text: str, result: Any, kind: str, lang: str, error: str | None
    ) -> bytes:
        return pages.search_page(
            text,
            result,
            kind=kind,
            lang=lang,
            kinds=self.site.kinds,
            locators=self.site.locators,
            error=error,
        ).encode("utf-8")

    async def ask(self, request: Request) -> Response:
        site = self.site
        params = request.query_params
        question = params.get("q", "")
        fmt = formats.negotiate(("html", "json"), accept_of(request), params.get("format"), "ask")
        key = ("ask", question, fmt)
        cached = site.cache.get(key)
        if cached is not None:
            return cached
        headers = {"vary": "Accept"}
        if not question.strip() and fmt == "html":
            return Response(pages.ask_page(question, None), media_type=HTML)
        try:
            answer = await asyncio.to_thread(site.ask, question)  # AskError: 400
        except KzgraphError as exc:
            if fmt == "json":
                raise HttpError(400, message_of(exc)) from None
            page = pages.ask_page(question, None, error=message_of(exc))
            return Response(page, status_code=400, headers=headers, media_type=HTML)
        ran, found = await self._answered(answer, fmt)
        if fmt == "json":
            body, media = _json(ask_document(answer, ran, found)), "application/json"
        else:
            result = ran.result if ran is not None else None
            body = pages.ask_page(
                question,
                answer,
                result=result,
                labels=site.engine.labels(iris_in(result)) if result is not None else {},
                truncated=ran.truncated if ran is not None else False,
                search=found,
                locators=site.locators,
            ).encode("utf-8")
            media = HTML
        site.cache.put(key, body, media, headers)
        return Response(body, headers={**headers, "content-type": media})

    async def _answered(self, answer: Any, fmt: str) -> tuple[Answer | None, Any]:
        """The best reading's query run for ``fmt``, or else the full-text search's hits."""
        site = self.site
        best, ran, found = answer.best, None, None
        if best is not None:
            query = find_query(site.catalog, best.query)
            text = bind(query.text, resolve_params(query, best.params, site.names))
            ran = await self.answers.run(text, fmt)
        elif answer.fallback:
            words = " OR ".join(answer.fallback.split())
            found = await asyncio.to_thread(site.search.search, words, limit=20)
        return ran, found
