"""Health incidents of tracker itself, alerted through the same channels.

Two kinds, each enabled by a duration in ``[alerts]``:

* ``feed_failing_after``: a feed has failed on every poll since its last
  success (or since it was added) for longer than this, including a feed
  muted after 410 Gone (never silently dropped);
* ``no_success_after``: no feed was polled successfully for longer than this.

An incident's ``subject_key`` names the feed (or the whole system) and the
moment the trouble started, so one incident is alerted once per channel,
and a feed that recovers and fails again is a new incident.
"""

from __future__ import annotations

from datetime import timedelta

import sqlite_utils

from tracker.alerts.registry import AlertSettings
from tracker.alerts.render import Incident
from tracker.clock import Clock, iso, parse_utc

FEED_FAILING = "feed-failing"
NO_SUCCESS = "no-success"


def current_incidents(db: sqlite_utils.Database, settings: AlertSettings, *, clock: Clock) -> list[Incident]:
    now = clock.now()
    found: list[Incident] = []
    if settings.feed_failing_after_s:
        limit = now - timedelta(seconds=settings.feed_failing_after_s)
        for name, since in db.execute(
            "SELECT name, COALESCE(last_success_at, created_at) FROM feeds "
            "WHERE error_count > 0 ORDER BY name"
        ).fetchall():
            if since and parse_utc(since) <= limit:
                incident = incident_for(db, f"{FEED_FAILING}:{name}:{since}")
                if incident is not None:
                    found.append(incident)
    if settings.no_success_after_s:
        since = _last_success(db) or _first_run(db)
        if since and parse_utc(since) <= now - timedelta(seconds=settings.no_success_after_s):
            incident = incident_for(db, f"{NO_SUCCESS}:{since}")
            if incident is not None:
                found.append(incident)
    return found


def incident_for(db: sqlite_utils.Database, subject_key: str) -> Incident | None:
    """The incident named by ``subject_key`` as it stands now; None once it is over."""
    kind, _, rest = subject_key.partition(":")
    if kind == FEED_FAILING:
        name, _, since = rest.partition(":")
        row = db.execute(
            "SELECT error_count, last_error, last_error_reason, last_polled_at, url, muted, "
            "COALESCE(last_success_at, created_at) FROM feeds WHERE name = ?", (name,)
        ).fetchone()
        if row is None or row[0] == 0 or row[6] != since:
            return None
        count, error, reason, polled, url, muted, _ = row
        muted_note = " It is no longer polled (410 Gone): replace or remove it." if muted else ""
        return Incident(
            subject_key=subject_key,
            title=f"feed {name!r} has been failing since {since}",
            detail=(f"{count} consecutive failed polls of {url}; last poll {polled or 'unknown'}; "
                    f"last error ({reason or 'unknown'}): {error or 'not recorded'}. "
                    "Check the URL in config/feeds.toml and the feed's health in 'tracker status'."
                    + muted_note),
            since=since,
        )
    if kind == NO_SUCCESS:
        since = rest
        last = _last_success(db)
        if last and last != since:
            return None
        return Incident(
            subject_key=subject_key,
            title="no successful poll cycle" + (f" since {since}" if since else ""),
            detail=("No feed has been polled successfully; check that 'tracker run' is up, the network, "
                    "and 'tracker status' for the errors of the last runs."),
            since=since,
        )
    return None


def _last_success(db: sqlite_utils.Database) -> str | None:
    values = [
        db.execute("SELECT MAX(last_success_at) FROM feeds").fetchone()[0],
        db.execute("SELECT MAX(finished_at) FROM runs WHERE finished_at IS NOT NULL "
                   "AND feeds_polled > feeds_failed").fetchone()[0],
    ]
    values = [iso(parse_utc(v)) for v in values if v]
    return max(values) if values else None


def _first_run(db: sqlite_utils.Database) -> str | None:
    value = db.execute("SELECT MIN(started_at) FROM runs").fetchone()[0]
    return iso(parse_utc(value)) if value else None
