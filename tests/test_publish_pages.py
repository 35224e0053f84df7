"""The pages alerts land on, search, names beside codes: through Datasette's own test client."""

from __future__ import annotations

import asyncio
import html
import json
from datetime import date

import pytest

from tests.conftest import CONFIG_DIR
from tests.publish_data import build_publish_db
from tracker.alerts.render import shift_url
from tracker.publish import make_datasette
from tracker.publish.chart import Event, stance_chart_svg
from tracker.publish.plugins import fts_query
from tracker.publish.render import atom_html, render_value, snippet_html


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "tracker.db"
    ids = build_publish_db(path)
    return make_datasette(path, actors=CONFIG_DIR / "actors.toml"), ids


def get(ds, path: str, status: int = 200):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == status, f"{path}: {response.status_code}\n{response.text[:500]}"
    return response


def test_the_shift_page_an_alert_links_to_shows_both_sides_and_the_verdict(published):
    ds, ids = published
    for shift_id, shift in ids["shift_rows"].items():
        page = get(ds, shift_url("http://x", shift_id).removeprefix("http://x")).text
        name = {"DE": "Germany", "SE": "Sweden"}[shift["actor"]]
        assert f'<span class="actor">{name} <code>{shift["actor"]}</code></span> on' in page
        for side in ("new_evidence", "old_evidence"):
            assert f'<mark>{html.escape(shift[side])}</mark>' in page
        assert f'href="{shift["new_url"]}"' in page
        assert page.count('class="version-link"') >= 1 + (shift["old_evidence"] != ids["baseline_evidence"])
        assert f"tracker review {shift_id} --confirm" in page and f"tracker review {shift_id} --dismiss" in page
        assert f"status <b class=\"status status-{shift['status']}\">{shift['status']}</b>" in page
    # the row's JSON is still Datasette's
    assert get(ds, f"/tracker/shifts/{ids['shifts'][0]}.json").json()["rows"]


def test_a_missing_shift_is_a_helpful_404_and_the_test_alert_link_works(published):
    ds, ids = published
    missing = get(ds, "/tracker/shifts/999", status=404).text
    assert f"There is no shift 999; shift ids run from 1 to {max(ids['shifts'])}." in missing
    test = get(ds, "/tracker/shifts/0").text
    assert "Test alert" in test and "TEST ALERT" in test


def test_the_claim_page_shows_the_sentence_its_links_and_how_to_review(published):
    ds, ids = published
    claim_id = ids["claims_current"][0]
    page = get(ds, f"/tracker/claims/{claim_id}").text
    assert f"<mark>{html.escape(ids['claim_evidence'][claim_id])}</mark>" in page
    assert f"tracker review claim {claim_id} --confirm" in page and f"--reject" in page
    get(ds, "/tracker/claims/99999", status=404)


def test_search_gives_snippets_with_marked_words_from_articles_and_claims(published):
    ds, ids = published
    found = get(ds, "/tracker/search.json?_shape=array&q=Scholz+inappropriate").json()
    assert {r["kind"] for r in found} == {"article", "claim"}
    for row in found:
        assert "\x02" in row["snippet"] and "\x03" in row["snippet"]
        assert len(row["snippet"]) < 400
    page = get(ds, "/tracker/search?q=Scholz+inappropriate").text
    assert '<span class="snippet">' in page and "<mark>inappropriate</mark>" in page
    assert get(ds, "/tracker/search.json?_shape=array&q=").json() == []
    assert get(ds, '/tracker/search.json?_shape=array&q="unbalanced+AND+(').json() == []  # no syntax error


def test_fts_query_requires_every_word_and_keeps_phrases():
    assert fts_query('Scholz "highly inappropriate" Germany\'s') == '"Scholz" "highly inappropriate" "Germany\'s"'
    assert fts_query("  ") == '""' and fts_query(None) == '""'
    assert fts_query('a"b') == '"a" "b"'


def test_no_page_shows_raw_json_or_escaped_markup(published):
    ds, ids = published
    for path in ("/tracker/latest_shifts", "/tracker/positions_overview", "/tracker/claims_to_review",
                 "/tracker/positions", "/tracker/shifts_atom", f"/tracker/article_history?article_id="
                 f"{ids['articles'][ids['edited_article']]}", "/tracker/actor_timeline?actor=DE"):
        page = get(ds, path).text
        body = page[page.index("<table"):] if "<table" in page else page
        assert "{&#34;" not in body and "[&#34;" not in body and "[{" not in body, path  # JSON shown as text
        assert "&lt;p&gt;" not in body and "&lt;strong&gt;" not in body, path
    positions = get(ds, "/tracker/positions").text
    assert "[&#34;" not in positions and '<td class="col-sources type-str">Euro Desk</td>' in positions


def test_tables_fold_the_column_glossary_after_the_data(published):
    ds, _ = published
    page = get(ds, "/tracker/shifts").text
    assert page.index('<table class="rows-and-columns">') < page.index('<details class="glossary">')
    assert "<summary>What the " in page


def test_atom_entries_link_to_the_shift_page_and_name_the_country(published):
    ds, ids = published
    text = get(ds, "/tracker/shifts_atom.atom").text
    for shift_id in ids["shifts"]:
        assert f'href="http://localhost/tracker/shifts/{shift_id}"' in text
    assert "Germany (DE) on troops-to-ukraine" in text


def test_cell_renderers_escape_everything_they_did_not_make():
    assert str(atom_html("<p><strong>a</strong></p><script>x</script>")) == (
        "<p><strong>a</strong></p>&lt;script&gt;x&lt;/script&gt;")
    assert str(snippet_html("<b>\x02Scholz\x03</b>")) == (
        '<span class="snippet">&lt;b&gt;<mark>Scholz</mark>&lt;/b&gt;</span>')
    card = json.dumps({"evidence": "<x>", "outlet": "O", "date": "2025-01-01", "url": "javascript:alert(1)",
                       "version_id": 3})
    out = str(render_value("now", card))
    assert "&lt;x&gt;" in out and "javascript:" not in out and 'href="/tracker/versions/3"' in out
    assert str(render_value("sources", '["A", "<B>"]')) == "A, &lt;B&gt;"
    assert "retro" in str(render_value("change", '{"from": "oppose", "to": "support", "retro": 1}'))
    assert render_value("evidence", '{"not": "a card"') is not None  # broken JSON is a plain quote


def test_the_time_axis_runs_to_today_with_years_and_spaced_months():
    events = [Event("DE", "t", "2024-02-28", "oppose", "baseline"), Event("DE", "t", "2025-02-18", "support", "shift")]
    svg = stance_chart_svg(events, names={"DE": "Germany"}, today=date(2026, 12, 2))
    assert 'width="100%"' in svg
    assert ">Germany (DE)</text>" in svg
    assert ">today 2026-12-02</text>" in svg
    assert all(f">{year}</text>" in svg for year in ("2024", "2025", "2026"))
    months = [float(x) for x in __import__("re").findall(r'<text class="axis month" x="([\d.]+)"', svg)]
    assert months and min(b - a for a, b in zip(months, months[1:])) >= 56
