"""Fetch one article page through the guarded client: Page or FetchError(reason)."""

from __future__ import annotations

import httpx

from tracker.clock import Clock, iso
from tracker.config import FetchConfig
from tracker.errors import FetchError
from tracker.feeds import canonical_url
from tracker.http import HostLimiter, Resolver, guarded_get
from tracker.models import Page

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
# Content types that can hold an article; a missing type is given the benefit of the doubt.
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


def fetch_page(
    client: httpx.Client,
    url: str,
    fetch: FetchConfig,
    *,
    clock: Clock,
    limiter: HostLimiter | None = None,
    resolver: Resolver | None = None,
) -> Page:
    """GET an article page. Raises FetchError with reason ``http-NNN``,
    ``not-html`` or any reason of ``guarded_get``."""
    if limiter is not None:
        with limiter.hold(url):
            result = guarded_get(client, url, fetch, headers={"Accept": PAGE_ACCEPT}, resolver=resolver)
    else:
        result = guarded_get(client, url, fetch, headers={"Accept": PAGE_ACCEPT}, resolver=resolver)
    if not 200 <= result.status < 300:
        raise FetchError(f"GET {result.url}: HTTP {result.status}", reason=f"http-{result.status}")
    if result.content_type and not result.content_type.startswith(_TEXT_TYPES):
        raise FetchError(f"GET {result.url}: content type {result.content_type} is not a web page",
                         reason="not-html")
    return Page(
        url=canonical_url(result.url),
        requested_url=url,
        status=result.status,
        content=result.content,
        content_type=result.content_type,
        encoding=result.charset,
        fetched_at=iso(clock.now()),
    )
