"""Datasette hooks of the tracker: cell rendering, the stance chart, the CSS,
the shift and claim pages, and two SQL functions (``actor_label``, ``fts_query``).

Registered on Datasette's plugin manager by ``make_datasette``. The manager
is process-wide, so the rendering and chart hooks act only on a Datasette
whose metadata carries the ``tracker-publish`` plugin section, and only on
that database; the Atom renderer behaves as datasette-atom's everywhere,
except that a query without rows gives an empty feed instead of an error.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import datasette_atom
from datasette import hookimpl
from datasette.utils.asgi import Response
from feedgen.feed import FeedGenerator
from markupsafe import Markup

from tracker.publish.chart import Event, stance_chart_svg
from tracker.clock import SYSTEM_CLOCK
from tracker.publish import pages
from tracker.publish.metadata import PLUGIN
from tracker.publish.queries import CHART_EVENTS, DEFAULT_TOPIC
from tracker.publish.render import render_value

STATIC_MOUNT = "tracker-static"
CHART_TEMPLATES = {
    "query-tracker-actor_timeline.html": "actor",
    "query-tracker-positions_overview.html": "topic",
}


def _our_database(datasette, database) -> bool:
    config = datasette.plugin_config(PLUGIN)
    return bool(config) and database == config.get("database")


def actor_names(datasette) -> dict[str, str]:
    return (datasette.plugin_config(PLUGIN) or {}).get("actors") or {}


@hookimpl
def render_cell(value, column, database, datasette):
    if not _our_database(datasette, database):
        return None
    return render_value(column, value, names=actor_names(datasette),
                        path_for=lambda path: datasette.urls.path(f"/{database}{path}"))


_FTS_TOKEN = re.compile(r'"[^"]*"|[^\s"]+')


def fts_query(text: str | None) -> str:
    """What a person types -> an FTS5 query: every word required, "quoted phrases" kept, no syntax errors."""
    tokens = [t.strip('"') for t in _FTS_TOKEN.findall(text or "")]
    return " ".join('"' + t.replace('"', '""') + '"' for t in tokens if t.strip()) or '""'


@hookimpl
def prepare_connection(conn, database, datasette):
    if not _our_database(datasette, database):
        return
    names = actor_names(datasette)
    conn.create_function("actor_label", 1, lambda code: f"{names[code]} ({code})" if code in names else code,
                         deterministic=True)
    conn.create_function("fts_query", 1, fts_query, deterministic=True)


@hookimpl
def register_routes(datasette):
    config = datasette.plugin_config(PLUGIN)
    if not config:
        return []
    db = config["database"]
    return [
        (rf"^/{db}/shifts/(?P<shift_id>[0-9]+)$", pages.shift_page),
        (rf"^/{db}/claims/(?P<claim_id>[0-9]+)$", pages.claim_page),
    ]


@hookimpl
def extra_css_urls(database, datasette):
    if not datasette.plugin_config(PLUGIN):
        return []
    return [datasette.urls.path(f"/{STATIC_MOUNT}/tracker.css")]


@hookimpl
def extra_template_vars(template, database, request, datasette):
    if template not in CHART_TEMPLATES or not _our_database(datasette, database):
        return {}

    async def chart_vars():
        return {"stance_chart": await chart_for(datasette, database, CHART_TEMPLATES[template], request)}

    return chart_vars


# datasette-atom 0.9 fails (500) on a query without rows, so a feed reader
# subscribed before the first shift would see errors; ours answers with an
# empty feed and leaves every other case to datasette-atom. trylast makes this
# registration the one Datasette keeps for the "atom" extension.
EMPTY_FEED_UPDATED = "1970-01-01T00:00:00+00:00"


@hookimpl(trylast=True)
def register_output_renderer(datasette):
    return {"extension": "atom", "render": render_atom, "can_render": datasette_atom.can_render_atom}


def render_atom(datasette, request, sql, columns, rows, database, table, query_name, view_name, data):
    if rows:
        if "atom_link" in columns:  # links to our own pages are paths: make them absolute for feed readers
            rows = [{**dict(zip(columns, row)),
                     "atom_link": urljoin(request.url, datasette.urls.path(row["atom_link"]))
                     if str(row["atom_link"] or "").startswith("/") else row["atom_link"]}
                    for row in rows]
        return datasette_atom.render_atom(datasette, request, sql, columns, rows, database, table,
                                          query_name, view_name, data)
    feed = FeedGenerator()
    feed.id(request.url)
    feed.link(href=request.url, rel="self")
    feed.updated(EMPTY_FEED_UPDATED)
    queries = (datasette.metadata(database=database) or {}).get("queries") or {}
    feed.title((queries.get(query_name) or {}).get("title") or query_name or table or "tracker")
    return Response(feed.atom_str(pretty=True), content_type="application/xml; charset=utf-8")


async def chart_for(datasette, database: str, page: str, request) -> Markup:
    """The stance chart of the actor (timeline page) or of the topic (overview page)."""
    db = datasette.get_database(database)
    actor = (request.args.get("actor") or "").strip() if page == "actor" else ""
    topic = (request.args.get("topic") or "").strip()
    if page == "actor" and not actor:
        return Markup("")
    if page == "topic" and not topic:
        topic = (await db.execute(DEFAULT_TOPIC)).first()["topic"] or ""
    rows = (await db.execute(CHART_EVENTS, {"actor": actor, "topic": topic})).rows
    events = [Event(actor=r["actor"], topic=r["topic"], day=r["date"] or "", stance=r["stance"],
                    kind=r["kind"], label=r["evidence"] or "") for r in rows]
    names = actor_names(datasette)
    title = (f"Stance of {names.get(actor.upper(), actor.upper())} over time" if actor
             else f"Stances on {topic} over time")
    return Markup(stance_chart_svg(events, title=title, names=names, today=SYSTEM_CLOCK.now().date()))
