"""The position rules, in one place: what a report does to a position.

Each actor x topic has a current position and a ledger of evidence (the
reports applied to it, ``position_history``). A new report is first placed
by ``decide``:

* the first report of an actor x topic starts its position (no shift: there
  is nothing to shift from);
* a report of the same stance reaffirms it (and corroborates the change that
  set it);
* a report of another stance held *before* the current position started is
  history: recorded, changes nothing ("a claim about the past never moves a
  current position"); a position dated in the future never blocks a report;
* otherwise it is **contrary** evidence, and ``weigh`` decides what it does.

``weigh`` adds up the evidence per stance. One report weighs its claim's
confidence, times ``reported_weight`` unless the actor's own official is the
speaker (a third party's "X said Germany is ready" weighs less), times
``official_weight`` from a feed tagged official, times ``retrospective_weight``
when the text places it in the past, halved every ``half_life_days`` of age.
Each outlet counts once per stance (its strongest report) and syndicated
copies (same text) count once. Then:

* the change is a **shift**, and the position moves, when the new stance's
  weight reaches ``outweigh_ratio`` times the established stance's weight
  (hysteresis: one contrary sentence does not undo a long-held,
  often-reaffirmed position) *and* the change is corroborated
  (``corroborating_outlets`` distinct outlets within ``corroboration_days``),
  comes from an official feed, or is the actor's own official speaking with at
  least ``own_words_confidence``; a commitment (conditional -> support) needs
  only ``commitment_outlets`` distinct outlets (default 1): a government's
  readiness is reported when it is announced, while refusals and hedges are
  the stances most often read into side remarks (measured on replayed streams
  nobody tuned on: README "Shift quality");
* a position that started less than ``corroboration_days`` ago from one outlet
  was a first reading: outweighed like that, it is put right as a
  **correction** (never alerted);
* otherwise it is a **signal**: recorded and shown, alerted only to channels
  that ask for signals, and the position holds. A signal stays open while
  reports of its stance keep coming within ``corroboration_days``, or for as
  long as nothing reaffirms the current stance (up to ``half_life_days``), and
  becomes a shift when they add up: the change is then dated from its first
  sign, not from the report that confirmed it;
* a position an analyst confirmed is never undone by the weights: against it
  only evidence dated after the confirmation counts. A dismissed change's
  reports no longer count at all.

A change to or from ``conditional`` is a softening or a hardening; support
<-> oppose is a reversal (``kind_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

STARTED = "started"
REAFFIRMED = "reaffirmed"
CONTRARY = "contrary"
OLDER = "older"  # held before the current position began: history only

SIGNAL = "signal"
SHIFT = "shift"
LEVELS = (SIGNAL, SHIFT)  # what alert rules can ask for
CORRECTION = "correction"  # a fresh, unconfirmed first reading put right: not a change of the actor's


@dataclass(frozen=True)
class PositionParams:
    """``[positions]`` in config/feeds.toml (tracker.config parses and range-checks it)."""

    half_life_days: float = 180.0
    reported_weight: float = 0.5
    official_weight: float = 1.5
    retrospective_weight: float = 0.7
    outweigh_ratio: float = 1.2
    corroborating_outlets: int = 2
    commitment_outlets: int = 1  # conditional -> support: outlets that make it a shift
    corroboration_days: int = 14
    own_words_confidence: float = 0.7
    future_tolerance_s: int = 86400
    earliest_year: int = 1990


DEFAULT_PARAMS = PositionParams()


@dataclass(frozen=True)
class Report:
    """One stance report as the position logic sees it."""

    actor: str
    topic: str
    stance: str
    date: str  # YYYY-MM-DD the stance was held
    confidence: float
    retrospective: bool = False
    claim_id: int | None = None
    baseline_id: int | None = None
    outlet: str | None = None
    speaker: str | None = None  # the actor's own official, when the engine named one
    official: bool = False  # from a feed tagged "official"
    fingerprint: str | None = None  # of the article text: syndicated copies share it


@dataclass(frozen=True)
class Current:
    stance: str
    since: str
    claim_id: int | None
    baseline_id: int | None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """One report in the ledger of an actor x topic."""

    stance: str
    date: str
    weight: float  # before decay
    outlet: str
    fingerprint: str | None = None
    own_words: bool = False
    confidence: float = 0.0
    official: bool = False


@dataclass(frozen=True)
class Verdict:
    moves: bool  # a shift: the position moves
    level: str
    new_weight: float
    old_weight: float
    outlets: int
    reason: str


def decide(current: Current | None, report: Report, *, today: str | None = None) -> str:
    if current is None:
        return STARTED
    if report.stance == current.stance:
        return REAFFIRMED
    future_since = today is not None and current.since > today
    if report.date < current.since and not future_since:
        return OLDER
    return CONTRARY


def report_weight(report: Report, params: PositionParams = DEFAULT_PARAMS) -> float:
    weight = report.confidence
    if not report.speaker:
        weight *= params.reported_weight
    if report.official:
        weight *= params.official_weight
    if report.retrospective:
        weight *= params.retrospective_weight
    return round(weight, 4)


def as_evidence(report: Report, params: PositionParams = DEFAULT_PARAMS) -> Evidence:
    return Evidence(stance=report.stance, date=report.date, weight=report_weight(report, params),
                    outlet=report.outlet or "(unknown outlet)", fingerprint=report.fingerprint,
                    own_words=bool(report.speaker), confidence=report.confidence, official=report.official)


def stance_weight(ledger: list[Evidence], stance: str, as_of: str, params: PositionParams = DEFAULT_PARAMS) -> float:
    """The decayed weight of ``stance``: each outlet's strongest report, syndicated copies once."""
    best: dict[str, float] = {}
    seen: set[str] = set()
    for item in sorted((e for e in ledger if e.stance == stance), key=lambda e: -_decayed(e, as_of, params)):
        if item.fingerprint and item.fingerprint in seen:
            continue
        if item.fingerprint:
            seen.add(item.fingerprint)
        best[item.outlet] = max(best.get(item.outlet, 0.0), _decayed(item, as_of, params))
    return sum(best.values())


