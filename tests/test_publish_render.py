"""The pieces of the look, as pure functions: the stance chart, diffs, quotes, metadata."""

from __future__ import annotations

import re

from tracker.publish.chart import STANCE_COLOURS, Event, stance_chart_svg
from tracker.publish.metadata import HIDDEN, STANCE_MEANINGS, TABLES, build_metadata
from tracker.publish.queries import CANNED_QUERIES
from tracker.publish.render import diff_html, evidence_html, render_value, stance_html

EVENTS = [
    Event("DE", "troops-to-ukraine", "2024-02-28", "oppose", "baseline", "others, including Germany"),
    Event("DE", "troops-to-ukraine", "2024-12-10", "support", "claim", "Germany throwing its weight"),
    Event("DE", "troops-to-ukraine", "2024-12-10", "support", "shift", "Germany throwing its weight"),
    Event("DE", "troops-to-ukraine", "2025-02-18T10:00:00+00:00", "oppose", "shift", "Scholz: <inappropriate>"),
    Event("SE", "troops-to-ukraine", "2025-02-18", "conditional", "claim", "would not rule out"),
]


def test_chart_draws_one_panel_per_actor_with_a_mark_per_event():
    svg = stance_chart_svg(EVENTS, title="Stances & shifts")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="stance-chart"')
    assert "<title>Stances &amp; shifts</title>" in svg
    assert re.findall(r'data-actor="(\w+)"', svg) == ["DE", "SE"]
    assert svg.count('<circle class="claim') == 2
    assert svg.count('class="shift stance-') == 2 and svg.count('class="baseline stance-') == 1
    assert "Scholz: &lt;inappropriate&gt;" in svg  # labels are escaped
    assert f'fill="{STANCE_COLOURS["conditional"]}"' in svg
    assert "2024-02-28" in svg and "2025-02-18" in svg  # the axis spans first to last date


def test_chart_position_line_steps_through_baseline_then_shifts():
    svg = stance_chart_svg([e for e in EVENTS if e.actor == "DE"])
    points = re.search(r'<polyline class="position" points="([^"]+)"', svg).group(1).split()
    ys = [float(p.split(",")[1]) for p in points]
    # oppose -> support -> oppose: down the bands, up, down again; then runs to the right edge
    assert ys[0] > ys[2] and ys[2] < ys[4] and ys[-1] == ys[4]


def test_chart_without_usable_events_is_empty():
    assert stance_chart_svg([]) == ""
    assert stance_chart_svg([Event("DE", "t", "", "oppose", "claim"),
                             Event("DE", "t", "2024-01-01", "maybe", "claim")]) == ""


def test_chart_labels_series_with_topic_when_there_are_several_topics():
    svg = stance_chart_svg([Event("DE", "a-topic", "2024-01-01", "oppose", "claim"),
                            Event("DE", "b-topic", "2024-02-01", "support", "claim")])
    assert "DE · a-topic" in svg and "DE · b-topic" in svg


def test_diff_colours_lines_and_marks_changed_words():
    diff = "--- version 1\n+++ version 2\n@@ -1,3 +1,3 @@\n same line\n-Tusk said no.\n+Tusk said yes <now>.\n"
    out = str(diff_html(diff))
    assert '<span class="diff-file">--- version 1</span>' in out
    assert '<span class="diff-hunk">@@ -1,3 +1,3 @@</span>' in out
    assert '<del class="diff-del">-Tusk said <mark class="diff-word">no.</mark></del>' in out
    assert '<ins class="diff-add">+Tusk said <mark class="diff-word">yes &lt;now&gt;.</mark></ins>' in out
    assert '<span class="diff-ctx"> same line</span>' in out


def test_diff_with_unequal_runs_colours_whole_lines():
    out = str(diff_html("@@ -1 +1,2 @@\n-old\n+new one\n+new two"))
    assert out == ('<pre class="diff"><span class="diff-hunk">@@ -1 +1,2 @@</span>'
                   '<del class="diff-del">-old</del><ins class="diff-add">+new one</ins>'
                   '<ins class="diff-add">+new two</ins></pre>')


def test_evidence_and_stance_render_escaped():
    assert str(evidence_html('He said "no" <b>')) == (
        '<blockquote class="evidence"><mark>He said &#34;no&#34; &lt;b&gt;</mark></blockquote>')
    assert 'class="stance stance-oppose"' in str(stance_html("oppose"))
    assert STANCE_MEANINGS["oppose"][:20] in str(stance_html("oppose"))
    assert str(stance_html("<odd>")) == "&lt;odd&gt;"


def test_render_value_picks_by_column_and_leaves_the_rest_to_datasette():
    assert "blockquote" in str(render_value("old_evidence", "x"))
    assert "pre" in str(render_value("diff", "@@ -1 +1 @@"))
    assert "stance-support" in str(render_value("to_stance", "support"))
    assert render_value("topic", "troops-to-ukraine") is None
    assert str(render_value("actor", "DE", names={"DE": "Germany"})) == (
        '<span class="actor">Germany <code>DE</code></span>')
    assert str(render_value("new_url", "https://x.example/a?b=<c>")) == (
        '<a class="article-link" href="https://x.example/a?b=&lt;c&gt;" '
        'title="https://x.example/a?b=&lt;c&gt;">x.example/a</a>')
    assert render_value("url", "javascript:alert(1)") is None
    assert render_value("evidence", None) is None
    assert render_value("diff", "") is None


def test_metadata_hides_internal_tables_and_carries_every_query():
    metadata = build_metadata()
    tables = metadata["databases"]["tracker"]["tables"]
    assert all(tables[name] == {"hidden": True} for name in HIDDEN)
    assert set(metadata["databases"]["tracker"]["queries"]) == set(CANNED_QUERIES)
    for name, (description, columns, options) in TABLES.items():
        assert description and columns, name
        sort = options.get("sort_desc") or options.get("sort")
        assert sort in columns, f"{name}: sorts by unknown column {sort}"
        for facet in options.get("facets", []):
            assert facet in columns, f"{name}: facet on unknown column {facet}"
    for stance in STANCE_MEANINGS:
        assert stance in metadata["description_html"]
