from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main
from tracker.config import load_config
from tracker.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_config_is_valid_and_has_ten_real_feeds():
    config = load_config(ROOT / "config" / "feeds.toml")
    assert len(config.feeds) >= 10
    assert all(feed.url.startswith("https://") for feed in config.feeds)
    assert config.fetch.allow_private_addresses is False
    assert config.db == Path("db/tracker.db")


@pytest.mark.parametrize(
    "body, message",
    [
        ('[[feed]]\nname = "a"\nurl = "https://a.example/feed"\n[[feed]]\nname = "b"\n',
         "[[feed]] #2 has no 'url'; add url = \"https://...\""),
        ('[[feed]]\nname = "a"\nurl = "ftp://a.example/feed"\n',
         "[[feed]] #1 key 'url' is 'ftp://a.example/feed'; expected an http(s) URL"),
        ('[[feed]]\nname = "a"\nurl = "https://a.example/"\ninterval = "soon"\n',
         "[[feed]] #1 key 'interval' is 'soon'; use seconds or a duration"),
        ('[[feed]]\nname = "a"\nurl = "https://a.example/"\n[[feed]]\nname = "a"\nurl = "https://b.example/"\n',
         "[[feed]] #2 name 'a' is already used by [[feed]] #1"),
        ('[fetch]\ntimeout = 5\nmax_body = 3\n', "[fetch] has unknown key 'max_body'; known keys:"),
        ('[fetch]\nallow_private_addresses = ["not-a-net"]\n', "has 'not-a-net', which is not a network"),
        ('[feed]\nname = "a"\n', "'feed' must be an array of tables: write [[feed]], not [feed]"),
        ('[storage\ndb = 1\n', "invalid TOML"),
    ],
    ids=["missing-url", "bad-scheme", "bad-interval", "duplicate-name", "unknown-key",
         "bad-network", "feed-not-array", "broken-toml"],
)
def test_bad_config_names_file_place_and_fix(tmp_path, body, message):
    path = tmp_path / "feeds.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_bad_config_exits_2_before_anything_runs(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text('[[feed]]\nname = "a"\n', encoding="utf-8")
    db = tmp_path / "t.db"
    result = CliRunner().invoke(main, ["--config", str(path), "init"])
    assert result.exit_code == 2
    assert f"{path}: [[feed]] #1 has no 'url'; add url = \"https://...\"" in result.output
    assert not db.exists()


def test_private_addresses_accept_networks(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text('[fetch]\nallow_private_addresses = ["127.0.0.0/8", "10.1.2.0/24"]\n', encoding="utf-8")
    config = load_config(path)
    assert [str(n) for n in config.fetch.allow_private_addresses] == ["127.0.0.0/8", "10.1.2.0/24"]


def test_init_is_idempotent(tmp_path):
    path = tmp_path / "feeds.toml"
    db = tmp_path / "x.db"
    path.write_text(f'[storage]\ndb = "{db}"\n', encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(main, ["--config", str(path), "init"])
    second = runner.invoke(main, ["--config", str(path), "init"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "database ready" in second.output
    import sqlite3
    from tracker.db import MIGRATIONS
    names = [r[0] for r in sqlite3.connect(db).execute("select name from migrations order by name")]
    assert names == sorted(name for name, _ in MIGRATIONS)


def test_positions_table_has_defaults_and_range_checked_values(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text("", encoding="utf-8")
    defaults = load_config(path).positions
    assert (defaults.outweigh_ratio, defaults.corroborating_outlets, defaults.future_tolerance_s) == (1.2, 2, 86400)
    path.write_text('[positions]\noutweigh_ratio = 2\nhalf_life_days = 90\nfuture_tolerance = "2h"\n', encoding="utf-8")
    tuned = load_config(path).positions
    assert (tuned.outweigh_ratio, tuned.half_life_days, tuned.future_tolerance_s) == (2, 90, 7200)


@pytest.mark.parametrize("body, message", [
    ("[positions]\nreported_weight = 1.5\n",
     "[positions] key 'reported_weight' is 1.5; use a number from 0 to 1, such as reported_weight = 0.5"),
    ("[positions]\ncorroborating_outlets = 0\n",
     "[positions] key 'corroborating_outlets' is 0; use a number from 1 to 100, such as corroborating_outlets = 2"),
    ("[positions]\nratio = 2\n", "[positions] has unknown key 'ratio'; known keys: commitment_outlets, corroborating_outlets"),
    ('[positions]\nhalf_life_days = "long"\n', "[positions] key 'half_life_days' is 'long'; expected int or float"),
], ids=["weight-above-1", "no-outlets", "unknown-key", "not-a-number"])
def test_bad_positions_config_names_the_key_and_the_range(tmp_path, body, message):
    path = tmp_path / "feeds.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
