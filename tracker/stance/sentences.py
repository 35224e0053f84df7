"""Plain text -> sentences -> clauses, and the surface spans found in them.

Everything here is linear in the length of the text: one pass of compiled
regular expressions per paragraph, no backtracking over the whole document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

# Words whose trailing period does not end a sentence ("U.S. Defense
# Secretary", "Mr. Macron", "Gen. Cavoli"). Compared lower-case, without the
# final period.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sir st sen rep gen col lt maj capt cmdr adm gov pres
    jr sr vs etc inc ltd co corp dept est approx fig al
    jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n e.u u.s.a a.m p.m i.e e.g""".split()
)

# Capitals of the Latin, Greek and Cyrillic scripts: a sentence may open with "Łukaszenka", "Élysée", "Österreich".
_CAPITALS = "".join(sorted({chr(c) for c in range(0x41, 0x530) if chr(c).isupper()}))
_BOUNDARY = re.compile(r"""[.!?…]+["”’'»“)\]]*(?=\s+[„"“‘'«»‹(\[–—-]?\s?[0-9""" + re.escape(_CAPITALS) + "])")
_EXCLAIMED_QUOTE = re.compile(r"[!?]+[\"”»]")
_SPEAKER_AFTER = re.compile(r"\s+(?:[A-Z][\w.’'-]*\s+){1,4}(?:said|says|wrote|writes|told|tells|added|adds|asked|asks|"
                            r"posted|posts|declared|exclaimed|shouted|tweeted|replied)\b")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
_BULLET = re.compile(r"^\s*(?:[•●▪◦·*\-–]\s+|\d{1,2}[.)]\s+)")


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str
    paragraph: int


@dataclass(frozen=True)
class Clause:
    """A part of a sentence that carries one predication; offsets are in the sentence."""

    start: int
    end: int
    text: str


def _is_abbreviation(before: str, extra: frozenset[str] = frozenset()) -> bool:
    m = _WORD_BEFORE.search(before[-40:])
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    if word in ABBREVIATIONS or word in extra:
        return True
    if word.isdigit() and _MONTH_DAY.search(before[-40:]):
        return False  # "... published on May 2. "To rule it out ...": a date ends the sentence
    # An initial ("J. D. Vance") or a dotted acronym ("U.S", "N.A.T.O"); a number may be an
    # ordinal ("am 2. Mai").
    return len(word) == 1 or bool(re.fullmatch(r"(?:\w\.)+\w", word))


_MONTH_DAY = re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December"
                        r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?\s+\d{1,2}$")


def _split_paragraph(paragraph: str, abbreviations: frozenset[str] = frozenset()) -> Iterator[str]:
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        if m.group(0).startswith(".") and _is_abbreviation(paragraph[start:m.start()], abbreviations):
            continue
        if _EXCLAIMED_QUOTE.fullmatch(m.group(0)) and _SPEAKER_AFTER.match(paragraph, m.end()):
            continue  # '"... never change!!!" Trump wrote': the quotation's speaker, same sentence
        piece = paragraph[start:m.end()].strip()
        if piece:
            yield piece
        start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        yield tail


# Longer "sentences" (tables, lists without punctuation, junk) are cut at a
# space, so every later step works on bounded pieces and stays linear.
MAX_SENTENCE = 1500


