"""Replay a dated, labelled corpus and score its shifts against the gold changes.

``tracker eval --replay FILE.jsonl`` reads articles in the corpus format
(``{"id", "url", "outlet", "published", "title", "text", "gold": [...]}``),
feeds them oldest first through the real analysis (claims, positions,
shifts) on a temporary database, with the clock set to each article's day,
and compares what was flagged with the changes the gold labels imply:

* gold stance: for each actor, its one stance in an article when the
  article's non-ambiguous labels for it name exactly one stance; in replay
  order these make the actor's gold sequence, and a **gold change** is an
  entry whose stance differs from the entry before it;
* a **flagged change** at article A (actor -> S) is right when A's labels for
  that actor include S and the actor's gold stance before A is not S;
* a gold change is **found** when a change of that actor to that stance is
  flagged at an article dated within ``FOUND_WITHIN_DAYS`` of it.

Every change (a ``shifts`` row) is dated by the article that raised it, the
article whose sentence it shows; ``shift_on`` says when it reached shift
level, which is later when corroboration came later. Each level is scored
on its own: ``signals`` (changes that stayed signals), ``shifts`` (changes
that reached shift level), ``signals+shifts`` (all) and ``alerts`` (the
changes the alert rules of the config deliver; without channels, the
default rules: shifts only).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from tracker.clock import FixedClock
from tracker.errors import ConfigError

FOUND_WITHIN_DAYS = 3
LEVELS = ("signals", "shifts", "signals+shifts", "alerts")


@dataclass(frozen=True)
class CorpusArticle:
    id: str
    published: str  # YYYY-MM-DD
    outlet: str | None
    url: str | None
    title: str | None
    text: str
    gold: tuple[tuple[str, str, bool], ...]  # (actor, stance, ambiguous)


@dataclass(frozen=True)
class Flagged:
    """One change the tracker flagged, at the article where it was flagged."""

    article: str
    published: str
    actor: str
    from_stance: str
    to_stance: str
    level: str
    alerted: bool
    evidence: str
    outlet: str | None
    reason: str | None = None  # the weights and sources that decided the level
    shift_on: str | None = None  # the day it reached shift level (later, when corroboration came later)
    right: bool = False


@dataclass(frozen=True)
class GoldChange:
    article: str
    published: str
    actor: str
    from_stance: str
    to_stance: str


@dataclass(frozen=True)
class Trace:
    """What the engine held before one article and read in it, for the topic."""

    before: dict[str, str]  # actor -> position before the article
    claimed: dict[str, set[str]]  # actor -> stances claimed in the article


@dataclass
class LevelScore:
    flagged: list[Flagged] = field(default_factory=list)
    found: list[GoldChange] = field(default_factory=list)
    missed: list[GoldChange] = field(default_factory=list)

    @property
    def right(self) -> int:
        return sum(1 for f in self.flagged if f.right)

    @property
    def precision(self) -> float:
        return self.right / len(self.flagged) if self.flagged else 1.0

    @property
    def recall(self) -> float:
        total = len(self.found) + len(self.missed)
        return len(self.found) / total if total else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"flagged": len(self.flagged), "right": self.right, "gold_changes": len(self.found) + len(self.missed),
                "found": len(self.found), "precision": round(self.precision, 3), "recall": round(self.recall, 3),
                "f1": round(self.f1, 3)}


@dataclass
class ReplayReport:
    corpus: str
    topic: str
    articles: int
    gold_changes: list[GoldChange]
    levels: dict[str, LevelScore]
    corrections: int = 0  # first readings put right (level correction): not changes, not scored
    why_missed: dict[GoldChange, str] = field(default_factory=dict)  # gold changes not alerted -> WHY_MISSED

    def missed_by_reason(self) -> dict[str, int]:
        return {why: n for why in WHY_MISSED if (n := sum(1 for r in self.why_missed.values() if r == why))}

    def as_dict(self, *, show: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"corpus": self.corpus, "topic": self.topic, "articles": self.articles,
                                "gold_changes": len(self.gold_changes), "corrections": self.corrections,
                                "levels": {name: score.as_dict() for name, score in self.levels.items()},
                                "not_alerted": self.missed_by_reason()}
        if show:
            data["flagged"] = {name: [f.__dict__ for f in s.flagged] for name, s in self.levels.items()}
            data["missed"] = {name: [g.__dict__ | ({"why": self.why_missed[g]} if name == "alerts" else {})
                                     for g in s.missed] for name, s in self.levels.items()}
        return data


# --- corpus ------------------------------------------------------------------


def load_corpus(path: Path | str, topic: str) -> list[CorpusArticle]:
    """Articles of a corpus JSONL file (read and checked by ``tracker.evaluate.load_gold``),
    with their labels for ``topic`` and the outlet, link and title the replay needs."""
    from tracker.evaluate import load_gold

    path = Path(path)
    docs = load_gold(path)
    extras = {str(row.get("id", n)): row for n, row in enumerate(_rows(path), start=1)}
    articles = []
    for doc in docs:
        if not _is_date(doc.published):
            raise ConfigError(f"{path}: article {doc.id!r} has no \"published\" date (YYYY-MM-DD); "
                              "a replayed article needs one")
        row = extras.get(doc.id, {})
        gold = tuple((g.actor, g.stance, g.ambiguous) for g in doc.labels if g.topic in (topic, None))
        articles.append(CorpusArticle(doc.id, str(doc.published)[:10], row.get("outlet"), row.get("url"),
                                      row.get("title"), doc.text, gold))
    return articles


def _rows(path: Path):
    if path.suffix == ".toml":  # a seeds manifest: outlets and titles from its [[seed]] tables
        from tracker.seeds import load_seeds

        yield from ({"id": seed.file, "outlet": seed.outlet, "title": seed.title} for seed in load_seeds(path.parent))
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value)[:10])
        return True
    except ValueError:
        return False


# --- replay ------------------------------------------------------------------


def replay(articles: list[CorpusArticle], config, *, topic: str, corpus: str = "") -> ReplayReport:
    """Replay ``articles`` oldest first on a temporary database and score the shifts."""
    from tracker.db import open_db
    from tracker.pipeline import ingest_text

    ordered = sorted(articles, key=lambda a: (a.published, a.id))
    urls: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="tracker-replay-") as tmp:
        db = open_db(Path(tmp) / "replay.db")
        config = replace(config, db=Path(tmp) / "replay.db", feeds=())
        first_seen: dict[int, str] = {}   # shift id -> article that raised it
        became_shift: dict[int, str] = {}  # shift id -> article that made it a shift
        traces: dict[str, Trace] = {}  # article id -> what the engine read and held there
        try:
            for article in ordered:
                url = article.url if article.url and article.url not in urls else f"https://replay.invalid/{article.id}"
                urls.add(url)
                before = _positions(db, topic)
                article_id, _ = ingest_text(db, config, url=url, title=article.title, text=article.text,
                                            published_at=article.published, outlet=article.outlet,
                                            clock=FixedClock(f"{article.published}T12:00:00"))
                traces[article.id] = Trace(before, _claimed(db, article_id, topic))
                for shift_id, level in _levels(db):
                    first_seen.setdefault(shift_id, article.id)
                    if level == "shift":
                        became_shift.setdefault(shift_id, article.id)
            rows = _shift_rows(db, topic)
            alerted = _alerted(config, rows)
        finally:
            db.close()
    by_id = {a.id: a for a in ordered}
    order = {a.id: i for i, a in enumerate(ordered)}
    flagged: dict[str, list[Flagged]] = {name: [] for name in LEVELS}
    for row in rows:
        level = row["level"]
        if level not in ("signal", "shift"):
            continue  # a correction of a first reading is not a change of the actor's
        raised = by_id[first_seen[row["id"]]]
        made = by_id[became_shift[row["id"]]].published if row["id"] in became_shift else None
        item = _flag(row, raised, level, row["id"] in alerted, made)
        flagged["signals+shifts"].append(item)
        flagged["shifts" if level == "shift" else "signals"].append(item)
        if item.alerted:
            flagged["alerts"].append(item)
    sequences = gold_sequences(ordered)
    changes = gold_changes(sequences, by_id)
    levels = {}
    for name, items in flagged.items():
        items.sort(key=lambda f: (order[f.article], f.actor))
        levels[name] = _score(items, changes, sequences, by_id, order)
    corrections = sum(1 for row in rows if row["level"] == "correction")
    why = {change: why_missed(change, levels, traces[change.article]) for change in levels["alerts"].missed}
    return ReplayReport(corpus=corpus, topic=topic, articles=len(ordered), gold_changes=changes, levels=levels,
                        corrections=corrections, why_missed=why)


def _positions(db, topic: str) -> dict[str, str]:
    return dict(db.execute("SELECT actor, stance FROM positions WHERE topic = ?", [topic]).fetchall())


def _claimed(db, article_id: int, topic: str) -> dict[str, set[str]]:
    claimed: dict[str, set[str]] = {}
    for actor, stance in db.execute("SELECT actor, stance FROM claims WHERE article_id = ? AND topic = ?",
                                    [article_id, topic]):
        claimed.setdefault(actor, set()).add(stance)
    return claimed


# Why a gold change was not alerted, from the first stage that lost it: the claim
# (not read, read otherwise), the position (nothing to change from, already
# there, held) or the alert level (a signal).
SIGNAL_ONLY = "a signal, not alerted"
NO_CLAIM = "no claim for the actor"
OTHER_STANCE = "read with another stance"
FIRST_REPORT = "first report of the actor"
ALREADY = "position already the new stance"
ELSEWHERE = f"flagged more than {FOUND_WITHIN_DAYS} days away"
HELD = "read, position held"
WHY_MISSED = (SIGNAL_ONLY, NO_CLAIM, OTHER_STANCE, FIRST_REPORT, ALREADY, ELSEWHERE, HELD)


def why_missed(change: GoldChange, levels: dict[str, LevelScore], trace: Trace) -> str:
    """The first stage that lost a gold change the alerts missed (one of ``WHY_MISSED``)."""
    if change in levels["signals+shifts"].found:
        return SIGNAL_ONLY
    read = trace.claimed.get(change.actor)
    if not read:
        return NO_CLAIM
    if change.to_stance not in read:
        return OTHER_STANCE
    held = trace.before.get(change.actor)
    if held is None:
        return FIRST_REPORT
    if held == change.to_stance:
        return ALREADY
    if any(f.actor == change.actor and f.to_stance == change.to_stance for f in levels["signals+shifts"].flagged):
        return ELSEWHERE
    return HELD


def _levels(db) -> list[tuple[int, str]]:
    return db.execute("SELECT id, level FROM shifts ORDER BY id").fetchall()


def _shift_rows(db, topic: str) -> list[dict[str, Any]]:
    from tracker.positions.views import list_shifts

    return [row for row in list_shifts(db) if row["topic"] == topic]


def _alerted(config, rows: list[dict[str, Any]]) -> set[int]:
    """Ids of the shifts that the configured alert rules (or the default rules) would send."""
    from tracker.alerts.base import Rules
    from tracker.alerts.registry import channels_from_config

    rules = [channel.rules for channel in channels_from_config(config)] or [Rules()]
    return {
        row["id"] for row in rows
        if any(_matches(rule, row) for rule in rules)
    }


def _matches(rule, row: dict[str, Any]) -> bool:
    return rule.matches(actor=row["actor"], topic=row["topic"], status=row["status"], confidence=row["confidence"],
                        level=row["level"])


def _flag(row: dict[str, Any], article: CorpusArticle, level: str, alerted: bool, shift_on: str | None) -> Flagged:
    return Flagged(article=article.id, published=article.published, actor=row["actor"], shift_on=shift_on,
                   from_stance=row["from_stance"], to_stance=row["to_stance"], level=level, alerted=alerted,
                   evidence=(row.get("new_evidence") or "").replace("\n", " "), outlet=row.get("new_outlet"),
                   reason=row.get("reason"))


# --- scoring -----------------------------------------------------------------


def gold_sequences(ordered: list[CorpusArticle]) -> dict[str, list[tuple[str, str]]]:
    """actor -> [(article id, stance)] in replay order, for articles with one unambiguous stance."""
    sequences: dict[str, list[tuple[str, str]]] = {}
    for article in ordered:
        stances: dict[str, set[str]] = {}
        for actor, stance, ambiguous in article.gold:
            if not ambiguous:
                stances.setdefault(actor, set()).add(stance)
        for actor, found in sorted(stances.items()):
            if len(found) == 1:
                sequences.setdefault(actor, []).append((article.id, next(iter(found))))
    return sequences


def gold_changes(sequences: dict[str, list[tuple[str, str]]], by_id: dict[str, CorpusArticle]) -> list[GoldChange]:
    changes = []
    for actor, sequence in sequences.items():
        for (_, before), (article, stance) in zip(sequence, sequence[1:]):
            if stance != before:
                changes.append(GoldChange(article, by_id[article].published, actor, before, stance))
    return sorted(changes, key=lambda g: (g.published, g.article, g.actor))


def _score(items: list[Flagged], changes: list[GoldChange], sequences, by_id, order) -> LevelScore:
    score = LevelScore()
    for item in items:
        labels = {stance for actor, stance, _ in by_id[item.article].gold if actor == item.actor}
        previous = [stance for article, stance in sequences.get(item.actor, ())
                    if order[article] < order[item.article]]
        right = item.to_stance in labels and (not previous or previous[-1] != item.to_stance)
        score.flagged.append(replace(item, right=right))
    for change in changes:
        day = date.fromisoformat(change.published)
        found = any(
            f.actor == change.actor and f.to_stance == change.to_stance
            and abs((date.fromisoformat(f.published) - day).days) <= FOUND_WITHIN_DAYS
            for f in items
        )
        (score.found if found else score.missed).append(change)
    return score


def format_replay(report: ReplayReport, *, show: bool = False) -> str:
    lines = [f"replay of {report.corpus}: {report.articles} articles, topic {report.topic}, "
             f"{len(report.gold_changes)} gold changes",
             f"{'level':<15} {'flagged':>7} {'right':>5} {'found':>5} {'precision':>9} {'recall':>6} {'F1':>5}"]
    for name, s in report.levels.items():
        lines.append(f"{name:<15} {len(s.flagged):>7} {s.right:>5} {len(s.found):>5} "
                     f"{s.precision:>9.3f} {s.recall:>6.3f} {s.f1:>5.3f}")
    if report.corrections:
        lines.append(f"(and {report.corrections} first reading{'s' if report.corrections != 1 else ''} "
                     "corrected within days: not changes, not scored)")
    if show:
        lines += ["", "changes flagged, oldest first (level; alerted or not):"]
        for f in report.levels["signals+shifts"].flagged:
            mark = "right" if f.right else "WRONG"
            late = f" on {f.shift_on}" if f.shift_on and f.shift_on != f.published else ""
            sent = "alerted" if f.alerted else "not alerted"
            lines.append(f"  {mark:<5} {f.published} {f.article:<8} {f.actor:<4} {f.from_stance} -> {f.to_stance}:"
                         f" {f.level}{late}, {sent} ({f.reason})\n        [{f.outlet}] {f.evidence[:160]}")
        lines += ["", "gold changes (the levels that found each; for those not alerted, where they were lost):"]
        for g in report.gold_changes:
            found = [name for name, s in report.levels.items() if g in s.found]
            why = report.why_missed.get(g)
            lines.append(f"  {'found' if found else 'MISSED':<6} {g.published} {g.article:<8} {g.actor:<4} "
                         f"{g.from_stance} -> {g.to_stance}" + (f" ({', '.join(found)})" if found else "")
                         + (f"; not alerted: {why}" if why and why != SIGNAL_ONLY else ""))
        if report.why_missed:
            lines.append("not alerted: " + "; ".join(f"{n} {why}" for why, n in report.missed_by_reason().items()))
    return "\n".join(lines)


def replay_file(path: Path, config, *, topic: str, split: str = "all") -> ReplayReport:
    """Load a corpus file, keep one split of it (``tracker.evaluate.split_docs``) and replay it."""
    from tracker.evaluate import split_docs

    articles = split_docs(load_corpus(path, topic), split)
    name = str(path) if split == "all" else f"{path} ({split})"
    return replay(articles, config, topic=topic, corpus=name)
