"""Long phrase lists that the regex engine can reject fast.

A lexicon group holds up to a few hundred phrases compiled into one
alternation. Python's regex engine tries every alternative at every character
of the text: a case-insensitive pattern that opens with a lookbehind gives it
no first character to skip ahead on. `alternation` groups the alternatives by
the characters they can start with (read from the parsed regex, so ``re:``
phrases count too) and puts a one-character lookahead before each group, so
at a given character the engine tries only the phrases that can start there.
Matches are the same, in the same order, as the plain alternation's: the
alternatives keep their order and the ones left out cannot match there.
"""

from __future__ import annotations

import functools
import re

try:  # the parser behind `re`; private, so a Python without it keeps the plain alternation
    from re import _constants as _c, _parser as _sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    _c = _sre_parse = None

# Below this many alternatives the plain alternation is as fast.
MIN_ALTERNATIVES = 12
_MAX_RANGE = 64  # a character class wider than this ("[a-z]", "\\w") is "any character"
_BUCKET = 5  # first characters checked by one lookahead before their groups are tried


def alternation(alternatives: list[str], flags: int) -> str:
    """`(?:alt1|alt2|...)`, with the alternatives grouped behind a lookahead on their first
    character when there are enough of them and each starts with a known character."""
    plain = "(?:" + "|".join(alternatives) + ")"
    if len(alternatives) < MIN_ALTERNATIVES or _sre_parse is None:
        return plain
    firsts = [_first_chars(alternative, flags) for alternative in alternatives]
    if any(chars is None for chars in firsts) or len(set(firsts)) == 1:
        return plain
    by_char: dict[str, list[str]] = {}
    for alternative, chars in zip(alternatives, firsts):  # in order: the first alternative that matches wins
        for char in chars:
            by_char.setdefault(char, []).append(alternative)
    # the lookahead's class takes the pattern's flags: under IGNORECASE it folds case as a literal does
    groups = [f"(?=[{re.escape(char)}])(?:{'|'.join(group)})" for char, group in by_char.items()]
    if len(groups) <= _BUCKET:
        return "(?:" + "|".join(groups) + ")"
    # The engine tries the groups one after the other; a lookahead on a few groups' characters at once
    # lets it pass over the groups of other characters in one step. The order stays the same.
    chars = list(by_char)
    buckets = []
    for i in range(0, len(groups), _BUCKET):
        letters = "".join(re.escape(char) for char in chars[i:i + _BUCKET])
        buckets.append(f"(?=[{letters}])(?:{'|'.join(groups[i:i + _BUCKET])})")
    return "(?:" + "|".join(buckets) + ")"


def guarded(regex: str, flags: int, most: int = 6) -> str:
    """`regex` behind a lookahead on the characters its matches can start with (letters, and
    classes such as \\s), so that a scan passes over the other characters at once. The matches are
    the same. `regex` stays as it is when any character can start a match, when more than `most`
    can (the lookahead would pass nearly everywhere and only cost time), or when it opens with a
    character of its own (the engine skips ahead to that by itself)."""
    if _sre_parse is None:
        return regex
    try:
        parsed = _sre_parse.parse(regex, flags)
    except Exception:  # noqa: BLE001 - analysis only: fall back to the plain pattern
        return regex
    if not len(parsed) or parsed[0][0] in (_c.LITERAL, _c.IN):
        return regex
    starts, nullable = _first_of_sequence(list(parsed), flags, classes=True)
    if starts is None or nullable or not starts or len(starts) > most:
        return regex
    # a single character is escaped; a class (\\s, a range) is written as it is
    members = "".join(re.escape(x) if len(x) == 1 else x for x in sorted(starts))
    return f"(?=[{members}])(?:{regex})"


@functools.lru_cache(maxsize=None)  # the same phrases come again in the lexicon's all-cues pattern
def _first_chars(regex: str, flags: int) -> frozenset[str] | None:
    """The lower-case characters a match of `regex` can start with; None when any can (or it
    can match nothing)."""
    try:
        parsed = _sre_parse.parse(regex, flags)
    except Exception:  # noqa: BLE001 - analysis only: fall back to the plain pattern
        return None
    chars, nullable = _first_of_sequence(list(parsed), flags)
    if chars is None or nullable or not chars:
        return None
    if flags & re.IGNORECASE:
        chars = {c.lower() for c in chars}
    return frozenset(chars)


def _first_of_sequence(items, flags: int, classes: bool = False) -> tuple[set[str] | None, bool]:
    """The characters a match of `items` can start with, and whether it can match nothing. With
    `classes`, a character class (\\s, \\w, a wide range) may be one of them, written as regex."""
    found: set[str] = set()
    for op, av in items:
        chars, nullable = _first_of_item(op, av, flags, classes)
        if chars is None:
            return None, False
        found |= chars
        if not nullable:
            return found, False
    return found, True


_CATEGORIES = {"CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_DIGIT": r"\d",
               "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


def _first_of_item(op, av, flags: int, classes: bool) -> tuple[set[str] | None, bool]:
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return set(), True  # zero width: the next item starts the match
    if op is _c.LITERAL:
        return {chr(av)}, False
    if op is _c.IN:
        chars: set[str] = set()
        for set_op, set_av in av:
            if set_op is _c.LITERAL:
                chars.add(chr(set_av))
            elif set_op is _c.RANGE and set_av[1] - set_av[0] < _MAX_RANGE:
                for code in range(set_av[0], set_av[1] + 1):
                    chars.add(chr(code))
            elif set_op is _c.RANGE and classes:
                chars.add(f"{re.escape(chr(set_av[0]))}-{re.escape(chr(set_av[1]))}")
            elif set_op is _c.CATEGORY and classes and str(set_av) in _CATEGORIES:
                chars.add(_CATEGORIES[str(set_av)])
            else:
                return None, False
        return chars, False
    if op is _c.BRANCH:
        found: set[str] = set()
        any_nullable = False
        for branch in av[1]:
            chars, nullable = _first_of_sequence(list(branch), flags, classes)
            if chars is None:
                return None, False
            found |= chars
            any_nullable = any_nullable or nullable
        return found, any_nullable
    if op is _c.SUBPATTERN:
        if av[1] & ~flags & re.IGNORECASE:
            return None, False  # "(?i:...)" in a pattern that heeds case: a lookahead would not fold it
        return _first_of_sequence(list(av[-1]), flags, classes)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
        chars, nullable = _first_of_sequence(list(av[2]), flags, classes)
        return chars, nullable or av[0] == 0
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _first_of_sequence(list(av), flags, classes)
    return None, False
