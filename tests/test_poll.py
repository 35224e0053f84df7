"""Whole poll cycles against a real server on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import dataclasses
import re

import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURES, write_config
from tests.localserver import Response
from tracker import analysis
from tracker.cli import main
from tracker.clock import FixedClock
from tracker.config import load_config
from tracker.pipeline import ingest_text, run_cycle, run_recheck
from tracker.store import rows

START = "2024-03-20T12:00:00+00:00"
WDR = (FIXTURES / "html" / "tf_wdr_correctiv_russia_de.html").read_bytes()
WDR_SENTENCE = "Die Hersteller dürfen sie demnach ins Ausland verkaufen"
NHS_ARTICLE = "/north-west/?p=6133"


def local_feed(server, fixture: str, public_base: str) -> bytes:
    """A real feed file whose article links point at the local server instead of the internet."""
    return (FIXTURES / "feeds" / fixture).read_bytes().replace(public_base.encode(), server.url("").encode())


def make_config(tmp_path, server, feeds: dict[str, str], *, allow_loopback: bool = True, timeout_s: float = 5.0):
    allow = 'allow_private_addresses = ["127.0.0.0/8"]\n' if allow_loopback else ""
    body = f'[storage]\ndb = "{tmp_path / "t.db"}"\n\n[fetch]\n{allow}\n[polling]\njitter = 0\n\n'
    for name, path in feeds.items():
        body += f'[[feed]]\nname = "{name}"\nurl = "{server.url(path)}"\ninterval = "30m"\n\n'
    config = load_config(write_config(tmp_path, body))
    return dataclasses.replace(config, fetch=dataclasses.replace(config.fetch, timeout_s=timeout_s))


def serve_nhs(server, path: str = "/feeds/nhs.xml") -> None:
    server.add(path, body=local_feed(server, "nhs_north_west_minimal_rss20.xml", "https://www.england.nhs.uk"),
               content_type="application/rss+xml")
    server.add(NHS_ARTICLE, body=WDR)  # the second item's page is missing: 404


def by_name(db) -> dict[str, dict]:
    return {row["name"]: row for row in rows(db, "SELECT * FROM feeds")}


def article(db, url: str) -> dict:
    return rows(db, "SELECT * FROM articles WHERE url = ?", [url])[0]


def versions_of(db, article_id: int) -> list[dict]:
    return rows(db, "SELECT * FROM versions WHERE article_id = ? ORDER BY number", [article_id])


@pytest.fixture
def mixed(server, tmp_path, db):
    """Two good feeds (one malformed but usable) and four that fail in different ways."""
    serve_nhs(server)
    server.add("/feeds/nairaland.atom", body=local_feed(
        server, "nairaland_ng_atom10_raw_html_bozo.atom", "http://www.nairaland.com"),
        content_type="application/atom+xml")
    server.add("/feeds/moved.rss", body=(FIXTURES / "feeds" / "not_a_feed_marketwatch_document_moved.rss").read_bytes(),
               content_type="text/html")
    server.add("/feeds/broken.xml", status=500, body=b"oops")
    server.add("/feeds/slow.xml", Response(body=b"<rss/>", delay=1.0))
    server.add("/feeds/gone.xml", status=410, body=b"gone")
    config = make_config(tmp_path, server, {
        "nhs": "/feeds/nhs.xml", "nairaland": "/feeds/nairaland.atom", "moved-page": "/feeds/moved.rss",
        "broken": "/feeds/broken.xml", "slow": "/feeds/slow.xml", "gone": "/feeds/gone.xml"}, timeout_s=0.3)
    return config, FixedClock(START)


def test_first_poll_records_every_feed_article_and_version(server, db, mixed):
    config, clock = mixed
    stats = run_cycle(db, config, clock=clock)
    assert (stats.feeds_polled, stats.feeds_failed, stats.feeds_not_modified) == (6, 4, 0)
    assert (stats.articles_new, stats.versions_new, stats.articles_failed) == (14, 14, 0)

    feeds = by_name(db)
    nhs = feeds["nhs"]
    assert (nhs["last_status"], nhs["error_count"], nhs["last_error"], nhs["entries_seen"]) == (200, 0, None, 2)
    assert (nhs["last_success_at"], nhs["next_poll_at"]) == (START, "2024-03-20T12:30:00+00:00")
    assert nhs["title"] == "NHS North West News Feed" and nhs["etag"]
    assert "mismatched tag" in feeds["nairaland"]["bozo_warning"]
    assert feeds["nairaland"]["last_error_reason"] is None
    reasons = {name: (row["last_error_reason"], row["last_status"], row["error_count"], row["muted"])
               for name, row in feeds.items()}
    assert reasons["moved-page"] == ("not-a-feed", 200, 1, 0)
    assert reasons["broken"] == ("http-500", 500, 1, 0)
    assert reasons["slow"] == ("timeout", None, 1, 0)
    assert reasons["gone"] == ("gone", 410, 1, 1)
    assert feeds["broken"]["next_poll_at"] == "2024-03-20T13:00:00+00:00"  # back-off: twice the interval
    assert feeds["gone"]["next_poll_at"] is None
    assert feeds["broken"]["last_error"] == f"feed 'broken' ({server.url('/feeds/broken.xml')}) answered HTTP 500"
    assert feeds["slow"]["last_error"].startswith(f"feed 'slow': GET {server.url('/feeds/slow.xml')}: timed out")

    extracted = article(db, server.url(NHS_ARTICLE))
    assert (extracted["fetch_status"], extracted["fetch_error"], extracted["published_at"]) == (
        "ok", None, "2024-03-18T10:00:00+00:00")
    assert extracted["next_check_at"] == "2024-03-20T12:15:00+00:00"
    [version] = versions_of(db, extracted["id"])
    assert (version["number"], version["source"], version["diff"]) == (1, "extracted", None)
    assert WDR_SENTENCE in version["text"]

    fallback = article(db, server.url("/north-west/?p=6134"))
    assert fallback["fetch_status"] == "fallback"
    assert fallback["fetch_error"].startswith("http-404: GET ")
    [version] = versions_of(db, fallback["id"])
    assert (version["text"], version["source"]) == ("Second item description", "feed-summary")
    assert version["extraction_note"].startswith("http-404")

    nairaland = rows(db, "SELECT a.fetch_status FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE f.name = ?",
                     ["nairaland"])
    assert [r["fetch_status"] for r in nairaland] == ["fallback"] * 12

    [run] = rows(db, "SELECT * FROM runs")
    assert (run["trigger"], run["started_at"], run["finished_at"]) == ("poll", START, START)
    assert (run["feeds_polled"], run["feeds_failed"], run["articles_new"], run["versions_new"], run["errors"]) == (
        6, 4, 14, 14, 4)
    assert "feed 'broken'" in run["error_summary"] and "not a feed" in run["error_summary"]


def test_second_poll_gets_304s_and_writes_no_duplicates(server, db, mixed):
    config, clock = mixed
    run_cycle(db, config, clock=clock)
    clock.advance(minutes=31)
    stats = run_cycle(db, config, clock=clock)
    # Only the two healthy feeds are due; the failing ones back off, the 410 is muted.
    assert (stats.feeds_polled, stats.feeds_not_modified, stats.feeds_failed) == (2, 2, 0)
    assert (stats.articles_new, stats.versions_new) == (0, 0)
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 14
    assert db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 14
    conditional = [headers for method, path, headers, _ in server.requests if path == "/feeds/nhs.xml"]
    assert "If-None-Match" not in conditional[0] and conditional[1]["If-None-Match"] == by_name(db)["nhs"]["etag"]
    assert by_name(db)["nhs"]["last_status"] == 304
    # Re-checks ran (all articles were due after 15 minutes) and found the same text.
    assert server.hits(NHS_ARTICLE) == 2
    assert article(db, server.url(NHS_ARTICLE))["check_count"] == 2


def test_a_changed_article_page_yields_version_two_with_a_diff(server, db, tmp_path):
    serve_nhs(server)
    config = make_config(tmp_path, server, {"nhs": "/feeds/nhs.xml"})
    clock = FixedClock(START)
    run_cycle(db, config, clock=clock)
    edited = WDR.replace(WDR_SENTENCE.encode(), "Die Hersteller durften sie demnach nie ins Ausland verkaufen".encode())
    assert edited != WDR
    server.add(NHS_ARTICLE, body=edited)
    clock.advance(minutes=16)
    stats = run_recheck(db, config, clock=clock)
    assert (stats.feeds_polled, stats.versions_new) == (0, 1)
    row = article(db, server.url(NHS_ARTICLE))
    first, second = versions_of(db, row["id"])
    assert second["number"] == 2 and second["fetched_at"] == "2024-03-20T12:16:00+00:00"
    assert f"\n-{WDR_SENTENCE}" in second["diff"]
    assert "+Die Hersteller durften sie demnach nie ins Ausland verkaufen" in second["diff"]
    assert second["chars_added"] > 0 and second["chars_removed"] > 0
    assert second["fingerprint"] != first["fingerprint"]
    assert (row["last_changed_at"], row["next_check_at"]) == ("2024-03-20T12:16:00+00:00", "2024-03-20T12:31:00+00:00")
    assert rows(db, "SELECT trigger, versions_new FROM runs ORDER BY id")[-1] == {"trigger": "recheck", "versions_new": 1}


def test_permanent_redirect_updates_the_feed_url(server, db, tmp_path):
    serve_nhs(server, "/feeds/new.xml")
    server.add("/feeds/old.xml", status=301, headers={"Location": "/feeds/new.xml"})
    config = make_config(tmp_path, server, {"nhs": "/feeds/old.xml"})
    clock = FixedClock(START)
    run_cycle(db, config, clock=clock)
    feed = by_name(db)["nhs"]
    assert (feed["url"], feed["configured_url"]) == (server.url("/feeds/new.xml"), server.url("/feeds/old.xml"))
    clock.advance(minutes=31)
    stats = run_cycle(db, config, clock=clock, all_feeds=True)
    assert stats.feeds_not_modified == 1
    assert (server.hits("/feeds/old.xml"), server.hits("/feeds/new.xml")) == (1, 2)


def test_loopback_feed_is_refused_without_the_allow_key(server, db, tmp_path):
    serve_nhs(server)
    config = make_config(tmp_path, server, {"nhs": "/feeds/nhs.xml"}, allow_loopback=False)
    stats = run_cycle(db, config, clock=FixedClock(START))
    assert (stats.feeds_failed, stats.articles_new) == (1, 0)
    feed = by_name(db)["nhs"]
    assert feed["last_error_reason"] == "blocked-address"
    assert feed["last_error"] == (
        f"feed 'nhs': refused to fetch {server.url('/feeds/nhs.xml')}: host 127.0.0.1 resolves to 127.0.0.1, "
        'a loopback address; to allow it set allow_private_addresses = ["127.0.0.1/32"] (or true) '
        "in the [fetch] table of the config")
    assert server.requests == []


def test_an_analysis_failure_keeps_the_article_and_is_retried_by_the_next_cycle(server, db, tmp_path, monkeypatch):
    serve_nhs(server)
    config = make_config(tmp_path, server, {"nhs": "/feeds/nhs.xml"})
    seen = []

    def analyse(db_, config_, version_id, *, clock, **_):
        text = db_.execute("SELECT text FROM versions WHERE id = ?", [version_id]).fetchone()[0]
        if WDR_SENTENCE in text:
            raise RuntimeError("stance engine crashed")
        seen.append(version_id)
        return (2, 1)

    monkeypatch.setattr(analysis, "analyse_version", analyse)
    stats = run_cycle(db, config, clock=FixedClock(START))
    assert (stats.articles_new, stats.articles_failed, stats.claims_new, stats.shifts_new) == (2, 0, 2, 1)
    assert stats.errors == ["analysis failed for 1 version(s): RuntimeError: stance engine crashed"]
    # The article and its version are kept; the version says why it has no claims.
    found = rows(db, "SELECT a.url, v.id, v.analysis_status, v.analysis_error FROM versions v "
                     "JOIN articles a ON a.id = v.article_id ORDER BY v.id")
    failed = next(r for r in found if r["url"] == server.url(NHS_ARTICLE))
    assert (failed["analysis_status"], failed["analysis_error"]) == ("failed", "RuntimeError: stance engine crashed")
    assert [r["id"] for r in found if r["analysis_status"] == "done"] == seen
    assert rows(db, "SELECT * FROM pending_entries") == []
    # The next cycle gets a 304 and analyses the failed version again, without fetching it.
    monkeypatch.setattr(analysis, "analyse_version", lambda *a, **k: (3, 0))
    hits = server.hits(NHS_ARTICLE)
    again = run_cycle(db, config, clock=FixedClock("2024-03-20T12:05:00+00:00"), all_feeds=True)
    assert (again.feeds_not_modified, again.articles_new, again.claims_new, again.errors) == (1, 0, 3, [])
    assert server.hits(NHS_ARTICLE) == hits
    assert rows(db, "SELECT analysis_status FROM versions WHERE id = ?", [failed["id"]]) == [
        {"analysis_status": "done"}]


def test_ingest_text_stores_versions_only_on_change(db, tmp_path):
    config = load_config(write_config(tmp_path, f'[storage]\ndb = "{tmp_path / "t.db"}"\n'))
    clock = FixedClock(START)
    kwargs = dict(url="https://n.example/a?utm_source=x", title="T", published_at="2024-03-19", outlet="N",
                  clock=clock, source="seed")
    article_id, first = ingest_text(db, config, text="Paris backs the mission.", **kwargs)
    assert ingest_text(db, config, text="Paris  backs the mission. ", **kwargs) == (article_id, None)
    clock.advance(hours=1)
    _, second = ingest_text(db, config, text="Paris opposes the mission.", **kwargs)
    stored = rows(db, "SELECT number, source, text FROM versions WHERE article_id = ? ORDER BY number", [article_id])
    assert stored == [{"number": 1, "source": "seed", "text": "Paris backs the mission."},
                      {"number": 2, "source": "seed", "text": "Paris opposes the mission."}]
    row = article(db, "https://n.example/a")
    assert (row["title"], row["outlet"], row["published_at"], row["last_changed_at"], row["next_check_at"]) == (
        "T", "N", "2024-03-19", "2024-03-20T13:00:00+00:00", None)


SUMMARY = re.compile(r"^poll: (\d+) feeds polled \((\d+) not modified, (\d+) failed\), (\d+) new articles "
                     r"\((\d+) failed\), (\d+) new versions, \d+ new claims, \d+ new shifts, \d+ alerts sent$")


def test_cli_poll_prints_a_summary_and_status_shows_health(server, tmp_path):
    serve_nhs(server)
    server.add("/feeds/broken.xml", status=500)
    server.add("/feeds/gone.xml", status=410)
    config = make_config(tmp_path, server, {"nhs": "/feeds/nhs.xml", "broken": "/feeds/broken.xml",
                                            "gone": "/feeds/gone.xml"})
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(config.path), "init"]).exit_code == 0
    result = runner.invoke(main, ["--config", str(config.path), "poll", "--all"])
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last == ("poll: 3 feeds polled (0 not modified, 2 failed), 2 new articles (0 failed), 2 new versions, "
                    "0 new claims, 0 new shifts, 0 alerts sent")
    assert SUMMARY.match(last)

    quiet = runner.invoke(main, ["--config", str(config.path), "-q", "poll", "--feed", "nhs"])
    assert (quiet.exit_code, quiet.stdout) == (0, "")

    status = runner.invoke(main, ["--config", str(config.path), "status"])
    assert status.exit_code == 0, status.output
    out = status.stdout
    assert "== Feeds ==" in out and "== Last runs ==" in out and "== Counts ==" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()[:1] in (["nhs"], ["broken"], ["gone"])}
    assert re.match(r"nhs\s+ok\s+304\s", lines["nhs"])
    assert re.match(r"broken\s+FAILING x1\s+500\s+-\s+\S+ \S+\s+0\s+http-500$", lines["broken"])
    assert re.match(r"gone\s+MUTED \(410 Gone\)\s+410\s+-\s+-\s+0\s+gone$", lines["gone"])
    assert "articles 2 (feed-summary fallback 1, no text 0)" in out


def test_cli_unknown_feed_names_the_known_ones(server, tmp_path):
    config = make_config(tmp_path, server, {"nhs": "/feeds/nhs.xml"})
    result = CliRunner().invoke(main, ["--config", str(config.path), "poll", "--feed", "nope"])
    assert result.exit_code == 2
    assert f"{config.path}: no feed named 'nope'; known feeds: nhs" in result.output


def test_progress_on_a_terminal_is_one_updating_line(server, db, tmp_path, capsys):
    from tracker.commands.poll import Reporter

    serve_nhs(server)
    server.add("/feeds/broken.xml", status=500)
    config = make_config(tmp_path, server, {"nhs": "/feeds/nhs.xml", "broken": "/feeds/broken.xml"})
    reporter = Reporter(0, tty=True)
    run_cycle(db, config, clock=FixedClock(START), progress=reporter)
    reporter.close()
    err = capsys.readouterr().err
    assert f"feed-failed broken: [http-500] feed 'broken' ({server.url('/feeds/broken.xml')}) answered HTTP 500" in err
    assert err.rstrip("\n").split("\r")[-1] == "feeds 2/2 · articles 2 · versions 2 · errors 1"
