"""The stance classifier interface, and the rule-based default.

The engine finds holders and topic anchors itself; a classifier only says
which stance one clause takes, if any. A model-based classifier (a local NLI
model, or an LLM behind an OpenAI-compatible endpoint) implements the same
``classify`` and is passed to ``load_engine(..., classifier=...)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from tracker.stance.attribution import TIME_PREPOSITIONS, partitive_subject
from tracker.stance.cues import CueHit, Lexicon

Span = tuple[int, int]


@dataclass(frozen=True)
class ClauseInput:
    """One clause to classify. Spans are character offsets into `text`."""

    text: str
    sentence: str
    topic: str
    holders: tuple[Span, ...]  # where the holders are named; empty when a pronoun points back
    anchors: tuple[Span, ...]  # topic terms; empty when the topic came by back-reference


@dataclass(frozen=True)
class StanceDecision:
    stance: str  # support | conditional | oppose
    confidence: float
    cue: str | None = None  # the words that decided, for explanations
    cue_start: int | None = None  # where they start in the clause; None: every holder of the clause takes it


class StanceClassifier(Protocol):
    def classify(self, clause: ClauseInput) -> StanceDecision | None:
        """The stance the clause's holders take on the topic, or None when it takes none."""
        ...


_BASE_CONFIDENCE = {1: 0.55, 2: 0.7, 3: 0.8, 4: 0.9}


class RuleClassifier:
    """Lexicon cues with negation, hedge and condition scope (see cues.toml).

    The strongest cue in the clause decides (on equal weight, the later one);
    a negated cue counts at least as much as a weight-3 cue, because "would not
    deploy" says more than a nearby "proposal". A condition ("only if",
    "without the US") turns support, and oppose that came from a negated
    verb, into conditional.
    """

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def classify(self, clause: ClauseInput) -> StanceDecision | None:
        hits = self.lexicon.find_cues(clause.text)
        first_holder = min((start for start, _ in clause.holders), default=0)
        hits = [h for h in hits if not (h.needs_holder_before and h.start < first_holder
                                        and not _quoted_before(clause, h, first_holder))
                and not _inside(h, clause.holders) and not _other_subject(clause.text, h, first_holder)
                and not _partitive_subject(clause.text, h, clause.holders)
                and not _owned_by_another(clause.text, h, clause.holders)
                and not _said_by_another(clause.text, h, clause.holders, self.lexicon)
                and not _absolute_of_another(clause.text, h, clause.holders, self.lexicon)]
        hits = [h for h in hits if not _governed_by_attitude(h, hits, clause.text, self.lexicon)
                and not _asked(h, clause.text, self.lexicon)]
        if not hits:
            return None
        # On equal weight the later cue decides, except that a refusal by negation ("would not deploy")
        # beats a hedge set apart from it by a comma ("..., calling the debate premature"); a brake on
        # the refusal itself still makes it conditional ("does not support inviting Ukraine at this stage").
        best = max(hits, key=lambda h: (_rank(h), h.start))
        if best.stance == "conditional":
            refusal = next((h for h in hits if h.negated and h.stance == "oppose" and _rank(h) == _rank(best)
                            and h.end <= best.start and "," in clause.text[h.end:best.start]), None)
            best = refusal or best
        stance = best.stance
        # a refusal worded with its own negation is a negated verb too: "cannot happen without an
        # American backstop", "not on the agenda unless Washington joins" are conditions, not refusals
        # ("under no condition" is its own refusal: the condition must lie outside the cue)
        negative = best.negated or (stance == "oppose" and self.lexicon.negative(best.text.lower().split())
                                    and self.lexicon.has_condition(clause.text[:best.start] + " … " + clause.text[best.end:]))
        conditioned = stance != "conditional" and self.lexicon.has_condition(clause.text) and (
            stance == "support" or negative)
        if conditioned:
            stance = "conditional"
        confidence = _BASE_CONFIDENCE.get(min(_rank(best), 4), 0.55)
        if best.hedged or conditioned:
            confidence -= 0.05
        if any(h.stance != best.stance and _rank(h) >= 2 for h in hits if h is not best):
            confidence -= 0.15  # mixed signals in one clause
        if not clause.holders:
            confidence -= 0.1
        if not clause.anchors:
            confidence -= 0.1
        return StanceDecision(stance, round(max(confidence, 0.1), 2), best.text, best.start)


