"""A real HTTP server on 127.0.0.1 for tests: routes, conditional GET, faults.

    with LocalServer() as server:
        server.add("/feed.xml", body=feed_bytes, content_type="application/rss+xml")
        server.add("/gone", status=410)
        url = server.url("/feed.xml")

Static routes answer ETag / Last-Modified and honour If-None-Match /
If-Modified-Since with 304. A route may instead be a callable taking the
request handler and returning a ``Response``. Every request is recorded in
``server.requests`` as (method, path, headers).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering
    conditional: bool = True  # answer ETag/Last-Modified and 304s
    drip: float = 0.0  # seconds between single bytes of the body (a server that trickles)
    drip_headers: bool = False  # trickle the status line and headers too


Route = Response | Callable[["_Handler"], Response]


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # answers go out at once, not after a delayed ACK

    def log_message(self, format, *args):  # keep test output clean
        pass

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def do_POST(self):
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        owner = self.server.owner
        path = self.path
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        owner.requests.append((self.command, path, dict(self.headers), self.body))
        route = owner.routes.get(path) or owner.routes.get(path.split("?", 1)[0])
        if route is None:
            resp = Response(status=404, body=b"not found", content_type="text/plain")
        elif callable(route):
            resp = route(self)
        else:
            resp = route
        if resp.delay:
            time.sleep(resp.delay)
        headers = dict(resp.headers)
        status = resp.status
        body = resp.body
        if resp.conditional and status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            last_modified = owner.last_modified.get(path, "Mon, 01 Jan 2024 00:00:00 GMT")
            headers.setdefault("ETag", etag)
            headers.setdefault("Last-Modified", last_modified)
            if self.headers.get("If-None-Match") == etag or (
                "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == last_modified
            ):
                status, body = 304, b""
        if resp.drip:
            self._drip(status, headers, body, resp)
            return
        try:
            self.send_response(status)
            if status != 304:
                headers.setdefault("Content-Type", resp.content_type)
            headers.setdefault("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not head and status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


    def _drip(self, status: int, headers: dict[str, str], body: bytes, resp: Response) -> None:
        """Send one byte at a time, ``resp.drip`` seconds apart, until done or the client leaves."""
        headers.setdefault("Content-Type", resp.content_type)
        headers.setdefault("Content-Length", str(len(body)))
        head = f"HTTP/1.1 {status} OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        slow = head.encode("latin-1") + body if resp.drip_headers else body
        try:
            if not resp.drip_headers:
                self.wfile.write(head.encode("latin-1"))
                self.wfile.flush()
            for index in range(len(slow)):
                self.wfile.write(slow[index:index + 1])
                self.wfile.flush()
                time.sleep(resp.drip)
        except OSError:  # the client gave up
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "LocalServer"

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up is no error
            super().handle_error(request, client_address)


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.last_modified: dict[str, str] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def add(self, path: str, route: Route | None = None, **response) -> str:
        self.routes[path] = route if route is not None else Response(**response)
        return self.url(path)

    def url(self, path: str = "/") -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _, _ in self.requests if p == path)

    def start(self) -> "LocalServer":
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
