"""Synthetic sites built from real fixtures: many feeds of N entries, and article pages.

A feed is a real feed document (RSS 2.0, Atom, GB2312, a malformed one...)
whose item blocks are cycled to the wanted count, with each item's link and
guid/id rewritten to a unique local URL. Everything is a pure function of
(feed number, generation, base URL), so the server and the benchmark agree
on the content without sharing state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Pages and feeds the tests already ship are read from there, not copied twice.
TEST_FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
FEED_TEMPLATES = (
    "guardian_us_edition_rss20.xml",
    "heise_developer_de_atom10.xml",
    "reddit_front_rss20.xml",
    "qq_news_cn_gb2312_no_guid_rss20.xml",
    "google_ads_dev_blog_feedburner_atom10.xml",
    "nairaland_ng_atom10_raw_html_bozo.atom",
)
LINK, GUID = b"\x00LINK\x00", b"\x00GUID\x00"

_BLOCK = re.compile(rb"<(item|entry)(?:\s[^>]*)?>.*?</\1\s*>", re.S)
_RSS_LINK = re.compile(rb"(<link>)\s*[^<]*?\s*(</link>)")
_ATOM_LINK = re.compile(rb"(<link\b[^>]*?\bhref=\")[^\"]*(\")")
_GUID = re.compile(rb"(<guid\b[^>]*>)[^<]*(</guid>)")
_ID = re.compile(rb"(<id>)[^<]*(</id>)")


@dataclass(frozen=True)
class FeedTemplate:
    name: str
    head: bytes
    blocks: tuple[bytes, ...]  # item blocks with LINK / GUID placeholders
    tail: bytes

    @classmethod
    def load(cls, path: Path) -> "FeedTemplate":
        raw = path.read_bytes()
        found = list(_BLOCK.finditer(raw))
        if not found:
            raise ValueError(f"{path}: no <item> or <entry> blocks")
        blocks = []
        for match in found:
            block = match.group(0)
            block = _RSS_LINK.sub(rb"\1" + LINK + rb"\2", block)
            block = _ATOM_LINK.sub(rb"\1" + LINK + rb"\2", block)
            block = _GUID.sub(rb"\1" + GUID + rb"\2", block)
            block = _ID.sub(rb"\1" + GUID + rb"\2", block)
            if LINK not in block:
                raise ValueError(f"{path}: an item block has no link to rewrite")
            blocks.append(block)
        return cls(path.name, raw[:found[0].start()], tuple(blocks), raw[found[-1].end():])

    def render(self, links: list[str]) -> bytes:
        """The feed with one item per link (template items cycled), guid = link."""
        items = []
        for number, link in enumerate(links):
            url = link.encode("ascii")
            items.append(self.blocks[number % len(self.blocks)].replace(LINK, url).replace(GUID, url))
        return self.head + b"\n".join(items) + self.tail


def load_templates() -> list[FeedTemplate]:
    return [FeedTemplate.load(_fixture("feeds", name)) for name in FEED_TEMPLATES]


def _fixture(kind: str, name: str) -> Path:
    own = FIXTURES / kind / name
    return own if own.exists() else TEST_FIXTURES / kind / name


def html_pages() -> list[Path]:
    pages = {p.name: p for folder in (TEST_FIXTURES, FIXTURES) for p in (folder / "html").glob("*.html")}
    return [pages[name] for name in sorted(pages)]


@dataclass(frozen=True)
class FeedSite:
    """``feeds`` feeds of ``entries`` items; at generation g, feed i has taken
    ``bumps(i, g)`` updates of ``new_per_bump`` new items each (newest first).

    Feed i lives at /f/{i}.xml; its item k links to ``{base}{link_path}`` with
    ``{i}`` and ``{k}`` filled in: ``/a/{i}/{k}`` by default (never fetched), or
    ``/p/{i}/{k}`` for article pages (see ``page_index``).
    """

    base: str
    feeds: int
    entries: int
    new_per_bump: int = 2
    bump_every: int = 10
    link_path: str = "/a/{i}/{k}"

    def bumps(self, i: int, generation: int) -> int:
        # Feeds take turns: at each generation one in ``bump_every`` gets new items.
        return sum(1 for g in range(1, generation + 1) if g % self.bump_every == i % self.bump_every)

    def first_item(self, i: int, generation: int) -> int:
        return self.bumps(i, generation) * self.new_per_bump

    def links(self, i: int, generation: int = 0) -> list[str]:
        start = self.first_item(i, generation)
        ks = range(start + self.entries - 1, start - 1, -1)
        return [self.base + self.link_path.format(i=i, k=k) for k in ks]

    def etag(self, i: int, generation: int = 0) -> str:
        return f'"f{i}-{self.first_item(i, generation)}"'

    def feed_url(self, i: int) -> str:
        return f"{self.base}/f/{i}.xml"


def page_index(i: int, k: int, count: int) -> int:
    """Which fixture page /p/{i}/{k} serves: spread evenly over the fixtures."""
    return (31 * i + k) % count
