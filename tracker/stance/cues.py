"""Cue rules read from cues.toml: stance words, negation and hedge scope,
conditions, clause splitters, holder lexicons, back-references and time cues.

The lexicon is data (``tracker/stance/cues.toml``); this module only compiles
its small phrase language into regular expressions and applies the scope
rules. Cue matching is linear in the clause length.
"""

from __future__ import annotations

import functools
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tracker.datafile import load_cached, read_toml
from tracker.errors import ConfigError
from tracker.models import STANCES
from tracker.stance.phraseindex import alternation, guarded

DEFAULT_LEXICON = Path(__file__).with_name("cues.toml")

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
SEASONS = {"winter": 1, "spring": 4, "summer": 7, "autumn": 10, "fall": 10}
TIME_KINDS = ("previously", "last-season", "last-year", "last-month", "last-week",
              "earlier-this-year", "month", "year")


_SEPARATOR = r"[\s-]+"
# A phrase that opens right after a quotation mark may close the quotation between two of its
# words (there was "no question" of troops); a quotation opened before the phrase may not
# (the "coalition of the willing" to ...).
_QUOTED_SEPARATOR = r"[\"”]?[\s-]+"


def compile_phrase(phrase: str) -> str:
    """One phrase of the lexicon language -> a regex (no groups, no anchors)."""
    if phrase.startswith("re:"):
        return "(?:" + phrase[3:] + ")"
    plain = _phrase_regex(phrase, _SEPARATOR)
    if len(phrase.split()) < 2:
        return plain
    return f"(?:(?<=[\"“]){_phrase_regex(phrase, _QUOTED_SEPARATOR)}|{plain})"


# "not" in a phrase, or the "n't" a verb contracts with it ("don't have any plans" is "not have any
# plans"): a phrase may start at that "n't" inside the word (PHRASE_START), so its first character
# stays "n" and phrase groups keep skipping ahead (tracker.stance.phraseindex)
_NOT = r"(?:not|n['’]t)"
# where a phrase may start: at a word's start (not after a hyphen or inside "Germany's"), or at a
# contracted "n't"
_AFTER_A_WORD = r"(?<![\w-](?!n['’]t\b))"
PHRASE_START = _AFTER_A_WORD + r"(?<!\w['’])"


def _phrase_regex(phrase: str, separator: str) -> str:
    parts: list[str] = []
    for token in phrase.split():
        if token == "~":
            parts.append(r"(?:[\w'’.\"“”-]+[\s,]+){0,3}?")
            continue
        optional = token.startswith("?") and len(token) > 1
        token = token[1:] if optional else token
        alternatives = []
        for alt in token.split("|"):
            if alt.endswith("*") and len(alt) > 1:
                alternatives.append(re.escape(alt[:-1]) + r"[\w'’-]*")
            elif alt == "not":
                alternatives.append(_NOT)  # "not have any plans" is "don't have any plans" too
            else:
                alternatives.append(re.escape(alt).replace("'", "['’]"))
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        if parts:
            body = "[\"“‘']?" + body  # a quoted phrase: leading "coalition of the willing"
        parts.append(f"(?:{body}{separator})?" if optional else body + separator)
    regex = "".join(parts)
    # the last separator belongs to the next word, not to this phrase
    if regex.endswith(separator):
        regex = regex[: -len(separator)]
    elif regex.endswith(separator + ")?"):
        regex = regex[: -len(separator + ")?")] + ")?"
    return regex


def _after_elision(elided: tuple[str, ...]) -> str:
    """Lookbehinds that let a phrase start right after an elided word ("qu'aucun soldat",
    "dell'invio"): one per word length, as Python's lookbehinds need a fixed width."""
    by_length: dict[int, list[str]] = {}
    for word in elided:
        by_length.setdefault(len(word), []).append(re.escape(word))
    return "".join(rf"|(?<=\b(?:{'|'.join(words)})['’])" for _, words in sorted(by_length.items()))


