"""When the next poll may happen: never sooner than the feed asks, clamped to [min_interval, max_interval]."""

from __future__ import annotations

import dataclasses

import pytest

from tracker.clock import parse_utc
from tracker.config import PollingConfig
from tracker.feeds import (FeedPoll, ParsedFeed, freshness_seconds, health_changes, parse_feed,
                           publishing_interval_seconds)
from tracker.models import Entry

NOW = parse_utc("2024-03-20T12:00:00+00:00")
POLLING = PollingConfig(interval_s=1800, jitter_s=0)
ROW = {"url": "https://feeds.example/a.xml", "interval_s": 1800, "error_count": 0}
DATE = "Wed, 20 Mar 2024 12:00:00 GMT"


def delay_after(poll: FeedPoll, polling=POLLING, row=ROW) -> float:
    return (parse_utc(health_changes(row, poll, polling, NOW)["next_poll_at"]) - NOW).total_seconds()


def ok(**fields) -> FeedPoll:
    parsed = fields.pop("parsed", ParsedFeed(title="A", entries=()))
    return FeedPoll("a", ROW["url"], "ok", http_status=200, parsed=parsed, **fields)


@pytest.mark.parametrize("cache_control, expires, date, age, fresh", [
    ("max-age=7200", None, None, None, 7200),
    ("public, max-age=\"7200\"", None, None, None, 7200),
    ("max-age=7200", None, None, "600", 6600),
    (None, "Wed, 20 Mar 2024 15:00:00 GMT", DATE, None, 3 * 3600),
    ("max-age=60", "Wed, 20 Mar 2024 15:00:00 GMT", DATE, None, 60),  # max-age wins over Expires
    (None, "0", DATE, None, None),  # an invalid Expires means already expired
    ("no-cache, max-age=7200", None, None, None, None),
    (None, None, None, None, None),
])
def test_freshness_of_a_response(cache_control, expires, date, age, fresh):
    assert freshness_seconds(cache_control, expires, date, age, NOW) == fresh


def test_max_age_longer_than_the_interval_delays_the_next_poll():
    assert delay_after(ok(cache_control="max-age=7200")) == 7200
    assert delay_after(ok(cache_control="max-age=60")) == 1800  # shorter than the interval: interval


def test_a_304_carries_its_own_freshness():
    assert delay_after(FeedPoll("a", ROW["url"], "not-modified", http_status=304, cache_control="max-age=3600")) == 3600


def test_rss_ttl_and_syndication_period_are_honoured():
    ttl = parse_feed(b'<rss version="2.0"><channel><title>t</title><ttl>120</ttl><item><link>http://e.example/1</link>'
                     b"</item></channel></rss>", url="http://e.example/f", feed_name="f")
    assert ttl.ttl_s == 7200
    assert delay_after(ok(parsed=ttl)) == 7200
    sy = parse_feed(b'<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>'
                    b"<title>t</title><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4"
                    b"</sy:updateFrequency><item><link>http://e.example/1</link></item></channel></rss>",
                    url="http://e.example/f", feed_name="f")
    assert sy.ttl_s == 6 * 3600


def test_the_delay_is_clamped_to_min_and_max_interval():
    assert delay_after(ok(cache_control="max-age=604800")) == 86400  # a week asked: polled daily
    fast = dataclasses.replace(POLLING, min_interval_s=300)
    assert delay_after(ok(), fast, {**ROW, "interval_s": 10}) == 300  # below the floor: the floor
    tests = dataclasses.replace(POLLING, min_interval_s=1)
    assert delay_after(ok(), tests, {**ROW, "interval_s": 1}) == 1


def test_retry_after_beats_back_off_but_not_the_max_interval():
    busy = FeedPoll("a", ROW["url"], "failed", http_status=503, reason="http-503", message="busy", retry_after="172800")
    assert delay_after(busy) == 86400


def entries(*published: str) -> tuple[Entry, ...]:
    return tuple(Entry(feed_name="a", url=f"https://e.example/{n}", guid=None, title=None, author=None,
                       published_at=p, summary=None) for n, p in enumerate(published))


def test_publishing_rate_is_the_median_gap_of_the_newest_entries():
    hourly = entries("2024-03-20T11:00:00+00:00", "2024-03-20T10:00:00+00:00", "2024-03-20T09:00:00+00:00",
                     "2024-03-19T09:00:00+00:00")
    assert publishing_interval_seconds(hourly) == 3600
    assert publishing_interval_seconds(entries("2024-03-20T11:00:00+00:00", None)) is None


def test_adapting_to_the_publishing_rate_is_opt_in():
    weekly = entries(*(f"2024-03-{day:02d}T09:00:00+00:00" for day in (20, 13, 6, 1)))
    poll = ok(parsed=ParsedFeed(title="A", entries=weekly))
    assert delay_after(poll) == 1800
    adaptive = dataclasses.replace(POLLING, adapt_to_publishing=True)
    assert delay_after(poll, adaptive) == 86400  # a week between posts, clamped to a day
