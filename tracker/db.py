"""open_db(path): the one way to get a database.

WAL mode (Datasette reads while the daemon writes), a busy timeout, foreign
keys, and migrations applied in order and recorded in ``migrations``. The
schema is created by code; a migration is never edited once released: add a
new one at the end of ``MIGRATIONS``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

import sqlite_utils

from tracker.errors import StoreError

BUSY_TIMEOUT_MS = 10_000


def _m001_core(db: sqlite_utils.Database) -> None:
    db.execute("""
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        configured_url TEXT NOT NULL,
        title TEXT,
        outlet TEXT,
        tags TEXT,                      -- JSON list
        interval_s INTEGER NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_polled_at TEXT,
        last_success_at TEXT,
        last_status INTEGER,
        last_error TEXT,
        last_error_reason TEXT,
        bozo_warning TEXT,
        error_count INTEGER NOT NULL DEFAULT 0,   -- consecutive failures
        next_poll_at TEXT,
        muted INTEGER NOT NULL DEFAULT 0,          -- 1 after 410 Gone
        entries_seen INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    )""")
    db.execute("""
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER REFERENCES feeds(id),
        url TEXT NOT NULL UNIQUE,       -- canonical URL
        guid TEXT,
        outlet TEXT,
        title TEXT,
        author TEXT,
        published_at TEXT,
        first_seen_at TEXT NOT NULL,
        last_checked_at TEXT,
        last_changed_at TEXT,
        next_check_at TEXT,
        check_count INTEGER NOT NULL DEFAULT 0,
        fetch_status TEXT,              -- ok | fallback | failed
        fetch_error TEXT
    )""")
    db.execute("CREATE INDEX idx_articles_feed ON articles(feed_id)")
    db.execute("CREATE INDEX idx_articles_guid ON articles(feed_id, guid)")
    db.execute("CREATE INDEX idx_articles_next_check ON articles(next_check_at)")
    db.execute("""
    CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        number INTEGER NOT NULL,        -- 1, 2, ... per article
        fetched_at TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        title TEXT,
        text TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'extracted',   -- extracted | feed-summary | seed
        extraction_note TEXT,
        diff TEXT,                      -- unified diff against the previous version
        chars_added INTEGER NOT NULL DEFAULT 0,
        chars_removed INTEGER NOT NULL DEFAULT 0,
        UNIQUE (article_id, number)
    )""")
    db.execute("CREATE INDEX idx_versions_fingerprint ON versions(fingerprint)")
    db.execute("""
    CREATE TABLE claims (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES versions(id),
        article_id INTEGER NOT NULL REFERENCES articles(id),
        actor TEXT NOT NULL,
        topic TEXT NOT NULL,
        stance TEXT NOT NULL CHECK (stance IN ('support', 'conditional', 'oppose')),
        confidence REAL NOT NULL,
        evidence TEXT NOT NULL,
        speaker TEXT,
        said_at TEXT,                   -- date the stance was held
        time_cue TEXT,                  -- set when the text places it in the past
        created_at TEXT NOT NULL,
        review_status TEXT NOT NULL DEFAULT 'unreviewed'
    )""")
    db.execute("CREATE INDEX idx_claims_actor_topic ON claims(actor, topic)")
    db.execute("CREATE INDEX idx_claims_version ON claims(version_id)")
    db.execute("""
    CREATE TABLE baseline (
        id INTEGER PRIMARY KEY,
        actor TEXT NOT NULL,
        topic TEXT NOT NULL,
        stance TEXT NOT NULL,
        since TEXT NOT NULL,
        evidence TEXT NOT NULL,
        seed_file TEXT NOT NULL,
        confidence REAL,
        created_at TEXT NOT NULL
    )""")
    db.execute("""
    CREATE TABLE positions (
        actor TEXT NOT NULL,
        topic TEXT NOT NULL,
        stance TEXT NOT NULL,
        since TEXT NOT NULL,
        claim_id INTEGER REFERENCES claims(id),
        baseline_id INTEGER REFERENCES baseline(id),
        sources TEXT,                   -- JSON list of outlets that reported it
        updated_at TEXT NOT NULL,
        PRIMARY KEY (actor, topic)
    )""")
    db.execute("""
    CREATE TABLE position_history (
        id INTEGER PRIMARY KEY,
        actor TEXT NOT NULL,
        topic TEXT NOT NULL,
        stance TEXT NOT NULL,
        since TEXT NOT NULL,
        claim_id INTEGER REFERENCES claims(id),
        baseline_id INTEGER REFERENCES baseline(id),
        effect TEXT NOT NULL,           -- started | reaffirmed | superseded-by-newer | past
        recorded_at TEXT NOT NULL
    )""")
    db.execute("CREATE INDEX idx_history_actor_topic ON position_history(actor, topic, since)")
    db.execute("""
    CREATE TABLE shifts (
        id INTEGER PRIMARY KEY,
        actor TEXT NOT NULL,
        topic TEXT NOT NULL,
        from_stance TEXT NOT NULL,
        to_stance TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        since TEXT,                     -- date the new stance was held
        claim_id INTEGER REFERENCES claims(id),
        previous_claim_id INTEGER REFERENCES claims(id),
        previous_baseline_id INTEGER REFERENCES baseline(id),
        confidence REAL NOT NULL,
        retrospective INTEGER NOT NULL DEFAULT 0,
        corroboration INTEGER NOT NULL DEFAULT 1,   -- distinct outlets
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'confirmed', 'dismissed')),
        review_note TEXT,
        reviewed_at TEXT
    )""")
    db.execute("CREATE INDEX idx_shifts_actor_topic ON shifts(actor, topic)")
    db.execute("""
    CREATE TABLE article_edits (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        version_id INTEGER NOT NULL REFERENCES versions(id),
        previous_version_id INTEGER NOT NULL REFERENCES versions(id),
        actor TEXT NOT NULL,
        topic TEXT NOT NULL,
        from_stance TEXT,
        to_stance TEXT,
        detected_at TEXT NOT NULL
    )""")
    db.execute("""
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        shift_id INTEGER REFERENCES shifts(id),
        kind TEXT NOT NULL DEFAULT 'shift',     -- shift | health | test
        subject_key TEXT,                        -- what a non-shift alert is about
        channel TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    )""")
    db.execute("CREATE INDEX idx_alerts_status ON alerts(status, next_attempt_at)")
    db.execute("""
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        trigger TEXT,                   -- poll | daemon | demo | recheck
        feeds_polled INTEGER NOT NULL DEFAULT 0,
        feeds_failed INTEGER NOT NULL DEFAULT 0,
        feeds_not_modified INTEGER NOT NULL DEFAULT 0,
        articles_new INTEGER NOT NULL DEFAULT 0,
        articles_failed INTEGER NOT NULL DEFAULT 0,
        versions_new INTEGER NOT NULL DEFAULT 0,
        claims_new INTEGER NOT NULL DEFAULT 0,
        shifts_new INTEGER NOT NULL DEFAULT 0,
        alerts_sent INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        error_summary TEXT
    )""")
    db["versions"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")
    db["claims"].enable_fts(["evidence", "speaker"], create_triggers=True, tokenize="porter")


def _m002_publish_views(db: sqlite_utils.Database) -> None:
    # Views join each shift and claim to its outlet and link, so Datasette can
    # facet and search them by outlet (tracker/publish describes them).
    db.execute("""
    CREATE VIEW claim_evidence AS
    SELECT c.id AS claim_id, c.actor, c.topic, c.stance, c.confidence, c.evidence, c.speaker,
           c.said_at, c.time_cue, c.review_status,
           COALESCE(a.outlet, f.outlet, f.name) AS outlet, a.title AS article_title, a.url,
           a.published_at, c.article_id, c.version_id, v.number AS version_number,
           (v.number = (SELECT MAX(number) FROM versions WHERE article_id = c.article_id)) AS in_current_text,
           c.created_at
    FROM claims c
    JOIN versions v ON v.id = c.version_id
    JOIN articles a ON a.id = c.article_id
    LEFT JOIN feeds f ON f.id = a.feed_id""")
    db.execute("""
    CREATE VIEW shift_evidence AS
    SELECT s.id AS shift_id, s.actor, s.topic, s.from_stance, s.to_stance, s.since, s.detected_at,
           s.status, s.corroboration, s.confidence, s.retrospective,
           nc.evidence AS new_evidence, nc.speaker AS new_speaker, nc.outlet AS new_outlet,
           nc.url AS new_url, COALESCE(nc.said_at, nc.published_at) AS new_date,
           COALESCE(pc.evidence, b.evidence) AS old_evidence,
           pc.speaker AS old_speaker,
           COALESCE(pc.outlet, CASE WHEN b.id IS NOT NULL THEN 'baseline (' || b.seed_file || ')' END) AS old_outlet,
           pc.url AS old_url, COALESCE(pc.said_at, pc.published_at, b.since) AS old_date,
           CASE WHEN pc.claim_id IS NOT NULL THEN 'claim' WHEN b.id IS NOT NULL THEN 'baseline' END AS old_source,
           s.claim_id, s.previous_claim_id, s.previous_baseline_id, s.review_note, s.reviewed_at
    FROM shifts s
    LEFT JOIN claim_evidence nc ON nc.claim_id = s.claim_id
    LEFT JOIN claim_evidence pc ON pc.claim_id = s.previous_claim_id
    LEFT JOIN baseline b ON b.id = s.previous_baseline_id""")


def _m003_evidence_views_link_first(db: sqlite_utils.Database) -> None:
    # The same views, the link beside the sentence: a Datasette table page shows
    # columns in view order, and at 1400 px the link sat off screen at the far right.
    db.execute("DROP VIEW shift_evidence")
    db.execute("DROP VIEW claim_evidence")
    db.execute("""
    CREATE VIEW claim_evidence AS
    SELECT c.id AS claim_id, c.actor, c.topic, c.stance, c.confidence, c.evidence, a.url,
           COALESCE(a.outlet, f.outlet, f.name) AS outlet, c.speaker, c.said_at, c.time_cue, c.review_status,
           a.title AS article_title, a.published_at, c.article_id, c.version_id, v.number AS version_number,
           (v.number = (SELECT MAX(number) FROM versions WHERE article_id = c.article_id)) AS in_current_text,
           c.created_at
    FROM claims c
    JOIN versions v ON v.id = c.version_id
    JOIN articles a ON a.id = c.article_id
    LEFT JOIN feeds f ON f.id = a.feed_id""")
    db.execute("""
    CREATE VIEW shift_evidence AS
    SELECT s.id AS shift_id, s.actor, s.topic, s.from_stance, s.to_stance, s.since,
           nc.evidence AS new_evidence, nc.url AS new_url, nc.outlet AS new_outlet,
           COALESCE(pc.evidence, b.evidence) AS old_evidence, pc.url AS old_url,
           COALESCE(pc.outlet, CASE WHEN b.id IS NOT NULL THEN 'baseline (' || b.seed_file || ')' END) AS old_outlet,
           s.status, s.corroboration, s.confidence, s.retrospective, s.detected_at,
           nc.speaker AS new_speaker, COALESCE(nc.said_at, nc.published_at) AS new_date,
           pc.speaker AS old_speaker, COALESCE(pc.said_at, pc.published_at, b.since) AS old_date,
           CASE WHEN pc.claim_id IS NOT NULL THEN 'claim' WHEN b.id IS NOT NULL THEN 'baseline' END AS old_source,
           s.claim_id, s.previous_claim_id, s.previous_baseline_id, s.review_note, s.reviewed_at
    FROM shifts s
    LEFT JOIN claim_evidence nc ON nc.claim_id = s.claim_id
    LEFT JOIN claim_evidence pc ON pc.claim_id = s.previous_claim_id
    LEFT JOIN baseline b ON b.id = s.previous_baseline_id""")


def _m004_analysis_status_and_pending_entries(db: sqlite_utils.Database) -> None:
    # A version is committed before it is analysed: 'pending' until analysed,
    # 'failed' with the reason when the stance engine failed (retried later).
    # Versions written outside the pipeline (tests, imports) count as analysed.
    db.execute("ALTER TABLE versions ADD COLUMN analysis_status TEXT NOT NULL DEFAULT 'done'")
    db.execute("ALTER TABLE versions ADD COLUMN analysis_error TEXT")
    db.execute("ALTER TABLE versions ADD COLUMN analysis_attempts INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE versions ADD COLUMN analysed_at TEXT")
    db.execute("CREATE INDEX idx_versions_analysis ON versions(analysis_status)")
    # New feed entries, saved in the transaction that writes the feed's new
    # validators, and removed when their article is stored: a re-poll can be
    # a 304 whatever fails downstream, and no entry is lost.
    db.execute("""
    CREATE TABLE pending_entries (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        url TEXT NOT NULL UNIQUE,
        entry TEXT NOT NULL,            -- JSON of the feed entry
        first_seen_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT
    )""")
    db.execute("CREATE INDEX idx_pending_feed ON pending_entries(feed_id, next_attempt_at)")
    # Entries of the last poll that were skipped (no link, not http(s), a duplicate guid or link), and why.
    db.execute("ALTER TABLE feeds ADD COLUMN entries_skipped INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE feeds ADD COLUMN skipped_reasons TEXT")


def _m005_position_evidence(db: sqlite_utils.Database) -> None:
    # Evidence-weighted positions (tracker/positions/decide.py): each report in
    # position_history carries its weight and source; a shift has a level
    # (signal | shift: only a shift moves the position) and a kind.
    for column in ("level TEXT NOT NULL DEFAULT 'shift'", "kind TEXT",
                   "new_weight REAL", "old_weight REAL", "reason TEXT"):
        db.execute(f"ALTER TABLE shifts ADD COLUMN {column}")
    db.execute("""UPDATE shifts SET kind = CASE WHEN to_stance = 'conditional' THEN 'softening'
                  WHEN from_stance = 'conditional' THEN 'hardening' ELSE 'reversal' END""")
    for column in ("weight REAL NOT NULL DEFAULT 0", "outlet TEXT", "fingerprint TEXT",
                   "own_words INTEGER NOT NULL DEFAULT 0", "official INTEGER NOT NULL DEFAULT 0", "confidence REAL",
                   "shift_id INTEGER REFERENCES shifts(id)"):
        db.execute(f"ALTER TABLE position_history ADD COLUMN {column}")
    db.execute("ALTER TABLE articles ADD COLUMN date_note TEXT")  # why published_at was not trusted
    db.execute("ALTER TABLE claims ADD COLUMN date_note TEXT")    # why said_at is not the text's date


def _m006_languages(db: sqlite_utils.Database) -> None:
    # The language of each version (detected, or as the page declares it) picks the
    # stance rules; each claim keeps the language its evidence is quoted in.
    db.execute("ALTER TABLE versions ADD COLUMN language TEXT")
    db.execute("ALTER TABLE claims ADD COLUMN language TEXT")
    db.execute("CREATE INDEX idx_versions_language ON versions(language)")
    db.execute("CREATE INDEX idx_claims_language ON claims(language)")


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_core", _m001_core),
    ("002_publish_views", _m002_publish_views),
    ("003_evidence_views_link_first", _m003_evidence_views_link_first),
    ("004_analysis_status_and_pending_entries", _m004_analysis_status_and_pending_entries),
    ("005_position_evidence", _m005_position_evidence),
    ("006_languages", _m006_languages),
]


def open_db(path: Path | str, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating when missing) and migrate the database at ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        if migrate:
            apply_migrations(db)
        return db
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path}: cannot open the database ({exc}); check the path and that it is a tracker "
            "SQLite file, or move it away and run 'tracker init'"
        ) from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the database: {exc.strerror}") from None


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM migrations").fetchall()}
    applied = []
    for name, migration in MIGRATIONS:
        if name in done:
            continue
        with db.conn:  # one transaction per migration
            db.conn.execute("BEGIN IMMEDIATE")
            migration(db)
            db.conn.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, datetime('now'))", (name,)
            )
        applied.append(name)
    return applied


def transaction(db: sqlite_utils.Database):
    """Context manager for one write transaction (BEGIN IMMEDIATE ... COMMIT)."""
    return _Transaction(db.conn)


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
        return False
