"""The actor gazetteer and the topic lexicons: shipped data, date-aware speakers, errors."""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path

import pytest

from tracker.errors import ConfigError, StanceError
from tracker.stance.actors import Actor, Gazetteer, Group, Official, load_gazetteer
from tracker.stance.topics import get_topic, load_topics

ROOT = Path(__file__).resolve().parent.parent
ACTORS = ROOT / "config" / "actors.toml"
TOPICS = ROOT / "config" / "topics.toml"
TOPIC_CASES = sorted((Path(__file__).resolve().parent / "data" / "topics").glob("*.toml"))

EU_MEMBERS = ("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE").split()
NATO_MEMBERS = ("AL BE BG CA HR CZ DK EE FI FR DE GR HU IS IT LV LT LU ME NL MK NO PL PT RO SK SI ES SE "
                "TR GB US").split()
OTHERS = "UA RU BY AU JP CN".split()
BODIES = ["EU", "NATO", "UN"]


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(ACTORS)


@pytest.fixture(scope="module")
def topics():
    return load_topics(TOPICS)


# --- the shipped actors --------------------------------------------------------

def test_every_eu_and_nato_member_and_the_other_actors_are_present(gazetteer):
    assert len(EU_MEMBERS) == 27 and len(NATO_MEMBERS) == 32
    missing = sorted(set(EU_MEMBERS + NATO_MEMBERS + OTHERS + BODIES) - set(gazetteer.actors))
    assert missing == []
    assert {code for code, a in gazetteer.actors.items() if a.kind == "body"} == set(BODIES)


@pytest.mark.parametrize("on", ["2023-06-01", "2024-06-01", "2025-06-01", "2026-01-01"])
def test_every_actor_has_someone_speaking_for_it_on_each_date(gazetteer, on):
    day = date.fromisoformat(on)
    silent = [code for code, actor in gazetteer.actors.items()
              if not any(o.government and o.in_office(day) for o in actor.officials)]
    assert silent == []


def test_every_state_has_names_adjectives_and_a_capital(gazetteer):
    incomplete = [code for code, a in gazetteer.actors.items()
                  if a.kind == "state" and not (a.names and a.adjectives and (a.capitals or code == "BE"))]
    assert incomplete == []


def test_scholz_speaks_for_germany_until_merz_takes_over(gazetteer):
    scholz = gazetteer.speaker_actor("Scholz", date(2024, 2, 27))
    assert (scholz.actor, scholz.name, scholz.office) == ("DE", "Olaf Scholz", "chancellor")
    assert gazetteer.speaker_actor("Scholz", date(2025, 6, 1)) is None
    assert gazetteer.speaker_actor("Olaf Scholz", date(2025, 6, 1)) is None


def test_merz_speaks_for_germany_only_as_chancellor(gazetteer):
    merz = gazetteer.speaker_actor("Merz", date(2025, 6, 1))
    assert (merz.actor, merz.office) == ("DE", "chancellor")
    assert gazetteer.speaker_actor("Merz", date(2024, 12, 10)) is None
    offices = {(o.office, o.government) for o in gazetteer.officials_named("Friedrich Merz")}
    assert offices == {("opposition leader", False), ("chancellor", True)}


def test_on_the_handover_day_the_successor_speaks(gazetteer):
    day = date(2025, 5, 6)
    assert gazetteer.speaker_actor("Merz", day).office == "chancellor"
    assert gazetteer.speaker_actor("Scholz", day) is None


def test_unknown_date_counts_only_current_terms(gazetteer):
    assert gazetteer.speaker_actor("Merz", None).office == "chancellor"
    assert gazetteer.speaker_actor("Scholz", None) is None


def test_one_person_speaks_for_different_actors_over_time(gazetteer):
    assert gazetteer.speaker_actor("Kallas", date(2024, 3, 1)).actor == "EE"
    assert gazetteer.speaker_actor("Kallas", date(2024, 9, 1)) is None  # between the two posts
    assert gazetteer.speaker_actor("Kallas", date(2025, 3, 1)).actor == "EU"
    assert gazetteer.speaker_actor("Rutte", date(2024, 3, 1)).actor == "NL"
    assert gazetteer.speaker_actor("Rutte", date(2025, 3, 1)).actor == "NATO"


