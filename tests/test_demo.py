"""The seed replay demo, end to end: exactly the shifts the seeds contain."""

from __future__ import annotations

import os
import sqlite3

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, SEEDS
from tracker.cli import main

# From seeds/manifest.toml: Germany oppose (2024-02) -> support (2024-12) -> oppose or conditional
# (2025-02); Italy oppose -> support (2024-12, told in the past tense); Sweden oppose -> conditional.
EXPECTED = {
    ("DE", "oppose", "support", 0),
    ("IT", "oppose", "support", 1),
    ("SE", "oppose", "conditional", 0),
}
DE_FEBRUARY = {("DE", "support", "oppose", 0), ("DE", "support", "conditional", 0)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("demo") / "demo.db"
    cwd = os.getcwd()
    os.chdir(ROOT)  # the demo reads config/ and seeds/ like a user running it from the clone
    try:
        result = CliRunner().invoke(main, ["--db", str(db_path), "demo", "--no-serve", "--seeds", str(SEEDS)])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    yield result.output, conn
    conn.close()


def test_demo_flags_exactly_the_seed_shifts(demo):
    _, conn = demo
    shifts = {(r["actor"], r["from_stance"], r["to_stance"], r["retrospective"])
              for r in conn.execute("SELECT * FROM shifts")}
    assert EXPECTED <= shifts
    assert len(shifts & DE_FEBRUARY) == 1
    assert len(shifts) == len(EXPECTED) + 1, f"spurious shifts: {shifts - EXPECTED - DE_FEBRUARY}"


def test_no_shift_for_actors_whose_stance_held(demo):
    _, conn = demo
    assert conn.execute("SELECT count(*) FROM shifts WHERE actor IN ('PL', 'GB', 'FR')").fetchone()[0] == 0
    held = dict(conn.execute("SELECT actor, stance FROM positions WHERE actor IN ('PL', 'GB', 'FR')").fetchall())
    assert held == {"PL": "oppose", "GB": "support", "FR": "support"}


def test_shifts_carry_evidence_of_both_sides(demo):
    _, conn = demo
    rows = {r["actor"] + ":" + r["to_stance"]: r for r in conn.execute("SELECT * FROM shift_evidence")}
    germany_december = rows["DE:support"]
    assert "Germany throwing its weight behind the idea" in germany_december["new_evidence"]
    assert "including Germany, Poland, Sweden" in germany_december["old_evidence"]
    assert germany_december["since"].startswith("2024-12")
    italy = rows["IT:support"]
    assert italy["new_evidence"].startswith("Previously, Italy and Germany expressed readiness")
    assert italy["retrospective"] == 1
    sweden = rows["SE:conditional"]
    assert "would not rule out sending forces" in sweden["new_evidence"]
    assert sweden["since"] == "2025-02-18"
    for row in rows.values():
        assert row["new_url"].startswith("http://127.0.0.1:") and row["old_url"].startswith("http://127.0.0.1:")


def test_every_shift_was_alerted_by_mail_and_webhook(demo):
    output, conn = demo
    shifts = conn.execute("SELECT count(*) FROM shifts").fetchone()[0]
    sent = dict(conn.execute("SELECT channel, count(*) FROM alerts WHERE status = 'sent' GROUP BY channel").fetchall())
    assert sent == {"demo-mail": shifts, "demo-webhook": shifts}
    assert f"alerts delivered: {shifts} emails to the local SMTP sink, {shifts} webhook posts" in output


def test_demo_prints_a_readable_table_and_records_runs(demo):
    output, conn = demo
    assert "shifts detected:" in output
    assert "oppose -> conditional" in output
    assert conn.execute("SELECT count(*) FROM runs WHERE trigger = 'demo'").fetchone()[0] == 5
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    outlets = {r[0] for r in conn.execute("SELECT outlet FROM articles")}
    assert "a3f.in.ua" in outlets  # each item's <source> is its outlet


def test_demo_output_is_the_table_without_log_lines(demo, tmp_path_factory):
    output, conn = demo
    assert " INFO " not in output and " WARNING " not in output
    assert "  Sweden (SE)  troops-to-ukraine  oppose -> conditional " in output  # names beside codes
    db_file = conn.execute("PRAGMA database_list").fetchone()[2]
    log = f"{db_file}.log"
    assert f"log of the replay: {log} (-v shows it here)" in output
    assert "alert shift-1-demo-mail sent to demo-mail" in open(log, encoding="utf-8").read()


def test_demo_shows_each_change_at_its_level(demo):
    output, conn = demo
    levels = {(r["actor"], r["to_stance"]): (r["level"], r["kind"]) for r in conn.execute("SELECT * FROM shifts")}
    assert levels[("DE", "support")] == ("shift", "reversal")  # a second outlet the next cycle
    assert levels[("IT", "support")] == ("signal", "reversal")  # one outlet, in the past tense
    assert levels[("SE", "conditional")] == ("shift", "softening")  # the foreign minister's own words
    assert levels[("DE", "oppose")] == ("shift", "reversal")  # the chancellor's own words
    assert "oppose -> support (retro)  signal" in output
