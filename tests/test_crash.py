"""Crash safety: SIGKILL in the middle of a cycle loses nothing and duplicates nothing;
a long read transaction (as Datasette holds) never makes the daemon's writes fail."""

from __future__ import annotations

import signal
import sqlite3

from tests.localserver import Response
from tests.test_daemon import QUICK, count, daemon_config, kill_group, rss, start_process, wait_for
from tracker.config import load_config
from tracker.daemon import INTERRUPTED, Daemon, lock_path_for, recover_interrupted_runs
from tracker.clock import parse_utc
from tracker.db import open_db
from tracker.store import rows

ENTRIES = 8


def serve_slow_feed(server) -> None:
    server.add("/news.xml", body=rss(server, "news", ENTRIES), content_type="application/rss+xml")
    page = Response(body=b"<html><body><p>" + b"Article text that is long enough. " * 30 + b"</p></body></html>",
                    delay=0.3)
    for n in range(1, ENTRIES + 1):
        server.add(f"/news/{n}", page)


def test_sigkill_mid_cycle_then_restart_loses_and_duplicates_nothing(server, tmp_path):
    serve_slow_feed(server)
    config_path = daemon_config(tmp_path, server, {"news": "/news.xml"}, workers=1)
    db_path = tmp_path / "t.db"
    first = start_process(config_path)
    try:
        wait_for(lambda: count(db_path, "SELECT COUNT(*) FROM articles") >= 2, what="two stored articles")
    finally:
        kill_group(first)
    killed_at = count(db_path, "SELECT COUNT(*) FROM articles")
    assert 2 <= killed_at < ENTRIES, "the kill should land in the middle of the cycle"
    assert lock_path_for(db_path).exists()  # SIGKILL leaves the lock file behind
    assert count(db_path, "SELECT COUNT(*) FROM runs WHERE finished_at IS NULL") == 1

    polls_before = server.hits("/news.xml")
    second = start_process(config_path)
    try:
        wait_for(lambda: count(db_path, "SELECT COUNT(*) FROM articles") == ENTRIES, what="every article")
        second.send_signal(signal.SIGTERM)
        _, stderr = second.communicate(timeout=15)
    finally:
        kill_group(second)
    assert second.returncode == 0, stderr
    assert "took over the lock of pid" in stderr and "which is no longer running" in stderr
    assert "recovered 1 interrupted run(s)" in stderr

    # Restarted, the feed was asked conditionally: its unstored entries waited in the queue.
    refetch = [h for _, path, h, _ in server.requests[:] if path == "/news.xml"][polls_before]
    assert "If-None-Match" in refetch
    assert count(db_path, "SELECT COUNT(*) FROM pending_entries") == 0
    assert count(db_path, "SELECT COUNT(*) FROM articles") == ENTRIES
    assert count(db_path, "SELECT COUNT(DISTINCT url) FROM articles") == ENTRIES
    assert count(db_path, "SELECT COUNT(*) FROM versions") == ENTRIES
    assert count(db_path, "SELECT COUNT(*) FROM (SELECT article_id FROM versions GROUP BY article_id "
                          "HAVING COUNT(*) > 1)") == 0
    db = open_db(db_path)
    try:
        interrupted = rows(db, "SELECT * FROM runs WHERE error_summary LIKE 'interrupted%'")
        assert len(interrupted) == 1 and interrupted[0]["error_summary"] == INTERRUPTED
    finally:
        db.close()


