"""The one builder of the database the publishing tests browse.

``build_publish_db(path)`` fills a real SQLite file (made by ``open_db``) with
rows shaped like the pipeline's: two feeds, four articles from the seed texts
(one edited, so it has two versions and a diff), their claims, a baseline,
current positions and their history, three shifts (one whose old side is the
baseline, two whose old side is an earlier claim), alerts and runs.

Tests assert on the ids and values returned here, never on literals of their
own, so this builder can later be swapped for the real pipeline replaying the
seeds without touching the tests.
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tracker.clock import iso
from tracker.db import open_db, transaction

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TOPIC = "troops-to-ukraine"
START = datetime(2025, 2, 20, 9, 0, tzinfo=timezone.utc)

# Article texts come from seeds/; this sentence is missing from the first
# version of the edited article and added by its second version.
EDIT_SENTENCE = (
    "Sweden\u2019s Foreign Minister Maria Malmer also indicated that her country would not rule "
    "out sending forces."
)

FEEDS = [
    {"name": "euro-desk", "outlet": "Euro Desk", "title": "Euro Desk: Europe", "healthy": True},
    {"name": "kyiv-wire", "outlet": "Kyiv Wire", "title": "Kyiv Wire: latest", "healthy": False},
]

# key, seed file, feed, title, published date
ARTICLES = [
    ("zelensky", "002_85d734d7eccb5bb1.txt", "euro-desk",
     "Zelensky may consider European peacekeeping troops", "2024-12-10"),
    ("not-under-nato", "003_49628deb072533ba.txt", "kyiv-wire",
     "Europe may deploy troops to Ukraine, but not under NATO's flag", "2024-12-12"),
    ("paris-summit", "001_57a277f517d4234b.txt", "kyiv-wire",
     "European Troop Deployment Ukraine, U.S. Withholds Support", "2025-02-18"),
    ("boots-op-ed", "000_45987126a29d08f1.txt", "euro-desk",
     "Op-ed: European boots on the ground in Ukraine", "2025-02-19"),
]

# article key, actor, stance, confidence, speaker, time cue, said_at, evidence (a sentence of the text)
CLAIMS = [
    ("zelensky", "UA", "conditional", 0.7, "Volodymyr Zelensky", None, "2024-12-10",
     "Ukrainian President Volodymyr Zelensky \u201cmay consider\u201d letting European nations deploy "
     "peacekeeping troops in his country as part of a deal to end the war with Russia."),
    ("zelensky", "FR", "support", 0.8, "Emmanuel Macron", "last winter", "2024-02-26",
     "The proposal \u2014 floated last winter by French President Emmanuel Macron \u2014 would put "
     "boots on the ground in Ukraine to help enforce a peace agreement."),
    ("zelensky", "DE", "support", 0.75, None, None, "2024-12-10",
     "Peacekeepers deployed to Ukraine is reportedly a part of that plan, with Germany throwing its "
     "weight behind the idea."),
    ("not-under-nato", "DE", "support", 0.6, None, "previously", "2024-12-01",
     "Previously, Italy and Germany expressed readiness to send peacekeepers, while Poland stated "
     "that they do not plan to send their troops."),
    ("not-under-nato", "RU", "oppose", 0.65, None, None, "2024-12-12",
     "Europe may deploy troops to Ukraine, but not under NATO's flag, as Russia would not accept it."),
    ("paris-summit", "GB", "support", 0.9, "Keir Starmer", None, "2025-02-18",
     "British Prime Minister Sir Keir Starmer voiced support for French President Emmanuel "
     "Macron\u2019s proposal to send European troops to Ukraine as a buffer against further Russian "
     "aggression."),
    ("paris-summit", "PL", "oppose", 0.9, "Donald Tusk", None, "2025-02-18",
     "Polish Prime Minister Donald Tusk flatly rejected the notion of deploying Polish troops, "
     "stating that while Poland would continue to provide financial and logistical aid to Ukraine, "
     "direct military involvement was not an option."),
    ("paris-summit", "DE", "oppose", 0.85, "Olaf Scholz", None, "2025-02-18",
     "German Chancellor Olaf Scholz declared it \u201chighly inappropriate\u201d to discuss troop "
     "deployments."),
    ("paris-summit", "SE", "conditional", 0.55, "Maria Malmer", None, "2025-02-18", EDIT_SENTENCE),
    ("boots-op-ed", "GB", "support", 0.95, "Keir Starmer", None, "2025-02-19",
     "he stated that he is \"ready and willing\" to put British troops on the ground to help "
     "guarantee its security as part of a peace deal"),
]

BASELINE_SEED = "004_7838425eb0abb558.txt"
BASELINE_EVIDENCE = (
    "others, including Germany, Poland, Sweden, Spain, Italy, and the Czech Republic, express "
    "hesitation or outright rejection of such plans"
)
BASELINE = [("DE", "oppose"), ("PL", "oppose"), ("SE", "oppose"), ("IT", "oppose"), ("ES", "oppose")]
BASELINE_SINCE = "2024-02-28"


def _at(minutes: int) -> str:
    return iso(START + timedelta(minutes=minutes))


def _seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8").strip()


def _fingerprint(text: str) -> str:
    import hashlib

    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def _diff(old: str, new: str) -> str:
    return "\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(), "version 1",
                                          "version 2", lineterm=""))


def build_publish_db(path: Path | str) -> dict:
    """Fill the database at ``path``; return the ids and values tests assert on."""
    db = open_db(path)
    ids: dict = {"topic": TOPIC, "feeds": {}, "articles": {}, "versions": {}, "claims": {},
                 "baseline": {}, "shifts": [], "shift_rows": {}, "alerts": [], "runs": []}
    try:
        with transaction(db) as conn:
            _fill(conn, ids)
    finally:
        db.close()
    return ids


def _insert(conn, table: str, row: dict) -> int:
    columns = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    return conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", row).lastrowid


def _fill(conn, ids: dict) -> None:
    for i, feed in enumerate(FEEDS):
        url = f"https://{feed['name']}.example.org/rss"
        row = {
            "name": feed["name"], "url": url, "configured_url": url, "title": feed["title"],
            "outlet": feed["outlet"], "tags": json.dumps(["europe"]), "interval_s": 900,
            "last_polled_at": _at(60), "next_poll_at": _at(75), "created_at": _at(0),
            "entries_seen": 2,
        }
        if feed["healthy"]:
            row.update(last_status=200, last_success_at=_at(60), error_count=0, etag='"abc"')
        else:
            row.update(last_status=503, last_success_at=_at(30), error_count=2,
                       last_error="HTTP 503 Service Unavailable", last_error_reason="http-status")
        ids["feeds"][feed["name"]] = _insert(conn, "feeds", row)
    ids["feed_outlets"] = {f["name"]: f["outlet"] for f in FEEDS}
    ids["failing_feed"] = next(f["name"] for f in FEEDS if not f["healthy"])

    outlets = {f["name"]: f["outlet"] for f in FEEDS}
    ids["article_urls"], ids["article_outlets"] = {}, {}
    for n, (key, seed, feed, title, published) in enumerate(ARTICLES):
        url = f"https://{feed}.example.org/{published}/{key}"
        article_id = _insert(conn, "articles", {
            "feed_id": ids["feeds"][feed], "url": url, "guid": url, "outlet": outlets[feed],
            "title": title, "published_at": f"{published}T08:00:00+00:00",
            "first_seen_at": _at(n), "last_checked_at": _at(60), "last_changed_at": _at(n),
            "check_count": 1, "fetch_status": "ok",
        })
        ids["articles"][key] = article_id
        ids["article_urls"][key] = url
        ids["article_outlets"][key] = outlets[feed]
        text = _seed_text(seed)
        texts = [text]
        if EDIT_SENTENCE in text:
            texts = [text.replace(" " + EDIT_SENTENCE, ""), text]
        previous = None
        for number, body in enumerate(texts, start=1):
            diff = _diff(previous, body) if previous is not None else None
            added = len(EDIT_SENTENCE) + 1 if previous is not None else 0
            version_id = _insert(conn, "versions", {
                "article_id": article_id, "number": number, "fetched_at": _at(n + 40 * (number - 1)),
                "fingerprint": _fingerprint(body), "title": title, "text": body, "diff": diff,
                "chars_added": added, "chars_removed": 0,
            })
            ids["versions"][(key, number)] = version_id
            previous = body
        if len(texts) == 2:
            ids["edited_article"] = key
            ids["edit_sentence"] = EDIT_SENTENCE
    ids["search_phrase"] = "hastily arranged meeting in Paris"
    ids["search_article"] = "paris-summit"

    latest_version = {}
    for (key, number), version_id in ids["versions"].items():
        latest_version[key] = max(latest_version.get(key, (0, 0)), (number, version_id))
    ids["claim_evidence"], ids["claims_unreviewed"], ids["claims_current"] = {}, [], []
    for key, actor, stance, confidence, speaker, cue, said_at, evidence in CLAIMS:
        versions = [(number, vid) for (k, number), vid in ids["versions"].items() if k == key]
        if evidence == EDIT_SENTENCE:
            versions = [latest_version[key]]  # only the edited text says it
        for number, version_id in versions:
            review = "confirmed" if confidence >= 0.9 else "unreviewed"
            claim_id = _insert(conn, "claims", {
                "version_id": version_id, "article_id": ids["articles"][key], "actor": actor,
                "topic": TOPIC, "stance": stance, "confidence": confidence, "evidence": evidence,
                "speaker": speaker, "said_at": said_at, "time_cue": cue, "created_at": _at(number),
                "review_status": review,
            })
            if review == "unreviewed":
                ids["claims_unreviewed"].append(claim_id)
            if (number, version_id) == latest_version[key]:
                ids["claims_current"].append(claim_id)
            ids["claims"][(key, actor, number)] = claim_id
            ids["claim_evidence"][claim_id] = evidence

    for actor, stance in BASELINE:
        ids["baseline"][actor] = _insert(conn, "baseline", {
            "actor": actor, "topic": TOPIC, "stance": stance, "since": BASELINE_SINCE,
            "evidence": BASELINE_EVIDENCE, "seed_file": BASELINE_SEED, "confidence": 0.8,
            "created_at": _at(0),
        })
    ids["baseline_evidence"] = BASELINE_EVIDENCE

    claim = ids["claims"]
    last = {key: latest_version[key][0] for key in latest_version}
    shifts = [
        # actor, from, to, since, claim, previous claim, previous baseline, status, corroboration
        ("DE", "oppose", "support", "2024-12-10", claim[("zelensky", "DE", 1)], None,
         ids["baseline"]["DE"], "confirmed", 2),
        ("DE", "support", "oppose", "2025-02-18", claim[("paris-summit", "DE", last["paris-summit"])],
         claim[("zelensky", "DE", 1)], None, "new", 1),
        ("SE", "oppose", "conditional", "2025-02-18",
         claim[("paris-summit", "SE", last["paris-summit"])], None, ids["baseline"]["SE"], "new", 1),
    ]
    for n, (actor, old, new, since, claim_id, prev_claim, prev_base, status, corr) in enumerate(shifts):
        shift_id = _insert(conn, "shifts", {
            "actor": actor, "topic": TOPIC, "from_stance": old, "to_stance": new,
            "detected_at": _at(10 + 20 * n), "since": since, "claim_id": claim_id,
            "previous_claim_id": prev_claim, "previous_baseline_id": prev_base, "confidence": 0.8,
            "corroboration": corr, "status": status,
            "reviewed_at": _at(100) if status != "new" else None,
        })
        ids["shifts"].append(shift_id)
        new_article = conn.execute("SELECT article_id FROM claims WHERE id = ?", (claim_id,)).fetchone()[0]
        ids["shift_rows"][shift_id] = {
            "actor": actor, "from_stance": old, "to_stance": new, "status": status,
            "corroboration": corr, "since": since,
            "new_evidence": ids["claim_evidence"][claim_id],
            "new_url": conn.execute("SELECT url FROM articles WHERE id = ?", (new_article,)).fetchone()[0],
            "old_evidence": ids["claim_evidence"][prev_claim] if prev_claim else BASELINE_EVIDENCE,
        }

    positions = {
        # actor: (stance, since, claim id, baseline id)
        "DE": ("oppose", "2025-02-18", claim[("paris-summit", "DE", last["paris-summit"])], None),
        "SE": ("conditional", "2025-02-18", claim[("paris-summit", "SE", last["paris-summit"])], None),
        "PL": ("oppose", "2025-02-18", claim[("paris-summit", "PL", last["paris-summit"])], None),
        "GB": ("support", "2025-02-19", claim[("boots-op-ed", "GB", 1)], None),
        "FR": ("support", "2024-02-26", claim[("zelensky", "FR", 1)], None),
        "UA": ("conditional", "2024-12-10", claim[("zelensky", "UA", 1)], None),
        "RU": ("oppose", "2024-12-12", claim[("not-under-nato", "RU", 1)], None),
        "IT": ("oppose", BASELINE_SINCE, None, ids["baseline"]["IT"]),
        "ES": ("oppose", BASELINE_SINCE, None, ids["baseline"]["ES"]),
    }
    for actor, (stance, since, claim_id, baseline_id) in positions.items():
        sources = ["baseline"] if baseline_id else [ids["article_outlets"][_article_of(conn, ids, claim_id)]]
        _insert(conn, "positions", {
            "actor": actor, "topic": TOPIC, "stance": stance, "since": since, "claim_id": claim_id,
            "baseline_id": baseline_id, "sources": json.dumps(sources), "updated_at": _at(50),
        })
        _insert(conn, "position_history", {
            "actor": actor, "topic": TOPIC, "stance": stance, "since": since, "claim_id": claim_id,
            "baseline_id": baseline_id, "effect": "started", "recorded_at": _at(50),
        })
    ids["positions"] = {actor: value[0] for actor, value in positions.items()}

    edited = ids["edited_article"]
    _insert(conn, "article_edits", {
        "article_id": ids["articles"][edited], "version_id": ids["versions"][(edited, 2)],
        "previous_version_id": ids["versions"][(edited, 1)], "actor": "SE", "topic": TOPIC,
        "from_stance": None, "to_stance": "conditional", "detected_at": _at(41),
    })

    for shift_id, (channel, status, attempts, error) in zip(ids["shifts"], [
        ("email", "sent", 1, None),
        ("webhook", "pending", 2, "HTTP 502 from the webhook endpoint"),
        ("email", "failed", 5, "SMTP 550 mailbox unavailable"),
    ]):
        ids["alerts"].append(_insert(conn, "alerts", {
            "shift_id": shift_id, "channel": channel, "idempotency_key": f"shift-{shift_id}-{channel}",
            "status": status, "attempts": attempts, "last_error": error, "created_at": _at(55),
            "next_attempt_at": _at(70) if status == "pending" else None,
            "sent_at": _at(56) if status == "sent" else None,
        }))

    for n, (trigger, polled, failed, new_articles, versions, claims, shifts_new) in enumerate([
        ("poll", 2, 0, 2, 2, 5, 1), ("poll", 2, 1, 2, 3, 9, 2),
    ]):
        ids["runs"].append(_insert(conn, "runs", {
            "started_at": _at(30 * n), "finished_at": _at(30 * n + 1), "trigger": trigger,
            "feeds_polled": polled, "feeds_failed": failed, "articles_new": new_articles,
            "versions_new": versions, "claims_new": claims, "shifts_new": shifts_new,
            "errors": failed, "error_summary": "kyiv-wire: HTTP 503" if failed else None,
        }))


def _article_of(conn, ids: dict, claim_id: int) -> str:
    article_id = conn.execute("SELECT article_id FROM claims WHERE id = ?", (claim_id,)).fetchone()[0]
    return next(key for key, aid in ids["articles"].items() if aid == article_id)
