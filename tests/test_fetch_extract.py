"""Fetching article pages from a real local server and extracting their text."""

from __future__ import annotations

import ipaddress
import json

import pytest

from tests.conftest import FIXTURES
from tracker.clock import FixedClock
from tracker.config import FetchConfig
from tracker.errors import ExtractError, FetchError
from tracker.extract import extract_html, extract_page, fallback_from_entry, html_to_text
from tracker.fetch import fetch_page
from tracker.http import make_client
from tracker.models import Entry

HTML = FIXTURES / "html"
CLOCK = FixedClock("2024-03-20T12:00:00+00:00")
CONFIG = FetchConfig(timeout_s=5.0, allow_private_addresses=(ipaddress.ip_network("127.0.0.0/8"),))


def gold(stem: str) -> dict:
    return json.loads((HTML / f"{stem}.json").read_text(encoding="utf-8"))


def fetch(url: str):
    with make_client(CONFIG) as client:
        return fetch_page(client, url, CONFIG, clock=CLOCK)


def test_wdr_page_keeps_article_text_and_metadata_without_boilerplate():
    expected = gold("tf_wdr_correctiv_russia_de")
    result = extract_html((HTML / "tf_wdr_correctiv_russia_de.html").read_bytes(), expected["url"])
    for snippet in expected["with"]:
        assert snippet in result.text
    for snippet in expected["without"]:
        assert snippet not in result.text
    assert (result.title, result.date, result.source) == (expected["title"], expected["date"], "extracted")


def test_aljazeera_page_matches_the_gold_article_body():
    expected = gold("aeb_aljazeera_afghanistan_helicopter_en")
    result = extract_html((HTML / "aeb_aljazeera_afghanistan_helicopter_en.html").read_bytes(), expected["url"])
    paragraphs = [p for p in expected["articleBody"].split("\n") if p.strip()]
    found = [p for p in paragraphs if p.strip() in result.text]
    assert len(found) >= len(paragraphs) - 1


def test_too_short_and_empty_pages_say_why():
    stub = b"<html><body><article><p>Subscribe to read this article.</p></article></body></html>"
    with pytest.raises(ExtractError) as info:
        extract_html(stub, "https://n.example/a")
    assert info.value.reason == "too-short"
    assert str(info.value) == ("https://n.example/a: extracted text is only 31 characters (minimum 200); "
                               "likely a paywall, cookie wall or index page")
    with pytest.raises(ExtractError) as info:
        extract_html(b"<html><body></body></html>", "https://n.example/b")
    assert info.value.reason == "no-text"


def test_fetched_page_has_canonical_url_after_redirect_and_extracts(server):
    body = (HTML / "tf_wdr_correctiv_russia_de.html").read_bytes()
    server.add("/news/wdr", body=body)
    server.add("/r", status=301, headers={"Location": "/news/wdr?utm_source=rss&utm_campaign=x#top"})
    page = fetch(server.url("/r"))
    assert page.url == server.url("/news/wdr")
    assert page.requested_url == server.url("/r")
    assert (page.status, page.encoding, page.fetched_at) == (200, "utf-8", "2024-03-20T12:00:00+00:00")
    assert gold("tf_wdr_correctiv_russia_de")["with"][0] in extract_page(page).text


def test_fetch_errors_carry_their_reason(server):
    server.add("/img", body=b"\x89PNG", content_type="image/png")
    with pytest.raises(FetchError) as info:
        fetch(server.url("/missing"))
    assert info.value.reason == "http-404"
    assert str(info.value) == f"GET {server.url('/missing')}: HTTP 404"
    with pytest.raises(FetchError) as info:
        fetch(server.url("/img"))
    assert info.value.reason == "not-html"


def test_fallback_uses_the_feed_summary_and_records_why():
    entry = Entry(feed_name="f", url="https://n.example/a", guid=None, title="T", summary="Summary text.")
    fallback = fallback_from_entry(entry, "too-short: paywall")
    assert (fallback.text, fallback.source, fallback.note, fallback.title) == (
        "Summary text.", "feed-summary", "too-short: paywall", "T")
    with pytest.raises(ExtractError, match="the feed entry has no summary to fall back on"):
        fallback_from_entry(Entry(feed_name="f", url="https://n.example/b", guid=None), "http-404")


def test_html_to_text_keeps_blocks_as_lines():
    assert html_to_text("<p>One &amp; two.</p><p>Three<br>four</p><script>x()</script>") == "One & two.\nThree\nfour"
    assert html_to_text("plain &quot;text&quot;") == 'plain "text"'
