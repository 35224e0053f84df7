"""How cells read: evidence as a highlighted quote, diffs coloured, stances as badges.

Pure functions from a cell value to safe HTML (``markupsafe.Markup``); the
Datasette ``render_cell`` hook in ``tracker.publish.plugins`` picks one by
column name.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher
from typing import Callable, Mapping
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from tracker.publish.metadata import STANCE_MEANINGS
from tracker.stance.language import quoted_in

EVIDENCE_COLUMNS = frozenset({"evidence", "new_evidence", "old_evidence"})
DIFF_COLUMNS = frozenset({"diff"})
STANCE_COLUMNS = frozenset({"stance", "from_stance", "to_stance"})
URL_COLUMNS = frozenset({"url", "new_url", "old_url"})
ACTOR_COLUMNS = frozenset({"actor"})
CARD_COLUMNS = frozenset({"evidence", "now", "before"})  # JSON objects made by queries._card
CHANGE_COLUMNS = frozenset({"change", "stance"})  # {"from", "to", "retro", "topic"} or a plain stance
STATUS_COLUMNS = frozenset({"status"})  # {"status", "outlets", "confidence"} or a plain status
LINK_COLUMNS = {"shift_id": "/shifts/{}", "claim_id": "/claims/{}"}  # ids shown as links to their pages
PAGE_COLUMNS = frozenset({"page"})  # a path such as /shifts/3 inside the database: a link "shift 3"
_PAGE = re.compile(r"^/(shift|claim|version)s/([0-9]+)$")
COMMAND_COLUMNS = frozenset({"review"})  # commands to copy
LIST_COLUMNS = frozenset({"sources", "tags"})  # JSON lists of strings
ATOM_HTML_COLUMNS = frozenset({"atom_content_html"})
SNIPPET_COLUMNS = frozenset({"snippet"})
EDIT_COLUMNS = frozenset({"stance_edits"})
SNIPPET_START, SNIPPET_END = "\x02", "\x03"

# A link to one of the tracker's own pages, from a path such as "/tracker/shifts/3".
PathFor = Callable[[str], str]


def evidence_html(text: str) -> Markup:
    return Markup('<blockquote class="evidence"><mark>{}</mark></blockquote>').format(text)


def stance_html(stance: str) -> Markup:
    meaning = STANCE_MEANINGS.get(stance)
    if meaning is None:
        return Markup("{}").format(stance)
    return Markup('<span class="stance stance-{0}" title="{1}">{0}</span>').format(stance, meaning)


def diff_html(diff: str) -> Markup:
    """A unified diff: added lines green (<ins>), removed lines red (<del>).

    When a run of removed lines is followed by as many added lines, the words
    that changed inside each pair are marked too: a paragraph edited by one
    sentence otherwise shows as two long, nearly equal lines.
    """
    lines = diff.splitlines()
    out: list[Markup] = []
    i, in_hunk = 0, False
    while i < len(lines):
        line = lines[i]
        if not in_hunk and line.startswith(("+++", "---")):
            out.append(Markup('<span class="diff-file">{}</span>').format(line))
        elif line.startswith("@@"):
            in_hunk = True
            out.append(Markup('<span class="diff-hunk">{}</span>').format(line))
        elif line.startswith("-"):
            removed = _run(lines, i, "-")
            added = _run(lines, i + len(removed), "+")
            if len(added) == len(removed):
                pairs = [_word_diff(old[1:], new[1:]) for old, new in zip(removed, added)]
                out.extend(Markup('<del class="diff-del">-{}</del>').format(old) for old, _ in pairs)
                out.extend(Markup('<ins class="diff-add">+{}</ins>').format(new) for _, new in pairs)
            else:
                out.extend(Markup('<del class="diff-del">{}</del>').format(r) for r in removed)
                out.extend(Markup('<ins class="diff-add">{}</ins>').format(a) for a in added)
            i += len(removed) + len(added)
            continue
        elif line.startswith("+"):
            out.append(Markup('<ins class="diff-add">{}</ins>').format(line))
        else:
            out.append(Markup('<span class="diff-ctx">{}</span>').format(line))
        i += 1
    # Every line is a block of its own (so a coloured line spans the width): no "\n" between.
    return Markup('<pre class="diff">{}</pre>').format(Markup("").join(out))


def _run(lines: list[str], start: int, sign: str) -> list[str]:
    run = []
    for line in lines[start:]:
        if not line.startswith(sign):
            break
        run.append(line)
    return run


def _word_diff(old: str, new: str) -> tuple[Markup, Markup]:
    """Both lines with the words only one of them has wrapped in <mark>."""
    a, b = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    old_out, new_out = [], []
    for op, a1, a2, b1, b2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part, new_part = "".join(a[a1:a2]), "".join(b[b1:b2])
        if op == "equal":
            old_out.append(escape(old_part))
            new_out.append(escape(new_part))
            continue
        if old_part:
            old_out.append(Markup('<mark class="diff-word">{}</mark>').format(old_part))
        if new_part:
            new_out.append(Markup('<mark class="diff-word">{}</mark>').format(new_part))
    return Markup("").join(old_out), Markup("").join(new_out)


def link_html(url: str, *, label: str | None = None) -> Markup | None:
    """A one-line link showing host and path, or ``label`` (the full URL on hover); None if not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return Markup('<a class="article-link" href="{0}" title="{0}">{1}</a>').format(
        url, label or parts.netloc + parts.path)


