"""How cells read: evidence as a highlighted quote, diffs coloured, stances as badges.

Pure functions from a cell value to safe HTML (``markupsafe.Markup``); the
Datasette ``render_cell`` hook in ``tracker.publish.plugins`` picks one by
column name.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from tracker.publish.metadata import STANCE_MEANINGS

EVIDENCE_COLUMNS = frozenset({"evidence", "new_evidence", "old_evidence"})
DIFF_COLUMNS = frozenset({"diff"})
STANCE_COLUMNS = frozenset({"stance", "from_stance", "to_stance"})
URL_COLUMNS = frozenset({"url", "new_url", "old_url"})


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


def link_html(url: str) -> Markup | None:
    """A one-line link showing host and path (the full URL on hover); None if not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return Markup('<a class="article-link" href="{0}" title="{0}">{1}</a>').format(
        url, parts.netloc + parts.path)


def render_value(column: str, value) -> Markup | None:
    """The HTML for a cell, or None to leave it to Datasette."""
    if not isinstance(value, str) or not value:
        return None
    if column in EVIDENCE_COLUMNS:
        return evidence_html(value)
    if column in DIFF_COLUMNS:
        return diff_html(value)
    if column in STANCE_COLUMNS:
        return stance_html(value)
    if column in URL_COLUMNS:
        return link_html(value)
    return None
