"""Page -> text and metadata via trafilatura; a too-short result says why.

``deduplicate=False`` because trafilatura's dedup cache lives for the whole
process and would shorten a re-extracted page, so version diffs would lie;
``include_comments=False`` because reader comments change between polls.

``extract_html`` is a plain top-level function of bytes and strings so a
process pool can run it: trafilatura is CPU-bound, and under the GIL a cycle
with many new articles would use one core. ``make_extractor(workers)`` gives
the pipeline's extractor, a process pool when there is more than one core.

Worker processes die with the tracker process (even after ``kill -9``) and
one page gets at most ``time_limit_s`` (``[polling] extract_timeout``): a
worker that overruns is killed and replaced, and the page is recorded with
the reason ``extract-timeout``.
"""

from __future__ import annotations

import html as htmllib
import logging
import ctypes
import multiprocessing
import os
import re
import select
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

import lxml.html
import trafilatura
from lxml import etree

from tracker.errors import ExtractError
from tracker.models import Entry, Extracted, Page

MIN_TEXT_CHARS = 200
MAX_DEFAULT_WORKERS = 4
DEFAULT_TIME_LIMIT_S = 20.0
_PR_SET_PDEATHSIG = 1
# Dates from the page's markup only (meta tags, <time>, JSON-LD, URL): htmldate's
# extensive search guesses from any date in the text, which misdates articles
# that mention other days, and costs a quarter of the extraction time
# (bench/bench_pipeline.py).
_DATE_PARAMS = {"extensive_search": False, "original_date": True}

log = logging.getLogger(__name__)

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
               "blockquote", "tr", "table", "section", "article", "pre", "figcaption"}
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")


def extract_html(content: bytes | str, url: str | None = None, *, charset: str | None = None,
                 min_chars: int = MIN_TEXT_CHARS) -> Extracted:
    """Main text, title, author and date of an HTML page.

    Raises ExtractError with reason ``no-text`` (nothing extracted) or
    ``too-short`` (fewer than ``min_chars`` characters: a paywall stub, a
    cookie wall or an index page).
    """
    document = content
    if isinstance(content, bytes) and charset:
        # The HTTP charset wins when the bytes agree with it; otherwise let
        # trafilatura read the <meta> declaration or guess.
        try:
            document = content.decode(charset)
        except (UnicodeDecodeError, LookupError):
            document = content
    try:
        result = trafilatura.bare_extraction(
            document, url=url, deduplicate=False, include_comments=False, with_metadata=True,
            date_extraction_params=_DATE_PARAMS,
        )
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise ExtractError(f"{url or 'page'}: trafilatura failed: {exc}", reason="no-text") from None
    text = (getattr(result, "text", None) or "").strip() if result is not None else ""
    if not text:
        raise ExtractError(f"{url or 'page'}: no main text found in the page", reason="no-text")
    if len(text) < min_chars:
        raise ExtractError(
            f"{url or 'page'}: extracted text is only {len(text)} characters (minimum {min_chars}); "
            "likely a paywall, cookie wall or index page", reason="too-short")
    return Extracted(
        text=text,
        title=_clean(getattr(result, "title", None)),
        author=_clean(getattr(result, "author", None)),
        date=_clean(getattr(result, "date", None)),
        source="extracted",
        language=declared_language_of(document),
    )


_LANG_ATTR = re.compile(rb"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z]{2}(?:[-_][A-Za-z]{2,4})?)""", re.IGNORECASE)
_OG_LOCALE = re.compile(rb"""<meta\b[^>]*?property\s*=\s*["']og:locale["'][^>]*?content\s*=\s*["']([A-Za-z]{2}(?:[-_][A-Za-z]{2,4})?)""",
                        re.IGNORECASE)


def declared_language_of(document: bytes | str) -> str | None:
    """The language a page declares (<html lang>, else og:locale), as written; None when it declares none."""
    head = document[:8192]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    for pattern in (_LANG_ATTR, _OG_LOCALE):
        m = pattern.search(head)
        if m:
            return m.group(1).decode("ascii")
    return None


def extract_page(page: Page, *, min_chars: int = MIN_TEXT_CHARS) -> Extracted:
    """The default extractor: ``extract_html`` on a fetched page."""
    return extract_html(page.content, page.url, charset=page.encoding, min_chars=min_chars)


class InlineExtractor:
    """Extraction in the calling thread (one core); ``close`` does nothing.

    One page at a time: trafilatura in four threads at once took 70% more CPU
    than in one (GIL hand-offs, cache thrash; bench/bench_pipeline.py), while
    the other fetch threads can keep downloading meanwhile.
    """

    def __init__(self, *, min_chars: int = MIN_TEXT_CHARS) -> None:
        self.min_chars = min_chars
        self.workers = 1
        self._one_at_a_time = threading.Lock()

    def __call__(self, page: Page) -> Extracted:
        with self._one_at_a_time:
            return extract_page(page, min_chars=self.min_chars)

    def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run other CPU-bound work (feed parsing) where extraction runs."""
        with self._one_at_a_time:
            return function(*args, **kwargs)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class WorkTimeout(ExtractError):
    """One piece of work overran the extractor's time limit; its worker was replaced."""

    reason = "extract-timeout"


