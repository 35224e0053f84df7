"""Feed parsing on real feed files, canonical URLs, and feed health arithmetic."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FIXTURES
from tracker.clock import parse_utc
from tracker.config import PollingConfig
from tracker.errors import FeedError
from tracker.feeds import FeedPoll, ParsedFeed, canonical_url, health_changes, parse_feed

FEEDS = FIXTURES / "feeds"
NOW = parse_utc("2024-03-20T12:00:00+00:00")
POLLING = PollingConfig(interval_s=1800, max_backoff_s=6 * 3600, jitter_s=0)


def parse(name: str, content_type: str | None = None):
    return parse_feed((FEEDS / name).read_bytes(), url="https://feeds.example/" + name, feed_name="f",
                      content_type=content_type)


@pytest.mark.parametrize("raw, canonical", [
    ("https://Example.ORG:443/a/b?utm_source=rss&utm_medium=feed&id=7#comments", "https://example.org/a/b?id=7"),
    ("http://www.heise.de/x-3088438.html?wt_mc=rss.developer.beitrag.atom", "http://www.heise.de/x-3088438.html"),
    ("https://n.example/story?fbclid=abc&page=2&gclid=z", "https://n.example/story?page=2"),
    ("  https://n.example  ", "https://n.example/"),
    ("http://n.example:8080/p?b=2&a=1", "http://n.example:8080/p?b=2&a=1"),
])
def test_canonical_url(raw, canonical):
    assert canonical_url(raw) == canonical


def test_clean_feed_gives_entries_with_guid_date_and_summary():
    feed = parse("nhs_north_west_minimal_rss20.xml", "application/rss+xml")
    assert feed.title == "NHS North West News Feed"
    assert feed.bozo_warning is None
    first = feed.entries[0]
    assert first.url == "https://www.england.nhs.uk/north-west/?p=6133"
    assert first.guid == "https://www.england.nhs.uk/north-west/?p=6133"
    assert first.published_at == "2024-03-18T10:00:00+00:00"
    assert first.summary == "Sample description"
    assert [e.title for e in feed.entries] == [
        "As measles cases continue to rise, NHS North West invites thousands of school children "
        "to catch up with life-saving MMR", "Second item title"]


def test_tracking_parameters_are_stripped_from_entry_links():
    feed = parse("heise_developer_de_atom10.xml", "application/atom+xml")
    assert len(feed.entries) == 15
    assert not [e.url for e in feed.entries if "wt_mc" in e.url]
    assert feed.entries[0].url == ("http://www.heise.de/developer/meldung/"
                                   "Java-Anwendungsserver-Red-Hat-gibt-WildFly-10-frei-3088438.html")
    assert feed.entries[0].guid == "http://heise.de/-3088438"


def test_bozo_feed_with_entries_is_used_and_warning_kept():
    feed = parse("nairaland_ng_atom10_raw_html_bozo.atom", "application/atom+xml")
    assert len(feed.entries) == 12
    assert "mismatched tag" in feed.bozo_warning
    assert all(e.url.startswith("http://www.nairaland.com/") for e in feed.entries)


def test_html_page_is_not_a_feed():
    with pytest.raises(FeedError) as info:
        parse("not_a_feed_marketwatch_document_moved.rss", "text/html")
    assert info.value.reason == "not-a-feed"
    assert str(info.value).startswith(
        "feed 'f' (https://feeds.example/not_a_feed_marketwatch_document_moved.rss): "
        "the text/html document is not a feed and has no entries")


def test_undeclared_koi8r_is_decoded_to_cyrillic():
    feed = parse("koi8r_ru_undeclared_encoding.xml", "application/xml")
    assert feed.encoding.lower() == "koi8-r"
    # The item has no link, so it is reported as skipped, with its decoded title.
    assert feed.entries == ()
    assert feed.skipped == ("Как пережить новогоднюю ночь: no link",)


def test_duplicate_guid_and_duplicate_link_are_deduplicated():
    feed = parse("taverncast_duplicate_guid_leading_ws_bozo.rss", "application/rss+xml")
    urls = [e.url for e in feed.entries]
    guids = [e.guid for e in feed.entries]
    assert len(set(urls)) == len(urls) and len(set(guids)) == len(guids)
    # A podcast: most episodes link to the home page, which can be one article only.
    assert len(feed.entries) + len(feed.skipped) == 131
    same_guid = [s for s in feed.skipped if "same guid" in s]
    assert same_guid == [s for s in feed.skipped if "(http://taverncast.com/shows/geekistry-2.mp3)" in s]
    assert len(same_guid) == 1


ROW = {"url": "https://feeds.example/a.xml", "interval_s": 1800, "error_count": 0}


def failed(reason="http-500", retry_after=None, status=500):
    return FeedPoll("a", ROW["url"], "failed", http_status=status, reason=reason, message=f"feed 'a': {reason}",
                    retry_after=retry_after)


def test_failures_back_off_exponentially_up_to_the_cap():
    delays = []
    row = dict(ROW)
    for _ in range(6):
        changes = health_changes(row, failed(), POLLING, NOW)
        row.update(changes)
        delays.append(parse_utc(changes["next_poll_at"]) - NOW)
    assert delays == [timedelta(seconds=s) for s in (3600, 7200, 14400, 21600, 21600, 21600)]
    assert row["error_count"] == 6
    assert row["last_error_reason"] == "http-500"


def test_success_resets_errors_and_stores_validators():
    poll = FeedPoll("a", ROW["url"], "ok", http_status=200, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
                    parsed=ParsedFeed(title="A", entries=(), bozo_warning="SAXParseException: junk"))
    changes = health_changes({**ROW, "error_count": 3}, poll, POLLING, NOW)
    assert changes["error_count"] == 0 and changes["last_error"] is None
    assert changes["etag"] == '"v1"'
    assert changes["bozo_warning"] == "SAXParseException: junk"
    assert changes["next_poll_at"] == "2024-03-20T12:30:00+00:00"


def test_retry_after_is_honoured():
    seconds = health_changes(ROW, failed("http-429", "120", 429), POLLING, NOW)
    assert seconds["next_poll_at"] == "2024-03-20T12:02:00+00:00"
    dated = health_changes(ROW, failed("http-503", "Wed, 20 Mar 2024 15:00:00 GMT", 503), POLLING, NOW)
    assert dated["next_poll_at"] == "2024-03-20T15:00:00+00:00"


def test_gone_mutes_and_permanent_redirect_moves():
    gone = FeedPoll("a", ROW["url"], "gone", http_status=410, reason="gone", message="feed 'a' answered 410 Gone")
    changes = health_changes(ROW, gone, POLLING, NOW)
    assert (changes["muted"], changes["next_poll_at"], changes["last_error_reason"]) == (1, None, "gone")
    moved = FeedPoll("a", ROW["url"], "not-modified", http_status=304, new_url="https://feeds.example/b.xml")
    assert health_changes(ROW, moved, POLLING, NOW)["url"] == "https://feeds.example/b.xml"