def _bounded(piece: str) -> Iterator[str]:
    while len(piece) > MAX_SENTENCE:
        cut = piece.rfind(" ", MAX_SENTENCE // 2, MAX_SENTENCE)
        cut = cut if cut > 0 else MAX_SENTENCE
        yield piece[:cut].strip()
        piece = piece[cut:].strip()
    if piece:
        yield piece


def split_sentences(text: str, abbreviations: frozenset[str] = frozenset()) -> list[Sentence]:
    """Split text into sentences; every line break ends a sentence. `abbreviations` adds a
    language's own ("z.B", "bzw", "np"), lower-case without the final period."""
    sentences: list[Sentence] = []
    for p_index, line in enumerate(text.splitlines()):
        line = _BULLET.sub("", _SPACES.sub(" ", line)).strip()
        if not line:
            continue
        for long_piece in _split_paragraph(line, abbreviations):
            for piece in _bounded(long_piece):
                sentences.append(Sentence(len(sentences), piece, p_index))
    return sentences


def split_clauses(sentence: str, splitter: re.Pattern[str], fronted: re.Pattern[str] | None = None,
                  new_subject: re.Pattern[str] | None = None) -> list[Clause]:
    """Cut a sentence at contrast and coordination markers (`splitter` matches them).

    A sentence that opens with a subordinator matched by `fronted` ("Despite
    ..., X dismissed") is also cut at its first comma. `new_subject` matches a
    coordination that opens a clause with a subject of its own (", and Latvia is
    considering it"); it cuts only after a predicate, not inside a list of names
    ("France, Britain, and Germany are ready").
    """
    clauses: list[Clause] = []
    start = 0
    cuts = list(splitter.finditer(sentence))
    if new_subject is not None:
        cuts += [m for m in new_subject.finditer(sentence) if PREDICATE.search(sentence, 0, m.start())]
        cuts.sort(key=lambda m: m.start())
    if fronted is not None:
        opener = fronted.match(sentence.lstrip("“\"'( "))
        comma = -1
        if opener and opener.group(0).lower().endswith("ing"):
            comma = _participle_comma(sentence)
        if opener and comma < 0:
            comma = _clause_comma(sentence)
        if comma > 0:
            cuts.append(re.compile(r",\s*").match(sentence, comma))
            cuts.sort(key=lambda m: m.start())
    for m in cuts:
        if m.start() > start and sentence[start:m.start()].strip(" ,;:–—-"):
            clauses.append(Clause(start, m.start(), sentence[start:m.start()]))
            start = m.end()
        elif m.start() <= start:
            start = max(start, m.end())
    if sentence[start:].strip(" ,;:.–—-"):
        clauses.append(Clause(start, len(sentence), sentence[start:]))
    return clauses or [Clause(0, len(sentence), sentence)]


_MAIN_SUBJECT_AND_VERB = re.compile(
    r",\s+(?:[\w.’'-]+\s+){1,6}?(?:said|says|told|added|stated|insisted|stressed|announced|warned)\b")


def _participle_comma(sentence: str) -> int:
    """The comma that ends an opening participle phrase, which may hold commas of its own:
    the last one before the main clause's subject and its verb of saying ("Speaking alongside
    Zelensky, co-chaired with Britain, Starmer said ..."); -1 when there is none."""
    m = _MAIN_SUBJECT_AND_VERB.search(sentence)
    return m.start() if m else -1


PREDICATE = re.compile(r"\b(?!(?:and|or|the|of)\b)[a-z]{3,}\b")
_NAME_BEFORE = re.compile(r"([\w.’'-]+)\s*$")
_NEXT_ITEM = re.compile(r",\s+([^,;:]*)")
_LIST_WORDS = frozenset({"the", "and", "or"})


def _clause_comma(sentence: str) -> int:
    """The comma that ends a fronted clause: the first one that does not continue a list of
    names ("While France, the U.K., and several other countries voiced support, ...")."""
    for m in re.finditer(",", sentence):
        before = _NAME_BEFORE.search(sentence, 0, m.start())
        item = _NEXT_ITEM.match(sentence, m.start())
        words = item.group(1).split() if item else []
        names = bool(words) and all(w[:1].isupper() or w.lower() in _LIST_WORDS for w in words)
        name_first = bool(words) and (words[0][:1].isupper() or (words[0].lower() == "the" and len(words) > 1
                                                                 and words[1][:1].isupper()))
        listed = name_first and any(w.lower() in ("and", "or") for w in words[1:])  # "Germany, France and Italy agree"
        if before and before.group(1)[:1].isupper() and (names or listed or (words and words[0].lower() in ("and", "or"))):
            continue  # ", the U.K.," or ", and several other countries ...": the list goes on
        return m.start()
    return -1


def trie_pattern(words: Iterable[str]) -> str:
    """A regex alternation of literal words, shared prefixes factored out.

    Python's ``re`` tries alternatives one by one; a trie keeps a gazetteer of
    a thousand names from turning every position into a thousand attempts.
    """
    trie: dict = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        if len(branches) == 1 and not end:
            return branches[0]
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if end else body

    return build(trie)
