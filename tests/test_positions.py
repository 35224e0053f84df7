"""Position rules and shift bookkeeping on a real SQLite file."""

from __future__ import annotations

import hashlib
import json

import pytest

from tracker.clock import FixedClock
from tracker.db import transaction
from tracker.positions.decide import (
    CONTRARY, OLDER, REAFFIRMED, STARTED, Current, PositionParams, Report, decide, kind_of, pick_representative,
    report_weight, trusted_date,
)
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
              confidence=0.9, topic="troops-to-ukraine", speaker=None, official=False) -> Report:
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
            "INSERT INTO claims (version_id, article_id, actor, topic, stance, confidence, evidence, speaker, said_at, "
            "time_cue, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (version, article, actor, topic, stance, confidence, f"{actor} is {stance}", speaker, date, time_cue, date),
        ).lastrowid
        return Report(actor=actor, topic=topic, stance=stance, date=date, confidence=confidence,
                      retrospective=time_cue is not None, claim_id=claim, outlet=outlet, speaker=speaker,
                      official=official or feed_id is not None,
                      fingerprint=hashlib.sha256(text.encode()).hexdigest())

    def apply(self, *reports, params=PositionParams()):
        with transaction(self.db):
            return apply_reports(self.db, list(reports), now=CLOCK.now(), params=params)


@pytest.fixture
def articles(db):
    return Articles(db)


def shifts(db):
    return [dict(zip(("actor", "from", "to", "retro", "status", "corr", "level", "kind"), row)) for row in db.execute(
        "SELECT actor, from_stance, to_stance, retrospective, status, corroboration, level, kind FROM shifts ORDER BY id")]


def position(db, actor):
    return db.execute("SELECT stance FROM positions WHERE actor = ?", (actor,)).fetchone()[0]


@pytest.mark.parametrize("current, report, effect", [
    (None, ("support", "2024-01-01"), STARTED),
    (("oppose", "2024-02-01"), ("oppose", "2024-12-01"), REAFFIRMED),
    (("oppose", "2024-02-01"), ("support", "2024-12-01"), CONTRARY),
    (("support", "2024-12-01"), ("oppose", "2024-02-01"), OLDER),
    (("support", "2024-12-01"), ("oppose", "2024-12-01"), CONTRARY),
    (("support", "2099-01-01"), ("oppose", "2025-02-01"), CONTRARY),
], ids=["first-report-starts", "same-stance-reaffirms", "newer-other-stance-is-contrary",
        "older-report-is-history", "same-day-report-is-contrary", "future-position-never-blocks"])
def test_decide(current, report, effect):
    cur = None if current is None else Current(current[0], current[1], None, None)
    rep = Report(actor="DE", topic="t", stance=report[0], date=report[1], confidence=0.9)
    assert decide(cur, rep, today="2025-03-01") == effect


@pytest.mark.parametrize("old, new, kind", [
    ("support", "oppose", "reversal"), ("oppose", "support", "reversal"), ("oppose", "conditional", "softening"),
    ("support", "conditional", "softening"), ("conditional", "support", "hardening"),
    ("conditional", "oppose", "hardening"),
])
def test_kind_of_change(old, new, kind):
    assert kind_of(old, new) == kind


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
    new = articles.claim("DE", "support", "2024-12-10", speaker="Olaf Scholz")
    [shift_id] = articles.apply(new)
    row = db.execute("SELECT from_stance, to_stance, claim_id, previous_claim_id, since, status FROM shifts WHERE id = ?",
                     (shift_id,)).fetchone()
    assert row == ("oppose", "support", new.claim_id, old.claim_id, "2024-12-10", "new")
    assert db.execute("SELECT stance FROM positions WHERE actor = 'DE'").fetchone() == ("support",)


