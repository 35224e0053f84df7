"""Claims -> positions -> shifts through the real pipeline entry and stance engine."""

from __future__ import annotations

import pytest

from tests.conftest import write_config
from tracker.clock import FixedClock
from tracker.config import load_config
from tracker.pipeline import ingest_text

OPPOSE = "German Chancellor Olaf Scholz has categorically rejected the idea of sending Western troops to Ukraine."
SUPPORT = ("Germany expressed readiness to send peacekeepers to Ukraine once a ceasefire is agreed, "
           "a government spokesman said.")


@pytest.fixture
def setup(tmp_path, db):
    config = load_config(write_config(tmp_path, ""))
    clock = FixedClock("2025-03-01T08:00:00")

    def ingest(url, text, published, outlet="Outlet A", title=None):
        return ingest_text(db, config, url=url, title=title, text=text, published_at=published,
                           outlet=outlet, clock=clock)
    return db, ingest


def test_pipeline_records_claims_and_a_shift(setup):
    db, ingest = setup
    ingest("https://a.example/1", OPPOSE, "2024-02-27")
    ingest("https://b.example/2", SUPPORT, "2024-12-10", outlet="Outlet B")
    claims = db.execute("SELECT actor, stance, said_at FROM claims ORDER BY id").fetchall()
    assert claims == [("DE", "oppose", "2024-02-27"), ("DE", "support", "2024-12-10")]
    assert db.execute("SELECT actor, from_stance, to_stance, status FROM shifts").fetchall() == [
        ("DE", "oppose", "support", "new")]


def test_edited_article_yields_an_edit_record_not_a_shift(setup):
    db, ingest = setup
    ingest("https://a.example/1", OPPOSE, "2024-02-27")
    _, v1 = ingest("https://a.example/live", "Leaders met in Paris.\n\n" + OPPOSE, "2025-02-18")
    _, v2 = ingest("https://a.example/live", "Leaders met in Paris.\n\n" + SUPPORT, "2025-02-18")
    assert v2 is not None and v2 != v1
    assert db.execute("SELECT count(*) FROM shifts").fetchone()[0] == 0
    edit = db.execute("SELECT actor, from_stance, to_stance, previous_version_id, version_id FROM article_edits").fetchall()
    assert edit == [("DE", "oppose", "support", v1, v2)]
    diff = db.execute("SELECT diff FROM versions WHERE id = ?", (v2,)).fetchone()[0]
    assert "readiness" in diff


def test_syndicated_copies_count_once_and_a_second_outlet_confirms(setup):
    db, ingest = setup
    ingest("https://a.example/1", OPPOSE, "2024-02-27")
    ingest("https://wire.example/1", SUPPORT, "2024-12-10", outlet="Wire")
    ingest("https://paper.example/copy", SUPPORT, "2024-12-10", outlet="Paper")  # same text: syndicated
    assert db.execute("SELECT corroboration, status FROM shifts").fetchone() == (1, "new")
    ingest("https://other.example/own", "Berlin is ready to deploy troops to Ukraine as part of a peace force, "
           "the defence minister said.", "2024-12-11", outlet="Other")
    assert db.execute("SELECT corroboration, status FROM shifts").fetchone() == (2, "confirmed")


def test_past_tense_report_in_a_newer_article_does_not_override(setup):
    db, ingest = setup
    ingest("https://a.example/1", OPPOSE, "2024-02-27")
    ingest("https://b.example/2", SUPPORT, "2024-12-10")
    ingest("https://other.example/own", "Berlin is ready to deploy troops to Ukraine as part of a peace force, "
           "the defence minister said.", "2024-12-11", outlet="Other")  # a second outlet: the change holds
    ingest("https://c.example/3", "In February 2024, Chancellor Olaf Scholz rejected sending troops to Ukraine.",
           "2025-01-05")
    assert db.execute("SELECT stance, since FROM positions WHERE actor = 'DE'").fetchone() == ("support", "2024-12-10")
    assert db.execute("SELECT count(*) FROM shifts").fetchone()[0] == 1
    history = db.execute("SELECT effect FROM position_history WHERE actor = 'DE' ORDER BY id").fetchall()
    assert history[-1] == ("older",)
