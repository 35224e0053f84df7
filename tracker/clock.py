"""The only place the wall clock is read.

Everything that needs "now" takes a ``Clock`` argument; tests pass a
``FixedClock`` so timestamps and schedules are reproducible.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that only moves when told to (``advance``)."""

    def __init__(self, start: datetime | str) -> None:
        self._now = parse_utc(start) if isinstance(start, str) else start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, when: datetime | str) -> None:
        self._now = parse_utc(when) if isinstance(when, str) else when.astimezone(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    """UTC ISO 8601 with seconds and a 'Z'-free '+00:00' suffix, or None."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_utc(value: str) -> datetime:
    """Parse an ISO 8601 timestamp or date; naive values are taken as UTC."""
    text = value.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


SYSTEM_CLOCK = SystemClock()
