"""Claims in other languages: language detection, the language packs, and hard cases per
language as data (tests/data/languages/<code>.toml, one file per language)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tracker.errors import ConfigError
from tracker.stance import LANGUAGE_DIR, detect_language, find_claims, load_engine
from tracker.stance.language import declared_language

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "languages"
DEFAULT_TOPIC = "troops-to-ukraine"


@pytest.fixture(scope="module")
def engine():
    return load_engine(ROOT / "config" / "actors.toml", ROOT / "config" / "topics.toml")


def _cases():
    for path in sorted(DATA.glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            yield pytest.param(path.stem, case, id=f"{path.stem}:{case['id']}")


@pytest.mark.parametrize("language, case", list(_cases()))
def test_hard_case_in_its_language(language, case, engine):
    claims = find_claims(case["text"], case.get("published"), engine=engine)
    assert all(c.language == language for c in claims)
    found = {(c.actor, c.topic, c.stance) for c in claims}
    expected = {(e["actor"], e.get("topic", DEFAULT_TOPIC), e["stance"]) for e in case.get("expect", [])}
    assert bool(expected) != bool(case.get("expect_none")), "give [[case.expect]] or expect_none = true"
    assert found == expected, "\n".join(f"{c.actor} {c.topic} {c.stance}: {c.evidence}" for c in claims)
    for claim in claims:
        assert claim.evidence in case["text"]  # the evidence stays in the original language


def test_every_pack_has_hard_cases_and_both_topics(engine):
    packs = {p.stem for p in LANGUAGE_DIR.glob("*.toml")}
    assert packs and packs <= {p.stem for p in DATA.glob("*.toml")}
    for code in packs:
        assert set(engine.for_language(code).topics) == set(engine.topics), code


@pytest.mark.parametrize("text, code", [
    ("Germany is ready to send troops to Ukraine.", "en"),
    ("Deutschland schließt die Entsendung von Bodentruppen in die Ukraine aus.", "de"),
    ("La France est prête à envoyer des troupes en Ukraine.", "fr"),
    ("Polska nie wyśle żołnierzy na Ukrainę.", "pl"),
    ("L'Italia non manderà truppe in Ucraina.", "it"),
])
def test_language_is_detected(text, code):
    assert detect_language(text) == code


def test_declared_language_wins_when_well_formed():
    assert detect_language("Germany is ready to send troops to Ukraine.", declared="de-DE") == "de"
    assert detect_language("Germany is ready to send troops to Ukraine.", declared="nonsense") == "en"
    assert declared_language("fr_FR") == "fr" and declared_language(None) is None


def test_a_language_without_a_pack_yields_no_claims(engine):
    text = "Україна готова прийняти миротворців, заявив президент Зеленський."
    assert find_claims(text, "2025-03-01", engine=engine) == []
    assert find_claims("Denmark is ready to send troops to Ukraine.", "2025-03-01", engine=engine, language="xx") == []


def test_language_forms_add_to_the_actor_of_their_code(engine):
    german = engine.for_language("de").gazetteer
    assert [m.codes for m in german.find_mentions("Deutschlands Regierung und die Bundesregierung")] == [("DE",), ("DE",)]
    assert [m.text for m in german.find_mentions("Berlins Linie")] == ["Berlins"]
    assert engine.gazetteer.find_mentions("Deutschland") == []  # the English reader is left as it was


def test_a_pack_naming_an_unknown_actor_is_a_clear_error(engine, tmp_path):
    pack = tmp_path / "xx.toml"
    pack.write_text('[[actor]]\ncode = "ZZ"\nnames = ["Zedland"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"xx.toml: \[\[actor\]\] #1 code 'ZZ' is not in the actors file"):
        engine.gazetteer.with_language(tomllib.loads(pack.read_text()), pack)
