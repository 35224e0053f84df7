"""Who a stance belongs to: the holder that governs a cue, and who is on record.

The engine finds every actor named in a clause (tracker.stance.claims); this
module decides which of them a cue belongs to and which speak for nobody:
- the nearest holder before the cue takes it, with the actors listed or apposed
  to it; a holder cut from the cue by a verb is someone else (the reporter in
  "Trump said Putin was ready", the welcomer in "Starmer welcomed Albanese's
  commitment"), unless its own first cue says the same;
- an unnamed subject ("which countries would send", "Several NATO members are
  considering") takes the cue from everyone named;
- unnamed sources and reports ("It says that", "reportedly") and pundits who
  frame a sentence ("says a former colonel") put nobody on record;
- a sentence that ends with its speaker ("..., Kallas said") lends that speaker
  to its clauses without a holder, and a quotation of several sentences closed
  by its speaker ('"We will not send soldiers. ..." - powiedział Fiala') lends
  that speaker to each of its sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from tracker.stance.cues import Lexicon

WORD = re.compile(r"[\w'’.-]+|[,;:()“”\"—–]")
REPORTING = re.compile(
    r"^\s*,?\s*(?:has\s+|had\s+|have\s+)?(?:said|says|told|tells|added|adds|stated|states|noted|notes|stressed|"
    r"argued|argues|declared|announced|warned|insisted|emphasi[sz]ed|confirmed|wrote|explained|claimed|"
    r"indicated|reiterated|dismissed|rejected|asserted|affirmed|suggested|believes|thinks)\b"
)
# Words of a title between a name and its governor ("Prime Minister", "top diplomat").
TITLE_WORDS = frozenset(
    """prime minister president chancellor foreign defence defense secretary general envoy special
    presidential leader opposition spokesperson spokesman spokeswoman official government head of state
    deputy vice ambassador premier counterpart chief minister's president's top diplomat""".split()
) - {"of"}


_INNER_SUBJECT = re.compile(
    r"\b(?:which|what|how many|whichever)\s+(?:\w+\s+){0,2}?(?:countries|states|nations|allies|members|governments|"
    r"partners|leaders)\b", re.IGNORECASE)
# An unnamed group after a preposition is no subject: "troops from European countries would be
# unacceptable to Moscow" is Moscow's stance.
_UNNAMED_SUBJECT = re.compile(
    r"\b(?:(?:several|some|many|a number of|other|few|various|most|a group of|a handful of|no)\s+(?:[\w-]+\s+){0,4}?"
    r"|(?:European|Western|Nordic|Scandinavian|Eastern|Central|Southern|allied|partner|key|major|leading|fellow|"
    r"big|bigger|larger|smaller)\s+"
    # a bare plural opening a clause: "... meets cool reception as allies balk at Nato invitation"
    r"|(?<=\bas\s)|(?<=\bwhile\s)|(?<=\bafter\s))"
    # "no government had yet committed soldiers", "some others have not yet taken a position"
    r"(?:countr(?:y|ies)|members?|states?|nations?|all(?:y|ies)|governments?|partners?|leaders?|capitals|others)\s+"
    r"(?:(?:\w+\s+){0,2}?(?:are|is|were|was|have|has|had|would|will|could|may|might|say|said|remain|remains|"
    r"remained|seem|seems|seemed|appear|appears|appeared|insist|insisted|insists|signalled|signaled|indicated)\b"
    # a verb of stance right after the group: "as allies balk at ..." (not "leaders to back")
    r"|(?:balk|balked|reject|rejected|rule|ruled|dismiss|dismissed|oppose|opposed|resist|resisted|refuse|refused)\b)",
    re.IGNORECASE)
# A bare plural that what is said describes: "Rutte said Europeans were ready and willing to step
# up" (not "said allies should have invited Ukraine": the speaker's own judgement).
_SAID_OF_GROUP = re.compile(r"\b(?:said|says)\s+(?:that\s+)?(?:Europeans|allies|partners|countries|governments)\s+"
                            r"(?:are|were|is|was|remain|remained)\b")
# A part of the countries just listed, none of them named: "..., but that fewer than half had
# pledged ground troops", "only some of them would send soldiers"; or of a poll's respondents:
# "... found that only in Poland did more than a third of respondents say they would back it";
# or all of them denied: "acknowledging that not every ally would take part"
_PARTITIVE_SUBJECT = re.compile(
    r"\b(?:(?:(?:fewer|less|more)\s+than\s+(?:half|a\s+third|a\s+quarter|a\s+dozen|\d+)"
    r"(?:\s+(?:of\s+(?:them|those|these|the\s+\d+|respondents|voters|people|citizens|the\s+public)"
    r"|countries|nations|states|members|governments|allies))?)"
    r"|(?:only\s+)?(?:some|most|several|few|many|a\s+few|a\s+handful|half|a\s+minority|a\s+majority|two|three|four|five)"
    r"\s+of\s+(?:them|those|these|the\s+\d+|respondents|voters|people|citizens|the\s+public)"
    r"|not\s+(?:all|every)(?:\s+of\s+them|\s+(?:(?:European|NATO|Western|EU)\s+)?(?:allies|ally|countries|country|nations|nation"
    r"|states|state|members|member|governments|government|partners|partner|capitals|capital))?)"
    r"\s+(?:already\s+|yet\s+|so\s+far\s+)?(?:are|is|were|was|have|has|had|would|will|could|may|might|said|say)\b",
    re.IGNORECASE)
_RELATIVE_IN = re.compile(r"\s(?:that|who|which)\s", re.IGNORECASE)
# Prepositions of time: "since Macron's remarks", "after Macron's remark that ..." name a time, not a holder.
TIME_PREPOSITIONS = frozenset({"since", "after", "before", "following", "until"})
_PREPOSITION_BEFORE = re.compile(r"\b(?:from|of|by|to|with|among|for|against)\s+$", re.IGNORECASE)
_COORDINATED = re.compile(r",?\s*(?:and|or|as well as|along with|together with)\s+", re.IGNORECASE)
_RELATIVE = re.compile(r",\s+(?:who|which)\s+(?!\w+\s+(?:said|says|told|added|stated)\b)")
_THAT_BEFORE = re.compile(r"\b(?:that|whether)\s+(?:the\s+)?$", re.IGNORECASE)


def partitive_subject(s: str, cue: int) -> int | None:
    """Where the part of the countries starts (none of them named) whose verb the cue is:
    "not every ally would take part", "only some of them would send soldiers"."""
    return next((m.start() for m in _PARTITIVE_SUBJECT.finditer(s, max(0, cue - 80), min(len(s), cue + 12))
                 if m.start() < cue <= m.end() + 1), None)


def unnamed_subject(s: str, start: int, cue: int) -> bool:
    """Does an unnamed group open a clause between `start` and the cue? The cue may be the
    group's own verb ("Several members are considering": the cue starts at "are")."""
    if any(m.start() < cue for m in _SAID_OF_GROUP.finditer(s, start, min(len(s), cue + 12))):
        return True
    if any(m.start() < cue for m in _PARTITIVE_SUBJECT.finditer(s, start, min(len(s), cue + 12))):
        return True
    for m in _UNNAMED_SUBJECT.finditer(s, start, min(len(s), cue + 12)):
        if m.start() >= cue:
            return False
        if _PREPOSITION_BEFORE.search(s, max(0, m.start() - 9), m.start()) and not _RELATIVE_IN.search(m.group(0)):
            continue  # "troops from European countries would be unacceptable" (not "left by allies that remain reluctant")
        if _COORDINATED.fullmatch(s, start, m.start()):
            continue  # "Germany, Poland and several other allies said": the named ones are in the list
        return True
    return False


