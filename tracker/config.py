"""config/feeds.toml -> frozen dataclasses, validated once before anything runs.

Every error names the file, the table (with its number for arrays of
tables), the key, what was found and the fix, for example::

    config/feeds.toml: [[feed]] #3 has no 'url'; add url = "https://..."

Relative paths in the file (``[storage] db``, ``[stance] actors``...) are
resolved against the current working directory, like most command-line tools;
``[stance]`` files default to ``actors.toml`` and ``topics.toml`` beside the
config file.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tracker.datafile import read_toml
from tracker.errors import ConfigError
from tracker.models import Feed
from tracker.positions.decide import PositionParams

DEFAULT_CONFIG = Path("config/feeds.toml")
DEFAULT_USER_AGENT = "tracker/0.1 (change-monitoring news tracker; +https://github.com/tracker)"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
DAY = 86400
MAX_DURATION_S = 365 * DAY  # no interval, back-off or timeout is longer than a year
MAX_TIMEOUT_S = 3600
MAX_WORKERS = 64


@dataclass(frozen=True)
class FetchConfig:
    timeout_s: float = 20.0
    connect_timeout_s: float = 10.0
    max_body_bytes: int = 5_000_000
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    # False: refuse private/loopback/link-local targets; True: allow all;
    # a tuple of networks: allow just those.
    allow_private_addresses: bool | tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = False
    per_host_concurrency: int = 2
    max_article_age_days: int = 30


@dataclass(frozen=True)
class PollingConfig:
    interval_s: int = 1800
    max_backoff_s: int = 6 * 3600
    min_interval_s: int = 300
    max_interval_s: int = 86400
    jitter_s: int = 60
    fetch_articles: bool = True
    workers: int = 4
    adapt_to_publishing: bool = False  # poll slower feeds less often, within min..max interval
    extract_workers: int | None = None  # processes extracting text; None: one per core (at most 4)
    extract_timeout_s: int = 20  # extraction and analysis of one page, in a worker process


@dataclass(frozen=True)
class StanceConfig:
    actors: Path = Path("config/actors.toml")
    topics: Path = Path("config/topics.toml")
    min_confidence: float = 0.0


@dataclass(frozen=True)
class PublishConfig:
    base_url: str | None = None  # public Datasette URL, for links in alerts
    port: int = 8001


@dataclass(frozen=True)
class Config:
    path: Path
    db: Path
    fetch: FetchConfig
    polling: PollingConfig
    stance: StanceConfig
    publish: PublishConfig
    feeds: tuple[Feed, ...]
    # Raw [[alerts.channel]] and [alerts] tables; tracker.alerts validates them.
    alert_channels: tuple[dict[str, Any], ...] = ()
    alerts: dict[str, Any] = field(default_factory=dict)
    positions: PositionParams = PositionParams()  # [positions]: the weights of tracker/positions/decide.py

    def feed(self, name: str) -> Feed:
        for feed in self.feeds:
            if feed.name == name:
                return feed
        known = ", ".join(f.name for f in self.feeds) or "(none)"
        raise ConfigError(f"{self.path}: no feed named {name!r}; known feeds: {known}")


def parse_duration(value: Any, where: str, *, maximum: float = MAX_DURATION_S) -> int:
    """Seconds from an int (seconds) or a string like '90s', '15m', '2h', '1d'; at most ``maximum``."""
    return max(1, int(parse_seconds(value, where, maximum=maximum)))


def parse_seconds(value: Any, where: str, *, maximum: float = MAX_DURATION_S) -> float:
    """Like ``parse_duration``, keeping fractions of a second (timeouts)."""
    seconds: float | None = None
    if isinstance(value, bool):
        raise ConfigError(f"{where} is {value!r}; use seconds or a duration such as \"30m\"")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"{where} is {value!r}; it must be a positive number, such as 1800 or \"30m\"")
        seconds = float(value)
    elif isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{where} is {value!r}; use seconds or a duration such as \"30m\", \"2h\" or \"1d\"")
    if seconds > maximum:
        raise ConfigError(f"{where} is {value!r}; it must be at most {_human(maximum)}, such as \"30m\"")
    return seconds


def _human(seconds: float) -> str:
    for unit, size in (("d", DAY), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"\"{int(seconds // size)}{unit}\""
    return f"{seconds:g} seconds"


class Table:
    """Typed reads from one TOML table that name the place on every error."""

    def __init__(self, data: Any, where: str, known: set[str]) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{where} must be a table, found {type(data).__name__} {data!r}")
        self.data = data
        self.where = where
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"{where} has unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}"
            )

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False, example: str = "") -> Any:
        if key not in self.data:
            if required:
                hint = f"; add {key} = {example}" if example else ""
                raise ConfigError(f"{self.where} has no {key!r}{hint}")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(k.__name__ for k in kinds)
            hint = f", such as {key} = {example}" if example else ""
            raise ConfigError(f"{self.where} key {key!r} is {value!r}; expected {names}{hint}")
        return value


def _check_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{where} key 'url' is {url!r}; expected an http(s) URL such as \"https://example.org/feed.xml\"")
    return url


def _private_networks(value: Any, where: str) -> bool | tuple:
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        nets = []
        for item in value:
            try:
                nets.append(ipaddress.ip_network(str(item), strict=False))
            except ValueError:
                raise ConfigError(
                    f"{where} key 'allow_private_addresses' has {item!r}, which is not a network; "
                    "use true, false or a list such as [\"127.0.0.0/8\", \"10.1.2.0/24\"]"
                ) from None
        return tuple(nets)
    raise ConfigError(
        f"{where} key 'allow_private_addresses' is {value!r}; use true, false or a list such as [\"127.0.0.0/8\"]"
    )


def load_config(path: Path | str = DEFAULT_CONFIG, *, db_override: Path | str | None = None) -> Config:
    """Read and validate the config file; raise ConfigError naming the fix."""
    path = Path(path)
    data = read_toml(path, "config", fix="pass --config PATH or create it (see README, 'Configuration')")
    return parse_config(data, path, db_override=db_override)


def parse_config(data: dict[str, Any], path: Path, *, db_override: Path | str | None = None) -> Config:
    top = Table(data, str(path), {"storage", "fetch", "polling", "stance", "positions", "publish", "feed", "alerts"})
    name = str(path)

    storage = Table(top.data.get("storage", {}), f"{name}: [storage]", {"db"})
    db = Path(db_override) if db_override else Path(storage.get("db", str, "db/tracker.db"))

    f = Table(top.data.get("fetch", {}), f"{name}: [fetch]", {
        "timeout", "connect_timeout", "max_body_bytes", "max_redirects", "user_agent",
        "allow_private_addresses", "per_host_concurrency", "max_article_age_days"})
    fetch = FetchConfig(
        timeout_s=parse_seconds(f.get("timeout", (int, float, str), 20), f"{f.where} key 'timeout'",
                                maximum=MAX_TIMEOUT_S),
        connect_timeout_s=parse_seconds(f.get("connect_timeout", (int, float, str), 10),
                                        f"{f.where} key 'connect_timeout'", maximum=MAX_TIMEOUT_S),
        max_body_bytes=_in_range(f, "max_body_bytes", 5_000_000, 1, 1_000_000_000),
        max_redirects=_in_range(f, "max_redirects", 5, 0, 20),
        user_agent=f.get("user_agent", str, DEFAULT_USER_AGENT),
        allow_private_addresses=_private_networks(f.data.get("allow_private_addresses", False), f.where),
        per_host_concurrency=_in_range(f, "per_host_concurrency", 2, 1, MAX_WORKERS),
        max_article_age_days=_in_range(f, "max_article_age_days", 30, 1, 3650),
    )

    p = Table(top.data.get("polling", {}), f"{name}: [polling]", {
        "interval", "max_backoff", "min_interval", "max_interval", "jitter", "fetch_articles", "workers", "adapt",
        "extract_workers", "extract_timeout"})
    polling = PollingConfig(
        interval_s=parse_duration(p.get("interval", (int, str), 1800), f"{p.where} key 'interval'"),
        max_backoff_s=parse_duration(p.get("max_backoff", (int, str), 21600), f"{p.where} key 'max_backoff'"),
        min_interval_s=parse_duration(p.get("min_interval", (int, str), 300), f"{p.where} key 'min_interval'"),
        max_interval_s=parse_duration(p.get("max_interval", (int, str), 86400), f"{p.where} key 'max_interval'"),
        jitter_s=_in_range(p, "jitter", 60, 0, DAY),
        fetch_articles=p.get("fetch_articles", bool, True, example="true"),
        workers=_in_range(p, "workers", 4, 1, MAX_WORKERS),
        adapt_to_publishing=p.get("adapt", bool, False, example="true"),
        extract_workers=_in_range(p, "extract_workers", None, 0, MAX_WORKERS),
        extract_timeout_s=parse_duration(p.get("extract_timeout", (int, str), 20), f"{p.where} key 'extract_timeout'",
                                         maximum=MAX_TIMEOUT_S),
    )
    if polling.min_interval_s > polling.max_interval_s:
        raise ConfigError(f"{p.where} key 'min_interval' ({polling.min_interval_s}s) is longer than 'max_interval' "
                          f"({polling.max_interval_s}s); make min_interval the shorter one, such as \"5m\" and \"1d\"")

    s = Table(top.data.get("stance", {}), f"{name}: [stance]", {"actors", "topics", "min_confidence"})
    stance = StanceConfig(
        actors=Path(s.get("actors", str, str(path.parent / "actors.toml"))),
        topics=Path(s.get("topics", str, str(path.parent / "topics.toml"))),
        min_confidence=float(s.get("min_confidence", (int, float), 0.0, example="0.5")),
    )
    if not 0.0 <= stance.min_confidence <= 1.0:  # also refuses nan
        raise ConfigError(f"{s.where} key 'min_confidence' is {stance.min_confidence!r}; use a number from 0 to 1, "
                          "such as min_confidence = 0.5")

    positions = _parse_positions(top.data.get("positions", {}), name)

    pub = Table(top.data.get("publish", {}), f"{name}: [publish]", {"base_url", "port"})
    publish = PublishConfig(
        base_url=(pub.get("base_url", str, "") or None),
        port=_in_range(pub, "port", 8001, 1, 65535),
    )

    feeds = _parse_feeds(top.data.get("feed", []), name, polling.interval_s)

    alerts_raw = top.data.get("alerts", {})
    if not isinstance(alerts_raw, dict):
        raise ConfigError(f"{name}: [alerts] must be a table, found {alerts_raw!r}")
    channels = alerts_raw.get("channel", [])
    if not isinstance(channels, list):
        raise ConfigError(f"{name}: 'alerts.channel' must be an array of tables: write [[alerts.channel]]")
    alerts_settings = {k: v for k, v in alerts_raw.items() if k != "channel"}

    config = Config(
        path=path, db=db, fetch=fetch, polling=polling, stance=stance, positions=positions, publish=publish,
        feeds=feeds, alert_channels=tuple(channels), alerts=alerts_settings,
    )
    _validate_alerts(config)
    return config


# [positions]: key -> (field of PositionParams, type, lowest, highest, example). The rules
# that use them are in tracker/positions/decide.py; README "Shifts" documents each.
POSITION_KEYS: dict[str, tuple[str, type | tuple[type, ...], float, float, str]] = {
    "half_life_days": ("half_life_days", (int, float), 1, 3650, "180"),
    "reported_weight": ("reported_weight", (int, float), 0.0, 1.0, "0.5"),
    "official_weight": ("official_weight", (int, float), 1.0, 10.0, "1.5"),
    "retrospective_weight": ("retrospective_weight", (int, float), 0.0, 1.0, "0.7"),
    "outweigh_ratio": ("outweigh_ratio", (int, float), 1.0, 100.0, "1.2"),
    "corroborating_outlets": ("corroborating_outlets", int, 1, 100, "2"),
    "commitment_outlets": ("commitment_outlets", int, 1, 100, "1"),
    "corroboration_days": ("corroboration_days", int, 0, 3650, "14"),
    "own_words_confidence": ("own_words_confidence", (int, float), 0.0, 1.01, "0.7"),
    "earliest_year": ("earliest_year", int, 1900, 2100, "1990"),
}


def _parse_positions(raw: Any, name: str) -> PositionParams:
    t = Table(raw, f"{name}: [positions]", {*POSITION_KEYS, "future_tolerance"})
    values: dict[str, Any] = {}
    for key, (attr, kind, low, high, example) in POSITION_KEYS.items():
        value = t.get(key, kind, None, example=example)
        if value is None:
            continue
        if not low <= value <= high:
            raise ConfigError(f"{t.where} key {key!r} is {value!r}; use a number from {low:g} to {high:g}, "
                              f"such as {key} = {example}")
        values[attr] = value
    if "future_tolerance" in t.data:
        values["future_tolerance_s"] = parse_duration(t.data["future_tolerance"], f"{t.where} key 'future_tolerance'")
    return PositionParams(**values)


def _validate_alerts(config: Config) -> None:
    """Validate [alerts] and [[alerts.channel]] through the channel registry."""
    if not config.alert_channels and not config.alerts:
        return
    try:
        from tracker.alerts.registry import validate_alerts_config
    except ImportError:  # alerts package not installed in this build
        return
    validate_alerts_config(config)


def _in_range(t: Table, key: str, default: int | None, low: int, high: int) -> int | None:
    """An integer key of ``t`` from ``low`` to ``high``; the error names the range and an example."""
    value = t.get(key, int, default, example=str(default if default is not None else low))
    if value is not None and not low <= value <= high:
        example = default if default is not None else low
        raise ConfigError(f"{t.where} key {key!r} is {value!r}; it must be from {low} to {high}, "
                          f"such as {key} = {example}")
    return value


def _parse_feeds(items: Any, name: str, default_interval: int) -> tuple[Feed, ...]:
    if isinstance(items, dict):
        raise ConfigError(f"{name}: 'feed' must be an array of tables: write [[feed]], not [feed]")
    if not isinstance(items, list):
        raise ConfigError(f"{name}: 'feed' must be an array of tables [[feed]], found {items!r}")
    feeds: list[Feed] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        t = Table(item, f"{name}: [[feed]] #{number}", {"name", "url", "interval", "tags", "outlet"})
        url = _check_url(t.get("url", str, required=True, example='"https://..."'), t.where)
        feed_name = t.get("name", str, required=True, example='"outlet-topic"').strip()
        if not feed_name:
            raise ConfigError(f"{t.where} key 'name' is empty; give the feed a short unique name")
        if feed_name in seen:
            raise ConfigError(
                f"{t.where} name {feed_name!r} is already used by [[feed]] #{seen[feed_name]}; names must be unique"
            )
        seen[feed_name] = number
        interval = t.data.get("interval")
        interval_s = default_interval if interval is None else parse_duration(interval, f"{t.where} key 'interval'")
        tags = t.get("tags", list, [])
        if not all(isinstance(tag, str) for tag in tags):
            raise ConfigError(f"{t.where} key 'tags' is {tags!r}; expected a list of strings such as [\"ukraine\"]")
        feeds.append(Feed(name=feed_name, url=url, interval_s=interval_s, tags=tuple(tags),
                          outlet=t.get("outlet", str, None)))
    return tuple(feeds)


