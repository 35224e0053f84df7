"""Normalise article text, fingerprint it, and diff two versions.

The fingerprint is taken on normalised text so that whitespace, line-ending
and Unicode-composition noise between two fetches never counts as an edit.
Diffs are by sentence (one sentence per diff line) because news paragraphs are
long and an edit usually touches one sentence of them.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"[^\S\n]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…。])[\"'”’»)]*\s+")
# Above this size a character-level comparison of a changed block is too slow;
# its whole length counts instead.
_CHAR_DIFF_LIMIT = 20_000


@dataclass(frozen=True)
class TextDiff:
    unified: str
    chars_added: int
    chars_removed: int
    sentences_added: int
    sentences_removed: int


def normalise(text: str) -> str:
    """NFC, one space between words, no blank or padded lines, '\\n' line ends."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def fingerprint(text: str) -> str:
    """sha256 hex digest of the normalised text."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def sentences(text: str) -> list[str]:
    """Normalised text split into sentences (paragraph breaks also split)."""
    out: list[str] = []
    for paragraph in normalise(text).split("\n"):
        out.extend(part.strip() for part in _SENTENCE_END.split(paragraph) if part.strip())
    return out


def diff(old: str, new: str, *, old_label: str = "previous", new_label: str = "current") -> TextDiff:
    """A unified diff by sentence plus counts of characters and sentences changed."""
    a, b = sentences(old), sentences(new)
    unified = "\n".join(
        line.rstrip("\n")
        for line in difflib.unified_diff(a, b, fromfile=old_label, tofile=new_label, lineterm="", n=1)
    )
    added = removed = s_added = s_removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        s_removed += i2 - i1
        s_added += j2 - j1
        gone, came = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if tag == "replace" and len(gone) + len(came) <= _CHAR_DIFF_LIMIT:
            for ctag, ci1, ci2, cj1, cj2 in difflib.SequenceMatcher(None, gone, came, autojunk=False).get_opcodes():
                if ctag != "equal":
                    removed += ci2 - ci1
                    added += cj2 - cj1
        else:
            removed += len(gone)
            added += len(came)
    return TextDiff(unified=unified, chars_added=added, chars_removed=removed,
                    sentences_added=s_added, sentences_removed=s_removed)
