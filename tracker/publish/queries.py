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

# A piece of evidence as one cell: the sentence with who said it, where, when,
# and links to the article and the stored text (rendered by tracker.publish.render).
def _card(evidence: str, speaker: str, outlet: str, date: str, url: str, version_id: str,
          time_cue: str = "NULL", title: str = "NULL") -> str:
    return (f"json_object('evidence', {evidence}, 'speaker', {speaker}, 'outlet', {outlet}, "
            f"'date', {date}, 'url', {url}, 'version_id', {version_id}, 'time_cue', {time_cue}, "
            f"'title', {title})")


LATEST_SHIFTS = f"""
SELECT s.shift_id, s.actor,
       json_object('topic', s.topic, 'from', s.from_stance, 'to', s.to_stance,
                   'retro', s.retrospective) AS change,
       sh.level, s.since,
       json_object('status', s.status, 'outlets', s.corroboration, 'confidence', s.confidence) AS status,
       {_card("s.new_evidence", "s.new_speaker", "s.new_outlet", "substr(s.new_date, 1, 10)", "s.new_url",
              "nc.version_id")} AS now,
       {_card("s.old_evidence", "s.old_speaker", "s.old_outlet", "substr(s.old_date, 1, 10)", "s.old_url",
              "pc.version_id")} AS before
FROM shift_evidence s
JOIN shifts sh ON sh.id = s.shift_id
LEFT JOIN claims nc ON nc.id = s.claim_id
LEFT JOIN claims pc ON pc.id = s.previous_claim_id
ORDER BY s.detected_at DESC, s.shift_id DESC
LIMIT 200
"""

POSITIONS_OVERVIEW = f"""
SELECT p.actor, p.stance, p.since,
       {_card("COALESCE(c.evidence, b.evidence)", "c.speaker",
              "COALESCE(c.outlet, CASE WHEN b.id IS NOT NULL THEN 'baseline (' || b.seed_file || ')' END)",
              "COALESCE(c.said_at, b.since)", "c.url", "c.version_id", "c.time_cue")} AS evidence,
       (SELECT group_concat(j.value, ', ') FROM json_each(COALESCE(p.sources, '[]')) j) AS sources,
       (SELECT COUNT(*) FROM shifts s WHERE s.actor = p.actor AND s.topic = p.topic
          AND s.status != 'dismissed') AS shifts,
       p.topic, p.updated_at
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
           NULL AS time_cue, b.id AS ref_id, 0 AS kind_order, NULL AS version_id
    FROM baseline b
    UNION ALL
    SELECT COALESCE(c.said_at, substr(c.published_at, 1, 10), substr(c.created_at, 1, 10)), 'claim',
           c.actor, c.topic, c.stance, NULL, c.evidence, c.speaker, c.outlet, c.url, c.time_cue,
           c.claim_id, 1, c.version_id
    FROM claim_evidence c
    WHERE c.in_current_text AND c.review_status != 'rejected'
    UNION ALL
    SELECT COALESCE(s.since, substr(s.detected_at, 1, 10)), 'shift', s.actor, s.topic, s.to_stance,
           s.from_stance, s.new_evidence, s.new_speaker, s.new_outlet, s.new_url, NULL, s.shift_id, 2,
           (SELECT version_id FROM claims WHERE id = s.claim_id)
    FROM shift_evidence s
    WHERE s.status != 'dismissed'
      AND (SELECT level FROM shifts WHERE id = s.shift_id) = 'shift'  -- a signal leaves the position as it was
"""

# Oldest first, because a timeline reads that way.
ACTOR_TIMELINE = f"""
SELECT date, kind, topic,
       CASE WHEN from_stance IS NULL THEN stance
            ELSE json_object('from', from_stance, 'to', stance, 'retro', 0) END AS stance,
       {_card("evidence", "speaker", "outlet", "date", "url", "version_id", "time_cue")} AS evidence,
       CASE kind WHEN 'shift' THEN '/shifts/' || ref_id WHEN 'claim' THEN '/claims/' || ref_id END AS page
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
       v.fetched_at,
       (SELECT json_group_array(json_object('actor', e.actor, 'topic', e.topic,
                                            'from', e.from_stance, 'to', e.to_stance))
        FROM article_edits e WHERE e.version_id = v.id) AS stance_edits,
       v.diff, v.chars_added, v.chars_removed, v.id AS version_id
FROM versions v
JOIN articles a ON a.id = v.article_id
LEFT JOIN feeds f ON f.id = a.feed_id
WHERE (:article_id != '' AND v.article_id = CAST(:article_id AS INTEGER))
   OR (:url != '' AND a.url = trim(:url))
   OR (:article_id = '' AND :url = '' AND v.number > 1)
ORDER BY v.fetched_at DESC, v.id DESC
LIMIT 200
"""

