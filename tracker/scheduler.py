"""APScheduler wiring only: which job runs when. What a job does lives in ``tracker.daemon``.

Every job runs on ONE executor thread, which owns the database connection:
writes are serialised without a lock, and a slow feed delays the others
instead of racing them for the same article. Feed jobs are interval jobs
(coalesce, one instance, misfire grace of one interval); after each run the
daemon moves the job's next run time to the feed's ``next_poll_at``, which
already holds back-off, Retry-After, max-age and ``<ttl>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

FEED_JOB = "feed:"


@dataclass(frozen=True)
class JobIntervals:
    """How often the daemon's housekeeping jobs run (seconds)."""

    recheck_s: int = 900  # re-fetch the articles whose check is due
    alerts_s: int = 60  # enqueue and deliver alerts, retry failed deliveries
    health_s: int = 300  # log feed health; health alerts ride on the alerts job


def build_scheduler() -> BackgroundScheduler:
    return BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=timezone.utc,
    )


def feed_job_id(feed_name: str) -> str:
    return FEED_JOB + feed_name


def add_feed_job(scheduler: BackgroundScheduler, feed_name: str, func: Callable[[], None], *,
                 interval_s: int, jitter_s: int, first_run: datetime) -> None:
    scheduler.add_job(
        func, IntervalTrigger(seconds=interval_s, jitter=jitter_s or None, timezone=timezone.utc),
        id=feed_job_id(feed_name), name=f"poll feed {feed_name!r}", next_run_time=first_run,
        misfire_grace_time=max(interval_s, 1), replace_existing=True,
    )


def add_periodic_job(scheduler: BackgroundScheduler, job_id: str, func: Callable[[], None], *,
                     every_s: int, first_run: datetime) -> None:
    scheduler.add_job(func, IntervalTrigger(seconds=every_s, timezone=timezone.utc), id=job_id, name=job_id,
                      next_run_time=first_run, misfire_grace_time=max(every_s, 1), replace_existing=True)


def move_feed_job(scheduler: BackgroundScheduler, feed_name: str, when: datetime | None) -> None:
    """Next run of the feed's job at ``when``; None removes the job (a muted feed)."""
    job_id = feed_job_id(feed_name)
    try:
        if when is None:
            scheduler.remove_job(job_id)
        else:
            scheduler.modify_job(job_id, next_run_time=when)
    except JobLookupError:
        pass  # the scheduler is shutting down and has dropped its jobs


def next_run_times(scheduler: BackgroundScheduler) -> dict[str, datetime | None]:
    return {job.id: job.next_run_time for job in scheduler.get_jobs()}
