"""Reading the project's TOML data files: one place for the errors and the cache.

``read_toml`` turns every failure into a ConfigError naming the file and the
fix; ``load_cached`` parses a file once and again only when it changes
(modification time and size), so the daemon picks up an edited lexicon
without a restart and a cycle does not re-read it per article.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Callable, TypeVar

from tracker.errors import ConfigError

T = TypeVar("T")


def read_toml(path: Path, what: str, *, fix: str) -> dict[str, Any]:
    """Parse a TOML file; ``what`` names it in errors ("actors"), ``fix`` says what to do when it is missing."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what} file; {fix}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} file: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}; fix the line named") from None


def load_cached(cache: dict[Path, tuple[tuple[int, int], T]], path: Path, load: Callable[[Path], T]) -> T:
    """``load(path)``, reused until the file's mtime or size changes; a missing file is never cached."""
    try:
        stat = path.stat()
    except OSError:
        return load(path)
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    value = load(path)
    cache[path] = (stamp, value)
    return value
