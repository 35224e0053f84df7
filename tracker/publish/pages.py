"""The pages alerts land on: one shift (``/tracker/shifts/N``) and one claim (``/tracker/claims/N``).

Datasette's own row page shows a shift as ids (claim 26, previous claim 7);
these pages show what an analyst needs to judge it at a glance: who, on what,
old -> new, both sentences with speaker, outlet, date and links to the
article and to the stored text, the outlets that corroborate it, the verdict
so far and the command that gives one. ``.json`` of the same path is still
Datasette's row JSON. Shift 0 is the synthetic shift of ``tracker alerts
test``: its page shows that shift, so the test alert's link works too.
"""

from __future__ import annotations

from datasette.utils.asgi import Response
from markupsafe import Markup

from tracker.publish.metadata import DATABASE
from tracker.publish.render import actor_html, card_html, change_html, stance_html

SHIFT = """
SELECT s.*, nc.version_id AS new_version_id, pc.version_id AS old_version_id,
       nc.language AS new_language, pc.language AS old_language,
       na.title AS new_title, pa.title AS old_title, b.seed_file AS baseline_seed
FROM shift_evidence s
LEFT JOIN claims nc ON nc.id = s.claim_id
LEFT JOIN claims pc ON pc.id = s.previous_claim_id
LEFT JOIN articles na ON na.id = nc.article_id
LEFT JOIN articles pa ON pa.id = pc.article_id
LEFT JOIN baseline b ON b.id = s.previous_baseline_id
WHERE s.shift_id = :id
"""

# Reports of the new stance since the shift (what corroboration counts), rejected claims left out.
CORROBORATION = """
SELECT claim_id, outlet, evidence, speaker, COALESCE(said_at, substr(published_at, 1, 10)) AS date, url,
       version_id, review_status, article_title
FROM claim_evidence
WHERE actor = :actor AND topic = :topic AND stance = :stance AND claim_id >= :claim_id
  AND review_status != 'rejected'
ORDER BY claim_id
"""

OTHER_SHIFTS = """
SELECT id, from_stance, to_stance, since, status, retrospective FROM shifts
WHERE actor = :actor AND topic = :topic AND id != :id ORDER BY id
"""

ALERTS = "SELECT channel, status, attempts, sent_at, last_error FROM alerts WHERE shift_id = :id ORDER BY id"

CLAIM = "SELECT * FROM claim_evidence WHERE claim_id = :id"

CLAIM_SHIFTS = """
SELECT id, actor, from_stance, to_stance, since, status, retrospective,
       CASE WHEN claim_id = :id THEN 'new' ELSE 'old' END AS side
FROM shifts WHERE claim_id = :id OR previous_claim_id = :id ORDER BY id
"""


def _names(datasette) -> dict[str, str]:
    from tracker.publish.plugins import actor_names

    return actor_names(datasette)


def _path_for(datasette):
    return lambda path: datasette.urls.path(f"/{DATABASE}{path}")


def _card(datasette, evidence, speaker, outlet, date, url, version_id, time_cue=None, language=None) -> Markup:
    return card_html({"evidence": evidence, "speaker": speaker, "outlet": outlet, "date": (date or "")[:10],
                      "url": url, "version_id": version_id, "time_cue": time_cue, "language": language},
                     _path_for(datasette))


async def _render(datasette, request, template: str, context: dict, status: int = 200) -> Response:
    html = await datasette.render_template(template, {"database": DATABASE, **context}, request=request)
    return Response.html(html, status=status)


async def _not_found(datasette, request, what: str, table: str, number: int) -> Response:
    db = datasette.get_database(DATABASE)
    last = (await db.execute(f"SELECT max(id) FROM {table}")).first()[0]
    hint = f"{what} ids run from 1 to {last}" if last else f"there are no {what}s yet"
    return await _render(datasette, request, "tracker_missing.html",
                         {"title": f"No {what} {number}", "message": f"There is no {what} {number}; {hint}.",
                          "table": table}, status=404)


