"""One renderer for every channel and for ``alerts test``.

A ``Message`` has a subject, a plain-text body, a simple HTML body (email),
a structured payload (webhook JSON) and the idempotency key every channel
passes on, so a receiver can drop a duplicate delivery.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Mapping

from tracker.actornames import named

from tracker.models import Shift
from tracker.stance.language import quoted_in


@dataclass(frozen=True)
class Message:
    key: str  # idempotency key
    subject: str
    text: str
    html: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Incident:
    """A health problem of tracker itself (see tracker.alerts.health)."""

    subject_key: str
    title: str
    detail: str
    since: str | None


def shift_url(base_url: str | None, shift_id: int) -> str | None:
    return f"{base_url.rstrip('/')}/tracker/shifts/{shift_id}" if base_url else None


def render_shift(shift: Shift, *, key: str, base_url: str | None = None,
                 names: Mapping[str, str] | None = None) -> Message:
    return render_shifts([shift], key=key, base_url=base_url, names=names)


def render_shifts(shifts: list[Shift], *, key: str, base_url: str | None = None,
                  names: Mapping[str, str] | None = None) -> Message:
    """One message for one shift, or a digest of shifts of one actor x topic.

    ``names`` ({code: name}) puts the country's name beside its code: "Germany (DE)".
    """
    first, last = shifts[0], shifts[-1]
    who = named(first.actor, names or {})
    retro = " (retro)" if first.retrospective else ""
    if len(shifts) == 1:
        subject = (f"[tracker] {who} on {first.topic}: {first.from_stance} -> {first.to_stance}{retro} "
                   f"({first.status}, {_outlets(first.corroboration)})")
    else:
        subject = (f"[tracker] {who} on {first.topic}: {len(shifts)} shifts, "
                   f"{first.from_stance} -> {last.to_stance}")
    blocks = [_text_block(s, base_url, who) for s in shifts]
    text = "\n\n".join(blocks) + f"\n\n-- \nIdempotency key: {key}\n"
    body = "".join(_html_block(s, base_url, who) for s in shifts)
    page = f"<html><body>{body}<p style=\"color:#666\">Idempotency key: {html.escape(key)}</p></body></html>"
    payload = {
        "type": "shift" if len(shifts) == 1 else "digest",
        "idempotency_key": key,
        "subject": subject,
        "text": f"*{subject}*\n\n" + "\n\n".join(blocks),  # Slack-compatible
        "shifts": [_structured(s, base_url, names or {}) for s in shifts],
    }
    return Message(key=key, subject=subject, text=text, html=page, payload=payload)


def render_incident(incident: Incident, *, key: str) -> Message:
    subject = f"[tracker] health: {incident.title}"
    lines = [incident.title, "", incident.detail]
    if incident.since:
        lines.append(f"Since: {incident.since}")
    text = "\n".join(lines) + f"\n\n-- \nIdempotency key: {key}\n"
    page = (f"<html><body><h2>{html.escape(incident.title)}</h2><p>{html.escape(incident.detail)}</p>"
            + (f"<p>Since: {html.escape(incident.since)}</p>" if incident.since else "")
            + "</body></html>")
    payload = {
        "type": "health",
        "idempotency_key": key,
        "subject": subject,
        "text": f"*{subject}*\n{incident.detail}",
        "incident": {"key": incident.subject_key, "title": incident.title,
                     "detail": incident.detail, "since": incident.since},
    }
    return Message(key=key, subject=subject, text=text, html=page, payload=payload)


def _outlets(n: int) -> str:
    return f"{n} outlet" if n == 1 else f"{n} outlets"


def _text_block(s: Shift, base_url: str | None, who: str) -> str:
    lines = [
        f"{who} changed its stance on {s.topic}: {s.from_stance} -> {s.to_stance}",
        f"Status: {s.status} | confidence {s.confidence:.2f} | corroborated by {_outlets(s.corroboration)}"
        + (" | RETROSPECTIVE (the text dates the new stance in the past)" if s.retrospective else ""),
        f"Detected: {s.detected_at}" + (f" | stance held since {s.since}" if s.since else ""),
        *_level_line(s),
        "",
        f"Now ({s.to_stance}): {_source(s.new_outlet, s.new_date, s.extra.get('new_speaker'), s.extra.get('new_language'))}",
        f"  \"{s.new_evidence}\"",
    ]
    if s.new_url:
        lines.append(f"  {s.new_url}")
    lines += ["", f"Before ({s.from_stance}): "
              f"{_source(s.old_outlet, s.old_date, s.extra.get('old_speaker'), s.extra.get('old_language'))}"]
    lines.append(f"  \"{s.old_evidence}\"" if s.old_evidence else "  (no earlier evidence recorded)")
    if s.old_url:
        lines.append(f"  {s.old_url}")
    link = shift_url(base_url, s.id)
    if link:
        lines += ["", f"Review this shift: {link}"]
    lines.append(f"Your verdict: tracker review {s.id} --confirm (or --dismiss) --note \"why\"")
    return "\n".join(lines)


def _level_line(s: Shift) -> list[str]:
    """Level, kind and the reasons of tracker/positions/decide.py, when the shift carries them."""
    if not s.extra.get("level"):
        return []
    line = f"Level: {s.extra['level']}" + (f" ({s.extra['kind']})" if s.extra.get("kind") else "")
    return [line + (f" | why: {s.extra['reason']}" if s.extra.get("reason") else "")]


def _html_block(s: Shift, base_url: str | None, who: str) -> str:
    e = html.escape

    def side(label: str, stance: str, outlet: str | None, date: str | None, evidence: str | None,
             url: str | None, language: str | None) -> str:
        link = f' <a href="{e(url)}">{e(url)}</a>' if url else ""
        quote = e(evidence) if evidence else "(no earlier evidence recorded)"
        lang = f' lang="{e(language)}"' if language else ""
        return (f"<p><b>{label} ({e(stance)})</b>: {e(_source(outlet, date, language=language))}{link}</p>"
                f"<blockquote{lang}>{quote}</blockquote>")

    link = shift_url(base_url, s.id)
    return (
        f"<h2>{e(who)} on {e(s.topic)}: {e(s.from_stance)} &rarr; {e(s.to_stance)}</h2>"
        f"<p>Status: {e(s.status)} | confidence {s.confidence:.2f} | corroborated by "
        f"{e(_outlets(s.corroboration))}{' | <b>retrospective</b>' if s.retrospective else ''}</p>"
        + side("Now", s.to_stance, s.new_outlet, s.new_date, s.new_evidence, s.new_url, s.extra.get("new_language"))
        + side("Before", s.from_stance, s.old_outlet, s.old_date, s.old_evidence, s.old_url,
               s.extra.get("old_language"))
        + (f'<p><a href="{e(link)}">Review this shift</a></p>' if link else "")
    )


def _source(outlet: str | None, date: str | None, speaker: str | None = None, language: str | None = None) -> str:
    text = ", ".join(part for part in (outlet or "unknown outlet", date) if part)
    text = f"{text} | speaker: {speaker}" if speaker else text
    quoted = quoted_in(language)  # non-English evidence is shown as it is, with its language
    return f"{text} | {quoted}" if quoted else text


def _structured(s: Shift, base_url: str | None, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": s.id,
        "actor": s.actor,
        "actor_name": names.get(s.actor),
        "topic": s.topic,
        "from_stance": s.from_stance,
        "to_stance": s.to_stance,
        "status": s.status,
        "confidence": s.confidence,
        "corroboration": s.corroboration,
        "retrospective": s.retrospective,
        "level": s.extra.get("level", "shift"),
        "kind": s.extra.get("kind"),
        "detected_at": s.detected_at,
        "since": s.since,
        "url": shift_url(base_url, s.id),
        "new": {"evidence": s.new_evidence, "outlet": s.new_outlet, "date": s.new_date, "url": s.new_url,
                "language": s.extra.get("new_language")},
        "old": {"evidence": s.old_evidence, "outlet": s.old_outlet, "date": s.old_date, "url": s.old_url,
                "language": s.extra.get("old_language")},
    }
