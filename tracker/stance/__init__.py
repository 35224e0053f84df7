"""The stance engine: text or HTML -> claims (actor, topic, stance, evidence).

    from tracker.stance import find_claims, load_engine
    engine = load_engine(actors_path, topics_path)     # cached; ConfigError on bad files
    claims = find_claims(text, published="2025-02-18", engine=engine, topics=None)

``find_claims`` is the one entry point; the modules behind it are
``language`` (which language a text is in), ``sentences`` (splitting),
``cues`` (the lexicon in cues.toml, and one per language in languages/;
``phraseindex`` groups its long phrase lists by first character for speed),
``claims`` (holders, anchors, scope), ``attribution`` (which holder a cue
belongs to, who is on record) and ``classifier`` (the pluggable stance decision).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from tracker.datafile import read_toml
from tracker.errors import ConfigError, StanceError
from tracker.models import Claim
from tracker.stance.classifier import RuleClassifier, StanceClassifier
from tracker.stance.claims import TopicMatcher, compile_topic, extract_claims
from tracker.stance.cues import DEFAULT_LEXICON, Lexicon, load_lexicon
from tracker.stance.language import detect_language

__all__ = ["Engine", "detect_language", "find_claims", "load_engine", "names_actor", "to_text", "parse_published",
           "with_title"]


LANGUAGE_DIR = Path(__file__).with_name("languages")


@dataclass(frozen=True)
class Engine:
    """Everything find_claims needs, compiled once: English, and one engine per language pack."""

    gazetteer: object
    topics: dict[str, TopicMatcher]
    lexicon: Lexicon
    classifier: StanceClassifier
    languages: dict[str, "Engine"] = field(default_factory=dict)

    def topic_ids(self) -> list[str]:
        return list(self.topics)

    @property
    def language(self) -> str:
        return self.lexicon.language

    def for_language(self, code: str) -> "Engine | None":
        """The engine that reads `code` (ISO 639-1); None for a language without a pack."""
        return self if code == self.language else self.languages.get(code)


_ENGINES: dict[tuple, Engine] = {}


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
        return (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return (str(path), None, None)


def load_engine(actors_path: Path | str, topics_path: Path | str, *, lexicon_path: Path | str = DEFAULT_LEXICON,
                classifier: StanceClassifier | None = None) -> Engine:
    """Load the gazetteer, the topics and the cue lexicon; cached until a file changes.

    Raises ConfigError naming the file and the fix when one of them is wrong.
    """
    from tracker.stance.actors import load_gazetteer
    from tracker.stance.topics import load_topics

    actors_path, topics_path, lexicon_path = Path(actors_path), Path(topics_path), Path(lexicon_path)
    packs = sorted(LANGUAGE_DIR.glob("*.toml"))
    key = (_stamp(actors_path), _stamp(topics_path), _stamp(lexicon_path), *map(_stamp, packs),
           id(classifier) if classifier else None)
    cached = _ENGINES.get(key)
    if cached is not None:
        return cached
    gazetteer = load_gazetteer(actors_path)
    topics = load_topics(topics_path)
    lexicon = load_lexicon(lexicon_path)
    matchers = {tid: compile_topic(topic, lexicon, str(topics_path)) for tid, topic in topics.items()}
    if not matchers:
        raise ConfigError(f"{topics_path}: no topics defined; add a [[topic]] with an id and anchors")
    languages = {}
    for pack in packs:
        data = read_toml(pack, "language pack", fix="restore the file from the repository")
        pack_lexicon = Lexicon(data, pack)  # one read of the file serves its cues and its actor forms
        code = pack_lexicon.language
        if code != pack.stem:
            raise ConfigError(f"{pack}: [language] code is {code!r}; name the file {code}.toml or set code = \"{pack.stem}\"")
        pack_matchers = {tid: compile_topic(topic.in_language(code), pack_lexicon, f"{topics_path} [topic.{code}]")
                         for tid, topic in topics.items() if topic.in_language(code) is not None}
        languages[code] = Engine(gazetteer.with_language(data, pack), pack_matchers, pack_lexicon,
                                 classifier or RuleClassifier(pack_lexicon))
    engine = Engine(gazetteer, matchers, lexicon, classifier or RuleClassifier(lexicon), languages)
    _ENGINES[key] = engine
    return engine


def parse_published(published: str | date | datetime | None) -> date | None:
    """'2025-02-18', a date, a datetime or None -> date | None; anything else is a StanceError."""
    if published is None or published == "":
        return None
    if isinstance(published, datetime):
        return published.date()
    if isinstance(published, date):
        return published
    if isinstance(published, str):
        try:
            return date.fromisoformat(published.strip()[:10])
        except ValueError:
            pass
    raise StanceError(f"published date {published!r} is not a date; use YYYY-MM-DD, such as \"2025-02-18\"")


_HTML_HINT = re.compile(r"<\s*(?:html|body|head|p|div|article|br|span|h[1-6]|section|!doctype)\b", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")


def to_text(content: str | bytes) -> str:
    """Plain text from text, HTML or bytes; binary junk gives ''."""
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    if not content:
        return ""
    sample = content[:4000]
    if sample and len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        return ""  # binary, not text: nothing to read
    content = _CONTROL.sub(" ", content)
    if _HTML_HINT.search(sample):
        return _html_to_text(content)
    return content


def with_title(title: str | None, text: str) -> str:
    """The article as it is read: its title, then its text (unless the text opens with the title)."""
    if title and not text.lstrip().startswith(title.strip()):
        return f"{title.strip()}\n\n{text}"
    return text


def _html_to_text(html: str) -> str:
    try:
        import trafilatura

        text = trafilatura.extract(html, include_comments=False, deduplicate=False, favor_recall=True)
    except Exception:  # trafilatura raises a variety of parser errors on broken markup
        text = None
    if text:
        return text
    try:
        import lxml.html

        root = lxml.html.fromstring(html)
        for bad in root.xpath("//script|//style|//noscript"):
            bad.drop_tree()
        return "\n".join(t.strip() for t in root.itertext() if t.strip())
    except Exception:  # unparseable markup: strip tags by hand
        return re.sub(r"<[^>]+>", " ", html)


def find_claims(text: str | bytes, published: str | date | datetime | None = None, *, engine: Engine,
                topics: list[str] | tuple[str, ...] | str | None = None, language: str | None = None) -> list[Claim]:
    """Claims found in `text` (plain text or HTML), for all topics or the ones named.

    `language` (ISO 639-1) picks the rules; without it the text's language is
    detected. A language without a pack, or a topic not written in it, gives
    no claims. An unknown topic id is a StanceError listing the known ones;
    empty or binary input gives [].
    """
    day = parse_published(published)
    if isinstance(topics, str):
        topics = [topics]
    if topics is None:
        matchers = list(engine.topics.values())
    else:
        unknown = [t for t in topics if t not in engine.topics]
        if unknown:
            raise StanceError(
                f"unknown topic {unknown[0]!r}; known topics: {', '.join(sorted(engine.topics))}"
            )
        matchers = [engine.topics[t] for t in topics]
    plain = to_text(text)
    if not plain.strip():
        return []
    reader = engine.for_language(language or detect_language(plain))
    if reader is None:
        return []
    if reader is not engine:
        matchers = [reader.topics[m.id] for m in matchers if m.id in reader.topics]
    return extract_claims(plain, gazetteer=reader.gazetteer, lexicon=reader.lexicon,
                          classifier=reader.classifier, topics=matchers, published=day)


# "it" is left out: "It is still unclear which countries..." names nobody.
_POINTS_BACK = re.compile(r"(?<![\w'’])(?:he|she|they|his|her|its|their|the (?:country|government|chancellor|"
                          r"president|prime minister|premier|minister|ministry|kingdom|leader))(?![\w'’])", re.IGNORECASE)


def names_actor(engine: Engine, evidence: str, actor: str, published: str | date | datetime | None = None,
                language: str = "en") -> bool:
    """Does an evidence sentence name `actor` (by name, capital, office, metonym or a member of a
    group named), or hold a pronoun that a claim may have resolved within its article?"""
    day = parse_published(published)
    reader = engine.for_language(language) or engine
    if any(actor in m.codes for m in reader.gazetteer.find_mentions(evidence, on=day)):
        return True
    return _POINTS_BACK.search(evidence) is not None