def compile_phrases(phrases: list[str], where: str, *, flags: int = re.IGNORECASE,
                    elided: tuple[str, ...] = ()) -> re.Pattern[str]:
    if not phrases:
        return re.compile(r"(?!x)x")
    try:
        alternatives = [compile_phrase(p) for p in sorted(phrases, key=len, reverse=True)]
        # an apostrophe inside a word ("Germany's", "won't", "l'envoi") joins it; a single quotation
        # mark around the phrase does not ("called it 'highly inappropriate'")
        start = _AFTER_A_WORD + r"(?:(?<!\w['’])" + _after_elision(elided) + ")" if elided else PHRASE_START
        return re.compile(guarded(start + alternation(alternatives, flags) + r"(?![\w]|['’]\w)", flags), flags)
    except re.error as exc:
        raise ConfigError(f"{where}: a phrase does not compile ({exc}); check the phrase syntax at the top of the file") from None


@dataclass(frozen=True)
class CueGroup:
    stance: str
    weight: int
    negatable: bool
    hedgeable: bool
    needs_holder_before: bool
    only_when_scoped: bool
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class CueHit:
    """A stance cue found in a clause, after negation and hedges were applied."""

    start: int
    end: int
    text: str
    stance: str  # the stance after negation/hedge
    weight: int
    negated: bool
    hedged: bool
    lexical_stance: str  # the stance the word has on its own
    needs_holder_before: bool


@dataclass(frozen=True)
class TimeCue:
    text: str
    kind: str
    start: int


_REPORTING_WORDS = ["said", "says", "told", "tells", "added", "stated", "argued", "argues", "wrote", "writes",
                    "believes", "thinks", "suggested", "insisted", "warned", "claimed"]


def _matches_at(pattern: re.Pattern[str], text: str, starts: list[int]) -> list[re.Match[str]]:
    """What `pattern.finditer(text)` finds, for a pattern whose matches can only start at `starts`
    (ascending): it is tried there alone instead of at every character."""
    found: list[re.Match[str]] = []
    end = 0
    for start in starts:
        if start < end:
            continue  # inside the match before: finditer goes on after it
        m = pattern.match(text, start)
        if m is None:
            continue
        if m.end() == start:
            return list(pattern.finditer(text))  # an empty match: finditer's own rule for what follows it
        found.append(m)
        end = m.end()
    return found


