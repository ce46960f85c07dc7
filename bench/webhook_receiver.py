"""The webhook benchmark's receiver, in a child process of its own.

Standard library only: a spawned child imports this module afresh, and on a loaded machine
importing the engine's modules there took longer than the benchmark waited for it.  The child
binds port 0 and sends the port it got back, so no port is picked free and then lost.
"""

from __future__ import annotations

import http.server
from multiprocessing.connection import Connection


class _Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver behind nginx would

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def serve(ready: Connection) -> None:
    """Serves POSTs on 127.0.0.1 forever, after sending the bound port through ``ready``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    ready.send(server.server_address[1])
    ready.close()
    server.serve_forever()
