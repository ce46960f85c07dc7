"""The engine's ``/metrics`` listener (issue 20).

prometheus-client's WSGI app served by the standard library's WSGI server, in a thread of its
own: a scrape never runs on the event loop, and the metric objects it reads are thread-safe.
A port already taken is logged, not fatal: an engine without metrics still answers calls.

Not prometheus-client's ``start_http_server``: its thread polls for the stop every half
second, and every engine stop waited for that poll (a quarter of a second on average, in
every end-to-end test's teardown; issue 19 item 5).  This one polls every
:data:`STOP_POLL_SECONDS`, which costs an idle thread ten wake-ups a second (a poll each).
"""

from __future__ import annotations

import logging
import socket
import threading
from socketserver import ThreadingMixIn
from typing import Any, Final
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from hotline.core.metrics import REGISTRY

log = logging.getLogger(__name__)

STOP_POLL_SECONDS: Final = 0.1


class _QuietHandler(WSGIRequestHandler):
    """No access line per scrape on stderr (the engine's log has its own format)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _server_class(host: str, port: int) -> type[_Server]:
    """The server class for ``host``'s address family (an IPv6 address binds AF_INET6)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    return type("_MetricsServer", (_Server,), {"address_family": family})


class MetricsListener:
    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def bound_port(self) -> int | None:
        return None if self._server is None else int(self._server.server_port)

    def start(self) -> bool:
        try:
            server = make_server(
                self._host,
                self._port,
                make_wsgi_app(REGISTRY),
                server_class=_server_class(self._host, self._port),
                handler_class=_QuietHandler,
            )
        except OSError as exc:
            log.warning("metrics not served on %s:%s: %s", self._host, self._port, exc)
            return False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": STOP_POLL_SECONDS},
            name="metrics-http",
            daemon=True,
        )
        self._thread.start()
        log.info("metrics on http://%s:%s/metrics", self._host, self.bound_port)
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
