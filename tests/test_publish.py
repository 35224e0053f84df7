"""Datasette over a filled database, through Datasette's own test client."""

from __future__ import annotations

import asyncio
import html
import json
import sqlite3

import feedparser
import pytest
from markupsafe import escape

from tests.publish_data import build_publish_db
from tracker.errors import StoreError
from tracker.publish import make_datasette
from tracker.publish.metadata import HIDDEN, STANCE_MEANINGS, TABLES
from tracker.publish.queries import CANNED_QUERIES

ACTOR_NAMES = {"DE": "Germany", "SE": "Sweden"}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    path = tmp_path_factory.mktemp("publish") / "tracker.db"
    ids = build_publish_db(path)
    ds = make_datasette(path)
    return ds, ids, path


def get(ds, path: str, status: int = 200):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == status, f"{path}: {response.status_code}\n{response.text[:500]}"
    return response


def rows(ds, path: str) -> list[dict]:
    sep = "&" if "?" in path else "?"
    return get(ds, f"{path}{sep}_shape=array").json()


def test_database_page_lists_tables_and_canned_queries_and_hides_internal_tables(published):
    ds, _, _ = published
    data = get(ds, "/tracker.json").json()
    hidden = {t["name"] for t in data["tables"] if t["hidden"]}
    visible = {t["name"] for t in data["tables"] if not t["hidden"]}
    assert set(HIDDEN) <= hidden
    assert {name for name in hidden if name.startswith(("versions_fts", "claims_fts"))} >= {
        "versions_fts_data", "claims_fts_data"}
    assert {"shifts", "positions", "claims", "versions", "feeds"} <= visible
    assert {"claim_evidence", "shift_evidence"} <= {v["name"] for v in data["views"]}
    assert {q["name"] for q in data["queries"]} == set(CANNED_QUERIES)
    assert not any(q.get("write") for q in data["queries"])


def test_every_table_view_and_column_an_analyst_sees_has_a_description(published):
    ds, _, path = published
    data = get(ds, "/tracker.json").json()
    seen = [t["name"] for t in data["tables"] if not t["hidden"]] + [v["name"] for v in data["views"]]
    conn = sqlite3.connect(path)
    try:
        missing = []
        for name in seen:
            if name not in TABLES:
                missing.append(f"table {name}")
                continue
            described = TABLES[name][1]
            for (column,) in conn.execute(f"SELECT name FROM pragma_table_info('{name}')"):
                if not described.get(column):
                    missing.append(f"{name}.{column}")
    finally:
        conn.close()
    assert missing == [], "add descriptions to tracker/publish/metadata.py TABLES: " + ", ".join(missing)
    page = get(ds, "/tracker/shifts").text
    assert str(escape(TABLES["shifts"][0])) in page
    assert 'data-column-description="stance after the shift' in page


def test_database_page_explains_every_stance(published):
    ds, _, _ = published
    for path in ("/", "/tracker"):
        page = get(ds, path).text
        for stance, meaning in STANCE_MEANINGS.items():
            assert f'<span class="stance stance-{stance}">{stance}</span>: {escape(meaning)}' in page, path


def test_latest_shifts_show_old_and_new_stance_with_both_evidence_sentences(published):
    ds, ids, _ = published
    result = rows(ds, "/tracker/latest_shifts.json")
    assert [r["shift_id"] for r in result] == list(reversed(ids["shifts"]))  # newest first
    for row in result:
        expected = ids["shift_rows"][row["shift_id"]]
        change, status = json.loads(row["change"]), json.loads(row["status"])
        now, before = json.loads(row["now"]), json.loads(row["before"])
        assert (row["actor"], change["from"], change["to"]) == (
            expected["actor"], expected["from_stance"], expected["to_stance"])
        assert now["evidence"] == expected["new_evidence"]
        assert before["evidence"] == expected["old_evidence"]
        assert now["url"] == expected["new_url"]
        assert now["outlet"] and before["outlet"] and now["date"] and before["date"]
        assert (status["status"], status["outlets"], row["since"]) == (
            expected["status"], expected["corroboration"], expected["since"])


