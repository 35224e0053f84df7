"""Shared fixtures: real local servers, real SQLite files, the repo's config."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.localserver import LocalServer
from tracker.db import open_db

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT / "seeds"
CONFIG_DIR = ROOT / "config"


@pytest.fixture
def server():
    srv = LocalServer().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def db(db_path):
    database = open_db(db_path)
    try:
        yield database
    finally:
        database.close()


def write_config(tmp_path: Path, body: str, name: str = "feeds.toml") -> Path:
    """Write a config file whose [stance] files point at the repo's config/."""
    path = tmp_path / name
    header = (
        f'[stance]\nactors = "{CONFIG_DIR / "actors.toml"}"\ntopics = "{CONFIG_DIR / "topics.toml"}"\n\n'
    )
    path.write_text(header + body, encoding="utf-8")
    return path