def actor_html(code: str, names: Mapping[str, str]) -> Markup:
    name = names.get(code)
    if not name or name == code:
        return Markup('<span class="actor"><code>{}</code></span>').format(code)
    return Markup('<span class="actor">{} <code>{}</code></span>').format(name, code)


def change_html(change: Mapping) -> Markup:
    """old -> new as two badges; a retrospective shift says so."""
    old, new = change.get("from"), change.get("to")
    parts = [stance_html(old) if old else Markup("<i>none</i>"), Markup(" &rarr; "),
             stance_html(new) if new else Markup("<i>none</i>")]
    if change.get("retro"):
        parts.append(Markup(' <span class="retro" title="the text places the new stance in the past">'
                            'retro</span>'))
    topic = Markup('<div class="topic">{}</div>').format(change["topic"]) if change.get("topic") else ""
    return Markup('{}<span class="change">{}</span>').format(topic, Markup("").join(parts))


def status_html(status: Mapping) -> Markup:
    """A shift's status, the outlets that corroborate it and its confidence, one per line."""
    outlets = status.get("outlets") or 0
    lines = [Markup('<b class="status status-{0}">{0}</b>').format(status.get("status") or "?"),
             Markup("{} outlet{}").format(outlets, "" if outlets == 1 else "s")]
    if isinstance(status.get("confidence"), (int, float)):
        lines.append(Markup("confidence {:.2f}").format(status["confidence"]))
    return Markup('<span class="shift-status">{}</span>').format(Markup("<br>").join(lines))


def id_link_html(column: str, value: int, path_for: PathFor) -> Markup:
    path = LINK_COLUMNS[column].format(int(value))
    return Markup('<a class="page-link" href="{}">{} {}</a>').format(
        path_for(path), column.removesuffix("_id"), int(value))


def card_html(card: Mapping, path_for: PathFor) -> Markup:
    """A quote with who said it, the outlet, the date and links to the article and the stored text."""
    evidence = card.get("evidence")
    if not evidence:
        return Markup('<span class="no-evidence">(no evidence recorded)</span>')
    source = [Markup("{}").format(part) for part in (card.get("speaker"), card.get("outlet"), card.get("date"))
              if part]
    if card.get("time_cue"):
        source.append(Markup('<span class="time-cue">&ldquo;{}&rdquo;</span>').format(card["time_cue"]))
    quoted = quoted_in(card.get("language"))  # non-English evidence stays as it is, with its language
    if quoted:
        source.append(Markup('<span class="language">{}</span>').format(quoted))
    label = card.get("title") or "article"
    link = link_html(card["url"], label=label) if isinstance(card.get("url"), str) else None
    if link:
        source.append(link)
    if isinstance(card.get("version_id"), int):
        source.append(Markup('<a class="version-link" href="{}">stored text</a>').format(
            path_for(f"/versions/{int(card['version_id'])}")))
    lang = Markup(' lang="{}"').format(card["language"]) if card.get("language") else Markup("")
    return Markup('<div class="card"{}>{}<div class="source">{}</div></div>').format(
        lang, evidence_html(evidence), Markup(" &middot; ").join(source))


