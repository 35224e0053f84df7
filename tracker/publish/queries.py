"""The canned queries analysts ask first, as Datasette ``queries`` metadata.

All are read-only SELECTs (none has ``write``). Optional parameters are
written ``(:p = '' OR ...)`` because Datasette passes a missing parameter
as an empty string. They read the ``shift_evidence`` and ``claim_evidence``
views (migration 002), which join shifts and claims to outlets and links.
"""

from __future__ import annotations

# The topic shown when none is asked for: the one with most positions.
_DEFAULT_TOPIC = (
    "(SELECT topic FROM positions GROUP BY topic ORDER BY COUNT(*) DESC, topic LIMIT 1)"
)

LATEST_SHIFTS = """
SELECT e.shift_id, e.actor, e.topic, e.from_stance, e.to_stance, s.level, s.kind, e.since,
       e.old_evidence, e.new_evidence, e.old_outlet, e.new_outlet, e.status, e.corroboration,
       e.old_date, e.new_date, e.old_url, e.new_url, e.confidence, e.detected_at
FROM shift_evidence e JOIN shifts s ON s.id = e.shift_id
ORDER BY e.detected_at DESC, e.shift_id DESC
LIMIT 200
"""

POSITIONS_OVERVIEW = f"""
SELECT p.actor, p.topic, p.stance, p.since,
       COALESCE(c.evidence, b.evidence) AS evidence,
       COALESCE(c.outlet, CASE WHEN b.id IS NOT NULL THEN 'baseline (' || b.seed_file || ')' END) AS outlet,
       c.url,
       p.sources,
       (SELECT COUNT(*) FROM shifts s WHERE s.actor = p.actor AND s.topic = p.topic) AS shifts,
       p.updated_at
FROM positions p
LEFT JOIN claim_evidence c ON c.claim_id = p.claim_id
LEFT JOIN baseline b ON b.id = p.baseline_id
WHERE p.topic = COALESCE(NULLIF(:topic, ''), {_DEFAULT_TOPIC})
ORDER BY CASE p.stance WHEN 'support' THEN 0 WHEN 'conditional' THEN 1 ELSE 2 END, p.actor
"""

# One row per dated event: the baseline, each claim in an article's current
# text, and each shift (not a signal) that was not dismissed.
_EVENTS = """
    SELECT b.since AS date, 'baseline' AS kind, b.actor, b.topic, b.stance, NULL AS from_stance,
           b.evidence, NULL AS speaker, 'baseline (' || b.seed_file || ')' AS outlet, NULL AS url,
           NULL AS time_cue, b.id AS ref_id, 0 AS kind_order
    FROM baseline b
    UNION ALL
    SELECT COALESCE(c.said_at, substr(c.published_at, 1, 10), substr(c.created_at, 1, 10)), 'claim',
           c.actor, c.topic, c.stance, NULL, c.evidence, c.speaker, c.outlet, c.url, c.time_cue,
           c.claim_id, 1
    FROM claim_evidence c
    WHERE c.in_current_text
    UNION ALL
    SELECT COALESCE(s.since, substr(s.detected_at, 1, 10)), 'shift', s.actor, s.topic, s.to_stance,
           s.from_stance, s.new_evidence, s.new_speaker, s.new_outlet, s.new_url, NULL, s.shift_id, 2
    FROM shift_evidence s
    WHERE s.status != 'dismissed'
      AND (SELECT level FROM shifts WHERE id = s.shift_id) = 'shift'  -- a signal leaves the position as it was
"""

# Oldest first, because a timeline reads that way.
ACTOR_TIMELINE = f"""
SELECT date, kind, actor, topic, stance, from_stance, evidence, speaker, outlet, url, time_cue, ref_id
FROM ({_EVENTS})
WHERE actor = upper(trim(:actor)) AND (:topic = '' OR topic = :topic)
ORDER BY date, kind_order, ref_id
"""

# What the stance chart plots; not a canned query (the plugin runs it).
CHART_EVENTS = f"""
SELECT date, kind, actor, topic, stance, evidence
FROM ({_EVENTS})
WHERE (:actor = '' OR actor = upper(trim(:actor))) AND (:topic = '' OR topic = :topic)
ORDER BY actor, topic, date, kind_order, ref_id
"""

DEFAULT_TOPIC = f"SELECT {_DEFAULT_TOPIC} AS topic"

ARTICLE_HISTORY = """
SELECT v.article_id, a.title, a.url, COALESCE(a.outlet, f.outlet) AS outlet, v.number AS version,
       v.fetched_at, v.chars_added, v.chars_removed, v.diff,
       (SELECT group_concat(e.actor || ' ' || e.topic || ': ' || COALESCE(e.from_stance, 'none')
                            || ' -> ' || COALESCE(e.to_stance, 'none'), '; ')
        FROM article_edits e WHERE e.version_id = v.id) AS stance_edits,
       v.id AS version_id
FROM versions v
JOIN articles a ON a.id = v.article_id
LEFT JOIN feeds f ON f.id = a.feed_id
WHERE (:article_id != '' AND v.article_id = CAST(:article_id AS INTEGER))
   OR (:url != '' AND a.url = trim(:url))
   OR (:article_id = '' AND :url = '' AND v.number > 1)
ORDER BY v.fetched_at DESC, v.id DESC
LIMIT 200
"""

