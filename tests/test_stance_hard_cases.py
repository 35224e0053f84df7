"""Hard cases as data: tests/data/hard_cases.toml and tests/data/topics/*.toml.

Each case's text must yield exactly the expected (actor, topic, stance)
claims; optional time_cue / said_at / speaker are checked when given ("" for none).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tracker.stance import find_claims, load_engine

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
DEFAULT_TOPIC = "troops-to-ukraine"


def _case_files() -> list[Path]:
    return [DATA / "hard_cases.toml", *sorted((DATA / "topics").glob("*.toml"))]


def _cases():
    for path in _case_files():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for case in data.get("case", []):
            yield pytest.param(case, id=f"{path.stem}:{case['id']}")


@pytest.fixture(scope="module")
def engine():
    return load_engine(ROOT / "config" / "actors.toml", ROOT / "config" / "topics.toml")


@pytest.mark.parametrize("case", list(_cases()))
def test_hard_case(case, engine):
    claims = find_claims(case["text"], case.get("published"), engine=engine)
    found = {(c.actor, c.topic, c.stance) for c in claims}
    expected = {(e["actor"], e.get("topic", DEFAULT_TOPIC), e["stance"]) for e in case.get("expect", [])}
    if case.get("expect_none"):
        assert not expected, f"case {case['id']} has both expect_none and expect"
    assert found == expected, "\n".join(f"{c.actor} {c.topic} {c.stance}: {c.evidence}" for c in claims)
    for e in case.get("expect", []):
        claim = next(c for c in claims if (c.actor, c.topic, c.stance) == (e["actor"], e.get("topic", DEFAULT_TOPIC), e["stance"]))
        for key in ("time_cue", "said_at", "speaker"):
            if key in e:
                assert getattr(claim, key) == (e[key] or None), f"{key} of {e['actor']}"  # "": none


def test_every_case_file_has_cases():
    for path in _case_files():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        ids = [case["id"] for case in data.get("case", [])]
        assert ids, f"{path} has no [[case]]"
        assert len(ids) == len(set(ids)), f"{path} repeats a case id"
