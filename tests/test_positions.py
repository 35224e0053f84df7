"""Position rules and shift bookkeeping on a real SQLite file."""

from __future__ import annotations

import hashlib
import json

import pytest

from tracker.clock import FixedClock
from tracker.db import transaction
from tracker.positions.decide import OLDER, REAFFIRMED, SHIFTED, STARTED, Current, Report, decide, pick_representative
from tracker.positions.shifts import apply_reports, review

CLOCK = FixedClock("2025-03-01T12:00:00")


class Articles:
    """Writes articles, versions and claims the way the pipeline does."""

    def __init__(self, db):
        self.db = db
        self.n = 0

    def feed(self, name: str, tags=()) -> int:
        return self.db.execute(
            "INSERT INTO feeds (name, url, configured_url, interval_s, tags, created_at) VALUES (?, ?, ?, 60, ?, ?)",
            (name, f"https://{name}.example/feed", f"https://{name}.example/feed", json.dumps(list(tags)), "2025-01-01"),
        ).lastrowid

    def claim(self, actor, stance, date, *, outlet="Outlet A", text=None, feed_id=None, time_cue=None,
              confidence=0.9, topic="troops-to-ukraine") -> Report:
        self.n += 1
        text = text or f"article {self.n}: {actor} {stance}"
        article = self.db.execute(
            "INSERT INTO articles (feed_id, url, outlet, published_at, first_seen_at) VALUES (?, ?, ?, ?, ?)",
            (feed_id, f"https://news.example/{self.n}", outlet, date, date),
        ).lastrowid
        version = self.db.execute(
            "INSERT INTO versions (article_id, number, fetched_at, fingerprint, text) VALUES (?, 1, ?, ?, ?)",
            (article, date, hashlib.sha256(text.encode()).hexdigest(), text),
        ).lastrowid
        claim = self.db.execute(
            "INSERT INTO claims (version_id, article_id, actor, topic, stance, confidence, evidence, said_at, time_cue, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (version, article, actor, topic, stance, confidence, f"{actor} is {stance}", date, time_cue, date),
        ).lastrowid
        return Report(actor=actor, topic=topic, stance=stance, date=date, confidence=confidence,
                      retrospective=time_cue is not None, claim_id=claim, outlet=outlet)

    def apply(self, *reports):
        with transaction(self.db):
            return apply_reports(self.db, list(reports), now=CLOCK.now())


@pytest.fixture
def articles(db):
    return Articles(db)


def shifts(db):
    return [dict(zip(("actor", "from", "to", "retro", "status", "corr"), row)) for row in db.execute(
        "SELECT actor, from_stance, to_stance, retrospective, status, corroboration FROM shifts ORDER BY id")]


@pytest.mark.parametrize("current, report, effect", [
    (None, ("support", "2024-01-01"), STARTED),
    (("oppose", "2024-02-01"), ("oppose", "2024-12-01"), REAFFIRMED),
    (("oppose", "2024-02-01"), ("support", "2024-12-01"), SHIFTED),
    (("support", "2024-12-01"), ("oppose", "2024-02-01"), OLDER),
    (("support", "2024-12-01"), ("oppose", "2024-12-01"), SHIFTED),
], ids=["first-report-starts", "same-stance-reaffirms", "newer-other-stance-shifts",
        "older-report-is-history", "same-day-report-shifts"])
def test_decide(current, report, effect):
    cur = None if current is None else Current(current[0], current[1], None, None)
    rep = Report(actor="DE", topic="t", stance=report[0], date=report[1], confidence=0.9)
    assert decide(cur, rep) == effect


def test_present_tense_report_represents_the_article():
    past = Report("IT", "t", "support", "2024-12-12", 0.95, retrospective=True)
    present = Report("IT", "t", "oppose", "2024-12-12", 0.6)
    assert pick_representative([past, present]) is present


def test_first_report_starts_position_without_shift(db, articles):
    assert articles.apply(articles.claim("DE", "oppose", "2024-02-28")) == []
    row = db.execute("SELECT stance, since FROM positions WHERE actor = 'DE'").fetchone()
    assert row == ("oppose", "2024-02-28")
    assert shifts(db) == []


def test_change_of_stance_is_a_shift_with_both_claims(db, articles):
    old = articles.claim("DE", "oppose", "2024-02-28")
    articles.apply(old)
    new = articles.claim("DE", "support", "2024-12-10")
    [shift_id] = articles.apply(new)
    row = db.execute("SELECT from_stance, to_stance, claim_id, previous_claim_id, since, status FROM shifts WHERE id = ?",
                     (shift_id,)).fetchone()
    assert row == ("oppose", "support", new.claim_id, old.claim_id, "2024-12-10", "new")
    assert db.execute("SELECT stance FROM positions WHERE actor = 'DE'").fetchone() == ("support",)


