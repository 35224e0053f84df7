"""Shifts: a change of an actor's stance on a topic, with evidence both sides.

``apply_reports`` feeds the reports of one article through the position
rules (``tracker.positions.decide``): each report goes into the evidence
ledger (``position_history``, with its weight); a report of another stance
opens or feeds a ``shifts`` row for that change, which is a *signal* until
the evidence makes it a *shift* (``decide.weigh``: the new stance outweighs
the established one and is corroborated, official or the actor's own words);
only a shift moves the position. Corroboration counts the distinct outlets that
reported the new stance since the change; syndicated copies (same text
fingerprint) count once. A change is ``confirmed`` once a second outlet or an
official source reports it; analysts confirm or dismiss it with ``tracker review``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import date
from urllib.parse import urlsplit

from tracker.clock import iso
from tracker.errors import TrackerError
from tracker.positions.decide import (
    CONTRARY, DEFAULT_PARAMS, OLDER, REAFFIRMED, SHIFT, STARTED, Current, Evidence, PositionParams, Report,
    as_evidence, decide, kind_of, pick_representative, weigh,
)

CONFIRMING_OUTLETS = 2
OFFICIAL_TAG = "official"
STATUSES = ("new", "confirmed", "dismissed")


def apply_reports(db, reports: list[Report], *, now, params: PositionParams = DEFAULT_PARAMS) -> list[int]:
    """Apply one article's reports; return the ids of the shifts rows it opened."""
    groups: OrderedDict[tuple[str, str], list[Report]] = OrderedDict()
    for report in reports:
        groups.setdefault((report.actor, report.topic), []).append(report)
    shift_ids = []
    for (actor, topic), group in groups.items():
        chosen = pick_representative(group)
        for other in group:
            if other is not chosen:
                record_history(db, other, "same-article", now=now)
        shift_id = _apply_one(db, chosen, now=now, params=params)
        if shift_id is not None:
            shift_ids.append(shift_id)
    return shift_ids


def _apply_one(db, report: Report, *, now, params: PositionParams) -> int | None:
    current = current_position(db, report.actor, report.topic)
    effect = decide(current, report, today=iso(now)[:10])
    if effect == OLDER:
        record_history(db, report, effect, now=now)
        return None
    if effect == STARTED:
        record_history(db, report, effect, now=now, params=params)
        set_position(db, report.actor, report.topic, report.stance, report.date, claim_id=report.claim_id,
                     baseline_id=report.baseline_id, sources=(report.outlet,) if report.outlet else (), now=now)
        return None
    assert current is not None
    if effect == REAFFIRMED:
        setter = _setting_row(db, report.actor, report.topic, current)
        record_history(db, report, effect, now=now, params=params, shift_id=setter)
        add_source(db, report.actor, report.topic, current, report.outlet, now=now)
        if setter is not None:
            refresh_corroboration(db, setter, now=now)
        return None
    assert effect == CONTRARY
    row = _open_row(db, report.actor, report.topic, current, report, params)
    opened = row is None
    if opened:
        row = _record_shift(db, current, report, now=now, params=params)
    record_history(db, report, effect, now=now, params=params, shift_id=row)
    _reweigh(db, row, report.date, now=now, params=params)
    refresh_corroboration(db, row, now=now)
    return row if opened else None


def _record_shift(db, current: Current, report: Report, *, now, params: PositionParams) -> int:
    confidence = report.confidence * (params.retrospective_weight if report.retrospective else 1.0)
    cursor = db.execute(
        """INSERT INTO shifts (actor, topic, from_stance, to_stance, detected_at, since, claim_id,
               previous_claim_id, previous_baseline_id, confidence, retrospective, corroboration, status,
               level, kind)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'new', 'signal', ?)""",
        (report.actor, report.topic, current.stance, report.stance, iso(now), report.date, report.claim_id,
         current.claim_id, current.baseline_id, round(confidence, 3), int(report.retrospective),
         kind_of(current.stance, report.stance)),
    )
    return cursor.lastrowid


def _reweigh(db, shift_id: int, as_of: str, *, now, params: PositionParams) -> None:
    """Weigh the evidence behind an open change (a signal): it becomes a shift and moves the
    position when the rules say so."""
    actor, topic, from_stance, to_stance, since, claim_id, level, status = db.execute(
        "SELECT actor, topic, from_stance, to_stance, since, claim_id, level, status FROM shifts WHERE id = ?",
        (shift_id,),
    ).fetchone()
    current = current_position(db, actor, topic)
    if status == "dismissed" or level == SHIFT or current is None or current.stance != from_stance:
        return  # decided already, or the position has moved elsewhere since the change was opened
    verdict = weigh(ledger(db, actor, topic), current, to_stance, as_of, params,
                    confirmed_on=_confirmed_on(db, actor, topic, current))
    if verdict.moves:
        set_position(db, actor, topic, to_stance, since, claim_id=claim_id, baseline_id=None,
                     sources=tuple(current.sources), now=now)
    db.execute("UPDATE shifts SET level = ?, new_weight = ?, old_weight = ?, reason = ? WHERE id = ?",
               (verdict.level, verdict.new_weight, verdict.old_weight, verdict.reason, shift_id))