def test_an_alias_two_people_share_on_a_date_resolves_to_none(gazetteer):
    assert gazetteer.speaker_actor("Harris", date(2024, 6, 1)) is None  # Kamala and Simon Harris
    assert gazetteer.speaker_actor("Harris", date(2023, 6, 1)).actor == "US"
    assert gazetteer.speaker_actor("Simon Harris", date(2024, 6, 1)).actor == "IE"


def test_monarchs_and_opposition_leaders_speak_for_no_government(gazetteer):
    assert gazetteer.officials_named("King Charles")[0].actor == "GB"
    assert gazetteer.speaker_actor("King Charles", date(2025, 3, 2)) is None
    assert gazetteer.speaker_actor("Starmer", date(2024, 3, 1)) is None
    assert gazetteer.speaker_actor("Starmer", date(2025, 3, 1)).actor == "GB"
    assert gazetteer.speaker_actor("Trump", date(2024, 9, 10)) is None
    assert gazetteer.speaker_actor("Trump", date(2025, 2, 13)).actor == "US"


def test_names_match_without_accents_and_with_a_possessive(gazetteer):
    assert gazetteer.speaker_actor("Lokke Rasmussen", date(2025, 1, 1)).actor == "DK"
    assert gazetteer.speaker_actor("Gitanas Nauseda", date(2025, 1, 1)).actor == "LT"
    assert gazetteer.speaker_actor("Scholz's", date(2024, 1, 1)).actor == "DE"
    assert gazetteer.officials_named("scholz") == []  # case-sensitive
    assert gazetteer.officials_named("Nobody") == []


def test_find_mentions_maps_names_places_groups_and_people(gazetteer):
    text = ("The UK and Germany's Merz met at the Elysee, The Washington Post reported; "
            "the Baltic states and Washington agreed, and Peskov answered for the Kremlin.")
    found = [(m.text, m.codes, m.via) for m in gazetteer.find_mentions(text, on=date(2025, 6, 1))]
    assert found == [
        ("The UK", ("GB",), "name"),
        ("Germany", ("DE",), "name"),
        ("Merz", ("DE",), "official"),
        ("the Elysee", ("FR",), "metonym"),
        ("Baltic states", ("EE", "LV", "LT"), "group"),
        ("Washington", ("US",), "capital"),
        ("Peskov", ("RU",), "official"),
        ("the Kremlin", ("RU",), "metonym"),
    ]


def test_find_mentions_gives_a_person_no_actor_out_of_office(gazetteer):
    [mention] = gazetteer.find_mentions("Former chancellor Olaf Scholz said so.", on=date(2025, 6, 1))
    assert (mention.text, mention.codes, mention.via) == ("Olaf Scholz", (), "official")
    assert mention.officials[0].name == "Olaf Scholz"


def test_find_mentions_respects_word_boundaries(gazetteer):
    text = "USAID, Ukrainians in Russian-held areas, a German-made tank and Polishing US troops."
    found = [(m.text, m.codes) for m in gazetteer.find_mentions(text)]
    assert found == [("Ukrainians", ("UA",)), ("Russian", ("RU",)), ("German", ("DE",)), ("US", ("US",))]


def test_a_gazetteer_built_in_code_works_like_a_loaded_one():
    merz = Official("Friedrich Merz", ("Merz",), "chancellor", "DE", date(2025, 5, 6), None, True, False)
    germany = Actor("DE", "state", ("Germany",), ("German",), (), ("Berlin",), (), (merz,))
    built = Gazetteer(actors={"DE": germany}, groups=(Group("Germanic", (), ("DE",)),))
    assert built.speaker_actor("Merz", date(2025, 6, 1)) == merz
    assert [(m.text, m.codes) for m in built.find_mentions("Berlin and the Germanic group: Merz.", date(2025, 6, 1))] == [
        ("Berlin", ("DE",)), ("Germanic", ("DE",)), ("Merz", ("DE",))]


