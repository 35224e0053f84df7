"""Keep a version only when the article's normalised text fingerprint changes.

Call inside the article's transaction: the version row, its diff against the
previous version and the article's change time are written together.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.models import Extracted
from tracker.stance.language import detect_language
from tracker.textdiff import diff, fingerprint, normalise


@dataclass(frozen=True)
class VersionResult:
    version_id: int | None  # None: same text as the latest version, nothing stored
    number: int  # number of the new version, or of the unchanged latest one
    chars_added: int = 0
    chars_removed: int = 0

    @property
    def changed(self) -> bool:
        return self.version_id is not None


def latest_version(db, article_id: int) -> dict | None:
    row = db.execute(
        "SELECT id, number, fingerprint, text FROM versions WHERE article_id = ? ORDER BY number DESC LIMIT 1",
        [article_id],
    ).fetchone()
    return None if row is None else dict(zip(("id", "number", "fingerprint", "text"), row))


def record_version(db, article_id: int, extracted: Extracted, *, fetched_at: str) -> VersionResult:
    """Insert version N+1 when the text differs from version N; return what happened."""
    text = normalise(extracted.text)
    print_ = fingerprint(text)
    previous = latest_version(db, article_id)
    if previous is not None and previous["fingerprint"] == print_:
        return VersionResult(version_id=None, number=previous["number"])
    number = 1 if previous is None else previous["number"] + 1
    unified, added, removed = None, len(text), 0
    if previous is not None:
        change = diff(previous["text"], text, old_label=f"version {previous['number']}",
                      new_label=f"version {number}")
        unified, added, removed = change.unified, change.chars_added, change.chars_removed
    cursor = db.execute(
        "INSERT INTO versions (article_id, number, fetched_at, fingerprint, title, text, source,"
        " extraction_note, diff, chars_added, chars_removed, analysis_status, language)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        [article_id, number, fetched_at, print_, extracted.title, text, extracted.source,
         extracted.note, unified, added, removed, detect_language(text, declared=extracted.language)],
    )
    return VersionResult(version_id=cursor.lastrowid, number=number, chars_added=added, chars_removed=removed)
