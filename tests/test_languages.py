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
    for claim in claims:  # the evidence stays in the original language (a quotation: with who closes it)
        assert all(part in case["text"] for part in claim.evidence.split(" […] "))


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


# --- through the pipeline: a real feed and real pages on 127.0.0.1 --------------------------

GERMAN_PAGE = """<!DOCTYPE html><html lang="de-DE"><head><meta charset="utf-8"><title>Scholz: Keine Bodentruppen</title></head>
<body><article><h1>Scholz schließt Bodentruppen für die Ukraine aus</h1>
<p>Bundeskanzler Olaf Scholz hat die Entsendung deutscher Bodentruppen in die Ukraine am Dienstag erneut
ausgeschlossen. Es werde keine Soldaten auf ukrainischem Boden geben, die von europäischen Staaten oder
NATO-Staaten dorthin geschickt würden, sagte der Kanzler in Freiburg.</p>
<p>Zuvor hatte der französische Präsident Emmanuel Macron eine Entsendung westlicher Truppen nicht ausgeschlossen.
Die Debatte darüber dürfte die Partner in den kommenden Wochen weiter beschäftigen, hieß es in Berlin.</p>
</article></body></html>"""

UNDECLARED_GERMAN_PAGE = GERMAN_PAGE.replace('<html lang="de-DE">', "<html>").replace(
    "Scholz schließt Bodentruppen", "Kanzler schließt Bodentruppen")

UKRAINIAN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Миротворці</title></head><body><article>
<h1>Польща не відправлятиме військових в Україну</h1>
<p>Прем'єр-міністр Польщі Дональд Туск заявив, що Польща не планує відправляти своїх військових в Україну.
Він наголосив, що Варшава й надалі підтримуватиме Україну іншими способами, зокрема зброєю та логістикою.</p>
</article></body></html>"""


def _feed(server, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(f"<item><title>{title}</title><link>{server.url(path)}</link><guid>{path}</guid>"
                      f"<pubDate>Tue, 27 Feb 2024 10:00:00 GMT</pubDate></item>" for path, title in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Presse</title>'
            f"<link>{server.url('/')}</link><description>x</description>{entries}</channel></rss>").encode()


def test_each_version_records_its_language_and_claims_quote_the_original(server, db, tmp_path):
    from tests.test_poll import make_config
    from tracker.clock import FixedClock
    from tracker.pipeline import run_cycle
    from tracker.store import rows

    server.add("/de/1", body=GERMAN_PAGE.encode())
    server.add("/de/2", body=UNDECLARED_GERMAN_PAGE.encode())
    server.add("/uk/1", body=UKRAINIAN_PAGE.encode())
    server.add("/feed.xml", body=_feed(server, [("/de/1", "Scholz"), ("/de/2", "Kanzler"), ("/uk/1", "Туск")]),
               content_type="application/rss+xml")
    config = make_config(tmp_path, server, {"presse": "/feed.xml"})
    run_cycle(db, config, clock=FixedClock("2024-02-28T12:00:00+00:00"))
    languages = {r["url"].rsplit("/", 2)[-2] + r["url"][-1]: r["language"] for r in rows(db, (
        "SELECT a.url, v.language FROM versions v JOIN articles a ON a.id = v.article_id"))}
    assert languages == {"de1": "de", "de2": "de", "uk1": "uk"}
    claims = rows(db, "SELECT c.actor, c.stance, c.language, c.evidence, a.url FROM claims c "
                      "JOIN articles a ON a.id = c.article_id ORDER BY c.id")
    german = [c for c in claims if c["url"].endswith("/de/1")]
    assert ("DE", "oppose", "de") in {(c["actor"], c["stance"], c["language"]) for c in german}
    assert any("Bodentruppen" in c["evidence"] for c in german if c["actor"] == "DE")
    assert not [c for c in claims if c["url"].endswith("/uk/1")]  # no Ukrainian pack: no claims, no guesses


def test_alerts_show_non_english_evidence_as_it_is_with_its_language():
    from tracker.alerts.render import render_shift
    from tracker.models import Shift

    shift = Shift(id=7, actor="DE", topic="troops-to-ukraine", from_stance="support", to_stance="oppose",
                  detected_at="2024-02-27T12:00:00+00:00", since="2024-02-27", status="confirmed", corroboration=2,
                  confidence=0.9, retrospective=False,
                  new_evidence="Kanzler Olaf Scholz hat einen Einsatz deutscher Soldaten in der Ukraine ausgeschlossen.",
                  new_url="https://example.org/de", new_outlet="tagesschau.de", new_date="2024-02-27",
                  old_evidence="Germany is ready to send troops to Ukraine.", old_url=None, old_outlet="example.com",
                  old_date="2024-01-10", extra={"new_language": "de", "old_language": "en"})
    message = render_shift(shift, key="k", names={"DE": "Germany"})
    assert "Now (oppose): tagesschau.de, 2024-02-27 | in German (de)" in message.text
    assert "\"Kanzler Olaf Scholz hat einen Einsatz deutscher Soldaten in der Ukraine ausgeschlossen.\"" in message.text
    assert "Before (support): example.com, 2024-01-10\n" in message.text  # English needs no mark
    assert '<blockquote lang="de">Kanzler Olaf Scholz' in message.html
    assert message.payload["shifts"][0]["new"]["language"] == "de"


def test_an_evidence_card_marks_a_quote_that_is_not_in_english():
    from tracker.publish.render import card_html

    german = card_html({"evidence": "Deutschland schließt Bodentruppen aus.", "outlet": "taz.de", "language": "de"},
                       lambda path: path)
    english = card_html({"evidence": "Germany rules out troops.", "outlet": "example.com", "language": "en"},
                        lambda path: path)
    assert '<div class="card" lang="de">' in german and "in German (de)" in german
    assert "Deutschland schließt Bodentruppen aus." in german
    assert "in English" not in english
