"""A hostile feed host for fault-injection tests: healthy feeds among every way a feed can go wrong.

It is a ``LocalServer`` bound to another loopback address (127.0.0.2 by
default), so a config can allow exactly that host (``["127.0.0.2/32"]``)
while 127.0.0.1, where a victim server listens, and 169.254.169.254 stay
refused: the private-address guard is tested through real sockets.

``serve_hostile(server, victim_url)`` registers the routes and returns the
feeds, each with the outcome a cycle must record for it.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from pathlib import Path

from tests.localserver import LocalServer, _Handler, _Server

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WDR = (FIXTURES / "html" / "tf_wdr_correctiv_russia_de.html").read_bytes()

KOI8_TITLE = "Как пережить новогоднюю ночь"
LATIN1_TITLE = "Déclaration du ministère: « élargissement » évoqué"
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


class HostileServer(LocalServer):
    def __init__(self, host: str = "127.0.0.2") -> None:
        super().__init__()
        self.host = host

    def start(self) -> "HostileServer":
        self._server = _Server((self.host, 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self


@dataclass(frozen=True)
class HostileFeed:
    name: str
    path: str
    reason: str | None  # the feed's last_error_reason after one cycle; None for a healthy feed
    entries: int = 0  # articles a healthy feed must leave in the database


def rss(items: list[tuple[str, str, str]], *, title: str = "Hostile test feed", prolog: str = "") -> str:
    body = "".join(f"<item><title>{t}</title><link>{link}</link><description>{d}</description></item>"
                   for t, link, d in items)
    return f'{prolog}<rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'


def gzip_bomb(decoded_bytes: int) -> bytes:
    """A gzip stream of ``decoded_bytes`` zeros (about 1000x smaller than what it inflates to)."""
    return gzip.compress(b"\0" * decoded_bytes, compresslevel=9)


def quadratic_blowup(value_bytes: int = 10_000, references: int = 3_000) -> bytes:
    """A feed whose one flat entity expands to value_bytes x references (30 MB from 20 kB by default)."""
    return (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"x" * value_bytes + b'">\n]>\n'
            b'<rss version="2.0"><channel><title>blow-up</title><item><title>boom</title>'
            b"<link>http://example.invalid/1</link><description>" + b"&a;" * references
            + b"</description></item></channel></rss>")


def billion_laughs(levels: int = 9) -> bytes:
    decls = b"".join(b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, levels + 1))
    return (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n' + decls + b"]>\n"
            b'<rss version="2.0"><channel><title>laughs</title><item><title>&lol%d;</title>'
            b"<link>http://example.invalid/laughs</link></item></channel></rss>" % levels)


def local_fixture(server: LocalServer, fixture: str, public_base: str) -> bytes:
    return (FIXTURES / "feeds" / fixture).read_bytes().replace(public_base.encode(), server.url("").encode())


def serve_hostile(server: HostileServer, victim_url: str, *, cap: int) -> list[HostileFeed]:
    """Register every route; ``cap`` is the [fetch] max_body_bytes of the test config."""
    base = server.url("")
    feeds: list[HostileFeed] = []

    def feed(name: str, path: str, reason: str | None, entries: int = 0, **response) -> None:
        server.add(path, **response)
        feeds.append(HostileFeed(name, path, reason, entries))

    # Healthy feeds: a real RSS feed with one article page, a real Atom feed of 15 entries.
    nhs = local_fixture(server, "nhs_north_west_minimal_rss20.xml", "https://www.england.nhs.uk")
    feed("healthy-nhs", "/ok/nhs.xml", None, 2, body=nhs, content_type="application/rss+xml")
    server.add("/north-west/?p=6133", body=WDR)
    heise = local_fixture(server, "heise_developer_de_atom10.xml", "http://www.heise.de")
    feed("healthy-heise", "/ok/heise.xml", None, 15, body=heise, content_type="application/atom+xml")

    # A page of 110,000 flat paragraphs (under the 1 MB cap): ~10 s in trafilatura, cut by
    # [polling] extract_timeout; the article falls back to the feed's summary.
    server.add("/huge-page", body=b"<html><body>" + b"<p>x</p>" * 110_000 + b"</body></html>")
    feed("huge-page", "/ok/huge.xml", None, 1, content_type="application/rss+xml",
         body=rss([("Huge page", f"{base}/huge-page", "The summary of a huge page.")]).encode())

    # Non-UTF-8 documents: undeclared KOI8-R, declared windows-1252.
    koi8 = rss([(KOI8_TITLE, f"{base}/koi8/1", "Новый год обязательно наступит.")], title="Новости").encode("koi8-r")
    feed("koi8r-undeclared", "/enc/koi8.xml", None, 1, body=koi8, content_type="application/rss+xml")
    latin1 = rss([(LATIN1_TITLE, f"{base}/latin1/1", "Le ministre a évoqué l'élargissement.")],
                 prolog='<?xml version="1.0" encoding="windows-1252"?>').encode("cp1252")
    feed("latin1-declared", "/enc/latin1.xml", None, 1, body=latin1, content_type="text/xml")

    # A feed that moved for good: followed, and the new address is stored.
    server.add("/moved/new.xml", body=rss([("Moved item", f"{base}/moved/1", "The feed moved.")]).encode(),
               content_type="application/rss+xml")
    feed("moved-301", "/moved/old.xml", None, 1, status=301, headers={"Location": "/moved/new.xml"})

    # Entries pointing at the cloud metadata address and at the victim on 127.0.0.1.
    ssrf = rss([("Metadata", METADATA_URL, "Short summary of a metadata item."),
                ("Victim", victim_url, "Short summary of a victim item.")])
    feed("ssrf-links", "/ssrf.xml", None, 2, body=ssrf.encode(), content_type="application/rss+xml")

    # Failures, each with the reason it must leave on its feed.
    feed("error-500", "/err/500.xml", "http-500", status=500, body=b"internal error")
    feed("busy-503", "/err/503.xml", "http-503", status=503, body=b"busy", headers={"Retry-After": "120"})
    feed("stall", "/err/stall.xml", "timeout", body=rss([]).encode(), delay=3.0)
    # One byte every 0.1 s: each byte would reset a read timeout; one deadline ends it.
    feed("drip-body", "/err/drip.xml", "timeout", body=nhs, drip=0.1, content_type="application/rss+xml")
    feed("drip-headers", "/err/drip-headers.xml", "timeout", body=nhs, drip=0.1, drip_headers=True,
         content_type="application/rss+xml")
    feed("too-large", "/err/huge.xml", "too-large", content_type="application/rss+xml",
         body=rss([("big", f"{base}/big", "x" * (cap + 1000))]).encode())
    feed("gzip-bomb", "/err/bomb.xml", "too-large", body=gzip_bomb(100 * cap), conditional=False,
         content_type="application/rss+xml", headers={"Content-Encoding": "gzip"})
    feed("malformed-xml", "/err/malformed.xml", "not-a-feed", content_type="application/rss+xml",
         body=b"<rss><channel><title>half</ti<<>&&&</rss")
    feed("html-page", "/err/page.html", "not-a-feed", content_type="text/html",
         body=b"<!doctype html><html><head><title>Welcome</title></head><body><p>No feed here.</p></body></html>")
    feed("image", "/err/logo.png", "wrong-content-type", content_type="image/png",
         body=b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    feed("redirect-loop", "/err/loop.xml", "too-many-redirects", status=302, headers={"Location": "/err/loop.xml"})
    feed("gone-410", "/err/gone.xml", "gone", status=410, body=b"gone")
    feed("empty-200", "/err/empty.xml", "empty-body", body=b"", content_type="application/rss+xml")
    feed("empty-204", "/err/empty204.xml", "empty-body", status=204, body=b"")
    feed("entity-blowup", "/err/blowup.xml", "xml-entities", body=quadratic_blowup(),
         content_type="application/rss+xml")
    truncated = rss([("Complete item", f"{base}/trunc/1", "This item is whole."),
                     ("Cut item", f"{base}/trunc/2", "This item is cut in the mid")]).encode()
    feed("truncated-xml", "/err/truncated.xml", None, 2, body=truncated[: truncated.index(b"cut in") + 6],
         content_type="application/rss+xml")
    cut = rss([("Cut before its link", f"{base}/trunc/3", "Never whole.")]).encode()
    feed("truncated-empty", "/err/truncated-empty.xml", "no-usable-entries", body=cut[: cut.index(b"before") + 6],
         content_type="application/rss+xml")
    return feeds
