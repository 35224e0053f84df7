"""Topic lexicons: config/topics.toml -> Topic, with the phrase matchers the engine uses.

Phrases match case-insensitively on whole words; a space matches any run of
whitespace, both apostrophes match either way, and a ``*`` at the end of a word
matches any ending ("peacekeep*" finds peacekeepers and peacekeeping). The
schema is documented at the top of config/topics.toml.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

from tracker.config import Table
from tracker.errors import ConfigError, StanceError
from tracker.datafile import load_cached, read_toml
from tracker.stance.actors import array_of_tables, labelled, string_list, trie_regex

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEYS = {"id", "label", "description", "anchors", "standalone_anchors", "require_any", "require_also",
         "back_references", "exclude", "contrary", "giving_up", "brakes", "context_sentences", "located",
         "seeker", "seeker_hedges"}


@dataclass(frozen=True)
class TopicSpan:
    start: int
    end: int
    text: str
    kind: str  # anchor | standalone | contrary | giving_up | back_reference


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    description: str
    anchors: tuple[str, ...]
    standalone_anchors: tuple[str, ...] = ()
    require_any: tuple[str, ...] = ()
    require_also: tuple[str, ...] = ()
    back_references: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    contrary: tuple[str, ...] = ()
    # Contrary phrases that are a verb of giving the goal up ("abandon its plans to join"): the
    # giving up is itself the stance, so a refusal after it is no refusal of it.
    giving_up: tuple[str, ...] = ()
    # A refusal with one of these in its clause is a brake on this topic, not a rejection:
    # "an invitation is not on the agenda at this stage" (conditional).
    brakes: tuple[str, ...] = ()
    context_sentences: int = 2
    # The topic happens where `require_any` names: an anchor placed in another country
    # ("a brigade in Lithuania") is not this topic.
    located: bool = False
    # The actor that seeks what the topic is about (Ukraine asks for the force, applies to join):
    # its refusals are about other things ("dismissed the proposal" of neutrality) unless it
    # gives the goal up in a `contrary` phrase ("ready to drop its NATO bid"). Its hedges count
    # unless `seeker_hedges` is false: a goal the seeker never conditions (its own membership) is
    # braked by others ('"If our partners say it's too early ...," Zelensky said').
    seeker: str | None = None
    seeker_hedges: bool = True
    _patterns: dict[str, re.Pattern[str] | None] = field(default_factory=dict, repr=False, compare=False)
    # The same topic in other languages ([topic.de] in topics.toml), by ISO 639-1 code.
    languages: dict[str, "Topic"] = field(default_factory=dict, repr=False, compare=False)

    def in_language(self, code: str) -> "Topic | None":
        """This topic's anchors in language `code`; English is the topic itself; None when not written."""
        return self if code == "en" else self.languages.get(code)

    def find_anchors(self, text: str) -> list[TopicSpan]:
        """Anchor, standalone and contrary phrases in `text`, minus those inside an excluded phrase.

        Whether an "anchor" span counts still depends on `is_tied` (the clause,
        its sentence or the context must name what `require_any` lists);
        "standalone" spans count by themselves. "contrary" spans name the
        opposite of the topic: backing them is opposing the topic.
        """
        probe = _quotes_as_spaces(text)
        any_phrase = self._patterns.get("any")
        if any_phrase is not None and any_phrase.search(probe) is None:
            return []  # most sentences: one scan instead of four
        excluded = [(m.start(), m.end()) for m in _finditer(self._patterns.get("exclude"), probe)]
        starts = [start for start, _ in excluded]
        found = []
        for rank, kind in enumerate(("standalone", "anchor", "contrary", "giving_up")):
            for m in _finditer(self._patterns.get(kind), probe):
                i = bisect_right(starts, m.start()) - 1
                if i >= 0 and m.end() <= excluded[i][1]:
                    continue  # inside "Russian troops" and the like
                span = TopicSpan(m.start(), m.end(), text[m.start():m.end()], kind)
                found.append((m.start(), rank, m.start() - m.end(), span))
        spans: list[TopicSpan] = []
        ranks: list[int] = []
        for _, rank, _, span in sorted(found, key=lambda item: item[:3]):
            if spans and span.start < spans[-1].end:
                # a standalone phrase wins over the anchor inside it; a contrary phrase
                # keeps the anchor it ends with ("renounce its plans to join NATO", "the
                # non-membership of Ukraine in NATO")
                if rank < ranks[-1] and not (spans[-1].kind in ("contrary", "giving_up")
                                             and span.kind in ("anchor", "standalone")):
                    spans[-1], ranks[-1] = span, rank
                continue
            spans.append(span)
            ranks.append(rank)
        return spans

    def is_tied(self, *texts: str) -> bool:
        """True when the texts (clause, sentence, nearby sentences, title) name one of
        `require_any`, and one of `require_also` when that is set."""
        return all(
            self._patterns.get(key) is None or any(self._patterns[key].search(t) for t in texts if t)
            for key in ("require_any", "require_also")
        )

    def is_place(self, text: str) -> bool:
        """Is `text` (a place name) one of the places `require_any` names ("Ukraine", "Kyiv")?"""
        pattern = self._patterns.get("require_any")
        return pattern is not None and pattern.fullmatch(text) is not None

    def find_back_references(self, text: str) -> list[TopicSpan]:
        """Phrases such as "the idea" that point back to this topic when it was anchored just before."""
        return [TopicSpan(m.start(), m.end(), m.group(0), "back_reference")
                for m in _finditer(self._patterns.get("back_reference"), text)]

    def brakes_in(self, text: str) -> bool:
        """Does `text` hold one of the topic's brakes ("at this stage", "while the war continues")?"""
        pattern = self._patterns.get("brakes")
        return pattern is not None and pattern.search(text) is not None

    def names_other_subject(self, text: str) -> bool:
        """Does `text` name one of the subjects this topic is not ("Ukraine's bid to join the EU")?"""
        pattern = self._patterns.get("exclude")
        return pattern is not None and pattern.search(_quotes_as_spaces(text)) is not None

    def mentions(self, text: str) -> bool:
        """True when `text` anchors the topic by itself (a standalone phrase, or a tied anchor)."""
        spans = self.find_anchors(text)
        return any(s.kind == "standalone" for s in spans) or (bool(spans) and self.is_tied(text))