_POSSESSIVE_AFTER = re.compile(r"(?:'s|’s|'|’)\s+([\w-]+)(?:\s+([\w-]+))?")


def _owns_a_thing(s: str, end: int, lexicon: Lexicon) -> bool:
    """Is the name the owner of a stance noun or of something said ("Macron's suggestion",
    "Macron's remark"), not of a role that speaks ("Orban's spokesman")?"""
    m = _POSSESSIVE_AFTER.match(s, end)
    if m is None or lexicon.roles.fullmatch(m.group(1).lower()) is not None:
        return False
    return any(w and (w.lower() in lexicon.possessed_cues or w.lower() in lexicon.spoken_things) for w in m.groups())


_CONTENT_OPENS = re.compile(r"[^,;]{0,50}?(?:\bthat\b|:|[\"“«])")


def _spoken_owners(holders: list["Holder"], s: str, cue: int, lexicon: Lexicon) -> list["Holder"]:
    """The owners of something said ("Macron's remarks", "French President Emmanuel Macron's
    repeated talk") that a cue after it judges: the judgement is someone else's. The content of
    what was said ("Macron's remark that nothing could be excluded") stays the owner's."""
    owners: list[Holder] = []
    for h in holders:
        if h.end > cue:
            continue
        m = _POSSESSIVE_AFTER.match(s, h.end)
        if m is None or m.end() > cue or not any(w and w.lower() in lexicon.spoken_things for w in m.groups()):
            continue
        content = _CONTENT_OPENS.match(s, h.end)
        if content is not None and content.end() <= cue:
            continue
        owners.append(h)
        owners.extend(x for x in holders if x.end <= h.start and set(x.codes) & set(h.codes)
                      and _joined(s[x.end:h.start], lexicon))
    return owners


