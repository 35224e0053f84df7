"""tracker serve: the command line around the published Datasette."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from tests.publish_data import build_publish_db
from tracker.cli import main

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_refuses_a_missing_database_with_the_fix(tmp_path):
    missing = tmp_path / "none.db"
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "no.toml"), "--db", str(missing), "serve"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {missing}: no database here; run 'tracker init' (then 'tracker poll' or "
        "'tracker demo') first, or pass the right file with --db"
    )
    assert not missing.exists()


def test_serve_help_names_port_and_host():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--host" in result.output


def test_serve_migrates_then_serves_the_canned_queries(tmp_path):
    db_path = tmp_path / "served.db"
    ids = build_publish_db(db_path)
    # A database made before the publishing views existed: serve must add them.
    conn = sqlite3.connect(db_path)
    conn.executescript("DROP VIEW shift_evidence; DROP VIEW claim_evidence;"
                       "DELETE FROM migrations WHERE name = '002_publish_views';")
    conn.close()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "--config", str(tmp_path / "no.toml"), "--db", str(db_path),
         "serve", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/tracker/latest_shifts.json?_shape=array"
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"tracker serve did not start:\n{proc.stdout.read()}")
                time.sleep(0.1)
        assert response.status_code == 200, response.text
        assert [row["shift_id"] for row in response.json()] == list(reversed(ids["shifts"]))
    finally:
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert f"serving {db_path} at http://127.0.0.1:{port}/tracker" in output
