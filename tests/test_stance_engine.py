"""The stance engine's parts and its behaviour on bad input."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from tracker.errors import ConfigError, StanceError
from tracker.stance import find_claims, load_engine, parse_published, to_text
from tracker.stance.cues import TimeCue, compile_phrases, estimate_said_at, load_lexicon
from tracker.stance.sentences import split_clauses, split_sentences

ROOT = Path(__file__).resolve().parent.parent
ACTORS = ROOT / "config" / "actors.toml"
TOPICS = ROOT / "config" / "topics.toml"


@pytest.fixture(scope="module")
def engine():
    return load_engine(ACTORS, TOPICS)


# --- sentences and clauses -------------------------------------------------------


@pytest.mark.parametrize("text, sentences", [
    pytest.param("U.S. Defense Secretary Pete Hegseth spoke. Mr. Macron answered “No.” He left.\n"
                 "Sir Keir Starmer said so. Dr. J. Smith agreed.",
                 ["U.S. Defense Secretary Pete Hegseth spoke.", "Mr. Macron answered “No.”", "He left.",
                  "Sir Keir Starmer said so.", "Dr. J. Smith agreed."], id="abbreviations-and-quotes"),
    pytest.param('Macron said so in an interview published on May 2. "To rule it out is wrong." Die Rede am 2. Mai war kurz.',
                 ["Macron said so in an interview published on May 2.", '"To rule it out is wrong."',
                  "Die Rede am 2. Mai war kurz."], id="a-date-ends-a-sentence-an-ordinal-does-not"),
    # an exclaimed quotation keeps the speaker who closes it
    pytest.param('"No going into NATO by Ukraine. Some things never change!!!" Trump wrote on Sunday. '
                 '"Is it fair?" The question hangs. "Why now?" asked Sybiha.',
                 ['"No going into NATO by Ukraine.', 'Some things never change!!!" Trump wrote on Sunday.',
                  '"Is it fair?"', "The question hangs.", '"Why now?" asked Sybiha.'], id="exclaimed-quotation"),
])
def test_sentences_end_where_a_reader_ends_them(text, sentences):
    assert [s.text for s in split_sentences(text)] == sentences


def test_clauses_split_on_contrast_and_fronted_subordinate():
    lexicon = load_lexicon()
    seed = "Italy and Germany expressed readiness, while Poland stated that they do not plan to send troops."
    assert [c.text for c in split_clauses(seed, lexicon.clause_splitter, lexicon.fronted)] == [
        "Italy and Germany expressed readiness", "Poland stated that they do not plan to send troops."]
    fronted = "Despite Starmer's willingness to send troops, a former army chief dismissed the idea."
    assert [c.text for c in split_clauses(fronted, lexicon.clause_splitter, lexicon.fronted)] == [
        "Despite Starmer's willingness to send troops", "a former army chief dismissed the idea."]


# --- cues --------------------------------------------------------------------------


@pytest.mark.parametrize("phrase, text, hit", [
    ("reject*", "Tusk rejected it", "rejected"),
    ("ready ~ to", "ready and able to", "ready and able to"),
    ("?fully prepared to", "fully prepared to", "fully prepared to"),
    ("send|deploy troops", "deploy troops", "deploy troops"),
    ("lead* ~ coalition of the willing", 'leading a "coalition of the willing"', 'leading a "coalition of the willing'),
])
def test_phrase_language(phrase, text, hit):
    m = compile_phrases([phrase], "test").search(text)
    assert m is not None and m.group(0) == hit


@pytest.mark.parametrize("phrase, text, hit", [
    ("no question of", 'there was "no question" of troops', 'no question" of'),
    ("no question of", "there was \u201cno question\u201d of troops", "no question\u201d of"),
    # the quotation opened before the phrase: its closing mark is not the phrase's to cross
    ("willing ~ to", 'the "coalition of the willing" to review', None),
    ("no question of", 'a "question" of troops', None),
])
def test_phrase_may_close_the_quotation_it_opens_after(phrase, text, hit):
    m = compile_phrases([phrase], "test").search(text)
    assert (m.group(0) if m else None) == hit


@pytest.mark.parametrize("clause, stance", [
    ("Berlin would not deploy troops", "oppose"),
    ("Sweden would not rule out sending forces", "conditional"),
    ("Poland is not considering sending troops", "oppose"),
    ("France could send troops", "conditional"),
    ("Denmark is ready to send troops", "support"),
])
def test_negation_and_hedge_scope(clause, stance):
    hits = load_lexicon().find_cues(clause)
    best = max(hits, key=lambda h: (max(h.weight, 3) if h.negated else h.weight, h.start))
    assert best.stance == stance


@pytest.mark.parametrize("cue, kind, published, said_at", [
    ("last winter", "last-season", date(2024, 12, 10), "2024-01-15"),
    ("last winter", "last-season", date(2024, 6, 1), "2024-01-15"),
    ("In February", "month", date(2024, 12, 12), "2024-02-01"),
    ("In February", "month", date(2025, 1, 5), "2024-02-01"),
    ("in March 2023", "month", date(2025, 1, 5), "2023-03-01"),
    ("Previously", "previously", date(2024, 12, 12), "2024-12-11"),
    ("last month", "last-month", date(2025, 1, 20), "2024-12-15"),
    ("in 2023", "year", date(2025, 1, 5), "2023-07-01"),
])
def test_said_at_estimates(cue, kind, published, said_at):
    assert estimate_said_at(TimeCue(cue, kind, 0), published) == said_at


def test_said_at_is_published_without_cue_and_none_without_date():
    assert estimate_said_at(None, date(2025, 2, 18)) == "2025-02-18"
    assert estimate_said_at(TimeCue("last winter", "last-season", 0), None) is None


# --- the entry point -----------------------------------------------------------------


def test_find_claims_returns_claims_with_evidence(engine):
    text = ("Leaders met in Paris on Monday to discuss a European force for Ukraine. "
            "Polish Prime Minister Donald Tusk flatly rejected the notion of deploying Polish troops.")
    claims = find_claims(text, "2025-02-18", engine=engine)
    assert [(c.actor, c.topic, c.stance, c.speaker, c.sentence_index) for c in claims] == [
        ("PL", "troops-to-ukraine", "oppose", "Donald Tusk", 1)]
    assert claims[0].evidence.startswith("Polish Prime Minister Donald Tusk flatly rejected")
    assert 0 < claims[0].confidence <= 1


def test_html_input_is_read_as_text(engine):
    html = ("<html><head><title>t</title><script>var x = 'Germany rejected troops to Ukraine';</script></head>"
            "<body><article><h1>Troops to Ukraine</h1><p>German Chancellor Olaf Scholz flatly rejected sending "
            "troops to Ukraine.</p><p>Other news follows here in a second paragraph of text.</p></article></body></html>")
    claims = find_claims(html, "2025-02-18", engine=engine)
    assert [(c.actor, c.stance) for c in claims] == [("DE", "oppose")]
    assert "<" not in claims[0].evidence


def test_bytes_and_date_objects_are_accepted(engine):
    text = "Denmark is ready to send troops to Ukraine.".encode()
    assert [(c.actor, c.said_at) for c in find_claims(text, date(2025, 3, 10), engine=engine)] == [("DK", "2025-03-10")]


def test_topics_filter(engine):
    text = "Denmark is ready to send troops to Ukraine."
    assert find_claims(text, "2025-03-10", engine=engine, topics=["ukraine-nato-membership"]) == []
    assert len(find_claims(text, "2025-03-10", engine=engine, topics="troops-to-ukraine")) == 1


@pytest.mark.parametrize("junk", ["", "   \n\n  ", b"", bytes(range(256)) * 40, b"\x89PNG\r\n\x1a\n" + bytes(3000)])
def test_empty_or_binary_input_gives_no_claims(engine, junk):
    assert find_claims(junk, "2025-02-18", engine=engine) == []
    assert to_text(junk) == "" or not to_text(junk).strip()


def test_unknown_topic_is_a_clear_error(engine):
    with pytest.raises(StanceError) as info:
        find_claims("text", None, engine=engine, topics=["troops-to-mars"])
    assert str(info.value).startswith("unknown topic 'troops-to-mars'; known topics: ")
    assert "troops-to-ukraine" in str(info.value)


def test_bad_published_date_is_a_clear_error(engine):
    with pytest.raises(StanceError, match=r"published date '18/02/2025' is not a date; use YYYY-MM-DD"):
        find_claims("text", "18/02/2025", engine=engine)
    assert parse_published(None) is None


def test_five_megabyte_article_finishes(engine):
    filler = "The summit in Paris discussed many things, from budgets and energy to trade and farming. "
    paragraph = filler * 15 + "German Chancellor Olaf Scholz flatly rejected sending troops to Ukraine. "
    text = (paragraph + "\n") * (5_000_000 // (len(paragraph) + 1))
    assert len(text) > 4_900_000
    started = time.perf_counter()
    claims = find_claims(text, "2025-02-18", engine=engine)
    elapsed = time.perf_counter() - started
    # One claim per distinct sentence: the repeated sentence counts once.
    assert [(c.actor, c.stance) for c in claims] == [("DE", "oppose")]
    assert elapsed < 120, f"{elapsed:.1f}s: the engine is not linear"


def test_one_huge_line_without_punctuation_finishes(engine):
    text = "troops Ukraine Germany ready " * 40_000  # 1.2 MB in one "sentence"
    claims = find_claims(text, "2025-02-18", engine=engine)
    assert isinstance(claims, list)


def test_malformed_actors_file_is_a_config_error(tmp_path):
    bad = tmp_path / "actors.toml"
    bad.write_text('[[actor]]\ncode = "Germany"\nnames = ["Germany"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_engine(bad, TOPICS)
    assert str(bad) in str(info.value) and "'code'" in str(info.value)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[actor]\ncode = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_engine(broken, TOPICS)


def test_missing_topics_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such"):
        load_engine(ACTORS, tmp_path / "nope.toml")


def test_malformed_lexicon_is_a_config_error(tmp_path):
    lexicon = tmp_path / "cues.toml"
    lexicon.write_text('[[cue]]\nstance = "maybe"\nphrases = ["x"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[\[cue\]\] #1 key 'stance' is 'maybe'; expected one of: support, conditional, oppose"):
        load_engine(ACTORS, TOPICS, lexicon_path=lexicon)


def test_engine_is_cached(engine):
    assert load_engine(ACTORS, TOPICS) is engine


def test_classifier_can_be_replaced():
    from tracker.stance.classifier import ClauseInput, StanceDecision

    class AlwaysOppose:
        def __init__(self):
            self.seen: list[ClauseInput] = []

        def classify(self, clause: ClauseInput) -> StanceDecision | None:
            self.seen.append(clause)
            return StanceDecision("oppose", 0.5, "model")

    model = AlwaysOppose()
    engine = load_engine(ACTORS, TOPICS, classifier=model)
    claims = find_claims("Denmark is ready to send troops to Ukraine.", "2025-03-10", engine=engine)
    assert [(c.actor, c.stance, c.confidence) for c in claims] == [("DK", "oppose", 0.5)]
    assert model.seen[0].topic == "troops-to-ukraine"
    start, end = model.seen[0].holders[0]
    assert model.seen[0].text[start:end] == "Denmark"


def test_the_speaker_is_the_actors_own_voice_not_a_reporter(engine):
    reported = find_claims("U.S. President Donald Trump said on Monday that Russian President Vladimir Putin was "
                           "ready to accept European peacekeepers in Ukraine.", "2025-02-24", engine=engine)
    assert [(c.actor, c.stance, c.speaker) for c in reported] == [("RU", "support", None)]  # second hand
    own = find_claims("German Chancellor Olaf Scholz said Germany is ready to send troops to Ukraine.", "2024-12-10",
                      engine=engine)
    assert [(c.actor, c.speaker) for c in own] == [("DE", "Olaf Scholz")]
    unnamed = find_claims("Estonia's prime minister said the country is ready to send troops to Ukraine.",
                          "2025-04-30", engine=engine)
    assert [(c.actor, c.speaker) for c in unnamed] == [("EE", "prime minister")]  # the office speaks for it
    closing = find_claims("Estonia ready to send peacekeeping troops to Ukraine, premier says", "2025-04-30",
                          engine=engine)
    assert [(c.actor, c.speaker) for c in closing] == [("EE", "premier")]
    others = find_claims("Germany is ready to send troops to Ukraine, the Polish prime minister said.", "2025-04-30",
                         engine=engine)
    assert ("DE", None) in [(c.actor, c.speaker) for c in others]  # Poland's office does not speak for Germany