def _shift_context(datasette, row: dict, names) -> dict:
    old_label = "baseline (seed file)" if row.get("old_source") == "baseline" else "earlier report"
    return {
        "shift": row,
        "actor_badge": actor_html(row["actor"], names),
        "actor_name": names.get(row["actor"], row["actor"]),
        "change": change_html({"from": row["from_stance"], "to": row["to_stance"],
                               "retro": row["retrospective"]}),
        "now_card": _card(datasette, row["new_evidence"], row.get("new_speaker"), row.get("new_outlet"),
                          row.get("new_date"), row.get("new_url"), row.get("new_version_id"),
                          language=row.get("new_language")),
        "before_card": _card(datasette, row["old_evidence"], row.get("old_speaker"), row.get("old_outlet"),
                             row.get("old_date"), row.get("old_url"), row.get("old_version_id"),
                             language=row.get("old_language")),
        "old_label": old_label,
    }


async def shift_page(request, datasette) -> Response:
    shift_id = int(request.url_vars["shift_id"])
    names = _names(datasette)
    if shift_id == 0:
        return await _render(datasette, request, "tracker_shift.html", {**_test_shift(datasette, names),
                                                                        "test": True})
    db = datasette.get_database(DATABASE)
    found = (await db.execute(SHIFT, {"id": shift_id})).first()
    if found is None:
        return await _not_found(datasette, request, "shift", "shifts", shift_id)
    row = dict(found)
    reports = []
    if row["claim_id"] is not None:
        for r in (await db.execute(CORROBORATION, {"actor": row["actor"], "topic": row["topic"],
                                                   "stance": row["to_stance"], "claim_id": row["claim_id"]})).rows:
            reports.append({"claim_id": r["claim_id"], "outlet": r["outlet"], "title": r["article_title"],
                            "own": r["claim_id"] == row["claim_id"],
                            "card": _card(datasette, r["evidence"], r["speaker"], r["outlet"], r["date"],
                                          r["url"], r["version_id"])})
    others = [dict(r) | {"change": change_html({"from": r["from_stance"], "to": r["to_stance"],
                                                "retro": r["retrospective"]})}
              for r in (await db.execute(OTHER_SHIFTS, {"actor": row["actor"], "topic": row["topic"],
                                                        "id": shift_id})).rows]
    alerts = [dict(r) for r in (await db.execute(ALERTS, {"id": shift_id})).rows]
    return await _render(datasette, request, "tracker_shift.html", {
        **_shift_context(datasette, row, names), "reports": reports, "others": others, "alerts": alerts,
        "test": False,
    })


def _test_shift(datasette, names) -> dict:
    from tracker.alerts.outbox import synthetic_shift
    from tracker.clock import SYSTEM_CLOCK

    s = synthetic_shift(SYSTEM_CLOCK.now())
    row = {"shift_id": 0, "actor": s.actor, "topic": s.topic, "from_stance": s.from_stance,
           "to_stance": s.to_stance, "since": s.since, "detected_at": s.detected_at, "status": s.status,
           "corroboration": s.corroboration, "confidence": s.confidence, "retrospective": s.retrospective,
           "new_evidence": s.new_evidence, "new_outlet": s.new_outlet, "new_date": s.new_date,
           "new_url": s.new_url, "old_evidence": s.old_evidence, "old_outlet": s.old_outlet,
           "old_date": s.old_date, "old_url": s.old_url, "old_source": "claim", "review_note": None,
           "reviewed_at": None}
    return {**_shift_context(datasette, row, names), "reports": [], "others": [], "alerts": []}


async def claim_page(request, datasette) -> Response:
    claim_id = int(request.url_vars["claim_id"])
    db = datasette.get_database(DATABASE)
    found = (await db.execute(CLAIM, {"id": claim_id})).first()
    if found is None:
        return await _not_found(datasette, request, "claim", "claims", claim_id)
    row = dict(found)
    names = _names(datasette)
    shifts = [dict(r) | {"change": change_html({"from": r["from_stance"], "to": r["to_stance"],
                                                "retro": r["retrospective"]})}
              for r in (await db.execute(CLAIM_SHIFTS, {"id": claim_id})).rows]
    return await _render(datasette, request, "tracker_claim.html", {
        "claim": row,
        "actor_badge": actor_html(row["actor"], names),
        "actor_name": names.get(row["actor"], row["actor"]),
        "stance": stance_html(row["stance"]),
        "card": _card(datasette, row["evidence"], row["speaker"], row["outlet"],
                      row["said_at"] or row["published_at"], row["url"], row["version_id"], row["time_cue"]),
        "shifts": shifts,
    })
