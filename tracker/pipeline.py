"""run_cycle(): feeds -> entries -> articles -> versions -> analysis -> outbox; one ``runs`` row.

Network work (feeds, pages) runs in a thread pool and extraction in a
process pool over the cores (``tracker.extract.make_extractor``); every
database write happens on the calling thread.

Nothing is lost between stages: a feed's new entries are queued
(``pending_entries``) in the transaction that writes its new validators, so
a re-poll is a 304 whatever fails downstream; each entry leaves the queue in
the transaction that stores its article and version; the version is then
analysed in a transaction of its own (``tracker.analysis.Analyser``), and a
failed analysis is retried by the next cycle. One feed's or one article's
failure is recorded with its reason and the cycle goes on.
"""

from __future__ import annotations

import logging
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

import httpx

from tracker import feeds, recheck, store
from tracker.clock import Clock, iso
from tracker.analysis import Analysed, Analyser, OnceLog
from tracker.config import Config
from tracker.db import transaction
from tracker.errors import ExtractError, FeedError, TrackerError
from tracker.extract import WorkTimeout, fallback_from_entry, make_extractor
from tracker.fetch import fetch_page
from tracker.http import HostLimiter, Resolver, make_client
from tracker.models import Entry, Extracted, Page, RunStats
from tracker.versions import record_version

log = logging.getLogger(__name__)

Extractor = Callable[[Page], Extracted]


@dataclass(frozen=True)
class Progress:
    """One event of a cycle, for a progress display or a log line.

    kind: feed-ok | feed-not-modified | feed-failed | feed-gone | article-new |
    article-failed | article-deferred | article-duplicate | version-new | analysis-failed | recheck-unchanged |
    recheck-failed
    """

    kind: str
    subject: str
    detail: str | None
    stats: RunStats
    feeds_total: int = 0


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class _Stored:
    url: str
    number: int
    chars_added: int
    chars_removed: int
    version_id: int


@dataclass(frozen=True)
class _Fetched:
    """What a worker brings back for one article: text, or why there is none."""

    page_url: str | None
    extracted: Extracted | None
    error: TrackerError | None


def run_cycle(
    db,
    config: Config,
    *,
    clock: Clock,
    client: httpx.Client | None = None,
    feed_names: Iterable[str] | None = None,
    all_feeds: bool = False,
    trigger: str = "poll",
    progress: ProgressCallback | None = None,
    extractor: Extractor | None = None,
    resolver: Resolver | None = None,
    poll_feeds: bool = True,
    recheck_due: bool = True,
    extract_workers: int | None = None,
    notes: OnceLog | None = None,
) -> RunStats:
    """One cycle: poll the due feeds (or ``all_feeds``, or ``feed_names``),
    store new articles, re-check due articles, deliver alerts. Writes one
    ``runs`` row and returns its counters.

    Without an ``extractor``, pages are extracted by ``make_extractor(extract_workers)``:
    a process pool over the cores (None), or in the fetch threads (0 or 1).
    ``notes`` logs recurring failures once per cause (the daemon keeps one).
    """
    stats = RunStats()
    run_id = store.start_run(db, started_at=iso(clock.now()), trigger=trigger)
    own_client = client is None
    client = client or make_client(config.fetch)
    own_extractor = extractor is None
    extractor = extractor or make_extractor(extract_workers if extract_workers is not None
                                            else config.polling.extract_workers,
                                            time_limit_s=config.polling.extract_timeout_s)
    try:
        store.sync_feeds(db, config, clock.now())
        selected = store.feeds_to_poll(db, config, clock.now(), names=list(feed_names or ()) or None,
                                       all_feeds=all_feeds) if poll_feeds else []
        cycle = _Cycle(db, config, clock=clock, client=client, stats=stats, progress=progress,
                       extractor=extractor, resolver=resolver, feeds_total=len(selected),
                       analyser=Analyser(db, config, clock=clock, notes=notes, runner=extractor))
        cycle.retry_analysis()
        cycle.run(selected, recheck_due=recheck_due)
        cycle.summarise_analysis()
        if config.alert_channels:
            from tracker.alerts.outbox import deliver_due

            stats.alerts_sent += deliver_due(db, config, clock=clock)
    finally:
        if own_extractor:
            extractor.close()
        if own_client:
            client.close()
        store.finish_run(db, run_id, stats, finished_at=iso(clock.now()))
    return stats


