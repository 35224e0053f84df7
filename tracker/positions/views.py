"""Read shifts with the evidence of both sides (the ``shift_evidence`` view)
and their level, kind and reasons, for the CLI, the demo, the replay and the
alert renderer."""

from __future__ import annotations

import textwrap
from typing import Any, Mapping

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
    sql = ("SELECT e.*, s.level, s.kind, s.reason, nc.language AS new_language, pc.language AS old_language"
           " FROM shift_evidence e JOIN shifts s ON s.id = e.shift_id"
           " LEFT JOIN claims nc ON nc.id = e.claim_id LEFT JOIN claims pc ON pc.id = e.previous_claim_id"
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
               "kind": row["kind"], "reason": row["reason"], "new_language": row["new_language"],
               "old_language": row["old_language"]},
    )


def _date(value: str | None) -> str | None:
    return value[:10] if value else None


def shift_table(shifts: list[dict], *, width: int = 70, names: Mapping[str, str] | None = None) -> str:
    """A readable text table of shifts (id, actor with its name, topic, old -> new, date, evidence)."""
    from tracker.actornames import named

    if not shifts:
        return "no shifts"
    actors = [named(s["actor"], names or {}) for s in shifts]
    aw = max(5, *(len(a) for a in actors))
    lines = [f"{'id':>3}  {'actor':<{aw}} {'topic':<18} {'shift':<26} {'level':<6} {'since':<10} {'status':<9} evidence"]
    for s, actor in zip(shifts, actors):
        arrow = f"{s['from_stance']} -> {s['to_stance']}"
        flag = " (retro)" if s["retrospective"] else ""
        evidence = (s["new_evidence"] or "").replace("\n", " ")
        if len(evidence) > width:
            evidence = evidence[: width - 1] + "…"
        lines.append(f"{s['id']:>3}  {actor:<{aw}} {s['topic'][:18]:<18} {arrow + flag:<26} {s.get('level') or '':<6} "
                     f"{(s['since'] or '')[:10]:<10} {s['status']:<9} {evidence}")
    return "\n".join(lines)


def _side(label: str, evidence: str | None, speaker: str | None, outlet: str | None, date: str | None,
          url: str | None, width: int) -> list[str]:
    indent = " " * 5 + " " * len(label)
    quote = f"\u201c{' '.join((evidence or '').split())}\u201d" if evidence else "(no evidence recorded)"
    lines = textwrap.wrap(quote, width=max(width, 40), initial_indent=" " * 5 + label, subsequent_indent=indent)
    source = " \u00b7 ".join(p for p in (speaker, outlet, (date or "")[:10] or None) if p)
    if source:
        lines.append(indent + source)
    if url:
        lines.append(indent + url)
    return lines


def shift_blocks(shifts: list[dict], *, names: Mapping[str, str] | None = None, width: int = 100) -> str:
    """Each shift as a heading line, then both sides: the whole sentence wrapped, who, outlet, date, link."""
    from tracker.actornames import named

    if not shifts:
        return "no shifts"
    blocks = []
    for s in shifts:
        flag = " (retro)" if s["retrospective"] else ""
        outlets = f"{s['corroboration']} outlet{'' if s['corroboration'] == 1 else 's'}"
        head = (f"{s['id']:>3}  {named(s['actor'], names or {})} on {s['topic']}: {s['from_stance']} -> "
                f"{s['to_stance']}{flag}, {s.get('level') or 'shift'} ({s.get('kind') or '?'}), "
                f"since {(s['since'] or '?')[:10]}, {s['status']}, {outlets}, confidence {s['confidence']:.2f}")
        lines = [head]
        lines += _side("now:    ", s["new_evidence"], s["new_speaker"], s["new_outlet"], s["new_date"],
                       s["new_url"], width)
        lines += _side("before: ", s["old_evidence"], s["old_speaker"], s["old_outlet"], s["old_date"],
                       s["old_url"], width)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def shift_lines(shifts: list[dict], *, names: Mapping[str, str] | None = None) -> str:
    """One line per shift, nothing cut: for wide terminals, grep and spreadsheets (tab-separated)."""
    from tracker.actornames import named

    if not shifts:
        return "no shifts"
    header = ["id", "actor", "topic", "shift", "level", "since", "status", "outlets", "outlet", "evidence", "url",
              "old outlet", "old evidence", "old url"]
    rows = ["\t".join(header)]
    for s in shifts:
        change = f"{s['from_stance']} -> {s['to_stance']}" + (" (retro)" if s["retrospective"] else "")
        values = [s["id"], named(s["actor"], names or {}), s["topic"], change, s.get("level"), (s["since"] or "")[:10],
                  s["status"], s["corroboration"], s["new_outlet"], s["new_evidence"], s["new_url"],
                  s["old_outlet"], s["old_evidence"], s["old_url"]]
        rows.append("\t".join(" ".join(str(v or "").split()) for v in values))
    return "\n".join(rows)
