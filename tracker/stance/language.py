"""Which language a text is in: the page's own declaration when it has one, else py3langid.

py3langid ships its model inside the package (no download at run time) and
classifies 2,000 characters in about 0.2 ms. Candidates are limited to the
languages of European news, so a short English headline is not read as, say,
Luxembourgish; a text in a language without a pack still comes out as itself
and yields no claims.
"""

from __future__ import annotations

import re
from functools import lru_cache

CANDIDATES = ("en", "de", "fr", "it", "es", "pl", "nl", "pt", "sv", "da", "no", "fi", "cs", "sk", "hu", "ro",
              "bg", "el", "hr", "sl", "lt", "lv", "et", "uk", "ru", "tr")
SAMPLE = 3000
_DECLARED = re.compile(r"^([a-z]{2})(?:[-_][A-Za-z]{2,4})?$")


@lru_cache(maxsize=1)
def _identifier():
    import py3langid.langid as langid

    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    return identifier


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
