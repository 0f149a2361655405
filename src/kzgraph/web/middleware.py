"""ASGI wrappers around the app, each one HTTP concern: validators and 304s
(:class:`Conditional`), a sub-path behind a proxy (:class:`RootPath`), the access log
(:class:`AccessLog`), the last guard against a traceback (:class:`NoTraceback`)."""

from __future__ import annotations

import email.utils
import hashlib
import logging
import re
import sys
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kzgraph.errors import InputError
from kzgraph.web.config import ServeError, log, one_line


def _opaque(tag: str) -> str:
    """An entity tag compared weakly, without the ``-gzip`` kzgraph.compression adds."""
    tag = tag.strip().removeprefix("W/")
    return tag[:-6] + '"' if tag.endswith('-gzip"') else tag


def _not_modified(headers: Headers, etag: str, modified: float) -> bool:
    """RFC 9110 13.1: If-None-Match decides when present; else If-Modified-Since."""
    none_match = headers.get("if-none-match")
    if none_match is not None:
        wanted = _opaque(etag)
        return any(t.strip() == "*" or _opaque(t) == wanted for t in none_match.split(","))
    since = headers.get("if-modified-since")
    if since:
        try:
            return modified <= email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):  # not an HTTP date: ignored, as the RFC says
            return False
    return False


#: the headers a 304 keeps (RFC 9110 15.4.5)
_KEPT_BY_304 = ("etag", "last-modified", "vary", "cache-control", "content-location", "expires")


class Conditional:
    """ETag and Last-Modified on every 200 to GET/HEAD, and 304 when the client has it.

    The data is read-only, so the same request (scheme, path, query, Accept, Accept-Language,
    Host) gets the same answer for as long as the build (:func:`build_stamp`) is the same:
    the tag is the build's hash and the request's.  A response that sets its own ETag keeps
    it.
    """

    def __init__(self, app: ASGIApp, stamp: str, modified: float) -> None:
        self.app = app
        self.stamp = stamp
        self.modified = modified
        self.last_modified = email.utils.formatdate(modified, usegmt=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        varies = (
            scope.get("scheme", "http"),  # behind a proxy: X-Forwarded-Proto, read by uvicorn
            scope["path"],
            scope["query_string"],
            *(request.get(h, "") for h in ("accept", "accept-language", "host")),
        )
        key = hashlib.sha256(repr(varies).encode()).hexdigest()[:12]
        etag = f'W/"{self.stamp}-{key}"'
        skipping = False

        async def conditional_send(message: Message) -> None:
            nonlocal skipping
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(raw=list(message["headers"]))
                headers.setdefault("etag", etag)
                headers.setdefault("last-modified", self.last_modified)
                if _not_modified(request, headers["etag"], self.modified):
                    skipping = True
                    kept = [(k, v) for k, v in headers.raw if k.decode() in _KEPT_BY_304]
                    message = {"type": "http.response.start", "status": 304, "headers": kept}
                else:
                    message = {**message, "headers": headers.raw}
            elif message["type"] == "http.response.body" and skipping:
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, conditional_send)


_ROOTED = re.compile(rb'(\s(?:href|action|src)=")/(?!/)')
_ROOTED_HEADERS = (b"location", b"content-location", b"link")


