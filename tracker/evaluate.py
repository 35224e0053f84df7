"""Precision / recall / F1 of the stance engine against labelled documents.

Gold comes from a seeds manifest (``seeds/manifest.toml``: ``[[seed]]`` with
``file``, ``published`` and ``[[seed.claim]]`` labels) or from JSON lines of
``{"id", "text", "published", "gold": [{"actor", "stance", "ambiguous"}]}``.

Scoring is on (document, actor, stance) pairs for one topic. An
``ambiguous`` label counts as a hit when found and is not a miss when absent;
a found pair that no label names is a false positive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from tracker.datafile import read_toml
from tracker.errors import ConfigError
from tracker.models import STANCES, Claim

DEFAULT_TOPIC = "troops-to-ukraine"


@dataclass(frozen=True)
class GoldLabel:
    actor: str
    stance: str
    ambiguous: bool = False
    evidence: str | None = None
    topic: str = DEFAULT_TOPIC


@dataclass(frozen=True)
class GoldDoc:
    id: str
    text: str
    published: str | None
    labels: tuple[GoldLabel, ...]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 3),
                "recall": round(self.recall, 3), "f1": round(self.f1, 3)}


@dataclass(frozen=True)
class ErrorItem:
    doc: str
    actor: str
    stance: str
    kind: str  # "false-positive" | "miss"
    evidence: str | None


@dataclass
class Report:
    topic: str
    documents: int
    labels: int
    ambiguous: int
    overall: Counts = field(default_factory=Counts)
    per_stance: dict[str, Counts] = field(default_factory=lambda: {s: Counts() for s in STANCES})
    errors: list[ErrorItem] = field(default_factory=list)

    def as_dict(self, *, errors: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "topic": self.topic, "documents": self.documents, "labels": self.labels, "ambiguous": self.ambiguous,
            "overall": self.overall.as_dict(),
            "per_stance": {s: c.as_dict() for s, c in self.per_stance.items()},
        }
        if errors:
            data["errors"] = [e.__dict__ for e in self.errors]
        return data


# --- gold ----------------------------------------------------------------------


def load_gold(path: Path | str) -> list[GoldDoc]:
    """Read gold from a seeds manifest (.toml) or JSON lines (.jsonl/.json); ConfigError when malformed."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such gold file; give seeds/manifest.toml or a JSONL file")
    if path.suffix == ".toml":
        return _load_manifest(path)
    return _load_jsonl(path)


def _load_manifest(path: Path) -> list[GoldDoc]:
    data = read_toml(path, "gold", fix="give seeds/manifest.toml or a JSONL file")
    seeds = data.get("seed")
    if not isinstance(seeds, list) or not seeds:
        raise ConfigError(f"{path}: no [[seed]] tables; each needs file, published and [[seed.claim]] labels")
    docs = []
    for number, seed in enumerate(seeds, start=1):
        where = f"{path}: [[seed]] #{number}"
        name = seed.get("file")
        if not isinstance(name, str):
            raise ConfigError(f"{where} has no 'file'; add file = \"000_example.txt\"")
        file = path.parent / name
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{where} file {name!r} cannot be read ({exc.strerror}); put it beside the manifest") from None
        labels = tuple(_label(c, f"{where} [[seed.claim]] #{i}") for i, c in enumerate(seed.get("claim", []), start=1))
        published = seed.get("published")
        docs.append(GoldDoc(name, text, str(published) if published else None, labels))
    return docs


def _load_jsonl(path: Path) -> list[GoldDoc]:
    docs = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{where}: not JSON ({exc.msg}); one object per line") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ConfigError(f"{where}: expected an object with \"id\", \"text\", \"published\" and \"gold\"")
            gold = row.get("gold", [])
            if not isinstance(gold, list):
                raise ConfigError(f"{where}: \"gold\" must be a list of {{\"actor\", \"stance\"}} objects")
            labels = tuple(_label(g, f"{where} gold #{i}") for i, g in enumerate(gold, start=1))
            docs.append(GoldDoc(str(row.get("id", line_no)), row["text"], row.get("published"), labels))
    return docs


def _label(item: Any, where: str) -> GoldLabel:
    if not isinstance(item, dict) or not isinstance(item.get("actor"), str):
        raise ConfigError(f"{where}: a label needs \"actor\" and \"stance\", found {item!r}")
    stance = item.get("stance")
    if stance not in STANCES:
        raise ConfigError(f"{where}: stance {stance!r}; expected one of: {', '.join(STANCES)}")
    return GoldLabel(item["actor"], stance, bool(item.get("ambiguous", False)), item.get("evidence"),
                     item.get("topic", DEFAULT_TOPIC))


# --- scoring ---------------------------------------------------------------------


def score(docs: Iterable[GoldDoc], predictions: dict[str, Iterable[Claim]], topic: str = DEFAULT_TOPIC) -> Report:
    """Compare claims per document (by doc id) with the gold labels of `topic`."""
    docs = list(docs)
    report = Report(topic=topic, documents=len(docs), labels=0, ambiguous=0)
    for doc in docs:
        labels = [lab for lab in doc.labels if lab.topic == topic]
        strict = {(lab.actor, lab.stance) for lab in labels if not lab.ambiguous}
        loose = {(lab.actor, lab.stance) for lab in labels if lab.ambiguous} - strict
        report.labels += len(strict)
        report.ambiguous += len(loose)
        evidence: dict[tuple[str, str], str] = {}
        for claim in predictions.get(doc.id, ()):
            if claim.topic == topic:
                evidence.setdefault((claim.actor, claim.stance), claim.evidence)
        found = set(evidence)
        for pair in sorted(found):
            counts = report.per_stance[pair[1]]
            if pair in strict or pair in loose:
                counts.tp += 1
            else:
                counts.fp += 1
                report.errors.append(ErrorItem(doc.id, pair[0], pair[1], "false-positive", evidence[pair]))
        for pair in sorted(strict - found):
            report.per_stance[pair[1]].fn += 1
            gold_evidence = next((lab.evidence for lab in labels if (lab.actor, lab.stance) == pair), None)
            report.errors.append(ErrorItem(doc.id, pair[0], pair[1], "miss", gold_evidence))
    for counts in report.per_stance.values():
        report.overall.tp += counts.tp
        report.overall.fp += counts.fp
        report.overall.fn += counts.fn
    return report


def evaluate(gold_path: Path | str, engine, topic: str = DEFAULT_TOPIC) -> Report:
    """Run the engine on every gold document and score it."""
    from tracker.stance import find_claims

    docs = load_gold(gold_path)
    predictions = {doc.id: find_claims(doc.text, doc.published, engine=engine, topics=[topic]) for doc in docs}
    return score(docs, predictions, topic)


def format_report(report: Report, *, show_errors: bool = False) -> str:
    lines = [
        f"topic {report.topic}: {report.documents} documents, {report.labels} labels "
        f"(+{report.ambiguous} ambiguous)",
        f"{'stance':<12} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'f1':>6}",
    ]
    rows = [*report.per_stance.items(), ("overall", report.overall)]
    for name, c in rows:
        lines.append(f"{name:<12} {c.tp:>4} {c.fp:>4} {c.fn:>4} {c.precision:>9.3f} {c.recall:>7.3f} {c.f1:>6.3f}")
    if show_errors and report.errors:
        lines.append("")
        for e in report.errors:
            label = "FP  " if e.kind == "false-positive" else "MISS"
            lines.append(f"{label} {e.doc} {e.actor} {e.stance}: {(e.evidence or '').strip()[:200]}")
    return "\n".join(lines)
