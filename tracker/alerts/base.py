"""What every channel kind shares: rules, the channel record, the send context.

Kind modules (``email``, ``webhook``) import from here; ``registry`` imports
the kind modules, so nothing here imports a kind.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from tracker.config import Table
from tracker.errors import AlertError, ConfigError
from tracker.positions.decide import LEVELS

if TYPE_CHECKING:
    import httpx

    from tracker.alerts.render import Message
    from tracker.clock import Clock
    from tracker.config import Config

SHIFT_STATUSES = ("new", "confirmed")
SHIFT_LEVELS = LEVELS  # signal (a change not yet borne out), shift: tracker/positions/decide.py
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Rules:
    """Which shifts a channel wants; empty actors/topics mean all."""

    min_confidence: float = 0.0
    actors: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    statuses: tuple[str, ...] = SHIFT_STATUSES
    digest_s: int | None = None
    health: bool = True
    levels: tuple[str, ...] = ("shift",)

    def matches(self, *, actor: str, topic: str, status: str, confidence: float, level: str = "shift") -> bool:
        return (
            status in self.statuses
            and level in self.levels
            and confidence >= self.min_confidence
            and (not self.actors or actor in self.actors)
            and (not self.topics or topic in self.topics)
        )


@dataclass
class SendContext:
    """What a send needs besides the message: the clock, the config, a test seam."""

    clock: "Clock"
    config: "Config"
    http_transport: "httpx.BaseTransport | None" = None


@dataclass(frozen=True)
class Kind:
    """One channel kind: its config keys, how to read them, how to send."""

    name: str
    keys: frozenset[str]
    parse: Callable[[Table], Any]  # the channel's table -> kind settings
    send: Callable[["Channel", "Message", SendContext], None]  # raises AlertError
    secret_envs: Callable[[Any], tuple[str, ...]]  # env var names holding secrets


@dataclass(frozen=True)
class Channel:
    name: str
    kind: Kind = field(repr=False)
    rules: Rules
    timeout_s: float
    settings: Any = field(repr=False)

    @property
    def kind_name(self) -> str:
        return self.kind.name

    def send(self, message: "Message", context: SendContext) -> None:
        self.kind.send(self, message, context)

    def secrets(self) -> list[str]:
        """Current values of this channel's secret variables (to redact them)."""
        return [os.environ[name] for name in self.kind.secret_envs(self.settings) if os.environ.get(name)]


def read_secret(channel: Channel, env: str, what: str) -> str:
    value = os.environ.get(env)
    if not value:
        raise AlertError(
            f"alert channel {channel.name!r}: environment variable {env} (the {what}) is not set; "
            f"export {env} before running tracker",
            reason="missing-secret",
        )
    return value


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def string_list(t: Table, key: str, default: list[str], *, example: str) -> list[str]:
    value = t.get(key, list, default, example=example)
    if not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"{t.where} key {key!r} is {value!r}; expected a list of strings such as {key} = {example}")
    return value


def env_name(t: Table, key: str) -> str | None:
    """Read a key that names an environment variable; never echo a bad value (it may be the secret)."""
    value = t.data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise ConfigError(
            f"{t.where} key {key!r} must be the name of an environment variable (letters, digits, '_'), "
            f"such as {key} = \"TRACKER_SECRET\"; put the secret itself in that variable, never in the file"
        )
    return value
