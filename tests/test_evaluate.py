"""tracker.evaluate: gold loading, scoring rules, pinned quality floors, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import write_config
from tracker.cli import main
from tracker.errors import ConfigError
from tracker.evaluate import GoldDoc, GoldLabel, evaluate, load_gold, score
from tracker.models import Claim
from tracker.stance import load_engine

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "seeds" / "manifest.toml"

# Pinned floors on the seeds' labels (issue 3). Raise them when the engine
# improves; a drop below them fails the build.
FLOOR_PRECISION = 0.90
FLOOR_RECALL = 0.85


@pytest.fixture(scope="module")
def engine():
    return load_engine(ROOT / "config" / "actors.toml", ROOT / "config" / "topics.toml")


def _claim(actor: str, stance: str, topic: str = "troops-to-ukraine") -> Claim:
    return Claim(actor=actor, topic=topic, stance=stance, confidence=0.8, evidence=f"{actor} {stance}.")


def test_seed_quality_stays_above_the_floors(engine):
    report = evaluate(MANIFEST, engine)
    assert report.documents == 5 and report.labels == 24
    assert report.overall.precision >= FLOOR_PRECISION, report.errors
    assert report.overall.recall >= FLOOR_RECALL, report.errors


def test_scoring_counts_ambiguous_as_hit_but_never_as_miss():
    doc = GoldDoc("d1", "text", "2025-02-18", (
        GoldLabel("DE", "oppose"),
        GoldLabel("PL", "oppose"),
        GoldLabel("CZ", "support", ambiguous=True),
        GoldLabel("HU", "oppose", ambiguous=True),
        GoldLabel("FR", "support", topic="other-topic"),
    ))
    predictions = {"d1": [_claim("DE", "oppose"), _claim("DE", "oppose"), _claim("CZ", "support"),
                          _claim("IT", "support"), _claim("FR", "support", topic="other-topic")]}
    report = score([doc], predictions)
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (2, 1, 1)
    assert report.per_stance["oppose"].as_dict()["recall"] == 0.5
    assert report.per_stance["support"].precision == 0.5
    assert report.labels == 2 and report.ambiguous == 2
    assert sorted((e.kind, e.actor) for e in report.errors) == [("false-positive", "IT"), ("miss", "PL")]


def test_empty_gold_document_makes_every_claim_a_false_positive():
    report = score([GoldDoc("d2", "t", None, ())], {"d2": [_claim("RU", "oppose")]})
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (0, 1, 0)
    assert report.overall.precision == 0.0


def test_jsonl_gold_is_read(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps({"id": "a1", "published": "2025-03-10", "text": "Denmark is ready to send troops to Ukraine.",
                    "gold": [{"actor": "DK", "stance": "support", "evidence": "ready", "ambiguous": False}]}) + "\n\n"
        + json.dumps({"id": "a2", "published": "2025-03-10", "text": "Nothing here.", "gold": []}) + "\n",
        encoding="utf-8")
    docs = load_gold(gold)
    assert [(d.id, len(d.labels)) for d in docs] == [("a1", 1), ("a2", 0)]


def test_a_label_in_the_uk_form_scores_as_the_iso_code_the_engine_gives(engine, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "a1", "published": "2025-03-10", "gold": [
        {"actor": "UK", "stance": "support"}, {"actor": "EL", "stance": "oppose"}],
        "text": "Britain is ready to send troops to Ukraine. Greece will not send troops to Ukraine."}) + "\n",
        encoding="utf-8")
    assert [(lab.actor, lab.stance) for lab in load_gold(gold)[0].labels] == [("GB", "support"), ("GR", "oppose")]
    report = evaluate(gold, engine)
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (2, 0, 0)


@pytest.mark.parametrize("body, message", [
    ('{"id": "a1", "text": "x", "gold": [{"actor": "DK", "stance": "maybe"}]}', "gold.jsonl:1 gold #1: stance 'maybe'; expected one of: support, conditional, oppose"),
    ("not json", "gold.jsonl:1: not JSON"),
    ('{"id": "a1"}', 'gold.jsonl:1: expected an object with "id", "text", "published" and "gold"'),
])
def test_bad_gold_is_a_clear_error(tmp_path, body, message):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(body + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_gold(gold)
    assert message in str(info.value)


def test_missing_gold_file(tmp_path):
    with pytest.raises(ConfigError, match="no such gold file"):
        load_gold(tmp_path / "none.jsonl")


# --- CLI ----------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path):
    return write_config(tmp_path, f'[storage]\ndb = "{tmp_path / "t.db"}"\n')


def test_cli_eval_prints_figures(config):
    result = CliRunner().invoke(main, ["--config", str(config), "eval", str(MANIFEST)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "topic troops-to-ukraine: 5 documents, 24 labels (+9 ambiguous)"
    assert lines[1].split() == ["stance", "tp", "fp", "fn", "precision", "recall", "f1"]
    assert [line.split()[0] for line in lines[2:6]] == ["support", "conditional", "oppose", "overall"]


def test_cli_eval_json_and_errors(config, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "a1", "published": "2025-03-10",
                                "text": "Denmark is ready to send troops to Ukraine. Hungary flatly rejected sending troops to Ukraine.",
                                "gold": [{"actor": "DK", "stance": "support"}, {"actor": "PL", "stance": "oppose"}]}) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "eval", str(gold), "--json", "--show-errors"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["overall"] == {"tp": 1, "fp": 1, "fn": 1, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert sorted((e["kind"], e["actor"]) for e in data["errors"]) == [("false-positive", "HU"), ("miss", "PL")]
    text = CliRunner().invoke(main, ["--config", str(config), "eval", str(gold), "--show-errors"])
    assert "FP   a1 HU oppose: Hungary flatly rejected sending troops to Ukraine." in text.output
    assert "MISS a1 PL oppose:" in text.output


def test_cli_eval_unknown_topic_exits_2(config):
    result = CliRunner().invoke(main, ["--config", str(config), "eval", str(MANIFEST), "--topic", "nope"])
    assert result.exit_code == 2
    assert "unknown topic 'nope'; known topics: troops-to-ukraine, ukraine-nato-membership" in result.output


def test_cli_eval_missing_gold_exits_2(config, tmp_path):
    result = CliRunner().invoke(main, ["--config", str(config), "eval", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'x.jsonl'}: no such gold file" in result.output


# --- several files, topics and languages ------------------------------------------------


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def two_topics(tmp_path):
    troops = _write_jsonl(tmp_path / "troops.jsonl", [
        {"id": "t1", "published": "2025-03-10", "language": "en", "topic": "troops-to-ukraine",
         "text": "Denmark is ready to send troops to Ukraine.",
         "gold": [{"actor": "DK", "stance": "support", "evidence": "Denmark is ready to send troops to Ukraine"}]},
        {"id": "t2", "published": "2025-03-10", "language": "en", "topic": "troops-to-ukraine",
         "text": "Hungary flatly rejected sending troops to Ukraine.",
         "gold": [{"actor": "PL", "stance": "oppose"}]},
        {"id": "t3", "published": "2025-03-10", "language": "uk", "topic": "troops-to-ukraine",
         "text": "Польща не відправить своїх військових в Україну.",
         "gold": [{"actor": "PL", "stance": "oppose"}]},
        {"id": "t4", "published": "2025-03-10", "language": "en", "topic": "troops-to-ukraine",
         "text": "Norway is willing to send soldiers to Ukraine.",
         "gold": [{"actor": "NO", "stance": "support"}]},
    ])
    nato = _write_jsonl(tmp_path / "nato.jsonl", [
        {"id": "n1", "published": "2025-02-13", "language": "en", "topic": "ukraine-nato-membership",
         "text": "U.S. Defense Secretary Pete Hegseth said Ukraine's NATO membership is off the table.",
         "gold": [{"actor": "US", "stance": "oppose"}]},
    ])
    return troops, nato


def test_several_files_are_scored_per_topic_and_language(engine, two_topics):
    from tracker.evaluate import evaluate_files

    evaluation = evaluate_files(two_topics, engine)
    assert set(evaluation.by_topic) == {"troops-to-ukraine", "ukraine-nato-membership"}
    assert evaluation.by_topic["ukraine-nato-membership"].overall.tp == 1
    troops = evaluation.by_topic["troops-to-ukraine"].overall
    assert (troops.tp, troops.fp, troops.fn) == (2, 1, 2)
    assert set(evaluation.by_language) == {"en", "uk"}  # Ukrainian has no language pack: all missed
    assert evaluation.by_language["uk"].overall.fn == 1 and evaluation.by_language["uk"].overall.tp == 0
    assert evaluation.overall.overall.tp == 3
    assert evaluation.overall.evidence_checked == 1 and evaluation.overall.evidence_overlap == 1
    causes = sorted((e.cause, e.actor) for e in evaluation.overall.errors)
    assert causes == [("missed-actor", "PL"), ("missed-actor", "PL"), ("unlabelled-actor", "HU")]


def test_held_back_split_is_every_fourth_document_by_id(engine, two_topics):
    from tracker.evaluate import evaluate_files

    held = evaluate_files(two_topics, engine, split="held-back")
    tuned = evaluate_files(two_topics, engine, split="tuned")
    assert held.by_topic["troops-to-ukraine"].documents == 1  # t4: the 4th id of its file
    assert held.overall.overall.tp == 1 and "ukraine-nato-membership" not in held.by_topic
    assert tuned.by_topic["troops-to-ukraine"].documents == 3
    assert tuned.by_topic["ukraine-nato-membership"].documents == 1


def test_cli_eval_several_files_json_and_grouped_errors(config, two_topics):
    troops, nato = two_topics
    result = CliRunner().invoke(main, ["--config", str(config), "eval", str(troops), str(nato), "--json",
                                       "--show-errors"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["topics"]["ukraine-nato-membership"]["overall"]["tp"] == 1
    assert data["languages"]["uk"]["overall"] == {"tp": 0, "fp": 0, "fn": 1, "precision": 1.0, "recall": 0.0,
                                                  "f1": 0.0}
    assert {e["cause"] for e in data["overall"]["errors"]} == {"missed-actor", "unlabelled-actor"}
    text = CliRunner().invoke(main, ["--config", str(config), "eval", str(troops), str(nato), "--show-errors",
                                     "--language", "en"]).output
    assert "topic ukraine-nato-membership: 1 documents, 1 labels (+0 ambiguous)" in text
    assert "unlabelled-actor (1): a claim for an actor the article gives no stance on this topic" in text
    assert "FP   t2 HU oppose: Hungary flatly rejected sending troops to Ukraine." in text
    assert "[uk]" not in text


def test_a_false_positive_whose_evidence_does_not_name_its_actor_is_its_own_class(engine):
    from tracker.stance import names_actor

    doc = GoldDoc("e1", "t", "2025-03-10", (GoldLabel("DK", "support"),))
    unnamed = Claim(actor="EE", topic="troops-to-ukraine", stance="support", confidence=0.8,
                    evidence="It is still unclear which countries will commit troops to Ukraine.")
    named = Claim(actor="LV", topic="troops-to-ukraine", stance="support", confidence=0.8,
                  evidence="Latvia is ready to send troops to Ukraine.")
    report = score([doc], {"e1": [unnamed, named]}, names_actor=lambda d, text, actor: names_actor(
        engine, text, actor, d.published))
    assert sorted((e.cause, e.actor) for e in report.errors) == [
        ("evidence-lacks-actor", "EE"), ("missed-actor", "DK"), ("unlabelled-actor", "LV")]


def test_the_title_is_read_with_the_text_as_the_pipeline_reads_it(engine, tmp_path):
    from tracker.evaluate import evaluate_files

    gold = _write_jsonl(tmp_path / "titled.jsonl", [
        {"id": "h1", "published": "2025-03-10", "language": "en", "topic": "troops-to-ukraine",
         "title": "Denmark ready to send troops to Ukraine, Frederiksen says",
         "text": "The Danish prime minister spoke in Copenhagen on Monday after a meeting of the cabinet.",
         "gold": [{"actor": "DK", "stance": "support"}]},
    ])
    report = evaluate_files([gold], engine)
    assert (report.overall.overall.tp, report.overall.overall.fn) == (1, 0), report.overall.errors