def run_recheck(db, config: Config, *, clock: Clock, client: httpx.Client | None = None,
                progress: ProgressCallback | None = None, **kwargs: Any) -> RunStats:
    """Only re-check the articles that are due (``tracker recheck``)."""
    return run_cycle(db, config, clock=clock, client=client, trigger="recheck", progress=progress,
                     poll_feeds=False, **kwargs)


def ingest_text(db, config: Config, *, url: str, title: str | None, text: str, published_at: str | None,
                outlet: str | None, feed_id: int | None = None, clock: Clock,
                source: str = "extracted") -> tuple[int, int | None]:
    """Store already-extracted text as an article version and analyse it.

    Returns (article_id, version_id); version_id is None when the text equals
    the article's latest version. The article is not scheduled for re-checks.
    """
    now = iso(clock.now())
    canonical = feeds.canonical_url(url)
    with transaction(db):
        article_id = store.known_article(db, canonical) or store.insert_article(
            db, url=canonical, feed_id=feed_id, outlet=outlet, title=title, published_at=published_at, now=now)
        result = record_version(db, article_id, Extracted(text=text, title=title, source=source), fetched_at=now)
        if result.changed:
            store.update_article(db, article_id, last_changed_at=now)
        store.update_article(db, article_id, last_checked_at=now, fetch_status="ok")
    if result.changed:
        Analyser(db, config, clock=clock).run(result.version_id)
    return article_id, result.version_id