def test_past_tense_claim_does_not_override_a_newer_position(db, articles):
    articles.apply(articles.claim("DE", "oppose", "2024-02-28"))
    articles.apply(articles.claim("DE", "support", "2024-12-10", speaker="Olaf Scholz"))
    # An article of 2025 recalls what Germany said in February 2024.
    late = articles.claim("DE", "oppose", "2024-02-27", time_cue="in February 2024")
    assert articles.apply(late) == []
    assert db.execute("SELECT stance, since FROM positions WHERE actor = 'DE'").fetchone() == ("support", "2024-12-10")
    effects = [r[0] for r in db.execute("SELECT effect FROM position_history WHERE actor = 'DE' ORDER BY id")]
    assert effects == ["started", "contrary", "older"]


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
    [shift_id] = articles.apply(articles.claim("FR", "oppose", "2024-12-01", speaker="Emmanuel Macron"))
    with transaction(db):
        result = review(db, shift_id, "dismissed", note="misread quote", now=CLOCK.now())
    assert result["position_reverted"] is True
    assert db.execute("SELECT stance, since FROM positions WHERE actor = 'FR'").fetchone() == ("support", "2024-02-26")
    assert db.execute("SELECT status, review_note FROM shifts WHERE id = ?", (shift_id,)).fetchone() == ("dismissed", "misread quote")


def test_review_of_unknown_shift_says_which_ids_exist(db, articles):
    from tracker.errors import TrackerError
    with pytest.raises(TrackerError, match="no shift with id 7; there are no shifts yet"):
        review(db, 7, "confirmed", note=None, now=CLOCK.now())


# --- evidence, hysteresis and levels (tracker/positions/decide.py) ---------------------


def often_reaffirmed(articles, actor="PL", stance="oppose"):
    """A position stated by the actor's own minister and reaffirmed by three outlets."""
    articles.apply(articles.claim(actor, stance, "2025-01-10", outlet="Wire A", speaker="Minister"))
    for day, outlet in (("2025-01-20", "Paper B"), ("2025-02-01", "Paper C"), ("2025-02-10", "Paper D")):
        articles.apply(articles.claim(actor, stance, day, outlet=outlet))


def test_single_contrary_claim_against_an_often_reaffirmed_position_is_a_signal(db, articles):
    often_reaffirmed(articles)
    [shift_id] = articles.apply(articles.claim("PL", "support", "2025-02-20", outlet="Paper E"))
    row = db.execute("SELECT level, status, reason FROM shifts WHERE id = ?", (shift_id,)).fetchone()
    assert row[:2] == ("signal", "new")
    assert row[2].endswith("position held")
    assert position(db, "PL") == "oppose"


def test_a_second_outlet_makes_it_a_shift(db, articles):
    articles.apply(articles.claim("NL", "oppose", "2024-06-01", outlet="Wire A"))
    [shift_id] = articles.apply(articles.claim("NL", "support", "2025-02-18", outlet="Paper B"))
    assert shifts(db)[-1]["level"] == "signal"
    assert articles.apply(articles.claim("NL", "support", "2025-02-19", outlet="Paper C")) == []
    assert db.execute("SELECT level, corroboration FROM shifts WHERE id = ?", (shift_id,)).fetchone() == ("shift", 2)
    assert position(db, "NL") == "support"


def test_a_commitment_reported_by_one_outlet_is_a_shift(db, articles):
    articles.apply(articles.claim("NO", "conditional", "2024-12-01", outlet="Wire A", confidence=0.4))
    # "Norway is ready to send soldiers, a government source told Paper B": reported, one outlet
    [shift_id] = articles.apply(articles.claim("NO", "support", "2025-02-18", outlet="Paper B", confidence=0.9))
    row = db.execute("SELECT level, kind, reason FROM shifts WHERE id = ?", (shift_id,)).fetchone()
    assert row[:2] == ("shift", "hardening")
    assert "1 outlet, a commitment" in row[2]
    assert position(db, "NO") == "support"


def test_a_commitment_needs_commitment_outlets(db, articles):
    params = PositionParams(commitment_outlets=2)
    articles.apply(articles.claim("NO", "conditional", "2024-12-01", outlet="Wire A", confidence=0.4), params=params)
    articles.apply(articles.claim("NO", "support", "2025-02-18", outlet="Paper B", confidence=0.9), params=params)
    assert [(s["level"], s["kind"]) for s in shifts(db)] == [("signal", "hardening")]
    assert position(db, "NO") == "conditional"


def test_a_reversal_reported_by_one_outlet_stays_a_signal(db, articles):
    articles.apply(articles.claim("NO", "oppose", "2024-12-01", outlet="Wire A", confidence=0.4))
    articles.apply(articles.claim("NO", "support", "2025-02-18", outlet="Paper B", confidence=0.9))
    assert [(s["level"], s["kind"]) for s in shifts(db)] == [("signal", "reversal")]
    assert position(db, "NO") == "oppose"


