"""The alert outbox: every shift x channel is a row before anything is sent.

Life of a row in ``alerts``::

    enqueue ──> pending ──claim──> (send) ──ok──> sent
                   ^                  │
                   └──── back-off ────┤ error, attempts < max_attempts
                                      └──────> failed (``alerts retry --failed`` revives it)
    pending row of a dismissed shift or an incident that is over ──> skipped

A claim commits ``attempts + 1`` and a lease (``next_attempt_at`` in the
future) *before* the send, and the outcome is committed after it. A process
killed in between leaves a pending row whose lease runs out, so the alert is
sent again later with the same idempotency key: never lost, at most resent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlite_utils

from tracker.alerts import health
from tracker.alerts.base import Channel, SendContext, redact
from tracker.positions.views import load_shift
from tracker.alerts.registry import AlertSettings, alert_settings, channel_by_name, channels_from_config
from tracker.actornames import actor_names
from tracker.alerts.render import Message, render_incident, render_shift, render_shifts
from tracker.clock import Clock, iso, parse_utc
from tracker.db import transaction
from tracker.errors import AlertError
from tracker.models import Shift

if TYPE_CHECKING:
    import httpx

    from tracker.config import Config

log = logging.getLogger(__name__)

_IN_FLIGHT = "attempt {n} started at {at}; no outcome recorded (the process stopped during delivery?)"


@dataclass
class _Row:
    id: int
    kind: str
    channel: str
    key: str
    shift_id: int | None
    subject_key: str | None
    attempts: int


def enqueue(db: sqlite_utils.Database, config: "Config", *, clock: Clock,
            channels: list[Channel] | None = None) -> int:
    """Create the missing rows: one per matching shift x channel and per health incident x channel."""
    channels = channels_from_config(config) if channels is None else channels
    settings = alert_settings(config)
    now = clock.now()
    incidents = health.current_incidents(db, settings, clock=clock)
    created = 0
    with transaction(db) as conn:
        for channel in channels:
            candidates = conn.execute(
                "SELECT id, actor, topic, status, confidence, detected_at, level FROM shifts s "
                "WHERE status != 'dismissed' AND NOT EXISTS "
                "(SELECT 1 FROM alerts a WHERE a.idempotency_key = 'shift-' || s.id || '-' || ?) ORDER BY id",
                (channel.name,),
            ).fetchall()
            for shift_id, actor, topic, status, confidence, detected_at, level in candidates:
                if not channel.rules.matches(actor=actor, topic=topic, status=status, confidence=confidence,
                                             level=level):
                    continue
                due = now
                if channel.rules.digest_s:  # hold the first of a group for the window, the rest ride along
                    due = max(now, parse_utc(detected_at) + timedelta(seconds=channel.rules.digest_s))
                created += _insert(conn, kind="shift", shift_id=shift_id, subject_key=None, channel=channel.name,
                                   key=f"shift-{shift_id}-{channel.name}", now=now, due=due)
            if not channel.rules.health:
                continue
            for incident in incidents:
                created += _insert(conn, kind="health", shift_id=None, subject_key=incident.subject_key,
                                   channel=channel.name, key=f"health-{channel.name}-{incident.subject_key}",
                                   now=now, due=now)
    if created:
        log.info("alerts: %d queued", created)
    return created


def deliver_due(db: sqlite_utils.Database, config: "Config", *, clock: Clock,
                channels: list[Channel] | None = None,
                http_transport: "httpx.BaseTransport | None" = None) -> int:
    """Enqueue, then deliver the pending rows that are due; return how many rows were sent."""
    channels = channels_from_config(config) if channels is None else channels
    enqueue(db, config, clock=clock, channels=channels)
    return _deliver(db, config, channels, clock=clock, due_only=True, http_transport=http_transport)


def retry(db: sqlite_utils.Database, config: "Config", *, clock: Clock, all_pending: bool = True,
          include_failed: bool = False, channels: list[Channel] | None = None,
          http_transport: "httpx.BaseTransport | None" = None) -> int:
    """Deliver pending rows now (all of them, or only those due); optionally revive failed ones."""
    channels = channels_from_config(config) if channels is None else channels
    if include_failed:
        with transaction(db) as conn:
            conn.execute("UPDATE alerts SET status = 'pending', attempts = 0, next_attempt_at = ? "
                         "WHERE status = 'failed' AND kind != 'test'", (iso(clock.now()),))
    enqueue(db, config, clock=clock, channels=channels)
    return _deliver(db, config, channels, clock=clock, due_only=not all_pending, http_transport=http_transport)


def send_test(db: sqlite_utils.Database, config: "Config", channel_name: str, *, clock: Clock,
              http_transport: "httpx.BaseTransport | None" = None) -> Message:
    """Send a synthetic shift through one channel now; record it as a 'test' row; raise on failure."""
    channel = channel_by_name(config, channel_name)
    now = clock.now()
    key = f"test-{channel.name}-{now.strftime('%Y%m%dT%H%M%S%f')}"
    message = render_shift(synthetic_shift(now), key=key, base_url=config.publish.base_url,
                           names=actor_names(config.stance.actors))
    error: str | None = None
    try:
        channel.send(message, SendContext(clock=clock, config=config, http_transport=http_transport))
    except AlertError as exc:
        error = redact(exc.message, channel.secrets())
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO alerts (kind, subject_key, channel, idempotency_key, status, attempts, last_error, "
            "created_at, sent_at) VALUES ('test', 'synthetic shift', ?, ?, ?, 1, ?, ?, ?)",
            (channel.name, key, "failed" if error else "sent", error, iso(now), None if error else iso(now)),
        )
    if error:
        raise AlertError(error, reason="test-failed")
    return message


def synthetic_shift(now: datetime) -> Shift:
    return Shift(
        id=0, actor="XX", topic="troops-to-ukraine", from_stance="oppose", to_stance="conditional",
        detected_at=iso(now), since=now.date().isoformat(), status="new", corroboration=2, confidence=0.9,
        retrospective=False,
        new_evidence="TEST ALERT: the government of XX said it would not rule out sending troops.",
        new_url="https://example.org/test/new", new_outlet="Example Wire", new_date=now.date().isoformat(),
        old_evidence="TEST ALERT: XX ruled out sending troops to Ukraine.",
        old_url="https://example.org/test/old", old_outlet="Example Times", old_date="2024-02-27",
    )


def status_lines(db: sqlite_utils.Database, *, limit: int = 10) -> list[str]:
    """Lines for 'tracker status': counts, then each pending and failed alert."""
    counts = dict(db.execute(
        "SELECT status, COUNT(*) FROM alerts WHERE kind != 'test' GROUP BY status").fetchall())
    lines = ["alerts: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pending", "failed", "sent", "skipped"))]
    rows = db.execute(
        "SELECT status, idempotency_key, attempts, next_attempt_at, last_error FROM alerts "
        "WHERE status IN ('pending', 'failed') AND kind != 'test' "
        "ORDER BY status = 'pending', id LIMIT ?", (limit,)).fetchall()
    for status, key, attempts, next_at, error in rows:
        when = f", next attempt {next_at}" if status == "pending" and next_at else ""
        lines.append(f"  {status} {key}: {attempts} attempt{'s' if attempts != 1 else ''}{when}"
                     + (f"; last error: {error}" if error else ""))
    shown = len(rows)
    total = counts.get("pending", 0) + counts.get("failed", 0)
    if total > shown:
        lines.append(f"  ... and {total - shown} more (query the alerts table)")
    return lines


def _insert(conn, *, kind: str, shift_id: int | None, subject_key: str | None, channel: str, key: str,
            now: datetime, due: datetime) -> int:
    cursor = conn.execute(
        "INSERT OR IGNORE INTO alerts (shift_id, kind, subject_key, channel, idempotency_key, status, "
        "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        (shift_id, kind, subject_key, channel, key, iso(due), iso(now)),
    )
    return cursor.rowcount


def _deliver(db: sqlite_utils.Database, config: "Config", channels: list[Channel], *, clock: Clock,
             due_only: bool, http_transport) -> int:
    by_name = {c.name: c for c in channels}
    if not by_name:
        return 0
    settings = alert_settings(config)
    secrets = [s for c in channels for s in c.secrets()]
    context = SendContext(clock=clock, config=config, http_transport=http_transport)
    marks = ",".join("?" * len(by_name))
    sql = (f"SELECT id FROM alerts WHERE status = 'pending' AND kind IN ('shift', 'health') "
           f"AND channel IN ({marks})")
    params: list[Any] = list(by_name)
    if due_only:
        sql += " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
        params.append(iso(clock.now()))
    delivered = 0
    for (alert_id,) in db.execute(sql + " ORDER BY id", params).fetchall():
        delivered += _deliver_one(db, alert_id, by_name, settings, context, secrets, due_only=due_only)
    return delivered


def _deliver_one(db, alert_id: int, channels: dict[str, Channel], settings: AlertSettings,
                 context: SendContext, secrets: list[str], *, due_only: bool) -> int:
    rows = _claim(db, alert_id, channels, context.clock, due_only=due_only)
    if not rows:
        return 0
    channel = channels[rows[0].channel]
    try:
        rows, message = _render(db, rows, context)
        if message is None:
            return 0
        channel.send(message, context)
    except Exception as exc:  # one alert's failure is recorded; the others still go out
        text = exc.message if isinstance(exc, AlertError) else f"unexpected {type(exc).__name__}: {exc}"
        text = redact(text, secrets)
        attempts = max(r.attempts for r in rows)
        if attempts >= settings.max_attempts:
            _finish(db, rows, status="failed", error=f"gave up after {attempts} attempts: {text}",
                    clock=context.clock)
            log.error("alert %s failed for good: %s", rows[0].key, text)
        else:
            delay = min(settings.backoff_s * 2 ** (attempts - 1), settings.max_backoff_s)
            _finish(db, rows, status="pending", error=text, clock=context.clock,
                    next_at=context.clock.now() + timedelta(seconds=delay))
            log.warning("alert %s not delivered (attempt %d, next in %ds): %s", rows[0].key, attempts, delay, text)
        return 0
    _finish(db, rows, status="sent", error=None, clock=context.clock)
    log.info("alert %s sent to %s", message.key, channel.name)
    return len(rows)


def _claim(db, alert_id: int, channels: dict[str, Channel], clock: Clock, *, due_only: bool) -> list[_Row]:
    """Take a row (and its digest group) for one attempt: attempts + 1 and a lease, committed."""
    now = clock.now()
    with transaction(db) as conn:
        row = _row(conn, "SELECT * FROM alerts WHERE id = ?", alert_id)
        if row is None or row["status"] != "pending":
            return []
        if due_only and row["next_attempt_at"] and row["next_attempt_at"] > iso(now):
            return []  # taken by another process, or delivered with its digest group
        channel = channels[row["channel"]]
        ids = [alert_id]
        if row["kind"] == "shift" and channel.rules.digest_s:
            ids = [r[0] for r in conn.execute(
                "SELECT a.id FROM alerts a JOIN shifts s ON s.id = a.shift_id "
                "JOIN shifts me ON me.id = ? "
                "WHERE a.channel = ? AND a.kind = 'shift' AND a.status = 'pending' "
                "AND s.actor = me.actor AND s.topic = me.topic ORDER BY s.id",
                (row["shift_id"], channel.name)).fetchall()] or ids
        lease = now + timedelta(seconds=channel.timeout_s * 2 + 60)
        rows = []
        for one in ids:
            r = _row(conn, "SELECT * FROM alerts WHERE id = ?", one)
            attempts = r["attempts"] + 1
            conn.execute("UPDATE alerts SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                         (attempts, iso(lease), _IN_FLIGHT.format(n=attempts, at=iso(now)), one))
            rows.append(_Row(id=one, kind=r["kind"], channel=r["channel"], key=r["idempotency_key"],
                             shift_id=r["shift_id"], subject_key=r["subject_key"], attempts=attempts))
    return rows


def _render(db, rows: list[_Row], context: SendContext) -> tuple[list[_Row], Message | None]:
    """The message for the claimed rows; rows of a dismissed shift or an incident that is over are skipped."""
    base_url = context.config.publish.base_url
    if rows[0].kind == "health":
        incident = health.incident_for(db, rows[0].subject_key or "")
        if incident is None:
            _finish(db, rows, status="skipped", error="the incident was over before delivery",
                    clock=context.clock)
            return [], None
        return rows, render_incident(incident, key=rows[0].key)
    shifts = [load_shift(db, r.shift_id) for r in rows]
    dismissed = [r for r, s in zip(rows, shifts) if s.status == "dismissed"]
    if dismissed:
        _finish(db, dismissed, status="skipped", error="the shift was dismissed before delivery",
                clock=context.clock)
        rows = [r for r, s in zip(rows, shifts) if s.status != "dismissed"]
        shifts = [s for s in shifts if s.status != "dismissed"]
    if not rows:
        return [], None
    names = actor_names(context.config.stance.actors)
    if len(rows) == 1:
        return rows, render_shift(shifts[0], key=rows[0].key, base_url=base_url, names=names)
    key = f"digest-{rows[0].channel}-{rows[0].shift_id}-{rows[-1].shift_id}-{len(rows)}"
    return rows, render_shifts(shifts, key=key, base_url=base_url, names=names)


def _finish(db, rows: list[_Row], *, status: str, error: str | None, clock: Clock,
            next_at: datetime | None = None) -> None:
    now = iso(clock.now())
    with transaction(db) as conn:
        for r in rows:
            conn.execute(
                "UPDATE alerts SET status = ?, last_error = ?, next_attempt_at = ?, sent_at = ? WHERE id = ?",
                (status, error, iso(next_at) if next_at else None, now if status == "sent" else None, r.id),
            )


def _row(conn, sql: str, *params: Any) -> dict[str, Any] | None:
    cursor = conn.execute(sql, params)
    found = cursor.fetchone()
    return None if found is None else dict(zip([d[0] for d in cursor.description], found))
