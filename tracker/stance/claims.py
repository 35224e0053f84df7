"""Sentences -> claims: who (holder), on what (topic anchor), which stance.

Reading order per sentence (DESIGN.md "Stances"):
1. clauses (cut at "while", "but", ";"...);
2. holders: actor mentions that are subjects, speakers, possessors or agents,
   not places or recipients ("troops to Ukraine"), not things ("NATO
   troops"), not former officials or pundits; coordinated and listed actors
   share the status of the first of the list; "he"/"she" point back to the
   last named person, "her country" to the last holder;
3. topic anchors in the clause, or a back-reference ("the idea") to a topic
   anchored in the sentences just before;
4. the classifier decides the stance from the cues in scope;
5. a time cue in the sentence dates the claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from tracker.models import Claim
from tracker.stance.actors import Mention, Official
from tracker.stance.attribution import (REPORTING, TIME_PREPOSITIONS, TITLE_WORDS, WORD, Holder, QuoteSpeaker,
                                         attribution_text, closing_role, closing_speaker, document_issuer, document_name,
                                         document_speaks, draft_drafters, draft_speaks, governing_holders, on_record,
                                         opens_quotation, opens_with_unnamed_source, pundit_reports, quote_speaker, says,
                                         unnamed_subject, wills)
from tracker.stance.classifier import ClauseInput, StanceClassifier, StanceDecision
from tracker.stance.cues import Lexicon, compile_phrases, estimate_said_at
from tracker.stance.sentences import PREDICATE, split_clauses, split_sentences

_SAID_BEFORE = re.compile(r"\b(?:said|says|told|added|stated|according to)\s*$")
_GENERIC_PERSON = re.compile(
    r"(?<![\w'’])(?:(?:Sir|Lord|Lady|Dame|Mr\.?|Mrs\.?|Ms\.?|Dr\.?)\s+)?"
    r"([A-Z][a-zà-ÿā-žА-я'’-]+(?:\s+[A-Z][a-zà-ÿā-žА-я'’-]+){1,2})(?![\w])"
)
_NOT_NAME_WORDS = frozenset(
    """The A An In On At Of For And But Or As If When While Although However Meanwhile Previously Earlier
    Prime Minister President Foreign Defence Defense Chancellor Secretary General Special Presidential Envoy
    State Department Ministry Government Army Armed Forces Force Union Republic Nations Security Council
    Conference House Post Times Journal News Agency Press Monday Tuesday Wednesday Thursday Friday Saturday
    Sunday January February March April May June July August September October November December
    North South East West Northern Southern Eastern Western Central Europe European Cold War World
    Coalition Willing Alliance Treaty Article Summit Parliament Commission Office Kingdom United States
    Deputy Vice Head Chief Spokesperson Spokesman Ambassador Envoy Senator Prof Professor Dr Law University
    Institute Center Centre Foundation Council Sources Source Quote Background Photo Read More Stories""".split()
)
LEAD_SENTENCES = 3
# A present stance with at most this share of the evidence for another stance of the same actor
# in the same article is outweighed (see _outweighed_dropped).
OUTWEIGHED = 0.5
_CONTENT_FOLLOWS = re.compile(r"\s+(?:(?:on|of|about|for)\s+[\"“]?\w+ing\b|to\s+(?!Ukraine|Kyiv)\w+)"
                              # joining something named: "could join the European Union"
                              r"|(?<=join)\s+(?:the|an?|its|(?-i:[A-Z]))\b", re.IGNORECASE)
# ...or what is given instead of troops: "would contribute financially", "will contribute logistics"
_OBJECT_FOLLOWS = re.compile(r"\s+(?:in|at|on|with|to|of|\w+ally|logistic\w*|money|funds|funding|equipment|air|naval|"
                             r"intelligence|expertise|capabilit\w*|assets|ships|jets|aircraft|weapons|training|"
                             r"ammunition|satellite\w*)\b", re.IGNORECASE)
# A name followed by its verb (after an apposition: "Pete Hegseth, the US defence secretary, told")
_VERB_AFTER = re.compile(r"(?:\s+[A-Z][\w’'-]+)*(?:\s+(?:administration|government|officials?|ministry|cabinet|spokes\w+))?"
                         r"(?:,[^,;]{1,60},)?\s+(?:has\s+|had\s+|have\s+|was\s+|were\s+)?"
                         r"(?:[a-z]+(?:ed|s)|said|told|wrote|spoke|made|gave|took|met|put|set)\b")
_RELATIVE_SUBJECT = re.compile(r",\s+(?:(?:both|all|each|neither|none|some)\s+of\s+)?(?:which|who|whom)\s+(?:has\s+|have\s+|had\s+|still\s+|also\s+)?[a-z]+(?:s|ed)\b")
_SPEAKER_BEFORE_PRONOUN = re.compile(
    r"([A-Z][\w’'-]+)\s+(?:has\s+|had\s+)?(?:said|says|told\s+\w+|added|stated|insisted|stressed|noted|argued|"
    r"warned|explained|announced|declared|confirmed)\s+(?:that\s+)?$")


@dataclass
class TopicMatcher:
    """A topic (tracker.stance.topics.Topic) with the engine's own back-reference phrases."""

    topic: object
    back_references: re.Pattern[str]
    elliptical: re.Pattern[str] | None = None
    require: re.Pattern[str] | None = None

    @property
    def id(self) -> str:
        return self.topic.id

    def anchor_spans(self, sentence: str, context: list[str]) -> list[tuple[int, int, str]]:
        """(start, end, kind) of the anchors that count in this sentence; kind is "" for the topic
        itself, else "contrary" or "giving_up" (so it is true for the topic's opposite)."""
        spans = self.topic.find_anchors(sentence)
        if not spans:
            return []
        tied = any(sp.kind != "standalone" for sp in spans) and self.topic.is_tied(sentence, *context)
        return [(sp.start, sp.end, sp.kind if sp.kind in ("contrary", "giving_up") else "")
                for sp in spans if sp.kind == "standalone" or tied]

    def is_subject_matter(self, holder: "Holder", sentence: str) -> bool:
        """A bare name the topic is about ("Ukraine could join NATO", "troops to Kyiv") is not a
        holder: the debate is about it. Its president or ministers still are."""
        if holder.via not in ("name", "capital", "metonym", "people"):
            return False
        if self.require is None:
            self.require = compile_phrases(list(getattr(self.topic, "require_any", ()) or ()), "require_any")
        return self.require.fullmatch(sentence[holder.start:holder.end]) is not None

    def refers_back(self, clause: str) -> bool:
        if any(not _CONTENT_FOLLOWS.match(clause, sp.end) for sp in self.topic.find_back_references(clause)) \
                or any(not _CONTENT_FOLLOWS.match(clause, m.end()) for m in self.back_references.finditer(clause)):
            return True  # "the proposal on creating a security mechanism" says what it is: no back-reference
        return self.elliptical is not None and any(
            not _OBJECT_FOLLOWS.match(clause, m.end()) for m in self.elliptical.finditer(clause))


# How many sentences after its drafters were named a draft still speaks for them: further on, an
# article comparing drafts ("the European text states ...") may be quoting another one.
_DRAFT_REACH = 2
_DRAFT_SPEAKER = "draft"  # a draft's terms have no speaker of their own: the claim names the draft


@dataclass
class _DocState:
    last_person: tuple[str, tuple[str, ...]] | None = None  # (name, codes it speaks for)
    last_holders: tuple[str, ...] = ()
    last_holder_speaker: str | None = None
    last_holder_sentence: int = -10
    topic_anchor_sentence: dict[str, int] = field(default_factory=dict)
    emitted: set = field(default_factory=set)  # (actor, topic, stance), sentence: a repeated title counts once
    surnames: dict[str, object] = field(default_factory=dict)  # "Sullivan" -> the Mention of "Jake Sullivan"
    document: tuple[str, ...] | None = None  # the issuer of the document last named ("declaration of NATO")
    document_sentence: str = ""  # the sentence that named it: evidence of who speaks
    drafters: tuple | None = None  # (codes, sentence index, sentence) of the draft last named with its drafters
    last_quote: tuple | None = None  # (paragraph, sentence index, QuoteSpeaker) of the last attributed quotation
    open_quote: tuple | None = None  # the same, of a quotation still open when its sentence ends
    officials: dict[str, tuple[tuple[str, ...], frozenset[str]]] = field(default_factory=dict)  # name -> codes, offices


