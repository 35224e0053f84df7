"""The seed replay demo: the whole pipeline on this machine, no internet.

1. A local site on 127.0.0.1 publishes the seed articles as an RSS feed with
   HTML article pages, releasing them oldest first, one per cycle.
2. The real pipeline polls it: feed, fetch, extract, claims, positions,
   shifts, and alerts delivered to a local SMTP sink and a local webhook sink.
3. What it found is printed as a table; then Datasette serves the database
   (unless ``serve=False``).
"""

from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from tracker.clock import SYSTEM_CLOCK, Clock
from tracker.config import Config, parse_config
from tracker.seeds import Seed, load_seeds
from tracker.sinks import SmtpSink

DEFAULT_DEMO_DB = Path("db/demo.db")


class SeedSite:
    """An RSS feed and article pages for the seeds, plus a webhook sink."""

    def __init__(self, seeds: list[Seed]) -> None:
        self.seeds = seeds
        self.released = 0
        self.webhooks: list[dict] = []
        self._server: ThreadingHTTPServer | None = None

    # --- content -----------------------------------------------------------
    def slug(self, seed: Seed) -> str:
        return Path(seed.file).stem

    def feed_xml(self) -> bytes:
        items = []
        for seed in reversed(self.seeds[: self.released]):  # newest first, as feeds are
            published = datetime.fromisoformat(seed.published).replace(hour=9, tzinfo=timezone.utc)
            link = self.url(f"/articles/{self.slug(seed)}.html")
            first = next((line for line in seed.text.splitlines() if len(line) > 60), "")
            items.append(
                "<item>"
                f"<title>{html.escape(seed.title)}</title><link>{link}</link>"
                f"<guid isPermaLink=\"false\">seed:{self.slug(seed)}</guid>"
                f"<pubDate>{format_datetime(published)}</pubDate>"
                f"<source url=\"{self.url('/feed.xml')}\">{html.escape(seed.outlet)}</source>"
                f"<description>{html.escape(first)}</description>"
                "</item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            "<title>tracker seed replay</title>"
            f"<link>{self.url('/')}</link><description>The seed articles, released oldest first</description>"
            + "".join(items) + "</channel></rss>"
        ).encode("utf-8")

    def article_html(self, seed: Seed) -> bytes:
        paragraphs = "\n".join(
            f"<p>{html.escape(line.strip())}</p>" for line in seed.text.splitlines() if line.strip()
        )
        return (
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(seed.title)}</title>"
            f"<meta property=\"article:published_time\" content=\"{seed.published}T09:00:00Z\">"
            f"<meta property=\"og:site_name\" content=\"{html.escape(seed.outlet)}\">"
            "</head><body><header><nav><a href=\"/\">Home</a></nav></header>"
            f"<main><article><h1>{html.escape(seed.title)}</h1>"
            f"<time datetime=\"{seed.published}\">{seed.published}</time>\n{paragraphs}</article></main>"
            "<footer>Seed replay for tracker</footer></body></html>"
        ).encode("utf-8")

    # --- server ------------------------------------------------------------
    def url(self, path: str) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def start(self) -> "SeedSite":
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/feed.xml":
                    return self._send(200, site.feed_xml(), "application/rss+xml; charset=utf-8")
                for seed in site.seeds[: site.released]:
                    if self.path == f"/articles/{site.slug(seed)}.html":
                        return self._send(200, site.article_html(seed), "text/html; charset=utf-8")
                self._send(404, b"not found", "text/plain")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/hooks/alerts":
                    site.webhooks.append({"headers": dict(self.headers), "body": json.loads(body or b"{}")})
                    return self._send(200, b'{"ok": true}', "application/json")
                self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@dataclass
class DemoResult:
    db_path: Path
    cycles: list[dict] = field(default_factory=list)
    shifts: list[dict] = field(default_factory=list)
    emails: list = field(default_factory=list)
    webhooks: list[dict] = field(default_factory=list)


def demo_config(base: Config, site: SeedSite, mail: SmtpSink, db_path: Path) -> Config:
    """The demo's config: one local feed, loopback allowed, local alert sinks."""
    data = {
        "storage": {"db": str(db_path)},
        "fetch": {"allow_private_addresses": ["127.0.0.0/8"], "timeout": 10},
        "polling": {"interval": "15m"},
        "stance": {"actors": str(base.stance.actors), "topics": str(base.stance.topics)},
        "feed": [{"name": "seed-replay", "url": site.url("/feed.xml"), "outlet": "seed replay", "tags": ["demo"]}],
        "alerts": {"channel": [
            # The demo shows every change it finds, signals too: five articles from
            # one local feed are one outlet, where a live desk would wait for a second.
            {"name": "demo-mail", "kind": "email", "host": "127.0.0.1", "port": mail.port, "security": "none",
             "from": "tracker@localhost", "to": ["analysts@localhost"], "levels": ["signal", "shift"]},
            {"name": "demo-webhook", "kind": "webhook", "url": site.url("/hooks/alerts"),
             "levels": ["signal", "shift"]},
        ]},
    }
    if base.publish.base_url:
        data["publish"] = {"base_url": base.publish.base_url}
    return parse_config(data, Path("<demo config>"))


def reset_database(db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)


def run_demo(base: Config, db_path: Path, *, seeds_dir: Path | str = "seeds", clock: Clock = SYSTEM_CLOCK,
             say: Callable[[str], None] = print) -> DemoResult:
    """Replay the seeds through the whole pipeline; return what happened."""
    from tracker.actornames import actor_names
    from tracker.db import open_db
    from tracker.pipeline import run_cycle
    from tracker.positions.views import list_shifts, shift_table

    seeds = load_seeds(seeds_dir)
    reset_database(db_path)
    site, mail = SeedSite(seeds).start(), SmtpSink().start()
    result = DemoResult(db_path=db_path)
    try:
        config = demo_config(base, site, mail, db_path)
        db = open_db(db_path)
        say(f"seed replay: {len(seeds)} articles served at {site.url('/feed.xml')}, database {db_path}")
        for number, seed in enumerate(seeds, start=1):
            site.released = number
            stats = run_cycle(db, config, clock=clock, all_feeds=True, trigger="demo")
            cycle = {"cycle": number, "published": seed.published, "title": seed.title,
                     "articles": stats.articles_new, "claims": stats.claims_new, "shifts": stats.shifts_new,
                     "alerts": stats.alerts_sent, "errors": list(stats.errors)}
            result.cycles.append(cycle)
            say(f"cycle {number}: {seed.published} {seed.title[:60]!r}: {stats.articles_new} article, "
                f"{stats.claims_new} claims, {stats.shifts_new} shifts, {stats.alerts_sent} alerts sent"
                + (f", errors: {'; '.join(stats.errors)}" if stats.errors else ""))
        result.shifts = list_shifts(db)
        result.emails = list(mail.messages)
        result.webhooks = list(site.webhooks)
        say("")
        say("shifts detected:")
        say(shift_table(result.shifts, width=60, names=actor_names(config.stance.actors)))
        say("")
        say(f"alerts delivered: {len(result.emails)} emails to the local SMTP sink, "
            f"{len(result.webhooks)} webhook posts to the local receiver")
        db.close()
    finally:
        mail.stop()
        site.stop()
    return result
