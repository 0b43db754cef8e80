"""Run a WSGI app on a real socket, in a background thread or in the foreground.

One helper for every server the project starts: the connector's web app, the
reference hub and the portal simulator. It uses Werkzeug's threaded server;
put a reverse proxy (nginx, Caddy) in front of it for TLS on a public address.
"""

from __future__ import annotations

import logging
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """No access log: request lines can carry query-string secrets and they drown the real log."""

    def log_request(self, code="-", size="-") -> None:
        pass


class ServerThread:
    """A started server. `url` is its base URL; `stop()` closes it and waits."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, name: str = "http"):
        self._server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    def start(self) -> "ServerThread":
        self._thread.start()
        log.info("listening on %s", self.url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def parse_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:8700' -> ('127.0.0.1', 8700)."""
    host, _, port = listen.rpartition(":")
    return host or "127.0.0.1", int(port)


def serve_forever(app, listen: str, name: str) -> None:
    """Serve in the foreground until SIGINT/SIGTERM (used by `hub serve` and `portal-sim`)."""
    import signal

    host, port = parse_listen(listen)
    server = ServerThread(app, host, port, name=name).start()
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    print(f"{name} listening on {server.url}", flush=True)
    stopped.wait()
    server.stop()
