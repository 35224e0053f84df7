"""The baseline: starting positions per actor x topic, built from seeds/.

The seed articles are read oldest first and each report is placed by the
same rule as live ones (``tracker.positions.decide.decide``: a claim about
the past never overrides a newer stance); the seeds are reference articles an
analyst chose, so no weighing: the newest stance of each actor x topic is its
baseline, kept with its provenance (seed file, evidence sentence, date).
Writing the baseline seeds the ``positions`` table where no live claim has
set a position yet, and enters it in the evidence ledger with its confidence
as weight.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.clock import iso
from tracker.db import transaction
from tracker.positions.decide import CONTRARY, STARTED, Current, Report, decide, pick_representative
from tracker.seeds import Seed


@dataclass(frozen=True)
class BaselineEntry:
    actor: str
    topic: str
    stance: str
    since: str
    evidence: str
    seed_file: str
    confidence: float


def compute_baseline(seeds: list[Seed], engine) -> list[BaselineEntry]:
    from tracker.stance import find_claims

    state: dict[tuple[str, str], BaselineEntry] = {}
    for seed in seeds:
        by_subject: dict[tuple[str, str], list[tuple[Report, str]]] = {}
        for claim in find_claims(seed.text, published=seed.published, engine=engine):
            report = Report(actor=claim.actor, topic=claim.topic, stance=claim.stance,
                            date=(claim.said_at or seed.published)[:10], confidence=claim.confidence,
                            retrospective=claim.time_cue is not None)
            by_subject.setdefault((claim.actor, claim.topic), []).append((report, claim.evidence))
        for key, pairs in by_subject.items():
            chosen = pick_representative([report for report, _ in pairs])
            evidence = next(ev for report, ev in pairs if report is chosen)
            held = state.get(key)
            current = None if held is None else Current(held.stance, held.since, None, None)
            if decide(current, chosen) in (STARTED, CONTRARY):  # the seeds: the newest stance wins
                state[key] = BaselineEntry(chosen.actor, chosen.topic, chosen.stance, chosen.date,
                                           evidence, seed.file, chosen.confidence)
    return sorted(state.values(), key=lambda e: (e.topic, e.actor))


def write_baseline(db, entries: list[BaselineEntry], *, now) -> dict[str, int]:
    """Replace the baseline; set positions that no live claim has set."""
    positions_set = 0
    with transaction(db):
        db.execute("UPDATE positions SET baseline_id = NULL WHERE baseline_id IS NOT NULL AND claim_id IS NOT NULL")
        db.execute("DELETE FROM positions WHERE claim_id IS NULL")
        db.execute("UPDATE position_history SET baseline_id = NULL WHERE baseline_id IS NOT NULL")
        db.execute("UPDATE shifts SET previous_baseline_id = NULL WHERE previous_baseline_id IS NOT NULL")
        db.execute("DELETE FROM baseline")
        for entry in entries:
            baseline_id = db.execute(
                """INSERT INTO baseline (actor, topic, stance, since, evidence, seed_file, confidence, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (entry.actor, entry.topic, entry.stance, entry.since, entry.evidence, entry.seed_file,
                 round(entry.confidence, 3), iso(now)),
            ).lastrowid
            inserted = db.execute(
                """INSERT INTO positions (actor, topic, stance, since, claim_id, baseline_id, sources, updated_at)
                   VALUES (?, ?, ?, ?, NULL, ?, '[]', ?) ON CONFLICT (actor, topic) DO NOTHING""",
                (entry.actor, entry.topic, entry.stance, entry.since, baseline_id, iso(now)),
            ).rowcount
            if inserted:
                positions_set += 1
                db.execute(
                    """INSERT INTO position_history (actor, topic, stance, since, claim_id, baseline_id, effect, recorded_at,
                           weight, outlet, confidence)
                       VALUES (?, ?, ?, ?, NULL, ?, 'baseline', ?, ?, ?, ?)""",
                    (entry.actor, entry.topic, entry.stance, entry.since, baseline_id, iso(now),
                     round(entry.confidence, 3), f"baseline ({entry.seed_file})", round(entry.confidence, 3)),
                )
    return {"baseline": len(entries), "positions_set": positions_set}
