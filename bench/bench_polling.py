"""Polling: 1,000 feeds x 20 entries served on 127.0.0.1, first cycle and a 304 re-poll.

References measured in the same run: the same GETs (full and conditional)
from one bare httpx client at the same concurrency, and bare feedparser on
the same feed bodies. Writes bench/results/polling.json.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (START, SiteServer, bare_gets, db_size_bytes, measure, peak_rss_mb,  # noqa: E402
                    print_table, verdict, write_config, write_result)

import feedparser  # noqa: E402

from tracker.clock import FixedClock  # noqa: E402
from tracker.db import open_db  # noqa: E402
from tracker.feeds import parse_feed  # noqa: E402
from tracker.pipeline import run_cycle  # noqa: E402

FEEDS = 1000
ENTRIES = 20
WORKERS = 4  # [polling] workers default
REPOLL_TARGET_S = 5.0
MEMORY_TARGET_MB = 300


def compare_servers() -> list[dict]:
    """The same bare GETs against each server kind: is the server the bottleneck?"""
    out = []
    for mode, procs in (("asyncio", 1), ("asyncio", 2), ("threaded", 1)):
        with SiteServer(feeds=FEEDS, entries=ENTRIES, procs=procs, mode=mode) as server:
            urls = [server.url(f"/f/{i}.xml") for i in range(FEEDS)]
            full = measure(server)
            with full.run():
                responses = bare_gets(urls, workers=WORKERS)
            etags = {str(r.url): r.headers["etag"] for r in responses}
            cond = measure(server)
            with cond.run():
                again = bare_gets(urls, workers=WORKERS, headers=lambda url: {"If-None-Match": etags[url]})
            assert {r.status_code for r in responses} == {200} and {r.status_code for r in again} == {304}
            out.append({"server": server.label, "full_get": full.figures(FEEDS), "conditional_304": cond.figures(FEEDS)})
    return out


def tracker_cycles(server: SiteServer, tmp: Path) -> dict:
    urls = [server.url(f"/f/{i}.xml") for i in range(FEEDS)]
    config = write_config(tmp, urls, fetch_articles=False, workers=WORKERS)
    db = open_db(config.db)
    clock = FixedClock(START)
    try:
        first = measure(server)
        with first.run():
            stats1 = run_cycle(db, config, clock=clock)
        rss_after_first = peak_rss_mb()
        first.extra.update(feeds_polled=stats1.feeds_polled, feeds_failed=stats1.feeds_failed,
                           articles_new=stats1.articles_new, articles_failed=stats1.articles_failed,
                           versions_new=stats1.versions_new, claims_new=stats1.claims_new,
                           entries_per_s=round(stats1.articles_new / first.wall_s, 1),
                           peak_rss_mb=rss_after_first)
        repolls = []
        for workers in (WORKERS, 8, 16):
            clock.advance(minutes=31)
            cfg = dataclasses.replace(config, polling=dataclasses.replace(config.polling, workers=workers))
            second = measure(server)
            with second.run():
                stats2 = run_cycle(db, cfg, clock=clock)
            second.extra.update(workers=workers, feeds_polled=stats2.feeds_polled,
                                feeds_not_modified=stats2.feeds_not_modified, articles_new=stats2.articles_new)
            repolls.append(second.figures(FEEDS))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = db_size_bytes(config.db)
        articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    finally:
        db.close()
    return {"first_cycle": first.figures(FEEDS), "repoll": repolls,
            "db_bytes": size, "articles": articles,
            "db_mb_per_1000_articles": round(size / articles * 1000 / 2**20, 2) if articles else None}


def references(server: SiteServer, workers_list=(WORKERS, 8, 16)) -> dict:
    urls = [server.url(f"/f/{i}.xml") for i in range(FEEDS)]
    full = measure(server)
    with full.run():
        responses = bare_gets(urls, workers=WORKERS)
    etags = {str(r.url): r.headers["etag"] for r in responses}
    conditional = {}
    for workers in workers_list:
        cond = measure(server)
        with cond.run():
            bare_gets(urls, workers=workers, headers=lambda url: {"If-None-Match": etags[url]})
        conditional[workers] = cond.figures(FEEDS)
    bodies = [(str(r.url), r.content, r.headers.get("content-type")) for r in responses]
    started = time.perf_counter()
    for url, body, kind in bodies:
        # The headers tracker passes too: the base URL makes feedparser resolve
        # relative links inside every summary, a third of its time.
        feedparser.parse(body, response_headers={"content-location": url, "content-type": kind or ""})
    bare_parse_s = time.perf_counter() - started
    started = time.perf_counter()
    for url, body, kind in bodies:
        feedparser.parse(body, response_headers={"content-location": url, "content-type": kind or ""},
                         resolve_relative_uris=False, sanitize_html=False)
    lean_parse_s = time.perf_counter() - started
    started = time.perf_counter()
    for number, (url, body, kind) in enumerate(bodies):
        parse_feed(body, url=url, feed_name=f"feed-{number}", content_type=kind)
    tracker_parse_s = time.perf_counter() - started
    return {"bare_full_get": full.figures(FEEDS), "bare_conditional": conditional,
            "feedparser_parse_s": round(bare_parse_s, 3), "tracker_parse_feed_s": round(tracker_parse_s, 3),
            "feedparser_parse_no_uri_resolution_no_sanitizer_s": round(lean_parse_s, 3),
            "feed_bytes_total": sum(len(b) for _, b, _ in bodies)}


def main() -> dict:
    servers = compare_servers()
    print_table(f"Local servers: bare httpx client, {FEEDS} feeds, {WORKERS} threads",
                ["server", "full GET s", "req/s", "server busy", "304 s", "req/s", "server busy"],
                [[s["server"], s["full_get"]["wall_s"], s["full_get"]["requests_per_s"], s["full_get"]["server_busy"],
                  s["conditional_304"]["wall_s"], s["conditional_304"]["requests_per_s"],
                  s["conditional_304"]["server_busy"]] for s in servers])
    with SiteServer(feeds=FEEDS, entries=ENTRIES) as server, tempfile.TemporaryDirectory() as tmp:
        cycles = tracker_cycles(server, Path(tmp))
        refs = references(server)
    first, repoll = cycles["first_cycle"], cycles["repoll"][0]
    bare304 = refs["bare_conditional"][WORKERS]
    result = {
        "feeds": FEEDS, "entries_per_feed": ENTRIES, "workers": WORKERS, "server": "asyncio x1",
        "servers": servers, **cycles, "references": refs,
        "ratios": {
            "repoll_vs_bare_304": round(repoll["wall_s"] / bare304["wall_s"], 2),
            "first_cycle_vs_bare_get": round(first["wall_s"] / refs["bare_full_get"]["wall_s"], 1),
            "first_cycle_vs_bare_get_plus_feedparser": round(
                first["wall_s"] / (refs["bare_full_get"]["wall_s"] + refs["feedparser_parse_s"]), 2),
        },
        "targets": {
            "repoll_1000_unchanged_under_5s": {"value_s": repoll["wall_s"], "met": repoll["wall_s"] < REPOLL_TARGET_S},
            "first_cycle_bound_by_server": {"server_busy": first["server_busy"], "tracker_cores_busy": first["cores_busy"],
                                            "met": (first["server_busy"] or 0) > 0.8},
            "peak_memory_1000_feed_cycle_under_300mb": {"value_mb": first["peak_rss_mb"],
                                                        "met": first["peak_rss_mb"] < MEMORY_TARGET_MB},
        },
    }
    rows = [
        ["first cycle (tracker, fetch_articles=false)", first["wall_s"], first["requests_per_s"], first["cores_busy"],
         first["server_busy"], f"{first['articles_new']} articles, {first['entries_per_s']}/s"],
        ["  ref: bare httpx full GETs", refs["bare_full_get"]["wall_s"], refs["bare_full_get"]["requests_per_s"],
         refs["bare_full_get"]["cores_busy"], refs["bare_full_get"]["server_busy"], ""],
        ["  ref: bare feedparser.parse, 1 thread", refs["feedparser_parse_s"], None, None, None,
         f"tracker parse_feed {refs['tracker_parse_feed_s']} s"],
        ["  ref: feedparser, no URI resolution/sanitizer", refs["feedparser_parse_no_uri_resolution_no_sanitizer_s"],
         None, None, None, "what parse_feed could cost"],
    ]
    for figures in cycles["repoll"]:
        ref = refs["bare_conditional"][figures["workers"]]
        rows.append([f"re-poll, all 304 (tracker, {figures['workers']} workers)", figures["wall_s"],
                     figures["requests_per_s"], figures["cores_busy"], figures["server_busy"],
                     f"{figures['feeds_not_modified']} not modified"])
        rows.append([f"  ref: bare httpx conditional GETs, {figures['workers']} threads", ref["wall_s"],
                     ref["requests_per_s"], ref["cores_busy"], ref["server_busy"],
                     f"ratio {figures['wall_s'] / ref['wall_s']:.2f}x"])
    print_table(f"Polling {FEEDS} feeds x {ENTRIES} entries (asyncio server x1)",
                ["run", "wall s", "req/s", "tracker cores", "server busy", "note"], rows)
    t = result["targets"]
    print(f"re-poll of {FEEDS} unchanged feeds: {repoll['wall_s']} s (target < {REPOLL_TARGET_S} s: "
          f"{verdict(t['repoll_1000_unchanged_under_5s']['met'])}); peak RSS {first['peak_rss_mb']} MB "
          f"(target < {MEMORY_TARGET_MB} MB: {verdict(t['peak_memory_1000_feed_cycle_under_300mb']['met'])}); "
          f"first cycle server-bound: {verdict(t['first_cycle_bound_by_server']['met'])}; "
          f"db {cycles['db_mb_per_1000_articles']} MB per 1,000 summary-only articles")
    path = write_result("polling", result)
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
