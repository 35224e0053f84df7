"""Alert channels by kind: ``[[alerts.channel]]`` tables -> ``Channel`` objects.

A channel is picked in config by ``kind``; an unknown kind or key fails
with the list of known ones. Every channel has the same rules (which shifts
it wants) and a kind-specific part (where and how to send). Secrets are
never in the file: a channel names the environment variable to read
(``password_env``, ``secret_env``) and the value is read at send time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.alerts import email, webhook
from tracker.alerts.base import SHIFT_LEVELS, SHIFT_STATUSES, Channel, Kind, Rules, string_list
from tracker.config import Table, parse_duration
from tracker.errors import ConfigError

if TYPE_CHECKING:
    from tracker.config import Config

KINDS: dict[str, Kind] = {kind.name: kind for kind in (email.KIND, webhook.KIND)}
COMMON_KEYS = frozenset({"name", "kind", "min_confidence", "actors", "topics", "statuses", "levels", "digest",
                         "health", "timeout"})
SETTINGS_KEYS = frozenset({"max_attempts", "backoff", "max_backoff", "feed_failing_after",
                           "no_success_after"})
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class AlertSettings:
    """The ``[alerts]`` table: retry policy and health thresholds."""

    max_attempts: int = 10
    backoff_s: int = 60
    max_backoff_s: int = 3600
    feed_failing_after_s: int | None = None
    no_success_after_s: int | None = None


def validate_alerts_config(config: "Config") -> None:
    """Raise ConfigError naming file, table, key and fix for any bad alert setting."""
    alert_settings(config)
    channels_from_config(config)


def alert_settings(config: "Config") -> AlertSettings:
    t = Table(config.alerts, f"{config.path}: [alerts]", set(SETTINGS_KEYS))
    max_attempts = t.get("max_attempts", int, 10, example="10")
    if max_attempts < 1:
        raise ConfigError(f"{t.where} key 'max_attempts' is {max_attempts!r}; it must be 1 or more")
    return AlertSettings(
        max_attempts=max_attempts,
        backoff_s=_duration(t, "backoff", 60),
        max_backoff_s=_duration(t, "max_backoff", 3600),
        feed_failing_after_s=_duration(t, "feed_failing_after", None),
        no_success_after_s=_duration(t, "no_success_after", None),
    )


def channels_from_config(config: "Config") -> list[Channel]:
    channels: list[Channel] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(config.alert_channels, start=1):
        where = f"{config.path}: [[alerts.channel]] #{number}"
        channel = _parse_channel(raw, where)
        if channel.name in seen:
            raise ConfigError(
                f"{where} name {channel.name!r} is already used by [[alerts.channel]] #{seen[channel.name]}; "
                "names must be unique"
            )
        seen[channel.name] = number
        channels.append(channel)
    return channels


def channel_by_name(config: "Config", name: str) -> Channel:
    channels = channels_from_config(config)
    for channel in channels:
        if channel.name == name:
            return channel
    known = ", ".join(c.name for c in channels) or "(none; add an [[alerts.channel]] table)"
    raise ConfigError(f"{config.path}: no alert channel named {name!r}; known channels: {known}")


def _parse_channel(raw: Any, where: str) -> Channel:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table, found {type(raw).__name__}")
    known_kinds = ", ".join(sorted(KINDS))
    kind_name = raw.get("kind")
    if kind_name is None:
        raise ConfigError(f"{where} has no 'kind'; add kind = \"email\" (known kinds: {known_kinds})")
    if not isinstance(kind_name, str) or kind_name not in KINDS:
        raise ConfigError(f"{where} key 'kind' is {kind_name!r}; known kinds: {known_kinds}")
    kind = KINDS[kind_name]
    for key in ("password", "secret"):
        if key in raw:  # the value is never echoed: it is a secret
            raise ConfigError(
                f"{where} has key {key!r}; secrets are never written in the config file: export the "
                f"secret in an environment variable and set {key}_env = \"TRACKER_...\" instead"
            )
    t = Table(raw, f"{where} ({kind_name})", set(COMMON_KEYS | kind.keys))
    name = t.get("name", str, required=True, example='"analysts"')
    if not _NAME.match(name):
        raise ConfigError(f"{t.where} key 'name' is {name!r}; use letters, digits, '-', '_' or '.', "
                          "such as \"analysts\"")
    t.where = f"{where} ({name!r})"
    return Channel(
        name=name,
        kind=kind,
        rules=_parse_rules(t),
        timeout_s=float(_duration(t, "timeout", 30)),
        settings=kind.parse(t),
    )


def _parse_rules(t: Table) -> Rules:
    min_confidence = float(t.get("min_confidence", (int, float), 0.0, example="0.6"))
    if not 0.0 <= min_confidence <= 1.0:
        raise ConfigError(f"{t.where} key 'min_confidence' is {min_confidence!r}; use a number from 0 to 1")
    statuses = tuple(string_list(t, "statuses", list(SHIFT_STATUSES), example='["new", "confirmed"]'))
    for status in statuses:
        if status not in SHIFT_STATUSES:
            raise ConfigError(
                f"{t.where} key 'statuses' has {status!r}; known statuses: {', '.join(SHIFT_STATUSES)}"
            )
    levels = tuple(string_list(t, "levels", ["shift"], example='["shift"]'))
    for level in levels:
        if level not in SHIFT_LEVELS:
            raise ConfigError(f"{t.where} key 'levels' has {level!r}; known levels: {', '.join(SHIFT_LEVELS)}")
    return Rules(
        levels=levels,
        min_confidence=min_confidence,
        actors=tuple(string_list(t, "actors", [], example='["DE", "FR"]')),
        topics=tuple(string_list(t, "topics", [], example='["troops-to-ukraine"]')),
        statuses=statuses,
        digest_s=_duration(t, "digest", None),
        health=t.get("health", bool, True, example="true"),
    )


def _duration(t: Table, key: str, default: int | None) -> int | None:
    if key not in t.data:
        return default
    return parse_duration(t.data[key], f"{t.where} key {key!r}")