def weigh(ledger: list[Evidence], current: Current, stance: str, as_of: str,
          params: PositionParams = DEFAULT_PARAMS, *, confirmed_on: str | None = None) -> Verdict:
    """Does the evidence for ``stance`` move ``current``, and is it a signal or a shift?"""
    against = [e for e in ledger if confirmed_on is None or e.stance == current.stance or e.date > confirmed_on]
    new = stance_weight(against, stance, as_of, params)
    old = stance_weight(against, current.stance, as_of, params)
    recent = [e for e in against if e.stance == stance and _days(e.date, as_of) <= params.corroboration_days]
    outlets = _distinct_outlets(recent)
    strong = _strength(recent, params, commitment=current.stance == "conditional" and stance == "support")
    moves = new >= params.outweigh_ratio * old and new > 0 and bool(strong)
    level = SHIFT if moves else SIGNAL
    # A position that started less than corroboration_days ago on evidence short of a
    # shift's (one outlet, a third party) was a first reading, not an established
    # stance: when the next reports outweigh it, the reading is corrected.
    fresh = _days(current.since, as_of) <= params.corroboration_days and current.baseline_id is None
    if moves and fresh and _distinct_outlets([e for e in against if e.stance == current.stance]) \
            < params.corroborating_outlets:
        level = CORRECTION
    why = f"{stance} {new:.2f} vs {current.stance} {old:.2f}; " + (
        ", ".join(strong) if strong else f"{outlets} outlet{'s' if outlets != 1 else ''}")
    if not moves:
        why += "; position held"
    return Verdict(moves=moves, level=level, new_weight=round(new, 3), old_weight=round(old, 3),
                   outlets=outlets, reason=why)


def _strength(items: list[Evidence], params: PositionParams, *, commitment: bool) -> list[str]:
    """What makes evidence shift-level: corroboration (fewer outlets for a commitment), an official
    source, the actor's own official."""
    strong = []
    outlets = _distinct_outlets(items)
    if outlets >= (params.commitment_outlets if commitment else params.corroborating_outlets):
        strong.append(f"{outlets} outlet{'s' if outlets != 1 else ''}" + (", a commitment" if commitment else ""))
    if any(e.official for e in items):
        strong.append("an official source")
    if any(e.own_words and e.confidence >= params.own_words_confidence for e in items):
        strong.append("the actor's own official")
    return strong


def kind_of(from_stance: str, to_stance: str) -> str:
    if to_stance == "conditional":
        return "softening"
    if from_stance == "conditional":
        return "hardening"
    return "reversal"


def trusted_date(value: str | None, *, fallback: str, now_iso: str,
                 params: PositionParams = DEFAULT_PARAMS) -> tuple[str, str | None]:
    """(YYYY-MM-DD to use, why the given date was not used or None).

    A date later than now plus ``future_tolerance_s``, before
    ``earliest_year``, or unreadable falls back to ``fallback`` (the fetch time).
    """
    from datetime import datetime, timedelta

    from tracker.clock import parse_utc

    if not value:
        return fallback[:10], None
    try:
        when = parse_utc(value)
    except ValueError:
        return fallback[:10], f"date {value!r} is not a date; used the fetch time"
    now = parse_utc(now_iso)
    if when > now + timedelta(seconds=params.future_tolerance_s):
        return fallback[:10], f"date {value[:10]} is in the future; used the fetch time"
    if when < datetime(params.earliest_year, 1, 1, tzinfo=when.tzinfo):
        return fallback[:10], f"date {value[:10]} is before {params.earliest_year}; used the fetch time"
    return value[:10], None


def pick_representative(reports: list[Report]) -> Report:
    """One report per actor x topic per article: the article's own reading.

    A present-tense report wins over one the text places in the past; among
    equals, the most confident, then the first in the text.
    """
    return sorted(
        enumerate(reports),
        key=lambda item: (item[1].retrospective, -item[1].confidence, item[0]),
    )[0][1]


def _decayed(item: Evidence, as_of: str, params: PositionParams) -> float:
    return item.weight * 0.5 ** (max(_days(item.date, as_of), 0) / params.half_life_days)


def _days(earlier: str, later: str) -> int:
    return (date.fromisoformat(later[:10]) - date.fromisoformat(earlier[:10])).days


def _distinct_outlets(items: list[Evidence]) -> int:
    outlets: set[str] = set()
    seen: set[str] = set()
    for item in items:
        if item.fingerprint and item.fingerprint in seen:
            continue
        if item.fingerprint:
            seen.add(item.fingerprint)
        outlets.add(item.outlet)
    return len(outlets)
