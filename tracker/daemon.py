"""The daemon behind ``tracker run``: one per database, stops cleanly, recovers from crashes.

* A lock file next to the database (``tracker.db.lock``) holds pid, host and
  start time under an ``flock``: the kernel drops it when the process dies,
  even by SIGKILL, so a stale file is simply taken over, and a second daemon
  is refused with the holder named.
* SIGTERM / SIGINT: no new request is sent, the article in flight is stored,
  the cycle stops at the next article boundary, the database is
  checkpointed and closed, the lock released, exit 0. The entries the
  stopped feed did not store stay queued for the next start.
* At start, runs left unfinished by a crash are closed as interrupted; the
  entries a crash left unstored wait in ``pending_entries`` (saved with the
  feed's validators), so a 304 hides none of them.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Iterator

import httpx

from tracker import scheduler as sched
from tracker import store
from tracker.analysis import OnceLog, check_stance_files
from tracker.clock import SYSTEM_CLOCK, Clock, iso, parse_utc
from tracker.config import Config
from tracker.db import open_db, transaction
from tracker.extract import make_extractor
from tracker.errors import StoreError
from tracker.http import Resolver, make_client, make_transport
from tracker.pipeline import Extractor, Progress, run_cycle, run_recheck

log = logging.getLogger("tracker.daemon")

LOG_LEVELS = ("debug", "info", "warning", "error")
# analysis-failed and article-deferred stay debug detail: their cause is logged once (tracker.analysis.OnceLog).
_WARN = {"feed-failed", "feed-gone", "article-failed", "recheck-failed"}
_INFO = {"feed-ok", "article-new", "version-new"}
INTERRUPTED = "interrupted: the process stopped during this run (crash or kill); recovered at the next start"


# -- one daemon per database ---------------------------------------------------

@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started_at: str
    command: str = "run"  # the tracker command holding the lock: run | poll | recheck | reanalyse

    def describe(self) -> str:
        what = "" if self.command == "run" else f"'tracker {self.command}', "
        return f"{what}pid {self.pid} on host {self.host}, started {self.started_at}"

    def alive(self) -> bool | None:
        """True/False for a process on this host; None when it runs elsewhere (unknown)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def read_lock_holder(path: Path) -> LockHolder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LockHolder(pid=int(data["pid"]), host=str(data["host"]), started_at=str(data["started_at"]),
                          command=str(data.get("command", "run")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class DaemonLock:
    """An exclusive ``flock`` on ``<db>.lock``; the file says who holds it.

    The daemon holds it for its life; ``tracker poll`` (and the other commands
    that fetch or analyse) for one cycle, so two of them never fetch the same
    pages at once.
    """

    def __init__(self, db_path: Path, *, command: str = "run") -> None:
        self.db_path = db_path
        self.path = lock_path_for(db_path)
        self.command = command
        self._fd: int | None = None

    def acquire(self, *, started_at: str, wait_s: float = 0.0) -> LockHolder | None:
        """Take the lock; return the previous, dead holder when a stale lock was taken over.

        While another one-off command holds it, wait up to ``wait_s`` seconds
        (never for a daemon, which holds it until stopped). Raises
        StoreError(reason 'locked') naming the live holder.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait_s
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                holder = read_lock_holder(self.path)
                if time.monotonic() < deadline and (holder is None or holder.command != "run"):
                    time.sleep(0.1)
                    continue
                raise self._refused(holder, wait_s) from None
            try:
                same_file = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:
                break
            os.close(fd)  # the previous holder removed the file while we opened it: lock the new one
        previous = read_lock_holder(self.path)
        me = LockHolder(pid=os.getpid(), host=socket.gethostname(), started_at=started_at, command=self.command)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me.__dict__).encode("utf-8") + b"\n", 0)
        os.fsync(fd)
        self._fd = fd
        return previous if previous and previous != me else None

    def _refused(self, holder: LockHolder | None, waited_s: float) -> StoreError:
        who = holder.describe() if holder else "a process that has not written its details yet"
        where = f"Lock file: {self.path}"
        if holder is not None and holder.command != "run":
            waited = f"waited {waited_s:g}s; " if waited_s else ""
            return StoreError(
                f"{self.db_path}: another tracker command is using this database ({who}); {waited}"
                f"run 'tracker {self.command}' again when it has finished. {where}", reason="locked")
        if self.command == "run":
            hint = f"stop it first (kill {holder.pid}) or " if holder else ""
            return StoreError(f"{self.db_path}: another tracker daemon already runs on this database ({who}); "
                              f"{hint}give this one another --db. {where}", reason="locked")
        hint = f" (kill {holder.pid})" if holder else ""
        return StoreError(
            f"{self.db_path}: a tracker daemon runs on this database ({who}) and polls it on its own; "
            f"'tracker {self.command}' is refused so that no page is fetched twice; stop the daemon first{hint} "
            f"or give this command another --db. {where}", reason="locked")

    def __enter__(self) -> "DaemonLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink()  # while still locked, so nobody locks a file about to vanish
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None


LOCK_WAIT_S = 30.0  # how long a one-off command waits for another one-off command to finish


@contextmanager
def command_lock(db_path: Path, command: str, *, clock: Clock = SYSTEM_CLOCK,
                 wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the database lock for one command (``tracker poll``...); StoreError naming the holder."""
    lock = DaemonLock(Path(db_path), command=command)
    lock.acquire(started_at=iso(clock.now()), wait_s=wait_s)
    try:
        yield
    finally:
        lock.release()


# -- crash recovery ------------------------------------------------------------

def recover_interrupted_runs(db, *, now: datetime) -> list[int]:
    """Close the runs a crash or a kill left open; return their ids.

    Called by whoever holds the database lock (the daemon, ``tracker poll``),
    so an open run belongs to a dead process. Nothing else needs repair: the
    entries of a feed polled during the run wait in ``pending_entries``.
    """
    open_runs = store.rows(db, "SELECT id, started_at FROM runs WHERE finished_at IS NULL ORDER BY started_at")
    if not open_runs:
        return []
    with transaction(db) as conn:
        conn.execute("UPDATE runs SET finished_at = ?, errors = errors + 1, "
                     "error_summary = COALESCE(error_summary || char(10), '') || ? WHERE finished_at IS NULL",
                     (iso(now), INTERRUPTED))
    log.warning("recovered %d interrupted run(s) started since %s; their unstored entries are still queued",
                len(open_runs), open_runs[0]["started_at"])
    return [r["id"] for r in open_runs]


# -- logging -------------------------------------------------------------------

def configure_logging(level: str) -> None:
    """One line per event on stderr (journald adds its own timestamps; the line keeps ours)."""
    numeric = getattr(logging, level.upper())
    root = logging.getLogger()
    root.setLevel(numeric)
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                               "%Y-%m-%dT%H:%M:%S"))
        root.addHandler(handler)
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    # APScheduler's own lines ("Running job ...") are debug detail; its warnings stay.
    logging.getLogger("apscheduler").setLevel(numeric if numeric <= logging.DEBUG else logging.WARNING)