def test_loading_is_cached_until_the_file_changes(tmp_path):
    path = tmp_path / "actors.toml"
    path.write_text('[[actor]]\ncode = "DE"\nnames = ["Germany"]\n', encoding="utf-8")
    first = load_gazetteer(path)
    assert load_gazetteer(path) is first
    path.write_text('[[actor]]\ncode = "DE"\nnames = ["Germany", "Deutschland"]\n', encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_gazetteer(path).actors["DE"].names == ("Germany", "Deutschland")


# --- malformed actors files ------------------------------------------------------

GOOD_DE = '[[actor]]\ncode = "DE"\nnames = ["Germany"]\n'


def test_shipped_topics_name_ukraine_as_the_seeker(topics):
    assert {topic.seeker for topic in topics.values()} == {"UA"}


def test_a_tilde_stands_for_up_to_three_words(tmp_path):
    path = tmp_path / "topics.toml"
    path.write_text('[[topic]]\nid = "t"\nlabel = "T"\nanchors = ["join NATO"]\n'
                    'contrary = ["abandon* ~ ambition* to join"]\n', encoding="utf-8")
    topic = load_topics(path)["t"]
    assert [s.text for s in topic.find_anchors("Kyiv will not abandon its long-held ambition to join NATO.")] == [
        "abandon its long-held ambition to join"]
    assert [s.text for s in topic.find_anchors("Kyiv abandoned ambition to join NATO.")] == [
        "abandoned ambition to join"]
    assert [s.text for s in topic.find_anchors("Abandon the old and the worn out ambition to join NATO.")] == [
        "join NATO"]


def test_a_bar_gives_a_word_its_alternatives_and_giving_up_is_a_kind_of_its_own(tmp_path):
    path = tmp_path / "topics.toml"
    path.write_text('[[topic]]\nid = "t"\nlabel = "T"\nanchors = ["join NATO", "membership"]\n'
                    'contrary = ["neutrality"]\n'
                    'giving_up = ["drop*|abandon* ~ bid|membership"]\n', encoding="utf-8")
    topic = load_topics(path)["t"]
    assert _anchors(topic, "Kyiv dropped its NATO bid.") == [("dropped its NATO bid", "giving_up")]
    assert _anchors(topic, "Abandoning membership is not an option.") == [("Abandoning membership", "giving_up")]
    assert _anchors(topic, "Russia demands neutrality, not membership.") == [
        ("neutrality", "contrary"), ("membership", "anchor")]
    assert _anchors(topic, "Kyiv may drop the matter.") == []  # each alternative still needs what follows


@pytest.mark.parametrize(
    "body, message",
    [
        ('[[actor]\ncode = "DE"\n', "invalid TOML: "),
        ('[[actor]]\nnames = ["Germany"]\n', "[[actor]] #1 has no 'code'; add code = \"DE\""),
        ('[[actor]]\ncode = "Germany"\nnames = ["Germany"]\n',
         "[[actor]] #1 key 'code' is 'Germany'; expected an ISO 3166-1 alpha-2 code such as \"DE\", "
         "or one of EU, NATO, UN"),
        (GOOD_DE + '[[actor]]\ncode = "DE"\nnames = ["Deutschland"]\n',
         "[[actor]] #2 (DE) code 'DE' is already used by [[actor]] #1; codes must be unique, merge the two tables"),
        ('[[actor]]\ncode = "DE"\n', "[[actor]] #1 (DE) has no 'names'; add names = [\"Germany\"]"),
        ('[[actor]]\ncode = "DE"\nkind = "country"\nnames = ["Germany"]\n',
         "[[actor]] #1 (DE) key 'kind' is 'country'; expected one of: state, body"),
        ('[[actor]]\ncode = "DE"\nnames = ["Germany"]\ncapital = ["Berlin"]\n',
         "[[actor]] #1 (DE) has unknown key 'capital'; known keys: adjectives, capitals, code, kind, "
         "metonyms, names, official, people"),
        (GOOD_DE + '[[actor.official]]\nname = "Olaf Scholz"\noffice = "chancellor"\n'
                   '[[actor.official]]\nname = "Friedrich Merz"\noffice = "chancellor"\nfrom = "2025-13-06"\n',
         "[[actor]] #1 (DE) [[actor.official]] #2 (Friedrich Merz) key 'from' is '2025-13-06'; "
         "expected a date YYYY-MM-DD, such as from = \"2021-12-08\""),
        (GOOD_DE + '[[actor.official]]\nname = "Olaf Scholz"\noffice = "chancellor"\n'
                   'from = "2025-05-06"\nto = "2021-12-08"\n',
         "[[actor]] #1 (DE) [[actor.official]] #1 (Olaf Scholz) key 'to' is 2021-12-08, before 'from' "
         "2025-05-06; swap or fix the dates"),
        (GOOD_DE + '[[actor.official]]\nname = "Olaf Scholz"\n',
         "[[actor]] #1 (DE) [[actor.official]] #1 (Olaf Scholz) has no 'office'; add office = \"chancellor\""),
        (GOOD_DE + '[[actor.official]]\nname = "Olaf Scholz"\noffice = "chancellor"\ngovernment = "yes"\n',
         "[[actor]] #1 (DE) [[actor.official]] #1 (Olaf Scholz) key 'government' is 'yes'; expected bool, "
         "such as government = true"),
        (GOOD_DE + '[[group]]\nname = "Baltic states"\nmembers = ["EE", "LV", "LT"]\n',
         "[[group]] #1 (Baltic states) key 'members' has 'EE', which is not an actor code; use one of the "
         "[[actor]] codes or add an [[actor]] with code = \"EE\""),
        (GOOD_DE + '[[actor]]\ncode = "EU"\nnames = ["EU"]\nmetonyms = ["Berlin"]\n'
                   '[[actor]]\ncode = "BE"\nnames = ["Belgium"]\ncapitals = ["Berlin"]\n',
         "[[actor]] #3 (BE) key 'capitals' has 'Berlin', which [[actor]] #2 (EU) already lists as a metonym; "
         "one form must name one actor: keep it under one of them"),
        (GOOD_DE + '[[actor]]\ncode = "AT"\nnames = ["Austria"]\nadjectives = ["", "Austrian"]\n',
         "[[actor]] #2 (AT) key 'adjectives' has ''; expected non-empty strings, such as adjectives = [\"German\"]"),
        (GOOD_DE + '[[group]]\nname = "Germany"\nmembers = ["DE"]\n',
         "[[group]] (Germany) alias 'Germany' already names DE; rename the alias or remove it"),
        ('[actor]\ncode = "DE"\n', "'actor' must be an array of tables: write [[actor]], not [actor]"),
        ('not_mentions = ["Washington Post"]\n', "no [[actor]] tables; add at least one"),
    ],
    ids=["broken-toml", "missing-code", "bad-code", "duplicate-code", "missing-names", "bad-kind",
         "unknown-key", "bad-date", "end-before-start", "missing-office", "bool-as-string",
         "unknown-group-member", "form-under-two-actors", "group-alias-clash", "empty-string", "actor-not-array", "no-actors"],
)
def test_malformed_actors_file_names_file_table_key_and_fix(tmp_path, body, message):
    path = tmp_path / "actors.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_gazetteer(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_missing_actors_file_says_where_to_configure_it(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_gazetteer(path)
    assert str(info.value) == f"{path}: no such actors file; check [stance] in the config or create it"


def test_unknown_actor_code_lists_the_known_ones(gazetteer):
    with pytest.raises(StanceError) as info:
        gazetteer.actor("XX")
    assert str(info.value).startswith("unknown actor 'XX'; known actors: AL, AT, AU, BE,")


# --- topics --------------------------------------------------------------------

def test_shipped_topics_load_and_unknown_topic_lists_known_ones(topics):
    assert {"troops-to-ukraine", "ukraine-nato-membership"} <= set(topics)
    assert get_topic(topics, "troops-to-ukraine").label == "European/Western troops on Ukrainian soil"
    with pytest.raises(StanceError) as info:
        get_topic(topics, "x")
    assert str(info.value) == f"unknown topic 'x'; known topics: {', '.join(sorted(topics))}"


def _anchors(topic, text):
    return [(span.text, span.kind) for span in topic.find_anchors(text)]


def test_troops_topic_finds_anchors_and_skips_other_armies(topics):
    troops = topics["troops-to-ukraine"]
    text = ("Italy and Germany expressed readiness to send peacekeepers, while Russian troops and "
            "Ukrainian forces held the line; the coalition of the willing met.")
    assert _anchors(troops, text) == [("peacekeepers", "anchor"), ("coalition of the willing", "standalone")]
    assert troops.is_tied("They would send peacekeepers.") is False
    assert troops.is_tied("They would send peacekeepers.", "Talks on Ukraine went on.") is True
    assert troops.mentions("Denmark is ready to send troops to Ukraine.")
    assert not troops.mentions("Denmark is ready to send troops to Estonia.")
    assert [s.text for s in troops.find_back_references("Moscow has flatly rejected the idea.")] == ["the idea"]


def test_nato_topic_needs_ukraine_and_nato_and_skips_eu_membership(topics):
    nato = topics["ukraine-nato-membership"]
    assert nato.mentions("Orbán will not support Ukraine's accession to NATO.")
    assert nato.mentions("Orbán will not support Ukraine’s accession to NATO.")  # curly apostrophe
    assert not nato.mentions("Austria supports opening EU membership talks with Ukraine.")
    assert not nato.mentions("Sweden joined NATO in March 2024.")
    assert _anchors(nato, "Moscow insists on Ukraine's neutrality.") == [("neutrality", "contrary")]


def test_wildcard_ends_a_word(tmp_path):
    path = tmp_path / "topics.toml"
    path.write_text('[[topic]]\nid = "t"\nlabel = "T"\nanchors = ["peacekeep*"]\n', encoding="utf-8")
    topic = load_topics(path)["t"]
    assert [s.text for s in topic.find_anchors("Peacekeepers and peacekeeping, not keepers.")] == [
        "Peacekeepers", "peacekeeping"]


@pytest.mark.parametrize(
    "body, message",
    [
        ('[[topic]\n', "invalid TOML: "),
        ('[[topic]]\nid = "Troops to Ukraine"\nlabel = "T"\nanchors = ["troops"]\n',
         "[[topic]] #1 key 'id' is 'Troops to Ukraine'; use lower-case words joined by hyphens, "
         "such as \"troops-to-ukraine\""),
        ('[[topic]]\nid = "t"\nlabel = "T"\n', "[[topic]] #1 (t) has no 'anchors'; add anchors = [\"troops\", \"peacekeepers\"]"),
        ('[[topic]]\nid = "t"\nlabel = "T"\nanchors = []\n',
         "[[topic]] #1 (t) key 'anchors' is empty; add at least one, such as anchors = [\"troops\", \"peacekeepers\"]"),
        ('[[topic]]\nid = "t"\nlabel = "T"\nanchors = ["a"]\n[[topic]]\nid = "t"\nlabel = "U"\nanchors = ["b"]\n',
         "[[topic]] #2 (t) id 't' is already used by [[topic]] #1; ids must be unique"),
        ('[[topic]]\nid = "t"\nlabel = "T"\nanchors = ["pea*keepers"]\n',
         "[[topic]] #1 (t) key 'anchors' has 'pea*keepers'; '*' may only end a word, as in \"peacekeep*\""),
        ('[[topic]]\nid = "t"\nlabel = "T"\nanchors = ["a"]\ngiving_up = ["drop|aban*don ~ bid"]\n',
         "[[topic]] #1 (t) key 'giving_up' has 'drop|aban*don ~ bid'; '*' may only end a word, as in \"peacekeep*\""),
        ('[[topic]]\nid = "t"\nlabel = "T"\nanchors = ["a"]\nrequire = ["b"]\n',
         "[[topic]] #1 (t) has unknown key 'require'; known keys: anchors, back_references,"),
        ('[[topic]]\nid = "t"\nanchors = ["a"]\n', "[[topic]] #1 (t) has no 'label'; add label ="),
    ],
    ids=["broken-toml", "bad-id", "missing-anchors", "empty-anchors", "duplicate-id", "mid-word-star",
         "mid-word-star-in-an-alternative", "unknown-key", "missing-label"],
)
def test_malformed_topics_file_names_file_table_key_and_fix(tmp_path, body, message):
    path = tmp_path / "topics.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_topics(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


# --- the labelled sentences of the second topic --------------------------------

def _cases():
    for path in TOPIC_CASES:
        for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]:
            yield pytest.param(path.stem, case, id=f"{path.stem}:{case['id']}")


def test_each_topic_besides_troops_has_fifteen_labelled_sentences(topics):
    counts = {path.stem: len(tomllib.loads(path.read_text(encoding="utf-8"))["case"]) for path in TOPIC_CASES}
    assert counts and all(n >= 15 for n in counts.values())
    assert set(counts) <= set(topics)


@pytest.mark.parametrize("topic_id, case", list(_cases()))
def test_labelled_sentence_is_well_formed_and_anchors_its_topic(gazetteer, topics, topic_id, case):
    assert set(case) <= {"id", "text", "published", "expect", "expect_none"}
    date.fromisoformat(case["published"])
    expects = case.get("expect", [])
    assert bool(expects) != bool(case.get("expect_none")), "give [[case.expect]] or expect_none = true"
    for expect in expects:
        assert expect["actor"] in gazetteer.actors
        assert expect["topic"] == topic_id
        assert expect["stance"] in {"support", "conditional", "oppose"}
    if expects:  # the lexicon, not the engine, is under test here: the text must anchor the topic
        topic = topics[topic_id]
        sentences = case["text"].split(". ")
        assert any(topic.mentions(s) for s in sentences) or any(
            topic.find_anchors(s) and topic.is_tied(case["text"]) for s in sentences)
