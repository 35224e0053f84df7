"""Synthetic feeds/articles/versions/claims/shifts rows for the alert tests.

Rows are inserted with plain SQL into a database made by ``open_db``, the
way the shift detector leaves them: a shift points at the claim that moved
the position and at the claim (or baseline row) it replaced.
"""

from __future__ import annotations

import hashlib

NEW_SENTENCE = "Chancellor Merz said Germany is ready and willing to send troops to Ukraine after a ceasefire."
OLD_SENTENCE = "Chancellor Scholz ruled out sending German ground troops to Ukraine."
BASELINE_SENTENCE = "Germany has repeatedly rejected any deployment of its soldiers to Ukraine."
NEW_URL = "https://news.example.org/2025/03/merz-troops"
OLD_URL = "https://zeitung.example.de/2024/02/scholz-no-troops"


def add_feed(db, name: str = "wire", outlet: str = "Example Wire", **extra) -> int:
    row = {"name": name, "url": f"https://{name}.example.org/rss", "configured_url": f"https://{name}.example.org/rss",
           "outlet": outlet, "interval_s": 900, "created_at": "2025-01-01T00:00:00+00:00", **extra}
    cols = ", ".join(row)
    cursor = db.execute(f"INSERT INTO feeds ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    return cursor.lastrowid


def add_claim(db, *, url: str, outlet: str, sentence: str, stance: str, published: str,
              actor: str = "DE", topic: str = "troops-to-ukraine", feed_id: int | None = None,
              speaker: str | None = None) -> int:
    existing = db.execute("SELECT id FROM articles WHERE url = ?", (url,)).fetchone()
    if existing:
        article_id = existing[0]
    else:
        article_id = db.execute(
            "INSERT INTO articles (feed_id, url, outlet, title, published_at, first_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            (feed_id, url, outlet, sentence[:40], published, published)).lastrowid
    number = db.execute("SELECT COUNT(*) FROM versions WHERE article_id = ?", (article_id,)).fetchone()[0] + 1
    version_id = db.execute(
        "INSERT INTO versions (article_id, number, fetched_at, fingerprint, text) VALUES (?, ?, ?, ?, ?)",
        (article_id, number, published, hashlib.sha1(sentence.encode()).hexdigest(), sentence)).lastrowid
    return db.execute(
        "INSERT INTO claims (version_id, article_id, actor, topic, stance, confidence, evidence, speaker, said_at, "
        "created_at) VALUES (?, ?, ?, ?, ?, 0.9, ?, ?, ?, ?)",
        (version_id, article_id, actor, topic, stance, sentence, speaker, published[:10], published)).lastrowid


def add_shift(db, *, actor: str = "DE", topic: str = "troops-to-ukraine", from_stance: str = "oppose",
              to_stance: str = "support", status: str = "new", confidence: float = 0.85, corroboration: int = 2,
              detected_at: str = "2025-03-02T08:00:00+00:00", retrospective: bool = False,
              from_baseline: bool = False, new_sentence: str = NEW_SENTENCE, new_url: str = NEW_URL) -> int:
    new_claim = add_claim(db, url=new_url, outlet="Example Wire", sentence=new_sentence, stance=to_stance,
                          published="2025-03-01T12:00:00+00:00", actor=actor, topic=topic,
                          speaker="Friedrich Merz")
    previous_claim = previous_baseline = None
    if from_baseline:
        previous_baseline = db.execute(
            "INSERT INTO baseline (actor, topic, stance, since, evidence, seed_file, created_at) "
            "VALUES (?, ?, ?, '2024-02-27', ?, 'seeds/de.md', '2025-01-01T00:00:00+00:00')",
            (actor, topic, from_stance, BASELINE_SENTENCE)).lastrowid
    else:
        previous_claim = add_claim(db, url=OLD_URL, outlet="Zeitung", sentence=OLD_SENTENCE, stance=from_stance,
                                   published="2024-02-27T09:00:00+00:00", actor=actor, topic=topic)
    return db.execute(
        "INSERT INTO shifts (actor, topic, from_stance, to_stance, detected_at, since, claim_id, previous_claim_id, "
        "previous_baseline_id, confidence, retrospective, corroboration, status) "
        "VALUES (?, ?, ?, ?, ?, '2025-03-01', ?, ?, ?, ?, ?, ?, ?)",
        (actor, topic, from_stance, to_stance, detected_at, new_claim, previous_claim, previous_baseline,
         confidence, int(retrospective), corroboration, status)).lastrowid


def alert_rows(db) -> list[dict]:
    cursor = db.execute("SELECT * FROM alerts ORDER BY id")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
