"""The seed articles: ``seeds/manifest.toml`` and the texts it names.

Seeds are the baseline of actors and positions and the first acceptance
data. The manifest gives each article's date, outlet and title, and the
claims a careful analyst reads in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracker.datafile import read_toml
from tracker.errors import ConfigError

DEFAULT_SEEDS = Path("seeds")


@dataclass(frozen=True)
class Seed:
    file: str
    path: Path
    published: str
    outlet: str
    title: str
    text: str
    claims: tuple[dict, ...]
    date_approx: bool = False


def load_seeds(seeds_dir: Path | str = DEFAULT_SEEDS) -> list[Seed]:
    """The seeds in date order (oldest first), texts loaded."""
    seeds_dir = Path(seeds_dir)
    manifest = seeds_dir / "manifest.toml"
    data = read_toml(manifest, "seed manifest", fix="pass --seeds DIR pointing at the seeds folder")
    seeds = []
    for number, item in enumerate(data.get("seed", []), start=1):
        where = f"{manifest}: [[seed]] #{number}"
        for key in ("file", "published"):
            if key not in item:
                raise ConfigError(f"{where} has no {key!r}; add {key} = \"...\"")
        path = seeds_dir / item["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{where} names {item['file']!r}, which is not in {seeds_dir}") from None
        seeds.append(Seed(
            file=item["file"], path=path, published=str(item["published"]),
            outlet=item.get("outlet", "unknown"), title=item.get("title", item["file"]), text=text,
            claims=tuple(item.get("claim", [])), date_approx=bool(item.get("date_approx", False)),
        ))
    return sorted(seeds, key=lambda s: (s.published, s.file))
