"""The command line where a new analyst trips: each friction point and the message that helps."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import tomllib

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, write_config
from tests.publish_data import build_publish_db
from tests.test_poll import make_config, serve_nhs
from tracker.cli import main
from tracker.publish import make_datasette


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "filled.db"
    return path, build_publish_db(path)


@pytest.mark.parametrize("command", [["status"], ["shifts"], ["poll"], ["review", "1", "--confirm"],
                                     ["alerts", "retry"], ["recheck"]])
def test_a_database_that_does_not_exist_is_refused_not_created(tmp_path, command):
    config = write_config(tmp_path, "")
    missing = tmp_path / "typo.db"
    result = run("--config", str(config), "--db", str(missing), *command)
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1] == (
        f"Error: {missing}: no such database; check the path (--db, or [storage] db in {config}), "
        f"or create it with 'tracker --db {missing} init'")
    assert not missing.exists()


def test_init_still_creates_the_database(tmp_path):
    config = write_config(tmp_path, "")
    path = tmp_path / "new.db"
    assert run("--config", str(config), "--db", str(path), "init").exit_code == 0
    assert path.exists()
    assert run("--config", str(config), "--db", str(path), "shifts").output == "no shifts\n"


def test_review_refuses_exclusive_or_misplaced_verdicts(filled):
    path, ids = filled
    both = run("--db", str(path), "review", str(ids["shifts"][0]), "--confirm", "--dismiss")
    assert both.exit_code == 2
    assert both.output.splitlines()[-1] == "Error: --confirm and --dismiss exclude each other; say --confirm or --dismiss"
    none = run("--db", str(path), "review", str(ids["shifts"][0]))
    assert none.output.splitlines()[-1] == "Error: no verdict given; say --confirm or --dismiss"
    wrong = run("--db", str(path), "review", "claim", "3", "--dismiss")
    assert wrong.output.splitlines()[-1] == (
        "Error: --dismiss is for a shift, not a claim; a claim takes --confirm or --reject")
    status = sqlite3.connect(path).execute("SELECT status FROM shifts WHERE id = ?", (ids["shifts"][0],)).fetchone()
    assert status == (ids["shift_rows"][ids["shifts"][0]]["status"],)  # nothing changed


def test_rejecting_a_claim_dismisses_its_shift_restores_the_position_and_leaves_review(filled):
    path, ids = filled
    shift_id = ids["shifts"][2]  # SE oppose (baseline) -> conditional
    conn = sqlite3.connect(path)
    claim_id = conn.execute("SELECT claim_id FROM shifts WHERE id = ?", (shift_id,)).fetchone()[0]
    conn.close()
    ds = make_datasette(path)

    def to_review() -> set[int]:
        response = asyncio.run(ds.client.get("/tracker/claims_to_review.json?_shape=array"))
        return {r["claim_id"] for r in response.json()}

    assert claim_id in to_review()
    result = run("--db", str(path), "review", "claim", str(claim_id), "--reject")
    assert result.exit_code == 0, result.output
    assert result.output == (f"claim {claim_id} (Sweden (SE) on troops-to-ukraine: conditional) is now rejected; "
                             f"dismissed shift {shift_id}\n")
    assert claim_id not in to_review()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT status FROM shifts WHERE id = ?", (shift_id,)).fetchone() == ("dismissed",)
    assert conn.execute("SELECT stance, claim_id FROM positions WHERE actor = 'SE'").fetchone() == ("oppose", None)
    assert conn.execute("SELECT review_status FROM claims WHERE id = ?", (claim_id,)).fetchone() == ("rejected",)
    conn.close()
    page = asyncio.run(ds.client.get(f"/tracker/claims/{claim_id}")).text
    assert "no longer counts as evidence" in page


def test_a_rejected_first_report_no_longer_holds_the_position(filled):
    path, ids = filled
    conn = sqlite3.connect(path)
    claim_id = conn.execute("SELECT claim_id FROM positions WHERE actor = 'RU'").fetchone()[0]
    conn.close()
    confirmed = run("--db", str(path), "review", "claim", str(claim_id), "--confirm")
    assert confirmed.output == f"claim {claim_id} (Russia (RU) on troops-to-ukraine: oppose) is now confirmed\n"
    rejected = run("--db", str(path), "review", "claim", str(claim_id), "--reject")
    assert rejected.output.endswith("; position removed (no other evidence)\n")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM positions WHERE actor = 'RU'").fetchone() == (0,)
    conn.close()
    missing = run("--db", str(path), "review", "claim", "999", "--confirm")
    assert missing.output.splitlines()[-1].startswith("Error: no claim with id 999; claim ids run from 1 to ")


def test_serve_on_a_busy_port_says_so_before_serving(filled):
    path, _ = filled
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("--db", str(path), "serve", "--port", str(port))
    assert result.exit_code == 1
    assert "serving" not in result.output
    assert result.output.startswith(f"Error: 127.0.0.1:{port} is not free (")
    assert result.output.rstrip().endswith(f"pick another port with --port {port + 1}")


@pytest.mark.parametrize("option, value", [("--db", "x.db"), ("--config", "c.toml"), ("-v", None)])
def test_a_global_option_after_the_command_gets_a_hint(option, value):
    result = run("status", option, *([value] if value else []))
    assert result.exit_code == 2
    path = " PATH" if value else ""
    assert result.output.splitlines()[-1] == (
        f"Error: {option} is a global option: give it before the command, as in 'tracker {option}{path} status ...'")


def test_poll_says_no_feed_was_due_and_how_to_poll_anyway(server, tmp_path):
    serve_nhs(server)
    config = make_config(tmp_path, server, {"nhs": "/feeds/nhs.xml"})
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(config.path), "init"]).exit_code == 0
    first = runner.invoke(main, ["--config", str(config.path), "poll", "--all"])
    assert first.exit_code == 0 and "no feed was due" not in first.output
    second = runner.invoke(main, ["--config", str(config.path), "poll"])
    assert second.exit_code == 0
    assert second.stdout.startswith("poll: 0 feeds polled")
    assert second.stderr.startswith("no feed was due: each waits for its interval (the next is 'nhs' at ")
    assert second.stderr.rstrip().endswith("'tracker poll --all' polls every feed now")


def test_poll_where_no_feed_host_resolves_asks_about_the_network(tmp_path):
    feeds = "".join(f'[[feed]]\nname = "f{n}"\nurl = "http://feed{n}.invalid/rss"\n\n' for n in range(2))
    config = write_config(tmp_path, f'[storage]\ndb = "{tmp_path / "t.db"}"\n\n' + feeds)
    assert run("--config", str(config), "init").exit_code == 0
    result = run("--config", str(config), "poll", "--all")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("poll: 2 feeds polled (0 not modified, 2 failed)")
    assert ("every feed (2) failed to resolve its host name: no network? Check the connection and DNS, "
            "then run 'tracker poll --all'") in result.stderr


def test_shifts_show_both_sentences_whole_with_outlet_and_link(filled):
    path, ids = filled
    result = run("--db", str(path), "shifts")
    assert result.exit_code == 0
    text = " ".join(result.output.split())  # wrapped lines joined
    for shift_id, shift in ids["shift_rows"].items():
        assert f"{shift_id} {'Germany (DE)' if shift['actor'] == 'DE' else 'Sweden (SE)'} on troops-to-ukraine" in text
        assert " ".join(shift["new_evidence"].split()) in text  # never cut
        assert " ".join(shift["old_evidence"].split()) in text
        assert shift["new_url"] in result.output
    assert "Euro Desk" in text and "Kyiv Wire" in text
    wide = run("--db", str(path), "shifts", "--wide")
    lines = wide.output.splitlines()
    assert lines[0].startswith("id\tactor\ttopic\tshift") and len(lines) == 1 + len(ids["shifts"])
    assert all(row["new_evidence"] in wide.output for row in ids["shift_rows"].values())


def test_the_build_declares_its_license_the_spdx_way():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"  # a table is deprecated by setuptools and warns at build
    assert "setuptools>=77" in project["build-system"]["requires"]
