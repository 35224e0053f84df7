"""An analyst's verdict on one claim: confirmed, or rejected (the reader got it wrong).

A rejected claim no longer counts as evidence for a position:

* a shift it caused is dismissed (``tracker.positions.shifts.review``), which puts the
  position back to the stance before;
* a position that rests on it without a shift (it was the first report) rests
  on the newest other report of the same stance instead, else on the
  baseline, else it is removed: nothing is known any more;
* corroboration is counted without it.
"""

from __future__ import annotations

from tracker.clock import iso
from tracker.errors import TrackerError
from tracker.positions.shifts import current_position, latest_shift, refresh_corroboration, review

VERDICTS = ("confirmed", "rejected")


def review_claim(db, claim_id: int, verdict: str, *, now) -> dict:
    if verdict not in VERDICTS:
        raise TrackerError(f"unknown claim verdict {verdict!r}; use --confirm or --reject")
    row = db.execute("SELECT actor, topic, stance FROM claims WHERE id = ?", (claim_id,)).fetchone()
    if row is None:
        last = db.execute("SELECT max(id) FROM claims").fetchone()[0]
        hint = f"claim ids run from 1 to {last}" if last else "there are no claims yet"
        raise TrackerError(f"no claim with id {claim_id}; {hint} (see the claims_to_review page in Datasette)")
    actor, topic, stance = row
    db.execute("UPDATE claims SET review_status = ? WHERE id = ?", (verdict, claim_id))
    result = {"id": claim_id, "actor": actor, "topic": topic, "stance": stance, "status": verdict,
              "shifts_dismissed": [], "position": None}
    if verdict != "rejected":
        return result
    for (shift_id,) in db.execute(
        "SELECT id FROM shifts WHERE claim_id = ? AND status != 'dismissed' ORDER BY id DESC", (claim_id,)
    ).fetchall():
        review(db, shift_id, "dismissed", note=f"its claim {claim_id} was rejected", now=now)
        result["shifts_dismissed"].append(shift_id)
    current = current_position(db, actor, topic)
    if current is not None and current.claim_id == claim_id:
        result["position"] = _rest_elsewhere(db, actor, topic, current.stance, claim_id, now=now)
    shift = latest_shift(db, actor, topic)
    if shift is not None:
        refresh_corroboration(db, shift["id"], now=now)
    return result


def _rest_elsewhere(db, actor: str, topic: str, stance: str, claim_id: int, *, now) -> str:
    """Repoint a position away from a rejected claim; say what it rests on now."""
    other = db.execute(
        """SELECT h.claim_id, h.since FROM position_history h JOIN claims c ON c.id = h.claim_id
           WHERE h.actor = ? AND h.topic = ? AND h.stance = ? AND h.claim_id != ?
             AND c.review_status != 'rejected' AND h.effect IN ('started', 'reaffirmed', 'contrary')
           ORDER BY h.since DESC, h.id DESC LIMIT 1""",
        (actor, topic, stance, claim_id),
    ).fetchone()
    if other is not None:
        db.execute("UPDATE positions SET claim_id = ?, updated_at = ? WHERE actor = ? AND topic = ?",
                   (other[0], iso(now), actor, topic))
        return f"rests on claim {other[0]}"
    base = db.execute(
        "SELECT id, stance, since FROM baseline WHERE actor = ? AND topic = ? ORDER BY id DESC LIMIT 1",
        (actor, topic),
    ).fetchone()
    if base is not None:
        db.execute(
            "UPDATE positions SET stance = ?, since = ?, claim_id = NULL, baseline_id = ?, updated_at = ? "
            "WHERE actor = ? AND topic = ?",
            (base[1], base[2], base[0], iso(now), actor, topic),
        )
        return f"back to the baseline: {base[1]}"
    db.execute("DELETE FROM positions WHERE actor = ? AND topic = ?", (actor, topic))
    return "removed (no other evidence)"
