"""The engine's ``/metrics`` listener (issue 20).

prometheus-client's own HTTP server, in its own thread: a scrape never runs on the event loop,
and the metric objects it reads are thread-safe.  A port already taken is logged, not fatal:
an engine without metrics still answers calls.
"""

from __future__ import annotations

import logging
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

from hotline.core.metrics import REGISTRY

log = logging.getLogger(__name__)


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
            self._server, self._thread = start_http_server(
                self._port, addr=self._host, registry=REGISTRY
            )
        except OSError as exc:
            log.warning("metrics not served on %s:%s: %s", self._host, self._port, exc)
            return False
        log.info("metrics on http://%s:%s/metrics", self._host, self.bound_port)
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
