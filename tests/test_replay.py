"""tracker eval --replay: a dated labelled stream, replayed oldest first, shifts scored per level.

tests/data/replay/stream.jsonl is written for these tests: Germany opposes (its
chancellor and a report), a diplomat then reports it ready, and its chancellor
and defence minister confirm it (one gold change, corroborated: a shift); Poland
is misread as ready in its first article, so the next, correct one looks like a
change that the gold labels do not have (a wrong signal).
"""

from __future__ import annotations

import json
from dataclasses import replace

from click.testing import CliRunner

from tests.conftest import ROOT, write_config
from tracker.cli import main
from tracker.config import load_config
from tracker.positions.replay import (Flagged, GoldChange, LevelScore, Trace, load_corpus, replay,
                                        why_missed)

STREAM = ROOT / "tests" / "data" / "replay" / "stream.jsonl"


def run(tmp_path, *args):
    config = write_config(tmp_path, "")
    return CliRunner().invoke(main, ["--config", str(config), "eval", "--replay", str(STREAM), *args])


def test_replay_scores_each_level(tmp_path):
    result = run(tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"replay of {STREAM}: 7 articles, topic troops-to-ukraine, 1 gold changes"
    table = {line.split()[0]: line.split()[1:] for line in lines[2:]}
    #                      flagged right found precision recall F1
    assert table["signals"] == ["1", "0", "0", "0.000", "0.000", "0.000"]
    assert table["shifts"] == ["1", "1", "1", "1.000", "1.000", "1.000"]
    assert table["signals+shifts"] == ["2", "1", "1", "0.500", "1.000", "0.667"]
    assert table["alerts"] == ["1", "1", "1", "1.000", "1.000", "1.000"]


def test_show_lists_each_change_with_its_evidence_and_the_misses(tmp_path):
    output = run(tmp_path, "--show").output
    assert ("  right 2025-02-01 r03      DE   oppose -> support: shift on 2025-02-03, alerted (support "
            in output)
    assert "  WRONG 2025-02-12 r07      PL   support -> oppose: signal, not alerted (" in output
    assert "[Outlet F] Poland would not send troops to Ukraine." in output
    assert "  found  2025-02-01 r03      DE   oppose -> support (shifts, signals+shifts, alerts)" in output


def test_json_and_holdout(tmp_path):
    data = json.loads(run(tmp_path, "--json").output)
    assert data["levels"]["alerts"] == {"flagged": 1, "right": 1, "gold_changes": 1, "found": 1,
                                        "precision": 1.0, "recall": 1.0, "f1": 1.0}
    held = run(tmp_path, "--holdout").output
    # 7 articles sorted by id: only r04 (index 3) is held back.
    assert held.splitlines()[0] == f"replay of {STREAM} (held-back): 1 articles, topic troops-to-ukraine, 0 gold changes"


def test_alert_rules_of_the_config_choose_the_levels(tmp_path):
    config = load_config(write_config(tmp_path, (
        '[[alerts.channel]]\nname = "desk"\nkind = "webhook"\nurl = "https://hooks.example.org/x"\n'
        'levels = ["signal", "shift"]\n')))
    report = replay(load_corpus(STREAM, "troops-to-ukraine"), config, topic="troops-to-ukraine")
    assert len(report.levels["alerts"].flagged) == 2


def test_a_corpus_line_without_a_date_names_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "Poland is ready."}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(write_config(tmp_path, "")), "eval", "--replay", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: article 'x' has no \"published\" date (YYYY-MM-DD); a replayed article needs one" in result.output


def test_the_seeds_replay_finds_their_changes_and_no_false_one(tmp_path):
    """A gate: the seeds, replayed as a stream, flag exactly the changes their labels imply."""
    config = write_config(tmp_path, "")
    result = CliRunner().invoke(main, ["--config", str(config), "eval", "--replay", str(ROOT / "seeds" / "manifest.toml"),
                                       "--json"])
    assert result.exit_code == 0, result.output
    levels = json.loads(result.output)["levels"]
    assert levels["signals+shifts"]["precision"] == 1.0 and levels["signals+shifts"]["recall"] == 1.0
    assert levels["alerts"]["precision"] == 1.0 and levels["alerts"]["found"] >= 2


MISSES = ROOT / "tests" / "data" / "replay" / "misses.jsonl"


def test_each_gold_change_not_alerted_says_where_it_was_lost(tmp_path):
    """tests/data/replay/misses.jsonl: Italy's gold change to support is in an article that does not
    name Italy, so its return to oppose finds the position already there; Spain's gold stance is
    labelled where the text never names it, so its first readable report starts a position, and
    its last article is labelled oppose where the text says ready."""
    config = write_config(tmp_path, "")
    result = CliRunner().invoke(main, ["--config", str(config), "eval", "--replay", str(MISSES), "--show"])
    assert result.exit_code == 0, result.output
    assert "  MISSED 2025-02-01 m2       IT   oppose -> support; not alerted: no claim for the actor" in result.output
    assert "  MISSED 2025-03-01 m3       ES   oppose -> support; not alerted: first report of the actor" in result.output
    assert ("  MISSED 2025-04-01 m4       IT   support -> oppose; not alerted: position already the new stance"
            in result.output)
    assert "  MISSED 2025-05-01 m5       ES   support -> oppose; not alerted: read with another stance" in result.output
    data = json.loads(CliRunner().invoke(main, ["--config", str(config), "eval", "--replay", str(MISSES),
                                                "--json"]).output)
    assert data["not_alerted"] == {"no claim for the actor": 1, "read with another stance": 1,
                                   "first report of the actor": 1, "position already the new stance": 1}


def test_a_change_flagged_but_not_alerted_or_elsewhere_is_told_apart_from_a_held_position():
    change = GoldChange("a5", "2025-03-01", "DE", "oppose", "support")
    trace = Trace(before={"DE": "oppose"}, claimed={"DE": {"support"}})
    signal = Flagged(article="a5", published="2025-03-01", actor="DE", from_stance="oppose", to_stance="support",
                     level="signal", alerted=False, evidence="", outlet=None)
    early = replace(signal, article="a2", published="2025-01-10")
    assert why_missed(change, {"signals+shifts": LevelScore(found=[change])}, trace) == "a signal, not alerted"
    assert why_missed(change, {"signals+shifts": LevelScore(flagged=[early], missed=[change])}, trace) \
        == "flagged more than 3 days away"
    assert why_missed(change, {"signals+shifts": LevelScore(missed=[change])}, trace) == "read, position held"
