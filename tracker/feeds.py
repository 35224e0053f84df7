"""Poll one feed: conditional GET, feedparser, and the feed's new health.

``poll_feed`` never raises for a feed-level problem: every outcome (new
entries, 304, a failure with its reason, 410 Gone) comes back as a
``FeedPoll`` so the cycle records it and goes on. ``health_changes`` turns a
poll into the new values of the ``feeds`` row (back-off, mute, new URL) and
the next poll time: never sooner than the feed asks (Cache-Control max-age,
Expires, RSS ``<ttl>``, ``sy:updatePeriod``, Retry-After), clamped to
``[polling] min_interval .. max_interval``.

Hostile documents are refused before feedparser sees them: a media or
archive content type, and XML entity declarations whose expansion would
exceed ``MAX_ENTITY_EXPANSION`` bytes (feedparser drops nested entities, so a
"billion laughs" is harmless, but it keeps flat ones, and both its strict and
its loose parser expand them: a 20 kB "quadratic blow-up" becomes 100 MB).
"""

from __future__ import annotations

import calendar
import codecs
import re
import statistics
import xml.sax
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
import httpx

from tracker.clock import iso
from tracker.config import FetchConfig, PollingConfig
from tracker.errors import FeedError, FetchError
from tracker.extract import html_to_text
from tracker.http import Resolver, guarded_get
from tracker.models import Entry

TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "wt_mc", "wt_zmc", "wt.mc_id", "ocid", "cmpid", "cmp", "ito", "ref_src", "ref_url",
    "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
    "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "xtor", "smid", "soc_src",
    "soc_trk", "mkt_tok", "spm",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "__twitter", "hsa_")

