"""The README cannot drift from the code: commands, config keys, quickstart."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from tracker.cli import main
from tracker.config import parse_config
from tracker.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def all_commands(group: click.Group, prefix: str = "tracker") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        names.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            names.extend(all_commands(command, f"{prefix} {name}"))
    return names


@pytest.mark.parametrize("command", all_commands(main))
def test_every_command_is_documented(command):
    assert f"`{command}" in README, f"{command} is missing from the README's command table"


def _documented_keys():
    for section, keys in re.findall(r"^\| `\[(\w+)\] ([\w /,]+?)`", README, re.M):
        for key in re.split(r"\s*[/,]\s*", keys):
            yield section, key.strip()


@pytest.mark.parametrize("section, key", sorted(set(_documented_keys())))
def test_every_documented_config_key_is_accepted(section, key):
    samples = {"allow_private_addresses": False, "user_agent": "x", "db": "x.db", "actors": "a.toml",
               "topics": "t.toml", "base_url": "https://x.example", "fetch_articles": True, "adapt": True,
               "min_confidence": 0.5}
    value = samples.get(key, 60)
    try:
        parse_config({section: {key: value}}, Path("feeds.toml"))
    except ConfigError as exc:
        assert "unknown key" not in str(exc), f"README documents [{section}] {key}, which the parser refuses"


def test_quickstart_is_the_two_make_commands_and_ci_runs_the_same_tests():
    quickstart = README[README.index("## Quickstart"):README.index("## Using it")]
    assert "make demo" in quickstart and "make test" in quickstart
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test: .*\n\t.*pytest", makefile, re.M)
    assert re.search(r"^demo: .*\n\t.*tracker demo", makefile, re.M)


def test_the_readme_stands_alone_in_a_clone():
    outside = "/".join(("..", "shared"))  # the folder beside the project, which a clone does not have
    assert outside not in README
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (ROOT / image).is_file(), f"README shows {image}, which is not in the repository"