def route_path(scope: Scope) -> str:
    """The request's path without the root path uvicorn puts in front of it."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root + "/") else path


def check_root_path(value: str) -> str:
    """``value`` as a root path ("/kz", no trailing slash; "" for none), or InputError."""
    if value in ("", "/"):
        return ""
    segments = value.rstrip("/").split("/")[1:]
    if (
        not value.startswith("/")
        or not all(re.fullmatch(r"[A-Za-z0-9._~!$&'()*+,;=:@%-]+", seg) for seg in segments)
        or any(seg in (".", "..") for seg in segments)
    ):
        raise InputError(
            f"--root-path must be a path such as /kz (segments of URL path characters), "
            f"got {value!r}"
        )
    return value.rstrip("/")


class RootPath:
    """Serving under a sub-path behind a reverse proxy that strips it: every path this
    server writes (links, forms and sources in HTML; Location, Content-Location and Link
    headers) gets the prefix.  The pages are written with paths from ``/``; the URLs built
    from the request (JSON-LD, sitemap, the description) follow uvicorn's ``root_path``
    through Starlette's ``base_url`` already.  Only with ``--root-path``: the pages are
    then held whole for the rewrite."""

    def __init__(self, app: ASGIApp, root: str) -> None:
        self.app = app
        self.root = root.encode("ascii")

    def _header(self, name: bytes, value: bytes) -> bytes:
        if name == b"link":
            return re.sub(rb"<(?=/(?!/))", lambda _m: b"<" + self.root, value)
        return (
            self.root + value if value.startswith(b"/") and not value.startswith(b"//") else value
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"  # asked as a GET: the length is the rewritten page's
        start: Message | None = None
        chunks: list[bytes] = []

        async def rooted_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = [
                    (k, self._header(k, v) if k in _ROOTED_HEADERS else v)
                    for k, v in message["headers"]
                ]
                message = {**message, "headers": headers}
                if any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    start = message  # the page is rewritten once its body is whole
                    return
            elif message["type"] == "http.response.body":
                if start is not None:
                    chunks.append(message.get("body", b""))
                    if message.get("more_body", False):
                        return
                    body = _ROOTED.sub(lambda m: m.group(1) + self.root + b"/", b"".join(chunks))
                    headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
                    await send({**start, "headers": headers})
                    message = {"type": "http.response.body", "body": body}
                if head:
                    if message.get("more_body", False):
                        return
                    message = {"type": "http.response.body", "body": b""}
            await send(message)

        # the pages are rewritten before kzgraph.compression gzips them (outside): an answer
        # from the result cache, which compresses itself, must not see gzip accepted here
        plain = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        inner = {**scope, "headers": plain, "method": "GET" if head else scope["method"]}
        await self.app(inner, receive, rooted_send)


def _log_text(value: str) -> str:
    """A request field as Apache writes it in a log: quotes, backslashes, controls escaped."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def access_line(scope: Scope, status: int, size: int, when: float) -> str:
    """One Combined Log Format line: host ident user [time] "request" status bytes
    "referer" "user-agent" (the time in UTC; ``-`` for what is not known)."""
    t = time.gmtime(when)
    stamp = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{time.strftime('%H:%M:%S', t)}"
    client = scope.get("client")
    host = client[0] if client else "-"
    path = scope.get("raw_path") or scope["path"].encode("utf-8")
    target = path.decode("latin-1")
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    line = f"{scope['method']} {target} HTTP/{scope.get('http_version', '1.1')}"
    headers = Headers(scope=scope)
    referer = _log_text(headers.get("referer", "-"))
    agent = _log_text(headers.get("user-agent", "-"))
    sent = str(size) if size else "-"
    return f'{host} - - [{stamp} +0000] "{_log_text(line)}" {status} {sent} "{referer}" "{agent}"'


def access_logger(target: str) -> logging.Logger:
    """A logger writing bare lines to ``target`` (a file, appended to; ``-``: stdout).
    ServeError when the file cannot be opened."""
    logger = logging.Logger("kzgraph.access", logging.INFO)  # this app's own, not global
    handler: logging.Handler
    if target == "-":
        handler = logging.StreamHandler(sys.stdout)
    else:
        try:
            handler = logging.FileHandler(target, mode="a", encoding="utf-8")
        except OSError as exc:
            raise ServeError(f"cannot open the access log {target}: {exc.strerror}") from None
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


class AccessLog:
    """Outermost: one Combined Log Format line per answered request, after its last byte."""

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        when = time.time()
        status, size = 0, 0

        async def counting_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.logger.info(access_line(scope, status or 500, size, when))


class NoTraceback:
    """Outermost guard: an unexpected error becomes a 500 and one log line, never a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            log.error(
                "kzgraph serve: 500 %s %s: %s: %s",
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
                one_line(exc),
            )
            if not started:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"internal error (logged by the server)\n",
                    }
                )