def extract_claims(
    text: str,
    *,
    gazetteer,
    lexicon: Lexicon,
    classifier: StanceClassifier,
    topics: list[TopicMatcher],
    published: date | None,
) -> list[Claim]:
    state = _DocState()
    claims: list[Claim] = []
    named_alone: set[str] = set()  # actors the article names by themselves, not only as a group's members
    from_group: dict[int, frozenset[str]] = {}  # id of a claim a group holds -> the group's members
    sentences = split_sentences(text, lexicon.abbreviations)
    # The title is the first line that reads like one (not a site name such as "a3f.in.ua").
    # Title and lead (the first sentences) set what the whole article is about, so a topic
    # tie made there ("...troops to Ukraine") holds for every sentence of the article.
    title = next((x.text for x in sentences[:5] if len(x.text.split()) >= 4), "")
    lead = [title, *(x.text for x in sentences[:LEAD_SENTENCES])]
    quoted = _quotations(sentences, gazetteer, lexicon, published)
    spoken_by_document = _document_quotations(sentences, lexicon)
    resolved: dict[int, QuoteSpeaker | None] = {}  # quotations closed by '..." he said': their speaker
    last_mentions: list = []
    for sentence in sentences:
        s = sentence.text
        quote_here = quoted.get(sentence.index)
        if quote_here is not None and not quote_here.holder.codes:
            quote_here = _resolve_quote(quote_here, state, resolved)
        # '"..." he said on Thursday. "But allies agreed ..."': the quotation goes on
        carried = _carried_quote(sentence, s, state) or _just_before(state.open_quote, sentence) \
            if quote_here is None else None
        mentions = _with_surnames(s, gazetteer.find_mentions(s, on=published), state)
        named_alone.update(c for m in mentions if m.via != "group" for c in m.codes)
        issuer = document_issuer(s, mentions, lexicon, gazetteer, published)
        if issuer:
            state.document, state.document_sentence = issuer, s
        drafters = draft_drafters(s, mentions, lexicon)
        if drafters:
            state.drafters = drafters, sentence.index, s
        live: dict[str, list[tuple[int, int, bool]]] = {}
        for topic in topics:
            reach = int(getattr(topic.topic, "context_sentences", 2))
            context = [x.text for x in sentences[max(0, sentence.index - reach):sentence.index]] + lead
            live[topic.id] = [sp for sp in topic.anchor_spans(s, context)
                              if not _placed_elsewhere(s, sp[1], mentions, topic.topic, lexicon)]
        previous_mentions, last_mentions = last_mentions, mentions  # of the sentence before, and of this one
        if not any(live.values()) and not _refers_back_to_any(s, topics, state, sentence.index, lexicon):
            _, persons = _analyse_mentions(s, mentions, lexicon, persons_only=True)
            persons = _learn_officials(s, mentions, persons, lexicon, state)
            _note_offices(mentions, state)
            office = _unnamed_office(s, [m for m in mentions if m.via in _GOVERNMENT_VIAS], previous_mentions,
                                     sentences, sentence, lexicon)
            state.last_quote = _quote_of(sentence, s, quote_here or carried, _closing_pronoun(s, state, lexicon) or office)
            state.open_quote = _left_open(sentence, s, carried, state, mentions, lexicon)
            subject = _subject_person(s, persons, lexicon, mentions)  # nothing to claim here; only follow who speaks
            if subject is not None:
                state.last_person = subject
            continue
        dated: list = []  # the sentence's time cue and date, found once a claim needs them
        mentions = _then_officials(s, mentions, gazetteer, dated, published, lexicon)
        holders, persons = _analyse_mentions(s, mentions, lexicon)
        persons = _learn_officials(s, mentions, persons, lexicon, state)
        _note_offices(mentions, state)
        if _asks(s):  # "Will Germany send troops to Ukraine?": the writer asks; nobody takes a stance
            subject = _subject_person(s, persons, lexicon, mentions)
            if subject is not None:
                state.last_person = subject
            continue
        seen: set[tuple[str, str, str]] = set()
        clauses = split_clauses(s, lexicon.clause_splitter, lexicon.fronted, lexicon.new_subject)
        pronoun_speaker = _closing_pronoun(s, state, lexicon)  # '..." he said': the last person named
        closing = closing_speaker(s, holders) if len(clauses) > 1 else None
        if closing is None and len(clauses) > 1:
            closing = pronoun_speaker  # '"I'm ready ..., but there must be a backstop," he said' 
        opening = _opening_source(s, holders) if len(clauses) > 1 else None
        aside = _aside_speaker(s, holders) if len(clauses) > 1 else None
        unnamed_source = opens_with_unnamed_source(s, holders, lexicon)  # "According to the Financial Times, ..."
        unnamed_office = _unnamed_office(s, holders, previous_mentions, sentences, sentence, lexicon)
        office = closing_role(s, lexicon)  # "..., premier says": the office speaks, unnamed
        previous: list[Holder] = []  # the holders of the clause before, in this sentence
        first = len(claims)  # this sentence's claims start here
        timed: set[int] = set()  # ids of its conditional claims that only say "premature"
        meanwhile: set[int] = set()  # ids of its refusals only for as long as the fighting goes on
        for clause in clauses:
            c_text = clause.text
            offset = clause.start
            c_holders = [h for h in holders if clause.start <= h.start < clause.end]
            prior = previous  # the holders of the clause before, in this sentence
            # a subject of its own, named before its verb (not a speaker closing the sentence)
            named = any(h.start < clause.start + 60 for h in c_holders)
            if not c_holders:
                c_holders = _resolve_pronoun_holder(c_text, offset, state, persons, lexicon, sentence.index, s)
            shares_subject = lexicon.shared_subject is not None and lexicon.shared_subject.match(c_text.lstrip())
            if not c_holders and previous and shares_subject:
                c_holders = previous  # "..., but has ruled out sending troops": the same subject
            if not c_holders and previous and _reported_contrast(s, clauses, clause, lexicon):
                c_holders = previous  # "a spokesperson said Germany's path ... was irreversible, but an invitation ... was not"
            previous = c_holders
            if not c_holders and closing is not None and closing.start >= clause.end:
                c_holders = [closing]  # "It's too early ..., as Russia is ..., Kallas said": her words
            if not c_holders and aside is not None and aside[1] <= clause.start:
                c_holders = [aside[0]]  # "Germany will help, Merz said, but a deployment of German soldiers is not on the agenda"
            if not c_holders and opening is not None and opening.end <= clause.start:
                c_holders = [opening]  # "According to the French leader, ..., but such a scenario cannot be ruled out"
            quote = quote_here or carried
            if not c_holders and quote is not None:
                c_holders = [quote.holder]  # a sentence inside a quotation its speaker closes
            c_holders = on_record(c_holders, c_text, s, lexicon, start=offset, unnamed_source=unnamed_source)
            c_holders = [h for h in c_holders if h.via == "official" or not pundit_reports(s, h.start, lexicon)]
            for topic in topics:
                t_holders = [h for h in c_holders
                             if (not topic.is_subject_matter(h, s) or wills(s, h.end, lexicon))
                             and not any(a <= h.start and h.end <= b for a, b, _ in live[topic.id])]  # "NATO ambitions"
                if not t_holders and state.drafters and sentence.index - state.drafters[1] <= _DRAFT_REACH \
                        and draft_speaks(s, lexicon):
                    # 'It also states: "Understanding that Ukraine will not become a member of NATO"': the
                    # terms of the draft whose drafters the article named just before
                    t_holders = [Holder(len(s), len(s), state.drafters[0], _DRAFT_SPEAKER, "document")]
                if not t_holders and state.document and sentence.index in spoken_by_document:
                    # '"We will continue to support it on its irreversible path ...," the declaration says'
                    t_holders = [Holder(len(s), len(s), state.document, document_name(state.document_sentence, lexicon),
                                        "document")]
                in_clause = [(a, b, contrary) for a, b, contrary in live[topic.id] if clause.start <= a < clause.end]
                if not t_holders:
                    # '"Ukraine's rightful place is in NATO. ...," Healey said', '"..., including that Ukraine's
                    # path to NATO is irreversible," he told': the speaker's words (not what follows the
                    # pronoun: '..." he added, referring to promises that Ukraine would join')
                    speaker = quote.holder if quote is not None else pronoun_speaker
                    if speaker is not None and (speaker.via != "pronoun"
                                                or any(a < speaker.start for a, _, _ in in_clause)):
                        t_holders = [speaker]
                if not t_holders and unnamed_office is not None:
                    t_holders = [unnamed_office]
                if not t_holders and c_holders and closing is not None and closing.start >= clause.end \
                        and all(topic.is_subject_matter(h, s) for h in c_holders):
                    # '"Ukraine's place is in NATO, and Estonia will keep saying so," Tsahkna said': its only
                    # name is what the topic is about, so the speaker who closes the sentence says it
                    t_holders = [closing]
                if not t_holders and prior and shares_subject:
                    # "..., but insisted that Ukraine's path to NATO is irreversible": its only names are
                    # what the topic is about, so the subject of the clause before speaks
                    t_holders = [h for h in prior if not topic.is_subject_matter(h, s)]
                if not t_holders and c_holders and lexicon.person_pronoun is not None:
                    # 'He reiterated that "Ukraine will become a member of NATO"': its only name is what the
                    # topic is about, so the pronoun before it speaks
                    t_holders = [h for h in _resolve_pronoun_holder(c_text, offset, state, persons, lexicon,
                                                                    sentence.index)
                                 if h.via == "pronoun" and h.end <= min(x.start for x in c_holders)
                                 and not c_text[:h.start - offset].strip(' "“')]  # the clause's subject, not '..." he added
                if not t_holders:
                    continue  # (checked first: cheaper than the back-reference test, and neither has effects)
                anchors = [(a - offset, b - offset) for a, b, _ in in_clause]
                if not anchors and (not _back_referenced(c_text, topic, lexicon, state, sentence.index, live,
                                                         clause, s, named)
                                    or topic.topic.names_other_subject(c_text)):
                    continue  # nor on another subject: "though he added that Slovakia backed Ukraine's EU bid"
                decision = classifier.classify(ClauseInput(
                    text=c_text, sentence=s, topic=topic.id,
                    holders=tuple((h.start - offset, h.end - offset) for h in t_holders if h.start >= offset),
                    anchors=tuple(anchors),
                ))
                giving_up = _giving_up(in_clause, offset, decision, c_text, lexicon)
                decision = giving_up or decision
                if decision is None:
                    continue
                reported = False  # said of them by someone else: no speaker of their own
                if decision.cue_start is not None:
                    named = t_holders
                    t_holders, reported = governing_holders(named, s, offset + decision.cue_start, lexicon,
                                                            decision.stance)
                    if not t_holders and not reported \
                            and _quoted_before_names(s, offset + decision.cue_start, pronoun_speaker, named):
                        t_holders = [pronoun_speaker]
                if reported and _speculates(s, t_holders, offset + decision.cue_start, lexicon):
                    continue  # "Simonyte said that Moscow would consider this a provocation": a guess
                if decision.cue_start is not None and _background(s, offset + decision.cue_start,
                                                                  _dated(dated, s, published, lexicon)[1], published):
                    continue  # "Macron, who in February refused to rule out ..., did not address it"
                if decision.stance == "support" and decision.cue and decision.cue_start is not None \
                        and _sent_elsewhere(s, offset + decision.cue_start + len(decision.cue), mentions, topic.topic):
                    continue  # "would send additional personnel to Britain to help train Ukrainian recruits"
                if not in_clause and decision.stance != "support" and lexicon.wholes is not None \
                        and lexicon.wholes.search(_cue_segment(c_text, decision.cue_start)):
                    continue  # "declined to endorse the plan as a whole": the package, not the topic in it
                stance = decision.stance
                gives_up = bool(in_clause) and all(contrary for _, _, contrary in in_clause)
                if gives_up and stance != "conditional":
                    stance = "oppose" if stance == "support" else "support"  # backing neutrality opposes membership
                if stance == "oppose" and topic.topic.brakes_in(_cue_segment(c_text, decision.cue_start)) and not (
                        lexicon.always is not None and lexicon.always.search(s)):
                    stance = "conditional"  # "not on the agenda at this stage": a brake on this topic
                for holder in t_holders:
                    confidence = decision.confidence - (0.1 if holder.via == "group" else 0.0)
                    for code in holder.codes:
                        if code == topic.topic.seeker and stance == "oppose" and not gives_up:
                            continue  # Kyiv "dismissed the proposal" (of neutrality): not a refusal of its own goal
                        if code == topic.topic.seeker and stance == "conditional" and not topic.topic.seeker_hedges \
                                and not (giving_up or gives_up):
                            continue  # '"If our partners say it's too early ...," Zelensky said': others' brake on its goal
                        said = stance
                        if code == topic.topic.seeker and giving_up and stance == "oppose":
                            said = "conditional"  # Kyiv "ready to forgo NATO membership" for guarantees: a trade
                        elif gives_up and stance == "conditional" and code != topic.topic.seeker:
                            # "would end the war only if Kyiv accepted neutrality": a condition that Ukraine
                            # give the goal up is a demand against it (Kyiv's own terms stay terms)
                            said = "oppose"
                        key = (code, topic.id, said)
                        if key in seen or (key, s) in state.emitted:
                            continue
                        seen.add(key)
                        state.emitted.add((key, s))
                        time_cue, said_at = _dated(dated, s, published, lexicon)
                        evidence = f"{s} […] {quote.attribution}" if holder.via == "quote" else s
                        if holder.via == "document":
                            named_by = state.drafters[2] if holder.speaker == _DRAFT_SPEAKER else state.document_sentence
                            if named_by != s:
                                evidence = f"{s} […] {named_by}"  # who the document is
                        claims.append(Claim(
                            actor=code, topic=topic.id, stance=said,
                            confidence=round(max(confidence, 0.1), 2), evidence=evidence,
                            speaker=None if reported else (
                                _claim_speaker(holder, code, holders, clause, office)
                                or _quoted_voice(holder, code, quote, pronoun_speaker)),
                            time_cue=time_cue, said_at=said_at, sentence_index=sentence.index,
                            language=lexicon.language,
                        ))
                        if holder.via == "group":
                            from_group[id(claims[-1])] = frozenset(holder.codes)
                        if said == "conditional" and lexicon.timing is not None \
                                and lexicon.timing.search(decision.cue or ""):
                            timed.add(id(claims[-1]))
                        if said == "oppose" and lexicon.meanwhile is not None and lexicon.meanwhile.search(c_text):
                            meanwhile.add(id(claims[-1]))
            if c_holders:
                # "the prime minister" after "Meloni poured cold water on Macron's plan" is Meloni: an
                # owner is what the clause is about, its subject is who acts
                acting = [h for h in c_holders if s[h.end:h.end + 2] not in ("'s", "’s")] or c_holders
                state.last_holders = tuple(c for h in acting for c in h.codes)
                state.last_holder_speaker = next((h.speaker for h in acting if h.speaker), None)
                state.last_holder_sentence = sentence.index
        if timed:  # "highly inappropriate ..., adding that it was completely premature": one refusal
            claims[first:] = _dropped_beside(claims[first:], timed, "oppose")
        if meanwhile:  # "ready to deploy once a peace deal is signed, but no soldiers while the fighting continues"
            claims[first:] = _dropped_beside(claims[first:], meanwhile, "support")
        for topic in topics:
            if live[topic.id]:
                state.topic_anchor_sentence[topic.id] = sentence.index
        state.last_quote = _quote_of(sentence, s, quote_here or carried,
                                     pronoun_speaker or closing_speaker(s, holders) or unnamed_office)
        state.open_quote = _left_open(sentence, s, carried, state, mentions, lexicon, holders)
        subject = _subject_person(s, persons, lexicon, mentions)
        if subject is not None:
            state.last_person = subject
    # "the Nordic and Baltic countries restated their backing", in an article that goes on to name
    # some of them on their own: the group is a summary, and the members it never names (Iceland)
    # took no stance of their own. Named nowhere else, the group speaks for all its members.
    claims = [c for c in claims if id(c) not in from_group or c.actor in named_alone
              or not from_group[id(c)] & named_alone]
    return _outweighed_dropped(claims)