CLAIMS_TO_REVIEW = f"""
SELECT c.claim_id, c.actor, c.stance, c.confidence,
       {_card("c.evidence", "c.speaker", "c.outlet", "COALESCE(c.said_at, substr(c.published_at, 1, 10))",
              "c.url", "c.version_id", "c.time_cue")} AS evidence,
       (SELECT COUNT(*) FROM shifts s WHERE s.claim_id = c.claim_id AND s.status != 'dismissed') AS drives_shifts,
       'tracker review claim ' || c.claim_id || ' --confirm' || char(10)
         || 'tracker review claim ' || c.claim_id || ' --reject' AS review,
       c.topic, c.created_at
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
       actor_label(actor) || ' on ' || topic || ': ' || from_stance || ' -> ' || to_stance
         || CASE WHEN retrospective THEN ' (retro)' ELSE '' END AS atom_title,
       max(detected_at, COALESCE(reviewed_at, detected_at)) AS atom_updated,
       '<p><strong>' || from_stance || ' -> ' || to_stance || '</strong> since ' || COALESCE(since, '?')
         || ' (' || status || ', ' || corroboration || ' outlet(s))</p>'
         || '<p>Now (' || {_html_escape("COALESCE(new_outlet, '?')")} || '):</p><blockquote>'
         || {_html_escape("COALESCE(new_evidence, '')")} || '</blockquote>'
         || '<p>Before (' || {_html_escape("COALESCE(old_outlet, '?')")} || '):</p><blockquote>'
         || {_html_escape("COALESCE(old_evidence, '')")} || '</blockquote>' AS atom_content_html,
       '/tracker/shifts/' || shift_id AS atom_link,
       new_outlet AS atom_author_name
FROM shift_evidence
ORDER BY detected_at DESC, shift_id DESC
LIMIT 100
"""

# Full-text search over article text and claim evidence: one row per match,
# best first, with the matching words marked (\x02 ... \x03, shown as <mark>).
SEARCH = """
SELECT kind, title, snippet, outlet, url, date, page
FROM (
    SELECT 'article' AS kind, v.title, snippet(versions_fts, -1, char(2), char(3), '…', 24) AS snippet,
           COALESCE(a.outlet, f.outlet) AS outlet, a.url, substr(a.published_at, 1, 10) AS date,
           '/versions/' || v.id AS page, versions_fts.rank AS rank
    FROM versions_fts
    JOIN versions v ON v.id = versions_fts.rowid
    JOIN articles a ON a.id = v.article_id
    LEFT JOIN feeds f ON f.id = a.feed_id
    WHERE versions_fts MATCH fts_query(:q)
      AND v.number = (SELECT MAX(number) FROM versions WHERE article_id = v.article_id)
    UNION ALL
    SELECT 'claim', actor_label(c.actor) || ': ' || c.stance,
           snippet(claims_fts, -1, char(2), char(3), '…', 24),
           c.outlet, c.url, c.said_at, '/claims/' || c.claim_id, claims_fts.rank
    FROM claims_fts
    JOIN claim_evidence c ON c.claim_id = claims_fts.rowid
    WHERE claims_fts MATCH fts_query(:q) AND c.in_current_text
)
ORDER BY rank
LIMIT 100
"""


CANNED_QUERIES: dict[str, dict] = {
    "latest_shifts": {
        "title": "Latest shifts",
        "description": "Who changed position, from which stance to which: the sentence now "
                       "(yellow) and the sentence before (grey), each with speaker, outlet, date and "
                       "links; level: a shift moved the position, a signal is contrary evidence not "
                       "yet borne out. Newest first; a shift's number opens its page.",
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
    "search": {
        "title": "Search articles and claims",
        "description": "Words to find in the text of every article (latest version) and in every "
                       "claim's sentence; matches are marked. Words are all required; put a phrase "
                       "in double quotes.",
        "hide_sql": True,
        "sql": SEARCH,
        "params": ["q"],
    },
    "shifts_atom": {
        "title": "tracker: stance shifts",
        "description": "Atom feed of shifts for a feed reader: subscribe to "
                       "/tracker/shifts_atom.atom",
        "hide_sql": True,
        "sql": SHIFTS_ATOM,
    },
}
