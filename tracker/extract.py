"""Page -> text and metadata via trafilatura; a too-short result says why.

``deduplicate=False`` because trafilatura's dedup cache lives for the whole
process and would shorten a re-extracted page, so version diffs would lie;
``include_comments=False`` because reader comments change between polls.

``extract_html`` is a plain top-level function of bytes and strings so a
process pool can run it (trafilatura is CPU-bound).
"""

from __future__ import annotations

import html as htmllib
import re

import lxml.html
import trafilatura
from lxml import etree

from tracker.errors import ExtractError
from tracker.models import Entry, Extracted, Page

MIN_TEXT_CHARS = 200

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
    )


def extract_page(page: Page, *, min_chars: int = MIN_TEXT_CHARS) -> Extracted:
    """The default extractor: ``extract_html`` on a fetched page."""
    return extract_html(page.content, page.url, charset=page.encoding, min_chars=min_chars)


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