def _dropped_beside(sentence_claims: list[Claim], ids: set[int], stance: str) -> list[Claim]:
    """The sentence's claims without those in `ids` whose actor also takes `stance` on the topic in it."""
    beside = {(c.actor, c.topic) for c in sentence_claims if c.stance == stance}
    return [c for c in sentence_claims if not (id(c) in ids and (c.actor, c.topic) in beside)]


def _outweighed_dropped(claims: list[Claim]) -> list[Claim]:
    """An article that gives one actor two present stances on a topic, one resting on clearly less
    evidence than the other (summed confidence at most OUTWEIGHED of it), is read the stronger way:
    the weaker stance is a misreading of a side remark. A stance placed in the past ("refused in
    February"), a sentence that states both ("backs the force but will send no troops of its own")
    and another named voice of the government (a president against his prime minister) stand."""
    weight: dict[tuple[str, str], dict[str, float]] = {}
    for claim in claims:
        if not claim.time_cue:
            stances = weight.setdefault((claim.actor, claim.topic), {})
            stances[claim.stance] = stances.get(claim.stance, 0.0) + claim.confidence

    def outweighed(claim: Claim) -> bool:
        if claim.time_cue:
            return False
        stances = weight[(claim.actor, claim.topic)]
        strongest = max((w for stance, w in stances.items() if stance != claim.stance), default=0.0)
        if not strongest or stances[claim.stance] > OUTWEIGHED * strongest:
            return False
        others = [o for o in claims if (o.actor, o.topic) == (claim.actor, claim.topic) and o.stance != claim.stance]
        return not (any(o.sentence_index == claim.sentence_index for o in others)
                    or (claim.speaker and claim.speaker not in {o.speaker for o in others}))

    return [claim for claim in claims if not outweighed(claim)]


_CAPITALISED = re.compile(r"(?<![\w'’.-])([A-ZÀ-ÞĀ-Ž][\w'’-]+)")


def _refers_back_to_any(s: str, topics: list[TopicMatcher], state: _DocState, index: int, lexicon: Lexicon) -> bool:
    """Does a sentence without anchors point back to a topic anchored just before it?"""
    recent = [t for t in topics if index_ok(state, t, index, lexicon)]
    return bool(recent) and (any(t.refers_back(s) for t in recent) or _elliptical_stance(s, lexicon))


_ACCORDING_TO = re.compile(r"^\W*according\s+to\s+((?:the\s+)?)", re.IGNORECASE)


def _opening_source(s: str, holders: list[Holder]) -> Holder | None:
    """The source a sentence opens with ("According to the French leader, ..."): it speaks every clause."""
    m = _ACCORDING_TO.match(s)
    return next((h for h in holders if h.start in (m.start(1), m.end())), None) if m else None


_QUOTE_CLOSE = re.compile(r"[\"”»]\s*,?\s*")


_CONTRAST_CUT = re.compile(r"[\s,;–—-]*\bbut\b", re.IGNORECASE)
_OPENS_WITH_A_THING = re.compile(r"\s*(?:the|a|an|any|such|no|its|their|his|her|this|that|these|those)\s", re.IGNORECASE)


def _reported_contrast(s: str, clauses: list, clause, lexicon: Lexicon) -> bool:
    """Is `clause` the second half of reported speech that the first clause opened ("X said
    P, but Q")? Q's subject is a thing, not an actor ("but an invitation ... was not on the
    agenda"): it is still what X said."""
    if len(clauses) < 2 or clause is not clauses[1]:
        return False
    if not _CONTRAST_CUT.match(s, clauses[0].end, clause.start) or not _OPENS_WITH_A_THING.match(clause.text):
        return False  # "..., but wanted clarity": a verb of the subject before, not a statement of its own
    return any(w.lower() in lexicon.reporting for w in WORD.findall(clauses[0].text[:120]))


def _pronoun_attribution(s: str, lexicon: Lexicon) -> tuple[re.Match, re.Match] | None:
    """The closing mark and the pronoun of '..." he said' in `s`, if a quotation closes that way."""
    if lexicon.person_pronoun is None:
        return None
    for close in _QUOTE_CLOSE.finditer(s):
        pronoun = lexicon.person_pronoun.match(s, close.end())
        if pronoun is None:
            continue
        verb = re.match(r"\s+([\w'’]+)", s[pronoun.end():])
        if verb and verb.group(1).lower() in lexicon.reporting:
            return close, pronoun
    return None


