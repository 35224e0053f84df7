"""Read shifts with the evidence of both sides (the ``shift_evidence`` view)
and their level, kind and reasons, for the CLI, the demo, the replay and the
alert renderer."""

from __future__ import annotations

from typing import Any

from tracker.errors import AlertError
from tracker.models import Shift


def list_shifts(db, *, status: str | None = None, level: str | None = None, limit: int | None = None,
                ids=None) -> list[dict[str, Any]]:
    where, params = [], []
    if status:
        where.append("e.status = ?")
        params.append(status)
    if level:
        where.append("s.level = ?")
        params.append(level)
    if ids is not None:
        ids = list(ids)
        where.append(f"e.shift_id IN ({', '.join('?' * len(ids))})")
        params.extend(ids)
    sql = ("SELECT e.*, s.level, s.kind, s.reason FROM shift_evidence e JOIN shifts s ON s.id = e.shift_id"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY e.shift_id")
    if limit:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute(sql, params)
    names = ["id" if d[0] == "shift_id" else d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def load_shift(db, shift_id: int) -> Shift:
    """One shift as a ``Shift``; AlertError when it is not in the database."""
    found = list_shifts(db, ids=[shift_id])
    if not found:
        raise AlertError(f"shift {shift_id} is not in the database; it cannot be rendered", reason="no-shift")
    row = found[0]
    return Shift(
        id=row["id"], actor=row["actor"], topic=row["topic"], from_stance=row["from_stance"],
        to_stance=row["to_stance"], detected_at=row["detected_at"], since=row["since"], status=row["status"],
        corroboration=row["corroboration"], confidence=row["confidence"], retrospective=bool(row["retrospective"]),
        new_evidence=row["new_evidence"] or "(evidence not recorded)", new_url=row["new_url"],
        new_outlet=row["new_outlet"], new_date=_date(row["new_date"]) or row["since"],
        old_evidence=row["old_evidence"], old_url=row["old_url"], old_outlet=row["old_outlet"],
        old_date=_date(row["old_date"]),
        extra={"new_speaker": row["new_speaker"], "old_speaker": row["old_speaker"], "level": row["level"],
               "kind": row["kind"], "reason": row["reason"]},
    )


def _date(value: str | None) -> str | None:
    return value[:10] if value else None


def shift_table(shifts: list[dict], *, width: int = 70) -> str:
    """A readable text table of shifts (id, actor, topic, old -> new, date, evidence)."""
    if not shifts:
        return "no shifts"
    lines = [f"{'id':>3}  {'actor':<5} {'topic':<18} {'shift':<26} {'level':<6} {'since':<10} {'status':<9} evidence"]
    for s in shifts:
        arrow = f"{s['from_stance']} -> {s['to_stance']}"
        flag = " (retro)" if s["retrospective"] else ""
        evidence = (s["new_evidence"] or "").replace("\n", " ")
        if len(evidence) > width:
            evidence = evidence[: width - 1] + "…"
        lines.append(f"{s['id']:>3}  {s['actor']:<5} {s['topic'][:18]:<18} {arrow + flag:<26} {s.get('level') or '':<6} "
                     f"{(s['since'] or '')[:10]:<10} {s['status']:<9} {evidence}")
    return "\n".join(lines)