def _open_row(db, actor: str, topic: str, current: Current, report: Report, params: PositionParams) -> int | None:
    """The signal of a change from the current stance to the report's, still open: its last
    report is at most ``corroboration_days`` old, or nothing has reaffirmed the current stance
    since it (within ``half_life_days``). The change is then dated from its first sign: "France:
    conditional -> support since 2 March", when a second outlet confirms it on 27 March."""
    row = db.execute(
        """SELECT s.id, (SELECT max(h.since) FROM position_history h WHERE h.shift_id = s.id) AS last
           FROM shifts s WHERE s.actor = ? AND s.topic = ? AND s.from_stance = ? AND s.to_stance = ?
               AND s.level = 'signal' AND s.status != 'dismissed' AND s.since >= ?
           ORDER BY s.id DESC LIMIT 1""",
        (actor, topic, current.stance, report.stance, current.since),
    ).fetchone()
    if row is None or row[1] is None:
        return None
    gap = (date.fromisoformat(report.date[:10]) - date.fromisoformat(row[1][:10])).days
    if gap <= params.corroboration_days:
        return row[0]
    reaffirmed = db.execute(
        """SELECT 1 FROM position_history WHERE actor = ? AND topic = ? AND stance = ? AND effect = 'reaffirmed'
               AND since > ? AND since <= ? LIMIT 1""",
        (actor, topic, current.stance, row[1], report.date),
    ).fetchone()
    return row[0] if reaffirmed is None and gap <= params.half_life_days else None


def _setting_row(db, actor: str, topic: str, current: Current) -> int | None:
    """The change that set the current position, if one did."""
    if current.claim_id is None:
        return None
    row = db.execute(
        "SELECT id FROM shifts WHERE actor = ? AND topic = ? AND to_stance = ? AND claim_id = ? AND level = 'shift' "
        "AND status != 'dismissed' ORDER BY id DESC LIMIT 1",
        (actor, topic, current.stance, current.claim_id),
    ).fetchone()
    return row[0] if row else None


def _confirmed_on(db, actor: str, topic: str, current: Current) -> str | None:
    """The day an analyst confirmed the change that set the current position, or None."""
    setter = _setting_row(db, actor, topic, current)
    if setter is None:
        return None
    row = db.execute("SELECT reviewed_at FROM shifts WHERE id = ? AND status = 'confirmed'", (setter,)).fetchone()
    return row[0][:10] if row and row[0] else None


def ledger(db, actor: str, topic: str) -> list[Evidence]:
    """The evidence of an actor x topic: reports that count (not of dismissed changes, not rejected claims)."""
    rows = db.execute(
        """SELECT h.stance, h.since, h.weight, COALESCE(h.outlet, '(unknown outlet)'), h.fingerprint, h.own_words,
                  COALESCE(h.confidence, 0), h.official
           FROM position_history h
           LEFT JOIN shifts s ON s.id = h.shift_id
           LEFT JOIN claims c ON c.id = h.claim_id
           WHERE h.actor = ? AND h.topic = ? AND h.weight > 0 AND (s.status IS NULL OR s.status != 'dismissed')
             AND (c.review_status IS NULL OR c.review_status != 'rejected')""",
        (actor, topic),
    ).fetchall()
    return [Evidence(stance=r[0], date=r[1], weight=r[2], outlet=r[3], fingerprint=r[4], own_words=bool(r[5]),
                     confidence=r[6], official=bool(r[7])) for r in rows]


def current_position(db, actor: str, topic: str) -> Current | None:
    row = db.execute(
        "SELECT stance, since, claim_id, baseline_id, sources FROM positions WHERE actor = ? AND topic = ?",
        (actor, topic),
    ).fetchone()
    if row is None:
        return None
    sources = tuple(json.loads(row[4])) if row[4] else ()
    return Current(stance=row[0], since=row[1], claim_id=row[2], baseline_id=row[3], sources=sources)


def set_position(db, actor: str, topic: str, stance: str, since: str, *, claim_id: int | None,
                 baseline_id: int | None, sources: tuple[str, ...], now) -> None:
    db.execute(
        """INSERT INTO positions (actor, topic, stance, since, claim_id, baseline_id, sources, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (actor, topic) DO UPDATE SET stance = excluded.stance, since = excluded.since,
               claim_id = excluded.claim_id, baseline_id = excluded.baseline_id,
               sources = excluded.sources, updated_at = excluded.updated_at""",
        (actor, topic, stance, since, claim_id, baseline_id, json.dumps(list(sources)), iso(now)),
    )


def add_source(db, actor: str, topic: str, current: Current, outlet: str | None, *, now) -> None:
    if not outlet or outlet in current.sources:
        return
    db.execute(
        "UPDATE positions SET sources = ?, updated_at = ? WHERE actor = ? AND topic = ?",
        (json.dumps([*current.sources, outlet]), iso(now), actor, topic),
    )


def record_history(db, report: Report, effect: str, *, now, params: PositionParams | None = None,
                   shift_id: int | None = None) -> None:
    """Write a report to the ledger; with ``params`` it counts as evidence (its weight)."""
    evidence = as_evidence(report, params or DEFAULT_PARAMS)
    db.execute(
        """INSERT INTO position_history (actor, topic, stance, since, claim_id, baseline_id, effect, recorded_at,
               weight, outlet, fingerprint, own_words, official, confidence, shift_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (report.actor, report.topic, report.stance, report.date, report.claim_id, report.baseline_id,
         effect, iso(now), evidence.weight if params else 0.0, report.outlet, report.fingerprint,
         int(evidence.own_words), int(report.official), report.confidence, shift_id),
    )


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
    if action == "confirmed":  # the analyst's verdict: the change is a shift and sets the position
        level, since = db.execute("SELECT level, since FROM shifts WHERE id = ?", (shift_id,)).fetchone()
        current = current_position(db, actor, topic)
        if level != SHIFT and current is not None and current.stance == from_stance:
            set_position(db, actor, topic, to_stance, since, claim_id=claim_id, baseline_id=None,
                         sources=current.sources, now=now)
        db.execute("UPDATE shifts SET level = 'shift' WHERE id = ?", (shift_id,))
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