def _quoted_before_names(s: str, cue: int, pronoun: Holder | None, named: list[Holder]) -> bool:
    """Is the cue inside a quotation that opens the sentence and that '..." he said' closes, with
    every name coming after it ('"We do not plan to send soldiers," he said, arguing that Poland's
    part would be logistics')? The names hold their own clause; the quoted words are the speaker's,
    unless they report what unnamed others do ("a number of member states are considering ...")."""
    return pronoun is not None and opens_quotation(s) and cue < pronoun.start \
        and all(h.start > pronoun.start for h in named) and not unnamed_subject(s, 0, cue)


def _closing_pronoun(s: str, state: _DocState, lexicon: Lexicon) -> Holder | None:
    """The person a quotation's closing '..." he said' points back to, as the speaker of
    the quotation's clauses."""
    found = _pronoun_attribution(s, lexicon) if state.last_person is not None else None
    if found is None:
        return None
    name, codes = state.last_person
    return Holder(found[1].start(), found[1].end(), codes, name, "pronoun") if codes else None


_ASIDE = re.compile(r",\s+((?:[A-Z][\w.’'-]+\s+){0,3}[A-Z][\w.’'-]+)\s+(?:said|says|added|stressed|insisted|told\s+\w+)\s*,")


def _aside_speaker(s: str, holders: list[Holder]) -> tuple[Holder, int] | None:
    """The speaker named in an aside in mid-sentence (", Merz said,"), and where the aside ends:
    the clauses after it that name no holder are that speaker's words."""
    m = _ASIDE.search(s)
    if m is None:
        return None
    inside = [h for h in holders if m.start(1) <= h.start and h.end <= m.end(1)]
    return (inside[0], m.end()) if inside else None


def _cue_segment(text: str, cue: int | None) -> str:
    """The clause up to the first comma after its cue: what a brake must be in to brake the cue
    ("will not support Ukraine joining NATO ..., reviving a dispute a week after Zelensky asked for an
    immediate invitation": that request is not his brake)."""
    if cue is None:
        return text
    comma = text.find(",", cue)
    return text if comma < 0 else text[:comma]


def _speculates(s: str, holders: list[Holder], cue: int, lexicon: Lexicon) -> bool:
    """Is what a reporter says of the holders a guess ("Moscow would consider ...")?"""
    if not lexicon.speculative or not holders:
        return False
    start = min(h.end for h in holders)
    return start <= cue and any(w.lower() in lexicon.speculative for w in WORD.findall(s[start:cue + 12]))


_ELLIPSIS_REACH = 2  # sentences back
# What may follow a stance that names no object: "she was sceptical.", "premature to talk about it"
_ELLIPSIS_TAIL = re.compile(
    r"^(?:\s+(?:to|talk|talking|discuss|discussing|speak|speaking|speculate|decide|say|about|on|of|it|this|that|"
    r"so|far|for|now|yet|too|as|well|either|at|the|moment|stage|time|being|still|also|such|a|move|step|in|advance))*"
    r"\s*(?:[.,;:!?\"”’)»«“„]*\s*(?:$|(?<=[\s,;\"”’])(?:but|while|whereas|although|though)\b)"
    # or a clause of its own after it: 'did "not rule anything out", but that a peace had to come first'
    r"|[\"”’]?\s*,\s*(?:but|while|whilst|though|although|and\s+that|adding|stressing|noting)\b)", re.IGNORECASE)
_TRAILING_ATTRIBUTION = re.compile(
    r"[,\"”]+\s*(?:he|she|they|[A-Z][\w.’'-]+(?:\s+[A-Z][\w.’'-]+)*)\s+(?:has\s+)?(?:said|says|told\s+\w+|added|stated)"
    r"\b[^\"“”]*$")


def _elliptical_stance(text: str, lexicon: Lexicon) -> bool:
    """Does the text take a stance with no object ("Meloni said she was sceptical.", '"It is premature to
    talk about it," he said'): one on the topic of the sentences just before?"""
    if lexicon.elliptical_stances is None or lexicon.elliptical_stances.search(text) is None:
        return False
    text = _TRAILING_ATTRIBUTION.sub("", text)
    return any(_ELLIPSIS_TAIL.match(text[m.end():]) or _closing_attribution(text[m.end():], lexicon)
               for m in lexicon.elliptical_stances.finditer(text))


_QUOTE_THEN_COMMA = re.compile(r"^\s*[»\"”’]\s*[,–—-]\s*")


def _closing_attribution(tail: str, lexicon: Lexicon) -> bool:
    """Is the rest of the sentence only the quotation's attribution, in any language ('... »,
    a déclaré Emmanuel Macron.')?"""
    m = _QUOTE_THEN_COMMA.match(tail)
    if m is None or len(tail) - m.end() > 120:
        return False
    return any(w.lower() in lexicon.reporting for w in re.findall(r"[\w'’-]+", tail[m.end():]))


_THEN_DAYS = 60


def _then_officials(s: str, mentions: list, gazetteer, dated: list, published: date | None, lexicon: Lexicon) -> list:
    """The mentions of a sentence that the text places well before the article, with the officials
    who held office then ("A year ago, Rishi Sunak's government said ..." in 2025: Sunak speaks for
    the UK). The gazetteer finds the same names on any date; only a name that speaks for no actor
    on the article's date can read differently then."""
    if published is None or not any(m.via == "official" and not m.codes for m in mentions):
        return mentions
    said_at = _dated(dated, s, published, lexicon)[1]
    then = date.fromisoformat(said_at[:10]) if said_at else published
    if (published - then).days < _THEN_DAYS:
        return mentions
    held = {(m.start, m.end): m for m in gazetteer.find_mentions(s, on=then) if m.via == "official" and m.codes}
    return [held.get((m.start, m.end), m) if m.via == "official" and not m.codes else m for m in mentions]


def _dated(dated: list, s: str, published: date | None, lexicon: Lexicon) -> tuple[str | None, str | None]:
    """(time cue, said-at date) of a sentence, computed on first use and kept in `dated`."""
    if not dated:
        cue = lexicon.find_time_cue(s)
        dated.extend((cue.text if cue else None, estimate_said_at(cue, published, lexicon.months)))
    return dated[0], dated[1]


_QUOTE_MARKS = re.compile(r"[\"“”„«»]")


_WHO_CLAUSE = re.compile(r",\s+who\s+[^,;]{0,200}?,")
_BACKGROUND_DAYS = 30


def _background(s: str, cue: int, said_at: str | None, published: date | None) -> bool:
    """Is the cue in a relative clause that tells who the holder is by a stance dated well before
    the article ("Macron, who in February caused a stir by declining to exclude ..., has been
    lobbying")? Background, not a stance the article reports."""
    if said_at is None or published is None:
        return False
    if (published - date.fromisoformat(said_at[:10])).days < _BACKGROUND_DAYS:
        return False
    return any(m.start() < cue < m.end() for m in _WHO_CLAUSE.finditer(s))


def _asks(s: str) -> bool:
    """Is the sentence a question in the writer's own voice (not inside a quotation)?"""
    return s.rstrip().endswith("?") and _QUOTE_MARKS.search(s) is None


def _placed_elsewhere(s: str, end: int, mentions, topic, lexicon: Lexicon) -> bool:
    """Is the anchor ending at `end` placed in a country the topic is not about ("a brigade in
    Lithuania", "troops to Poland") when the topic is `located`?"""
    if not topic.located:
        return False
    m = _PLACE_AFTER.match(s, end)
    if m is None or m.group(1).lower() not in lexicon.prepositions or m.group(1).lower() in _NOT_PLACING:
        return False
    rest = s[m.end():]
    article = re.match(r"(\w+)\s+", rest)
    at = m.end() + (article.end() if article and article.group(1).lower() in lexicon.articles else 0)
    return _foreign_place(next((x for x in mentions if x.start == at), None), topic)


def _foreign_place(place, topic) -> bool:
    """Is the mention a country (by name or capital) other than the places the topic is about?"""
    return place is not None and place.via in ("name", "capital") and not topic.is_place(place.text) \
        and all(len(code) == 2 and code not in ("EU", "UN") for code in place.codes)


_SENT_TO = re.compile(r"(?:\s+[\w’'-]+){0,4}?\s+(?:to|into)\s+(?:the\s+)?")


def _sent_elsewhere(s: str, cue_end: int, mentions, topic) -> bool:
    """Does the cue send what it sends to a country the topic is not about ("would send additional
    defence personnel to Britain")? Only for a `located` topic, and only its first destination."""
    m = _SENT_TO.match(s, cue_end) if topic.located else None
    return m is not None and _foreign_place(next((x for x in mentions if x.start == m.end()), None), topic)


_PASSIVE_AUXILIARIES = frozenset({"was", "were", "been", "being"})
_PLACE_AFTER = re.compile(r"\s+(\w+)\s+")
_NOT_PLACING = frozenset({"by", "from", "of", "for", "with", "than", "like", "against", "about", "after", "before",
                          "including", "among", "despite", "between", "over"})


def _learn_officials(s: str, mentions, persons, lexicon: Lexicon, state: _DocState):
    """Persons the gazetteer does not know but the article introduces by office ("Estonian Prime
    Minister Kristen Michal", "Kristen Michal, Estonia's prime minister"): later in the article,
    their surname speaks for that actor, and "he"/"she" point back to them."""
    learned = []
    for person in persons:
        start, end, name, codes = person
        if not codes and len(name.split()) >= 2:
            office = _office_of(s, start, end, mentions, lexicon)
            if office:
                known = Official(name, (), "office named in the article", office[0], None, None, True, True)
                state.surnames.setdefault(name.split()[-1], Mention(start, end, name, office, "official", (known,)))
                person = (start, end, name, office)
        learned.append(person)
    return learned


_POSSESSIVE = re.compile(r"^\s*(?:'s|’s)?\s*")
_APPOSITION = re.compile(r",\s+(?:the\s+)?")