def _die_with(parent_pid: int) -> None:
    """Worker initializer: exit when the tracker process ``parent_pid`` is gone, even after kill -9.

    The kernel kills the worker when its direct parent (the forkserver) dies
    (PR_SET_PDEATHSIG); a thread watches the tracker process itself.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the watcher thread alone
        pass
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    try:
        fd = os.pidfd_open(parent_pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        select.select([fd], [], [])  # readable once the process has exited
    else:
        while True:
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
            time.sleep(1.0)
    os._exit(0)


class PoolExtractor(InlineExtractor):
    """Extraction in worker processes, so a cycle with many new articles uses every core.

    The cycle's fetch threads call it; each waits for its own page while the
    processes work. The pool starts on the first page, so a cycle of 304s
    starts none. Workers come from a forkserver that has imported trafilatura
    once: forking from the daemon's threads is unsafe, and a fresh interpreter
    per worker would pay the import every cycle. If the pool cannot start or a
    worker dies, pages are extracted in this process and the reason is logged.
    """

    def __init__(self, workers: int, *, min_chars: int = MIN_TEXT_CHARS,
                 time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> None:
        super().__init__(min_chars=min_chars)
        self.workers = workers
        self.time_limit_s = time_limit_s
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0  # bumped each time an overrun replaces the pool
        self._lock = threading.Lock()
        self._closed = False
        self.broken: str | None = None  # why extraction fell back to this process
        self.replaced = 0  # pools replaced after an overrun
        # One submission per worker at a time, so the time limit counts work, not waiting in the queue.
        self._slots = threading.BoundedSemaphore(workers)

    def __call__(self, page: Page) -> Extracted:
        try:
            return self.run(extract_html, page.content, page.url, charset=page.encoding, min_chars=self.min_chars)
        except WorkTimeout as exc:
            raise WorkTimeout(f"{page.url}: {exc.message}") from None

    def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a picklable top-level function in a worker; in this process when the pool is down.

        Raises WorkTimeout when it takes longer than ``time_limit_s``.
        """
        with self._slots:
            return self._run(function, *args, **kwargs)

    def _run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        for _ in range(3):  # a pool replaced under this call (another page's overrun): submit again
            pool, generation = self._get_pool()
            if pool is None:
                return super().run(function, *args, **kwargs)
            try:
                future = pool.submit(function, *args, **kwargs)
            except RuntimeError as exc:  # shut down meanwhile: by close(), a replacement or a break
                if self._generation != generation:
                    continue
                self._mark_broken(f"{type(exc).__name__}: {exc}")
                return super().run(function, *args, **kwargs)
            try:
                return future.result(timeout=self.time_limit_s)
            except FutureTimeout:
                self._replace(generation)
                raise WorkTimeout(
                    f"extraction took longer than {self.time_limit_s:g}s ([polling] extract_timeout); "
                    "its worker process was replaced") from None
            except BrokenProcessPool as exc:
                if self._generation != generation:
                    continue
                self._mark_broken(f"{type(exc).__name__}: {exc}")
                return super().run(function, *args, **kwargs)
        return super().run(function, *args, **kwargs)

    def _get_pool(self) -> tuple[ProcessPoolExecutor | None, int]:
        with self._lock:
            if self._pool is None and self.broken is None and not self._closed:
                try:
                    context = multiprocessing.get_context("forkserver")
                    context.set_forkserver_preload(["tracker.extract", "tracker.analysis", "tracker.stance"])
                    self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                                     initializer=_die_with, initargs=(os.getpid(),))
                    # Start the forkserver (it imports trafilatura) and a worker now, so
                    # no page's time limit pays for it.
                    self._pool.submit(os.getpid).result()
                except (OSError, ValueError, BrokenProcessPool) as exc:
                    if self._pool is not None:
                        self._pool.shutdown(wait=False, cancel_futures=True)
                        self._pool = None
                    self.broken = f"cannot start {self.workers} extraction processes: {exc}"
                    log.warning("%s; extracting in this process", self.broken)
            return self._pool, self._generation

    def _replace(self, generation: int) -> None:
        """Kill the workers of an overrunning pool; the next page starts a fresh one."""
        with self._lock:
            if self._generation != generation or self._pool is None:
                return
            pool, self._pool = self._pool, None
            self._generation += 1
            self.replaced += 1
        log.warning("an extraction overran %gs; its worker processes were replaced", self.time_limit_s)
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def _mark_broken(self, why: str) -> None:
        with self._lock:
            if self.broken is None and not self._closed:
                self.broken = why
                log.warning("extraction process pool failed (%s); extracting in this process", why)
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    """The cores this process may use, at most ``MAX_DEFAULT_WORKERS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def make_extractor(workers: int | None = None, *, min_chars: int = MIN_TEXT_CHARS,
                   time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> InlineExtractor:
    """The pipeline's extractor: a callable Page -> Extracted with ``close()``.

    ``workers`` None means one process per core (``default_workers()``); 0 or
    1 extracts in the calling thread, where no time limit can be enforced.
    Use it as a context manager or call ``close()`` to stop the worker processes.
    """
    workers = default_workers() if workers is None else workers
    if workers <= 1:
        return InlineExtractor(min_chars=min_chars)
    return PoolExtractor(workers, min_chars=min_chars, time_limit_s=time_limit_s)


def fallback_from_entry(entry: Entry, why: str) -> Extracted:
    """The feed's own summary/content as the article text, noting why it was used.

    Raises ExtractError(reason ``no-text``) when the feed has no text either.
    """
    text = (entry.summary or "").strip()
    if not text:
        raise ExtractError(f"{entry.url}: {why}; and the feed entry has no summary to fall back on",
                           reason="no-text")
    return Extracted(text=text, title=entry.title, author=entry.author, date=entry.published_at,
                     source="feed-summary", note=why)


def html_to_text(value: str | None) -> str:
    """Plain text of an HTML fragment (feed summaries), one line per block."""
    if not value:
        return ""
    if not _TAG.search(value):
        return htmllib.unescape(value).strip()
    try:
        root = lxml.html.fragment_fromstring(value, create_parent="div")
    except (etree.ParserError, ValueError):
        return htmllib.unescape(_TAG.sub(" ", value)).strip()
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None