def list_html(items: list) -> Markup:
    return Markup(", ").join(Markup("{}").format(item) for item in items)


_ATOM_TAG = re.compile(r"&lt;(/?)(p|strong|blockquote)&gt;")


def atom_html(value: str) -> Markup:
    """The Atom entry's HTML as HTML: its own few tags kept, anything else shown as text."""
    return Markup(_ATOM_TAG.sub(r"<\1\2>", str(escape(value))))


def snippet_html(value: str) -> Markup:
    """An FTS snippet with its matches (between \\x02 and \\x03) marked."""
    text = str(escape(value))
    return Markup('<span class="snippet">{}</span>').format(
        Markup(text.replace(SNIPPET_START, '<mark>').replace(SNIPPET_END, '</mark>')))


def edits_html(edits: list, names: Mapping[str, str]) -> Markup:
    """Stances an article edit changed: 'Sweden (SE): none -> conditional', one per line."""
    lines = []
    for edit in edits:
        if not isinstance(edit, dict):
            continue
        old = [stance_html(s) for s in (edit.get("from") or "").split("/") if s]
        new = [stance_html(s) for s in (edit.get("to") or "").split("/") if s]
        lines.append(Markup('<li>{}: {} &rarr; {}</li>').format(
            actor_html(edit.get("actor") or "", names),
            Markup(" ").join(old) or Markup("<i>not there</i>"),
            Markup(" ").join(new) or Markup("<i>removed</i>")))
    return Markup('<ul class="stance-edits">{}</ul>').format(Markup("").join(lines))


def _json(value: str):
    if not value.startswith(("{", "[")):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def render_value(column: str, value, *, names: Mapping[str, str] | None = None,
                 path_for: PathFor = lambda path: "/tracker" + path) -> Markup | None:
    """The HTML for a cell, or None to leave it to Datasette."""
    if column in LINK_COLUMNS and isinstance(value, int) and not isinstance(value, bool):
        return id_link_html(column, value, path_for)
    if not isinstance(value, str) or not value:
        return None
    names = names or {}
    parsed = _json(value)
    if column in CARD_COLUMNS and isinstance(parsed, dict):
        return card_html(parsed, path_for)
    if column in CHANGE_COLUMNS and isinstance(parsed, dict):
        return change_html(parsed)
    if column in STATUS_COLUMNS and isinstance(parsed, dict):
        return status_html(parsed)
    if column in LIST_COLUMNS and isinstance(parsed, list):
        return list_html(parsed)
    if column in EDIT_COLUMNS and isinstance(parsed, list):
        return edits_html(parsed, names)
    if column in ACTOR_COLUMNS:
        return actor_html(value, names)
    if column in PAGE_COLUMNS and _PAGE.match(value):
        kind, number = _PAGE.match(value).groups()
        return Markup('<a class="page-link" href="{}">{} {}</a>').format(path_for(value), kind, number)
    if column in COMMAND_COLUMNS:
        return Markup('<pre class="command">{}</pre>').format(value)
    if column in ATOM_HTML_COLUMNS:
        return atom_html(value)
    if column in SNIPPET_COLUMNS:
        return snippet_html(value)
    if column in EVIDENCE_COLUMNS:
        return evidence_html(value)
    if column in DIFF_COLUMNS:
        return diff_html(value)
    if column in STANCE_COLUMNS:
        return stance_html(value)
    if column in URL_COLUMNS:
        return link_html(value)
    return None