_SCOPE_WORDS = frozenset({"any", "such", "this", "that", "these", "those", "further", "more"})


def _governed_by_attitude(hit: CueHit, hits: list[CueHit], text: str, lexicon: Lexicon) -> bool:
    """Is a support cue the object of an attitude just before it ("reluctant to commit troops",
    "sceptical of the proposal")? The attitude is the holder's stance; what it governs is not."""
    if hit.stance != "support":
        return False
    governors = [(o.start, o.end) for o in hits
                 if o is not hit and o.stance != "support" and not o.negated and o.end <= hit.start]
    if lexicon.discussion is not None:  # "discussed the plan to send troops": talked about, not backed
        governors += [(m.start(), m.end()) for m in lexicon.discussion.finditer(text, 0, hit.start)]
    for _, end in governors:
        between = [w for w in (w.strip("\"“”«»‘’'") for w in text[end:hit.start].split()) if w]
        if len(between) <= 3 and all(w.lower() in lexicon.prepositions or w.lower() in lexicon.articles
                                     or w.lower() in _SCOPE_WORDS for w in between):
            return True
    return False


def _asked(hit: CueHit, text: str, lexicon: Lexicon) -> bool:
    """Is the cue inside an embedded question ("too early to say whether the Netherlands would
    contribute")? A question asserts nothing; a comma closes it ("Tusk, asked whether Poland
    would send troops, said it would not")."""
    if lexicon.questions is None:
        return False
    if lexicon.condition is not None and lexicon.condition.match(text, hit.start):
        return False  # "Whether Dutch soldiers take part depends on American support": the question is its subject
    return any(m.end() <= hit.start and "," not in text[m.end():hit.start]
               for m in lexicon.questions.finditer(text, 0, hit.start))


def _rank(hit: CueHit) -> int:
    return max(hit.weight, 3) if hit.negated else hit.weight


def _inside(hit: CueHit, spans: tuple[Span, ...]) -> bool:
    return any(start <= hit.start and hit.end <= end for start, end in spans)


_OPEN_QUOTE = re.compile(r"[\"“„«‘]")
_CLOSE_QUOTE = re.compile(r"[\"”»’]")


def _quoted_before(clause: ClauseInput, hit: CueHit, first_holder: int) -> bool:
    """Is the cue inside a quotation that closes before its speaker is named ('"I will never
    support it," Fico said')? The speaker's own words: the holder comes first in meaning. The
    quotation may have opened in a clause before this one ('"As long as I am prime minister,
    I will never support it," he said')."""
    if _CLOSE_QUOTE.search(clause.text, hit.end, first_holder) is None:
        return False
    return _OPEN_QUOTE.search(clause.text, 0, hit.start) is not None or _quote_open_before(clause.sentence,
                                                                                          clause.text)


def _quote_open_before(sentence: str, text: str) -> bool:
    """Is a quotation still open where the clause `text` starts in `sentence`?"""
    before = sentence[:max(sentence.find(text), 0)]
    if before.count('"') % 2:
        return True
    return before.rfind("“") > before.rfind("”")


_PRONOUN_BEFORE = re.compile(r"(?:^|[\s“\"])(?:he|she|they)\s+(?:\w+\s+)?$", re.IGNORECASE)


_DISPOSITION = re.compile(r"(?:hesitation|hesitancy|reluctance|scepticism|skepticism|opposition|resistance|refusal|"
                         r"rejection|objections?|readiness|willingness|backing|caution|requests?|demands?|appeals?|pleas?|"
                         r"calls?)\b", re.IGNORECASE)