# Feed documents never come as these; parsing one would only waste memory.
_NOT_FEED_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                   "application/gzip", "application/x-gzip")
MAX_ENTITY_EXPANSION = 1_000_000  # bytes that declared XML entities may add to a feed
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s+)?([\w.:-]+)\s+(?:\"([^\"]*)\"|'([^']*)')")
_SY_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400, "yearly": 365 * 86400}

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
               "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, fragment or tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets: http://[::1]:8/a
        host = f"[{host}]"
    port = parts.port if parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443)) else None
    netloc = host if port is None else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = [
        (key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    entries: tuple[Entry, ...]
    bozo_warning: str | None = None
    encoding: str | None = None
    skipped: tuple[str, ...] = ()  # why an entry was not used (no link, duplicate...)
    # How long the feed asks readers to wait between polls (<ttl>, sy:updatePeriod).
    ttl_s: int | None = None


@dataclass(frozen=True)
class FeedPoll:
    """The outcome of polling one feed. ``outcome`` is ok | not-modified | failed | gone."""

    feed_name: str
    url: str
    outcome: str
    http_status: int | None = None
    reason: str | None = None
    message: str | None = None
    parsed: ParsedFeed | None = None
    etag: str | None = None
    last_modified: str | None = None
    new_url: str | None = None  # reached through a permanent redirect
    retry_after: str | None = None  # raw header of a 429/503
    # Raw caching headers of a 200 or 304: how long the answer stays fresh.
    cache_control: str | None = None
    expires: str | None = None
    date: str | None = None
    age: str | None = None

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.parsed.entries if self.parsed else ()


def parse_feed(content: bytes, *, url: str, feed_name: str, content_type: str | None = None) -> ParsedFeed:
    """Entries of a feed document. Raises FeedError(reason 'not-a-feed') for a
    document that is no feed (an HTML page, an error page)."""
    check_content_type(content_type, url=url, feed_name=feed_name)
    check_entity_expansion(content, url=url, feed_name=feed_name)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # Summaries become plain text, so sanitising and resolving their HTML is wasted work.
    parsed = feedparser.parse(content, response_headers=headers, resolve_relative_uris=False, sanitize_html=False)
    warning = None
    if parsed.bozo:
        exc = parsed.get("bozo_exception")
        warning = f"{type(exc).__name__}: {exc}" if exc is not None else "malformed feed"
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        kind = f"{content_type} " if content_type else ""
        raise FeedError(
            f"feed {feed_name!r} ({url}): the {kind}document is not a feed and has no entries"
            f"{f' ({warning})' if warning else ''}; check the feed URL in the config",
            reason="not-a-feed")
    entries: list[Entry] = []
    skipped: list[str] = []
    seen_urls: set[str] = set()
    seen_guids: set[str] = set()
    for number, item in enumerate(parsed.entries, start=1):
        entry = _entry(item, feed_url=url, feed_name=feed_name)
        label = item.get("title") or f"entry #{number}"
        if entry is None:
            skipped.append(f"{label}: no link")
            continue
        if entry.guid and entry.guid in seen_guids:
            skipped.append(f"{label}: same guid as an earlier entry ({entry.guid})")
            continue
        if entry.guid:
            seen_guids.add(entry.guid)
        if entry.url in seen_urls:
            skipped.append(f"{label}: same link as an earlier entry ({entry.url})")
            continue
        seen_urls.add(entry.url)
        entries.append(entry)
    if not entries and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        # Cut or broken XML that left nothing usable is a failure, not a healthy empty feed.
        raise FeedError(
            f"feed {feed_name!r} ({url}): the document is malformed ({warning}) and none of its "
            f"{len(parsed.entries)} entries is usable ({skipped[0]}); check the feed URL or tell the publisher",
            reason="no-usable-entries")
    title = (parsed.feed.get("title") or "").strip() or None
    return ParsedFeed(title=title, entries=tuple(entries), bozo_warning=warning,
                      encoding=parsed.get("encoding"), skipped=tuple(skipped), ttl_s=_feed_ttl(parsed.feed))


def check_content_type(content_type: str | None, *, url: str, feed_name: str) -> None:
    """Raise FeedError('wrong-content-type') for a type no feed is served as."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind.startswith(_NOT_FEED_TYPES):
        raise FeedError(f"feed {feed_name!r} ({url}): the server sent {kind}, not a feed; "
                        "check the feed URL in the config", reason="wrong-content-type")


def check_entity_expansion(content: bytes, *, url: str, feed_name: str,
                           limit: int = MAX_ENTITY_EXPANSION) -> None:
    """Raise FeedError('xml-entities') when declared entities would expand past ``limit`` bytes.

    Counted as value length x references for every declaration; nested
    references are not multiplied out because feedparser drops entities
    whose value holds another reference.
    """
    content = _utf8_for_scan(content)
    if b"<!ENTITY" not in content:
        return
    total = 0
    for match in _ENTITY_DECL.finditer(content):
        name, value = match.group(2), match.group(3) if match.group(3) is not None else match.group(4)
        marker = b"%" if match.group(1) else b"&"
        total += len(value) * content.count(marker + name + b";")
        if total > limit:
            raise FeedError(
                f"feed {feed_name!r} ({url}): its XML entity declarations would expand to more than "
                f"{limit} bytes (entity {name.decode('ascii', 'replace')!r}); refused to protect memory; "
                "ask the publisher for a feed without a DOCTYPE", reason="xml-entities")


def _utf8_for_scan(content: bytes) -> bytes:
    """UTF-16/32 documents as UTF-8, as feedparser converts them before it reads the DOCTYPE."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if content.startswith(bom):
            break
    else:
        codec = {b"\x00<": "utf-16-be", b"<\x00": "utf-16-le"}.get(content[:2])
        if codec is None:
            return content
    return content.decode(codec, errors="replace").encode("utf-8")


def _feed_ttl(channel: Mapping[str, Any]) -> int | None:
    """Seconds the feed asks readers to wait: RSS <ttl> (minutes) or sy:updatePeriod / updateFrequency."""
    asked = []
    ttl = str(channel.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        asked.append(int(ttl) * 60)
    period = _SY_PERIODS.get(str(channel.get("sy_updateperiod") or "").strip().lower())
    if period:
        frequency = str(channel.get("sy_updatefrequency") or "1").strip()
        asked.append(period // max(1, int(frequency)) if frequency.isdigit() else period)
    return max(asked) if asked else None


def _entry(item: Mapping[str, Any], *, feed_url: str, feed_name: str) -> Entry | None:
    guid = (item.get("id") or "").strip() or None
    link = (item.get("link") or "").strip()
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        return None
    link = urljoin(feed_url, link)
    if urlsplit(link).scheme not in ("http", "https"):
        return None
    summary = item.get("summary") or ""
    for content in item.get("content") or ():
        if len(content.get("value") or "") > len(summary):
            summary = content.get("value") or ""
    when = item.get("published_parsed") or item.get("updated_parsed")
    published = (iso(datetime.fromtimestamp(calendar.timegm(when), tz=timezone.utc)) if when else None)
    return Entry(
        feed_name=feed_name,
        url=canonical_url(link),
        guid=guid,
        title=html_to_text(item.get("title")) or None,
        author=(item.get("author") or "").strip() or None,
        published_at=published,
        summary=html_to_text(summary) or None,
        outlet=_source_title(item),
    )


def _source_title(item) -> str | None:
    source = item.get("source")
    title = source.get("title") if isinstance(source, dict) else None
    return title.strip() if isinstance(title, str) and title.strip() else None


def poll_feed(
    client: httpx.Client,
    fetch: FetchConfig,
    *,
    feed_name: str,
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    resolver: Resolver | None = None,
    parse: Callable[..., ParsedFeed] | None = None,
) -> FeedPoll:
    """Fetch and parse one feed with a conditional GET; any failure is an outcome.

    ``parse`` runs ``parse_feed`` elsewhere (the pipeline hands it to its worker
    processes, so parsing many feeds uses every core); it defaults to this thread.
    """
    headers = {"Accept": FEED_ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        result = guarded_get(client, url, fetch, headers=headers, resolver=resolver)
    except FetchError as exc:
        return FeedPoll(feed_name, url, "failed", reason=exc.reason, message=f"feed {feed_name!r}: {exc.message}")
    common = dict(http_status=result.status, new_url=result.permanent_url,
                  cache_control=result.headers.get("cache-control"), expires=result.headers.get("expires"),
                  date=result.headers.get("date"), age=result.headers.get("age"))
    if result.status == 304:
        return FeedPoll(feed_name, url, "not-modified", etag=etag, last_modified=last_modified, **common)
    if result.status == 410:
        return FeedPoll(feed_name, url, "gone", reason="gone",
                        message=f"feed {feed_name!r} ({result.url}) answered 410 Gone; it is muted and no longer "
                                "polled; remove it from the config or give it a new url", **common)
    if not 200 <= result.status < 300:
        return FeedPoll(feed_name, url, "failed", reason=f"http-{result.status}",
                        message=f"feed {feed_name!r} ({result.url}) answered HTTP {result.status}",
                        retry_after=result.headers.get("retry-after"), **common)
    if not result.content.strip():
        return FeedPoll(feed_name, url, "failed", reason="empty-body",
                        message=f"feed {feed_name!r} ({result.url}) answered HTTP {result.status} with an empty body; "
                                "check the feed URL in the config", **common)
    try:
        parsed = (parse or parse_feed)(result.content, url=result.url, feed_name=feed_name,
                                       content_type=result.headers.get("content-type"))
    except FeedError as exc:
        return FeedPoll(feed_name, url, "failed", reason=exc.reason, message=exc.message, **common)
    return FeedPoll(feed_name, url, "ok", parsed=parsed, etag=result.headers.get("etag"),
                    last_modified=result.headers.get("last-modified"), **common)


def retry_after_seconds(value: str | None, now: datetime) -> int | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    when = _http_date(value)
    return None if when is None else max(0, int((when - now).total_seconds()))


def backoff_seconds(interval_s: int, error_count: int, polling: PollingConfig) -> int:
    """Exponential back-off after ``error_count`` consecutive failures, capped."""
    cap = max(polling.max_backoff_s, min(interval_s, polling.max_interval_s))
    return min(interval_s * 2 ** min(error_count, 30), cap)


def jitter_seconds(feed_name: str, polling: PollingConfig) -> int:
    """A fixed per-feed offset so feeds with one interval do not all fire together."""
    return zlib.crc32(feed_name.encode("utf-8")) % (polling.jitter_s + 1) if polling.jitter_s > 0 else 0


def success_delay_seconds(interval_s: int, poll: FeedPoll, polling: PollingConfig, now: datetime) -> int:
    """Seconds until the next poll after a 200 or 304.

    The configured interval (or, with ``[polling] adapt``, the feed's
    publishing rate), never less than the feed asks for, clamped to
    ``[polling] min_interval .. max_interval``.
    """
    base = interval_s
    if polling.adapt_to_publishing:
        base = publishing_interval_seconds(poll.entries) or base
    asked = [seconds for seconds in (
        freshness_seconds(poll.cache_control, poll.expires, poll.date, poll.age, now),
        poll.parsed.ttl_s if poll.parsed else None) if seconds]
    delay = max([base, *asked])
    return min(max(delay, polling.min_interval_s), polling.max_interval_s)


def freshness_seconds(cache_control: str | None, expires: str | None, date: str | None, age: str | None,
                      now: datetime) -> int | None:
    """Seconds a response stays fresh (RFC 9111: max-age, else Expires minus Date, less Age)."""
    directives = {}
    for part in (cache_control or "").split(","):
        key, _, value = part.partition("=")
        directives[key.strip().lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return None
    lifetime = None
    if directives.get("max-age", "").isdigit():
        lifetime = int(directives["max-age"])
    elif expires:
        until, base = _http_date(expires), _http_date(date) or now
        lifetime = int((until - base).total_seconds()) if until else 0  # an invalid Expires means expired
    if lifetime is None:
        return None
    spent = int(age) if age and age.strip().isdigit() else 0
    return max(0, lifetime - spent) or None


def publishing_interval_seconds(entries: tuple[Entry, ...], *, sample: int = 10) -> int | None:
    """The median gap between the newest entries' publication times, or None with fewer than 3 dates."""
    dates = sorted({e.published_at for e in entries if e.published_at}, reverse=True)[:sample]
    if len(dates) < 3:
        return None
    times = [datetime.fromisoformat(d) for d in dates]
    gaps = [(newer - older).total_seconds() for newer, older in zip(times, times[1:])]
    return int(statistics.median(gaps)) or None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def health_changes(row: Mapping[str, Any], poll: FeedPoll, polling: PollingConfig, now: datetime) -> dict[str, Any]:
    """New column values of the ``feeds`` row after ``poll``."""
    interval_s = int(row["interval_s"])
    changes: dict[str, Any] = {"last_polled_at": iso(now), "last_status": poll.http_status}
    if poll.new_url and poll.new_url != row["url"] and poll.outcome in ("ok", "not-modified"):
        changes["url"] = poll.new_url
    if poll.outcome in ("ok", "not-modified"):
        delay = success_delay_seconds(interval_s, poll, polling, now) + jitter_seconds(poll.feed_name, polling)
        changes.update(last_success_at=iso(now), last_error=None, last_error_reason=None, error_count=0,
                       etag=poll.etag, last_modified=poll.last_modified,
                       next_poll_at=iso(now + timedelta(seconds=delay)))
        if poll.outcome == "ok" and poll.parsed is not None:
            changes["bozo_warning"] = poll.parsed.bozo_warning
            changes["entries_skipped"] = len(poll.parsed.skipped)
            changes["skipped_reasons"] = "\n".join(poll.parsed.skipped) or None
            if poll.parsed.title:
                changes["title"] = poll.parsed.title
        return changes
    errors = int(row["error_count"] or 0) + 1
    changes.update(last_error=poll.message, last_error_reason=poll.reason, error_count=errors)
    if poll.outcome == "gone":
        changes.update(muted=1, next_poll_at=None)
        return changes
    delay = backoff_seconds(interval_s, errors, polling)
    waited = retry_after_seconds(poll.retry_after, now)
    if waited is not None:
        delay = min(max(waited, 1), polling.max_interval_s)
    changes["next_poll_at"] = iso(now + timedelta(seconds=delay))
    return changes
