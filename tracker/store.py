"""Write helpers for feeds, articles and runs (raw SQL on the shared connection).

Raw SQL rather than sqlite-utils table methods because those wrap writes in
``with conn:``, which would commit the caller's article transaction halfway.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, Iterable

from tracker.clock import iso
from tracker.config import Config
from tracker.models import Entry, RunStats

_ERROR_SUMMARY_LINES = 20


def rows(db, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def one(db, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
    found = rows(db, sql, params)
    return found[0] if found else None


def sync_feeds(db, config: Config, now: datetime) -> None:
    """Insert configured feeds that are new; apply config changes to known ones.

    A changed url in the config resets the feed (new address, no validators,
    unmuted); a permanent redirect only changes ``url``, never ``configured_url``.
    Feeds removed from the config keep their rows and history.
    """
    for feed in config.feeds:
        row = one(db, "SELECT id, configured_url FROM feeds WHERE name = ?", [feed.name])
        tags = json.dumps(list(feed.tags))
        if row is None:
            db.execute(
                "INSERT INTO feeds (name, url, configured_url, outlet, tags, interval_s, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [feed.name, feed.url, feed.url, feed.outlet, tags, feed.interval_s, iso(now)],
            )
        elif row["configured_url"] != feed.url:
            db.execute(
                "UPDATE feeds SET url = ?, configured_url = ?, outlet = ?, tags = ?, interval_s = ?,"
                " etag = NULL, last_modified = NULL, muted = 0, error_count = 0, next_poll_at = NULL"
                " WHERE id = ?",
                [feed.url, feed.url, feed.outlet, tags, feed.interval_s, row["id"]],
            )
        else:
            db.execute("UPDATE feeds SET outlet = ?, tags = ?, interval_s = ? WHERE id = ?",
                       [feed.outlet, tags, feed.interval_s, row["id"]])
    clamp_next_polls(db, config, now)


def latest_next_poll(config: Config, now: datetime) -> datetime:
    """The latest a next poll may be: ``[polling] max_interval`` (or the back-off cap) from now."""
    return now + timedelta(seconds=max(config.polling.max_interval_s, config.polling.max_backoff_s))


def clamp_next_polls(db, config: Config, now: datetime) -> None:
    """Bring polls planned further ahead than allowed back within reach.

    After the clock jumped backwards, a ``next_poll_at`` written before the
    jump can lie days ahead; unclamped it would stall the feed that long.
    """
    latest = iso(latest_next_poll(config, now))
    db.execute("UPDATE feeds SET next_poll_at = ? WHERE next_poll_at > ?", [latest, latest])


def feeds_to_poll(db, config: Config, now: datetime, *, names: Iterable[str] | None = None,
                  all_feeds: bool = False) -> list[dict[str, Any]]:
    """Configured feeds to poll now: the named ones (even muted), all unmuted, or the due ones."""
    wanted = [config.feed(name).name for name in names] if names else [f.name for f in config.feeds]
    found = {row["name"]: row for row in rows(
        db, f"SELECT * FROM feeds WHERE name IN ({','.join('?' * len(wanted))})", wanted)} if wanted else {}
    # A feed with queued entries due (a killed poll's, a deferred one) is due too: a 304 is cheap.
    queued = {r[0] for r in db.execute("SELECT DISTINCT feed_id FROM pending_entries WHERE next_attempt_at <= ?",
                                       [iso(now)]).fetchall()}
    selected = []
    for name in wanted:
        row = found.get(name)
        if row is None:
            continue
        if names:
            selected.append(row)
        elif not row["muted"] and (all_feeds or row["next_poll_at"] is None or row["next_poll_at"] <= iso(now)
                                   or row["id"] in queued):
            selected.append(row)
    return selected


def update_feed(db, feed_id: int, changes: dict[str, Any], *, entries_seen: int = 0) -> None:
    if not changes and not entries_seen:
        return
    assignments = [f"{column} = ?" for column in changes] + ["entries_seen = entries_seen + ?"]
    db.execute(f"UPDATE feeds SET {', '.join(assignments)} WHERE id = ?",
               [*changes.values(), entries_seen, feed_id])


def known_article(db, url: str, *, feed_id: int | None = None, guid: str | None = None) -> int | None:
    """Id of the article stored under this canonical URL or this feed's GUID."""
    row = one(db, "SELECT id FROM articles WHERE url = ?", [url])
    if row is None and guid and feed_id is not None:
        row = one(db, "SELECT id FROM articles WHERE feed_id = ? AND guid = ?", [feed_id, guid])
    return None if row is None else row["id"]


