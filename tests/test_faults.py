"""Fault injection: one cycle over a hostile host serving healthy feeds among broken and malicious ones.

The hostile host listens on 127.0.0.2 and is the only private address the
config allows; a victim server on 127.0.0.1 must never be reached, nor the
cloud metadata address 169.254.169.254.
"""

from __future__ import annotations

import dataclasses
import time
import tracemalloc

import pytest

from tests.conftest import write_config
from tests.hostile_server import (KOI8_TITLE, LATIN1_TITLE, METADATA_URL, HostileServer, billion_laughs,
                                  quadratic_blowup, serve_hostile)
from tracker.clock import FixedClock, parse_utc
from tracker.config import load_config
from tracker.errors import FeedError
from tracker.feeds import check_entity_expansion, parse_feed
from tracker.pipeline import run_cycle
from tracker.store import rows

START = "2024-03-20T12:00:00+00:00"
CAP = 1_000_000
TIMEOUT_S = 0.5
EXTRACT_TIMEOUT_S = 2
CYCLE_BOUND_S = 20  # generous: the stall alone is 3 s, a timeout 0.5 s, the huge page's extraction 2 s
MEMORY_BOUND = 60_000_000  # measured ~30 MB; unguarded, the gzip bomb alone inflates to 100 MB (100 x the cap)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    """Run one cycle over every hostile feed; keep what the database and the servers saw."""
    from tests.localserver import LocalServer

    tmp_path = tmp_path_factory.mktemp("faults")
    with HostileServer() as hostile, LocalServer() as victim:
        victim.add("/secret", body=b"<html><body>internal admin page</body></html>")
        feeds = serve_hostile(hostile, victim.url("/secret"), cap=CAP)
        body = (f'[storage]\ndb = "{tmp_path / "t.db"}"\n\n[fetch]\nallow_private_addresses = ["127.0.0.2/32"]\n'
                f"max_body_bytes = {CAP}\nmax_redirects = 3\n\n[polling]\njitter = 0\n\n")
        for feed in feeds:
            body += f'[[feed]]\nname = "{feed.name}"\nurl = "{hostile.url(feed.path)}"\n\n'
        config = load_config(write_config(tmp_path, body))
        config = dataclasses.replace(config, fetch=dataclasses.replace(config.fetch, timeout_s=TIMEOUT_S),
                                     polling=dataclasses.replace(config.polling, extract_timeout_s=EXTRACT_TIMEOUT_S))
        from tracker.db import open_db

        db = open_db(config.db)
        tracemalloc.start()
        started = time.monotonic()
        stats = run_cycle(db, config, clock=FixedClock(START))
        elapsed = time.monotonic() - started
        print(f"hostile cycle: {len(feeds)} feeds in {elapsed:.1f}s")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result = {
            "feeds": feeds, "stats": stats, "elapsed": elapsed, "peak": peak, "hostile": hostile.url(""),
            "victim_hits": len(victim.requests),
            "rows": {r["name"]: r for r in rows(db, "SELECT * FROM feeds")},
            "articles": rows(db, "SELECT a.*, f.name AS feed FROM articles a JOIN feeds f ON f.id = a.feed_id"),
            "run": rows(db, "SELECT * FROM runs")[0],
        }
        db.close()
    return result


def test_the_cycle_completes_within_a_bound_with_memory_bounded(outcome):
    assert outcome["elapsed"] < CYCLE_BOUND_S
    assert outcome["peak"] < MEMORY_BOUND, f"peak {outcome['peak'] / 1e6:.1f} MB"
    assert outcome["run"]["finished_at"] is not None


def test_every_failure_is_recorded_with_its_reason_on_its_feed(outcome):
    found = {name: row["last_error_reason"] for name, row in outcome["rows"].items()}
    expected = {feed.name: feed.reason for feed in outcome["feeds"]}
    assert found == expected
    for feed in outcome["feeds"]:
        row = outcome["rows"][feed.name]
        if feed.reason:
            assert row["error_count"] == 1 and feed.name in row["last_error"], row
    assert outcome["stats"].feeds_failed == sum(1 for f in outcome["feeds"] if f.reason)


def test_healthy_feeds_articles_are_all_recorded(outcome):
    per_feed: dict[str, int] = {}
    for article in outcome["articles"]:
        per_feed[article["feed"]] = per_feed.get(article["feed"], 0) + 1
    assert per_feed == {feed.name: feed.entries for feed in outcome["feeds"] if feed.entries}


