"""Shifts: a change of an actor's stance on a topic, with evidence both sides.

``apply_reports`` feeds the reports of one article through the position
rules (``tracker.positions``) and records a ``shifts`` row for each change.
Corroboration counts the distinct outlets that reported the new stance since
the shift; syndicated copies (same text fingerprint) count once. A shift is
``confirmed`` once a second outlet or an official source reports it;
analysts confirm or dismiss it with ``tracker review``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from urllib.parse import urlsplit

from tracker.clock import iso
from tracker.errors import TrackerError
from tracker.positions.decide import (
    OLDER, REAFFIRMED, SHIFTED, STARTED, Current, Report, add_source, current_position, decide,
    pick_representative, record_history, set_position,
)

# A shift read from a claim the text places in the past is less certain.
RETROSPECTIVE_CONFIDENCE_FACTOR = 0.7
CONFIRMING_OUTLETS = 2
OFFICIAL_TAG = "official"
STATUSES = ("new", "confirmed", "dismissed")


def apply_reports(db, reports: list[Report], *, now) -> list[int]:
    """Apply one article's reports; return the ids of the shifts recorded."""
    groups: OrderedDict[tuple[str, str], list[Report]] = OrderedDict()
    for report in reports:
        groups.setdefault((report.actor, report.topic), []).append(report)
    shift_ids = []
    for (actor, topic), group in groups.items():
        chosen = pick_representative(group)
        for other in group:
            if other is not chosen:
                record_history(db, other, "same-article", now=now)
        shift_id = _apply_one(db, chosen, now=now)
        if shift_id is not None:
            shift_ids.append(shift_id)
    return shift_ids


def _apply_one(db, report: Report, *, now) -> int | None:
    current = current_position(db, report.actor, report.topic)
    effect = decide(current, report)
    record_history(db, report, effect, now=now)
    if effect == STARTED:
        set_position(db, report, now=now, sources=(report.outlet,) if report.outlet else ())
        return None
    if effect == OLDER:
        return None
    assert current is not None
    if effect == REAFFIRMED:
        add_source(db, report.actor, report.topic, current, report.outlet, now=now)
        shift = latest_shift(db, report.actor, report.topic)
        if shift is not None and shift["to_stance"] == report.stance:
            refresh_corroboration(db, shift["id"], now=now)
        return None
    assert effect == SHIFTED
    shift_id = _record_shift(db, current, report, now=now)
    set_position(db, report, now=now, sources=(report.outlet,) if report.outlet else ())
    refresh_corroboration(db, shift_id, now=now)
    return shift_id


def _record_shift(db, current: Current, report: Report, *, now) -> int:
    confidence = report.confidence * (RETROSPECTIVE_CONFIDENCE_FACTOR if report.retrospective else 1.0)
    cursor = db.execute(
        """INSERT INTO shifts (actor, topic, from_stance, to_stance, detected_at, since, claim_id,
               previous_claim_id, previous_baseline_id, confidence, retrospective, corroboration, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'new')""",
        (report.actor, report.topic, current.stance, report.stance, iso(now), report.date, report.claim_id,
         current.claim_id, current.baseline_id, round(confidence, 3), int(report.retrospective)),
    )
    return cursor.lastrowid


def latest_shift(db, actor: str, topic: str) -> dict | None:
    row = db.execute(
        "SELECT id, to_stance, status FROM shifts WHERE actor = ? AND topic = ? AND status != 'dismissed' "
        "ORDER BY id DESC LIMIT 1",
        (actor, topic),
    ).fetchone()
    return None if row is None else {"id": row[0], "to_stance": row[1], "status": row[2]}


def refresh_corroboration(db, shift_id: int, *, now) -> int:
    """Recount the outlets behind a shift's new stance; confirm it when due."""
    shift = db.execute(
        "SELECT actor, topic, to_stance, claim_id, status FROM shifts WHERE id = ?", (shift_id,)
    ).fetchone()
    if shift is None or shift[3] is None:
        return 0
    actor, topic, stance, claim_id, status = shift
    rows = db.execute(
        """SELECT a.outlet, a.url, v.fingerprint, f.tags
           FROM claims c JOIN versions v ON v.id = c.version_id JOIN articles a ON a.id = c.article_id
           LEFT JOIN feeds f ON f.id = a.feed_id
           WHERE c.actor = ? AND c.topic = ? AND c.stance = ? AND c.id >= ?
           ORDER BY c.id""",
        (actor, topic, stance, claim_id),
    ).fetchall()
    fingerprints: set[str] = set()
    outlets: set[str] = set()
    official = False
    for outlet, url, fingerprint, tags in rows:
        official = official or OFFICIAL_TAG in (json.loads(tags) if tags else [])
        if fingerprint in fingerprints:
            continue  # a syndicated copy of a text already counted
        fingerprints.add(fingerprint)
        outlets.add(outlet or urlsplit(url).hostname or url)
    count = max(len(outlets), 1)
    new_status = status
    if status == "new" and (count >= CONFIRMING_OUTLETS or official):
        new_status = "confirmed"
    db.execute("UPDATE shifts SET corroboration = ?, status = ? WHERE id = ?", (count, new_status, shift_id))
    return count


def review(db, shift_id: int, action: str, *, note: str | None, now) -> dict:
    """Confirm or dismiss a shift. Dismissing the shift that set the current
    position puts the position back to what it was before."""
    if action not in ("confirmed", "dismissed"):
        raise TrackerError(f"unknown review action {action!r}; use --confirm or --dismiss")
    row = db.execute(
        "SELECT id, actor, topic, from_stance, to_stance, claim_id, previous_claim_id, previous_baseline_id, status "
        "FROM shifts WHERE id = ?",
        (shift_id,),
    ).fetchone()
    if row is None:
        last = db.execute("SELECT max(id) FROM shifts").fetchone()[0]
        hint = f"shift ids run from 1 to {last}" if last else "there are no shifts yet"
        raise TrackerError(f"no shift with id {shift_id}; {hint} (see 'tracker status' or Datasette)")
    _, actor, topic, from_stance, to_stance, claim_id, prev_claim, prev_baseline, _status = row
    db.execute(
        "UPDATE shifts SET status = ?, review_note = ?, reviewed_at = ? WHERE id = ?",
        (action, note, iso(now), shift_id),
    )
    reverted = False
    if action == "dismissed":
        current = current_position(db, actor, topic)
        if current is not None and current.claim_id == claim_id and current.stance == to_stance:
            since = _since_of(db, actor, topic, from_stance, prev_claim, prev_baseline) or current.since
            db.execute(
                "UPDATE positions SET stance = ?, since = ?, claim_id = ?, baseline_id = ?, updated_at = ? "
                "WHERE actor = ? AND topic = ?",
                (from_stance, since, prev_claim, prev_baseline, iso(now), actor, topic),
            )
            reverted = True
    return {"id": shift_id, "actor": actor, "topic": topic, "status": action, "position_reverted": reverted}


def _since_of(db, actor, topic, stance, claim_id, baseline_id) -> str | None:
    row = db.execute(
        "SELECT since FROM position_history WHERE actor = ? AND topic = ? AND stance = ? "
        "AND (claim_id IS ? AND baseline_id IS ?) ORDER BY id LIMIT 1",
        (actor, topic, stance, claim_id, baseline_id),
    ).fetchone()
    return row[0] if row else None