def _office_of(s: str, start: int, end: int, mentions, lexicon: Lexicon) -> tuple[str, ...]:
    """The actor whose office introduces a person named at [start, end), if any."""
    for m in mentions:
        if m.via not in ("adjective", "name", "people", "capital") or not m.codes:
            continue
        if m.end <= start and start - m.end <= 40:  # "Estonian Prime Minister Kristen Michal"
            title = s[m.end:start]
        elif m.start >= end and (a := _APPOSITION.match(s, end)) and a.end() == m.start:
            title = s[m.end:m.end + 40].split(",")[0]  # "Kristen Michal, Estonia's prime minister,"
        else:
            continue
        title = _POSSESSIVE.sub("", title, count=1).strip().lower()
        if title and lexicon.roles.fullmatch(title) and not _non_speaker_before(s, start, lexicon, 6):
            return tuple(m.codes)
    return ()


def _with_surnames(s: str, mentions: list, state: _DocState) -> list:
    """Mentions plus the surnames of officials named in full earlier in the article: after
    "Jake Sullivan", a bare "Sullivan" (not listed alone, as a common name) is him."""
    for m in mentions:
        words = m.text.split()
        if m.via == "official" and len(words) >= 2:
            state.surnames.setdefault(words[-1].rstrip("'’s"), m)
    if not state.surnames:
        return mentions
    extra = []
    for word in _CAPITALISED.finditer(s):
        known = state.surnames.get(word.group(1).removesuffix("'s").removesuffix("’s"))
        if known is None or any(m.start <= word.start() < m.end for m in mentions):
            continue
        extra.append(replace(known, start=word.start(), end=word.end(), text=word.group(0)))
    return sorted(mentions + extra, key=lambda m: m.start) if extra else mentions


def _quotations(sentences, gazetteer, lexicon: Lexicon, published: date | None) -> dict[int, QuoteSpeaker]:
    """Sentence index -> the speaker who closes the quotation of several sentences it is in."""
    paragraphs: dict[int, list] = {}
    for sentence in sentences:
        paragraphs.setdefault(sentence.paragraph, []).append(sentence)
    found: dict[int, QuoteSpeaker] = {}
    for group in paragraphs.values():
        # the quotation may open mid-paragraph: 'He was blunt. "Ukraine's place is in NATO. That
        # has not changed," Healey said.'
        opened = None
        for k, sentence in enumerate(group):
            if opens_quotation(sentence.text) and _CLOSING_MARK.search(sentence.text, 1) is None:
                opened = k if opened is None else opened
                continue
            if opened is None:
                continue
            last = sentence.text
            holders, _ = _analyse_mentions(last, gazetteer.find_mentions(last, on=published), lexicon)
            speaker = quote_speaker(last, holders, lexicon) or _pronoun_closes(last, lexicon)
            office = _office_closes(last, holders, group[opened], sentences, gazetteer, lexicon, published) \
                if speaker is None else None
            if office is not None:  # '"... Our goal remains membership," spokesman Tykhyi said'
                found.update((s.index, office) for s in group[opened:k + 1])
                opened = None
            elif speaker is not None:
                found.update((s.index, speaker) for s in group[opened:k])
                opened = None
            elif _CLOSING_MARK.search(last):
                opened = None  # closed without a speaker
    return found


_CLOSING_MARK = re.compile(r"[\"”»]")  # after the opening one: the quotation closes in its sentence


def _unnamed_office(s: str, governments: list, previous_mentions: list, sentences, sentence,
                    lexicon: Lexicon) -> Holder | None:
    """'Downing Street was more guarded. "There are no plans ...," a spokesperson said' (or 'The
    spokesperson said there were no plans ...'): an office no country or name comes with, closing a
    quotation or opening the sentence, speaks for the government the sentence before gives the floor
    to (`governments`: the sentence's holders, or its government mentions)."""
    if lexicon.unnamed_closer is None or sentence.index == 0:
        return None
    closer = lexicon.unnamed_closer.search(s) if opens_quotation(s) else lexicon.unnamed_opener.match(s)
    if closer is None or any(m.start >= closer.start() for m in governments):
        return None  # '...," a spokesperson for Macron said': named after all
    office = _office_holder(s, closer, sentences[sentence.index - 1].text, previous_mentions, lexicon)
    if office is None or any(set(m.codes) != set(office.codes) for m in governments):
        return None  # a quotation that names another government: whose office speaks is unclear
    return office


def _office_closes(last: str, holders: list, first, sentences, gazetteer, lexicon: Lexicon,
                   published: date | None) -> QuoteSpeaker | None:
    """A quotation of several sentences closed by an office no country comes with ('...," a
    spokesperson said'): it speaks for the government the sentence before the quotation names."""
    closer = lexicon.unnamed_closer.search(last) if lexicon.unnamed_closer is not None else None
    if closer is None or first.index == 0 or any(h.start >= closer.start() for h in holders):
        return None
    before = sentences[first.index - 1].text
    office = _office_holder(last, closer, before, gazetteer.find_mentions(before, on=published), lexicon)
    return QuoteSpeaker(office, attribution_text(last[closer.start() + 2:])) if office else None


def _office_holder(text: str, closer: re.Match, before: str, before_mentions: list, lexicon: Lexicon) -> Holder | None:
    """The office that closes `text` (`closer`), speaking for the government `before` gives the floor to."""
    codes = _speaking_government(before, before_mentions, lexicon)
    return Holder(len(text), len(text), codes, " ".join(closer.group(1).lower().split()), "office") if codes else None


def _speaking_government(text: str, mentions: list, lexicon: Lexicon) -> tuple[str, ...]:
    """The government a sentence gives the floor to: the only one it names, or the one whose
    office opens it ("Ukraine's Foreign Ministry rejected Orbán's comments.")."""
    mentions = [m for m in mentions if m.via in _GOVERNMENT_VIAS]
    codes = {c for m in mentions for c in m.codes}
    if len(codes) == 1:
        return tuple(codes)
    first = mentions[0] if mentions else None
    if first is None or len(first.codes) != 1 or text[:first.start].strip(" \"“'‘").lower() not in ("", "the"):
        return ()
    office = _OFFICE_AFTER.match(text, first.end)
    words = office.group(1).lower().split() if office else []
    return first.codes if any(" ".join(words[:n]) in lexicon.speaking_roles for n in (1, 2)) else ()


_OFFICE_AFTER = re.compile(r"['’]s\s+([A-Za-z]+(?:\s+[A-Za-z]+)?)")


_ENDS_QUOTED = re.compile(r"[\"”»][\s.]*$")


def _resolve_quote(quote: QuoteSpeaker, state: _DocState, resolved: dict) -> QuoteSpeaker | None:
    """The speaker of a quotation closed by '..." he said': the person named before it opened."""
    key = id(quote)
    if key not in resolved:
        person = state.last_person
        resolved[key] = None if person is None or not person[1] else QuoteSpeaker(
            Holder(quote.holder.start, quote.holder.end, person[1], person[0], "quote"), quote.attribution)
    return resolved[key]


def _carried_quote(sentence, s: str, state: _DocState) -> QuoteSpeaker | None:
    """A sentence that is all quotation, right after an attributed one in the same paragraph,
    goes on with its speaker."""
    if not opens_quotation(s) or not _ENDS_QUOTED.search(s):
        return None
    return _just_before(state.last_quote, sentence)


def _just_before(quote: tuple | None, sentence) -> QuoteSpeaker | None:
    """The speaker of a quotation recorded for the sentence just before this one, in its paragraph."""
    if quote is None:
        return None
    paragraph, index, speaker = quote
    return speaker if paragraph == sentence.paragraph and index == sentence.index - 1 else None


# 'Kristersson said: "Sweden's road into NATO is now complete. Ukraine's future also lies in NATO."':
# a quotation its speaker introduces, left open at the end of the sentence
_INTRODUCED = re.compile(r"\b(?:said|says|told|tells|added|adds|stated|declared|insisted|stressed|warned|wrote|"
                         r"explained|replied|answered|writes)\b[^:\"“”.]{0,60}:\s*[\"“][^\"”]*$")


def _left_open(sentence, s: str, carried: QuoteSpeaker | None, state: _DocState, mentions, lexicon: Lexicon,
               holders: list[Holder] | None = None) -> tuple | None:
    """The speaker of a quotation still open when this sentence ends: one carried on with no
    closing mark, or one this sentence introduces ('..., she told reporters: "...')."""
    if carried is not None and state.open_quote is not None and carried is state.open_quote[2]:
        return None if _CLOSING_MARK.search(s) else (sentence.paragraph, sentence.index, carried)
    m = _INTRODUCED.search(s)
    if m is None:
        return None
    if holders is None:
        holders, _ = _analyse_mentions(s, mentions, lexicon)
    before = [h for h in holders if h.end <= m.start() and h.codes]
    word_before = s[:m.start()].split()[-1:]  # '..., he said: "'
    if before:
        h = before[-1]
        speaker = Holder(len(s), len(s), h.codes, h.speaker, "quote")
    elif word_before and word_before[0].lower() in lexicon.person_pronouns \
            and state.last_person is not None and state.last_person[1]:
        name, codes = state.last_person
        speaker = Holder(len(s), len(s), codes, name, "quote")
    else:
        return None
    return sentence.paragraph, sentence.index, QuoteSpeaker(speaker, s[m.start():m.start() + 60])


def _quote_of(sentence, s: str, quote: QuoteSpeaker | None, closer: Holder | None) -> tuple | None:
    """What a next sentence of quotation would carry on from this one."""
    closes = list(_QUOTE_CLOSE.finditer(s)) if quote is None and closer is not None and closer.codes else []
    if closes:
        quote = QuoteSpeaker(Holder(len(s), len(s), closer.codes, closer.speaker, "quote"),
                             attribution_text(s[closes[-1].end():]))
    return None if quote is None else (sentence.paragraph, sentence.index, quote)