CLAIMS_TO_REVIEW = """
SELECT c.claim_id, c.actor, c.topic, c.stance, c.confidence, c.evidence, c.speaker, c.time_cue,
       c.said_at, c.outlet, c.article_title, c.url,
       (SELECT COUNT(*) FROM shifts s WHERE s.claim_id = c.claim_id AND s.status != 'dismissed') AS drives_shifts,
       c.created_at
FROM claim_evidence c
WHERE c.review_status = 'unreviewed' AND c.in_current_text
ORDER BY drives_shifts DESC, c.confidence ASC, c.created_at DESC
LIMIT 500
"""

FEED_HEALTH = """
SELECT f.name, f.outlet,
       CASE WHEN f.muted THEN 'muted (410 Gone)'
            WHEN f.error_count > 0 THEN 'failing'
            WHEN f.last_success_at IS NULL THEN 'never polled'
            ELSE 'ok' END AS health,
       f.last_status, f.error_count, f.last_error_reason, f.last_error, f.last_success_at,
       f.last_polled_at, f.next_poll_at, f.interval_s,
       (SELECT COUNT(*) FROM articles a WHERE a.feed_id = f.id) AS articles,
       (SELECT MAX(a.first_seen_at) FROM articles a WHERE a.feed_id = f.id) AS last_new_article_at,
       f.url
FROM feeds f
ORDER BY f.muted DESC, f.error_count DESC, f.name
"""


def _html_escape(expr: str) -> str:
    return f"replace(replace(replace({expr}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"


SHIFTS_ATOM = f"""
SELECT 'urn:tracker:shift:' || shift_id AS atom_id,
       actor || ' on ' || topic || ': ' || from_stance || ' -> ' || to_stance AS atom_title,
       max(detected_at, COALESCE(reviewed_at, detected_at)) AS atom_updated,
       '<p><strong>' || from_stance || ' -> ' || to_stance || '</strong> since ' || COALESCE(since, '?')
         || ' (' || status || ', ' || corroboration || ' outlet(s))</p>'
         || '<p>Now (' || {_html_escape("COALESCE(new_outlet, '?')")} || '):</p><blockquote>'
         || {_html_escape("COALESCE(new_evidence, '')")} || '</blockquote>'
         || '<p>Before (' || {_html_escape("COALESCE(old_outlet, '?')")} || '):</p><blockquote>'
         || {_html_escape("COALESCE(old_evidence, '')")} || '</blockquote>' AS atom_content_html,
       COALESCE(new_url, old_url, 'urn:tracker:shift:' || shift_id) AS atom_link,
       new_outlet AS atom_author_name
FROM shift_evidence
ORDER BY detected_at DESC, shift_id DESC
LIMIT 100
"""


CANNED_QUERIES: dict[str, dict] = {
    "latest_shifts": {
        "title": "Latest shifts",
        "description": "Who changed position, from which stance to which, with the sentence "
                       "before (old_evidence) and the sentence now (new_evidence), their outlets, "
                       "dates and links; level: a shift moved the position, a signal is "
                       "contrary evidence not yet borne out. Newest first.",
        "hide_sql": True,
        "sql": LATEST_SHIFTS,
    },
    "positions_overview": {
        "title": "Positions on a topic",
        "description": "Every actor's current stance on one topic (default: the topic with the "
                       "most positions), the evidence it rests on and how often it shifted.",
        "hide_sql": True,
        "sql": POSITIONS_OVERVIEW,
        "params": ["topic"],
    },
    "actor_timeline": {
        "title": "One actor's timeline",
        "description": "Baseline, claims and shifts of one actor (ISO code such as DE), oldest "
                       "first; give a topic to narrow it. The chart above the table plots the "
                       "stance over time.",
        "hide_sql": True,
        "sql": ACTOR_TIMELINE,
        "params": ["actor", "topic"],
    },
    "article_history": {
        "title": "Article edit history",
        "description": "The versions of one article (by article_id or url) with the diff against "
                       "the previous version and the stances the edit changed. Without a "
                       "parameter: every edit, newest first.",
        "hide_sql": True,
        "sql": ARTICLE_HISTORY,
        "params": ["article_id", "url"],
    },
    "claims_to_review": {
        "title": "Claims to review",
        "description": "Unreviewed claims in the current text of their articles: those that "
                       "drive a shift first, then the least confident.",
        "hide_sql": True,
        "sql": CLAIMS_TO_REVIEW,
    },
    "feed_health": {
        "title": "Feed health",
        "description": "Each feed's last status, consecutive errors, last success and next poll; "
                       "failing and muted feeds first.",
        "hide_sql": True,
        "sql": FEED_HEALTH,
    },
    "shifts_atom": {
        "title": "tracker: stance shifts",
        "description": "Atom feed of shifts for a feed reader: subscribe to "
                       "/tracker/shifts_atom.atom",
        "hide_sql": True,
        "sql": SHIFTS_ATOM,
    },
}
