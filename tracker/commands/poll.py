"""tracker poll / status / recheck.

``status`` prints a list of sections; another area adds its own with::

    from tracker.commands.poll import status_section

    @status_section("Alerts")
    def _alerts(db, config, now) -> list[str]: ...
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from typing import Any, Callable

import click

from tracker.analysis import check_stance_files
from tracker.cli import App, pass_app
from tracker.clock import SYSTEM_CLOCK, iso
from tracker.config import Config
from tracker.daemon import command_lock, recover_interrupted_runs
from tracker.models import RunStats
from tracker.pipeline import Progress, run_cycle, run_recheck
from tracker.store import rows

log = logging.getLogger("tracker.poll")

# Events a person wants to see without --verbose; the rest are debug detail.
# analysis-failed and article-deferred stay debug detail: their cause is logged once (tracker.analysis.OnceLog).
_WARN = {"feed-failed", "feed-gone", "article-failed", "recheck-failed"}
_INFO = {"feed-ok", "feed-not-modified", "article-new", "version-new"}


def summary_line(stats: RunStats, *, label: str = "poll") -> str:
    return (
        f"{label}: {stats.feeds_polled} feeds polled ({stats.feeds_not_modified} not modified, "
        f"{stats.feeds_failed} failed), {stats.articles_new} new articles ({stats.articles_failed} failed), "
        f"{stats.versions_new} new versions, {stats.claims_new} new claims, {stats.shifts_new} new shifts, "
        f"{stats.alerts_sent} alerts sent"
    )


class Reporter:
    """Progress on a terminal (one rewritten line), one log line per event otherwise."""

    def __init__(self, verbosity: int, *, tty: bool | None = None) -> None:
        self.verbosity = verbosity
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.shown = False

    def __call__(self, event: Progress) -> None:
        line = f"{event.kind} {event.subject}" + (f": {event.detail}" if event.detail else "")
        if self.tty and self.verbosity >= 0:
            if event.kind in _WARN:
                self._clear()
                click.echo(line, err=True)
            s = event.stats
            click.echo(f"\rfeeds {s.feeds_polled}/{event.feeds_total} · articles {s.articles_new} · "
                       f"versions {s.versions_new} · errors {len(s.errors)}", err=True, nl=False)
            self.shown = True
            return
        level = logging.WARNING if event.kind in _WARN else logging.INFO if event.kind in _INFO else logging.DEBUG
        log.log(level, "%s", line)

    def _clear(self) -> None:
        if self.shown:
            click.echo("\r\033[K", err=True, nl=False)

    def close(self) -> None:
        if self.shown:
            click.echo("", err=True)
            self.shown = False


@click.command("poll")
@click.option("--all", "all_feeds", is_flag=True, help="Poll every unmuted feed, due or not.")
@click.option("--feed", "feed_names", multiple=True, metavar="NAME",
              help="Poll only this feed (repeatable), even when muted or not due.")
@pass_app
def poll_command(app: App, all_feeds: bool, feed_names: tuple[str, ...]) -> None:
    """Run one cycle now: due feeds, new articles, re-checks. Exit 0 even when feeds fail."""
    config = app.config
    for name in feed_names:
        config.feed(name)  # an unknown name fails before anything runs
    check_stance_files(config)
    with command_lock(app.db_path, "poll"):
        db = app.open_db()
        reporter = Reporter(app.verbosity)
        started = SYSTEM_CLOCK.now()
        try:
            recover_interrupted_runs(db, now=started)
            stats = run_cycle(db, config, clock=SYSTEM_CLOCK, feed_names=feed_names, all_feeds=all_feeds,
                              trigger="poll", progress=reporter)
            hints = poll_hints(db, stats, started, every=all_feeds or bool(feed_names))
        finally:
            reporter.close()
            db.close()
    app.echo(summary_line(stats))
    for hint in hints:
        click.echo(hint, err=True)


def poll_hints(db, stats: RunStats, started: datetime, *, every: bool) -> list[str]:
    """Why a cycle did nothing: no feed was due (when the next one is), or no network at all."""
    if stats.feeds_polled == 0 and not every:
        nxt = db.execute("SELECT name, next_poll_at FROM feeds WHERE NOT muted AND next_poll_at IS NOT NULL "
                         "ORDER BY next_poll_at LIMIT 1").fetchone()
        if nxt is None:
            return ["no feed was due; 'tracker poll --all' polls every feed now"]
        return [f"no feed was due: each waits for its interval (the next is {nxt[0]!r} at {_short(nxt[1])} UTC); "
                "'tracker poll --all' polls every feed now"]
    if stats.feeds_polled and stats.feeds_failed == stats.feeds_polled:
        reasons = {r[0] for r in db.execute("SELECT last_error_reason FROM feeds WHERE last_polled_at >= ?",
                                            (iso(started),)).fetchall()}
        if reasons == {"dns"}:
            return [f"every feed ({stats.feeds_polled}) failed to resolve its host name: no network? "
                    "Check the connection and DNS, then run 'tracker poll --all'"]
    return []


@click.command("recheck")
@pass_app
def recheck_command(app: App) -> None:
    """Re-fetch the articles that are due for a check; store a version when the text changed."""
    check_stance_files(app.config)
    with command_lock(app.db_path, "recheck"):
        db = app.open_db()
        reporter = Reporter(app.verbosity)
        try:
            stats = run_recheck(db, app.config, clock=SYSTEM_CLOCK, progress=reporter)
        finally:
            reporter.close()
            db.close()
    app.echo(f"recheck: {stats.versions_new} new versions, {len(stats.errors)} failed")


# -- status ------------------------------------------------------------------

StatusSection = Callable[[Any, Config, datetime], list[str]]
STATUS_SECTIONS: list[tuple[str, StatusSection]] = []


def status_section(title: str) -> Callable[[StatusSection], StatusSection]:
    """Register a section of ``tracker status`` (printed in registration order)."""
    def register(function: StatusSection) -> StatusSection:
        STATUS_SECTIONS.append((title, function))
        return function
    return register


def format_table(headers: list[str], body: list[list[Any]]) -> list[str]:
    cells = [[("" if value is None else str(value)) for value in row] for row in body]
    widths = [max(len(h), *(len(row[i]) for row in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in cells)]


def _short(ts: str | None) -> str:
    return ts[:16].replace("T", " ") if ts else "-"


def feed_state(row: dict[str, Any]) -> str:
    if row.get("muted"):
        return "MUTED (410 Gone)"
    if row.get("error_count"):
        return f"FAILING x{row['error_count']}"
    if not row.get("last_polled_at"):
        return "never polled"
    return "ok"


@status_section("Feeds")
def _feeds_section(db, config: Config, now: datetime) -> list[str]:
    stored = {row["name"]: row for row in rows(db, "SELECT * FROM feeds")}
    counts = {r["feed_id"]: r["n"] for r in rows(db, "SELECT feed_id, COUNT(*) AS n FROM articles GROUP BY feed_id")}
    body = []
    names = [f.name for f in config.feeds] + sorted(set(stored) - {f.name for f in config.feeds})
    for name in names:
        row = stored.get(name, {"name": name})
        state = feed_state(row)
        if name in stored and name not in {f.name for f in config.feeds}:
            state += " (not in config)"
        body.append([name, state, row.get("last_status") or "-", _short(row.get("last_success_at")),
                     _short(row.get("next_poll_at")), counts.get(row.get("id"), 0),
                     row.get("last_error_reason") or ("bozo" if row.get("bozo_warning") else "")])
    if not body:
        return ["no feeds configured"]
    return format_table(["feed", "state", "http", "last success", "next poll", "articles", "problem"], body)


@status_section("Last runs")
def _runs_section(db, config: Config, now: datetime) -> list[str]:
    found = rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 5")
    if not found:
        return ["no runs yet; run 'tracker poll'"]
    return format_table(
        ["started", "trigger", "feeds", "failed", "304", "articles", "versions", "claims", "shifts", "errors"],
        [[_short(r["started_at"]), r["trigger"], r["feeds_polled"], r["feeds_failed"], r["feeds_not_modified"],
          r["articles_new"], r["versions_new"], r["claims_new"], r["shifts_new"], r["errors"]] for r in found])


@status_section("Counts")
def _counts_section(db, config: Config, now: datetime) -> list[str]:
    def count(sql: str) -> int:
        return db.execute(sql).fetchone()[0]

    articles = count("SELECT COUNT(*) FROM articles")
    fallback = count("SELECT COUNT(*) FROM articles WHERE fetch_status = 'fallback'")
    no_text = count("SELECT COUNT(*) FROM articles WHERE fetch_status = 'failed'")
    versions = count("SELECT COUNT(*) FROM versions")
    edits = count("SELECT COUNT(*) FROM versions WHERE number > 1")
    claims = count("SELECT COUNT(*) FROM claims")
    shifts = count("SELECT COUNT(*) FROM shifts")
    pending = count("SELECT COUNT(*) FROM alerts WHERE status = 'pending'")
    return [
        f"articles {articles} (feed-summary fallback {fallback}, no text {no_text})",
        f"versions {versions} (edits caught {edits})",
        f"claims {claims}, shifts {shifts}, alerts pending {pending}",
        *_unfinished_lines(count),
    ]


def _unfinished_lines(count: Callable[[str], int]) -> list[str]:
    """Work waiting for the next cycle: queued entries, versions not (yet) analysed."""
    queued = count("SELECT COUNT(*) FROM pending_entries")
    failed = count("SELECT COUNT(*) FROM versions WHERE analysis_status = 'failed'")
    waiting = count("SELECT COUNT(*) FROM versions WHERE analysis_status = 'pending'")
    if not (queued or failed or waiting):
        return []
    return [f"entries queued {queued}; versions whose analysis failed {failed} ('tracker reanalyse --failed'), "
            f"not yet analysed {waiting}"]


@click.command("status")
@pass_app
def status_command(app: App) -> None:
    """Feed health, the last runs and counts."""
    config = app.config
    db = app.open_db()
    try:
        now = SYSTEM_CLOCK.now()
        blocks = []
        for title, section in STATUS_SECTIONS:
            blocks.append("\n".join([f"== {title} ==", *section(db, config, now)]))
    finally:
        db.close()
    click.echo("\n\n".join(blocks))


COMMANDS = [poll_command, status_command, recheck_command]
