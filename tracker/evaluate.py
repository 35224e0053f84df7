"""Precision / recall / F1 of the stance engine against labelled documents.

Gold comes from a seeds manifest (``seeds/manifest.toml``: ``[[seed]]`` with
``file``, ``published`` and ``[[seed.claim]]`` labels) or from JSON lines of
``{"id", "text", "published", "language", "topic", "gold": [{"actor", "stance", "ambiguous"}]}``.

Scoring is on (document, actor, stance) pairs for one topic. An
``ambiguous`` label counts as a hit when found and is not a miss when absent;
a found pair that no label names is a false positive. Several files and
topics are scored at once by ``evaluate_files``: each document is scored on
the topic it was labelled for, with figures per topic and per language.

Honest figures need data the rules were not tuned on: ``split="held-back"``
keeps every fourth document of each file (by sorted id, the 4th, 8th, ...),
``split="tuned"`` the other three quarters (DESIGN.md, "Measuring quality honestly").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

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
    language: str = "en"
    topic: str | None = None  # the topic the document was labelled for; None: its labels say
    title: str | None = None  # read with the text, as the pipeline reads an article


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
    cause: str = ""  # see ERROR_CAUSES
    language: str = "en"


# Classes of error, so a reader fixes kinds of mistakes rather than sentences.
ERROR_CAUSES = {
    "wrong-stance": "the actor is labelled, with another stance",
    "unlabelled-actor": "a claim for an actor the article gives no stance on this topic",
    "evidence-lacks-actor": "the evidence sentence does not name the actor",
    "missed-actor": "a labelled actor with no claim at all",
    "missed-stance": "the actor was found, with another stance only",
}


@dataclass
class Report:
    topic: str
    documents: int
    labels: int
    ambiguous: int
    overall: Counts = field(default_factory=Counts)
    per_stance: dict[str, Counts] = field(default_factory=lambda: {s: Counts() for s in STANCES})
    errors: list[ErrorItem] = field(default_factory=list)
    evidence_checked: int = 0  # true positives whose gold label quotes its evidence
    evidence_overlap: int = 0  # ...and whose claim evidence overlaps that quote

    def as_dict(self, *, errors: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "topic": self.topic, "documents": self.documents, "labels": self.labels, "ambiguous": self.ambiguous,
            "overall": self.overall.as_dict(),
            "per_stance": {s: c.as_dict() for s, c in self.per_stance.items()},
            "evidence_overlap": {"checked": self.evidence_checked, "overlapping": self.evidence_overlap},
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
        title = seed.get("title")
        docs.append(GoldDoc(name, text, str(published) if published else None, labels,
                            title=title if isinstance(title, str) else None))
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
            topic = row.get("topic")
            labels = tuple(_label(g, f"{where} gold #{i}", topic) for i, g in enumerate(gold, start=1))
            title = row.get("title")
            docs.append(GoldDoc(str(row.get("id", line_no)), row["text"], row.get("published"), labels,
                                str(row.get("language") or "en"), topic if isinstance(topic, str) else None,
                                title if isinstance(title, str) else None))
    return docs


# Codes labellers use for a country whose ISO 3166-1 alpha-2 code differs
# ("UK" is reserved by ISO for GB, "EL" is the EU's code for Greece); the
# engine names actors by their ISO code, so a label in these forms is read as it.
_ACTOR_CODE_ALIASES = {"UK": "GB", "EL": "GR"}


def _label(item: Any, where: str, topic: str | None = None) -> GoldLabel:
    if not isinstance(item, dict) or not isinstance(item.get("actor"), str):
        raise ConfigError(f"{where}: a label needs \"actor\" and \"stance\", found {item!r}")
    stance = item.get("stance")
    if stance not in STANCES:
        raise ConfigError(f"{where}: stance {stance!r}; expected one of: {', '.join(STANCES)}")
    actor = _ACTOR_CODE_ALIASES.get(item["actor"], item["actor"])
    return GoldLabel(actor, stance, bool(item.get("ambiguous", False)), item.get("evidence"),
                     item.get("topic") or topic or DEFAULT_TOPIC)


SPLITS = ("all", "tuned", "held-back")
HOLD_BACK_EVERY = 4


def split_docs(docs: list[GoldDoc], split: str) -> list[GoldDoc]:
    """The documents of one split: every HOLD_BACK_EVERY-th by sorted id is held back."""
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; expected one of: {', '.join(SPLITS)}")
    if split == "all":
        return docs
    order = {doc_id: n for n, doc_id in enumerate(sorted(d.id for d in docs))}
    held = {doc_id for doc_id, n in order.items() if n % HOLD_BACK_EVERY == HOLD_BACK_EVERY - 1}
    return [d for d in docs if (d.id in held) == (split == "held-back")]


# --- scoring ---------------------------------------------------------------------


def score(docs: Iterable[GoldDoc], predictions: dict[str, Iterable[Claim]], topic: str = DEFAULT_TOPIC,
          names_actor: Callable[[GoldDoc, str, str], bool] | None = None) -> Report:
    """Compare claims per document (by doc id) with the gold labels of `topic`.

    `names_actor(doc, evidence, actor)` tells whether a claim's evidence names
    its actor; without it no false positive is put down to its evidence.
    """
    docs = list(docs)
    report = Report(topic=topic, documents=len(docs), labels=0, ambiguous=0)
    for doc in docs:
        labels = [lab for lab in doc.labels if lab.topic == topic]
        strict = {(lab.actor, lab.stance) for lab in labels if not lab.ambiguous}
        loose = {(lab.actor, lab.stance) for lab in labels if lab.ambiguous} - strict
        report.labels += len(strict)
        report.ambiguous += len(loose)
        evidence: dict[tuple[str, str], list[str]] = {}
        for claim in predictions.get(doc.id, ()):
            if claim.topic == topic:
                evidence.setdefault((claim.actor, claim.stance), []).append(claim.evidence)
        found = set(evidence)
        labelled_actors = {lab.actor for lab in labels}
        found_actors = {actor for actor, _ in found}
        for pair in sorted(found):
            counts = report.per_stance[pair[1]]
            if pair in strict or pair in loose:
                counts.tp += 1
                quotes = [lab.evidence for lab in labels if (lab.actor, lab.stance) == pair and lab.evidence]
                if quotes:
                    report.evidence_checked += 1
                    report.evidence_overlap += any(overlaps(e, q) for e in evidence[pair] for q in quotes)
                continue
            counts.fp += 1
            first = evidence[pair][0]
            if names_actor is not None and not names_actor(doc, first, pair[0]):
                cause = "evidence-lacks-actor"
            elif pair[0] in labelled_actors:
                cause = "wrong-stance"
            else:
                cause = "unlabelled-actor"
            report.errors.append(ErrorItem(doc.id, pair[0], pair[1], "false-positive", first, cause, doc.language))
        for pair in sorted(strict - found):
            report.per_stance[pair[1]].fn += 1
            gold_evidence = next((lab.evidence for lab in labels if (lab.actor, lab.stance) == pair), None)
            cause = "missed-stance" if pair[0] in found_actors else "missed-actor"
            report.errors.append(ErrorItem(doc.id, pair[0], pair[1], "miss", gold_evidence, cause, doc.language))
    for counts in report.per_stance.values():
        report.overall.tp += counts.tp
        report.overall.fp += counts.fp
        report.overall.fn += counts.fn
    return report


_TOKEN = re.compile(r"\w+")


def overlaps(evidence: str, quote: str) -> bool:
    """Does a claim's evidence sentence hold (most of) the gold quote?"""
    quote_words = _TOKEN.findall(quote.lower())
    if not quote_words:
        return False
    words = set(_TOKEN.findall(evidence.lower()))
    return sum(w in words for w in quote_words) >= 0.6 * len(quote_words)


