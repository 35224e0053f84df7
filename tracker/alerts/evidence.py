"""Load a shift with the evidence of both sides: sentence, outlet, date, link.

The new side is ``shifts.claim_id``; the old side is ``previous_claim_id``
(a claim seen in an article) or ``previous_baseline_id`` (a seed position).
Claims lead to versions -> articles (url, outlet, date) -> feeds (outlet).
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from tracker.errors import AlertError
from tracker.models import Shift

_CLAIM_SIDE = """
SELECT c.evidence, c.said_at, c.speaker, c.confidence,
       a.url, a.published_at, COALESCE(a.outlet, f.outlet, f.name) AS outlet
FROM claims c
JOIN articles a ON a.id = c.article_id
LEFT JOIN feeds f ON f.id = a.feed_id
WHERE c.id = ?
"""


def load_shift(db: sqlite_utils.Database, shift_id: int) -> Shift:
    row = _one(db, "SELECT * FROM shifts WHERE id = ?", shift_id)
    if row is None:
        raise AlertError(f"shift {shift_id} is not in the database; it cannot be rendered", reason="no-shift")
    new = _claim_side(db, row["claim_id"]) or {}
    if row["previous_claim_id"] is not None:
        old = _claim_side(db, row["previous_claim_id"]) or {}
    elif row["previous_baseline_id"] is not None:
        old = _baseline_side(db, row["previous_baseline_id"]) or {}
    else:
        old = {}
    return Shift(
        id=row["id"],
        actor=row["actor"],
        topic=row["topic"],
        from_stance=row["from_stance"],
        to_stance=row["to_stance"],
        detected_at=row["detected_at"],
        since=row["since"],
        status=row["status"],
        corroboration=row["corroboration"],
        confidence=row["confidence"],
        retrospective=bool(row["retrospective"]),
        new_evidence=new.get("evidence") or "(evidence not recorded)",
        new_url=new.get("url"),
        new_outlet=new.get("outlet"),
        new_date=new.get("date") or row["since"],
        old_evidence=old.get("evidence"),
        old_url=old.get("url"),
        old_outlet=old.get("outlet"),
        old_date=old.get("date"),
        extra={"new_speaker": new.get("speaker"), "old_speaker": old.get("speaker")},
    )


def _claim_side(db: sqlite_utils.Database, claim_id: int | None) -> dict[str, Any] | None:
    if claim_id is None:
        return None
    row = _one(db, _CLAIM_SIDE, claim_id)
    if row is None:
        return None
    return {
        "evidence": row["evidence"],
        "speaker": row["speaker"],
        "url": row["url"],
        "outlet": row["outlet"],
        "date": _date(row["said_at"] or row["published_at"]),
    }


def _baseline_side(db: sqlite_utils.Database, baseline_id: int) -> dict[str, Any] | None:
    row = _one(db, "SELECT evidence, since, seed_file FROM baseline WHERE id = ?", baseline_id)
    if row is None:
        return None
    return {"evidence": row["evidence"], "url": None, "outlet": f"baseline ({row['seed_file']})",
            "date": _date(row["since"]), "speaker": None}


def _date(value: str | None) -> str | None:
    return value[:10] if value else None


def _one(db: sqlite_utils.Database, sql: str, *params: Any) -> dict[str, Any] | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row))