_OWN_SIDE = frozenset("country government nation state administration cabinet ministry leadership".split())
_POSSESSOR_BEFORE = re.compile(r"([\w-]+)['’]s\s+(?:[\w-]+\s+)?$")
_TIME_BEFORE = re.compile(r"\b(?:" + "|".join(sorted(TIME_PREPOSITIONS)) + r")\s+$", re.IGNORECASE)
_SAID_CONTENT = re.compile(r"([\w-]+)['’]s\s+(?:[\w-]+\s+){0,2}?([\w-]+)\s+that\b")
_POSSESSIVE_PRONOUN_BEFORE = re.compile(r"\b(?:his|her|its|their|our|my)\s+$", re.IGNORECASE)


def _owned_by_another(text: str, hit: CueHit, spans: tuple[Span, ...]) -> bool:
    """A stance noun owned by someone who is no holder is theirs ("Riga would support an
    invitation, arguing that the alliance's hesitation was read as weakness")."""
    m = _POSSESSOR_BEFORE.search(text, max(0, hit.start - 60), hit.start)
    if m is None or not _DISPOSITION.match(text, hit.start):
        return False
    if m.group(1).lower() in _OWN_SIDE or _POSSESSIVE_PRONOUN_BEFORE.search(text[max(0, m.start() - 8):m.start()]):
        return False  # "his country's readiness", "the government's refusal": the holder's own side
    return not any(end <= m.end(1) and m.end(1) - end <= 25 or start <= m.start(1) < end for start, end in spans)


def _said_by_another(text: str, hit: CueHit, spans: tuple[Span, ...], lexicon: Lexicon) -> bool:
    """A cue inside what someone who is no holder said is theirs ("the United States will not
    send troops, as capitals distanced themselves from Macron's remark that deploying soldiers
    could not be excluded": the exclusion is Macron's, not Washington's)."""
    owner = None
    for m in _SAID_CONTENT.finditer(text, max(0, hit.start - 150), hit.start):
        if m.group(2).lower() in lexicon.spoken_things:
            owner = m
    if owner is None or ";" in text[owner.end():hit.start] or _TIME_BEFORE.search(text, 0, owner.start()):
        return False  # "has said since Macron's remarks that boots on the ground are not an option": a time
    return not any(start <= owner.start(1) < end or owner.start(1) <= start < owner.end(1) for start, end in spans)


def _absolute_of_another(text: str, hit: CueHit, spans: tuple[Span, ...], lexicon: Lexicon) -> bool:
    """A gerund cue whose own subject is a name that is no holder ("Estonia restated its backing
    ..., despite the United States ruling it out"): the ruling out is Washington's."""
    if lexicon.absolute_subject is None or not lexicon.gerund.match(hit.text):
        return False
    m = lexicon.absolute_subject.search(text, max(0, hit.start - 80), hit.start)
    if m is None:
        return False
    name = next((i for i in range(1, (m.lastindex or 0) + 1) if m.group(i) is not None), None)
    return name is not None and not any(start < m.end(name) and m.start(name) < end for start, end in spans)


def _partitive_subject(text: str, hit: CueHit, holders: tuple[Span, ...]) -> bool:
    """A cue whose subject is a part of the countries, none of them named ("France and Britain
    would lead the force, acknowledging that not every ally would take part")."""
    start = partitive_subject(text, hit.start)
    return start is not None and not any(start <= a < hit.start for a, _ in holders)


def _other_subject(text: str, hit: CueHit, first_holder: int) -> bool:
    """A cue whose subject is a pronoun while the holder is named only after it is someone
    else's ("He proposed that troops ...," Zelensky said: the proposal is not Zelensky's)."""
    return first_holder > hit.end and bool(_PRONOUN_BEFORE.search(text[:hit.start]))
