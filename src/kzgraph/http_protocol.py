"""The HTTP/1.1 protocol ``kzgraph serve`` runs on: uvicorn's httptools protocol, with
one rule added: a request that offers to upgrade (``Upgrade: h2c``) is served as the plain
HTTP/1.1 request it also is, body included.

llhttp (under httptools) ends a request that carries ``Upgrade`` at its headers and leaves
the body to "the new protocol"; uvicorn then ran the app with an empty body (uvicorn
issue 2722).  Java's HTTP client offers h2c on every request, so Apache Jena's ``rsparql``
and ``SERVICE`` got 400 "missing the 'query' parameter" for every POST (every query over
~2 KB).  A server may ignore ``Upgrade`` (RFC 9110, 7.8) and this one has nothing to
upgrade to: the request's head is parsed again without the offer, followed by the bytes
that came after it, by a fresh parser.  WebSocket upgrades keep uvicorn's handling.
The h11 parser reads such requests too, at 1.5-1.7x the CPU per request
(docs/performance.md, the h2c fix).
"""

from __future__ import annotations

from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: headers that only make the upgrade offer (RFC 9113 3.2 for h2c's HTTP2-Settings)
_OFFER = (b"upgrade", b"http2-settings")


class PlainUpgradeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; an upgrade it does not perform is ignored (see module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ignored_upgrade = False  # llhttp stopped at an upgrade offer to ignore

    def _new_parser(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)  # as uvicorn

    def on_headers_complete(self) -> None:
        if (
            self.parser.should_upgrade()
            and not self._should_upgrade()
            and any(name == b"upgrade" for name, _value in self.headers)  # not CONNECT
        ):
            self._ignored_upgrade = True  # no request yet: it is parsed again, with its body
            return
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if not self._ignored_upgrade:  # llhttp's "end" of an upgrade offer is not the end
            super().on_message_complete()

    def _plain_head(self) -> bytes:
        """The request line and headers just parsed, without the upgrade offer."""
        method, version = self.parser.get_method(), self.parser.get_http_version()
        lines = [method + b" " + self.url + b" HTTP/" + version.encode("ascii")]
        for name, value in self.headers:
            if name in _OFFER:
                continue
            if name == b"connection":
                kept = [t.strip() for t in value.split(b",") if t.strip().lower() not in _OFFER]
                if not kept:
                    continue
                value = b", ".join(kept)
            lines.append(name + b": " + value)
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        while True:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
            except httptools.HttpParserUpgrade as exc:
                if not self._ignored_upgrade:  # WebSocket or CONNECT: as uvicorn does
                    if self._should_upgrade():
                        self.handle_websocket_upgrade()
                    else:
                        self._unsupported_upgrade_warning()
                    return
                self._ignored_upgrade = False
                data = self._plain_head() + data[int(exc.args[0]) :]
                self._new_parser()
                continue
            return
