"""tracker claims: files, JSON lines, output formats and error paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import write_config
from tracker.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config(tmp_path):
    return write_config(tmp_path, f'[storage]\ndb = "{tmp_path / "t.db"}"\n')


def _run(config, *args):
    return CliRunner().invoke(main, ["--config", str(config), "claims", *args])


def test_claims_json_from_text_and_html_files(config, tmp_path):
    text = tmp_path / "a.txt"
    text.write_text("Previously, Italy and Germany expressed readiness to send peacekeepers to Ukraine, "
                    "while Poland stated that they do not plan to send their troops.", encoding="utf-8")
    html = tmp_path / "b.html"
    html.write_text("<html><body><article><p>U.S. Defense Secretary Pete Hegseth confirmed that Washington "
                    "would not deploy troops to Ukraine.</p><p>More text follows in this paragraph.</p>"
                    "</article></body></html>", encoding="utf-8")
    result = _run(config, str(text), str(html), "--published", "2025-02-18", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["source"], r["actor"], r["stance"]) for r in rows] == [
        (str(text), "IT", "support"), (str(text), "DE", "support"), (str(text), "PL", "oppose"),
        (str(html), "US", "oppose")]
    assert set(rows[0]) == {"source", "actor", "topic", "stance", "confidence", "evidence", "speaker", "time_cue"}
    assert rows[0]["time_cue"] == "Previously" and rows[3]["speaker"] == "Pete Hegseth"


def test_claims_from_jsonl_input_as_table(config, tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"id": "x1", "text": "Denmark is ready to send troops to Ukraine.",
                                 "published": "2025-03-10"}) + "\n", encoding="utf-8")
    result = _run(config, "--input", str(jsonl))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == ["x1", "DK", "support", "0.80", "troops-to-ukraine"]
    assert "1 claim(s) in 1 document(s)" in result.stderr


def test_claims_of_empty_and_binary_files_are_empty(config, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 50)
    result = _run(config, str(empty), str(junk), "--json")
    assert result.exit_code == 0
    assert result.output == ""


@pytest.mark.parametrize("args, code, message", [
    ((), 1, "Error: no input: give text or HTML files, or --input FILE.jsonl"),
    (("missing.txt",), 1, "Error: missing.txt: cannot read (No such file or directory); give a text or HTML file"),
    (("--published", "18/02/2025", "x.txt"), 1, "Error: published date '18/02/2025' is not a date; use YYYY-MM-DD"),
    (("--topic", "nope", "{text}"), 1, "Error: unknown topic 'nope'; known topics: troops-to-ukraine, ukraine-nato-membership"),
])
def test_claims_errors_are_clear(config, tmp_path, args, code, message):
    text = tmp_path / "t.txt"
    text.write_text("Denmark is ready to send troops to Ukraine.", encoding="utf-8")
    result = _run(config, *[a.format(text=text) for a in args])
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_claims_bad_jsonl_line(config, tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"id": "x1", "text": "ok"}\n{"id": 2}\n', encoding="utf-8")
    result = _run(config, "--input", str(jsonl))
    assert result.exit_code == 1
    assert f'Error: {jsonl}:2: expected an object with a "text" string' in result.output


def test_claims_with_malformed_actors_file_exits_2(tmp_path):
    actors = tmp_path / "actors.toml"
    actors.write_text("[[actor]]\ncode = 'XX'\n", encoding="utf-8")
    config = tmp_path / "feeds.toml"
    config.write_text(f'[storage]\ndb = "{tmp_path / "t.db"}"\n\n[stance]\nactors = "{actors}"\n'
                      f'topics = "{ROOT / "config" / "topics.toml"}"\n', encoding="utf-8")
    text = tmp_path / "t.txt"
    text.write_text("Denmark is ready to send troops to Ukraine.", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "claims", str(text)])
    assert result.exit_code == 2
    assert f"Error: {actors}: [[actor]] #1 (XX)" in result.output
    assert "Traceback" not in result.output
