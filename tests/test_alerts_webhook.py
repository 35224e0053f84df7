"""Shift alerts by webhook to a real HTTP receiver on 127.0.0.1 that checks the signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from tests.alerts_rows import NEW_SENTENCE, OLD_SENTENCE, OLD_URL, add_shift, alert_rows
from tests.conftest import ROOT, write_config
from tests.localserver import Response
from tracker.alerts import deliver_due, retry
from tracker.clock import SYSTEM_CLOCK, FixedClock, iso
from tracker.config import load_config

START = "2025-03-02T09:00:00+00:00"
SECRET = "whsec-0123456789abcdef"


class Receiver:
    """A webhook receiver: verifies the HMAC, drops duplicates by Idempotency-Key."""

    def __init__(self, secret: str, *, fail_first: int = 0, block_first: bool = False) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.block_first = block_first
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.attempts: list[dict] = []  # every request: key, signature_ok, answer
        self.accepted: list[dict] = []  # bodies of first deliveries only

    def __call__(self, handler) -> Response:
        timestamp = handler.headers.get("X-Tracker-Timestamp", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + handler.body,
                                        hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(expected, handler.headers.get("X-Tracker-Signature", ""))
        key = handler.headers.get("Idempotency-Key")
        attempt = {"key": key, "signature_ok": signature_ok, "timestamp": timestamp}
        self.attempts.append(attempt)
        if self.block_first and len(self.attempts) == 1:
            self.arrived.set()
            self.release.wait(20)
        if not signature_ok:
            attempt["answer"] = 401
            return Response(status=401, body=b"bad signature", content_type="text/plain", conditional=False)
        if len(self.attempts) <= self.fail_first:
            attempt["answer"] = 500
            return Response(status=500, body=b"try later", content_type="text/plain", conditional=False)
        if key not in {a["key"] for a in self.accepted}:
            self.accepted.append({"key": key, "body": json.loads(handler.body)})
        attempt["answer"] = 200
        return Response(status=200, body=b"{}", content_type="application/json", conditional=False)


def webhook_config(tmp_path, url: str, *, extra: str = ""):
    body = f"""
[publish]
base_url = "https://tracker.example.org"

[alerts]
backoff = "1m"
max_backoff = "1h"

[[alerts.channel]]
name = "hook"
kind = "webhook"
url = "{url}"
secret_env = "TRACKER_TEST_WEBHOOK_SECRET"
headers = {{ X-Team = "desk" }}
timeout = 10
{extra}
"""
    return load_config(write_config(tmp_path, body))


@pytest.fixture(autouse=True)
def webhook_secret(monkeypatch):
    monkeypatch.setenv("TRACKER_TEST_WEBHOOK_SECRET", SECRET)


def test_signed_delivery_retried_after_500s_is_accepted_once_with_one_key(tmp_path, db, db_path, server):
    receiver = Receiver(SECRET, fail_first=2)
    config = webhook_config(tmp_path, server.add("/hook", receiver))
    shift_id = add_shift(db)
    clock = FixedClock(START)

    assert deliver_due(db, config, clock=clock) == 0
    row = alert_rows(db)[0]
    assert row["last_error"] == "alert channel 'hook': POST http://127.0.0.1:%d/...: answered HTTP 500: try later" \
        % int(server.url().rsplit(":", 1)[1].strip("/"))
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("pending", 1, "2025-03-02T09:01:00+00:00")
    clock.advance(minutes=1)
    assert deliver_due(db, config, clock=clock) == 0
    assert alert_rows(db)[0]["next_attempt_at"] == "2025-03-02T09:03:00+00:00"  # back-off doubled
    clock.advance(minutes=2)
    assert deliver_due(db, config, clock=clock) == 1

    assert [a["answer"] for a in receiver.attempts] == [500, 500, 200]
    assert all(a["signature_ok"] for a in receiver.attempts)
    assert {a["key"] for a in receiver.attempts} == {f"shift-{shift_id}-hook"}
    assert len(receiver.accepted) == 1
    row = alert_rows(db)[0]
    assert (row["status"], row["attempts"], row["last_error"], row["sent_at"]) == \
        ("sent", 3, None, "2025-03-02T09:03:00+00:00")

    body = receiver.accepted[0]["body"]
    assert body["type"] == "shift" and body["idempotency_key"] == f"shift-{shift_id}-hook"
    [shift] = body["shifts"]
    assert (shift["actor"], shift["actor_name"], shift["topic"], shift["from_stance"], shift["to_stance"]) == \
        ("DE", "Germany", "troops-to-ukraine", "oppose", "support")
    assert shift["new"]["evidence"] == NEW_SENTENCE and shift["old"]["evidence"] == OLD_SENTENCE
    assert shift["old"]["url"] == OLD_URL and shift["corroboration"] == 2
    assert shift["url"] == f"https://tracker.example.org/tracker/shifts/{shift_id}"
    assert NEW_SENTENCE in body["text"] and body["text"].startswith("*[tracker] Germany (DE) on troops-to-ukraine")
    headers = server.requests[-1][2]
    assert headers["X-Team"] == "desk"
    assert headers["X-Tracker-Timestamp"] == str(int(clock.now().timestamp()))

    assert SECRET.encode() not in db_path.read_bytes()


def test_wrong_secret_is_refused_and_the_secret_stays_out_of_db_and_logs(tmp_path, db, db_path, server, caplog):
    caplog.set_level(logging.DEBUG)
    receiver = Receiver("the-receivers-other-secret")
    config = webhook_config(tmp_path, server.add("/hook", receiver))
    add_shift(db)
    assert deliver_due(db, config, clock=FixedClock(START)) == 0
    assert receiver.attempts[0]["signature_ok"] is False
    row = alert_rows(db)[0]
    assert row["status"] == "pending" and row["last_error"].endswith("answered HTTP 401: bad signature")
    db.execute("PRAGMA wal_checkpoint(FULL)")
    assert SECRET.encode() not in db_path.read_bytes()
    assert SECRET not in caplog.text


def test_secret_webhook_url_from_env_never_echoed(tmp_path, db, db_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    from tests.smtp_sink import free_port

    port = free_port()  # nothing listens there
    secret_url = f"http://127.0.0.1:{port}/services/T000/B000/XXXXsecretXXXX"
    monkeypatch.setenv("TRACKER_TEST_HOOK_URL", secret_url)
    body = ('[[alerts.channel]]\nname = "slack"\nkind = "webhook"\nurl_env = "TRACKER_TEST_HOOK_URL"\n'
            'timeout = 2\n')
    config = load_config(write_config(tmp_path, body))
    add_shift(db)
    assert deliver_due(db, config, clock=FixedClock(START)) == 0
    row = alert_rows(db)[0]
    assert row["last_error"].startswith(f"alert channel 'slack': POST http://127.0.0.1:{port}/...: ")
    db.execute("PRAGMA wal_checkpoint(FULL)")
    assert b"XXXXsecretXXXX" not in db_path.read_bytes()
    assert "XXXXsecretXXXX" not in caplog.text


_DELIVER = """
import sys
from tracker.alerts import deliver_due
from tracker.clock import SYSTEM_CLOCK
from tracker.config import load_config
from tracker.db import open_db

