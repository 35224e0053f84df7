"""Shift alerts by email through a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import base64
import logging

import pytest
from click.testing import CliRunner

from tests.alerts_rows import (BASELINE_SENTENCE, NEW_SENTENCE, NEW_URL, OLD_SENTENCE, OLD_URL, add_feed,
                               add_shift, alert_rows)
from tests.conftest import write_config
from tests.smtp_sink import SmtpSink, free_port
from tracker.alerts import deliver_due, enqueue, retry, status_lines
from tracker.cli import main
from tracker.clock import FixedClock
from tracker.config import load_config

START = "2025-03-02T09:00:00+00:00"


def email_config(tmp_path, port: int, *, channel_extra: str = "", alerts_extra: str = "", auth: bool = False):
    login = 'user = "tracker"\npassword_env = "TRACKER_TEST_SMTP_PASSWORD"\n' if auth else ""
    body = f"""
[publish]
base_url = "https://tracker.example.org/"

[alerts]
backoff = 60
max_backoff = "10m"
max_attempts = 3
{alerts_extra}

[[alerts.channel]]
name = "desk"
kind = "email"
host = "127.0.0.1"
port = {port}
security = "none"
from = "tracker@example.org"
to = ["desk@example.org", "analyst@example.org"]
timeout = 5
{login}{channel_extra}
"""
    return load_config(write_config(tmp_path, body))


@pytest.fixture
def sink():
    with SmtpSink() as running:
        yield running


def test_shift_mail_carries_both_sides_links_and_message_id(tmp_path, db, sink):
    config = email_config(tmp_path, sink.port)
    shift_id = add_shift(db)
    clock = FixedClock(START)

    assert deliver_due(db, config, clock=clock) == 1

    assert len(sink.messages) == 1
    mail = sink.messages[0]
    assert subject(mail) == "[tracker] Germany (DE) on troops-to-ukraine: oppose -> support (new, 2 outlets)"
    assert mail["Message-ID"] == f"<shift-{shift_id}-desk@example.org>"
    assert sink.envelopes[0] == ("tracker@example.org", ["desk@example.org", "analyst@example.org"])
    text = mail.get_body(("plain",)).get_content()
    for expected in (NEW_SENTENCE, OLD_SENTENCE, NEW_URL, OLD_URL, "Now (support): Example Wire, 2025-03-01 | speaker: Friedrich Merz",
                     "Before (oppose): Zeitung, 2024-02-27\r\n",
                     "corroborated by 2 outlets", "Status: new", "confidence 0.85",
                     f"https://tracker.example.org/tracker/shifts/{shift_id}"):
        assert expected in text
    page = mail.get_body(("html",)).get_content()
    assert f'<a href="{NEW_URL}">' in page and "Scholz ruled out" in page

    [row] = alert_rows(db)
    assert (row["status"], row["attempts"], row["last_error"], row["sent_at"]) == ("sent", 1, None, START)
    assert row["idempotency_key"] == f"shift-{shift_id}-desk"
    # the next cycle finds nothing new to send
    assert deliver_due(db, config, clock=clock) == 0
    assert len(sink.messages) == 1


def test_baseline_side_and_retrospective_flag_are_rendered(tmp_path, db, sink):
    config = email_config(tmp_path, sink.port)
    add_shift(db, from_baseline=True, retrospective=True)
    deliver_due(db, config, clock=FixedClock(START))
    text = sink.messages[0].get_body(("plain",)).get_content()
    assert BASELINE_SENTENCE in text
    assert "Before (oppose): baseline (seeds/de.md), 2024-02-27" in text
    assert "RETROSPECTIVE" in text


def test_smtp_down_keeps_alert_pending_with_error_then_cli_retry_delivers(tmp_path, db):
    port = free_port()  # nothing listens here yet
    config = email_config(tmp_path, port)
    shift_id = add_shift(db)
    clock = FixedClock(START)

    assert deliver_due(db, config, clock=clock) == 0
    [row] = alert_rows(db)
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert row["last_error"].startswith(f"alert channel 'desk': SMTP 127.0.0.1:{port} (none): cannot connect")
    assert row["next_attempt_at"] == "2025-03-02T09:01:00+00:00"  # back-off: 60 s after the first failure
    assert f"pending shift-{shift_id}-desk: 1 attempt, next attempt 2025-03-02T09:01:00+00:00; last error: " \
           f"alert channel 'desk'" in "\n".join(status_lines(db))

    # still down, not yet due: nothing is attempted; once due, the back-off doubles
    assert deliver_due(db, config, clock=clock) == 0
    assert alert_rows(db)[0]["attempts"] == 1
    clock.advance(seconds=60)
    deliver_due(db, config, clock=clock)
    assert alert_rows(db)[0]["attempts"] == 2
    assert alert_rows(db)[0]["next_attempt_at"] == "2025-03-02T09:03:00+00:00"

    with SmtpSink(port=port) as sink:
        result = CliRunner().invoke(main, ["--config", str(config.path), "--db", str(db_path_of(db)),
                                           "alerts", "retry"])
        assert result.exit_code == 0, result.output
        assert "1 alert delivered" in result.output
        assert "alerts: 0 pending, 0 failed, 1 sent, 0 skipped" in result.output
    assert len(sink.messages) == 1
    assert sink.messages[0]["Message-ID"] == f"<shift-{shift_id}-desk@example.org>"
    row = alert_rows(db)[0]
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)


def test_gives_up_after_max_attempts_and_retry_failed_revives(tmp_path, db):
    port = free_port()
    config = email_config(tmp_path, port)
    add_shift(db)
    clock = FixedClock(START)
    for _ in range(3):
        deliver_due(db, config, clock=clock)
        clock.advance(minutes=30)
    row = alert_rows(db)[0]
    assert row["status"] == "failed" and row["attempts"] == 3
    assert row["last_error"].startswith("gave up after 3 attempts: alert channel 'desk'")
    assert deliver_due(db, config, clock=clock) == 0  # failed rows are left alone

    with SmtpSink(port=port) as sink:
        assert retry(db, config, clock=clock, include_failed=True) == 1
    assert len(sink.messages) == 1
    assert alert_rows(db)[0]["status"] == "sent"


def test_rules_filter_and_dismissed_shift_is_skipped(tmp_path, db, sink):
    config = email_config(tmp_path, sink.port, channel_extra='min_confidence = 0.7\nactors = ["DE", "FR"]\n'
                                                           'statuses = ["confirmed"]\n')
    low = add_shift(db, status="confirmed", confidence=0.5)
    other_actor = add_shift(db, actor="PL", status="confirmed", new_url="https://news.example.org/pl")
    only_new = add_shift(db, status="new", new_url="https://news.example.org/new")
    wanted = add_shift(db, status="confirmed", new_url="https://news.example.org/ok")
    clock = FixedClock(START)

    assert enqueue(db, config, clock=clock) == 1
    assert [r["shift_id"] for r in alert_rows(db)] == [wanted]
    # a shift confirmed later is picked up then, once
    db.execute("UPDATE shifts SET status = 'confirmed' WHERE id = ?", (only_new,))
    db.execute("UPDATE shifts SET status = 'dismissed' WHERE id = ?", (wanted,))
    assert deliver_due(db, config, clock=clock) == 1
    assert {r["shift_id"]: r["status"] for r in alert_rows(db)} == {wanted: "skipped", only_new: "sent"}
    assert [m["Message-ID"] for m in sink.messages] == [f"<shift-{only_new}-desk@example.org>"]
    assert low not in [r["shift_id"] for r in alert_rows(db)]
    assert other_actor not in [r["shift_id"] for r in alert_rows(db)]


def test_digest_groups_shifts_of_one_actor_and_topic(tmp_path, db, sink):
    config = email_config(tmp_path, sink.port, channel_extra='digest = "1h"\n')
    first = add_shift(db, detected_at="2025-03-02T08:30:00+00:00")
    second = add_shift(db, from_stance="support", to_stance="conditional", detected_at="2025-03-02T08:50:00+00:00",
                       new_sentence="Berlin would only send troops with a US backstop.",
                       new_url="https://news.example.org/backstop")
    other = add_shift(db, actor="FR", detected_at="2025-03-02T08:55:00+00:00",
                      new_url="https://news.example.org/fr")
    clock = FixedClock(START)

    assert deliver_due(db, config, clock=clock) == 0  # the window of the first shift is still open
    clock.set("2025-03-02T09:30:00+00:00")
    assert deliver_due(db, config, clock=clock) == 2
    assert len(sink.messages) == 1
    mail = sink.messages[0]
    assert subject(mail) == "[tracker] Germany (DE) on troops-to-ukraine: 2 shifts, oppose -> conditional"
    assert mail["Message-ID"] == f"<digest-desk-{first}-{second}-2@example.org>"
    text = mail.get_body(("plain",)).get_content()
    assert NEW_SENTENCE in text and "US backstop" in text
    clock.set("2025-03-02T10:00:00+00:00")
    assert deliver_due(db, config, clock=clock) == 1
    assert "France (FR) on troops-to-ukraine" in subject(sink.messages[1])
    assert {r["shift_id"] for r in alert_rows(db) if r["status"] == "sent"} == {first, second, other}


def test_password_comes_from_env_and_never_reaches_db_logs_or_errors(tmp_path, db, db_path, monkeypatch, caplog):
    secret = "s3cret-Pa55word-xyz"
    monkeypatch.setenv("TRACKER_TEST_SMTP_PASSWORD", secret)
    caplog.set_level(logging.DEBUG)
    with SmtpSink(users={"tracker": "another-password"}) as sink:
        config = email_config(tmp_path, sink.port, auth=True)
        add_shift(db)
        clock = FixedClock(START)
        assert deliver_due(db, config, clock=clock) == 0
        # the env var's value was used (smtplib tries PLAIN, then LOGIN) and refused
        assert sink.logins and set(sink.logins) == {("tracker", secret, False)}
        result = CliRunner().invoke(main, ["--config", str(config.path), "--db", str(db_path),
                                           "alerts", "test", "--channel", "desk"])
    assert result.exit_code == 1
    assert "login as 'tracker' refused (535); check the user and the password in $TRACKER_TEST_SMTP_PASSWORD" \
        in result.output
    row = alert_rows(db)[0]
    assert row["status"] == "pending" and "login as 'tracker' refused" in row["last_error"]

    db.execute("PRAGMA wal_checkpoint(FULL)")
    blobs = [db_path.read_bytes(), (db_path.parent / (db_path.name + "-wal")).read_bytes()
             if (db_path.parent / (db_path.name + "-wal")).exists() else b""]
    encoded = base64.b64encode(f"\0tracker\0{secret}".encode())
    for blob in blobs:
        assert secret.encode() not in blob and encoded not in blob
    assert secret not in caplog.text and secret not in result.output


def test_missing_password_variable_is_named(tmp_path, db, sink, monkeypatch):
    monkeypatch.delenv("TRACKER_TEST_SMTP_PASSWORD", raising=False)
    config = email_config(tmp_path, sink.port, auth=True)
    add_shift(db)
    deliver_due(db, config, clock=FixedClock(START))
    assert alert_rows(db)[0]["last_error"] == (
        "alert channel 'desk': environment variable TRACKER_TEST_SMTP_PASSWORD (the SMTP password) is not set; "
        "export TRACKER_TEST_SMTP_PASSWORD before running tracker")


def test_login_with_password_from_env_delivers(tmp_path, db, monkeypatch):
    monkeypatch.setenv("TRACKER_TEST_SMTP_PASSWORD", "right-one")
    with SmtpSink(users={"tracker": "right-one"}) as sink:
        config = email_config(tmp_path, sink.port, auth=True)
        add_shift(db)
        assert deliver_due(db, config, clock=FixedClock(START)) == 1
    assert len(sink.messages) == 1


def test_cli_alerts_test_sends_synthetic_shift_through_the_channel(tmp_path, db, db_path, sink):
    config = email_config(tmp_path, sink.port)
    result = CliRunner().invoke(main, ["--config", str(config.path), "--db", str(db_path),
                                       "alerts", "test", "--channel", "desk"])
    assert result.exit_code == 0, result.output
    assert "test alert sent through 'desk': [tracker] XX on troops-to-ukraine: oppose -> conditional" in result.output
    mail = sink.messages[0]
    assert mail["Message-ID"].startswith("<test-desk-")
    assert "TEST ALERT" in mail.get_body(("plain",)).get_content()


def test_cli_alerts_test_unknown_channel_lists_known_ones(tmp_path, db, db_path, sink):
    config = email_config(tmp_path, sink.port)
    result = CliRunner().invoke(main, ["--config", str(config.path), "--db", str(db_path),
                                       "alerts", "test", "--channel", "slack"])
    assert result.exit_code == 2
    assert f"{config.path}: no alert channel named 'slack'; known channels: desk" in result.output
    assert sink.messages == []


def test_health_alert_for_a_failing_feed_is_sent_once_per_incident(tmp_path, db, sink):
    config = email_config(tmp_path, sink.port, alerts_extra='feed_failing_after = "6h"')
    add_feed(db, name="flaky", error_count=5, last_success_at="2025-03-01T20:00:00+00:00",
             last_error="GET https://flaky.example.org/rss: HTTP 503", last_error_reason="http-503")
    add_feed(db, name="fine", error_count=0, last_success_at="2025-03-02T08:55:00+00:00")
    clock = FixedClock("2025-03-02T01:00:00+00:00")
    assert deliver_due(db, config, clock=clock) == 0  # failing for 5 h only
    clock.set(START)
    assert deliver_due(db, config, clock=clock) == 1
    clock.advance(hours=1)
    assert deliver_due(db, config, clock=clock) == 0
    assert len(sink.messages) == 1
    mail = sink.messages[0]
    assert subject(mail) == "[tracker] health: feed 'flaky' has been failing since 2025-03-01T20:00:00+00:00"
    assert "5 consecutive failed polls" in mail.get_body(("plain",)).get_content()
    assert "HTTP 503" in mail.get_body(("plain",)).get_content()
    # recovered, then failing again: a new incident
    db.execute("UPDATE feeds SET error_count = 2, last_success_at = '2025-03-02T09:30:00+00:00' WHERE name = 'flaky'")
    clock.set("2025-03-02T16:00:00+00:00")
    assert deliver_due(db, config, clock=clock) == 1
    assert [r["kind"] for r in alert_rows(db)] == ["health", "health"]


def test_no_successful_cycle_alert(tmp_path, db, sink):
    config = email_config(tmp_path, sink.port, alerts_extra='no_success_after = "2h"')
    db.execute("INSERT INTO runs (started_at, finished_at, feeds_polled, feeds_failed) "
               "VALUES ('2025-03-02T05:00:00+00:00', '2025-03-02T05:01:00+00:00', 3, 0)")
    db.execute("INSERT INTO runs (started_at, finished_at, feeds_polled, feeds_failed) "
               "VALUES ('2025-03-02T06:00:00+00:00', '2025-03-02T06:01:00+00:00', 3, 3)")
    clock = FixedClock("2025-03-02T06:30:00+00:00")
    assert deliver_due(db, config, clock=clock) == 0
    clock.set(START)
    assert deliver_due(db, config, clock=clock) == 1
    assert subject(sink.messages[0]) == \
        "[tracker] health: no successful poll cycle since 2025-03-02T05:01:00+00:00"


def subject(mail) -> str:
    """The Subject as a reader sees it (a long one is folded on the wire)."""
    return " ".join(str(mail["Subject"]).split())


def db_path_of(db) -> str:
    return db.execute("PRAGMA database_list").fetchone()[2]


def test_signals_are_alerted_only_to_channels_that_ask_for_them(tmp_path, db, sink):
    config = email_config(tmp_path, sink.port)  # default levels: shifts only
    signal = add_shift(db, new_url="https://news.example.org/signal")
    db.execute("UPDATE shifts SET level = 'signal' WHERE id = ?", (signal,))
    shift = add_shift(db, new_url="https://news.example.org/shift")
    clock = FixedClock(START)
    assert enqueue(db, config, clock=clock) == 1
    assert [r["shift_id"] for r in alert_rows(db)] == [shift]
    db.execute("UPDATE shifts SET level = 'shift' WHERE id = ?", (signal,))  # borne out later: sent then
    assert enqueue(db, config, clock=clock) == 1
    assert sorted(r["shift_id"] for r in alert_rows(db)) == [signal, shift]


def test_a_channel_can_ask_for_signals(tmp_path, db, sink):
    config = email_config(tmp_path, sink.port, channel_extra='levels = ["signal", "shift"]\n')
    signal = add_shift(db, new_url="https://news.example.org/signal")
    db.execute("UPDATE shifts SET level = 'signal', kind = 'reversal', reason = 'support 0.40 vs oppose 0.90; 1 outlet; "
               "position held' WHERE id = ?", (signal,))
    assert deliver_due(db, config, clock=FixedClock(START)) == 1
    assert [r["shift_id"] for r in alert_rows(db)] == [signal]
    text = sink.messages[0].get_body(("plain",)).get_content()
    assert "Level: signal (reversal) | why: support 0.40 vs oppose 0.90; 1 outlet; position held" in text