def test_syndicated_copies_do_not_make_a_shift(db, articles):
    articles.apply(articles.claim("NL", "oppose", "2024-06-01", outlet="Wire A"))
    text = "The Netherlands is ready to send troops."
    articles.apply(articles.claim("NL", "support", "2025-02-18", outlet="Wire B", text=text))
    articles.apply(articles.claim("NL", "support", "2025-02-18", outlet="Paper C", text=text))
    assert [s["level"] for s in shifts(db)] == ["signal"]


def test_leaders_own_words_make_a_shift(db, articles):
    articles.apply(articles.claim("DE", "support", "2024-12-10", outlet="Wire A"))
    [shift_id] = articles.apply(articles.claim("DE", "oppose", "2025-02-18", outlet="Paper B",
                                               speaker="Olaf Scholz", confidence=0.9))
    assert db.execute("SELECT level, kind FROM shifts WHERE id = ?", (shift_id,)).fetchone() == ("shift", "reversal")
    assert "the actor's own official" in db.execute("SELECT reason FROM shifts").fetchone()[0]
    assert position(db, "DE") == "oppose"


def test_own_words_with_low_confidence_stay_a_signal(db, articles):
    articles.apply(articles.claim("SE", "oppose", "2024-02-28", outlet="Wire A"))
    articles.apply(articles.claim("SE", "conditional", "2025-02-18", outlet="Paper B", speaker="Minister",
                                  confidence=0.6))
    assert [(s["level"], s["kind"]) for s in shifts(db)] == [("signal", "softening")]


def test_third_party_claim_weighs_less_than_the_actors_own_words():
    own = Report("DE", "t", "support", "2025-02-18", 0.8, speaker="Boris Pistorius")
    reported = Report("DE", "t", "support", "2025-02-18", 0.8)
    assert report_weight(reported) < report_weight(own)


def test_third_party_claim_does_not_move_a_position_the_actor_stated(db, articles):
    articles.apply(articles.claim("DE", "conditional", "2025-01-10", outlet="Wire A", speaker="Olaf Scholz"))
    # "Lombard said Britain, Germany and France are ready": Germany reported by someone else.
    articles.apply(articles.claim("DE", "support", "2025-01-20", outlet="Paper B"))
    assert position(db, "DE") == "conditional"
    assert shifts(db)[-1]["level"] == "signal"


def test_a_fresh_first_reading_outweighed_days_later_is_corrected_not_shifted(db, articles):
    # One outlet read Sweden as opposed; two days later two outlets quote its minister as open.
    articles.apply(articles.claim("SE", "oppose", "2025-02-16", outlet="Wire A", speaker="Minister"))
    articles.apply(articles.claim("SE", "conditional", "2025-02-18", outlet="Paper B", speaker="Minister"))
    articles.apply(articles.claim("SE", "conditional", "2025-02-18", outlet="Paper C"))
    assert [(s["level"], s["status"]) for s in shifts(db)] == [("correction", "confirmed")]
    assert position(db, "SE") == "conditional"


def test_official_feed_makes_a_shift(db, articles):
    official = articles.feed("gov", tags=["official"])
    articles.apply(articles.claim("NL", "oppose", "2024-02-28"))
    [shift_id] = articles.apply(articles.claim("NL", "support", "2025-01-10", feed_id=official))
    assert db.execute("SELECT level, status FROM shifts WHERE id = ?", (shift_id,)).fetchone() == ("shift", "confirmed")


def test_dismissed_shift_restores_and_its_evidence_no_longer_counts(db, articles):
    articles.apply(articles.claim("FR", "support", "2024-12-01", outlet="Wire A"))
    [shift_id] = articles.apply(articles.claim("FR", "oppose", "2025-01-10", outlet="Paper B",
                                               speaker="Emmanuel Macron"))
    assert position(db, "FR") == "oppose"
    with transaction(db):
        review(db, shift_id, "dismissed", note="quote is about Russian troops", now=CLOCK.now())
    assert position(db, "FR") == "support"
    # One more third-party report of the dismissed stance: the dismissed evidence does not
    # add up with it, so the position holds.
    articles.apply(articles.claim("FR", "oppose", "2025-01-12", outlet="Paper C"))
    assert position(db, "FR") == "support"


