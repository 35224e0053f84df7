"""The process-pool extractor: same text as in-process, errors keep their reason, breaks fall back."""

from __future__ import annotations

import dataclasses
import os
import signal

import pytest

from tests.conftest import FIXTURES
from tests.test_poll import WDR_SENTENCE, make_config, serve_nhs
from tracker.clock import FixedClock
from tracker.errors import ExtractError
from tracker.extract import InlineExtractor, PoolExtractor, default_workers, extract_html, make_extractor
from tracker.models import Page
from tracker.pipeline import run_cycle
from tracker.store import rows

HTML = FIXTURES / "html"
PAGES = sorted(HTML.glob("*.html"))


def page(path, url: str | None = None) -> Page:
    url = url or f"https://news.example/{path.stem}"
    return Page(url=url, requested_url=url, status=200, content=path.read_bytes())


def worker_pids(extractor: PoolExtractor) -> set[int]:
    return set(extractor._pool._processes) if extractor._pool else set()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_pool_extracts_the_same_text_as_in_process_in_other_processes():
    with make_extractor(2) as pooled:
        assert isinstance(pooled, PoolExtractor)
        results = [pooled(page(path)) for path in PAGES]
        pids = worker_pids(pooled)
    assert pids and os.getpid() not in pids
    assert results == [extract_html(path.read_bytes(), f"https://news.example/{path.stem}") for path in PAGES]
    assert pooled.broken is None
    assert not any(alive(pid) for pid in pids)  # close() waited for the workers to exit


def test_an_extract_error_in_a_worker_keeps_its_reason_and_message():
    stub = Page(url="https://n.example/a", requested_url="https://n.example/a", status=200,
                content=b"<html><body><article><p>Subscribe to read this article.</p></article></body></html>")
    with make_extractor(2) as pooled, pytest.raises(ExtractError) as info:
        pooled(stub)
    assert info.value.reason == "too-short"
    assert str(info.value) == ("https://n.example/a: extracted text is only 31 characters (minimum 200); "
                               "likely a paywall, cookie wall or index page")


def test_a_dead_worker_falls_back_to_this_process_and_says_why(caplog):
    with make_extractor(2) as pooled:
        first = pooled(page(PAGES[0]))
        for pid in worker_pids(pooled):
            os.kill(pid, signal.SIGKILL)
        again = pooled(page(PAGES[0]))
        assert again == first
        assert pooled.broken and "BrokenProcessPool" in pooled.broken
        assert "extracting in this process" in caplog.text
        assert pooled(page(PAGES[1])).text  # later pages too, without a pool


def test_one_worker_means_no_pool_and_the_default_follows_the_cores():
    assert type(make_extractor(1)) is InlineExtractor
    assert type(make_extractor(0)) is InlineExtractor
    default = make_extractor()
    assert default.workers == default_workers()
    assert isinstance(default, PoolExtractor) == (default_workers() > 1)
    default.close()


def stored_texts(db) -> dict[str, str]:
    return {r["url"]: r["text"] for r in rows(
        db, "SELECT a.url, v.text FROM versions v JOIN articles a ON a.id = v.article_id")}


def test_a_cycle_stores_the_same_versions_with_the_pool_as_without(server, tmp_path):
    from tracker.db import open_db

    serve_nhs(server)
    texts = {}
    for workers in (0, 2):
        (tmp_path / f"w{workers}").mkdir()
        config = make_config(tmp_path / f"w{workers}", server, {"nhs": "/feeds/nhs.xml"})
        db = open_db(tmp_path / f"w{workers}.db")
        try:
            stats = run_cycle(db, config, clock=FixedClock("2024-03-20T12:00:00+00:00"), extract_workers=workers)
            texts[workers] = stored_texts(db)
        finally:
            db.close()
        assert (stats.articles_new, stats.versions_new) == (2, 2)
    assert texts[0] == texts[2]
    assert WDR_SENTENCE in texts[2][server.url("/north-west/?p=6133")]


def test_entries_stored_without_fetching_are_not_scheduled_for_recheck(server, tmp_path, db):
    """[polling] fetch_articles = false: a re-check would fetch the page, so none is scheduled."""
    serve_nhs(server)
    config = make_config(tmp_path, server, {"nhs": "/feeds/nhs.xml"})
    config = dataclasses.replace(config, polling=dataclasses.replace(config.polling, fetch_articles=False))
    clock = FixedClock("2024-03-20T12:00:00+00:00")
    stats = run_cycle(db, config, clock=clock)
    assert (stats.articles_new, stats.versions_new) == (2, 2)
    stored = rows(db, "SELECT fetch_status, next_check_at FROM articles ORDER BY url")
    assert stored == [{"fetch_status": "fallback", "next_check_at": None}] * 2
    clock.advance(hours=2)
    run_cycle(db, config, clock=clock)
    assert server.hits("/north-west/?p=6133") == 0  # no article page was ever requested


def test_feeds_are_parsed_in_the_worker_processes_too():
    from tracker.feeds import parse_feed

    feed = (FIXTURES / "feeds" / "heise_developer_de_atom10.xml").read_bytes()
    expected = parse_feed(feed, url="https://heise.example/feed", feed_name="heise")
    with make_extractor(2) as pooled:
        assert pooled.run(os.getpid) != os.getpid()
        parsed = pooled.run(parse_feed, feed, url="https://heise.example/feed", feed_name="heise")
    assert parsed == expected and len(parsed.entries) == 15
