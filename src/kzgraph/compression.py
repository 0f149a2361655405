"""gzip for ``kzgraph serve``: answers over 1 KB, to clients that accept it, ETag-safe.

:class:`Compression` is Starlette's ``GZipMiddleware`` (streamed answers such as
``/dump.nt`` are compressed chunk by chunk) behind a real ``Accept-Encoding`` check
(``gzip;q=0`` means no), and a compressed answer's strong ETag names the gzip
representation (``"x"`` becomes ``"x-gzip"``, RFC 9110 8.8.3: two encodings of an
answer must not share a strong validator).  :class:`CachedResponse` sends an answer of
the result cache compressed once per cache entry instead of once per request.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Mapping

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kzgraph.replay import CACHED

MINIMUM_SIZE = 1024  # bytes: smaller answers are sent as they are
LEVEL = 6  # zlib's default: 1.46 MB of N-Triples in ~40 ms to 7 %; level 9 takes twice that
_IN_THREAD = 128 * 1024  # compress bodies from this size off the event loop


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request's ``Accept-Encoding`` takes gzip (or ``*``) with q > 0."""
    header = Headers(scope=scope).get("accept-encoding", "")
    verdict: dict[str, bool] = {}
    for part in header.lower().split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding:
            verdict[coding] = q > 0
    return verdict.get("gzip", verdict.get("x-gzip", verdict.get("*", False)))


def gzip_bytes(body: bytes) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def _gzip_etag(headers: MutableHeaders) -> None:
    etag = headers.get("etag")
    if etag and etag.endswith('"') and not etag.endswith('-gzip"'):
        headers["etag"] = etag[:-1] + '-gzip"'


class Compression:
    """ASGI middleware: gzip where the client accepts it (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(
            app, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL, thread_minimum_size=_IN_THREAD
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not accepts_gzip(scope):
            await self.app(scope, receive, send)
            return

        async def send_etag_safe(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                if headers.get("content-encoding") == "gzip":
                    _gzip_etag(headers)
            await send(message)

        await self.gzip(scope, receive, send_etag_safe)


class CachedResponse(Response):
    """An answer from the result cache, sent gzip-compressed to clients that accept gzip:
    ``gzipped`` is its compressed body when the cache has it, else it is compressed here
    and handed to ``keep`` (the middleware leaves an answer that is already encoded)."""

    def __init__(
        self,
        body: bytes,
        headers: Mapping[str, str],
        gzipped: bytes | None,
        keep: Callable[[bytes], None],
    ) -> None:
        super().__init__(body, headers=dict(headers))
        self._gzipped = gzipped
        self._keep = keep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[CACHED] = True  # kzgraph.replay may send these very bytes to the same request
        if len(self.body) >= MINIMUM_SIZE and accepts_gzip(scope):
            gz = self._gzipped
            if gz is None:
                body = bytes(self.body)
                gz = gzip_bytes(body) if len(body) < _IN_THREAD else await _in_thread(body)
                self._keep(gz)
            self.body = gz
            self.headers["content-encoding"] = "gzip"
            self.headers["content-length"] = str(len(gz))
            self.headers.add_vary_header("Accept-Encoding")
            _gzip_etag(self.headers)
        await super().__call__(scope, receive, send)


async def _in_thread(body: bytes) -> bytes:
    return await asyncio.to_thread(gzip_bytes, body)
