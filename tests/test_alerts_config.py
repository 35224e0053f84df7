"""Alert channel config: the registry of kinds, and messages that name the place and the fix."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tracker.alerts.registry import alert_settings, channels_from_config
from tracker.config import load_config, parse_config
from tracker.errors import ConfigError

README = Path(__file__).resolve().parent.parent / "README.md"

EMAIL = 'name = "desk"\nkind = "email"\nhost = "smtp.example.org"\nfrom = "t@example.org"\nto = ["d@example.org"]\n'


@pytest.mark.parametrize(
    "body, message",
    [
        ('[[alerts.channel]]\nname = "x"\nkind = "sms"\n',
         "[[alerts.channel]] #1 key 'kind' is 'sms'; known kinds: email, webhook"),
        ('[[alerts.channel]]\nname = "x"\n',
         "[[alerts.channel]] #1 has no 'kind'; add kind = \"email\" (known kinds: email, webhook)"),
        (f'[[alerts.channel]]\n{EMAIL}[[alerts.channel]]\n{EMAIL}hots = "x"\n',
         "[[alerts.channel]] #2 (email) has unknown key 'hots'; known keys: actors, ca_file, digest, from, health, host, "
         "kind, levels, min_confidence, name, password_env, port, security, statuses, timeout, to, topics, user"),
        (f'[[alerts.channel]]\n{EMAIL}[[alerts.channel]]\n{EMAIL}',
         "[[alerts.channel]] #2 name 'desk' is already used by [[alerts.channel]] #1; names must be unique"),
        (f'[[alerts.channel]]\n{EMAIL}security = "tls"\n',
         "[[alerts.channel]] #1 ('desk') key 'security' is 'tls'; known values: starttls, ssl, none"),
        (f'[[alerts.channel]]\n{EMAIL}user = "me"\n',
         "[[alerts.channel]] #1 ('desk') has 'user' but no 'password_env'; add password_env = "
         "\"TRACKER_SMTP_PASSWORD\""),
        (f'[[alerts.channel]]\n{EMAIL}statuses = ["dismissed"]\n',
         "[[alerts.channel]] #1 ('desk') key 'statuses' has 'dismissed'; known statuses: new, confirmed"),
        (f'[[alerts.channel]]\n{EMAIL}digest = "soon"\n',
         "[[alerts.channel]] #1 ('desk') key 'digest' is 'soon'; use seconds or a duration"),
        (f'[[alerts.channel]]\n{EMAIL}min_confidence = 7\n',
         "[[alerts.channel]] #1 ('desk') key 'min_confidence' is 7.0; use a number from 0 to 1"),
        ('[[alerts.channel]]\nname = "h"\nkind = "webhook"\n',
         "[[alerts.channel]] #1 ('h') has no 'url'; add url = \"https://hooks.example.org/tracker\", or url_env"),
        ('[[alerts.channel]]\nname = "h"\nkind = "webhook"\nurl = "hooks.example.org"\n',
         "[[alerts.channel]] #1 ('h') key 'url' is 'hooks.example.org'; expected an http(s) URL"),
        ('[[alerts.channel]]\nname = "h"\nkind = "webhook"\nurl = "https://h.example/"\n'
         'headers = { Idempotency-Key = "x" }\n',
         "[[alerts.channel]] #1 ('h') header 'Idempotency-Key' is set by tracker itself"),
        ('[alerts]\nretries = 3\n',
         "[alerts] has unknown key 'retries'; known keys: backoff, feed_failing_after, max_attempts, "
         "max_backoff, no_success_after"),
        ('[alerts]\nfeed_failing_after = "later"\n', "[alerts] key 'feed_failing_after' is 'later'"),
    ],
    ids=["unknown-kind", "no-kind", "unknown-key", "duplicate-name", "bad-security", "user-without-password",
         "bad-status", "bad-digest", "bad-confidence", "webhook-no-url", "webhook-bad-url", "reserved-header",
         "unknown-setting", "bad-duration"],
)
def test_bad_alert_config_names_file_place_and_fix(tmp_path, body, message):
    path = tmp_path / "feeds.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


@pytest.mark.parametrize("key, value", [("password", "hunter2-secret"), ("password_env", "hunter2 secret!")])
def test_a_secret_written_in_the_file_is_refused_without_echoing_it(tmp_path, key, value):
    path = tmp_path / "feeds.toml"
    path.write_text(f'[[alerts.channel]]\n{EMAIL}user = "me"\n{key} = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert value not in str(info.value)
    assert "environment variable" in str(info.value) and "never" in str(info.value)


def test_channels_and_settings_are_read_with_defaults(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text(f'[alerts]\nbackoff = "2m"\n[[alerts.channel]]\n{EMAIL}digest = "1h"\nactors = ["DE"]\n'
                    '[[alerts.channel]]\nname = "hook"\nkind = "webhook"\nurl = "https://h.example/x"\n',
                    encoding="utf-8")
    config = load_config(path)
    email, hook = channels_from_config(config)
    assert (email.kind_name, email.settings.port, email.settings.security) == ("email", 587, "starttls")
    assert (email.rules.digest_s, email.rules.actors, email.rules.statuses) == (3600, ("DE",), ("new", "confirmed"))
    assert (hook.kind_name, hook.timeout_s, hook.settings.secret_env) == ("webhook", 30.0, None)
    settings = alert_settings(config)
    assert (settings.backoff_s, settings.max_backoff_s, settings.max_attempts) == (120, 3600, 10)
    assert settings.feed_failing_after_s is None


def test_readme_examples_are_valid_config():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Alerts\n"):]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    assert len(blocks) == 4
    data: dict = {"alerts": {"channel": []}}
    for block in blocks:
        parsed = tomllib.loads(block)
        data["alerts"]["channel"] += parsed.get("alerts", {}).pop("channel", [])
        data["alerts"].update(parsed.get("alerts", {}))
    config = parse_config(data, Path("README.md"))
    assert [c.name for c in channels_from_config(config)] == ["analysts", "ops-hook", "slack"]
    assert alert_settings(config).feed_failing_after_s == 6 * 3600


def test_shipped_config_example_is_valid_when_uncommented(tmp_path):
    shipped = (Path(__file__).resolve().parent.parent / "config" / "feeds.toml").read_text(encoding="utf-8")
    example = shipped[shipped.index("# [[alerts.channel]]"):]
    uncommented = "\n".join(line[2:] if line.startswith("# ") else line for line in example.splitlines())
    path = tmp_path / "feeds.toml"
    path.write_text(uncommented, encoding="utf-8")
    [channel] = channels_from_config(load_config(path))
    assert channel.settings.password_env == "TRACKER_SMTP_PASSWORD"