def test_recovery_closes_interrupted_runs_and_keeps_validators(db):
    db.execute("INSERT INTO feeds (name, url, configured_url, interval_s, created_at, etag, last_polled_at, "
               "next_poll_at) VALUES ('early', 'u1', 'u1', 60, 't', '\"e\"', '2024-03-20T11:00:00+00:00', 'x'),"
               " ('late', 'u2', 'u2', 60, 't', '\"l\"', '2024-03-20T12:00:05+00:00', 'y')")
    db.execute("INSERT INTO runs (started_at, finished_at) VALUES ('2024-03-20T11:00:00+00:00', "
               "'2024-03-20T11:00:09+00:00'), ('2024-03-20T12:00:00+00:00', NULL)")
    assert recover_interrupted_runs(db, now=parse_utc("2024-03-20T13:00:00+00:00")) == [2]
    # The entries a crash left unstored wait in pending_entries: no validator is forgotten.
    feeds = {r["name"]: r for r in rows(db, "SELECT * FROM feeds")}
    assert (feeds["late"]["etag"], feeds["late"]["next_poll_at"]) == ('"l"', "y")
    runs = rows(db, "SELECT * FROM runs ORDER BY id")
    assert runs[1]["finished_at"] == "2024-03-20T13:00:00+00:00" and runs[1]["errors"] == 1
    assert runs[0]["error_summary"] is None
    assert recover_interrupted_runs(db, now=parse_utc("2024-03-20T14:00:00+00:00")) == []


def test_a_long_read_transaction_does_not_fail_the_daemons_writes(server, tmp_path):
    server.add("/news.xml", body=rss(server, "news", 5), content_type="application/rss+xml")
    config = load_config(daemon_config(tmp_path, server, {"news": "/news.xml"}))
    open_db(config.db).close()
    # As Datasette does: a read-only connection inside one long read transaction.
    reader = sqlite3.connect(f"file:{config.db}?mode=ro", uri=True, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
    daemon = Daemon(config, intervals=QUICK)
    daemon.start()
    try:
        wait_for(lambda: count(config.db, "SELECT COUNT(*) FROM runs WHERE finished_at IS NOT NULL") >= 2,
                 what="two finished daemon runs")
        assert reader.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0  # its snapshot holds
    finally:
        daemon.stop()
        assert daemon.wait(timeout=10)
        reader.execute("COMMIT")
    assert reader.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 5
    assert reader.execute("SELECT COALESCE(SUM(errors), 0) FROM runs").fetchone()[0] == 0
    reader.close()


def test_poll_killed_mid_cycle_hides_no_entry_behind_a_304(server, tmp_path):
    """A one-off `tracker poll` killed while articles are in flight: the feed's
    validators were saved with its new entries queued, so the next poll gets a
    304, stores the rest from the queue and closes the killed poll's run."""
    import subprocess
    import sys

    serve_slow_feed(server)
    config_path = daemon_config(tmp_path, server, {"news": "/news.xml"}, workers=1)
    db_path = tmp_path / "t.db"
    subprocess.run([sys.executable, "-m", "tracker", "--config", str(config_path), "init"], check=True,
                   capture_output=True, cwd=tmp_path)
    poll = [sys.executable, "-m", "tracker", "--config", str(config_path), "poll", "--all"]
    first = subprocess.Popen(poll, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                             start_new_session=True)
    try:
        wait_for(lambda: count(db_path, "SELECT COUNT(*) FROM articles") >= 2, what="two stored articles")
    finally:
        kill_group(first)
    stored = count(db_path, "SELECT COUNT(*) FROM articles")
    assert stored < ENTRIES
    assert count(db_path, "SELECT COUNT(*) FROM feeds WHERE etag IS NOT NULL") == 1
    assert count(db_path, "SELECT COUNT(*) FROM pending_entries") == ENTRIES - stored

    second = subprocess.run(poll, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert second.returncode == 0, second.stderr
    assert "(1 not modified, 0 failed)" in second.stdout
    assert count(db_path, "SELECT COUNT(*) FROM articles") == ENTRIES
    assert count(db_path, "SELECT COUNT(*) FROM versions") == ENTRIES
    assert count(db_path, "SELECT COUNT(*) FROM pending_entries") == 0
    assert count(db_path, "SELECT COUNT(*) FROM runs WHERE finished_at IS NULL") == 0
    assert count(db_path, "SELECT COUNT(*) FROM runs WHERE error_summary LIKE 'interrupted%'") == 1