class _Cycle:
    def __init__(self, db, config: Config, *, clock: Clock, client: httpx.Client, stats: RunStats,
                 progress: ProgressCallback | None, extractor: Extractor, resolver: Resolver | None,
                 feeds_total: int, analyser: Analyser) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.client = client
        self.stats = stats
        self.progress = progress
        self.extractor = extractor
        self.resolver = resolver
        self.feeds_total = feeds_total
        self.limiter = HostLimiter(config.fetch.per_host_concurrency)
        self.queued: set[str] = set()
        # Finished work comes back through a queue, so the writer thread picks
        # up each result in O(1) however many fetches are outstanding.
        self.finished: queue.SimpleQueue[tuple[Future, Callable[[Any], None]]] = queue.SimpleQueue()
        self.outstanding = 0
        self.analyser = analyser
        self.deferred: dict[str, int] = {}  # cause -> entries whose store failed this cycle

    # -- orchestration ---------------------------------------------------
    def run(self, selected: list[dict[str, Any]], *, recheck_due: bool) -> None:
        with ThreadPoolExecutor(max_workers=self.config.polling.workers, thread_name_prefix="tracker") as pool:
            self.pool = pool
            for row in selected:
                self._submit(lambda poll, row=row: self._feed_done(row, poll), self._poll_feed, row)
            self._drain()
            if recheck_due:
                for article in recheck.due_articles(self.db, self.clock.now()):
                    if article["url"] in self.queued:
                        continue
                    self._submit(lambda fetched, article=article: self._recheck_done(article, fetched),
                                 self._fetch_article, article["url"])
                self._drain()

    def _parse(self, content: bytes, **kwargs: Any) -> feeds.ParsedFeed:
        """Parse a feed where pages are extracted (worker processes when there is a pool)."""
        run = getattr(self.extractor, "run", None)
        try:
            return run(feeds.parse_feed, content, **kwargs) if run else feeds.parse_feed(content, **kwargs)
        except WorkTimeout as exc:
            raise FeedError(f"feed {kwargs.get('feed_name')!r} ({kwargs.get('url')}): parsing {exc.message}",
                            reason="parse-timeout") from None

    def _submit(self, handler: Callable[[Any], None], work: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``work`` in the pool; ``handler`` gets its result on this (the writer) thread."""
        future = self.pool.submit(work, *args, **kwargs)
        self.outstanding += 1
        future.add_done_callback(lambda done: self.finished.put((done, handler)))

    def _drain(self) -> None:
        while self.outstanding:
            future, handler = self.finished.get()
            self.outstanding -= 1
            try:
                handler(future.result())
            except Exception as exc:  # a bug in one item's handling must not end the cycle
                log.exception("internal error while handling a result")
                self.stats.errors.append(f"internal error: {type(exc).__name__}: {exc}")

    def _emit(self, kind: str, subject: str, detail: str | None = None) -> None:
        if self.progress is not None:
            self.progress(Progress(kind, subject, detail, self.stats, self.feeds_total))

    # -- feeds -----------------------------------------------------------
    def _poll_feed(self, row: dict[str, Any]) -> feeds.FeedPoll:
        """Worker side: poll one feed; an unexpected exception is an outcome, not the cycle's end."""
        try:
            return feeds.poll_feed(self.client, self.config.fetch, feed_name=row["name"], url=row["url"],
                                   etag=row["etag"], last_modified=row["last_modified"], resolver=self.resolver,
                                   parse=self._parse)
        except Exception as exc:
            log.exception("feed %r: polling failed unexpectedly", row["name"])
            return feeds.FeedPoll(row["name"], row["url"], "failed", reason="internal",
                                  message=f"feed {row['name']!r}: internal error {type(exc).__name__}: {exc}; "
                                          "please report it with this feed's URL")

    def _feed_done(self, row: dict[str, Any], poll: feeds.FeedPoll) -> None:
        now = self.clock.now()
        changes = feeds.health_changes(row, poll, self.config.polling, now)
        fresh: list[Entry] = []
        if poll.outcome == "ok":
            for entry in poll.entries:
                if entry.url in self.queued or store.is_pending(self.db, entry.url) or store.known_article(
                        self.db, entry.url, feed_id=row["id"], guid=entry.guid):
                    continue
                fresh.append(entry)
        # The new validators and the new entries are committed together: the
        # next poll may be a 304, since the entries wait in pending_entries.
        with transaction(self.db):
            store.update_feed(self.db, row["id"], changes, entries_seen=len(poll.entries))
            store.add_pending(self.db, row["id"], fresh, now=iso(now))
        self.stats.feeds_polled += 1
        if poll.outcome == "not-modified":
            self.stats.feeds_not_modified += 1
            self._emit("feed-not-modified", row["name"])
        elif poll.outcome in ("failed", "gone"):
            self.stats.feeds_failed += 1
            self.stats.errors.append(poll.message or f"feed {row['name']!r}: {poll.reason}")
            self._emit(f"feed-{poll.outcome}", row["name"], f"[{poll.reason}] {poll.message}")
        else:
            detail = f"{len(poll.entries)} entries, {len(fresh)} new"
            if poll.parsed and poll.parsed.bozo_warning:
                detail += f" (malformed: {poll.parsed.bozo_warning})"
            if poll.parsed and poll.parsed.skipped:
                detail += f"; {len(poll.parsed.skipped)} skipped: {'; '.join(poll.parsed.skipped[:3])}"
            self._emit("feed-ok", row["name"], detail)
        outlet = row["outlet"] or changes.get("title") or row["title"] or row["name"]
        self._fetch_pending(row["id"], outlet, now)

    def _fetch_pending(self, feed_id: int, outlet: str | None, now: datetime) -> None:
        """Fetch the feed's queued entries that are due: new ones and those a failure deferred."""
        for pending_id, attempts, entry in store.due_pending(self.db, feed_id, now=iso(now)):
            if entry.url in self.queued:
                continue
            self.queued.add(entry.url)
            done = lambda fetched, entry=entry, pending=(pending_id, attempts): self._article_done(  # noqa: E731
                feed_id, outlet, entry, fetched, pending)
            if self.config.polling.fetch_articles:
                self._submit(done, self._fetch_article, entry.url)
            else:
                done(_Fetched(None, None, ExtractError("[polling] fetch_articles is false", reason="not-fetched")))

    # -- articles (worker side) ------------------------------------------
    def _fetch_article(self, url: str) -> _Fetched:
        try:
            page = fetch_page(self.client, url, self.config.fetch, clock=self.clock, limiter=self.limiter,
                              resolver=self.resolver)
        except TrackerError as exc:
            return _Fetched(None, None, exc)
        try:
            return _Fetched(page.url, self.extractor(page), None)
        except TrackerError as exc:
            return _Fetched(page.url, None, exc)

    # -- articles (writer side) ------------------------------------------
    def _article_done(self, feed_id: int, outlet: str | None, entry: Entry, fetched: _Fetched,
                      pending: tuple[int, int]) -> None:
        try:
            stored = self._store_article(feed_id, outlet, entry, fetched, pending[0])
        except Exception as exc:  # one article's failure must not end the cycle; it stays queued
            self._defer(entry, pending, f"{type(exc).__name__}: {exc}")
            return
        if stored is not None:
            self._analyse(stored)

    def _defer(self, entry: Entry, pending: tuple[int, int], why: str) -> None:
        """Keep a queued entry whose article could not be stored; try again later, backing off."""
        pending_id, attempts = pending
        delay = min(60 * 2 ** min(attempts, 20), self.config.polling.max_backoff_s)
        when = iso(self.clock.now() + timedelta(seconds=delay))
        with transaction(self.db):
            store.defer_pending(self.db, pending_id, error=why, next_attempt_at=when)
        self.analyser.notes.warning(f"store:{why}", "storing %s failed: %s; it stays queued and is tried again "
                                    "from %s", entry.url, why, when)
        self.stats.articles_failed += 1
        self.deferred[why] = self.deferred.get(why, 0) + 1
        self._emit("article-deferred", entry.url, f"{why}; queued until {when}")

    def _store_article(self, feed_id: int, outlet: str | None, entry: Entry, fetched: _Fetched,
                       pending_id: int) -> _Stored | None:
        """Store one queued entry as an article and its version, and take it off the queue."""
        if fetched.page_url and fetched.page_url != entry.url and store.known_article(self.db, fetched.page_url):
            with transaction(self.db):
                store.drop_pending(self.db, pending_id)
            self._emit("article-duplicate", entry.url, f"redirects to the known {fetched.page_url}")
            return None
        extracted, status, error = fetched.extracted, "ok", None
        if extracted is None:
            why = f"{fetched.error.reason}: {fetched.error.message}" if fetched.error else "no text"
            try:
                extracted, status, error = fallback_from_entry(entry, why), "fallback", why
            except ExtractError as exc:
                extracted, status, error = None, "failed", exc.message
        now = self.clock.now()
        # With [polling] fetch_articles = false no page is ever fetched, so
        # there is nothing to re-check (a re-check would fetch the page).
        next_check = recheck.next_check_at(now, first_seen_at=iso(now), last_changed_at=iso(now),
                                           max_age_days=self.config.fetch.max_article_age_days) \
            if self.config.polling.fetch_articles else None
        with transaction(self.db):
            article_id = store.known_article(self.db, entry.url) or store.insert_article(
                self.db, url=entry.url, feed_id=feed_id, outlet=entry.outlet or outlet, entry=entry,
                title=entry.title or (extracted and extracted.title),
                author=entry.author or (extracted and extracted.author),
                published_at=entry.published_at or (extracted and extracted.date), now=iso(now))
            stored = self._store_version(article_id, entry.url, extracted, now) if extracted else None
            store.update_article(
                self.db, article_id, last_checked_at=iso(now), check_count=1, fetch_status=status,
                fetch_error=error, last_changed_at=iso(now) if stored else None, next_check_at=next_check)
            store.drop_pending(self.db, pending_id)
        if status == "failed":
            self._article_failed(entry.url, error)
            return None
        self.stats.articles_new += 1
        self._emit("article-new", entry.url, f"fallback to the feed summary ({error})" if error else None)
        return stored

    def _recheck_done(self, article: dict[str, Any], fetched: _Fetched) -> None:
        now = self.clock.now()
        max_age = self.config.fetch.max_article_age_days
        try:
            with transaction(self.db):
                stored = None
                error = None
                if fetched.extracted is not None:
                    stored = self._store_version(article["id"], article["url"], fetched.extracted, now)
                else:
                    error = f"{fetched.error.reason}: {fetched.error.message}" if fetched.error else "no text"
                changed = stored is not None
                last_changed = iso(now) if changed else article["last_changed_at"]
                fields = dict(last_checked_at=iso(now), check_count=article["check_count"] + 1,
                              next_check_at=recheck.next_check_at(now, first_seen_at=article["first_seen_at"],
                                                                  last_changed_at=last_changed, max_age_days=max_age))
                if changed:
                    fields.update(last_changed_at=last_changed, fetch_status="ok", fetch_error=None)
                elif error:
                    fields.update(fetch_error=error)
                store.update_article(self.db, article["id"], **fields)
        except Exception as exc:  # one article's failure must not end the cycle
            why = f"{type(exc).__name__}: {exc}"
            self.analyser.notes.warning(f"store:{why}", "re-checking %s failed: %s", article["url"], why)
            self._article_failed(article["url"], why)
            return
        if stored is not None:
            self._analyse(stored)
        if error:
            # Kept on the article (fetch_error), not in the run's errors: a page
            # that was already unusable failing again on schedule is no news.
            self._emit("recheck-failed", article["url"], error)
        elif not changed:
            self._emit("recheck-unchanged", article["url"])

    def _store_version(self, article_id: int, url: str, extracted: Extracted, now: datetime) -> _Stored | None:
        """Inside the article's transaction: the version, to analyse after the commit. None if unchanged."""
        result = record_version(self.db, article_id, extracted, fetched_at=iso(now))
        if not result.changed:
            return None
        return _Stored(url, result.number, result.chars_added, result.chars_removed, result.version_id)

    def _analyse(self, stored: _Stored) -> None:
        """After the commit: count and report a stored version, then analyse it."""
        self.stats.versions_new += 1
        self._emit("version-new", stored.url,
                   f"version {stored.number} (+{stored.chars_added}/-{stored.chars_removed} chars)")
        self._count_analysis(self.analyser.run(stored.version_id), stored.url)

    def _count_analysis(self, done: Analysed, subject: str) -> None:
        if done.error is None:
            self.stats.claims_new += done.claims
            self.stats.shifts_new += done.shifts
        else:
            self._emit("analysis-failed", subject, done.error)

    def retry_analysis(self) -> None:
        """Analyse the versions a crash left pending or an earlier failure marked (oldest first)."""
        for done in self.analyser.retry():
            self._count_analysis(done, f"version {done.version_id}")

    def summarise_analysis(self) -> None:
        """One error line per cause of this cycle's deferred entries and failed analyses, not one per article."""
        for why, count in self.deferred.items():
            self.stats.errors.append(f"storing failed for {count} entr{'y' if count == 1 else 'ies'}, "
                                     f"kept queued: {why}")
        for why, count in self.analyser.failures.items():
            self.stats.errors.append(f"analysis failed for {count} version(s): {why}")

    def _article_failed(self, url: str, reason: str | None) -> None:
        self.stats.articles_failed += 1
        self.stats.errors.append(f"article {url}: {reason}")
        self._emit("article-failed", url, reason)
