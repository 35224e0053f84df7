"""Analyse a stored version: claims -> positions -> shifts (or article edits).

Called by the pipeline inside the transaction that stored the version, so
an article, its version, its claims and the shifts they cause are committed
together or not at all.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from tracker.clock import iso
from tracker.models import Claim
from tracker.positions.decide import Report, trusted_date
from tracker.positions.shifts import OFFICIAL_TAG, apply_reports


def analyse_version(db, config, version_id: int, *, clock) -> tuple[int, int]:
    """Find claims in the version, update positions, record shifts.

    Returns (claims_new, shifts_new). A second or later version of an article
    records how its claims changed as an article edit, never as a shift.
    """
    from tracker.stance import find_claims, load_engine

    row = db.execute(
        """SELECT v.article_id, v.number, v.text, v.title, a.published_at, a.first_seen_at, a.outlet, a.url,
                  v.fingerprint, f.tags
           FROM versions v JOIN articles a ON a.id = v.article_id LEFT JOIN feeds f ON f.id = a.feed_id
           WHERE v.id = ?""",
        (version_id,),
    ).fetchone()
    if row is None:
        return (0, 0)
    article_id, number, text, title, published_at, first_seen_at, outlet, url, fingerprint, tags = row
    now = clock.now()
    params = config.positions
    fetched = first_seen_at or iso(now)
    published, why = trusted_date(published_at, fallback=fetched, now_iso=iso(now), params=params)
    if why:
        db.execute("UPDATE articles SET date_note = ? WHERE id = ?", (why, article_id))
    engine = load_engine(config.stance.actors, config.stance.topics)
    claims = [
        claim for claim in find_claims(_with_title(title, text), published=published, engine=engine)
        if claim.confidence >= config.stance.min_confidence
    ]
    dated = [trusted_date(c.said_at, fallback=published, now_iso=iso(now), params=params) for c in claims]
    claim_ids = [_insert_claim(db, claim, version_id, article_id, said_at, note, now)
                 for claim, (said_at, note) in zip(claims, dated)]
    if number > 1:
        _record_edits(db, article_id, version_id, now=now)
        return (len(claims), 0)
    outlet = outlet or urlsplit(url).hostname
    official = OFFICIAL_TAG in (json.loads(tags) if tags else [])
    reports = [
        Report(actor=c.actor, topic=c.topic, stance=c.stance, date=said_at, confidence=c.confidence,
               retrospective=c.time_cue is not None, claim_id=claim_id, outlet=outlet, speaker=c.speaker,
               official=official, fingerprint=fingerprint)
        for c, claim_id, (said_at, _) in zip(claims, claim_ids, dated)
    ]
    return (len(claims), len(apply_reports(db, reports, now=now, params=params)))


def _with_title(title: str | None, text: str) -> str:
    if title and not text.lstrip().startswith(title.strip()):
        return f"{title.strip()}\n\n{text}"
    return text


def _insert_claim(db, claim: Claim, version_id: int, article_id: int, said_at: str, date_note: str | None,
                  now) -> int:
    cursor = db.execute(
        """INSERT INTO claims (version_id, article_id, actor, topic, stance, confidence, evidence, speaker,
               said_at, time_cue, date_note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (version_id, article_id, claim.actor, claim.topic, claim.stance, round(claim.confidence, 3),
         claim.evidence, claim.speaker, said_at, claim.time_cue, date_note, iso(now)),
    )
    return cursor.lastrowid


def _stances_by_subject(db, version_id: int) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], set[str]] = {}
    for actor, topic, stance in db.execute(
        "SELECT actor, topic, stance FROM claims WHERE version_id = ?", (version_id,)
    ).fetchall():
        found.setdefault((actor, topic), set()).add(stance)
    return {key: "/".join(sorted(stances)) for key, stances in found.items()}


def _record_edits(db, article_id: int, version_id: int, *, now) -> int:
    previous = db.execute(
        "SELECT id FROM versions WHERE article_id = ? AND id < ? ORDER BY number DESC LIMIT 1",
        (article_id, version_id),
    ).fetchone()
    if previous is None:
        return 0
    before = _stances_by_subject(db, previous[0])
    after = _stances_by_subject(db, version_id)
    edits = 0
    for actor, topic in sorted(set(before) | set(after)):
        old, new = before.get((actor, topic)), after.get((actor, topic))
        if old != new:
            db.execute(
                """INSERT INTO article_edits (article_id, version_id, previous_version_id, actor, topic,
                       from_stance, to_stance, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (article_id, version_id, previous[0], actor, topic, old, new, iso(now)),
            )
            edits += 1
    return edits