def _pronoun_closes(last: str, lexicon: Lexicon) -> QuoteSpeaker | None:
    """A quotation of several sentences closed by '..." he said': its speaker is the person named
    before it, found when the quotation is reached (a holder with no codes yet, via "pronoun")."""
    found = _pronoun_attribution(last, lexicon)
    if found is None:
        return None
    return QuoteSpeaker(Holder(len(last), len(last), (), None, "pronoun"), attribution_text(last[found[0].end():]))


def _document_quotations(sentences, lexicon: Lexicon) -> set[int]:
    """Indexes of the sentences a document speaks: a quotation (of one or several sentences)
    closed by '"..., " the document reads', or "according to the declaration"."""
    found: set[int] = set()
    paragraphs: dict[int, list] = {}
    for sentence in sentences:
        paragraphs.setdefault(sentence.paragraph, []).append(sentence)
        if document_speaks(sentence.text, lexicon):
            found.add(sentence.index)
    for group in paragraphs.values():
        if opens_quotation(group[0].text) and group[-1].index in found:
            found.update(sentence.index for sentence in group)
    return found


def index_ok(state: _DocState, topic: TopicMatcher, index: int, lexicon: Lexicon) -> bool:
    """Was the topic anchored recently enough for a back-reference to reach it?"""
    last = state.topic_anchor_sentence.get(topic.id)
    return last is not None and index - last <= lexicon.back_reach


def compile_topic(topic, lexicon: Lexicon, where: str) -> TopicMatcher:
    """Wrap a Topic with the lexicon's topic-independent back-references ("the idea")."""
    return TopicMatcher(topic, compile_phrases(lexicon.back_reference_phrases, f"{where} back_references",
                                               elided=lexicon.elided),
                        elliptical=lexicon.elliptical)


# --- holders -------------------------------------------------------------------


_GOVERNMENT_VIAS = frozenset({"name", "capital", "metonym", "official"})
_DATELINE_PLACE = re.compile(r"(?:/[\w ]+)?\s*(?:,\s*(?:\d|[A-Z][a-z]+\.? \d)|\(|[–—-])")
_DATELINE_CITY = re.compile(r"[A-ZÀ-Þ][A-ZÀ-Þ .'’/-]+,\s*")
_DATELINE_END = re.compile(r"\s*(?:\([^)]{1,40}\))?\s*[—–-]")


def _in_dateline(s: str, m) -> bool:
    """Is the mention the place of a dateline: "Riga, 30 April 2025 (dpa) - ...", "BÜRGENSTOCK,
    Switzerland (AP) — ..."?"""
    if m.start == 0:
        return _DATELINE_PLACE.match(s, m.end) is not None
    return _DATELINE_CITY.fullmatch(s, 0, m.start) is not None and _DATELINE_END.match(s, m.end) is not None


def _analyse_mentions(s: str, mentions, lexicon: Lexicon, *, persons_only: bool = False,
                      ) -> tuple[list[Holder], list[tuple[int, int, str, tuple[str, ...]]]]:
    """Holder mentions of a sentence, and every person named in it (start, end, name, codes).
    With `persons_only`, only the persons (a sentence with nothing to claim)."""
    persons: list[tuple[int, int, str, tuple[str, ...]]] = []
    chains = _chains(s, mentions, lexicon)
    holders: list[Holder] = []
    for chain in chains:
        first, last = chain[0], chain[-1]
        oblique = not persons_only and _oblique(s, first.start, first.end, lexicon) \
            and not (last is not first and _RELATIVE_SUBJECT.match(s, last.end))  # "to Bratislava and Budapest, both of which have"
        for m in chain:
            if m.via == "official":
                name = m.officials[0].name if m.officials else m.text
                former = _non_speaker_before(s, m.start, lexicon, 6)
                codes = () if former else tuple(m.codes)
                persons.append((m.start, m.end, name, codes))
                if codes and not oblique:
                    holders.append(Holder(m.start, m.end, codes, name, "official"))
                continue
            if persons_only or oblique or _non_speaker_before(s, m.start, lexicon, 2):
                continue
            if m.via in ("metonym", "capital") and re.match(r"^\s+(?:in|of)\s+[A-Z]", s[m.end:]):
                continue  # "the Chancellery in Tallinn" is Estonia's, not Germany's
            if _in_dateline(s, m):
                continue  # where the story was filed, not who speaks
            role = _role_after(s, last.end, lexicon)
            if role is False:
                continue  # "opposition leader", "Army chief"
            if m.via == "adjective" or (m.via == "people" and role is None):
                if role is None and not (m.via == "people" and _RELATIVE_SUBJECT.match(s, m.end)):
                    continue  # "Polish troops", "Ukrainian soil"
            elif role is None and _thing_after(s, last.end, lexicon):
                continue  # "NATO troops", "the UK's armed forces"
            # "Estonia's prime minister said": the actor's own voice, though no name is given
            speaker = role if isinstance(role, str) and role.lower() in lexicon.speaking_roles else None
            holders.append(Holder(m.start, m.end, tuple(m.codes), speaker, m.via))
    for match in _GENERIC_PERSON.finditer(s):
        words = match.group(1).split()
        if any(w.rstrip("'’s") in _NOT_NAME_WORDS or w in _NOT_NAME_WORDS for w in words):
            continue
        if any(w.lower() in lexicon.articles or w.lower() in lexicon.prepositions for w in words):
            continue  # German nouns are capitalised: "Ein Einsatz" is no person
        if any(p[0] <= match.start(1) < p[1] or match.start(1) <= p[0] < match.end(1) for p in persons):
            continue
        if any(m.start <= match.start(1) < m.end or match.start(1) <= m.start < match.end(1) for m in mentions):
            continue
        persons.append((match.start(1), match.end(1), match.group(1), ()))
    persons.sort()
    return holders, persons


_FINITE_AFTER = re.compile(r"\s+(?:did|does|do|has|have|had|is|are|was|were|will|would|could|can|cannot|should|must|"
                           r"may|might|said|says|told|remains|remained|[a-z]+ed)\b")


def _chains(s: str, mentions, lexicon: Lexicon) -> list[list]:
    """Mentions joined by commas/and/or ("Germany, Poland, and the Czech Republic") form one chain."""
    chains: list[list] = []
    for n, m in enumerate(mentions):
        if chains:
            prev = chains[-1][-1]
            between = s[prev.end:m.start]
            if between.strip() == "," and (_titles_a_speaker(m, mentions[n + 1:n + 2]) or (
                    m.via == "official" and REPORTING.match(s[m.end:]))):
                chains.append([m])  # "...of NATO, U.S. Adviser Jake Sullivan said", "..., Sanchez said": a new subject
                continue
            if between.strip() == "," and len(chains[-1]) == 1 and _fronted_place(s, prev, m, mentions[n + 1:n + 2],
                                                                               lexicon):
                chains.append([m])  # "In Washington, White House spokesman John Kirby said": where, then who
                continue
            if between.strip() == "," and lexicon.language == "en" and _FINITE_AFTER.match(s, m.end):
                chains.append([m])  # "Asked about troops for Ukraine, Sweden did not rule it out": a new subject
                continue
            if lexicon.new_subject is not None and lexicon.new_subject.match(s, prev.end) \
                    and PREDICATE.search(s, 0, prev.start):
                chains.append([m])  # "..., and Latvia is considering it": a clause of its own
                continue
            if lexicon.list_joiner.fullmatch(between) and not ("," in between and m.via == "adjective"
                                                               and _role_after(s, m.end, lexicon)):
                chains[-1].append(m)  # not "for Ukraine, the Finnish president replied": a new subject
                continue
        chains.append([m])
    return chains


def _fronted_place(s: str, place, m, following, lexicon: Lexicon) -> bool:
    """Is `place` a place that opens the sentence ("In Washington,") and `m`, after its comma, a seat
    with an office ("White House spokesman"), not the next place of a list ("In Berlin, Paris and London")?"""
    if place.via not in ("name", "capital") or s[:place.start].strip(" \"“'(").lower() not in lexicon.prepositions:
        return False
    listed_on = bool(following) and lexicon.list_joiner.fullmatch(s[m.end:following[0].start]) is not None
    return not listed_on and isinstance(_role_after(s, m.end, lexicon), str)


def _titles_a_speaker(m, following) -> bool:
    """Is the mention the country of the official named right after it ("U.S. Adviser Jake Sullivan")?"""
    return bool(following) and following[0].via == "official" and following[0].start - m.end <= 60 \
        and set(following[0].codes) & set(m.codes) != set()


def _words_before(s: str, start: int, n: int = 8) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(s[max(0, start - 120):start])][-n:]


_PLACE_PREPOSITIONS = frozenset({"in", "at", "from", "near", "outside", "to"})
_TIME_PREPOSITIONS = TIME_PREPOSITIONS | {"amid", "despite"}


def _object_position(before: str, lexicon: Lexicon) -> bool:
    """Is a pronoun after `before` an object: after a preposition, or after a lower-case word
    (a verb) that opens no clause ("support it", "warns against it"; not "said it", "that it")?"""
    lower = before.lower()
    if lower in lexicon.prepositions:
        return True
    return before.isalpha() and before.islower() and not (
        lower in lexicon.subject_openers or lower in lexicon.subordinators or lower in lexicon.clause_subordinators
        or says(before, lexicon))


