"""Which language a text is in: the page's own declaration when it has one, else py3langid.

py3langid ships its model inside the package (no download at run time) and
reads the first 600 characters in under a millisecond. Candidates are limited to the
languages of European news, so a short English headline is not read as, say,
Luxembourgish; a text in a language without a pack still comes out as itself
and yields no claims.
"""

from __future__ import annotations

import re
from functools import lru_cache

CANDIDATES = ("en", "de", "fr", "it", "es", "pl", "nl", "pt", "sv", "da", "no", "fi", "cs", "sk", "hu", "ro",
              "bg", "el", "hr", "sl", "lt", "lv", "et", "uk", "ru", "tr")
# English names of the languages, for alerts and pages that say which language a quote is in.
NAMES = {"en": "English", "de": "German", "fr": "French", "it": "Italian", "es": "Spanish", "pl": "Polish",
         "nl": "Dutch", "pt": "Portuguese", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish",
         "cs": "Czech", "sk": "Slovak", "hu": "Hungarian", "ro": "Romanian", "bg": "Bulgarian", "el": "Greek",
         "hr": "Croatian", "sl": "Slovenian", "lt": "Lithuanian", "lv": "Latvian", "et": "Estonian",
         "uk": "Ukrainian", "ru": "Russian", "tr": "Turkish"}
SAMPLE = 600  # characters read: enough for a paragraph, and about 0.7 ms
_DECLARED = re.compile(r"^([a-z]{2})(?:[-_][A-Za-z]{2,4})?$")


@lru_cache(maxsize=1)
def _identifier():
    import py3langid.langid as langid

    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    return identifier


def quoted_in(code: str | None) -> str | None:
    """"in German (de)" for a quote that is not in English; None for English or unknown."""
    if not code or code == "en":
        return None
    return f"in {NAMES.get(code, code)} ({code})"


def declared_language(value: str | None) -> str | None:
    """'de-DE', 'fr_FR', 'EN' -> 'de', 'fr', 'en'; anything else None."""
    if not value:
        return None
    m = _DECLARED.match(value.strip().lower().replace("_", "-"))
    return m.group(1) if m else None


def detect_language(text: str, declared: str | None = None) -> str:
    """ISO 639-1 code of `text`; a page's declared language wins when it is well formed."""
    code = declared_language(declared)
    if code:
        return code
    sample = text[:SAMPLE]
    if not sample.strip():
        return "en"
    language, _ = _identifier().classify(sample)
    return language
