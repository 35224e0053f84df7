"""The daemon against a real local server: schedules, politeness, one daemon per database, SIGTERM.

Intervals below the 5-minute floor come from ``[polling] min_interval = 1``
in the test config (the setting exists for tests; production keeps 5 min).
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import write_config
from tests.localserver import Response
from tracker.cli import main
from tracker.config import load_config
from tracker.daemon import Daemon, DaemonLock, lock_path_for
from tracker.errors import StoreError
from tracker.scheduler import JobIntervals

QUICK = JobIntervals(recheck_s=3600, alerts_s=3600, health_s=3600)


def rss(server, name: str, count: int, *, start: int = 1) -> bytes:
    items = "".join(f"<item><title>{name} {n}</title><link>{server.url(f'/{name}/{n}')}</link>"
                    f"<description>Summary of {name} item {n}, long enough to keep.</description></item>"
                    for n in range(start, start + count))
    return f'<rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'.encode()


def daemon_config(tmp_path: Path, server, feeds: dict[str, str], *, workers: int = 2, extra: str = ""):
    body = (f'[storage]\ndb = "{tmp_path / "t.db"}"\n\n[fetch]\nallow_private_addresses = ["127.0.0.0/8"]\n'
            f'timeout = 2\n\n[polling]\njitter = 0\nmin_interval = 1\nworkers = {workers}\n{extra}\n')
    for name, path in feeds.items():
        body += f'[[feed]]\nname = "{name}"\nurl = "{server.url(path)}"\ninterval = 1\n\n'
    return write_config(tmp_path, body)


class Timed:
    """A route that records when it was asked and answers from a script (the last answer repeats)."""

    def __init__(self, *responses: Response) -> None:
        self.responses = responses
        self.times: list[float] = []

    def __call__(self, handler) -> Response:
        self.times.append(time.monotonic())
        return self.responses[min(len(self.times), len(self.responses)) - 1]

    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.times, self.times[1:])]


def wait_for(predicate, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def count(db_path: Path, sql: str) -> int:
    if not db_path.exists():
        return 0
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    finally:
        conn.close()


def start_process(config_path: Path, *args: str) -> subprocess.Popen:
    """``tracker run`` in its own process group, so ``kill_group`` also ends its extraction workers."""
    return subprocess.Popen([sys.executable, "-m", "tracker", "--config", str(config_path), "run", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config_path.parent,
                            start_new_session=True)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process and every process it started (as systemd does to a unit's cgroup)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def test_polls_follow_interval_max_age_and_retry_after(server, tmp_path):
    steady = Timed(Response(body=rss(server, "steady", 1), content_type="application/rss+xml"))
    cached = Timed(Response(body=rss(server, "cached", 1), content_type="application/rss+xml",
                            headers={"Cache-Control": "max-age=3"}))
    busy = Timed(Response(status=503, body=b"busy", headers={"Retry-After": "3"}),
                 Response(body=rss(server, "busy", 1), content_type="application/rss+xml"))
    for path, route in (("/steady.xml", steady), ("/cached.xml", cached), ("/busy.xml", busy)):
        server.add(path, route)
    config = load_config(daemon_config(tmp_path, server, {
        "steady": "/steady.xml", "cached": "/cached.xml", "busy": "/busy.xml"}))
    daemon = Daemon(config, intervals=QUICK)
    daemon.start()
    try:
        time.sleep(7.5)
        # While it runs: status reads the database and names the daemon; a second one is refused.
        status = CliRunner().invoke(main, ["--config", str(config.path), "status"])
        assert status.exit_code == 0, status.output
        assert f"running: pid {os.getpid()} on host " in status.output
        with pytest.raises(StoreError, match=f"another tracker daemon already runs on this database "
                                             f"\\(pid {os.getpid()} on host "):
            Daemon(config, intervals=QUICK).start()
    finally:
        daemon.stop()
        assert daemon.wait(timeout=10)
    assert not lock_path_for(config.db).exists()

    assert len(steady.times) >= 3 and min(steady.gaps()) >= 1.0, steady.gaps()
    assert len(cached.times) >= 2 and min(cached.gaps()) >= 3.0, cached.gaps()  # max-age=3 beats interval 1
    assert len(busy.times) >= 2 and busy.gaps()[0] >= 3.0, busy.gaps()  # Retry-After: 3
    assert min(busy.gaps()[1:] or [1.0]) >= 1.0
    assert count(config.db, "SELECT COUNT(*) FROM articles") == 3


def test_a_second_daemon_is_refused_naming_the_holder(tmp_path):
    config_path = write_config(tmp_path, f'[storage]\ndb = "{tmp_path / "t.db"}"\n')
    holder = DaemonLock(tmp_path / "t.db")
    holder.acquire(started_at="2024-03-20T12:00:00+00:00")
    try:
        result = CliRunner().invoke(main, ["--config", str(config_path), "run"])
    finally:
        holder.release()
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 't.db'}: another tracker daemon already runs on this database "
        f"(pid {os.getpid()} on host {socket.gethostname()}, started 2024-03-20T12:00:00+00:00); "
        f"stop it first (kill {os.getpid()}) or give this one another --db. Lock file: {tmp_path / 't.db.lock'}\n")


def test_a_stale_lock_of_a_dead_process_is_taken_over(server, tmp_path, caplog):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    config = load_config(daemon_config(tmp_path, server, {}))
    lock = lock_path_for(config.db)
    lock.write_text(f'{{"pid": {dead.pid}, "host": "{socket.gethostname()}", "started_at": "2024-01-01T00:00:00+00:00"}}')
    assert CliRunner().invoke(main, ["--config", str(config.path), "init"]).exit_code == 0
    status = CliRunner().invoke(main, ["--config", str(config.path), "status"])
    assert f"not running; the last daemon (pid {dead.pid} on host" in status.output
    daemon = Daemon(config, intervals=QUICK)
    with caplog.at_level("WARNING", logger="tracker.daemon"):
        daemon.start()
    try:
        assert f"took over the lock of pid {dead.pid} on host {socket.gethostname()}, started " \
               "2024-01-01T00:00:00+00:00, which is no longer running" in caplog.text
        assert f'"pid": {os.getpid()}' in lock.read_text()
    finally:
        daemon.stop()
        daemon.wait(timeout=10)


def test_sigterm_finishes_the_article_in_flight_and_exits_0(server, tmp_path):
    slow_page = Response(body=b"<html><body><p>" + b"Slow article text. " * 40 + b"</p></body></html>", delay=0.4)
    server.add("/news.xml", body=rss(server, "news", 8), content_type="application/rss+xml")
    for n in range(1, 9):
        server.add(f"/news/{n}", slow_page)
    config_path = daemon_config(tmp_path, server, {"news": "/news.xml"}, workers=1)
    db_path = tmp_path / "t.db"
    process = start_process(config_path)
    try:
        wait_for(lambda: count(db_path, "SELECT COUNT(*) FROM articles") >= 2, what="two stored articles")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    finally:
        kill_group(process)  # the extraction workers too, should any outlive a failed test
    assert process.returncode == 0, stderr
    stored = count(db_path, "SELECT COUNT(*) FROM articles")
    assert 2 <= stored < 8, "the cycle should stop early, not run to the end"
    assert count(db_path, "SELECT COUNT(*) FROM versions") == stored  # every stored article is whole
    assert count(db_path, "SELECT COUNT(*) FROM runs WHERE finished_at IS NULL") == 0
    # The entries not stored wait in the queue, saved with the feed's validators; the feed is due.
    assert count(db_path, "SELECT COUNT(*) FROM feeds WHERE etag IS NOT NULL AND next_poll_at IS NULL") == 1
    assert count(db_path, "SELECT COUNT(*) FROM pending_entries") == 8 - stored
    assert not lock_path_for(db_path).exists()
    assert "stopping: finishing the article in flight" in stderr and "daemon stopped" in stderr
    assert f"feed=news article-new {server.url('/news/1')}" in stderr


def test_status_sees_no_daemon_when_none_runs(tmp_path):
    config_path = write_config(tmp_path, f'[storage]\ndb = "{tmp_path / "t.db"}"\n')
    assert CliRunner().invoke(main, ["--config", str(config_path), "init"]).exit_code == 0
    result = CliRunner().invoke(main, ["--config", str(config_path), "status"])
    assert result.exit_code == 0
    assert "== Daemon ==\nnot running ('tracker run' starts it)" in result.output


def test_stop_from_another_thread_while_waiting(server, tmp_path):
    config = load_config(daemon_config(tmp_path, server, {}))
    daemon = Daemon(config, intervals=QUICK)
    daemon.start()
    threading.Timer(0.2, daemon.stop).start()
    assert daemon.wait(timeout=10)
    assert not lock_path_for(config.db).exists()
