"""Fingerprints, diffs and version rows in a real SQLite file."""

from __future__ import annotations

import pytest

from tracker.clock import parse_utc
from tracker.db import transaction
from tracker.models import Extracted
from tracker.recheck import next_check_at
from tracker.textdiff import diff, fingerprint, normalise, sentences
from tracker.versions import record_version

OLD = ("Germany said on Monday it would not send troops to Ukraine. The chancellor ruled it out.\n\n"
       "Poland is still considering the proposal.")
NEW = ("Germany said on Monday it would not rule out sending troops to Ukraine. The chancellor ruled it out.\n\n"
       "Poland is still considering the proposal.")


def test_normalise_ignores_whitespace_and_unicode_form_noise():
    noisy = "  Caf\u0065\u0301 opens.\r\n\r\n\u00a0 Second   line. "
    assert normalise(noisy) == "Café opens.\nSecond line."
    assert fingerprint(noisy) == fingerprint("Café opens.\nSecond line.")
    assert fingerprint(OLD) != fingerprint(NEW)


def test_sentences_split_paragraphs_and_sentences():
    assert sentences(OLD) == ["Germany said on Monday it would not send troops to Ukraine.",
                              "The chancellor ruled it out.", "Poland is still considering the proposal."]


def test_diff_shows_the_changed_sentence_and_counts_characters():
    change = diff(OLD, NEW)
    assert "-Germany said on Monday it would not send troops to Ukraine." in change.unified
    assert "+Germany said on Monday it would not rule out sending troops to Ukraine." in change.unified
    assert "Poland" not in change.unified  # outside the one line of context
    assert (change.sentences_added, change.sentences_removed) == (1, 1)
    assert change.chars_added - change.chars_removed == len(NEW) - len(OLD)
    assert 0 < change.chars_added < 20


def test_a_version_is_stored_only_when_the_text_changes(db):
    db.execute("INSERT INTO articles (url, first_seen_at) VALUES ('https://n.example/a', '2024-03-20T12:00:00+00:00')")
    with transaction(db):
        first = record_version(db, 1, Extracted(text=OLD, title="T"), fetched_at="2024-03-20T12:00:00+00:00")
        same = record_version(db, 1, Extracted(text=OLD.replace(" ", "  ")), fetched_at="2024-03-20T12:15:00+00:00")
        second = record_version(db, 1, Extracted(text=NEW), fetched_at="2024-03-20T12:30:00+00:00")
    assert (first.number, same.version_id, same.number, second.number) == (1, None, 1, 2)
    rows = db.execute("SELECT number, fetched_at, fingerprint, diff, chars_added, chars_removed, source"
                      " FROM versions ORDER BY number").fetchall()
    assert [r[0] for r in rows] == [1, 2]
    assert rows[0][3] is None and rows[0][4] == len(normalise(OLD))
    assert rows[1][1] == "2024-03-20T12:30:00+00:00"
    assert rows[1][2] == fingerprint(NEW)
    assert "+Germany said on Monday it would not rule out" in rows[1][3]
    assert (rows[1][4], rows[1][5]) == (second.chars_added, second.chars_removed)
    hits = db.execute("SELECT rowid FROM versions_fts WHERE versions_fts MATCH ?", ['"not rule"']).fetchall()
    assert hits == [(second.version_id,)]


@pytest.mark.parametrize("first_seen, last_changed, expected", [
    ("2024-03-20T11:00:00+00:00", "2024-03-20T11:30:00+00:00", "2024-03-20T12:15:00+00:00"),  # changed 30 min ago
    ("2024-03-20T02:00:00+00:00", "2024-03-20T06:00:00+00:00", "2024-03-20T12:30:00+00:00"),  # quiet 6 h
    ("2024-03-18T12:00:00+00:00", None, "2024-03-20T14:00:00+00:00"),                         # quiet 2 days
    ("2024-03-10T12:00:00+00:00", None, "2024-03-21T12:00:00+00:00"),                         # quiet 10 days
    ("2024-02-19T13:00:00+00:00", None, None),                                                # next check past 30 days: stop
])
def test_recheck_schedule_decays_and_stops(first_seen, last_changed, expected):
    now = parse_utc("2024-03-20T12:00:00+00:00")
    assert next_check_at(now, first_seen_at=first_seen, last_changed_at=last_changed, max_age_days=30) == expected
