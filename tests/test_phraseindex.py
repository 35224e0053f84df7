"""The first-character grouping of long phrase lists finds exactly what the plain alternation finds."""

from __future__ import annotations

import re
import tomllib

from tracker.stance.cues import DEFAULT_LEXICON, PHRASE_START, compile_phrase, compile_phrases
from tracker.stance.phraseindex import MIN_ALTERNATIVES, alternation

_PHRASES = [
    "ready to send", "ready to", "rule* out", "not rule* out", "send|deploy ~ troops", "?ground troops",
    "re:in\\s+principle", "boots on the ground", "İstanbul format", "won't send", "coalition of the willing",
    "Élysée plan", "no plans to", "declined to", "opposed", "backs",
]
_TEXTS = [
    "France is READY TO SEND troops, and Italy won't send any; Spain did not rule them out.",
    "Warsaw declined to deploy its own ground troops but backs the coalition of the willing.",
    "In principle, the Élysée plan and the istanbul format (İSTANBUL FORMAT) were opposed.",
    "Germany's backing; 'boots on the ground'; unready to send; sending-troops; ready to",
]


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]


def test_grouped_alternation_matches_the_plain_one_span_for_span():
    alternatives = [compile_phrase(p) for p in sorted(_PHRASES, key=len, reverse=True)]
    grouped = alternation(alternatives, re.IGNORECASE)
    plain = "(?:" + "|".join(alternatives) + ")"
    assert grouped != plain  # the list is long enough to be grouped
    start, end = r"(?<![\w-])(?<!\w['’])", r"(?![\w]|['’]\w)"
    fast, slow = re.compile(start + grouped + end, re.I), re.compile(start + plain + end, re.I)
    found = 0
    for text in _TEXTS:
        assert _spans(fast, text) == _spans(slow, text)
        found += len(_spans(fast, text))
    assert found >= 12
    # case folding reaches the first character too: "İSTANBUL" as "istanbul", "READY" as "ready"
    assert "İSTANBUL FORMAT" in [m.group(0) for m in fast.finditer(_TEXTS[2])]
    assert fast.search(_TEXTS[0]).group(0) == "READY TO SEND"


def test_short_lists_and_phrases_that_may_start_anywhere_stay_plain():
    few = [compile_phrase(p) for p in _PHRASES[:MIN_ALTERNATIVES - 1]]
    assert alternation(few, re.IGNORECASE) == "(?:" + "|".join(few) + ")"
    anywhere = [compile_phrase(p) for p in _PHRASES] + [r"(?:\w+\s+)?troops"]
    assert alternation(anywhere, re.IGNORECASE) == "(?:" + "|".join(anywhere) + ")"


def test_every_cue_group_of_the_lexicon_finds_what_its_plain_alternation_finds():
    data = tomllib.loads(DEFAULT_LEXICON.read_text(encoding="utf-8"))
    texts = _TEXTS + [
        "Britain and France said they were prepared to lead a reassurance force once a ceasefire holds.",
        "Hungary will never send soldiers, Orbán said, calling Macron's idea dangerous and premature.",
        "The Netherlands has not decided whether to contribute, but is open to it under a UN mandate.",
        "Italy is not in a position to send troops; Rome ruled out any deployment “for now”.",
        "We don't have any plans for a large-scale deployment, and Sweden isn't ready either.",
    ]
    start, end = PHRASE_START, r"(?![\w]|['’]\w)"
    grouped = found = 0
    for item in data["cue"]:
        fast = compile_phrases(item["phrases"], "test")
        plain = "(?:" + "|".join(compile_phrase(p) for p in sorted(item["phrases"], key=len, reverse=True)) + ")"
        slow = re.compile(start + plain + end, re.IGNORECASE)
        grouped += fast.pattern != slow.pattern
        for text in texts:
            assert _spans(fast, text) == _spans(slow, text), (item["stance"], text)
            found += len(_spans(fast, text))
    assert grouped >= 5  # most groups are long enough to be grouped
    assert found >= 10
