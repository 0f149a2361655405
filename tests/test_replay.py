"""``kzgraph.replay``: the same GET again gets the bytes the result cache sent, and only that.

A small Starlette app with the real :class:`CachedResponse` of the result cache stands in
for the site (it counts the requests that reach it); the behaviour over a real socket is
in test_serve.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kzgraph.compression import CachedResponse, Compression
from kzgraph.replay import Replay

BODY = b"x" * 4000  # over the gzip threshold


def make_app(size: int = 8, max_bytes: int = 1024**2) -> tuple[Any, list[str]]:
    reached: list[str] = []

    async def cached(request: Request) -> Response:
        reached.append(request.url.path + "?" + request.url.query)
        return CachedResponse(BODY, {"content-type": "text/plain"}, None, lambda gz: None)

    async def fresh(request: Request) -> Response:
        reached.append(request.url.path)
        return Response(BODY, media_type="text/plain")

    app = Starlette(
        routes=[Route("/cached", cached, methods=["GET", "HEAD"]), Route("/fresh", fresh)],
        middleware=[
            Middleware(Replay, size=size, max_bytes=max_bytes),
            Middleware(Compression),
        ],
    )
    return app, reached


def get(app: Any, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple:
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body


def test_a_cached_answer_is_replayed_byte_for_byte_without_the_app() -> None:
    app, reached = make_app()
    first = get(app, "/cached?q=1", {"accept": "text/plain"})
    second = get(app, "/cached?q=1", {"accept": "text/plain"})
    assert first == second and first[0] == 200 and first[2] == BODY
    assert reached == ["/cached?q=1"]  # the second never reached the app


def test_any_other_request_header_or_query_reaches_the_app() -> None:
    app, reached = make_app()
    plain = get(app, "/cached?q=1")
    gzipped = get(app, "/cached?q=1", {"accept-encoding": "gzip"})
    other = get(app, "/cached?q=2")
    again = get(app, "/cached?q=1", {"accept-encoding": "gzip"})
    assert len(reached) == 3
    assert plain[2] == BODY and b"content-encoding" not in plain[1]
    assert gzipped[1][b"content-encoding"] == b"gzip" and gzipped[2] != BODY
    assert again == gzipped and other[2] == BODY


def test_uncached_answers_and_head_always_reach_the_app() -> None:
    app, reached = make_app()
    for _ in range(2):
        assert get(app, "/fresh")[2] == BODY
        assert get(app, "/nothing")[0] == 404
        assert get(app, "/cached?q=1", method="HEAD")[0] == 200
    assert reached == ["/fresh", "/cached?q=1", "/fresh", "/cached?q=1"]


def test_the_keeper_is_bounded_by_count_and_bytes() -> None:
    app, reached = make_app(size=2)
    for q in (1, 2, 3, 1):  # 1 was dropped when 3 came
        get(app, f"/cached?q={q}")
    assert len(reached) == 4
    small, reached_small = make_app(max_bytes=3 * len(BODY))  # an answer may take a quarter
    for _ in range(2):
        get(small, "/cached?q=1")
    assert len(reached_small) == 2  # too big to keep: answered by the app both times
    off, reached_off = make_app(size=0)  # --cache-size 0: nothing replayed
    for _ in range(2):
        get(off, "/cached?q=1")
    assert len(reached_off) == 2