def test_past_tense_claim_does_not_override_a_newer_position(db, articles):
    articles.apply(articles.claim("DE", "oppose", "2024-02-28"))
    articles.apply(articles.claim("DE", "support", "2024-12-10"))
    # An article of 2025 recalls what Germany said in February 2024.
    late = articles.claim("DE", "oppose", "2024-02-27", time_cue="in February 2024")
    assert articles.apply(late) == []
    assert db.execute("SELECT stance, since FROM positions WHERE actor = 'DE'").fetchone() == ("support", "2024-12-10")
    effects = [r[0] for r in db.execute("SELECT effect FROM position_history WHERE actor = 'DE' ORDER BY id")]
    assert effects == ["started", "shifted", "older"]


def test_retrospective_claim_that_is_newest_information_shifts_with_lower_confidence(db, articles):
    articles.apply(articles.claim("IT", "oppose", "2024-02-28"))
    [shift_id] = articles.apply(articles.claim("IT", "support", "2024-12-12", time_cue="previously", confidence=0.9))
    retro, confidence = db.execute("SELECT retrospective, confidence FROM shifts WHERE id = ?", (shift_id,)).fetchone()
    assert retro == 1 and confidence < 0.9


def test_older_article_changes_nothing(db, articles):
    articles.apply(articles.claim("PL", "oppose", "2025-02-18"))
    assert articles.apply(articles.claim("PL", "support", "2024-03-01")) == []
    assert db.execute("SELECT stance FROM positions WHERE actor = 'PL'").fetchone() == ("oppose",)


def test_second_outlet_confirms_and_syndicated_copies_count_once(db, articles):
    articles.apply(articles.claim("SE", "oppose", "2024-02-28"))
    text = "Sweden would not rule out sending forces."
    [shift_id] = articles.apply(articles.claim("SE", "conditional", "2025-02-18", outlet="Wire A", text=text))
    # The same wire text republished by another outlet: one report, not two.
    articles.apply(articles.claim("SE", "conditional", "2025-02-18", outlet="Paper B", text=text))
    assert shifts(db)[-1]["corr"] == 1 and shifts(db)[-1]["status"] == "new"
    # An independent report by a second outlet corroborates and confirms.
    articles.apply(articles.claim("SE", "conditional", "2025-02-19", outlet="Paper C"))
    assert db.execute("SELECT corroboration, status FROM shifts WHERE id = ?", (shift_id,)).fetchone() == (2, "confirmed")


def test_official_source_confirms(db, articles):
    official = articles.feed("gov", tags=["official"])
    articles.apply(articles.claim("NL", "oppose", "2024-02-28"))
    [shift_id] = articles.apply(articles.claim("NL", "support", "2025-01-10", feed_id=official))
    assert db.execute("SELECT status FROM shifts WHERE id = ?", (shift_id,)).fetchone() == ("confirmed",)


def test_one_shift_per_actor_per_article(db, articles):
    articles.apply(articles.claim("DE", "support", "2024-12-10"))
    a = articles.claim("DE", "oppose", "2025-02-18", confidence=0.9)
    b = articles.claim("DE", "conditional", "2025-02-18", confidence=0.7)
    assert len(articles.apply(a, b)) == 1
    assert shifts(db)[-1]["to"] == "oppose"


def test_dismissing_a_shift_restores_the_previous_position(db, articles):
    articles.apply(articles.claim("FR", "support", "2024-02-26"))
    [shift_id] = articles.apply(articles.claim("FR", "oppose", "2024-12-01"))
    with transaction(db):
        result = review(db, shift_id, "dismissed", note="misread quote", now=CLOCK.now())
    assert result["position_reverted"] is True
    assert db.execute("SELECT stance, since FROM positions WHERE actor = 'FR'").fetchone() == ("support", "2024-02-26")
    assert db.execute("SELECT status, review_note FROM shifts WHERE id = ?", (shift_id,)).fetchone() == ("dismissed", "misread quote")


def test_review_of_unknown_shift_says_which_ids_exist(db, articles):
    from tracker.errors import TrackerError
    with pytest.raises(TrackerError, match="no shift with id 7; there are no shifts yet"):
        review(db, 7, "confirmed", note=None, now=CLOCK.now())
