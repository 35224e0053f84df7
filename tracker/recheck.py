"""When to look at a stored article again, so silent edits are caught.

The schedule decays with the time since the article last changed: every 15
minutes while it changed within 3 hours, then every 30 minutes (to 12 h),
every 2 hours (to 3 days), then daily; never after ``max_article_age_days``
from first sight.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tracker.clock import iso, parse_utc
from tracker.store import rows

SCHEDULE: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(hours=3), timedelta(minutes=15)),
    (timedelta(hours=12), timedelta(minutes=30)),
    (timedelta(days=3), timedelta(hours=2)),
)
DAILY = timedelta(days=1)


def recheck_interval(quiet_for: timedelta) -> timedelta:
    """Time to the next check for an article unchanged for ``quiet_for``."""
    for within, every in SCHEDULE:
        if quiet_for < within:
            return every
    return DAILY


def next_check_at(now: datetime, *, first_seen_at: str, last_changed_at: str | None,
                  max_age_days: int) -> str | None:
    """ISO time of the next check, or None once the article is too old to watch."""
    first_seen = parse_utc(first_seen_at)
    last_change = parse_utc(last_changed_at) if last_changed_at else first_seen
    when = now + recheck_interval(now - last_change)
    if when - first_seen > timedelta(days=max_age_days):
        return None
    return iso(when)


def due_articles(db, now: datetime, *, limit: int = 500) -> list[dict[str, Any]]:
    """Articles whose next check is due, oldest due first."""
    return rows(
        db,
        "SELECT a.id, a.url, a.feed_id, a.first_seen_at, a.last_changed_at, a.check_count,"
        " f.name AS feed_name FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id"
        " WHERE a.next_check_at IS NOT NULL AND a.next_check_at <= ? ORDER BY a.next_check_at LIMIT ?",
        [iso(now), limit],
    )