def test_positions_overview_defaults_to_the_busiest_topic_and_takes_a_topic(published):
    ds, ids, _ = published
    overview = rows(ds, "/tracker/positions_overview.json")
    assert {r["actor"]: r["stance"] for r in overview} == ids["positions"]
    assert all(r["evidence"] for r in overview)
    order = [list(STANCE_MEANINGS).index(r["stance"]) for r in overview]
    assert order == sorted(order)  # support, then conditional, then oppose
    assert rows(ds, f"/tracker/positions_overview.json?topic={ids['topic']}") == overview
    assert rows(ds, "/tracker/positions_overview.json?topic=no-such-topic") == []


def test_actor_timeline_lists_baseline_claims_and_shifts_oldest_first(published):
    ds, ids, _ = published
    shifted = ids["shift_rows"][ids["shifts"][0]]["actor"]
    timeline = rows(ds, f"/tracker/actor_timeline.json?actor={shifted.lower()}")
    assert [r["date"] for r in timeline] == sorted(r["date"] for r in timeline)
    assert timeline[0]["kind"] == "baseline"
    shift_refs = [int(r["page"].rsplit("/", 1)[1]) for r in timeline if r["kind"] == "shift"]
    assert shift_refs == [sid for sid, s in ids["shift_rows"].items() if s["actor"] == shifted]
    claim_refs = {int(r["page"].rsplit("/", 1)[1]) for r in timeline if r["kind"] == "claim"}
    assert claim_refs <= set(ids["claims_current"])
    assert claim_refs, "the actor's claims are on the timeline"
    with_topic = rows(ds, f"/tracker/actor_timeline.json?actor={shifted}&topic={ids['topic']}")
    assert with_topic == timeline
    assert rows(ds, f"/tracker/actor_timeline.json?actor={shifted}&topic=no-such-topic") == []


def test_article_history_by_id_by_url_and_all_edits(published):
    ds, ids, _ = published
    key = ids["edited_article"]
    by_id = rows(ds, f"/tracker/article_history.json?article_id={ids['articles'][key]}")
    assert [r["version"] for r in by_id] == [2, 1]
    newest = by_id[0]
    assert ids["edit_sentence"] in newest["diff"]
    assert newest["chars_added"] > 0
    assert json.loads(newest["stance_edits"]) == [
        {"actor": "SE", "topic": ids["topic"], "from": None, "to": "conditional"}]
    assert by_id[1]["diff"] is None
    by_url = rows(ds, f"/tracker/article_history.json?url={ids['article_urls'][key]}")
    assert by_url == by_id
    edits = rows(ds, "/tracker/article_history.json")
    assert [(r["article_id"], r["version"]) for r in edits] == [(ids["articles"][key], 2)]


def test_claims_to_review_are_unreviewed_current_claims_shift_drivers_first(published):
    ds, ids, _ = published
    result = rows(ds, "/tracker/claims_to_review.json")
    expected = set(ids["claims_unreviewed"]) & set(ids["claims_current"])
    assert {r["claim_id"] for r in result} == expected
    drivers = [r["drives_shifts"] for r in result]
    assert drivers == sorted(drivers, reverse=True) and drivers[0] >= 1
    assert all(json.loads(r["evidence"])["outlet"] and json.loads(r["evidence"])["url"] for r in result)
    assert all(f"tracker review claim {r['claim_id']} --reject" in r["review"] for r in result)


def test_feed_health_puts_failing_feeds_first(published):
    ds, ids, _ = published
    result = rows(ds, "/tracker/feed_health.json")
    assert [r["name"] for r in result][0] == ids["failing_feed"]
    assert {r["name"] for r in result} == set(ids["feeds"])
    first = result[0]
    assert first["health"] == "failing" and first["error_count"] > 0 and first["last_error"]
    assert {r["name"]: r["health"] for r in result[1:]} == {
        n: "ok" for n in ids["feeds"] if n != ids["failing_feed"]}
    assert sum(r["articles"] for r in result) == len(ids["articles"])