def _within(start: int, end: int, spans: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def _words(values: list[str]) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


class Lexicon:
    """The compiled contents of a cues.toml file."""

    def __init__(self, data: dict[str, Any], path: Path) -> None:
        self.path = path
        name = str(path)
        language = data.get("language", {})
        if not isinstance(language, dict):
            raise ConfigError(f"{name}: 'language' must be a table: write [language] with code = \"de\"")
        self.language = str(language.get("code", "en"))
        self.suffixes = tuple(sorted((str(x) for x in language.get("suffixes", [])), key=len, reverse=True))
        months = [str(m).lower() for m in language.get("months", MONTHS)]
        if len(months) != 12:
            raise ConfigError(f"{name}: [language] months has {len(months)} names; give the 12, January first")
        self.months = tuple(months)
        self.abbreviations = frozenset(str(a).lower().rstrip(".") for a in language.get("abbreviations", []))
        # words this language elides into the next ("qu'", "dell'"): a phrase may start after them
        self.elided = tuple(str(w).lower() for w in language.get("elision", []))
        phrases = functools.partial(compile_phrases, elided=self.elided)
        self.groups: list[CueGroup] = []
        every_cue: list[str] = []
        for number, item in enumerate(_list(data, "cue", name), start=1):
            where = f"{name}: [[cue]] #{number}"
            stance = item.get("stance")
            if stance not in STANCES:
                raise ConfigError(f"{where} key 'stance' is {stance!r}; expected one of: {', '.join(STANCES)}")
            weight = item.get("weight", 1)
            if not isinstance(weight, int) or weight < 1:
                raise ConfigError(f"{where} key 'weight' is {weight!r}; expected a positive integer such as 2")
            self.groups.append(CueGroup(
                stance=stance, weight=weight,
                negatable=bool(item.get("negatable", True)), hedgeable=bool(item.get("hedgeable", False)),
                needs_holder_before=bool(item.get("needs_holder_before", False)),
                only_when_scoped=bool(item.get("only_when_scoped", False)),
                pattern=phrases(_strings(item, "phrases", where), where),
            ))
            every_cue += item["phrases"]
        if not self.groups:
            raise ConfigError(f"{name}: no [[cue]] tables; add at least one with stance, weight and phrases")
        # one scan tells the many clauses without a cue from the others
        self.any_cue = phrases(every_cue, f"{name}: [[cue]]")
        # ...and finds every place a cue may start: a group's cues start only where one of all the cues does
        self._cue_starts = re.compile(f"(?={self.any_cue.pattern})", self.any_cue.flags)
        negation = data.get("negation", {})
        self.negators = _words(negation.get("words", []))
        self.negation_window = int(negation.get("window", 3))
        restricted = negation.get("restricted", [])
        # "instructors would not be taking part in combat": a refusal of a role, not of the deployment
        self.restricted = re.compile(r"\W*(?:[\w'’-]+\W+){0,2}?(?:" + "|".join(compile_phrase(p) for p in restricted)
                                     + r")(?!\w)", re.IGNORECASE) if restricted else None
        near_term = negation.get("near_term", [])
        self.near_term = re.compile(r"[^,;.!?]{0,80}?(?<![\w-])(?:" + "|".join(compile_phrase(p) for p in near_term)
                                    + r")(?!\w)", re.IGNORECASE) if near_term else None
        timing = data.get("timing", {}).get("phrases", [])
        self.timing = phrases(timing, f"{name}: [timing]") if timing else None
        always = data.get("timing", {}).get("always", [])
        self.always = phrases(always, f"{name}: [timing] always") if always else None
        meanwhile = data.get("timing", {}).get("meanwhile", [])
        self.meanwhile = phrases(meanwhile, f"{name}: [timing] meanwhile") if meanwhile else None
        hedge = data.get("hedge", {})
        self.hedges = _words(hedge.get("words", []))
        self.hedge_window = int(hedge.get("window", 2))
        discussion = data.get("discussion", {}).get("phrases", [])
        self.discussion = phrases(discussion, f"{name}: [discussion]") if discussion else None
        questions = data.get("questions", {}).get("phrases", [])
        self.questions = phrases(questions, f"{name}: [questions]") if questions else None
        self.condition = phrases(data.get("condition", {}).get("phrases", []), f"{name}: [condition]")
        details = data.get("condition", {}).get("details", [])
        self.details = phrases(details, f"{name}: [condition] details") if details else None
        try:
            self.clause_splitter = re.compile(
                guarded("|".join(f"(?:{p})" for p in data.get("clauses", {}).get("patterns", [])) or r"(?!x)x",
                        re.IGNORECASE, most=12),
                re.IGNORECASE,
            )
        except re.error as exc:
            raise ConfigError(f"{name}: [clauses] patterns: {exc}; fix the regular expression") from None
        # A clause opened by one of these contrasts its holder with the sentence's first clause
        # ("Britain is ready to send troops, while Germany is cautious"): same topic, no anchor needed.
        contrast = data.get("clauses", {}).get("contrast", [])
        self.contrast = re.compile(r"(?:^|\W)(?:" + "|".join(re.escape(w) for w in contrast) + r")\W*$",
                                   re.IGNORECASE) if contrast else None
        # A clause opening with one of these verbs shares the subject of the clause before it:
        # "Germany is ready to lead a brigade in Lithuania, but has ruled out sending troops".
        shared = data.get("clauses", {}).get("shared_subject", [])
        self.shared_subject = phrases(shared, f"{name}: [clauses] shared_subject") if shared else None
        subject = data.get("clauses", {}).get("new_subject", [])
        try:
            self.new_subject = re.compile("|".join(f"(?:{p})" for p in subject), re.IGNORECASE) if subject else None
        except re.error as exc:
            raise ConfigError(f"{name}: [clauses] new_subject: {exc}; fix the regular expression") from None
        absolute = data.get("clauses", {}).get("absolute_subject", [])
        gerund = data.get("clauses", {}).get("gerund", "")
        try:
            self.absolute_subject = re.compile("|".join(f"(?:{p})" for p in absolute), re.IGNORECASE) \
                if absolute and gerund else None
            self.gerund = re.compile(gerund + r"\b", re.IGNORECASE) if gerund else None
        except re.error as exc:
            raise ConfigError(f"{name}: [clauses] absolute_subject or gerund: {exc}; fix the regular expression") \
                from None
        fronted = data.get("clauses", {}).get("fronted", [])
        self.fronted = phrases(fronted, f"{name}: [clauses] fronted") if fronted else None
        holders = data.get("holders", {})
        self.roles = holders_phrases(holders.get("roles", []))
        self.things = holders_phrases(holders.get("things", []))
        self.prepositions = _words(holders.get("prepositions", []))
        self.agent_prepositions = _words(holders.get("agent_prepositions", []))
        self.agent_nouns = _words(holders.get("stance_nouns", []))
        self.for_nouns = _words(holders.get("for_nouns", []))
        self.by_words = _words(holders.get("by_words", []))
        self.possessed_cues = _words(holders.get("possessed_cues", []))
        self.spoken_things = _words(holders.get("spoken_things", []))
        self.proposed_things = _words(holders.get("proposed_things", []))
        self.epithets = _words(holders.get("epithets", []))
        self.relations = _words(holders.get("relations", []))
        self.knowing = _words(holders.get("knowing", []))
        resuming = _words(holders.get("resuming", []))
        self.resuming = re.compile(
            r",\s+(?:and|but)\s+(?:then\s+|also\s+)?(?:" + "|".join(
                re.escape(w).replace(r"\ ", r"\s+") for w in sorted(resuming, key=len, reverse=True)) + r")\b",
            re.IGNORECASE) if resuming else None
        self.subject_clauses = _words(holders.get("subject_clauses", []))
        self.subject_openers = _words(holders.get("subject_openers", []))
        self.subordinators = _words(holders.get("subordinators", []))
        self.clause_subordinators = _words(holders.get("clause_subordinators", []))
        self.subject_matter_verbs = phrases(holders.get("subject_matter_verbs", []),
                                            f"{name}: [holders] subject_matter_verbs")
        self.non_speakers = _words(holders.get("non_speakers", []))
        official_titles = holders.get("official_titles", [])
        self.official_titles = phrases(official_titles, f"{name}: [holders] official_titles") \
            if official_titles else None
        documents = [re.escape(w).replace(r"\ ", r"\s+") for w in holders.get("documents", [])]
        self.document_of = self.document_says = self.document_noun = None
        if documents:
            nouns = "|".join(sorted(documents, key=len, reverse=True))
            self.document_noun = re.compile(guarded(rf"\b(?:{nouns})\b", re.IGNORECASE), re.IGNORECASE)
            self.document_of = re.compile(rf"\b(?:{nouns})\s+(?:of|by|from|issued\s+by|adopted\s+by)\s+(?:the\s+)?$",
                                          re.IGNORECASE)
            self.document_says = re.compile(
                rf"(?:[\"”»]\s*,?\s*(?:the\s+)?(?:\w+\s+)?(?:{nouns}|it|text)\s+(?:reads|says|said|states|stated|adds|added|"
                rf"notes|noted)\b|\baccording\s+to\s+(?:the\s+)?(?:\w+\s+){{0,2}}(?:{nouns})\b)", re.IGNORECASE)
        drafts = [re.escape(w) for w in holders.get("drafts", [])]
        drafted_by = [re.escape(w).replace(r"\ ", r"\s+") for w in holders.get("drafted_by", [])]
        self.draft_drafted_by = self.draft_says = self.draft_tabled = None
        if drafts and drafted_by:
            nouns = "|".join(sorted(drafts, key=len, reverse=True))
            self.draft_drafted_by = re.compile(
                rf"\b(?:{nouns})\b[^.;\"“]{{0,60}}?\b(?:{'|'.join(drafted_by)})\s+", re.IGNORECASE)
            # the draft (or "it") states its terms: 'It also states: "...', "the text says that", '"...," it reads'
            self.draft_says = re.compile(
                rf"(?:\b(?:it|(?:{nouns}))\s+(?:also\s+)?(?:states|stated|says|said|reads|read|provides|stipulates|"
                rf"stipulated)\s*(?::|that\b|[\"“])|\b(?:{nouns})\b[^.;\"“]{{0,120}}?\b(?:states|stated|says|said|reads|"
                rf"provides|stipulates|replaces|replaced)\b[^.;\"“]{{0,80}}?(?::\s*[\"“]|\bthat\b)|[\"”]\s*,?\s*"
                rf"(?:it|(?:the\s+)?(?:[\w-]+\s+){{0,2}}?(?:{nouns}))\s+(?:states|stated|says|said|reads|adds|added)\b|"
                # 'It drops the constitutional ban, stating instead: "..."'
                rf"\b(?:it|{nouns})\s+[a-z]+s\b[^.;\"“]{{0,80}}?,\s+(?:stating|saying)\b)", re.IGNORECASE)
            # the drafters named as the subject: "Britain, France and Germany answered with a counter-draft"
            self.draft_tabled = re.compile(
                rf"\b(?:(?:answered|responded|replied|countered)\s+with|(?:have\s+|has\s+)?(?:proposed|tabled|circulated|"
                rf"presented|submitted|drafted|drew\s+up|put\s+forward))\s+(?:a|an|their|its|a\s+joint)\s+"
                rf"(?:[\w-]+\s+|\w+-){{0,2}}?(?:{nouns})\b", re.IGNORECASE)
        self.speculative = _words(holders.get("speculative", []))
        # "Macron's push met with rejection in Berlin and Rome": the places that receive it hold the stance
        reception = holders.get("reception", [])
        self.reception = phrases(reception, f"{name}: [holders] reception") if reception else None
        self.reception_prepositions = _words(holders.get("reception_prepositions", []))
        imputing = holders.get("imputing", [])
        self.imputing = phrases(imputing, f"{name}: [holders] imputing") if imputing else None
        self.person_pronouns = _words(holders.get("person_pronouns", []))
        # "he"/"she" in the language, lower-case or opening a sentence: a pronoun for the last person named
        forms = sorted({f for w in self.person_pronouns for f in (w, w[:1].upper() + w[1:])}, key=len, reverse=True)
        self.person_pronoun = re.compile(r"(?<![\w'’])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w'’])") \
            if forms else re.compile(r"(?!x)x")
        self.actor_pronouns = phrases(holders.get("actor_pronouns", []), f"{name}: [holders] actor_pronouns")
        self.office_titles = {" ".join(title.lower().split()): tuple(o.lower() for o in offices)
                              for title, offices in holders.get("office_titles", {}).items()}
        self.titles = _words(holders.get("titles", []))
        # English is subject-verb-object: a name right after a verb is its object. Languages with
        # verb-second or free word order ("Am Montag sagte Scholz") switch this off.
        self.object_after_verb = bool(holders.get("object_after_verb", True))
        self.articles = _words(holders.get("articles", ["the", "a", "an"]))
        self.conjunctions = _words(holders.get("conjunctions", ["and", "or", "as well as", "&"]))
        joiners = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(self.conjunctions, key=len, reverse=True))
        articles = "|".join(re.escape(w) for w in sorted(self.articles, key=len, reverse=True))
        # "Germany, Poland, and the Czech Republic": mentions joined by commas and conjunctions form one list
        self.list_joiner = re.compile(rf"\s*(?:,\s*(?:(?:{joiners})\s+)?|(?:{joiners})\s*)(?:(?:{articles})\s+)?",
                                      re.IGNORECASE)
        self.reporting = _words(holders.get("reporting", _REPORTING_WORDS))
        self.speaking_roles = _words(holders.get("speaking_roles", []))
        self.closing_role = None  # ", premier says" closing a sentence (tracker.stance.attribution.closing_role)
        self.unnamed_closer = None
        self.unnamed_opener = None
        if self.speaking_roles:
            roles = "|".join(re.escape(r).replace(r"\ ", r"\s+")
                             for r in sorted(self.speaking_roles, key=len, reverse=True))
            verbs = "|".join(re.escape(v) for v in sorted(self.reporting, key=len, reverse=True))
            self.closing_role = re.compile(
                rf"[,;]\s+(?:(?:the|its|their)\s+)?({roles})\s+(?:{verbs})\b(?:\s+[\w'’]+){{0,4}}\W*$", re.IGNORECASE)
            # a quotation closed by an office no name or country comes with: '...," a spokesperson
            # told reporters', '...," the prime minister's official spokesperson said on Monday',
            # '...," spokesman Heorhii Tykhyi said' (a name the gazetteer does not know)
            # "the prime minister's official spokesperson said", "deputy government spokesperson X told"
            office = (rf"(?:[a-z][\w-]*(?:\s+[a-z][\w-]*)?['’]s\s+)?(?:(?:official|chief|senior|deputy|top)\s+)?"
                      rf"(?:(?:foreign\s+|defen[cs]e\s+)?(?:ministry|government)\s+)?"
                      rf"({roles})(?:\s+[A-Z][\w.'’-]*){{0,3}}\s+(?:{verbs})\b")
            self.unnamed_closer = re.compile(rf"[,.!?][\"”]\s+(?:(?:the|a|an|its|their)\s+)?{office}")
            # the same office opening a sentence: 'Asked about the report, the prime minister's official
            # spokesperson said: "There are no plans ..."'
            self.unnamed_opener = re.compile(rf"^(?:[^,\"“”]{{0,80}},\s+)?(?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir)\s+{office}")
        self.hearsay = phrases(holders.get("hearsay", []), f"{name}: [holders] hearsay")
        openers = holders.get("source_openers", ["according to"])
        self.source_opener = re.compile(r"^\W*(?:" + "|".join(compile_phrase(p) for p in openers) + r")(?!\w)",
                                        re.IGNORECASE) if openers else None
        self.hearsay_adverbs = phrases(holders.get("hearsay_adverbs", []), f"{name}: [holders] hearsay_adverbs")
        self.own_record = phrases(holders.get("own_record", []), f"{name}: [holders] own_record")
        back = data.get("back_references", {})
        self.back_reference_phrases = list(back.get("phrases", []))
        self.back_pronouns = _words(back.get("pronouns", []))
        self.elliptical = phrases(list(back.get("elliptical", [])), f"{name}: [back_references] elliptical")
        self.back_reach = int(back.get("reach", 3))
        self.wholes = phrases(list(back.get("wholes", [])), f"{name}: [back_references] wholes") \
            if back.get("wholes") else None
        dispositions = back.get("elliptical_stances", [])
        self.elliptical_stances = phrases(dispositions, f"{name}: [back_references] elliptical_stances") \
            if dispositions else None
        self.time_patterns: list[tuple[str, re.Pattern[str]]] = []
        every_time: list[str] = []
        for number, item in enumerate(_list(data, "time", name), start=1):
            where = f"{name}: [[time]] #{number}"
            kind = item.get("kind")
            if kind not in TIME_KINDS:
                raise ConfigError(f"{where} key 'kind' is {kind!r}; expected one of: {', '.join(TIME_KINDS)}")
            time_phrases = _strings(item, "phrases", where)
            every_time += time_phrases
            self.time_patterns.append((kind, phrases(time_phrases, where)))
        # one scan over every time phrase: most sentences have none, and none of a kind starts before it
        self.any_time = phrases(every_time, f"{name}: [[time]]") if every_time else None

    # --- stance cues -------------------------------------------------------

    def as_officials(self, text: str) -> str:
        """`text` with titles that hold office despite a non-speaker word in them ("National
        Security Adviser") written as "official", for the non-speaker checks."""
        return self.official_titles.sub("official", text) if self.official_titles is not None else text

    @functools.lru_cache(maxsize=256)  # asked of each sentence twice: does a document speak it, who issued one
    def names_document(self, sentence: str) -> bool:
        """Does the sentence name a document ("declaration", "statement")?"""
        return self.document_noun is not None and self.document_noun.search(sentence) is not None

    def find_cues(self, clause: str) -> list[CueHit]:
        """Stance cues in a clause, strongest-first overlaps removed, with scope applied."""
        return list(self._cues_in(clause))

    # A clause is classified once per topic, and the cues depend on its text alone.
    @functools.lru_cache(maxsize=1024)
    def _cues_in(self, clause: str) -> tuple[CueHit, ...]:
        starts = [m.start() for m in self._cue_starts.finditer(clause)]
        if not starts:
            return ()
        raw: list[tuple[int, int, CueGroup]] = []
        for group in self.groups:
            for m in _matches_at(group.pattern, clause, starts):
                raw.append((m.start(), m.end(), group))
        # A stronger (then longer) cue hides the cues overlapping it ("no plans to send" hides "send").
        raw.sort(key=lambda r: (-r[2].weight, -(r[1] - r[0])))
        kept: list[tuple[int, int, CueGroup]] = []
        for start, end, group in raw:
            if any(start < k_end and k_start < end for k_start, k_end, _ in kept):
                continue
            kept.append((start, end, group))
        kept.sort(key=lambda r: r[0])
        details = self._detail_spans(clause)
        if details:
            kept = [k for k in kept if not (k[2].stance == "conditional" and _within(k[0], k[1], details))]
        hits = []
        for start, end, group in kept:
            before = _last_words(_in_scope(clause[:start]), max(self.negation_window, self.hedge_window))
            # a cue that opens with its own negation ("keine Soldaten", "no troops") is not negated
            # again by the one of a cue listed before it ("keine Bodentruppen, keine Soldaten")
            own = clause[start:end].split(maxsplit=1)
            negated = group.negatable and not (own and own[0].lower() in self.negators) and self._negated(before) \
                and not self._negation_taken(clause, start, group, kept)
            if (negated or group.stance == "oppose") and self.restricted is not None \
                    and self.restricted.match(clause, end):
                continue
            if (negated or group.stance == "oppose") and self.near_term is not None \
                    and self.near_term.match(clause, end):
                continue  # "no European troops on Ukrainian soil in the coming weeks": when, not whether
            hedged = group.hedgeable and any(w in self.hedges for w in before[-self.hedge_window:])
            stance = group.stance
            if negated:
                stance = {"support": "oppose", "oppose": "conditional", "conditional": "oppose"}[stance]
            elif hedged and stance == "support":
                stance = "conditional"
            if group.only_when_scoped and not (negated or hedged):
                continue
            hits.append(CueHit(start, end, clause[start:end], stance, group.weight, negated, hedged,
                               group.stance, group.needs_holder_before))
        return tuple(hits)

    def _negation_taken(self, clause: str, start: int, group: CueGroup,
                        kept: list[tuple[int, int, CueGroup]]) -> bool:
        """Does the negation before a cue belong to a cue of another kind between them ("has not
        decided on | sending", "did not rule out | sending")? A cue of the same kind shares it
        ("would not send or deploy"); a refusal word is the refusal of what follows it ("refusal
        to join")."""
        for k_start, k_end, other in kept:
            if k_end > start or other.stance == group.stance or self.negated_before(clause[k_end:start]):
                continue
            if other.stance == "conditional" and self.negative(_words_of(clause[k_start:k_end])):
                return True  # "has not decided": the negation is inside the cue
            if other.negatable and self.negated_before(clause[:k_start]):
                return True
        return False

    def _negated(self, before: list[str]) -> bool:
        return self.negative(before[-self.negation_window:])

    def negated_before(self, text: str) -> bool:
        """Do the last words of `text` negate what follows it ("urged the alliance not to | abandon")?"""
        return self._negated(_last_words(_in_scope(text), self.negation_window))

    def negative(self, words: list[str]) -> bool:
        """Is one of these (lower-case) words a negation ("not", "never", "won't")?"""
        return any(w in self.negators or w.endswith("n't") for w in words)

    def has_condition(self, clause: str) -> bool:
        spans = self._detail_spans(clause)
        return any(not _within(m.start(), m.end(), spans) for m in self.condition.finditer(clause))

    @functools.lru_cache(maxsize=256)  # a clause's cues and its conditions both ask
    def _detail_spans(self, clause: str) -> tuple[tuple[int, int], ...]:
        """Where a detail of the contribution depends on something ("the size of the contingent
        would depend on the plan"): the contribution itself is not in doubt."""
        return tuple(m.span() for m in self.details.finditer(clause)) if self.details is not None else ()

    # --- time cues ---------------------------------------------------------

    def find_time_cue(self, sentence: str) -> TimeCue | None:
        """The most specific time cue in the sentence (a dated one beats 'previously')."""
        first = self.any_time.search(sentence) if self.any_time is not None else None
        if first is None:
            return None
        best: TimeCue | None = None
        for kind, pattern in self.time_patterns:
            m = pattern.search(sentence, first.start())
            if not m:
                continue
            text = m.group(0)
            if kind == "month":
                year = re.match(r"\s*,?\s*((?:19|20)\d\d)\b", sentence[m.end():])
                if year:
                    text = sentence[m.start():m.end() + year.end()]
            cue = TimeCue(text, kind, m.start())
            if best is None or TIME_KINDS.index(kind) > TIME_KINDS.index(best.kind):
                best = cue
        return best