def insert_article(db, *, url: str, feed_id: int | None, outlet: str | None, entry: Entry | None = None,
                   title: str | None = None, author: str | None = None, published_at: str | None = None,
                   now: str) -> int:
    cursor = db.execute(
        "INSERT INTO articles (feed_id, url, guid, outlet, title, author, published_at, first_seen_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [feed_id, url, entry.guid if entry else None, outlet,
         title or (entry.title if entry else None), author or (entry.author if entry else None),
         published_at or (entry.published_at if entry else None), now],
    )
    return cursor.lastrowid


def update_article(db, article_id: int, **changes: Any) -> None:
    if changes:
        db.execute(f"UPDATE articles SET {', '.join(f'{c} = ?' for c in changes)} WHERE id = ?",
                   [*changes.values(), article_id])


def start_run(db, *, started_at: str, trigger: str) -> int:
    return db.execute("INSERT INTO runs (started_at, trigger) VALUES (?, ?)", [started_at, trigger]).lastrowid


def finish_run(db, run_id: int, stats: RunStats, *, finished_at: str) -> None:
    summary = "\n".join(stats.errors[:_ERROR_SUMMARY_LINES]) or None
    if len(stats.errors) > _ERROR_SUMMARY_LINES:
        summary += f"\n... and {len(stats.errors) - _ERROR_SUMMARY_LINES} more"
    db.execute(
        "UPDATE runs SET finished_at = ?, feeds_polled = ?, feeds_failed = ?, feeds_not_modified = ?,"
        " articles_new = ?, articles_failed = ?, versions_new = ?, claims_new = ?, shifts_new = ?,"
        " alerts_sent = ?, errors = ?, error_summary = ? WHERE id = ?",
        [finished_at, stats.feeds_polled, stats.feeds_failed, stats.feeds_not_modified, stats.articles_new,
         stats.articles_failed, stats.versions_new, stats.claims_new, stats.shifts_new, stats.alerts_sent,
         len(stats.errors), summary, run_id],
    )


# -- pending entries: new feed entries not yet stored as articles --------------

def add_pending(db, feed_id: int, entries: Iterable[Entry], *, now: str) -> None:
    """Queue new entries (in the transaction that writes the feed's new validators)."""
    for entry in entries:
        db.execute("INSERT OR IGNORE INTO pending_entries (feed_id, url, entry, first_seen_at, next_attempt_at)"
                   " VALUES (?, ?, ?, ?, ?)", [feed_id, entry.url, json.dumps(asdict(entry)), now, now])


def is_pending(db, url: str) -> bool:
    return db.execute("SELECT 1 FROM pending_entries WHERE url = ?", [url]).fetchone() is not None


def due_pending(db, feed_id: int, *, now: str) -> list[tuple[int, int, Entry]]:
    """(id, attempts, entry) of the feed's queued entries whose next attempt is due, oldest first."""
    found = db.execute("SELECT id, attempts, entry FROM pending_entries WHERE feed_id = ? AND next_attempt_at <= ?"
                       " ORDER BY id", [feed_id, now]).fetchall()
    return [(pending_id, attempts, Entry(**json.loads(entry))) for pending_id, attempts, entry in found]


def drop_pending(db, pending_id: int) -> None:
    db.execute("DELETE FROM pending_entries WHERE id = ?", [pending_id])


def defer_pending(db, pending_id: int, *, error: str, next_attempt_at: str) -> None:
    db.execute("UPDATE pending_entries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
               [error, next_attempt_at, pending_id])
