"""Scale: time and peak memory from 100 to 1,000 to 10,000 entries and feeds; 10 cycles in a row.

Each point runs in a fresh subprocess so its peak resident memory
(ru_maxrss) is its own:

* first cycle of 100 / 1,000 / 10,000 entries (5 / 50 / 500 feeds x 20,
  article fetching off): every entry is parsed, stored and analysed;
* re-poll of 100 / 1,000 / 10,000 unchanged feeds (validators seeded as a
  first cycle would leave them; all answer 304);
* 10 consecutive cycles over 200 feeds where 20 feeds gain 2 entries each
  cycle: resident memory, live objects and allocator blocks after every
  cycle (no growth).

Writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (START, SiteServer, current_rss_mb, db_size_bytes, measure, peak_rss_mb,  # noqa: E402
                    print_table, verdict, write_config, write_result)
from sitegen import FeedSite  # noqa: E402

from tracker import store  # noqa: E402
from tracker.clock import FixedClock  # noqa: E402
from tracker.db import open_db  # noqa: E402
from tracker.pipeline import run_cycle  # noqa: E402

ENTRIES = 20
ENTRY_POINTS = (100, 1_000, 10_000)
FEED_POINTS = (100, 1_000, 10_000)
CYCLE_FEEDS = 200
CYCLES = 10
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
# "No growth": what 10 cycles may add once warm (allocator noise, not a leak of
# 40 articles a cycle, which would be thousands of objects and megabytes).
GROWTH_LIMIT_MB = 5.0
GROWTH_LIMIT_OBJECTS = 2_000


def point_entries(total: int) -> dict:
    feeds = total // ENTRIES
    with SiteServer(feeds=feeds, entries=ENTRIES) as server, tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), [server.url(f"/f/{i}.xml") for i in range(feeds)], fetch_articles=False)
        db = open_db(config.db)
        baseline = current_rss_mb()
        m = measure(server)
        with m.run():
            stats = run_cycle(db, config, clock=FixedClock(START))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = db_size_bytes(config.db)
        db.close()
    return {"entries": total, "feeds": feeds, "wall_s": round(m.wall_s, 3), "cores_busy": round(m.cpu_s / m.wall_s, 2),
            "ms_per_entry": round(m.wall_s / total * 1000, 3), "articles_new": stats.articles_new,
            "articles_failed": stats.articles_failed, "rss_before_mb": baseline, "peak_rss_mb": peak_rss_mb(),
            "db_bytes": size}


def point_repoll(feeds: int) -> dict:
    with SiteServer(feeds=feeds, entries=ENTRIES) as server, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        config = write_config(Path(tmp), [server.url(f"/f/{i}.xml") for i in range(feeds)], fetch_articles=False)
        config_s = time.perf_counter() - started
        db = open_db(config.db)
        clock = FixedClock(START)
        store.sync_feeds(db, config, clock.now())
        site = FeedSite(server.base, feeds, ENTRIES)
        with db.conn:
            db.conn.executemany("UPDATE feeds SET etag = ?, last_modified = ? WHERE name = ?",
                                [(site.etag(i), LAST_MODIFIED, f"feed-{i:05d}") for i in range(feeds)])
        baseline = current_rss_mb()
        m = measure(server)
        with m.run():
            stats = run_cycle(db, config, clock=clock)
        db.close()
    assert stats.feeds_not_modified == feeds, stats
    return {"feeds": feeds, "wall_s": round(m.wall_s, 3), "ms_per_feed": round(m.wall_s / feeds * 1000, 3),
            "requests_per_s": round(feeds / m.wall_s, 1), "cores_busy": round(m.cpu_s / m.wall_s, 2),
            "server_busy": round(m.server_cpu_s / m.wall_s, 2), "config_load_s": round(config_s, 3),
            "not_modified": stats.feeds_not_modified, "rss_before_mb": baseline, "peak_rss_mb": peak_rss_mb()}


def point_cycles(feeds: int, cycles: int) -> dict:
    rows = []
    with SiteServer(feeds=feeds, entries=ENTRIES) as server, tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), [server.url(f"/f/{i}.xml") for i in range(feeds)], fetch_articles=False)
        db = open_db(config.db)
        clock = FixedClock(START)
        first = run_cycle(db, config, clock=clock)
        for number in range(1, cycles + 1):
            server.set_generation(number)
            clock.advance(minutes=31)
            started = time.perf_counter()
            stats = run_cycle(db, config, clock=clock)
            wall = time.perf_counter() - started
            gc.collect()
            # Live Python objects and allocator blocks: what a leak would grow.
            # (tracemalloc would say the same but made each cycle 7x slower.)
            rows.append({"cycle": number, "wall_s": round(wall, 3), "articles_new": stats.articles_new,
                         "not_modified": stats.feeds_not_modified, "rss_mb": current_rss_mb(),
                         "python_objects": len(gc.get_objects()), "allocated_blocks": sys.getallocatedblocks()})
        db.close()
    # Cycle 1 warms caches (SQLite pages, regexes); growth is measured after it.
    return {"feeds": feeds, "entries_first_cycle": first.articles_new, "cycles": rows, "peak_rss_mb": peak_rss_mb(),
            "growth_cycle2_to_last_rss_mb": round(rows[-1]["rss_mb"] - rows[1]["rss_mb"], 2),
            "growth_cycle2_to_last_objects": rows[-1]["python_objects"] - rows[1]["python_objects"],
            "growth_cycle2_to_last_blocks": rows[-1]["allocated_blocks"] - rows[1]["allocated_blocks"]}


def run_point(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"bench_scale {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def linear(points: list[dict], per: str) -> float:
    """Cost per unit at the largest point over the smallest: about 1 when the cost is linear."""
    return round(points[-1][per] / points[0][per], 2)


def main() -> dict:
    entries = [run_point("--entries", str(n)) for n in ENTRY_POINTS]
    repoll = [run_point("--repoll", str(n)) for n in FEED_POINTS]
    cycles = run_point("--cycles", str(CYCLE_FEEDS), str(CYCLES))
    articles = entries[-1]["articles_new"] + entries[-1]["articles_failed"]
    result = {
        "first_cycle_by_entries": entries,
        "repoll_by_feeds": repoll,
        "consecutive_cycles": cycles,
        "linearity": {"first_cycle_cost_per_entry_10000_vs_100": linear(entries, "ms_per_entry"),
                      "repoll_cost_per_feed_10000_vs_100": linear(repoll, "ms_per_feed")},
        "db_mb_per_1000_summary_articles": round(entries[-1]["db_bytes"] / articles * 1000 / 2**20, 2),
        "targets": {"no_memory_growth_over_10_cycles": {
            "rss_growth_mb": cycles["growth_cycle2_to_last_rss_mb"],
            "object_growth": cycles["growth_cycle2_to_last_objects"],
            "met": cycles["growth_cycle2_to_last_rss_mb"] < GROWTH_LIMIT_MB
            and cycles["growth_cycle2_to_last_objects"] < GROWTH_LIMIT_OBJECTS}},
    }
    print_table("Scale: first cycle by entries (fetch_articles=false), one subprocess per point",
                ["entries", "feeds", "wall s", "ms/entry", "RSS before MB", "peak RSS MB", "db MB"],
                [[p["entries"], p["feeds"], p["wall_s"], p["ms_per_entry"], p["rss_before_mb"], p["peak_rss_mb"],
                  round(p["db_bytes"] / 2**20, 1)] for p in entries])
    print_table("Scale: re-poll of unchanged feeds (all 304)",
                ["feeds", "wall s", "ms/feed", "req/s", "tracker cores", "server busy", "config load s", "peak RSS MB"],
                [[p["feeds"], p["wall_s"], p["ms_per_feed"], p["requests_per_s"], p["cores_busy"], p["server_busy"],
                  p["config_load_s"], p["peak_rss_mb"]] for p in repoll])
    print_table(f"Memory over {CYCLES} consecutive cycles ({CYCLE_FEEDS} feeds, 20 feeds gain 2 entries per cycle)",
                ["cycle", "wall s", "new articles", "304s", "RSS MB", "Python objects", "allocated blocks"],
                [[r["cycle"], r["wall_s"], r["articles_new"], r["not_modified"], r["rss_mb"], r["python_objects"],
                  r["allocated_blocks"]] for r in cycles["cycles"]])
    print(f"cost per entry 10,000 vs 100: {result['linearity']['first_cycle_cost_per_entry_10000_vs_100']}x; "
          f"per re-polled feed 10,000 vs 100: {result['linearity']['repoll_cost_per_feed_10000_vs_100']}x; "
          f"memory growth cycle 2 -> {CYCLES}: {cycles['growth_cycle2_to_last_rss_mb']} MB RSS, "
          f"{cycles['growth_cycle2_to_last_objects']} objects "
          f"({verdict(result['targets']['no_memory_growth_over_10_cycles']['met'])})")
    path = write_result("scale", result)
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int)
    parser.add_argument("--repoll", type=int)
    parser.add_argument("--cycles", type=int, nargs=2, metavar=("FEEDS", "CYCLES"))
    args = parser.parse_args()
    if args.entries:
        print(json.dumps(point_entries(args.entries)))
    elif args.repoll:
        print(json.dumps(point_repoll(args.repoll)))
    elif args.cycles:
        print(json.dumps(point_cycles(*args.cycles)))
    else:
        main()