def evaluate(gold_path: Path | str, engine, topic: str = DEFAULT_TOPIC) -> Report:
    """Run the engine on every gold document and score it on one topic."""
    return evaluate_files([gold_path], engine, topic=topic).by_topic[topic]


@dataclass
class Evaluation:
    """Figures of several gold files at once: per topic, per language and over all of them."""

    split: str
    files: list[str]
    by_topic: dict[str, Report]
    by_language: dict[str, Report]
    overall: Report

    def as_dict(self, *, errors: bool = False) -> dict[str, Any]:
        return {
            "split": self.split, "files": self.files,
            "overall": self.overall.as_dict(errors=errors),
            "topics": {t: r.as_dict() for t, r in self.by_topic.items()},
            "languages": {lang: r.as_dict() for lang, r in self.by_language.items()},
        }


def evaluate_files(paths: Iterable[Path | str], engine, *, topic: str | None = None, split: str = "all",
                   language: str | None = None) -> Evaluation:
    """Score every document of every file on the topic it was labelled for (or only `topic`),
    optionally only the documents in one `language`."""
    from tracker.stance import find_claims, names_actor, with_title

    paths = list(paths)
    docs: list[GoldDoc] = []
    for path in paths:
        docs.extend(d for d in split_docs(load_gold(path), split) if language is None or d.language == language)
    scored: list[tuple[GoldDoc, str]] = []
    for doc in docs:
        doc_topics = [doc.topic] if doc.topic else sorted({lab.topic for lab in doc.labels}) or [DEFAULT_TOPIC]
        scored.extend((doc, t) for t in doc_topics if topic is None or t == topic)
    if topic is not None and not scored:
        scored = [(doc, topic) for doc in docs]  # a manifest without topics: its labels are the topic's
    topics = sorted({t for _, t in scored} | ({topic} if topic else set()))
    for t in topics:
        if t not in engine.topics:
            raise ConfigError(f"the gold files label topic {t!r}, which config/topics.toml does not define; "
                              f"known topics: {', '.join(sorted(engine.topics))}")
    # Every topic is read, as the pipeline reads them (a topic named later in the article changes
    # what a back-reference points to); each document is scored on the topic it was labelled for.
    predictions: dict[tuple[str, str], list[Claim]] = {}
    read: dict[str, list[Claim]] = {}
    for doc, t in scored:
        if doc.id not in read:
            read[doc.id] = find_claims(with_title(doc.title, doc.text), doc.published, engine=engine,
                                       language=doc.language)
        predictions[(doc.id, t)] = [c for c in read[doc.id] if c.topic == t]

    def check(doc: GoldDoc, evidence: str, actor: str) -> bool:
        return names_actor(engine, evidence, actor, doc.published, doc.language)

    def report_of(pairs: list[tuple[GoldDoc, str]], name: str) -> Report:
        total = Report(topic=name, documents=len({d.id for d, _ in pairs}), labels=0, ambiguous=0)
        for t in sorted({t for _, t in pairs}):
            part = [d for d, tt in pairs if tt == t]
            merge(total, score(part, {d.id: predictions[(d.id, t)] for d in part}, t, check))
        return total

    by_topic = {t: report_of([p for p in scored if p[1] == t], t) for t in topics}
    languages = sorted({d.language for d, _ in scored})
    by_language = {lang: report_of([p for p in scored if p[0].language == lang], "all")
                   for lang in languages}
    return Evaluation(split, [str(p) for p in paths], by_topic, by_language, report_of(scored, "all"))


