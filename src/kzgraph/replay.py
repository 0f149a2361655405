"""Replayed answers for ``kzgraph serve``: the same request again gets the same bytes at once.

An answer from the result cache still went through the whole Starlette stack on every
request (routing, the query string decoded into a dict, content negotiation, CORS, the
gzip check): about 90 µs of Python, most of what a cached answer cost the web process.
:class:`Replay` sits outside that stack.  When a GET was answered from the result cache
(:class:`kzgraph.compression.CachedResponse` marks the request's scope with
:data:`CACHED`), it keeps the response it sent -- status, headers, body -- under the
request's path, query string and every request header, and answers the very same request
again with those bytes without entering the app.  Everything else (errors, streamed and
uncached answers, HEAD and POST) always goes through the app.  The data is read-only, so
a kept response never goes stale; the keeper is bounded by count and by bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: the scope key a response from the result cache sets (to True)
CACHED = "kzgraph.cached"
MAX_BYTES = 16 * 1024**2  # bytes of responses (and their keys) kept per HTTP process
_Key = tuple[str, bytes, tuple[tuple[bytes, bytes], ...]]


class Replay:
    """ASGI middleware: replay responses of the result cache (see the module)."""

    def __init__(self, app: ASGIApp, size: int, max_bytes: int = MAX_BYTES) -> None:
        self.app = app
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[_Key, tuple[Message, Message, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or self.size <= 0:
            await self.app(scope, receive, send)
            return
        key: _Key = (scope["path"], scope["query_string"], tuple(map(tuple, scope["headers"])))
        kept = self._items.get(key)
        if kept is not None:
            self._items.move_to_end(key)
            await send(kept[0])
            await send(kept[1])
            return
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)
            await send(message)

        await self.app(scope, receive, keep)
        if scope.get(CACHED) and len(sent) == 2:
            self._put(key, sent[0], sent[1])

    def _put(self, key: _Key, start: Message, body: Message) -> None:
        if start.get("type") != "http.response.start" or start.get("status") != 200:
            return
        if body.get("type") != "http.response.body" or body.get("more_body", False):
            return
        headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", ())]
        content = bytes(body.get("body", b""))
        cost = (
            len(content)
            + sum(len(k) + len(v) for k, v in headers)
            + len(key[0])
            + len(key[1])
            + sum(len(k) + len(v) for k, v in key[2])
        )
        if cost > self.max_bytes // 4:
            return
        start_message: dict[str, Any] = {
            "type": "http.response.start",
            "status": 200,
            "headers": headers,
        }
        body_message: dict[str, Any] = {"type": "http.response.body", "body": content}
        previous = self._items.pop(key, None)  # two requests that missed at the same time
        if previous is not None:
            self.bytes -= previous[2]
        self._items[key] = (start_message, body_message, cost)
        self.bytes += cost
        while self._items and (len(self._items) > self.size or self.bytes > self.max_bytes):
            _old, (_s, _b, dropped) = self._items.popitem(last=False)
            self.bytes -= dropped
