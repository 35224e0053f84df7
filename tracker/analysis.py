"""Analyse a stored version: claims -> positions -> shifts (or article edits).

The pipeline commits an article and its version first and analyses it
after, in a transaction of its own (``Analyser``): a failing stance engine
(a bug, a broken ``topics.toml`` edited while the daemon runs) never loses
the article. The version is then marked ``analysis_failed`` with the reason,
logged once per cause, and analysed again by the next cycle or by
``tracker reanalyse``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tracker.clock import iso
from tracker.db import transaction
from tracker.errors import TrackerError
from tracker.models import Claim
from tracker.positions.decide import Report, trusted_date
from tracker.positions.shifts import OFFICIAL_TAG, apply_reports


log = logging.getLogger(__name__)

# The stance engine is linear in the text (about 2 ms per 1,000 characters): a text
# up to this size is read in this process, in well under a second; a longer one
# (a pathological page) goes to a worker process under [polling] extract_timeout.
IN_PROCESS_MAX_CHARS = 100_000

# A version whose analysis raised this many times is retried only by
# 'tracker reanalyse --failed' (a failing engine load does not count).
MAX_ANALYSIS_ATTEMPTS = 5
RETRY_BATCH = 200


class OnceLog:
    """Logs a recurring failure once per cause instead of once per article.

    The daemon keeps one for its life; a ``tracker poll`` one per cycle.
    """

    def __init__(self, logger: logging.Logger = log) -> None:
        self.logger = logger
        self.counts: dict[str, int] = {}

    def warning(self, cause: str, message: str, *args: Any) -> bool:
        """Log ``message`` if ``cause`` is new; return whether it was logged."""
        seen = self.counts.get(cause, 0)
        self.counts[cause] = seen + 1
        if not seen:
            self.logger.warning(message + " (logged once per cause)", *args)
        return not seen

    def forget(self, prefix: str) -> None:
        """Log the causes starting with ``prefix`` again next time (the failure went away)."""
        for cause in [c for c in self.counts if c.startswith(prefix)]:
            del self.counts[cause]


@dataclass(frozen=True)
class Analysed:
    version_id: int
    claims: int = 0
    shifts: int = 0
    error: str | None = None


def check_stance_files(config) -> None:
    """Load the stance engine now: raise ConfigError naming the file and the fix."""
    from tracker.stance import load_engine

    load_engine(config.stance.actors, config.stance.topics)


def find_claims_in(text: str, published: str, actors: str, topics: str, min_confidence: float,
                   language: str | None = None) -> list:
    """The claims of one text: a top-level function, so a worker process can run it under a time limit."""
    from tracker.stance import find_claims, load_engine

    engine = load_engine(actors, topics)
    return [c for c in find_claims(text, published=published, engine=engine, language=language)
            if c.confidence >= min_confidence]


class Analyser:
    """Analyses committed versions for one cycle; loads the stance engine once.

    With a ``runner`` that enforces a time limit (the pipeline's process-pool
    extractor), the stance engine reads each text in a worker process, so a
    pathological text costs at most ``[polling] extract_timeout`` and is
    recorded as failed with that reason.
    """

    def __init__(self, db, config, *, clock, notes: OnceLog | None = None, runner=None) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.notes = notes or OnceLog()
        self.runner = runner if getattr(runner, "time_limit_s", None) else None
        self._engine = None
        self._engine_error: str | None = None
        self.failures: dict[str, int] = {}  # cause -> versions failed this cycle

    def engine(self):
        """The stance engine, loaded on first use; TrackerError when its files are wrong."""
        if self._engine is None and self._engine_error is None:
            from tracker.stance import load_engine

            try:
                self._engine = load_engine(self.config.stance.actors, self.config.stance.topics)
                self.notes.forget("engine:")
            except TrackerError as exc:
                self._engine_error = exc.message
        if self._engine_error is not None:
            raise TrackerError(self._engine_error, reason="stance-files")
        return self._engine

    def run(self, version_id: int, *, only_new: bool = False) -> Analysed:
        """Analyse one committed version in its own transaction; a failure marks it with the reason.

        ``only_new`` (``tracker reanalyse --all``) records only the claims not
        already stored for the version, so a rerun with unchanged rules changes nothing.
        """
        try:
            engine = self.engine()
        except TrackerError as exc:
            return self._failed(version_id, f"engine:{exc.message}", exc.message)
        from tracker.extract import WorkTimeout

        try:
            with transaction(self.db):
                claims, shifts = analyse_version(self.db, self.config, version_id, clock=self.clock, engine=engine,
                                                 only_new=only_new, find=self._find())
                self.db.execute("UPDATE versions SET analysis_status = 'done', analysis_error = NULL, analysed_at = ?"
                                " WHERE id = ?", [iso(self.clock.now()), version_id])
        except WorkTimeout:
            # It would overrun again: left to 'tracker reanalyse --failed' rather than every cycle.
            why = (f"analysis took longer than {self.runner.time_limit_s:g}s ([polling] extract_timeout); "
                   "its worker process was replaced")
            return self._failed(version_id, f"version:{why}", why, attempts=MAX_ANALYSIS_ATTEMPTS)
        except Exception as exc:  # a bug in the engine must not lose the article: mark and go on
            why = f"{type(exc).__name__}: {exc}"
            return self._failed(version_id, f"version:{why}", why, attempts=1)
        return Analysed(version_id, claims, shifts)

    def _find(self):
        """Claims of a long text in a worker process under the time limit, of a short one here;
        None without a runner (everything in this process)."""
        if self.runner is None:
            return None
        from tracker.stance import find_claims

        stance = self.config.stance
        engine = self.engine()

        def find(text: str, published: str, language: str | None = None) -> list:
            if len(text) <= IN_PROCESS_MAX_CHARS:  # bounded by its size: no round trip to a worker
                return [c for c in find_claims(text, published=published, engine=engine, language=language)
                        if c.confidence >= stance.min_confidence]
            return self.runner.run(find_claims_in, text, published, str(stance.actors), str(stance.topics),
                                   stance.min_confidence, language)

        return find

    def _failed(self, version_id: int, cause: str, why: str, *, attempts: int = 0) -> Analysed:
        with transaction(self.db):
            self.db.execute("UPDATE versions SET analysis_status = 'failed', analysis_error = ?,"
                            " analysis_attempts = analysis_attempts + ? WHERE id = ?", [why, attempts, version_id])
        self.failures[why] = self.failures.get(why, 0) + 1
        self.notes.warning(cause, "analysis of version %d failed: %s; the article is kept and analysed "
                           "again by the next cycle or 'tracker reanalyse --failed'", version_id, why)
        return Analysed(version_id, error=why)

    def retry(self, *, failed_only: bool = False, every_attempt: bool = False,
              limit: int | None = RETRY_BATCH) -> list[Analysed]:
        """Analyse versions left pending (a crash) or failed, oldest first.

        Nothing is touched while the stance engine cannot load.
        """
        statuses = ("failed",) if failed_only else ("pending", "failed")
        sql = (f"SELECT id FROM versions WHERE analysis_status IN ({','.join('?' * len(statuses))})"
               + ("" if every_attempt else f" AND analysis_attempts < {MAX_ANALYSIS_ATTEMPTS}") + " ORDER BY id"
               + (f" LIMIT {int(limit)}" if limit else ""))
        ids = [r[0] for r in self.db.execute(sql, statuses).fetchall()]
        if not ids:
            return []
        try:
            self.engine()
        except TrackerError:
            return []
        return [self.run(version_id) for version_id in ids]


def analyse_version(db, config, version_id: int, *, clock, engine=None, only_new: bool = False,
                    find=None) -> tuple[int, int]:
    """Find claims in the version, update positions, record shifts (in the caller's transaction).

    Returns (claims_new, shifts_new). A second or later version of an article
    records how its claims changed as an article edit, never as a shift.
    ``only_new`` skips the claims already stored for this version (same actor,
    topic, stance, evidence and date): re-reading history with new rules.
    ``find(text, published, language)`` finds the claims elsewhere (a worker process).
    """
    from tracker.stance import find_claims, load_engine, with_title

    row = db.execute(
        """SELECT v.article_id, v.number, v.text, v.title, a.published_at, a.first_seen_at, a.outlet, a.url,
                  v.fingerprint, f.tags, v.language
           FROM versions v JOIN articles a ON a.id = v.article_id LEFT JOIN feeds f ON f.id = a.feed_id
           WHERE v.id = ?""",
        (version_id,),
    ).fetchone()
    if row is None:
        return (0, 0)
    article_id, number, text, title, published_at, first_seen_at, outlet, url, fingerprint, tags, language = row
    now = clock.now()
    params = config.positions
    published, why = trusted_date(published_at, fallback=first_seen_at or iso(now), now_iso=iso(now), params=params)
    if why:
        db.execute("UPDATE articles SET date_note = ? WHERE id = ?", (why, article_id))
    if language is None:  # a version stored before languages were recorded
        from tracker.stance.language import detect_language

        language = detect_language(text)
        db.execute("UPDATE versions SET language = ? WHERE id = ?", (language, version_id))
    if find is not None:
        claims = find(with_title(title, text), published, language)
    else:
        engine = engine or load_engine(config.stance.actors, config.stance.topics)
        claims = [
            claim for claim in find_claims(with_title(title, text), published=published, engine=engine,
                                           language=language)
            if claim.confidence >= config.stance.min_confidence
        ]
    dated = [trusted_date(c.said_at, fallback=published, now_iso=iso(now), params=params) for c in claims]
    if only_new:
        stored = set(db.execute("SELECT actor, topic, stance, evidence, said_at FROM claims WHERE version_id = ?",
                                (version_id,)).fetchall())
        kept = [(c, d) for c, d in zip(claims, dated) if (c.actor, c.topic, c.stance, c.evidence, d[0]) not in stored]
        if not kept:
            return (0, 0)
        claims, dated = [c for c, _ in kept], [d for _, d in kept]
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


def _insert_claim(db, claim: Claim, version_id: int, article_id: int, said_at: str, date_note: str | None,
                  now) -> int:
    cursor = db.execute(
        """INSERT INTO claims (version_id, article_id, actor, topic, stance, confidence, evidence, speaker,
               said_at, time_cue, date_note, created_at, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (version_id, article_id, claim.actor, claim.topic, claim.stance, round(claim.confidence, 3),
         claim.evidence, claim.speaker, said_at, claim.time_cue, date_note, iso(now), claim.language),
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
