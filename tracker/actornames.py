"""Country and body names beside their codes: ``Germany (DE)``.

Analysts read names, the database stores codes. The names come from the
gazetteer (``config/actors.toml``, the first of each actor's ``names``); a
code the gazetteer does not know (or a missing file) is shown as the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from tracker.errors import TrackerError

DEFAULT_ACTORS = Path("config/actors.toml")


def actor_names(path: Path | str = DEFAULT_ACTORS) -> dict[str, str]:
    """{code: name} from an actors file; empty when it cannot be read (names are a nicety)."""
    from tracker.stance.actors import load_gazetteer

    try:
        gazetteer = load_gazetteer(Path(path))
    except (TrackerError, OSError):
        return {}
    return {code: actor.label for code, actor in gazetteer.actors.items()}


def named(code: str | None, names: Mapping[str, str]) -> str:
    """``Germany (DE)``, or the code alone when it has no name."""
    if not code:
        return ""
    name = names.get(code)
    return f"{name} ({code})" if name and name != code else code
