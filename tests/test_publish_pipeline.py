"""Datasette over a database the real pipeline filled: the seed replay demo."""

from __future__ import annotations

import asyncio
import sqlite3

import feedparser
import pytest

from tests.conftest import CONFIG_DIR, SEEDS
from tracker.config import parse_config
from tracker.demo import run_demo
from tracker.publish import make_datasette
from tracker.publish.queries import CANNED_QUERIES


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "tracker.db"
    base = parse_config({"stance": {"actors": str(CONFIG_DIR / "actors.toml"),
                                    "topics": str(CONFIG_DIR / "topics.toml")}}, CONFIG_DIR / "feeds.toml")
    run_demo(base, path, seeds_dir=SEEDS, say=lambda line: None)
    conn = sqlite3.connect(path)
    yield make_datasette(path), conn
    conn.close()


def rows(ds, path: str) -> list[dict]:
    base, _, query = path.partition("?")
    response = asyncio.run(ds.client.get(f"{base}.json?{query}&_shape=array"))
    assert response.status_code == 200, f"{path}: {response.status_code}\n{response.text[:500]}"
    return response.json()


def test_latest_shifts_shows_every_detected_shift_with_both_sides(replayed):
    ds, conn = replayed
    shifts = conn.execute("SELECT id, actor, from_stance, to_stance FROM shifts").fetchall()
    listed = rows(ds, "/tracker/latest_shifts")
    assert len(listed) == len(shifts) >= 4
    for row in listed:
        values = " ".join(str(v) for v in row.values())
        assert "troops-to-ukraine" in values
    both_sides = conn.execute(
        "SELECT n.evidence, o.evidence FROM shifts s JOIN claims n ON n.id = s.claim_id "
        "JOIN claims o ON o.id = s.previous_claim_id").fetchall()
    shown = " ".join(str(v) for row in listed for v in row.values())
    for new, old in both_sides:
        assert new in shown and old in shown


def test_every_canned_query_answers_on_pipeline_data(replayed):
    ds, conn = replayed
    article_id = conn.execute("SELECT min(id) FROM articles").fetchone()[0]
    params = {"actor_timeline": "?actor=DE", "article_history": f"?article_id={article_id}",
              "positions_overview": "?topic=troops-to-ukraine"}
    for name in CANNED_QUERIES:
        if name.endswith("_atom"):
            continue
        rows(ds, f"/tracker/{name}{params.get(name, '')}")
    positions = {r["actor"]: r for r in rows(ds, "/tracker/positions_overview?topic=troops-to-ukraine")}
    current = dict(conn.execute("SELECT actor, stance FROM positions WHERE topic = 'troops-to-ukraine'").fetchall())
    assert {actor: row["stance"] for actor, row in positions.items()} == current
    # Italy's change, told in the past tense by one outlet, is a signal: its position holds.
    assert current["DE"] == "oppose" and current["SE"] == "conditional" and current["IT"] == "oppose"
    timeline = rows(ds, "/tracker/actor_timeline?actor=DE")
    assert len(timeline) >= conn.execute("SELECT count(*) FROM claims WHERE actor = 'DE'").fetchone()[0]


def test_atom_feed_has_one_entry_per_shift(replayed):
    ds, conn = replayed
    response = asyncio.run(ds.client.get("/tracker/shifts_atom.atom"))
    feed = feedparser.parse(response.content)
    assert len(feed.entries) == conn.execute("SELECT count(*) FROM shifts").fetchone()[0]


def test_search_finds_a_replayed_article_by_a_phrase_of_its_text(replayed):
    ds, conn = replayed
    found = rows(ds, "/tracker/versions?_search=%22flatly+rejected+the+notion%22")
    assert len(found) == 1 and "flatly rejected the notion" in found[0]["text"]