def _finditer(pattern: re.Pattern[str] | None, text: str):
    return pattern.finditer(text) if pattern is not None and text else ()


def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive whole-word pattern for the phrases, longest match first."""
    if not phrases:
        return None
    variants = {v for p in phrases for v in _variants(p)}
    return re.compile(r"(?<!\w)" + trie_regex(_tokens(v) for v in variants) + r"(?!\w)", re.IGNORECASE)


def _variants(phrase: str) -> list[str]:
    """The phrases a word list with alternatives stands for: "drop*|abandon* ~ bid" is two."""
    return [" ".join(words) for words in product(*(word.split("|") for word in phrase.split()))]


# Quotation marks read as spaces when phrases are matched (same length, so spans stay put): a
# quotation may start or end inside a phrase ('future "lies in NATO"').
_QUOTATION_MARK = re.compile("[\"“”«»]")


def _quotes_as_spaces(text: str) -> str:
    return _QUOTATION_MARK.sub(" ", text)  # (a few times faster than str.translate)


_GAP = r"(?:[\w'’-]+\s+){0,3}?"  # "~": up to three other words


def _tokens(phrase: str) -> list[str]:
    tokens: list[str] = []
    words = phrase.lower().split()
    for number, word in enumerate(words):
        if word == "~":
            tokens.extend((r"\s+", _GAP))  # the next word follows it directly
            continue
        if number and words[number - 1] != "~":
            tokens.append(r"\s+")
        tokens.extend("['’]" if ch in "'’" else re.escape(ch) for ch in word.rstrip("*"))
        if word.endswith("*"):
            tokens.append(r"[\w'’-]*")
    return tokens


def get_topic(topics: dict[str, Topic], topic_id: str) -> Topic:
    try:
        return topics[topic_id]
    except KeyError:
        known = ", ".join(sorted(topics)) or "(none)"
        raise StanceError(f"unknown topic {topic_id!r}; known topics: {known}") from None


_CACHE: dict[Path, tuple[tuple[int, int], dict[str, Topic]]] = {}


def load_topics(path: Path | str) -> dict[str, Topic]:
    """Read and validate a topics file; cached until the file changes (mtime, size)."""
    return load_cached(_CACHE, Path(path), lambda p: parse_topics(
        read_toml(p, "topics", fix="check [stance] in the config or create it"), p))


def parse_topics(data: dict[str, Any], path: Path) -> dict[str, Topic]:
    name = str(path)
    top = Table(data, name, {"topic"})
    items = array_of_tables(top.data.get("topic", []), name, "topic")
    if not items:
        raise ConfigError(f"{name}: no [[topic]] tables; add one, such as [[topic]] id = \"troops-to-ukraine\"")
    topics: dict[str, Topic] = {}
    numbers: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        topic = _parse_topic(item, f"{name}: [[topic]] #{number}")
        if topic.id in topics:
            raise ConfigError(
                f"{name}: [[topic]] #{number} ({topic.id}) id {topic.id!r} is already used by "
                f"[[topic]] #{numbers[topic.id]}; ids must be unique"
            )
        topics[topic.id] = topic
        numbers[topic.id] = number
    return topics


_LANGUAGE = re.compile(r"^[a-z]{2}$")
_LANGUAGE_KEYS = {"anchors", "standalone_anchors", "require_any", "require_also", "back_references", "exclude",
                  "contrary", "giving_up", "brakes"}


def _parse_topic(item: Any, where: str) -> Topic:
    languages = {k for k, v in item.items() if _LANGUAGE.match(k) and isinstance(v, dict)} if isinstance(item, dict) else set()
    t = Table(item, labelled(where, item, "id"), _KEYS | languages)
    t.where = where
    topic_id = t.get("id", str, required=True, example='"troops-to-ukraine"').strip()
    if not _ID.match(topic_id):
        raise ConfigError(
            f"{where} key 'id' is {topic_id!r}; use lower-case words joined by hyphens, such as \"troops-to-ukraine\""
        )
    t.where = f"{where} ({topic_id})"
    context = t.get("context_sentences", int, 2, example="2")
    if context < 0:
        raise ConfigError(f"{t.where} key 'context_sentences' is {context}; use 0 or more, such as context_sentences = 2")
    values = {
        "anchors": string_list(t, "anchors", '["troops", "peacekeepers"]', required=True),
        "standalone_anchors": string_list(t, "standalone_anchors", '["reassurance force"]'),
        "require_any": string_list(t, "require_any", '["Ukraine", "Kyiv"]'),
        "require_also": string_list(t, "require_also", '["NATO"]'),
        "back_references": string_list(t, "back_references", '["the idea", "the proposal"]'),
        "exclude": string_list(t, "exclude", '["Russian troops"]'),
        "contrary": string_list(t, "contrary", '["neutrality"]'),
        "giving_up": string_list(t, "giving_up", '["abandon* ~ bid"]'),
        "brakes": string_list(t, "brakes", '["at this stage", "while the war continues"]'),
    }
    located = t.get("located", bool, False, example="true")
    seeker = t.get("seeker", str, None, example='"UA"')
    seeker_hedges = t.get("seeker_hedges", bool, True, example="false")
    label = t.get("label", str, required=True, example='"European/Western troops on Ukrainian soil"').strip()
    description = t.get("description", str, "").strip()
    translated = {}
    for code in sorted(languages):
        sub = Table(item[code], f"{t.where} [topic.{code}]", _LANGUAGE_KEYS)
        own = {key: string_list(sub, key, '["Truppen"]') for key in _LANGUAGE_KEYS if key in sub.data}
        if not own.get("anchors") and not own.get("standalone_anchors"):
            raise ConfigError(f"{t.where} [topic.{code}] has no anchors; add anchors = [...] in that language")
        translated[code] = _build_topic(topic_id, label, description, context, {**values, **own}, sub.where,
                                        located=located, seeker=seeker, seeker_hedges=seeker_hedges)
    return _build_topic(topic_id, label, description, context, values, t.where, translated, located=located,
                        seeker=seeker, seeker_hedges=seeker_hedges)


def _build_topic(topic_id: str, label: str, description: str, context: int, values: dict[str, tuple[str, ...]],
                 where: str, languages: dict[str, Topic] | None = None, located: bool = False,
                 seeker: str | None = None, seeker_hedges: bool = True) -> Topic:
    for key, phrases in values.items():
        for phrase in phrases:
            if any("*" in word.rstrip("*") for word in re.split(r"[\s|]+", phrase)):
                raise ConfigError(f"{where} key {key!r} has {phrase!r}; '*' may only end a word, as in \"peacekeep*\"")
    patterns = {
        "anchor": phrase_pattern(values["anchors"]),
        "standalone": phrase_pattern(values["standalone_anchors"]),
        "contrary": phrase_pattern(values["contrary"]),
        "giving_up": phrase_pattern(values["giving_up"]),
        "exclude": phrase_pattern(values["exclude"]),
        "require_any": phrase_pattern(values["require_any"]),
        "require_also": phrase_pattern(values["require_also"]),
        "back_reference": phrase_pattern(values["back_references"]),
        "brakes": phrase_pattern(values["brakes"]),
        "any": phrase_pattern(values["anchors"] + values["standalone_anchors"] + values["contrary"] + values["giving_up"]),
    }
    return Topic(id=topic_id, label=label, description=description, context_sentences=context, located=located,
                 seeker=seeker, seeker_hedges=seeker_hedges, _patterns=patterns, languages=languages or {}, **values)