# -- the daemon ----------------------------------------------------------------

class _Stopping(BaseException):
    """Raised on the writer thread at the next event after a stop was asked."""


class _StoppableTransport(httpx.BaseTransport):
    """Refuses new requests once the daemon is stopping, so a cycle winds down in seconds."""

    def __init__(self, inner: httpx.BaseTransport, stopping: threading.Event) -> None:
        self._inner = inner
        self._stopping = stopping

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._stopping.is_set():
            raise httpx.ConnectError("not sent: the daemon is stopping", request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def _long_lived_extractor(config: Config):
    return make_extractor(config.polling.extract_workers, time_limit_s=config.polling.extract_timeout_s)


class Daemon:
    """Schedules every feed, the re-checks, alert delivery and a health log until stopped.

    ``start()`` returns once the jobs are scheduled; ``stop()`` may be called
    from any thread or a signal handler; ``wait()`` blocks until stopped and
    cleans up. ``run()`` does all three with SIGTERM/SIGINT installed.
    """

    def __init__(self, config: Config, *, db_path: Path | None = None, clock: Clock = SYSTEM_CLOCK,
                 transport: httpx.BaseTransport | None = None, resolver: Resolver | None = None,
                 extractor: Extractor | None = None, intervals: sched.JobIntervals = sched.JobIntervals()) -> None:
        self.config = config
        self.db_path = Path(db_path or config.db)
        self.clock = clock
        self.resolver = resolver
        self.extractor = extractor
        self.intervals = intervals
        self.stopping = threading.Event()
        self._stopped = threading.Event()
        # Held while a job moves its own next run time, and by the shutdown:
        # APScheduler's shutdown waits for jobs while holding its job store lock.
        self._scheduling = threading.Lock()
        self._transport = _StoppableTransport(transport or make_transport(), self.stopping)
        self.lock = DaemonLock(self.db_path)
        self.scheduler = sched.build_scheduler()
        self.db = None
        self.notes = OnceLog(log)  # recurring failures logged once per cause for the daemon's life
        self.client: httpx.Client | None = None
        self._own_extractor = None

    # -- life cycle ------------------------------------------------------
    def start(self) -> None:
        now = self.clock.now()
        check_stance_files(self.config)  # a broken actors/topics file is a config error, before the lock
        stale = self.lock.acquire(started_at=iso(now))
        try:
            if stale is not None:
                log.warning("took over the lock of %s, which is no longer running", stale.describe())
            self.db = open_db(self.db_path)
            recover_interrupted_runs(self.db, now=now)
            store.sync_feeds(self.db, self.config, now)
            self.client = make_client(self.config.fetch, transport=self._transport)
            if self.extractor is None:
                # One extractor (and its worker processes) for the daemon's life,
                # not a new one for every feed's cycle.
                self.extractor = self._own_extractor = _long_lived_extractor(self.config)
            self._schedule(now)
            self.scheduler.start()
        except BaseException:
            self._cleanup()
            raise
        log.info("daemon started: pid %d, database %s, %d feeds scheduled", os.getpid(), self.db_path,
                 sum(1 for job in self.scheduler.get_jobs() if job.id.startswith(sched.FEED_JOB)))

    def stop(self, *_signal_args: Any) -> None:
        if self.stopping.is_set():
            return
        log.info("stopping: finishing the article in flight")
        self.stopping.set()
        self._stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stopped, then shut down; False if ``timeout`` passed first."""
        if not self._stopped.wait(timeout):
            return False
        self._cleanup()
        log.info("daemon stopped")
        return True

    def run(self) -> None:
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            self.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _cleanup(self) -> None:
        with self._scheduling:
            self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # the running job ends at its next article boundary
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._own_extractor is not None:
            self._own_extractor.close()
            self.extractor = self._own_extractor = None
        if self.db is not None:
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # a Datasette reader may hold the rest
            self.db.close()
            self.db = None
        self.lock.release()

    # -- scheduling ------------------------------------------------------
    def _schedule(self, now: datetime) -> None:
        polling = self.config.polling
        stored = {row["name"]: row for row in store.rows(
            self.db, "SELECT name, muted, CASE WHEN EXISTS (SELECT 1 FROM pending_entries p WHERE p.feed_id = feeds.id)"
                     " THEN NULL ELSE next_poll_at END AS next_poll_at FROM feeds")}
        for feed in self.config.feeds:
            row = stored[feed.name]
            if row["muted"]:
                log.warning("feed=%s is muted after 410 Gone; not scheduled (change its url in the config)",
                            feed.name)
                continue
            interval = min(max(feed.interval_s, polling.min_interval_s), polling.max_interval_s)
            sched.add_feed_job(self.scheduler, feed.name, lambda name=feed.name: self._poll_feed(name),
                               interval_s=interval, jitter_s=polling.jitter_s,
                               first_run=self._run_time(row["next_poll_at"], now))
        sched.add_periodic_job(self.scheduler, "recheck", self._recheck, every_s=self.intervals.recheck_s,
                               first_run=now + timedelta(seconds=self.intervals.recheck_s))
        sched.add_periodic_job(self.scheduler, "health", self._health, every_s=self.intervals.health_s,
                               first_run=now + timedelta(seconds=self.intervals.health_s))
        if self.config.alert_channels:
            sched.add_periodic_job(self.scheduler, "alerts", self._deliver_alerts, every_s=self.intervals.alerts_s,
                                   first_run=now + timedelta(seconds=self.intervals.alerts_s))

    def _run_time(self, next_poll_at: str | None, now: datetime) -> datetime:
        if not next_poll_at:
            return now
        # next_poll_at is stored to the second: round up so a poll is never sooner than asked;
        # never later than the clamp (a clock that jumped back must not stall the feed).
        return min(max(parse_utc(next_poll_at) + timedelta(seconds=1), now), store.latest_next_poll(self.config, now))

    # -- jobs (all on the one executor thread) ----------------------------
    def _poll_feed(self, name: str) -> None:
        if self.stopping.is_set():
            return
        try:
            stats = run_cycle(self.db, self.config, clock=self.clock, client=self.client, feed_names=[name],
                              trigger="daemon", recheck_due=False, progress=self._reporter(name),
                              resolver=self.resolver, extractor=self.extractor, notes=self.notes)
            log.debug("feed=%s cycle done: %d new articles, %d new versions, %d errors", name,
                      stats.articles_new, stats.versions_new, len(stats.errors))
        except _Stopping:
            # Due at the next start (a 304), where the entries it did not store wait in the queue.
            self.db.execute("UPDATE feeds SET next_poll_at = NULL WHERE name = ?", [name])
            log.info("feed=%s stopped after the article in flight; its remaining entries stay queued", name)
            return
        except Exception:
            log.exception("feed=%s: the cycle failed; the next poll follows its interval", name)
            return
        row = store.one(self.db, "SELECT muted, next_poll_at FROM feeds WHERE name = ?", [name])
        if row is None or row["muted"] or not row["next_poll_at"]:
            self._move(name, None)
            log.warning("feed=%s is muted (410 Gone) and no longer polled; change its url in the config", name)
            return
        when = self._run_time(row["next_poll_at"], self.clock.now())
        self._move(name, when)
        log.debug("feed=%s next poll at %s", name, iso(when))

    def _move(self, name: str, when: datetime | None) -> None:
        with self._scheduling:
            if not self.stopping.is_set():
                sched.move_feed_job(self.scheduler, name, when)

    def _recheck(self) -> None:
        if self.stopping.is_set():
            return
        try:
            stats = run_recheck(self.db, self.config, clock=self.clock, client=self.client,
                                progress=self._reporter(None), resolver=self.resolver, extractor=self.extractor,
                                notes=self.notes)
            log.info("recheck: %d new versions, %d failed", stats.versions_new, len(stats.errors))
        except _Stopping:
            log.info("recheck stopped after the article in flight")
        except Exception:
            log.exception("recheck failed; it runs again in %ds", self.intervals.recheck_s)

    def _deliver_alerts(self) -> None:
        if self.stopping.is_set():
            return
        from tracker.alerts.outbox import deliver_due

        try:
            sent = deliver_due(self.db, self.config, clock=self.clock)
            if sent:
                log.info("alerts: %d sent", sent)
        except Exception:
            log.exception("alert delivery failed; it runs again in %ds", self.intervals.alerts_s)

    def _health(self) -> None:
        if self.stopping.is_set():
            return
        found = store.rows(self.db, "SELECT name, muted, error_count, last_error_reason, last_success_at "
                                    "FROM feeds ORDER BY name")
        failing = [r for r in found if r["error_count"] and not r["muted"]]
        muted = [r for r in found if r["muted"]]
        for row in failing:
            log.warning("feed=%s failing x%d (%s); last success %s", row["name"], row["error_count"],
                        row["last_error_reason"], row["last_success_at"] or "never")
        log.info("health: %d feeds, %d failing, %d muted", len(found), len(failing), len(muted))

    # -- helpers ---------------------------------------------------------
    def _reporter(self, feed_name: str | None):
        def report(event: Progress) -> None:
            level = logging.WARNING if event.kind in _WARN else logging.INFO if event.kind in _INFO else logging.DEBUG
            where = f"feed={feed_name} " if feed_name else ""
            log.log(level, "%s%s %s%s", where, event.kind, event.subject, f": {event.detail}" if event.detail else "")
            if self.stopping.is_set():
                raise _Stopping
        return report
