"""A fast local site for benchmarks: feeds and article pages on 127.0.0.1, in its own processes.

    python bench/server.py --feeds 1000 --entries 20 [--procs 2] [--mode asyncio|threaded]

Prints ``READY <port> <pid> <pid>...`` once listening, then serves until its
stdin closes (so it never outlives the benchmark that started it).

Routes: /f/{i}.xml (feed i, see sitegen.FeedSite), /p/{i}/{k} (a fixture
article page), /_gen/{g} (switch every process to generation g). Feeds answer
ETag and Last-Modified and honour If-None-Match / If-Modified-Since with 304.

``asyncio`` is a minimal HTTP/1.1 keep-alive server, optionally in several
processes sharing one listening socket; ``threaded`` is the tests' own
``tests/localserver.py`` (http.server with a thread per connection), kept
to measure how much a slow server would colour the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sitegen import FeedSite, html_pages, load_templates, page_index  # noqa: E402

LAST_MODIFIED = b"Mon, 01 Jan 2024 00:00:00 GMT"
FEED_TYPE = {"rss": b"application/rss+xml", "atom": b"application/atom+xml"}


class Site:
    """Answers (status, headers, body) for a path; shared by both server modes."""

    def __init__(self, site: FeedSite) -> None:
        self.site = site
        self.templates = load_templates()
        self.pages = [path.read_bytes() for path in html_pages()]
        self.generation = 0
        self.gen_file: Path | None = None

    def current_generation(self) -> int:
        # Processes share the generation through a file the /_gen route writes.
        if self.gen_file is not None:
            try:
                return int(self.gen_file.read_text() or 0)
            except (OSError, ValueError):
                return self.generation
        return self.generation

    def answer(self, path: str, if_none_match: bytes | None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        parts = path.split("?", 1)[0].strip("/").split("/")
        try:
            if parts[0] == "f" and len(parts) == 2 and parts[1].endswith(".xml"):
                return self._feed(int(parts[1][:-4]), if_none_match)
            if parts[0] == "p" and len(parts) == 3:
                body = self.pages[page_index(int(parts[1]), int(parts[2]), len(self.pages))]
                return 200, [(b"Content-Type", b"text/html")], body
            if parts[0] == "_gen" and len(parts) == 2:
                self.generation = int(parts[1])
                if self.gen_file is not None:
                    self.gen_file.write_text(str(self.generation))
                return 200, [(b"Content-Type", b"text/plain")], b"ok"
        except (ValueError, IndexError):
            pass
        return 404, [(b"Content-Type", b"text/plain")], b"not found"

    def _feed(self, i: int, if_none_match: bytes | None):
        if not 0 <= i < self.site.feeds:
            return 404, [(b"Content-Type", b"text/plain")], b"no such feed"
        generation = self.current_generation()
        etag = self.site.etag(i, generation).encode()
        headers = [(b"ETag", etag), (b"Last-Modified", LAST_MODIFIED)]
        if if_none_match == etag:
            return 304, headers, b""
        template = self.templates[i % len(self.templates)]
        kind = FEED_TYPE["atom" if template.name.endswith((".atom", "atom10.xml")) else "rss"]
        return 200, headers + [(b"Content-Type", kind)], template.render(self.site.links(i, generation))


REASONS = {200: b"OK", 304: b"Not Modified", 404: b"Not Found"}


async def _serve_connection(site: Site, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            method, target, _ = lines[0].split(b" ", 2)
            headers = {}
            for line in lines[1:]:
                if line:
                    key, _, value = line.partition(b":")
                    headers[key.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", 0) or 0)
            if length:
                await reader.readexactly(length)
            status, extra, body = site.answer(target.decode("latin-1"), headers.get(b"if-none-match"))
            out = [b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"Other"))]
            out += [name + b": " + value for name, value in extra]
            out.append(b"Content-Length: %d" % (0 if status == 304 else len(body)))
            writer.write(b"\r\n".join(out) + b"\r\n\r\n" + (b"" if status == 304 or method == b"HEAD" else body))
            await writer.drain()
            if headers.get(b"connection", b"").lower() == b"close":
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


def _run_asyncio(site: Site, sock: socket.socket) -> None:
    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: _serve_connection(site, r, w), sock=sock, backlog=1024)
        async with server:
            await server.serve_forever()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    asyncio.run(main())


def serve_asyncio(site: Site, procs: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    site.site = FeedSite(f"http://127.0.0.1:{port}", site.site.feeds, site.site.entries,
                         link_path=site.site.link_path)
    children: list[int] = []
    if procs <= 1:
        print("READY", port, os.getpid(), flush=True)
        # The loop runs here; a thread ends the process once our stdin closes.
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
        _run_asyncio(site, sock)
        return
    import tempfile

    site.gen_file = Path(tempfile.mkstemp(prefix="bench-gen-")[1])
    site.gen_file.write_text("0")
    for _ in range(procs):
        pid = os.fork()  # before any thread exists: safe
        if pid == 0:
            _run_asyncio(site, sock)
            os._exit(0)
        children.append(pid)
    print("READY", port, *children, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin or exits
    for pid in children:
        os.kill(pid, signal.SIGTERM)
    for pid in children:
        os.waitpid(pid, 0)
    if site.gen_file is not None:
        site.gen_file.unlink(missing_ok=True)


def serve_threaded(site: Site) -> None:
    from tests.localserver import LocalServer, Response

    server = LocalServer().start()
    base = server.url("")
    site.site = FeedSite(base, site.site.feeds, site.site.entries, link_path=site.site.link_path)
    for i in range(site.site.feeds):
        _, headers, body = site.answer(f"/f/{i}.xml", None)
        kind = dict(headers)[b"Content-Type"].decode()
        server.add(f"/f/{i}.xml", Response(body=body, content_type=kind))
    print("READY", base.rsplit(":", 1)[1], os.getpid(), flush=True)
    sys.stdin.read()
    server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--link-path", default="/a/{i}/{k}")
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--mode", choices=("asyncio", "threaded"), default="asyncio")
    args = parser.parse_args()
    site = Site(FeedSite("", args.feeds, args.entries, link_path=args.link_path))
    if args.mode == "threaded":
        serve_threaded(site)
    else:
        serve_asyncio(site, args.procs)


if __name__ == "__main__":
    main()
