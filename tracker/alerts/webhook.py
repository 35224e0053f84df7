"""The ``webhook`` channel: an HTTP POST of a JSON document.

Headers on every delivery:

* ``Idempotency-Key``: the same on every attempt of one alert;
* ``X-Tracker-Timestamp``: Unix seconds of this attempt;
* ``X-Tracker-Signature: sha256=<hex>`` when ``secret_env`` is set:
  HMAC-SHA256 over ``timestamp + "." + body`` with the secret, so a receiver
  checks both the body and its freshness.

The body carries structured fields and a Slack-compatible ``text``. Any 2xx
answer is a delivery; anything else is an error the outbox retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx

from tracker.alerts.base import Channel, Kind, SendContext, env_name, read_secret
from tracker.alerts.render import Message
from tracker.config import Table
from tracker.errors import AlertError, ConfigError
from tracker.http import make_client

KEYS = frozenset({"url", "url_env", "secret_env", "headers"})
_RESERVED = {"content-type", "idempotency-key", "x-tracker-timestamp", "x-tracker-signature"}


@dataclass(frozen=True)
class WebhookSettings:
    url: str | None  # None when the URL itself is a secret, read from url_env
    url_env: str | None = None
    secret_env: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


def parse(t: Table) -> WebhookSettings:
    url_env = env_name(t, "url_env")
    url = t.get("url", str, None, example='"https://hooks.example.org/tracker"')
    if url is None and url_env is None:
        raise ConfigError(f"{t.where} has no 'url'; add url = \"https://hooks.example.org/tracker\", or "
                          "url_env = \"TRACKER_WEBHOOK_URL\" when the URL itself is a secret (Slack)")
    if url is not None and url_env is not None:
        raise ConfigError(f"{t.where} has both 'url' and 'url_env'; keep one")
    if url is not None and not _is_http_url(url):
        raise ConfigError(f"{t.where} key 'url' is {url!r}; expected an http(s) URL such as "
                          "\"https://hooks.example.org/tracker\"")
    headers = t.get("headers", dict, {}, example='{ "X-Team" = "desk" }')
    for name, value in headers.items():
        if not isinstance(value, str):
            raise ConfigError(f"{t.where} header {name!r} is {value!r}; header values must be strings")
        if name.lower() in _RESERVED:
            raise ConfigError(f"{t.where} header {name!r} is set by tracker itself; remove it from 'headers'")
    return WebhookSettings(url=url, url_env=url_env, secret_env=env_name(t, "secret_env"),
                           headers=tuple(headers.items()))


def _is_http_url(url: str) -> bool:
    try:
        parts = httpx.URL(url)
    except httpx.InvalidURL:
        return False
    return parts.scheme in ("http", "https") and bool(parts.host)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def request_parts(channel: Channel, message: Message, context: SendContext) -> tuple[bytes, dict[str, str]]:
    s: WebhookSettings = channel.settings
    body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    timestamp = str(int(context.clock.now().timestamp()))
    headers = dict(s.headers)
    headers.update({
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": message.key,
        "X-Tracker-Timestamp": timestamp,
    })
    if s.secret_env:
        headers["X-Tracker-Signature"] = signature(read_secret(channel, s.secret_env, "webhook secret"),
                                                   timestamp, body)
    return body, headers


def send(channel: Channel, message: Message, context: SendContext) -> None:
    s: WebhookSettings = channel.settings
    url = s.url or read_secret(channel, s.url_env, "webhook URL")
    if not _is_http_url(url):  # never echo it: it came from a secret variable
        raise AlertError(f"alert channel {channel.name!r}: ${s.url_env} is not an http(s) URL; "
                         "export the full webhook URL", reason="bad-url")
    body, headers = request_parts(channel, message, context)
    where = f"alert channel {channel.name!r}: POST {_display(url)}"
    try:
        with make_client(context.config.fetch, transport=context.http_transport) as client:
            response = client.post(url, content=body, headers=headers,
                                   timeout=httpx.Timeout(channel.timeout_s))
    except httpx.TimeoutException:
        raise AlertError(f"{where}: no answer within {channel.timeout_s:g}s", reason="timeout") from None
    except httpx.HTTPError as exc:
        raise AlertError(f"{where}: {type(exc).__name__}: {exc}", reason="http-error") from None
    if not 200 <= response.status_code < 300:
        snippet = response.text[:200].strip()
        raise AlertError(f"{where}: answered HTTP {response.status_code}" + (f": {snippet}" if snippet else ""),
                         reason=f"http-{response.status_code}")


def _display(url: str) -> str:
    """The URL without its path and query: Slack-style webhook paths are secrets too."""
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.netloc.decode('ascii')}/..." if parts.path not in ("", "/") else url


def _secret_envs(settings: WebhookSettings) -> tuple[str, ...]:
    return tuple(env for env in (settings.secret_env, settings.url_env) if env)


KIND = Kind(name="webhook", keys=KEYS, parse=parse, send=send, secret_envs=_secret_envs)
