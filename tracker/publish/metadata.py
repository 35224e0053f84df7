"""Datasette 0.65 metadata for the tracker database, built in code.

Titles and descriptions for the database, every table, view and column an
analyst sees; the meaning of each stance; default sorts (newest first),
facets, full-text search, hidden internal tables and the canned queries.
"""

from __future__ import annotations

from html import escape

from tracker.publish.queries import CANNED_QUERIES

DATABASE = "tracker"
PLUGIN = "tracker-publish"

STANCE_MEANINGS = {
    "support": "backs the deployment or is ready to contribute (ready and willing, voiced support, proposed, backs)",
    "conditional": "open only under conditions, or undecided (would not rule out, may consider, only if, not without the US)",
    "oppose": "rejects contributing or rejects the idea (ruled out, flatly rejected, no plans to send, inappropriate)",
}

_STANCE = "support | conditional | oppose (meanings on the database page)"
_WHEN = "UTC ISO 8601 timestamp"
_DATE = "date, YYYY-MM-DD"
_ACTOR = "who holds the stance: ISO 3166-1 alpha-2 country code, or EU, NATO, UN"
_TOPIC = "topic id (kebab-case), e.g. troops-to-ukraine"

_LEVEL_COLUMNS = {
    "level": "signal (contrary evidence not yet borne out: the position holds; not alerted by default) | "
             "shift (the new stance outweighs the old and is corroborated, official, or the actor's own "
             "official: the position moved) | correction (a first reading, days old and from one outlet, "
             "put right by the next reports: not a change of the actor's; never alerted)",
    "kind": "reversal (support <-> oppose) | softening (to conditional) | hardening (from conditional)",
    "reason": "the weights and sources that decided the level",
}