def _oblique(s: str, start: int, end: int, lexicon: Lexicon) -> bool:
    """Is the mention governed by a preposition that makes it a place or recipient?"""
    raw = WORD.findall(s[max(0, start - 120):start])
    i = len(raw) - 1
    # walk back over titles and names: "with German opposition leader [Friedrich Merz]", and over
    # the "of" inside a title: "joined by U.S. Secretary of State [Marco Rubio]"
    while i >= 0 and (_skippable(raw[i], lexicon) or (
            raw[i] == "of" and 0 < i < len(raw) - 1 and raw[i - 1][:1].isupper() and raw[i + 1][:1].isupper())):
        i -= 1
    if i < 0:
        return False
    governor = raw[i].lower().replace("’", "'")
    if governor == "," and i >= 2 and raw[i - 1][:1].isupper() and raw[i - 2].lower() in _PLACE_PREPOSITIONS \
            and re.match(r"\s*(?:[,.;)]|$)", s[end:]):
        return True  # "a new NATO command in Wiesbaden, Germany": the country of a place
    possessed = re.match(r"^(?:'s|’s|'|’)\s+(?:[a-z-]+\s+)??([a-z]+)\b", s[end:])
    if possessed and possessed.group(1) in lexicon.possessed_cues:
        return False  # "support for Macron's proposal": France holds the proposal
    if possessed and governor in _TIME_PREPOSITIONS:
        return True  # "has said repeatedly since Macron's remarks that ...": a time, not a holder
    if _RELATIVE_SUBJECT.match(s, end):
        return False  # "a non-starter for Kyiv, which wants to join": the subject of its relative clause
    if governor in lexicon.clause_subordinators and _VERB_AFTER.match(s, end):
        return False  # ", after Macron refused to rule out ...": the subject of a clause of its own
    if governor in lexicon.subordinators:
        return True  # "only if the United States provides...": the condition's subject
    if governor in lexicon.prepositions:
        if governor in lexicon.reception_prepositions and lexicon.reception is not None \
                and lexicon.reception.search(s, 0, start) is not None:
            return False  # "met with rejection in Berlin and Rome": the places that reject it
        if governor == "to" and i > 0 and raw[i - 1].lower() == "according":
            return False  # "according to the Kremlin": the source speaks
        if governor == "of" and i > 0 and (lexicon.roles.fullmatch(raw[i - 1].lower())
                                           or raw[i - 1].lower() in lexicon.possessed_cues):
            return False  # "the leaders of France and Britain said", "the willingness of Britain"
        if governor == "in" and i > 0 and raw[i - 1].lower() in _BODIES and (i < 2 or raw[i - 2].lower() in (
                "the", ",", "(") or raw[i - 2].lower() in TITLE_WORDS or raw[i - 1][:1].isupper()):
            return False  # "the government in Rome has ruled out", "Officials in Berlin said"
        if governor == "with" and _ABSOLUTE.match(s, end):
            return False  # absolute construction: "with Germany throwing its weight behind", "with Germany and Poland cool on"
        context = [w.lower() for w in raw[max(0, i - 3):i] if w not in ",;"]
        if governor in lexicon.agent_prepositions and any(w in lexicon.agent_nouns for w in context):
            return False
        if governor in ("for", "to") and any(w in lexicon.for_nouns for w in context):
            return False  # "out of the question for Hungary", "unacceptable to Russia": their judgement
        if governor == "by" and any(w.lower() in lexicon.by_words or w.lower() in _PASSIVE_AUXILIARIES
                                    for w in raw[max(0, i - 4):i]):
            return False  # "floated by Macron", "was shot down by Tusk": the agent
        return True
    if governor in lexicon.subject_openers or not governor[:1].isalpha() or not lexicon.object_after_verb:
        return False
    return True  # after a verb or noun: an object ("to assist Ukraine")


# After "with" and a name (or a list of names), a participle or a predicate adjective makes the
# names the subject of an absolute construction, not a companion.
_ABSOLUTE = re.compile(r"(?:'s\s+)?(?:\s*(?:,|and|or)\s+(?:the\s+)?[A-Z][\w.’-]*(?:\s+[A-Z][\w.’-]*)*)*\s*"
                       r"(?:(?:all|both)\s+)?(?:\w+ing|cool|opposed|reluctant|sceptical|skeptical|ready|willing|wary|hesitant|open|keen"
                       r"|prepared|against|in\s+favou?r)\b")


_BODIES = frozenset({"government", "governments", "officials", "authorities", "leadership", "leaderships", "administration",
                     "cabinet", "ministry", "ministries"})


def _skippable(word: str, lexicon: Lexicon) -> bool:
    """Words between a name and what governs it: titles, other names, articles."""
    lower = word.lower()
    if lower in ("'s", "’s", "both", "either", "neither") or lower in lexicon.articles:
        return True
    if lower in lexicon.prepositions or lower in lexicon.subject_openers or lower in lexicon.subordinators:
        return False  # a capitalised "After", "In" or "If" opening the sentence still governs
    return word[:1].isupper() or lower in TITLE_WORDS or lower in lexicon.epithets \
        or lexicon.roles.fullmatch(lower) is not None


def _non_speaker_before(s: str, start: int, lexicon: Lexicon, n: int) -> bool:
    """Is the mention introduced as a non-speaker ("former president", "far-right")? A comma
    ends the introduction: "At a meeting with lawmakers, the French leader said"."""
    before = lexicon.as_officials(s[max(0, start - 120):start])
    words = _words_before(before, len(before), n)
    cut = max((i for i, w in enumerate(words) if w in (",", ";", ":", "(", ")")), default=-1)
    return any(w in lexicon.non_speakers or w.startswith("ex-") for w in words[cut + 1:])


def _role_after(s: str, end: int, lexicon: Lexicon):
    """The role noun that follows ("German Chancellor" -> "Chancellor"), False if a non-speaker
    one does ("German opposition leader"), None if neither."""
    tail = lexicon.as_officials(s[end:end + 60])
    tail = re.sub(r"^(?:'s|’s|')", "", tail)
    words = re.findall(r"[\w-]+", tail)[:4]
    for k in range(len(words)):
        rest = " ".join(words[k:])
        role = lexicon.roles.match(rest)
        if role:
            if any(w.lower() in lexicon.non_speakers for w in words[:k + 1]):
                return False
            return role.group(0)
        if words[k].lower() in lexicon.non_speakers:
            return False
        if lexicon.things.match(rest):
            return None
    return None


def _thing_after(s: str, end: int, lexicon: Lexicon) -> bool:
    raw = s[end:end + 60]
    possessive = re.match(r"^(?:'s|’s|')", raw) is not None
    tail = re.sub(r"^(?:'s|’s|')", "", raw).lstrip().lstrip("\"“”")  # a US "backstop"
    if lexicon.things.match(tail):
        return True
    if not possessive:
        return False
    # after a possessive, one adjective may come first: "the UK's current armed forces"
    m = re.match(r"[a-z][\w-]*\s+", tail)
    return bool(m and lexicon.things.match(tail[m.end():]))


_PLURAL_GROUP = re.compile(r"\b(?:countries|allies|members|states|nations|governments|partners|leaders|capitals)\b",
                           re.IGNORECASE)


_OWN_SUBJECT_SAID = re.compile(r"^\W*(?:The|A|An)\s+[^,;]*?(?:,[^,;]*,)?\s+(?:has\s+|have\s+|had\s+)?"
                               r"(?:said|says|told\s+\w+|added|stated|insisted|announced|warned)\s+(?:that\s+)?$")


def _resolve_pronoun_holder(c_text: str, offset: int, state: _DocState, persons, lexicon: Lexicon,
                            index: int, whole: str = "") -> list[Holder]:
    m = lexicon.person_pronoun.search(c_text)
    said = _SPEAKER_BEFORE_PRONOUN.search(c_text[:m.start()]) if m else None
    if said:  # "Martin said he had proposed": he is the speaker, whoever else the sentence names
        speaker = next((p for p in persons if p[0] <= offset + said.start(1) < p[1]), None)
        if speaker is None or not speaker[3]:
            return []
        return [Holder(offset + m.start(), offset + m.end(), speaker[3], speaker[2], "pronoun")]
    if m and state.last_person is not None:
        name, codes = state.last_person
        # a person named earlier in this very sentence wins ("The declaration by Starmer..., as he stated"),
        # unless only inside the quotation the pronoun closes ('"... a grey zone that invites Putin to try
        # again," he said': not Putin)
        quoted_from = _quotation_closed_before(c_text, offset, m.start(), whole)
        earlier = [p for p in persons if p[1] <= offset + m.start() and (quoted_from is None or p[1] <= quoted_from)]
        if earlier:
            name, codes = earlier[-1][2], earlier[-1][3]
        return [Holder(offset + m.start(), offset + m.end(), codes, name, "pronoun")] if codes else []
    if m:
        earlier = [p for p in persons if p[1] <= offset + m.start()]
        if earlier and earlier[-1][3]:
            return [Holder(offset + m.start(), offset + m.end(), earlier[-1][3], earlier[-1][2], "pronoun")]
        return []
    a = lexicon.actor_pronouns.search(c_text)
    titled = _title_holder(a.group(0), state, lexicon) if a else None
    if titled and not any(p[1] <= offset + a.start() for p in persons) \
            and not _inside_quotation(whole[:offset] + c_text[:a.start()]):
        # "German Chancellor Friedrich Merz hosted the meeting. ... the chancellor said": the one
        # government whose holder of that office the article named (not '... Miller said: "The president
        # has been clear': the speaker's president)
        name, codes = titled
        return [Holder(offset + a.start(), offset + a.end(), codes, name, "pronoun")]
    if a and a.group(0).lower() == "they" and _PLURAL_GROUP.search(c_text, 0, a.start()):
        return []  # "but key allies signalled they were not ready": they are the allies, unnamed
    if a and _OWN_SUBJECT_SAID.search(c_text[:a.start()]):
        return []  # "The opposition party Latvia First, led by ..., said it would not": the party, no actor
    if a and _object_position((WORD.findall(c_text[:a.start()]) or [""])[-1], lexicon):
        return []  # "as Dutton warns against it", "We will continue to support it": an object, no subject
    if a and state.last_holders and index - state.last_holder_sentence <= 1:
        return [Holder(offset + a.start(), offset + a.end(), state.last_holders, state.last_holder_speaker, "pronoun")]
    return []


