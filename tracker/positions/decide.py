"""Current position per actor x topic, and its history.

The rules, in one place (``decide``):

* the first report of an actor x topic starts its position (no shift: there
  is nothing to shift from);
* a report of the same stance reaffirms it (and corroborates the shift that
  set it);
* a report of another stance held *before* the current position started is
  history: recorded, changes nothing ("a claim about the past never
  overrides a newer position");
* otherwise the stance has shifted; when the text places the report in the
  past ("Previously, ..."), the shift is marked retrospective.

Reports are dated by the day the stance was held: the claim's ``said_at``
(set by the stance engine from time cues) or the article's date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tracker.clock import iso

STARTED = "started"
REAFFIRMED = "reaffirmed"
SHIFTED = "shifted"
OLDER = "older"  # held before the current position began: history only


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


@dataclass(frozen=True)
class Current:
    stance: str
    since: str
    claim_id: int | None
    baseline_id: int | None
    sources: tuple[str, ...] = ()


def decide(current: Current | None, report: Report) -> str:
    if current is None:
        return STARTED
    if report.stance == current.stance:
        return REAFFIRMED
    if report.date < current.since:
        return OLDER
    return SHIFTED


def pick_representative(reports: list[Report]) -> Report:
    """One report per actor x topic per article: the article's own reading.

    A present-tense report wins over one the text places in the past; among
    equals, the most confident, then the first in the text.
    """
    return sorted(
        enumerate(reports),
        key=lambda item: (item[1].retrospective, -item[1].confidence, item[0]),
    )[0][1]


def current_position(db, actor: str, topic: str) -> Current | None:
    row = db.execute(
        "SELECT stance, since, claim_id, baseline_id, sources FROM positions WHERE actor = ? AND topic = ?",
        (actor, topic),
    ).fetchone()
    if row is None:
        return None
    sources = tuple(json.loads(row[4])) if row[4] else ()
    return Current(stance=row[0], since=row[1], claim_id=row[2], baseline_id=row[3], sources=sources)


def set_position(db, report: Report, *, now, sources: tuple[str, ...]) -> None:
    db.execute(
        """INSERT INTO positions (actor, topic, stance, since, claim_id, baseline_id, sources, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (actor, topic) DO UPDATE SET stance = excluded.stance, since = excluded.since,
               claim_id = excluded.claim_id, baseline_id = excluded.baseline_id,
               sources = excluded.sources, updated_at = excluded.updated_at""",
        (report.actor, report.topic, report.stance, report.date, report.claim_id, report.baseline_id,
         json.dumps(list(sources)), iso(now)),
    )


def add_source(db, actor: str, topic: str, current: Current, outlet: str | None, *, now) -> None:
    if not outlet or outlet in current.sources:
        return
    db.execute(
        "UPDATE positions SET sources = ?, updated_at = ? WHERE actor = ? AND topic = ?",
        (json.dumps([*current.sources, outlet]), iso(now), actor, topic),
    )


def record_history(db, report: Report, effect: str, *, now) -> None:
    db.execute(
        """INSERT INTO position_history (actor, topic, stance, since, claim_id, baseline_id, effect, recorded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (report.actor, report.topic, report.stance, report.date, report.claim_id, report.baseline_id,
         effect, iso(now)),
    )