# table -> (description, {column: description}, table options)
TABLES: dict[str, tuple[str, dict[str, str], dict]] = {
    "shifts": (
        "A detected change of an actor's position on a topic: old stance -> new stance, with "
        "the claim that shows it and the claim or baseline it replaces.",
        {
            "id": "shift id", "actor": _ACTOR, "topic": _TOPIC,
            "from_stance": "stance before the shift: " + _STANCE,
            "to_stance": "stance after the shift: " + _STANCE,
            "detected_at": "when the tracker detected the shift (" + _WHEN + ")",
            "since": "date the new stance was first held (" + _DATE + ")",
            "claim_id": "the claim showing the new stance",
            "previous_claim_id": "the claim of the old stance, when it came from an article",
            "previous_baseline_id": "the baseline row of the old stance, when it came from the seeds",
            "confidence": "0-1: how sure the tracker is of the new claim",
            "retrospective": "1 when the text places the new stance in the past",
            "corroboration": "number of distinct outlets reporting the new stance",
            "status": "new | confirmed (a second outlet or an analyst agreed) | dismissed",
            "review_note": "the analyst's note on review", "reviewed_at": "when reviewed (" + _WHEN + ")",
            **_LEVEL_COLUMNS,
            "new_weight": "weight of the evidence for the new stance when last weighed",
            "old_weight": "weight of the evidence for the old stance when last weighed",
        },
        {"sort_desc": "detected_at", "facets": ["actor", "topic", "level", "kind", "status", "to_stance"],
         "label_column": "actor"},
    ),
    "shift_evidence": (
        "Shifts with both sides of the evidence side by side: the sentence now and the sentence "
        "before, their outlets, links and dates (a view over shifts, claims, articles, baseline).",
        {
            "shift_id": "shift id", "actor": _ACTOR, "topic": _TOPIC,
            "from_stance": "stance before: " + _STANCE, "to_stance": "stance after: " + _STANCE,
            "since": "date the new stance was first held (" + _DATE + ")",
            "detected_at": "when detected (" + _WHEN + ")",
            "status": "new | confirmed | dismissed",
            "corroboration": "distinct outlets reporting the new stance",
            "confidence": "0-1 confidence of the new claim",
            "retrospective": "1 when the text places the new stance in the past",
            "new_evidence": "the sentence that shows the new stance",
            "new_speaker": "who said it, when named", "new_outlet": "outlet of the new evidence",
            "new_url": "article with the new evidence", "new_date": "date of the new evidence",
            "old_evidence": "the sentence of the old stance (an earlier claim or the baseline)",
            "old_speaker": "who said the old one, when named",
            "old_outlet": "outlet of the old evidence, or baseline (seed file)",
            "old_url": "article with the old evidence, when it came from one",
            "old_date": "date of the old evidence",
            "old_source": "claim | baseline: where the old stance came from",
            "claim_id": "the new claim", "previous_claim_id": "the old claim, if any",
            "previous_baseline_id": "the old baseline row, if any",
            "review_note": "the analyst's note", "reviewed_at": "when reviewed (" + _WHEN + ")",
        },
        {"sort_desc": "detected_at",
         "facets": ["actor", "topic", "status", "to_stance", "new_outlet"]},
    ),
    "positions": (
        "The current position of each actor on each topic, and what it rests on.",
        {
            "actor": _ACTOR, "topic": _TOPIC, "stance": "current stance: " + _STANCE,
            "since": "date this stance has been held since (" + _DATE + ")",
            "claim_id": "the claim it rests on (empty when it comes from the baseline)",
            "baseline_id": "the baseline row it rests on (empty when it comes from a claim)",
            "sources": "JSON list of the outlets that reported it",
            "updated_at": "last change of this row (" + _WHEN + ")",
        },
        {"sort_desc": "updated_at", "facets": ["topic", "stance", "actor"]},
    ),
    "position_history": (
        "Every report that touched a position and what it did to it.",
        {
            "id": "row id", "actor": _ACTOR, "topic": _TOPIC, "stance": "reported stance: " + _STANCE,
            "since": "date the reported stance was held (" + _DATE + ")",
            "claim_id": "the claim reported", "baseline_id": "the baseline row reported",
            "effect": "started | reaffirmed | contrary (another stance: weighed) | older (before the current "
                      "position: history only) | same-article | baseline",
            "recorded_at": "when recorded (" + _WHEN + ")",
            "weight": "evidence weight of the report before decay (0: not counted)",
            "outlet": "the outlet of the report", "fingerprint": "text fingerprint: syndicated copies share it",
            "own_words": "1 when the actor's own official is the speaker",
            "official": "1 when it came from a feed tagged official",
            "confidence": "0-1 confidence of the claim", "shift_id": "the change this report opened or supports",
        },
        {"sort_desc": "recorded_at", "facets": ["actor", "topic", "effect"]},
    ),
    "claims": (
        "One stance statement found in one version of an article: who, on what, which stance, "
        "and the sentence that says it.",
        {
            "id": "claim id", "version_id": "the article version the claim was found in",
            "article_id": "the article", "actor": _ACTOR, "topic": _TOPIC,
            "stance": _STANCE, "confidence": "0-1: how sure the stance reader is",
            "evidence": "the sentence that carries the stance",
            "speaker": "the person who said it, when named",
            "said_at": "date the stance was held (" + _DATE + "); earlier than the article when the text says so",
            "time_cue": "the words that place the stance in the past (previously, last winter...)",
            "created_at": "when found (" + _WHEN + ")",
            "review_status": "unreviewed | confirmed | rejected",
            "date_note": "why said_at is not the date the text gives (a future or pre-1990 date)",
            "language": "ISO 639-1 code of the language the evidence is quoted in (de, fr, ...)",
        },
        {"sort_desc": "created_at", "facets": ["actor", "topic", "stance", "language", "review_status"],
         "fts_table": "claims_fts", "fts_pk": "id", "label_column": "evidence"},
    ),
    "claim_evidence": (
        "Claims with their outlet, article title, link and version (a view over claims, "
        "versions, articles and feeds); search it by evidence.",
        {
            "claim_id": "claim id", "actor": _ACTOR, "topic": _TOPIC, "stance": _STANCE,
            "confidence": "0-1 confidence", "evidence": "the sentence that carries the stance",
            "speaker": "the person who said it, when named",
            "said_at": "date the stance was held (" + _DATE + ")",
            "time_cue": "words placing the stance in the past",
            "review_status": "unreviewed | confirmed | rejected",
            "outlet": "the outlet that published the article", "article_title": "article headline",
            "url": "article link", "published_at": "article publication time (" + _WHEN + ")",
            "article_id": "the article", "version_id": "the version",
            "version_number": "1 for the first text seen, 2 after the first edit...",
            "in_current_text": "1 when the claim is in the article's latest version",
            "created_at": "when found (" + _WHEN + ")",
        },
        {"sort_desc": "created_at",
         "facets": ["actor", "topic", "stance", "outlet", "review_status"],
         "fts_table": "claims_fts", "fts_pk": "claim_id"},
    ),
    "baseline": (
        "The starting positions taken from the seed documents, with provenance.",
        {
            "id": "baseline id", "actor": _ACTOR, "topic": _TOPIC, "stance": _STANCE,
            "since": "date of the seed document (" + _DATE + ")",
            "evidence": "the seed sentence", "seed_file": "the file in seeds/",
            "confidence": "0-1 confidence", "created_at": "when loaded (" + _WHEN + ")",
        },
        {"sort_desc": "since", "facets": ["topic", "stance", "actor"]},
    ),
    "articles": (
        "One article URL (canonicalised), its outlet and how often it was checked for edits.",
        {
            "id": "article id", "feed_id": "the feed it came from", "url": "canonical URL",
            "guid": "the feed's id of the entry", "outlet": "publisher", "title": "headline",
            "author": "byline", "published_at": "publication time (" + _WHEN + ")",
            "date_note": "why published_at was not used (a future or pre-1990 date: the fetch time was)",
            "first_seen_at": "when first seen (" + _WHEN + ")",
            "last_checked_at": "last fetch (" + _WHEN + ")",
            "last_changed_at": "last time the text changed (" + _WHEN + ")",
            "next_check_at": "next re-check for edits (" + _WHEN + ")",
            "check_count": "number of fetches", "fetch_status": "ok | fallback (feed summary) | failed",
            "fetch_error": "why the last fetch failed",
        },
        {"sort_desc": "first_seen_at", "facets": ["outlet", "fetch_status", "feed_id"],
         "label_column": "title"},
    ),
    "versions": (
        "Each distinct text of an article; a new version is kept only when the text changes. "
        "Search the article text here.",
        {
            "id": "version id", "article_id": "the article", "number": "1, 2, ... per article",
            "fetched_at": "when fetched (" + _WHEN + ")", "fingerprint": "hash of the normalised text",
            "title": "headline of this version", "text": "the extracted article text",
            "source": "extracted | feed-summary | seed", "extraction_note": "why a fallback was used",
            "diff": "unified diff against the previous version (+ added, - removed)",
            "chars_added": "characters added since the previous version",
            "chars_removed": "characters removed since the previous version",
            "analysis_status": "pending | done | failed: whether its claims were read",
            "analysis_error": "why the analysis failed ('tracker reanalyse --failed' retries it)",
            "analysis_attempts": "analyses that raised an error", "analysed_at": "when analysed (" + _WHEN + ")",
            "language": "ISO 639-1 code of the text: as the page declares it, else detected; picks the stance rules",
        },
        {"sort_desc": "fetched_at", "facets": ["language", "source", "article_id", "analysis_status"],
         "fts_table": "versions_fts", "fts_pk": "id", "label_column": "title"},
    ),
    "article_edits": (
        "Edits of an article that changed a stance in it (old version -> new version).",
        {
            "id": "edit id", "article_id": "the article", "version_id": "the new version",
            "previous_version_id": "the version before", "actor": _ACTOR, "topic": _TOPIC,
            "from_stance": "stance in the old text (empty: not there)",
            "to_stance": "stance in the new text (empty: removed)",
            "detected_at": "when detected (" + _WHEN + ")",
        },
        {"sort_desc": "detected_at", "facets": ["actor", "topic"]},
    ),
    "alerts": (
        "The alert outbox: one delivery of one shift (or health notice) to one channel.",
        {
            "id": "alert id", "shift_id": "the shift", "kind": "shift | health | test",
            "subject_key": "what a non-shift alert is about", "channel": "configured channel name",
            "idempotency_key": "prevents sending the same alert twice",
            "status": "pending | sent | failed | skipped", "attempts": "delivery attempts so far",
            "next_attempt_at": "next retry (" + _WHEN + ")", "last_error": "why the last attempt failed",
            "created_at": "when queued (" + _WHEN + ")", "sent_at": "when delivered (" + _WHEN + ")",
        },
        {"sort_desc": "created_at", "facets": ["status", "channel", "kind"]},
    ),
    "feeds": (
        "The configured feeds and their health.",
        {
            "id": "feed id", "name": "name in config/feeds.toml", "url": "feed URL now (after permanent redirects)",
            "configured_url": "URL as configured", "title": "the feed's own title", "outlet": "publisher",
            "tags": "JSON list of tags", "interval_s": "poll interval in seconds",
            "etag": "ETag for conditional GET", "last_modified": "Last-Modified for conditional GET",
            "last_polled_at": "last poll (" + _WHEN + ")", "last_success_at": "last good poll (" + _WHEN + ")",
            "last_status": "HTTP status of the last poll", "last_error": "message of the last failure",
            "last_error_reason": "kind of the last failure", "bozo_warning": "feedparser's warning on malformed XML",
            "error_count": "consecutive failures (0 = healthy)", "next_poll_at": "next poll (" + _WHEN + ")",
            "muted": "1 after 410 Gone: no longer polled", "entries_seen": "entries seen in total",
            "created_at": "when added (" + _WHEN + ")",
            "entries_skipped": "entries of the last poll skipped (no usable link, duplicates)",
            "skipped_reasons": "why each was skipped, one per line",
        },
        {"sort": "name", "facets": ["outlet", "last_status", "muted"], "label_column": "name"},
    ),
    "pending_entries": (
        "New feed entries whose article is not stored yet (saved with the feed's validators, so none is lost).",
        {
            "id": "queue id", "feed_id": "the feed", "url": "the entry's article URL",
            "entry": "the feed entry (JSON)", "first_seen_at": "when the feed listed it (" + _WHEN + ")",
            "attempts": "failed attempts to store it", "next_attempt_at": "next attempt (" + _WHEN + ")",
            "last_error": "why the last attempt failed",
        },
        {"sort": "next_attempt_at"},
    ),
    "runs": (
        "One poll cycle and its counts.",
        {
            "id": "run id", "started_at": "start (" + _WHEN + ")", "finished_at": "end (" + _WHEN + ")",
            "trigger": "poll | daemon | demo | recheck", "feeds_polled": "feeds polled",
            "feeds_failed": "feeds that failed", "feeds_not_modified": "feeds answering 304",
            "articles_new": "new articles", "articles_failed": "articles that could not be fetched",
            "versions_new": "new versions (new articles and edits)", "claims_new": "claims found",
            "shifts_new": "shifts detected", "alerts_sent": "alerts delivered", "errors": "errors in total",
            "error_summary": "the errors, one per feed or article",
        },
        {"sort_desc": "started_at", "facets": ["trigger"]},
    ),
}