def _inside_quotation(before: str) -> bool:
    """Is a quotation open at the end of `before` (the sentence up to a word)?"""
    return before.count('"') % 2 == 1 or before.count("“") > before.count("”")


def _note_offices(mentions, state: _DocState) -> None:
    for m in mentions:
        if m.via == "official" and m.officials and m.codes:
            state.officials[m.officials[0].name] = (tuple(m.codes), frozenset(o.office.lower() for o in m.officials))


def _title_holder(title: str, state: _DocState, lexicon: Lexicon) -> tuple[str, tuple[str, ...]] | None:
    """The official "the chancellor" (`title`) names: the holder of that office the article named
    ("chancellor (interim)" too); None when it named no one, or holders for two governments."""
    wanted = lexicon.office_titles.get(" ".join(title.lower().split()), ())
    if not wanted:
        return None
    held = [(name, codes) for name, (codes, offices) in state.officials.items()
            if any(o == w or o.startswith(w + " (") for o in offices for w in wanted)]
    return held[-1] if held and len({codes for _, codes in held}) == 1 else None


_CLOSED_QUOTE_BEFORE = re.compile(r"[,.!?…]?\s*([\"”])\s*$")


def _quotation_closed_before(c_text: str, offset: int, at: int, whole: str) -> int | None:
    """Where the quotation that closes right before the pronoun at `at` (of `c_text`, which starts
    at `offset` of the sentence `whole`) opens, or None when the pronoun follows no quotation."""
    closed = _CLOSED_QUOTE_BEFORE.search(c_text[:at]) if whole else None
    if closed is None:
        return None
    closing = offset + closed.start(1)
    return max(whole.rfind('"', 0, closing), whole.rfind("“", 0, closing), 0)


def _subject_person(s: str, persons, lexicon: Lexicon, mentions=()) -> tuple[str, tuple[str, ...]] | None:
    """The person a following "he"/"she" most likely means: the speaker of a
    reporting verb, else the first person who is neither a possessor nor governed by a preposition."""
    best = None
    earlier: list[tuple[int, str, tuple[str, ...]]] = []
    for start, end, name, codes in persons:
        possessive = s[end:end + 2] in ("'s", "’s")
        if possessive:
            continue
        if REPORTING.match(s[end:]) or _SAID_BEFORE.search(s[:start]):
            # "Zelensky, speaking in Ankara after meeting Erdogan, said": the speaker opened the aside
            opener = next(((n, c) for e, n, c in earlier if _ASIDE_OPENS.match(s, e) and "," not in s[e + 1:start]), None)
            return opener or (name, codes)
        earlier.append((end, name, codes))
        if best is None and not _governed(s, start, lexicon, mentions):
            best = (name, codes)
    return best


_ASIDE_OPENS = re.compile(r",\s+(?:[a-z]+ing|who|after|before|while|during|at|in|on)\b")
_GOVERNORS_EN = frozenset({"to", "with", "by", "for", "of", "from", "and", "about", "on", "at", "after", "before",
                           "despite"})


def _governed(s: str, start: int, lexicon: Lexicon, mentions=()) -> bool:
    """Is the person governed by a preposition (or, in English, "and")? Other languages walk back over
    articles and actor adjectives too: "Vor dem Gespräch des ukrainischen Präsidenten Selenskyj"."""
    english = lexicon.language == "en"
    tokens = list(_TOKEN.finditer(s, max(0, start - 120), start))
    i = len(tokens) - 1
    while i >= 0:
        word = tokens[i].group(0)
        lower = word.lower()
        if not english and lower in lexicon.prepositions:
            return True  # a capitalised "Vor" opening the sentence still governs
        skippable = word[:1].isupper() or lower in TITLE_WORDS or lower == "the" or (not english and (
            lower in lexicon.articles or any(m.start <= tokens[i].start() < m.end for m in mentions)))
        if not skippable:
            break
        i -= 1
    if english and i >= 0 and _GERUND.fullmatch(tokens[i].group(0)):
        return True  # the object of a participle: "before meeting Steve Witkoff and Jared Kushner, Zelenskyy said"
    governors = _GOVERNORS_EN if english else lexicon.prepositions
    return i >= 0 and tokens[i].group(0).lower() in governors


_TOKEN = re.compile(r"[\w'’.-]+|[,;:()“”\"—–]")
_GERUND = re.compile(r"[a-z]{2,}ing")


def _claim_speaker(holder: Holder, code: str, holders: list[Holder], clause, office: str | None) -> str | None:
    """Who says it for the actor: the official or quotation's speaker who holds it, else an official
    or office named for the actor in the clause, else an office that closes the sentence."""
    if holder.via in ("official", "quote"):
        return holder.speaker
    named = _speaker_for(code, holders, clause) or holder.speaker
    return named or (office if holder.via in ("name", "capital", "metonym") else None)


def _quoted_voice(holder: Holder, code: str, quote: QuoteSpeaker | None, pronoun: Holder | None) -> str | None:
    """The official whose quotation names the actor: '"The Netherlands will contribute ...," he said'
    (he: the Dutch prime minister named before), or a quotation of several sentences that its
    speaker closes. Their own words for their own country, not a third party's report."""
    if quote is not None:
        voice = quote.holder
    elif pronoun is not None and holder.end <= pronoun.start:
        voice = pronoun
    else:
        return None
    return voice.speaker if code in voice.codes else None


def _speaker_for(code: str, holders: list[Holder], clause) -> str | None:
    """Who speaks for `code` in the clause: a named official first, else a role ("prime minister")."""
    speaking = [h for h in holders if h.speaker and code in h.codes and clause.start <= h.start < clause.end]
    named = [h for h in speaking if h.via == "official"]
    return (named or speaking)[0].speaker if speaking else None


_SUBJECT_VERBS = frozenset("""is was would will could has had can should must does did remains remained
    wants wanted plans planned intends intended stands stood said says added adds insisted stressed""".split())


def _giving_up(in_clause: list, offset: int, decision: StanceDecision | None, c_text: str,
               lexicon: Lexicon) -> StanceDecision | None:
    """The stance a clause takes by naming the goal given up ("demanded that Kyiv renounce its plans to
    join NATO", "should abandon its hopes of joining", "urged the alliance not to abandon ..."): backing
    the giving up (flipped to oppose by the caller), or refusing it when negated just before. A
    refusal that governs the giving up ("rejected demands that Ukraine drop its bid") keeps its say."""
    spans = [(a - offset, b - offset) for a, b, kind in in_clause if kind == "giving_up"]
    if not spans or not all(kind for _, _, kind in in_clause):
        return None
    start, end = spans[0]
    if decision is not None and decision.stance == "oppose" and decision.cue_start is not None \
            and decision.cue_start < start:
        return None
    stance = "oppose" if lexicon.negated_before(c_text[:start]) else "support"
    return StanceDecision(stance, 0.75, c_text[start:end], start)


def _latest_topic(topic_id: str, last: int, state: _DocState) -> bool:
    """Was no other topic named after this one's last anchor? A reference points back to what
    was named last: "Macron said troops could not be ruled out. Germany and Poland said they had
    no such plans" refers to the troops, not to the NATO bid the article opened with."""
    return all(seen <= last for other, seen in state.topic_anchor_sentence.items() if other != topic_id)


def _back_referenced(c_text: str, topic: TopicMatcher, lexicon: Lexicon, state: _DocState, index: int,
                     live: dict, clause, s: str, named_holder: bool) -> bool:
    """Does the clause refer back to the topic ("the idea", "such plans"; "it" within the sentence)?"""
    same_sentence = any(a < clause.start for a, _, _ in live[topic.id])
    if topic.refers_back(c_text):
        if same_sentence or live[topic.id]:
            return True  # "open to the idea but wants more details before committing troops": in the sentence
        last = state.topic_anchor_sentence.get(topic.id)
        return last is not None and index - last <= lexicon.back_reach and _latest_topic(topic.id, last, state)
    if not same_sentence and _elliptical_stance(c_text, lexicon):
        if live[topic.id]:
            return True  # named later in the sentence: "a mistake to rule anything out, and that sending personnel ..."
        last = state.topic_anchor_sentence.get(topic.id)  # "Meloni said she was sceptical.": of what was just said
        return last is not None and index - last <= _ELLIPSIS_REACH and _latest_topic(topic.id, last, state)
    if same_sentence:
        if lexicon.fronted is not None and lexicon.fronted.match(s.lstrip("“\"'( ")):
            return True  # "Asked about troops for Ukraine, the Finnish president replied: ...": its topic
        if named_holder and lexicon.contrast is not None and lexicon.contrast.search(s[:clause.start]):
            return True  # "..., while Germany has been more cautious": the same question, another holder
        words = re.findall(r"[\w']+", c_text)
        if words and words[0].lower() == "that" and not (len(words) > 1 and words[1].lower() in _SUBJECT_VERBS):
            words = words[1:]  # ", and that he would not accept a deal": a complementiser ("and that is not ...": a pronoun)
        # "it" as a subject ("said it was ready to help") is the holder, not the topic ("ruled it out")
        return any(w.lower() in lexicon.back_pronouns and not (
            w.lower() == "it" and i + 1 < len(words) and words[i + 1].lower() in _SUBJECT_VERBS)
            and not (w.lower() == "that" and i > 0 and says(words[i - 1], lexicon))  # "adding that": no pronoun
            for i, w in enumerate(words))
    return False