def test_confirmed_shift_is_not_undone_by_the_weights(db, articles):
    often_reaffirmed(articles, actor="IT", stance="oppose")
    [shift_id] = articles.apply(articles.claim("IT", "support", "2025-02-20", outlet="Paper E"))
    assert position(db, "IT") == "oppose"
    with transaction(db):
        result = review(db, shift_id, "confirmed", note="Meloni's office confirmed", now=CLOCK.now())
    assert result["status"] == "confirmed"
    assert position(db, "IT") == "support"
    assert db.execute("SELECT level FROM shifts WHERE id = ?", (shift_id,)).fetchone() == ("shift",)
    # The old stance's weight and a new third-party report of it do not undo the verdict.
    articles.apply(articles.claim("IT", "oppose", "2025-02-25", outlet="Paper F"))
    assert position(db, "IT") == "support"


def test_weights_come_from_config(db, articles):
    # With corroboration by 3 outlets required, two outlets stay a signal.
    params = PositionParams(corroborating_outlets=3)
    articles.apply(articles.claim("NL", "oppose", "2024-06-01", outlet="Wire A"), params=params)
    articles.apply(articles.claim("NL", "support", "2025-02-18", outlet="Paper B"), params=params)
    articles.apply(articles.claim("NL", "support", "2025-02-19", outlet="Paper C"), params=params)
    assert [s["level"] for s in shifts(db)] == ["signal"]


# --- dates you can trust ---------------------------------------------------------------


@pytest.mark.parametrize("given, used, why", [
    ("2025-02-18", "2025-02-18", None),
    ("2025-03-02T06:00:00+00:00", "2025-03-02", None),  # within the tolerance
    ("2099-01-01", "2025-03-01", "date 2099-01-01 is in the future; used the fetch time"),
    ("1970-01-01", "2025-03-01", "date 1970-01-01 is before 1990; used the fetch time"),
    ("yesterday", "2025-03-01", "date 'yesterday' is not a date; used the fetch time"),
    (None, "2025-03-01", None),
], ids=["ordinary", "tolerance", "future", "before-1990", "unreadable", "missing"])
def test_trusted_date(given, used, why):
    assert trusted_date(given, fallback="2025-03-01T12:00:00+00:00", now_iso="2025-03-01T12:00:00+00:00") == (used, why)


def test_far_future_date_does_not_freeze_a_position(tmp_path, db):
    from tests.conftest import write_config
    from tracker.config import load_config
    from tracker.pipeline import ingest_text

    config = load_config(write_config(tmp_path, ""))
    clock = FixedClock("2025-02-18T12:00:00")

    def publish(n, published, text):
        ingest_text(db, config, url=f"https://news.example/{n}", title=None, text=text, published_at=published,
                    outlet=f"Outlet {n}", clock=clock)

    publish(1, "2099-12-31", "Germany would not send troops to Ukraine.")
    assert db.execute("SELECT date_note FROM articles").fetchone()[0] == \
        "date 2099-12-31 is in the future; used the fetch time"
    assert db.execute("SELECT since FROM positions WHERE actor = 'DE'").fetchone()[0] == "2025-02-18"
    clock.set("2025-04-01T12:00:00")
    publish(2, "2025-04-01", "German Chancellor Olaf Scholz said Germany is ready to send troops to Ukraine.")
    assert db.execute("SELECT stance, since FROM positions WHERE actor = 'DE'").fetchone() == ("support", "2025-04-01")
    assert db.execute("SELECT from_stance, to_stance, level FROM shifts").fetchall() == [("oppose", "support", "shift")]


# --- the command line and the migration ------------------------------------------------


def test_shifts_lists_levels_and_review_restores(db_path, db, articles):
    from click.testing import CliRunner

    from tracker.cli import main

    often_reaffirmed(articles)
    articles.apply(articles.claim("PL", "support", "2025-02-20", outlet="Paper E"))  # a signal
    articles.apply(articles.claim("DE", "support", "2024-12-10", outlet="Wire A"))
    [shift_id] = articles.apply(articles.claim("DE", "oppose", "2025-02-18", outlet="Paper B", speaker="Olaf Scholz"))
    run = lambda *args: CliRunner().invoke(main, ["--config", str(db_path.parent / "none.toml"), "--db", str(db_path),
                                                  *args])
    signals = run("shifts", "--level", "signal")
    assert signals.exit_code == 0, signals.output
    assert "Poland (PL) on troops-to-ukraine: oppose -> support, signal (reversal), since 2025-02-20" in signals.output
    assert "(DE)" not in signals.output
    assert "Germany (DE) on troops-to-ukraine: support -> oppose, shift (reversal)" in run("shifts", "--level",
                                                                                          "shift").output
    review_run = run("review", str(shift_id), "--dismiss", "--note", "misread")
    assert review_run.exit_code == 0, review_run.output
    assert "dismissed" in review_run.output and "restored" in review_run.output
    assert position(db, "DE") == "support"