def merge(total: Report, part: Report) -> None:
    total.labels += part.labels
    total.ambiguous += part.ambiguous
    total.evidence_checked += part.evidence_checked
    total.evidence_overlap += part.evidence_overlap
    total.errors.extend(part.errors)
    for stance, counts in part.per_stance.items():
        mine = total.per_stance[stance]
        mine.tp, mine.fp, mine.fn = mine.tp + counts.tp, mine.fp + counts.fp, mine.fn + counts.fn
    total.overall.tp += part.overall.tp
    total.overall.fp += part.overall.fp
    total.overall.fn += part.overall.fn


_HEADER = f"{'':<14} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'f1':>6}"


def _row(name: str, c: Counts) -> str:
    return f"{name:<14} {c.tp:>4} {c.fp:>4} {c.fn:>4} {c.precision:>9.3f} {c.recall:>7.3f} {c.f1:>6.3f}"


def format_report(report: Report, *, show_errors: bool = False) -> str:
    lines = [
        f"topic {report.topic}: {report.documents} documents, {report.labels} labels "
        f"(+{report.ambiguous} ambiguous)",
        "stance" + _HEADER[6:],
    ]
    rows = [*report.per_stance.items(), ("overall", report.overall)]
    lines.extend(_row(name, c) for name, c in rows)
    if report.evidence_checked:
        lines.append(f"evidence: {report.evidence_overlap} of {report.evidence_checked} right claims quote "
                     "the labelled sentence")
    if show_errors and report.errors:
        lines.extend(format_errors(report.errors))
    return "\n".join(lines)


def format_evaluation(evaluation: Evaluation, *, show_errors: bool = False) -> str:
    """One block per topic, then the figures per language and over everything."""
    if len(evaluation.by_topic) == 1 and len(evaluation.by_language) == 1:
        only = next(iter(evaluation.by_topic.values()))
        text = format_report(only, show_errors=show_errors)
        return text if evaluation.split == "all" else f"split {evaluation.split}\n{text}"
    lines = [f"split {evaluation.split}"] if evaluation.split != "all" else []
    for report in evaluation.by_topic.values():
        lines.extend([format_report(report), ""])
    lines.extend(["by language" + _HEADER[11:]])
    lines.extend(_row(lang, r.overall) for lang, r in evaluation.by_language.items())
    lines.extend(["", "overall" + _HEADER[7:], _row("all", evaluation.overall.overall)])
    o = evaluation.overall
    if o.evidence_checked:
        lines.append(f"evidence: {o.evidence_overlap} of {o.evidence_checked} right claims quote the labelled sentence")
    if show_errors and o.errors:
        lines.extend(format_errors(o.errors))
    return "\n".join(lines)


def format_errors(errors: list[ErrorItem]) -> list[str]:
    """Errors grouped by their class (ERROR_CAUSES), largest class first."""
    groups: dict[str, list[ErrorItem]] = {}
    for e in errors:
        groups.setdefault(e.cause or e.kind, []).append(e)
    lines: list[str] = []
    for cause, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.extend(["", f"{cause} ({len(items)}): {ERROR_CAUSES.get(cause, '')}".rstrip(": ")])
        for e in items:
            label = "FP  " if e.kind == "false-positive" else "MISS"
            lang = f" [{e.language}]" if e.language != "en" else ""
            lines.append(f"{label} {e.doc} {e.actor} {e.stance}{lang}: {(e.evidence or '').strip()[:200]}")
    return lines
