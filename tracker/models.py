"""Dataclasses that cross module boundaries.

Stances are ``support``, ``conditional`` or ``oppose``; actors are ISO 3166-1
alpha-2 codes plus ``EU``, ``NATO`` and ``UN``; topic ids are kebab-case.
Timestamps are UTC ISO 8601 strings; dates are ``YYYY-MM-DD`` strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STANCES = ("support", "conditional", "oppose")


@dataclass(frozen=True)
class Feed:
    """A feed as configured in config/feeds.toml."""

    name: str
    url: str
    interval_s: int
    tags: tuple[str, ...] = ()
    outlet: str | None = None


@dataclass(frozen=True)
class Entry:
    """One item of a parsed feed."""

    feed_name: str
    url: str
    guid: str | None
    title: str | None = None
    author: str | None = None
    published_at: str | None = None
    summary: str | None = None
    outlet: str | None = None  # the item's own <source>, as aggregator feeds give it


@dataclass(frozen=True)
class Page:
    """An article page as fetched."""

    url: str  # canonical URL after redirects, tracking parameters removed
    requested_url: str
    status: int
    content: bytes
    content_type: str | None = None
    encoding: str | None = None
    fetched_at: str | None = None


@dataclass(frozen=True)
class Extracted:
    """Text and metadata extracted from a page (or the feed's fallback)."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    source: str = "extracted"  # "extracted" | "feed-summary" | "seed"
    note: str | None = None  # why the fallback was used, when it was
    language: str | None = None  # as the page declares it (<html lang="de">), when it does


@dataclass(frozen=True)
class Version:
    article_id: int
    fingerprint: str
    text: str
    fetched_at: str
    diff: str | None = None
    chars_added: int = 0
    chars_removed: int = 0
    id: int | None = None


@dataclass(frozen=True)
class Claim:
    """One stance statement found in a text.

    ``said_at`` is the date the stance was held when the text places it in
    the past (``time_cue`` says how); otherwise it is the article's date or
    None when the caller gave no date.
    """

    actor: str
    topic: str
    stance: str
    confidence: float
    evidence: str
    speaker: str | None = None
    time_cue: str | None = None
    said_at: str | None = None
    sentence_index: int | None = None
    language: str = "en"  # ISO 639-1 code of the text the evidence is quoted from

    def as_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "topic": self.topic,
            "stance": self.stance,
            "confidence": self.confidence,
            "evidence": self.evidence,
            "speaker": self.speaker,
            "time_cue": self.time_cue,
            "said_at": self.said_at,
            "language": self.language,
        }


@dataclass(frozen=True)
class Position:
    actor: str
    topic: str
    stance: str
    since: str
    claim_id: int | None = None
    baseline_id: int | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shift:
    id: int
    actor: str
    topic: str
    from_stance: str
    to_stance: str
    detected_at: str
    since: str | None
    status: str
    corroboration: int
    confidence: float
    retrospective: bool
    new_evidence: str
    new_url: str | None
    new_outlet: str | None
    new_date: str | None
    old_evidence: str | None
    old_url: str | None
    old_outlet: str | None
    old_date: str | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunStats:
    """Counters of one poll cycle; becomes one ``runs`` row."""

    feeds_polled: int = 0
    feeds_failed: int = 0
    feeds_not_modified: int = 0
    articles_new: int = 0
    articles_failed: int = 0
    versions_new: int = 0
    claims_new: int = 0
    shifts_new: int = 0
    alerts_sent: int = 0
    errors: list[str] = field(default_factory=list)