HIDDEN = ("migrations", "versions_fts", "claims_fts")


def stance_meanings_html() -> str:
    items = "".join(
        f'<li><span class="stance stance-{s}">{s}</span>: {escape(m)}</li>'
        for s, m in STANCE_MEANINGS.items()
    )
    return f"<ul class=\"stance-meanings\">{items}</ul>"


def build_metadata(base_url: str = "/", actor_names: dict[str, str] | None = None) -> dict:
    """The metadata dict to pass to ``Datasette(metadata=...)``; links start at ``base_url``;
    ``actor_names`` ({code: name}) are shown beside the codes."""
    root = base_url.rstrip("/")
    tables: dict[str, dict] = {}
    for name, (description, columns, options) in TABLES.items():
        tables[name] = {"title": name.replace("_", " "), "description": description,
                        "columns": dict(columns), **options}
    for name in HIDDEN:
        tables[name] = {"hidden": True}
    return {
        "title": "tracker: who says what on live questions, and when it shifts",
        "description_html": (
            f"<p>Stances of governments and bodies on live policy questions, read from the news, "
            f"with the sentence that shows each one. Start with <a href=\"{root}/tracker/latest_shifts\">"
            f"latest shifts</a> or <a href=\"{root}/tracker/positions_overview\">positions on a topic</a>; "
            f"subscribe to shifts at <a href=\"{root}/tracker/shifts_atom.atom\">shifts_atom.atom</a>.</p>"
            "<p>Stances:</p>" + stance_meanings_html()
        ),
        "databases": {
            DATABASE: {
                "title": "tracker",
                "description_html": (
                    "<p>Feeds, articles and their versions, the claims found in them, positions per "
                    "actor and topic, shifts, alerts and poll runs. The queries below answer the "
                    "first questions; every table can be filtered, faceted and exported.</p>"
                    "<p>Stances:</p>" + stance_meanings_html()
                ),
                "tables": tables,
                "queries": {name: dict(query) for name, query in CANNED_QUERIES.items()},
            }
        },
        "plugins": {PLUGIN: {"database": DATABASE, "stances": dict(STANCE_MEANINGS),
                             "actors": dict(actor_names or {})}},
    }
