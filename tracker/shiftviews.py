"""Read shifts with the evidence of both sides, for the CLI, demo and alerts."""

from __future__ import annotations

SHIFT_QUERY = """
SELECT s.id, s.actor, s.topic, s.from_stance, s.to_stance, s.since, s.detected_at, s.status,
       s.corroboration, s.confidence, s.retrospective,
       nc.evidence AS new_evidence, na.url AS new_url, na.outlet AS new_outlet, nc.said_at AS new_date,
       coalesce(oc.evidence, b.evidence) AS old_evidence, oa.url AS old_url,
       coalesce(oa.outlet, CASE WHEN b.id IS NOT NULL THEN 'seed ' || b.seed_file END) AS old_outlet,
       coalesce(oc.said_at, b.since) AS old_date
FROM shifts s
LEFT JOIN claims nc ON nc.id = s.claim_id
LEFT JOIN articles na ON na.id = nc.article_id
LEFT JOIN claims oc ON oc.id = s.previous_claim_id
LEFT JOIN articles oa ON oa.id = oc.article_id
LEFT JOIN baseline b ON b.id = s.previous_baseline_id
"""

COLUMNS = ("id", "actor", "topic", "from_stance", "to_stance", "since", "detected_at", "status",
           "corroboration", "confidence", "retrospective", "new_evidence", "new_url", "new_outlet",
           "new_date", "old_evidence", "old_url", "old_outlet", "old_date")


def list_shifts(db, *, status: str | None = None, limit: int | None = None, ids=None) -> list[dict]:
    where, params = [], []
    if status:
        where.append("s.status = ?")
        params.append(status)
    if ids is not None:
        ids = list(ids)
        where.append(f"s.id IN ({', '.join('?' * len(ids))})")
        params.extend(ids)
    sql = SHIFT_QUERY + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY s.id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [dict(zip(COLUMNS, row)) for row in db.execute(sql, params).fetchall()]


def shift_table(shifts: list[dict], *, width: int = 70) -> str:
    """A readable text table of shifts (id, actor, topic, old -> new, date, evidence)."""
    if not shifts:
        return "no shifts"
    lines = [f"{'id':>3}  {'actor':<5} {'topic':<18} {'shift':<26} {'since':<10} {'status':<9} evidence"]
    for s in shifts:
        arrow = f"{s['from_stance']} -> {s['to_stance']}"
        flag = " (retro)" if s["retrospective"] else ""
        evidence = (s["new_evidence"] or "").replace("\n", " ")
        if len(evidence) > width:
            evidence = evidence[: width - 1] + "…"
        lines.append(f"{s['id']:>3}  {s['actor']:<5} {s['topic'][:18]:<18} {arrow + flag:<26} "
                     f"{(s['since'] or '')[:10]:<10} {s['status']:<9} {evidence}")
    return "\n".join(lines)