# Between a proposed thing and a cue: a verb or a clause of its own ("Macron's plan was unrealistic",
# "Macron's plan for a force, telling the Senate that ..."), not the thing's own content ("plan to send").
_PAST_THE_THING = re.compile(r"[,;]|\b(?:that|which|is|was|were|are|would|will|could|can|has|had|have|be|been)\b")


def _object_owners(holders: list["Holder"], s: str, cue: int, lexicon: Lexicon) -> list["Holder"]:
    """Owners of a proposed thing that another holder acts on ("Meloni rejected Macron's plan,
    saying it was ineffective"): a cue past the thing is the subject's judgement, not the owner's."""
    owners: list[Holder] = []
    for h in holders:
        m = _POSSESSIVE_AFTER.match(s, h.end)
        if m is None or m.end(1) > cue or m.group(1).lower() not in lexicon.proposed_things:
            continue
        if not _PAST_THE_THING.search(s, m.end(1), cue):
            continue
        if any(x.end <= h.start and not set(x.codes) & set(h.codes) and not _joined(s[x.end:h.start], lexicon)
               for x in holders):
            owners.append(h)
    return owners


_PASSIVE_BEFORE = re.compile(r"\b(?:was|were|been|is|are|be|being)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
_BY_AFTER = re.compile(r"[\w-]+(?:\s+\w+){0,3}?\s+by\s+(?:the\s+)?", re.IGNORECASE)


def _passive_agent(holders: list["Holder"], s: str, cue: int, lexicon: Lexicon) -> "Holder | None":
    """The agent of a passive cue ("was rejected by Germany"), when it is a holder."""
    if not _PASSIVE_BEFORE.search(s, max(0, cue - 30), cue):
        return None
    by = _BY_AFTER.match(s, cue)
    if by is None:
        return None
    after = [h for h in holders if h.start >= by.end()]
    first = min(after, key=lambda h: h.start, default=None)
    return first if first is not None and _joined(s[by.end():first.start], lexicon) else None


def _with_joined(first: "Holder", holders: list["Holder"], s: str, lexicon: Lexicon) -> list["Holder"]:
    """`first` and the holders listed or apposed after it ("by German Chancellor Olaf Scholz",
    "of Britain and France")."""
    kept = [first]
    for h in sorted((h for h in holders if h.start > first.start), key=lambda h: h.start):
        if not _joined(s[kept[-1].end:h.start], lexicon):
            break
        kept.append(h)
    return kept


def _receivers(holders: list["Holder"], s: str, cue: int, lexicon: Lexicon) -> list["Holder"] | None:
    """The holders after a reception phrase that contains the cue ("met with rejection in ..."):
    none named ("Macron faces wide scepticism") is nobody's stance; None when no reception phrase
    contains the cue."""
    if lexicon.reception is None:
        return None
    for m in lexicon.reception.finditer(s):
        if m.start() <= cue < m.end() + 30:
            return [h for h in holders if h.start >= m.end() - 1]
    return None


_OF_AFTER = re.compile(r"([\w-]+)\s+of\s+(?:the\s+)?", re.IGNORECASE)


def _owner_after(holders: list["Holder"], s: str, cue: int, lexicon: Lexicon) -> "list[Holder] | None":
    """The owners of a stance noun named after it ("the willingness of Britain and France")."""
    m = _OF_AFTER.match(s, cue)
    if m is None or m.group(1).lower() not in lexicon.possessed_cues:
        return None
    first = next((h for h in holders if h.start == m.end()), None)
    return _with_joined(first, holders, s, lexicon) if first is not None else None


@dataclass
class Holder:
    start: int
    end: int
    codes: tuple[str, ...]
    speaker: str | None
    via: str


def governing_holders(holders: list[Holder], s: str, cue: int, lexicon: Lexicon,
                      stance: str) -> tuple[list[Holder], bool]:
    """The holders a stance cue belongs to: the subject nearest before it, with the actors
    coordinated or apposed to it ("France, the U.K. and Italy", "German Chancellor Scholz").

    A holder cut from the cue by a verb is someone else: the reporter in "Trump said Putin was
    ready", the welcomer in "Starmer welcomed Albanese's commitment", the one who "urged leaders
    to dismiss Putin's opposition". Holders named after the cue count only when none comes before
    it (a quote before its speaker: "We are ready," Scholz said).

    Also says whether the holders are reported by someone cut off by a reporting verb ("Trump
    said Putin was ready"): their words then come second hand.
    """
    agent = _passive_agent(holders, s, cue, lexicon)
    if agent is not None:  # "Macron's proposal was rejected by Germany": Germany rejects
        return _with_joined(agent, holders, s, lexicon), False
    received = _receivers(holders, s, cue, lexicon)
    if received is not None:  # "Macron's push met with rejection in Berlin and Rome": theirs, not Macron's
        return received, False
    owner = _owner_after(holders, s, cue, lexicon)
    if owner is not None:  # "welcomed the willingness of Britain and France": theirs
        return owner, False
    spoken = _spoken_owners(holders, s, cue, lexicon)
    if spoken:  # "Macron's talk of sending troops was very dangerous, Peskov said": Peskov judges it
        holders = [h for h in holders if h not in spoken]
    objects = _object_owners(holders, s, cue, lexicon)
    if objects:  # "Meloni poured cold water on Macron's plan ..., telling the Senate it was not on the agenda"
        holders = [h for h in holders if h not in objects]
    before = [h for h in holders if h.start < cue and not _in_closed_relative(s, h, cue, lexicon)
              and not _related(s, h.end, lexicon)]
    if not before and unnamed_subject(s, max(0, cue - 120), cue):
        return [], False  # "Several NATO members are considering sending soldiers, Fico said": not Slovakia's
    if not before:  # the subject of a later "that" clause holds that clause, not the cue before it;
        # an owner named after the cue is its object ("distance themselves from Macron's suggestion")
        return [h for h in holders if not (_THAT_BEFORE.search(s[max(0, h.start - 20):h.start])
                                           and not REPORTING.match(s[h.end:]))
                and not (h.start > cue and _not_the_cues(s, h, lexicon))], False
    nearest = max(before, key=lambda h: h.start)
    if lexicon.resuming is not None and lexicon.resuming.search(s, nearest.end, cue):
        reporters = [h for h in before if h.end <= nearest.start and _reports_between(s, h.end, nearest.start, lexicon)]
        if reporters:  # "Scholz said Putin had raised it, and restated his own line": Scholz's line
            nearest = max(reporters, key=lambda h: h.start)
            before = [h for h in before if h.end <= nearest.end]
    if lexicon.imputing is not None and lexicon.imputing.search(s, nearest.end, cue):
        return [], False  # "Russia accused France of planning to send troops": imputed, nobody's own
    relative = _RELATIVE.search(s, nearest.end, cue)
    if relative and not _joined(s[nearest.end:relative.start()], lexicon):
        return [], False  # "Trump said it would be a U-turn from the Russians, who have insisted ...": theirs
    if _INNER_SUBJECT.search(s, nearest.end, cue) or unnamed_subject(s, nearest.end, cue):
        return [], False  # "Macron refused to specify which countries would send troops": theirs, unnamed
    kept, reported = [nearest], False
    for h in sorted(before, key=lambda h: -h.start):
        if h is nearest:
            continue
        first = min(kept, key=lambda k: k.start)
        if h.end <= first.start and not _joined(s[h.end:first.start], lexicon):
            own = lexicon.find_cues(s[h.end:first.start])
            if not own or own[0].stance != stance:
                reporter = [x for x in before if x.end <= first.start]  # "Scholz said Germany is ready": its own
                reported = not {c for x in reporter for c in x.codes} & {c for k in kept for c in k.codes} \
                    and _reports_between(s, h.end, first.start, lexicon)
                break
        kept.append(h)
    return sorted(kept, key=lambda h: h.start), reported


def _reports_between(s: str, start: int, end: int, lexicon: Lexicon) -> bool:
    """Is there a verb of saying between two holders ("Scholz said Putin ...")?"""
    return any(w.group(0).lower() in lexicon.reporting for w in _WORD_START.finditer(s, start, end))


_NEXT_WORD = re.compile(r"\s+([a-z]+)\b")
_WORD_BEFORE = re.compile(r"([a-z]+)\s+(?:the\s+)?$")


def _not_the_cues(s: str, holder: Holder, lexicon: Lexicon) -> bool:
    """A name after the cue that is not its holder: the owner of its object ("distance themselves
    from Macron's suggestion"), or the subject of a clause of its own."""
    return _owns_a_thing(s, holder.end, lexicon) or _verb_of_its_own(s, holder.end, lexicon) \
        or _subordinate_subject(s, holder, lexicon)


def _subordinate_subject(s: str, holder: Holder, lexicon: Lexicon) -> bool:
    """Does the name after the cue open a subordinate clause of its own ("..., exposing deep
    divisions as the United States prepares to open talks")? It holds that clause, not the cue."""
    m = _WORD_BEFORE.search(s, max(0, holder.start - 20), holder.start)
    return m is not None and m.group(1) in lexicon.subject_clauses and _NEXT_WORD.match(s, holder.end) is not None


def _verb_of_its_own(s: str, end: int, lexicon: Lexicon) -> bool:
    """Is a name after the cue the subject of a verb that does not report it ("..., and
    Zelenskyy knows it")? Then it holds its own clause, not the cue before it."""
    m = _NEXT_WORD.match(s, end)
    return m is not None and m.group(1) in lexicon.knowing


def _related(s: str, end: int, lexicon: Lexicon) -> bool:
    """Does the mention own a relation that describes someone else ("Orban, Moscow's closest
    ally, described ...")? It names the other side of the relation, not a holder."""
    m = _POSSESSIVE_AFTER.match(s, end)
    return m is not None and any(w and w.lower() in lexicon.relations for w in m.groups())


_WHO_OPENS = re.compile(r",\s+who\s+")
_COMMA_VERB = re.compile(r",\s+(?:\w+ly\s+)?([\w'’]+)")


def _in_closed_relative(s: str, holder: Holder, cue: int, lexicon: Lexicon) -> bool:
    """Is the holder inside a relative clause that closes before the cue ("Macron, who told Le
    Figaro that France and Britain were proposing a truce, said there would be no troops")? The
    cue then belongs to the subject the clause describes."""
    if _WHO_OPENS.search(s, max(0, holder.start - 200), holder.start) is None:
        return False
    return any(m.group(1).lower() in lexicon.reporting for m in _COMMA_VERB.finditer(s, holder.end, cue))


_JOINER_WORDS = frozenset("""and or the of 's ’s ' both as well together along with including its their
    his her new acting incoming outgoing top""".split())


def _joined(between: str, lexicon: Lexicon) -> bool:
    """Is the text between two holder mentions only a list or an apposition (no verb between)?"""
    for word in WORD.findall(between):
        lower = word.lower()
        if not word[:1].isalnum() or word[:1].isupper() or lower in _JOINER_WORDS or lower in TITLE_WORDS \
                or lower in lexicon.conjunctions or lower in lexicon.articles:
            continue
        if lower in lexicon.titles or lexicon.roles.fullmatch(lower):
            continue
        return False
    return True


def pundit_reports(s: str, start: int, lexicon: Lexicon) -> bool:
    """Is the holder inside what a pundit or former official says ("A former colonel said
    Germany must be ready"): a prescription, not the government's stance?"""
    raw = WORD.findall(lexicon.as_officials(s[max(0, start - 200):start]))
    before = [w.lower() for w in raw]
    for i, word in enumerate(before):
        if word in lexicon.reporting and any(w in lexicon.non_speakers for w in before[max(0, i - 6):i]):
            return True  # "A former colonel said Germany must ..."
    for i in range(len(raw) - 3):
        # "Friedrich Merz, the conservative candidate tipped to become chancellor, said Germany ..."
        if raw[i][:1].isupper() and raw[i + 1] == "," and before[i + 2] in ("the", "a", "an") \
                and any(w in lexicon.non_speakers for w in before[i + 3:i + 6]) \
                and any(says(w, lexicon) for w in before[i + 3:]):
            return True
    after = WORD.findall(lexicon.as_officials(s[start:]))
    closing = next((i for i, w in enumerate(after) if w.lower() in lexicon.reporting), None)
    if closing is None:
        return False
    if len(after) - closing <= 12 and any(w.lower() in lexicon.non_speakers for w in after[closing + 1:closing + 5]):
        return True  # "..., says the former colonel."
    # "..., said Robert Dalsjo, a research director at ...": the name's apposition
    i = closing + 1
    while i < len(after) and after[i][:1].isupper():
        i += 1
    if i == closing + 1 or i >= len(after) or after[i] != ",":
        return False
    described = [w.lower() for w in after[i + 1:i + 5] if w.lower() not in ("a", "an", "the")][:3]
    return any(w in lexicon.non_speakers for w in described)


def says(word: str, lexicon: Lexicon) -> bool:
    """A verb of saying ("said", "told"), or a participle that opens what is said ("adding",
    "insisting": the participles among the shared-subject openers)."""
    lower = word.lower()
    return lower in lexicon.reporting or (lexicon.shared_subject is not None and lower.endswith("ing")
                                          and lexicon.shared_subject.fullmatch(lower) is not None)


def closing_speaker(s: str, holders: list[Holder]) -> Holder | None:
    """The speaker of a sentence that ends with "..., X said (on Monday)."."""
    for h in reversed(holders):
        verb = REPORTING.match(s[h.end:])
        if verb is None:
            continue
        # '..., Nauseda said, adding that the Baltic states ...': what the participle adds is a clause
        # of its own, and the names in it do not speak
        said_end = h.end + verb.end()
        added = _ADDING.search(s, said_end)
        end = added.start() if added is not None else len(s)
        others = [o for o in holders if h.start < o.start < end]
        if end - said_end <= 30 and not others:
            return h
        # '..., Rama told a joint news conference with Zelenskiy.': where and with whom he said it, no
        # clause of its own, and the company he kept does not speak
        if end - said_end <= 100 and not _CLAUSE_IN_TAIL.search(s, said_end, end) \
                and all(_IN_COMPANY.search(s, said_end, o.start) for o in others):
            return h
    return None


_IN_COMPANY = re.compile(r"\b(?:with|alongside|beside|next to)\s+(?:[\w'’.-]+\s+){0,4}$")
_CLAUSE_IN_TAIL = re.compile(r"\b(?:that|is|are|was|were|would|will|could|should|can|must|has|had|have|might|may|"
                             r"did|does|do|if|but|and|as|because|while|when|who|which)\b|[,;:\"“”]", re.IGNORECASE)


_ADDING = re.compile(r",\s+(?:adding|saying|noting|arguing|stressing|insisting|warning|calling|citing|pointing|"
                     r"referring|describing|urging|explaining|suggesting|acknowledging|underlining|emphasi[sz]ing)\b")


def on_record(holders: list[Holder], c_text: str, s: str, lexicon: Lexicon, *, start: int = 0,
              unnamed_source: bool = False) -> list[Holder]:
    """Holders minus those only unnamed sources or reports speak for: a clause framed by "it
    says", "according to sources" (or, with `unnamed_source`, in a sentence that opens "According
    to the Financial Times,") loses every holder but a named official; "Germany is reportedly
    ready" loses Germany. `start`: where the clause starts in the sentence `s`."""
    if unnamed_source or lexicon.hearsay.search(c_text) or _framed_by_hearsay(c_text, start, s, lexicon):
        return [h for h in holders if h.via in ("official", "document") or _own_record(s, h.end, lexicon)]
    return [h for h in holders if not _hearsay_after(s, h.end, lexicon)]


def opens_with_unnamed_source(s: str, holders: list[Holder], lexicon: Lexicon) -> bool:
    """Does the sentence open with a source that is no actor ("According to the Financial Times,",
    "Selon nos informations,", "Laut Medienberichten,")? Then it reports (see on_record)."""
    m = lexicon.source_opener.match(s) if lexicon.source_opener is not None else None
    if m is None:
        return False
    comma = s.find(",", m.end())
    if comma < 0 or comma - m.end() > 80:
        return False
    return not any(m.end() <= h.start < comma for h in holders)


def _framed_by_hearsay(c_text: str, start: int, s: str, lexicon: Lexicon) -> bool:
    """Is a later clause still carried by the hearsay that opens the sentence ("Diplomats said
    Britain was the most willing, while Germany and Italy were cautious"), having no verb of
    saying of its own?"""
    frame = lexicon.hearsay.search(s, 0, 80)
    if frame is None or start < frame.end() or frame.start() > 40:
        return False
    return not any(w.group(0).lower() in lexicon.reporting for w in _WORD_START.finditer(c_text))


def wills(s: str, end: int, lexicon: Lexicon) -> bool:
    """Is the mention the subject of a verb of will ("Kyiv, which wants to join", "Ukraine insists")?
    Not when it owns a noun ("Kyiv's hopes of joining")."""
    return not _POSSESSIVE_AFTER.match(s, end) and _soon_after(s, end, lexicon.subject_matter_verbs)


def _own_record(s: str, end: int, lexicon: Lexicon) -> bool:
    """Does the holder's own verb of saying follow it ("Hungary has said")? Then it is on record."""
    return lexicon.own_record is not None and _soon_after(s, end, lexicon.own_record)


def _hearsay_after(s: str, end: int, lexicon: Lexicon) -> bool:
    """Does a hearsay adverb follow the mention ("Germany is reportedly ready")?"""
    return _soon_after(s, end, lexicon.hearsay_adverbs)


_WORD_START = re.compile(r"[\w'’]+")


def _soon_after(s: str, end: int, pattern: re.Pattern[str]) -> bool:
    """Does `pattern` start at one of the three words after `end`?"""
    tail = s[end:end + 60]
    for n, word in enumerate(_WORD_START.finditer(tail)):
        if n == 3:
            return False
        if pattern.match(tail, word.start()):
            return True
    return False


_OPENING_QUOTE = re.compile(r"^\s*[„\"“«»‘‹]")
_CLOSING_QUOTE = re.compile(r"[\"”»«“’‹›]")


@dataclass(frozen=True)
class QuoteSpeaker:
    """Who closes a quotation of several sentences, and the words that say so."""

    holder: Holder
    attribution: str  # '- powiedział Fiala na wspólnej konferencji', 'Orban said.'


def opens_quotation(text: str) -> bool:
    return _OPENING_QUOTE.match(text) is not None


def quote_speaker(last: str, last_holders: list[Holder], lexicon: Lexicon) -> QuoteSpeaker | None:
    """The speaker of a paragraph that opens a quotation (see opens_quotation) and closes it with
    its speaker: '"We are not considering it. ... " - said Fiala' (`last`: its last sentence)."""
    # the first closing mark that a verb of saying follows: '..., " Healey told reporters, while
    # stressing that Europe had to "step up"' closes at the first mark, not the last
    for m in _CLOSING_QUOTE.finditer(last):
        close = m.end()
        tail = last[close:]
        if len(tail) > 160:
            continue
        if not any(w.group(0).lower() in lexicon.reporting for w in islice(_WORD_START.finditer(tail), 6)):
            continue
        after = [h for h in last_holders if h.start >= close]
        speaker = next((h for h in after if h.via == "official"), after[0] if after else None)
        if speaker is None:
            return None
        return QuoteSpeaker(Holder(len(last), len(last), speaker.codes, speaker.speaker, "quote"),
                            attribution_text(tail))
    return None


def attribution_text(tail: str) -> str:
    """The words after a quotation's closing mark, as evidence of who speaks ('he said on X.')."""
    return " ".join(tail.split()).lstrip(",-–— ")


def closing_role(s: str, lexicon: Lexicon) -> str | None:
    """The office that closes a sentence as its speaker ("Estonia is ready to send troops, premier
    says"; "..., the prime minister told reporters"), when it is one whose words are the
    government's own; None otherwise ("..., the Polish prime minister said" is Poland's office)."""
    if lexicon.closing_role is None:
        return None
    m = lexicon.closing_role.search(s[-120:])
    return " ".join(m.group(1).lower().split()) if m else None


_NAME_WORDS = re.compile(r"(?:[A-Z][\w.’'-]*\s*){1,3}")


def document_issuer(s: str, mentions, lexicon: Lexicon, gazetteer=None, on=None) -> tuple[str, ...] | None:
    """The actor whose document the sentence names ("the final declaration of the NATO summit")."""
    if lexicon.document_of is None or not lexicon.names_document(s):
        return None
    for n, m in enumerate(mentions):
        if lexicon.document_of.search(s[max(0, m.start - 60):m.start]):
            seat = mentions[n + 1] if n + 1 < len(mentions) else None
            if seat is not None and re.fullmatch(r"\s+in\s+", s[m.end:seat.start]):
                return tuple(seat.codes)  # "the statement issued by the Chancellery in Tallinn": Estonia's
            return tuple(m.codes)
    if gazetteer is None:
        return None
    for m in _OF_BY_FROM.finditer(s):
        end = m.end()
        if not lexicon.document_of.search(s[max(0, end - 60):end]):
            continue
        name = _NAME_WORDS.match(s, end)  # "of the NATO summit": the name before "summit"
        found = gazetteer.find_mentions(name.group(0).strip(), on=on) if name else []
        if found:
            return tuple(found[0].codes)
    return None


# Where the list of drafters ends: "drafted by British, French and German officials with Ukrainian input
# and presented at talks in London" (not the input, the place or what follows).
_DRAFTERS_END = re.compile(r"\s(?:with|and\s+[a-z]+ed|in|on|at|after|before|ahead|during|for)\s|[;:.\"“]|"
                           r",\s+(?:[a-z]+s|[a-z]+ed|would|will|has|had|is|was)\b")


def draft_drafters(s: str, mentions, lexicon: Lexicon) -> tuple[str, ...] | None:
    """The governments the sentence names as a draft's drafters ("the European counter-proposal,
    drafted by British, French and German officials"), or None."""
    if lexicon.draft_drafted_by is None:
        return None
    m = lexicon.draft_drafted_by.search(s)
    if m is None:
        return _draft_tablers(s, mentions, lexicon)
    end = _DRAFTERS_END.search(s, m.end())
    stop = end.start() if end else len(s)
    codes = [c for x in mentions if m.end() <= x.start < stop and x.via != "group" for c in x.codes]
    return tuple(dict.fromkeys(codes)) or None


def _draft_tablers(s: str, mentions, lexicon: Lexicon) -> tuple[str, ...] | None:
    """The governments that open the sentence as the subject tabling a draft ("Britain, France and
    Germany answered with a counter-draft"), or None. Set with draft_drafted_by, so never None here."""
    m = lexicon.draft_tabled.search(s)
    if m is None:
        return None
    subject = [x for x in mentions if x.end <= m.start() and x.via != "group"]
    if not subject or s[:subject[0].start].strip().lower() not in ("", "the"):
        return None
    gaps = [s[a.end:b.start] for a, b in zip(subject, subject[1:])]
    if not all(lexicon.list_joiner.fullmatch(gap) for gap in gaps) or len(s[subject[-1].end:m.start()].split()) > 2:
        return None  # only a list of governments right before the verb is its subject
    return tuple(dict.fromkeys(c for x in subject for c in x.codes)) or None


def draft_speaks(s: str, lexicon: Lexicon) -> bool:
    """Does a draft state its terms in the sentence ('It also states: "...', '"...," it reads')?"""
    return lexicon.draft_says is not None and lexicon.draft_says.search(s) is not None


def document_name(s: str, lexicon: Lexicon) -> str:
    """The document's noun as the sentence names it ("declaration"), for a claim's speaker."""
    m = lexicon.document_noun.search(s) if lexicon.document_noun is not None else None
    return m.group(0).lower() if m else "document"


_OF_BY_FROM = re.compile(r"\b(?:of|by|from)\s+(?:the\s+)?", re.IGNORECASE)


def document_speaks(s: str, lexicon: Lexicon) -> bool:
    """Does a document speak the sentence ('"...," the document reads', "according to the declaration")?"""
    if lexicon.document_says is None or (_QUOTES.search(s) is None and not lexicon.names_document(s)):
        return False
    return lexicon.document_says.search(s) is not None


_QUOTES = re.compile(r"[\"”»]")