print("delivered", deliver_due(open_db(sys.argv[2]), load_config(sys.argv[1]), clock=SYSTEM_CLOCK), flush=True)
"""


def test_process_killed_during_delivery_loses_nothing(tmp_path, db, db_path, server):
    receiver = Receiver(SECRET, block_first=True)
    config = webhook_config(tmp_path, server.add("/hook", receiver))
    shift_id = add_shift(db)
    env = {**os.environ, "TRACKER_TEST_WEBHOOK_SECRET": SECRET}
    proc = subprocess.Popen([sys.executable, "-c", _DELIVER, str(config.path), str(db_path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert receiver.arrived.wait(30), proc.stderr.read().decode() if proc.poll() is not None else "no request"
        os.kill(proc.pid, signal.SIGKILL)  # mid-delivery: request sent, answer not yet read
        proc.wait(10)
    finally:
        receiver.release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    row = alert_rows(db)[0]
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"].startswith("attempt 1 started at ") and "no outcome recorded" in row["last_error"]

    # the next cycle, once the lease of the dead attempt has run out, delivers it again with the same key
    later = FixedClock(SYSTEM_CLOCK.now() + timedelta(minutes=5))
    assert deliver_due(db, config, clock=later) == 1
    assert [a["key"] for a in receiver.attempts] == [f"shift-{shift_id}-hook"] * 2
    assert len(receiver.accepted) == 1
    row = alert_rows(db)[0]
    assert (row["status"], row["attempts"], row["sent_at"]) == ("sent", 2, iso(later.now()))


def test_lease_keeps_a_second_process_from_sending_an_alert_in_flight(tmp_path, db, server):
    receiver = Receiver(SECRET)
    config = webhook_config(tmp_path, server.add("/hook", receiver))
    add_shift(db)
    clock = FixedClock(START)
    # a claim committed by another process (attempt in flight) holds the row for its lease
    db.execute("INSERT INTO alerts (shift_id, channel, idempotency_key, attempts, next_attempt_at, created_at) "
               "VALUES (1, 'hook', 'shift-1-hook', 1, '2025-03-02T09:01:20+00:00', ?)", (START,))
    assert deliver_due(db, config, clock=clock) == 0
    assert receiver.attempts == []
    clock.advance(minutes=2)
    assert deliver_due(db, config, clock=clock) == 1
    assert retry(db, config, clock=clock) == 0  # nothing left
    assert len(receiver.attempts) == 1


def test_one_channel_failing_does_not_hold_back_another(tmp_path, db, server):
    from tests.smtp_sink import free_port

    receiver = Receiver(SECRET)
    extra = (f'\n[[alerts.channel]]\nname = "mail"\nkind = "email"\nhost = "127.0.0.1"\nport = {free_port()}\n'
             'security = "none"\nfrom = "t@example.org"\nto = ["d@example.org"]\ntimeout = 2\n')
    config = webhook_config(tmp_path, server.add("/hook", receiver), extra=extra)
    shift_id = add_shift(db)
    assert deliver_due(db, config, clock=FixedClock(START)) == 1
    assert {r["idempotency_key"]: r["status"] for r in alert_rows(db)} == {
        f"shift-{shift_id}-hook": "sent", f"shift-{shift_id}-mail": "pending"}
    assert len(receiver.accepted) == 1