def estimate_said_at(cue: TimeCue | None, published: date | None, months: tuple[str, ...] = MONTHS) -> str | None:
    """The date a stance placed in the past was held, estimated from the article's date.

    'last winter' -> the January of the last winter that has ended; 'In
    February' -> the latest February not after `published`; 'in February
    2024' -> 2024-02-01; 'previously' -> the day before `published`.
    """
    if cue is None:
        return published.isoformat() if published else None
    text = cue.text.lower()
    if cue.kind == "month":
        month = next((i for i, name in enumerate(months, start=1) if name in text), None)
        if month is None:
            return published.isoformat() if published else None
        year_match = re.search(r"(?:19|20)\d\d", text)
        if year_match:
            return date(int(year_match.group(0)), month, 1).isoformat()
        if published is None:
            return None
        year = published.year if month <= published.month else published.year - 1
        return date(year, month, 1).isoformat()
    if cue.kind == "year":
        year = int(re.search(r"(?:19|20)\d\d", text).group(0))
        if published is not None and year >= published.year:
            return published.isoformat()
        return date(year, 7, 1).isoformat()
    if published is None:
        return None
    if cue.kind == "last-season":
        season = next(s for s in SEASONS if s in text)
        month = SEASONS[season]
        if season == "winter":
            # The winter in progress (Dec-Feb) is "this winter"; "last" is the one before.
            current = published.year + 1 if published.month == 12 else published.year
            year = current - 1 if published.month in (12, 1, 2) else current
        else:
            year = published.year if published.month >= month + 3 else published.year - 1
        return min(date(year, month, 15), published - timedelta(days=1)).isoformat()
    if cue.kind == "last-year":
        return date(published.year - 1, 7, 1).isoformat()
    if cue.kind == "last-month":
        year, month = (published.year - 1, 12) if published.month == 1 else (published.year, published.month - 1)
        return date(year, month, min(15, monthrange(year, month)[1])).isoformat()
    if cue.kind == "last-week":
        return (published - timedelta(days=7)).isoformat()
    if cue.kind == "earlier-this-year":
        return max(date(published.year, 1, 1), published - timedelta(days=60)).isoformat()
    return (published - timedelta(days=1)).isoformat()