def test_failure_messages_say_what_happened(outcome):
    rows_ = outcome["rows"]
    assert "timed out after 0.5s" in rows_["stall"]["last_error"]
    assert "max_body_bytes = 1000000" in rows_["gzip-bomb"]["last_error"]
    assert "decoded body is larger" in rows_["gzip-bomb"]["last_error"]
    assert "more than 3 redirects" in rows_["redirect-loop"]["last_error"]
    assert "image/png, not a feed" in rows_["image"]["last_error"]
    assert "entity 'a'" in rows_["entity-blowup"]["last_error"]
    assert rows_["gone-410"]["muted"] == 1 and rows_["gone-410"]["next_poll_at"] is None


def test_retry_after_sets_the_next_poll_and_errors_back_off(outcome):
    rows_ = outcome["rows"]
    start = parse_utc(START)
    assert (parse_utc(rows_["busy-503"]["next_poll_at"]) - start).total_seconds() == 120
    assert (parse_utc(rows_["error-500"]["next_poll_at"]) - start).total_seconds() == 2 * 1800


def test_a_permanent_redirect_moves_the_feed(outcome):
    assert outcome["rows"]["moved-301"]["url"] == outcome["hostile"] + "/moved/new.xml"


def test_non_utf8_feeds_are_decoded(outcome):
    titles = {a["feed"]: a["title"] for a in outcome["articles"]}
    assert titles["koi8r-undeclared"] == KOI8_TITLE
    assert titles["latin1-declared"] == LATIN1_TITLE


def test_links_to_private_addresses_are_never_fetched(outcome):
    assert outcome["victim_hits"] == 0
    ssrf = {a["url"]: a for a in outcome["articles"] if a["feed"] == "ssrf-links"}
    metadata = ssrf[METADATA_URL]
    assert metadata["fetch_status"] == "fallback"
    assert "blocked-address" in metadata["fetch_error"] and "169.254.169.254, a link-local address" in metadata["fetch_error"]
    victim = next(a for url, a in ssrf.items() if url != METADATA_URL)
    assert "127.0.0.1, a loopback address" in victim["fetch_error"]


def test_a_huge_flat_page_is_cut_by_the_extraction_time_limit_and_kept_with_the_reason(outcome):
    [huge] = [a for a in outcome["articles"] if a["feed"] == "huge-page"]
    assert huge["fetch_status"] == "fallback"
    assert huge["fetch_error"].startswith("extract-timeout: ") and "longer than 2s" in huge["fetch_error"]


def test_a_truncated_feed_keeps_its_whole_entries_and_says_it_is_malformed(outcome):
    row = outcome["rows"]["truncated-xml"]
    assert row["bozo_warning"] and "SAXParseException" in row["bozo_warning"]


# -- entity expansion, measured directly --------------------------------------

def test_billion_laughs_is_harmless_because_feedparser_drops_nested_entities():
    tracemalloc.start()
    parsed = parse_feed(billion_laughs(), url="http://feeds.example/laughs.xml", feed_name="laughs")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000
    assert all("lollol" not in (e.title or "") for e in parsed.entries)


def test_a_flat_entity_blowup_is_refused_before_parsing():
    tracemalloc.start()
    with pytest.raises(FeedError) as caught:
        parse_feed(quadratic_blowup(), url="http://feeds.example/q.xml", feed_name="q")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert caught.value.reason == "xml-entities"
    assert peak < 1_000_000
    assert caught.value.message == (
        "feed 'q' (http://feeds.example/q.xml): its XML entity declarations would expand to more than "
        "1000000 bytes (entity 'a'); refused to protect memory; ask the publisher for a feed without a DOCTYPE")


def test_small_entities_and_utf16_documents_are_handled():
    small = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY nbsp "&#160;">\n]>\n<rss version="2.0"><channel>'
             b"<title>t</title><item><title>a&nbsp;b</title><link>http://e.example/1</link></item></channel></rss>")
    assert parse_feed(small, url="http://e.example/f", feed_name="f").entries[0].title == "a\xa0b"
    utf16 = quadratic_blowup(1000, 2000).decode("utf-8").encode("utf-16")
    with pytest.raises(FeedError, match="would expand"):
        check_entity_expansion(utf16, url="u", feed_name="f")