def test_shifts_atom_feed_has_one_entry_per_shift_with_both_sides(published):
    ds, ids, _ = published
    response = get(ds, "/tracker/shifts_atom.atom")
    feed = feedparser.parse(response.text)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == CANNED_QUERIES["shifts_atom"]["title"]
    assert len(feed.entries) == len(ids["shifts"])
    by_id = {entry.id: entry for entry in feed.entries}
    for shift_id, shift in ids["shift_rows"].items():
        entry = by_id[f"urn:tracker:shift:{shift_id}"]
        assert entry.title.startswith(f"{ACTOR_NAMES[shift['actor']]} ({shift['actor']}) on ")
        assert f"{shift['from_stance']} -> {shift['to_stance']}" in entry.title
        content = html.unescape(entry.content[0].value)
        assert shift["new_evidence"] in content and shift["old_evidence"] in content
        assert entry.link == f"http://localhost/tracker/shifts/{shift_id}"  # the shift page, absolute


def test_search_finds_an_article_by_a_phrase_of_its_text(published):
    ds, ids, _ = published
    phrase = ids["search_phrase"].replace(" ", "+")
    found = rows(ds, f"/tracker/versions.json?_search={phrase}")
    assert {r["article_id"] for r in found} == {ids["articles"][ids["search_article"]]}
    assert rows(ds, "/tracker/versions.json?_search=zzzunfindable") == []


def test_search_finds_claims_by_evidence_in_table_and_view(published):
    ds, ids, _ = published
    word = "inappropriate"
    wanted = {cid for cid, text in ids["claim_evidence"].items() if word in text}
    assert wanted
    assert {r["id"] for r in rows(ds, f"/tracker/claims.json?_search={word}")} == wanted
    assert {r["claim_id"] for r in rows(ds, f"/tracker/claim_evidence.json?_search={word}")} == wanted


@pytest.mark.parametrize("table, facets", [
    ("shifts", {"actor", "topic", "status", "to_stance"}),
    ("shift_evidence", {"actor", "topic", "status", "new_outlet"}),
    ("claims", {"actor", "topic", "stance", "review_status"}),
    ("claim_evidence", {"actor", "topic", "stance", "outlet", "review_status"}),
    ("positions", {"topic", "stance", "actor"}),
    ("articles", {"outlet"}),
])
def test_tables_have_default_facets(published, table, facets):
    ds, _, _ = published
    data = get(ds, f"/tracker/{table}.json").json()
    assert facets <= set(data["facet_results"])


def test_claim_outlet_facet_counts_claims_per_outlet(published):
    ds, ids, _ = published
    data = get(ds, "/tracker/claim_evidence.json").json()
    counts = {r["value"]: r["count"] for r in data["facet_results"]["outlet"]["results"]}
    assert set(counts) == set(ids["article_outlets"].values())
    assert sum(counts.values()) == len(ids["claim_evidence"])


@pytest.mark.parametrize("table, column", [
    ("shifts", "detected_at"), ("claims", "created_at"), ("versions", "fetched_at"),
    ("articles", "first_seen_at"), ("runs", "started_at"), ("alerts", "created_at"),
])
def test_tables_sort_newest_first(published, table, column):
    ds, _, _ = published
    values = [r[column] for r in rows(ds, f"/tracker/{table}.json")]
    assert len(values) > 1
    assert values == sorted(values, reverse=True)


def test_shifts_page_quotes_evidence_highlighted_and_stances_as_badges(published):
    ds, ids, _ = published
    page = get(ds, "/tracker/latest_shifts").text
    assert "<title>tracker: Latest shifts</title>" in page
    for shift in ids["shift_rows"].values():
        for side in ("new_evidence", "old_evidence"):
            quoted = f'<blockquote class="evidence"><mark>{html.escape(shift[side])}</mark></blockquote>'
            assert quoted in page
        assert f'<span class="stance stance-{shift["to_stance"]}"' in page
    assert "/tracker-static/tracker.css" in page