def holders_phrases(values: list[str]) -> re.Pattern[str]:
    """Nouns that may follow a mention, matched at the start of the text after it."""
    words = sorted((v for v in values if v), key=len, reverse=True)
    if not words:
        return re.compile(r"(?!x)x")
    body = "|".join(re.escape(w).replace(r"\ ", r"[\s-]+") for w in words)
    return re.compile(r"(?:" + body + r")(?![\w])", re.IGNORECASE)


_WORD = re.compile(r"[\w'’-]+")


def _in_scope(text: str) -> str:
    """What a negation or a hedge in `text` can reach forward from: a colon or a semicolon ends its
    scope ("Portugal has not changed: Ukraine's future is in the alliance")."""
    return text[max(text.rfind(":"), text.rfind(";")) + 1:]


def _words_of(text: str) -> list[str]:
    """The words of `text`, lower-case, with typographic apostrophes made plain ("won't")."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _last_words(text: str, n: int) -> list[str]:
    return _words_of(text[-80:])[-n:] if n else []


def _list(data: dict[str, Any], key: str, name: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{name}: '{key}' must be an array of tables: write [[{key}]]")
    return value


def _strings(item: dict[str, Any], key: str, where: str) -> list[str]:
    values = item.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigError(f"{where} key {key!r} must be a non-empty list of strings, such as {key} = [\"ready to\"]")
    return values


_LEXICONS: dict[Path, tuple[tuple[int, int], Lexicon]] = {}


def load_lexicon(path: Path | str = DEFAULT_LEXICON) -> Lexicon:
    """Read and compile a cues file; cached until it changes."""
    return load_cached(_LEXICONS, Path(path), lambda p: Lexicon(
        read_toml(p, "cue lexicon", fix="give the engine an existing cues.toml"), p))