def test_migration_keeps_earlier_shifts_as_alerted_shifts(tmp_path, monkeypatch):
    from tracker import db as store

    path = tmp_path / "old.db"
    before = [name for name, _ in store.MIGRATIONS].index("005_position_evidence")
    monkeypatch.setattr(store, "MIGRATIONS", store.MIGRATIONS[:before])
    old = store.open_db(path)
    old.execute("INSERT INTO shifts (actor, topic, from_stance, to_stance, detected_at, confidence) "
                "VALUES ('SE', 'troops-to-ukraine', 'oppose', 'conditional', '2025-02-18', 0.8)")
    old.close()
    monkeypatch.undo()
    new = store.open_db(path)
    assert new.execute("SELECT level, kind FROM shifts").fetchone() == ("shift", "softening")
    from tracker.positions.views import list_shifts
    assert [(s["level"], s["kind"]) for s in list_shifts(new)] == [("shift", "softening")]
    new.close()


def test_baseline_counts_as_evidence_of_its_stance(db, articles):
    from tracker.positions.baseline import BaselineEntry, write_baseline

    write_baseline(db, [BaselineEntry("DE", "troops-to-ukraine", "oppose", "2025-01-15",
                                      "Scholz rejected sending troops.", "001_seed.txt", 0.9)], now=CLOCK.now())
    [shift_id] = articles.apply(articles.claim("DE", "support", "2025-02-01", outlet="Wire A"))
    row = db.execute("SELECT level, previous_baseline_id, old_weight FROM shifts WHERE id = ?", (shift_id,)).fetchone()
    assert row[0] == "signal" and row[1] is not None and row[2] > 0.8
    assert position(db, "DE") == "oppose"


def test_status_counts_shifts_and_open_signals(db_path, db, articles):
    from click.testing import CliRunner

    from tracker.cli import main

    often_reaffirmed(articles)
    articles.apply(articles.claim("PL", "support", "2025-02-20", outlet="Paper E"))
    from tests.conftest import write_config

    config = write_config(db_path.parent, "")
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db_path), "status"])
    assert "1 current positions (0 in the baseline); shifts: 0 new, 0 confirmed, 0 dismissed; " \
           "1 open signal (tracker shifts --level signal)" in result.output


def test_a_signal_stays_open_while_its_reports_keep_coming(db, articles):
    often_reaffirmed(articles)
    articles.apply(articles.claim("PL", "support", "2025-02-20", outlet="Paper E"))
    articles.apply(articles.claim("PL", "support", "2025-02-27", outlet="Paper E"))  # within 14 days: same signal
    assert len(shifts(db)) == 1
    articles.apply(articles.claim("PL", "oppose", "2025-03-05", outlet="Paper B"))  # the old stance reaffirmed
    articles.apply(articles.claim("PL", "support", "2025-04-30", outlet="Paper E"))  # after that: a new one
    assert [s["level"] for s in shifts(db)] == ["signal", "signal"]


def test_a_change_nothing_contradicts_is_dated_from_its_first_sign(db, articles):
    often_reaffirmed(articles)
    [first] = articles.apply(articles.claim("PL", "support", "2025-02-20", outlet="Paper E"))
    # five weeks later, with nothing reaffirming the old stance in between, other outlets confirm
    # it: the same change, now a shift, dated from the first report
    for outlet in ("Wire A", "Paper B", "Paper C"):
        assert articles.apply(articles.claim("PL", "support", "2025-03-28", outlet=outlet, speaker="Minister")) == []
    row = db.execute("SELECT level, since FROM shifts WHERE id = ?", (first,)).fetchone()
    assert row == ("shift", "2025-02-20")
    assert len(shifts(db)) == 1
    assert position(db, "PL") == "support"