def test_article_history_colours_additions_and_marks_the_added_words(published):
    ds, ids, _ = published
    article_id = ids["articles"][ids["edited_article"]]
    page = get(ds, f"/tracker/article_history?article_id={article_id}").text
    assert '<pre class="diff">' in page and '<ins class="diff-add">' in page
    assert '<del class="diff-del">' in page  # the paragraph's old line
    added = html.escape(ids["edit_sentence"].split()[0])
    assert f'<mark class="diff-word">{added}' in page


def test_actor_timeline_page_draws_the_stance_chart(published):
    ds, ids, _ = published
    shift = ids["shift_rows"][ids["shifts"][0]]
    page = get(ds, f"/tracker/actor_timeline?actor={shift['actor']}").text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="stance-chart"' in page
    assert f'data-actor="{shift["actor"]}"' in page
    assert page.count('class="shift stance-') == sum(
        1 for s in ids["shift_rows"].values() if s["actor"] == shift["actor"])
    no_actor = get(ds, "/tracker/actor_timeline").text
    assert 'class="stance-chart"' not in no_actor


def test_positions_overview_page_charts_every_actor_of_the_topic(published):
    ds, ids, _ = published
    page = get(ds, "/tracker/positions_overview").text
    for actor in ids["positions"]:
        assert f'data-actor="{actor}"' in page


def test_publishing_is_read_only(published):
    ds, ids, path = published
    response = asyncio.run(ds.client.get(
        "/tracker.json?sql=" + "DELETE FROM shifts".replace(" ", "+")))
    assert response.status_code == 400
    assert "Statement must be a SELECT" in response.text
    # Datasette 0.65 answers a POST to a read-only canned query with an error page.
    post = asyncio.run(ds.client.post("/tracker/latest_shifts", data={"x": "1"}))
    assert post.status_code >= 400
    with pytest.raises(sqlite3.OperationalError, match="readonly database"):
        asyncio.run(ds.get_database("tracker").execute("DELETE FROM shifts"))
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT COUNT(*) FROM shifts").fetchone()[0] == len(ids["shifts"])
    finally:
        conn.close()
    for name, query in CANNED_QUERIES.items():
        assert not query.get("write"), name
        assert query["sql"].lstrip().upper().startswith("SELECT"), name


def test_base_url_prefixes_links(tmp_path):
    path = tmp_path / "tracker.db"
    build_publish_db(path)
    ds = make_datasette(path, base_url="/analysts")
    page = get(ds, "/tracker/latest_shifts").text
    assert 'href="/analysts/tracker-static/tracker.css"' in page
    assert 'href="/analysts/tracker/shifts_atom.atom"' in get(ds, "/").text


def test_make_datasette_refuses_a_missing_database(tmp_path):
    missing = tmp_path / "nowhere.db"
    with pytest.raises(StoreError) as info:
        make_datasette(missing)
    assert info.value.message == (
        f"{missing}: no database here; run 'tracker init' (then 'tracker poll' or 'tracker demo') "
        "first, or pass the right file with --db"
    )
    assert not missing.exists()


def test_an_empty_database_serves_every_page_and_an_empty_atom_feed(tmp_path):
    from tracker.db import open_db

    path = tmp_path / "tracker.db"
    open_db(path).close()
    ds = make_datasette(path)
    for name in CANNED_QUERIES:
        if name != "shifts_atom":
            assert rows(ds, f"/tracker/{name}.json?actor=DE") == [], name
            get(ds, f"/tracker/{name}?actor=DE")
    feed = feedparser.parse(get(ds, "/tracker/shifts_atom.atom").text)
    assert not feed.bozo and feed.entries == []
    assert feed.feed.title == CANNED_QUERIES["shifts_atom"]["title"]
