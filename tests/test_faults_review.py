"""The defects a hostile review found (issue 12), each reproduced against a real
local server, a real SQLite file or a real process, and fixed at its root."""

from __future__ import annotations

import dataclasses
import logging
import shutil

import pytest
from click.testing import CliRunner

from tests.conftest import CONFIG_DIR
from tests.localserver import Response
from tests.test_daemon import rss
from tests.test_poll import NHS_ARTICLE, START, make_config, serve_nhs
from tracker import store as store_module
from tracker.cli import main
from tracker.clock import FixedClock
from tracker.daemon import DaemonLock
from tracker.errors import StoreError
from tracker.pipeline import run_cycle
from tracker.store import rows

ARTICLE = b"<html><body><article><p>" + b"A long enough paragraph of article text for extraction. " * 12 + \
    b"</p></article></body></html>"


def serve_news(server, count: int = 3, path: str = "/news.xml") -> None:
    server.add(path, body=rss(server, "news", count), content_type="application/rss+xml")
    for n in range(1, count + 1):
        server.add(f"/news/{n}", body=ARTICLE)


def stance_copies(tmp_path, config):
    """The config with its [stance] files copied to tmp_path, so a test can break them."""
    actors, topics = tmp_path / "actors.toml", tmp_path / "topics.toml"
    shutil.copy(CONFIG_DIR / "actors.toml", actors)
    shutil.copy(CONFIG_DIR / "topics.toml", topics)
    return dataclasses.replace(config, stance=dataclasses.replace(config.stance, actors=actors, topics=topics))


def _init(config_path) -> None:
    """'tracker init': commands other than init and demo refuse a database that does not exist."""
    result = CliRunner().invoke(main, ["--config", str(config_path), "init"])
    assert result.exit_code == 0, result.output


# -- 1. an empty feed body -----------------------------------------------------------

def test_an_empty_feed_body_fails_that_feed_only(server, tmp_path):
    serve_nhs(server)
    server.add("/empty.xml", body=b"", content_type="application/rss+xml")
    server.add("/nocontent.xml", status=204, body=b"")
    make_config(tmp_path, server, {"nhs": "/feeds/nhs.xml", "empty": "/empty.xml", "nocontent": "/nocontent.xml"})
    config_path = tmp_path / "feeds.toml"
    _init(config_path)
    result = CliRunner().invoke(main, ["--config", str(config_path), "poll"])
    assert result.exit_code == 0, result.output
    assert "3 feeds polled (0 not modified, 2 failed), 2 new articles" in result.output
    from tracker.db import open_db

    db = open_db(tmp_path / "t.db")
    try:
        feeds = {r["name"]: r for r in rows(db, "SELECT * FROM feeds")}
        assert feeds["empty"]["last_error"] == (
            f"feed 'empty' ({server.url('/empty.xml')}) answered HTTP 200 with an empty body; "
            "check the feed URL in the config")
        assert (feeds["nocontent"]["last_error_reason"], feeds["nocontent"]["last_status"]) == ("empty-body", 204)
        assert feeds["nhs"]["last_error_reason"] is None
    finally:
        db.close()


# -- 3 and 12. analysis failures keep the article; a re-poll stays a 304 -------------------

def test_a_broken_topics_file_mid_run_keeps_every_article_and_is_logged_once(server, tmp_path, db, caplog):
    serve_news(server, 3)
    config = stance_copies(tmp_path, make_config(tmp_path, server, {"news": "/news.xml"}))
    topics = config.stance.topics
    good = topics.read_text(encoding="utf-8")
    topics.write_text(good + "\n[[topic]\n", encoding="utf-8")  # an edit with a syntax error
    clock = FixedClock(START)
    with caplog.at_level(logging.WARNING):
        stats = run_cycle(db, config, clock=clock)
    assert (stats.articles_new, stats.versions_new, stats.articles_failed) == (3, 3, 0)
    failed = rows(db, "SELECT analysis_status, analysis_error FROM versions")
    assert {r["analysis_status"] for r in failed} == {"failed"}
    assert all(str(topics) in r["analysis_error"] and "invalid TOML" in r["analysis_error"] for r in failed)
    assert len([r for r in caplog.records if "analysis of version" in r.getMessage()]) == 1
    assert len(stats.errors) == 1 and stats.errors[0].startswith("analysis failed for 3 version(s): ")
    assert not any(r.exc_info for r in caplog.records)  # no traceback per article

    # The feed kept its validators: the next cycle is a 304, fetches no page, and
    # once the file is fixed it analyses the three stored versions.
    topics.write_text(good, encoding="utf-8")
    pages = server.hits("/news/1")
    clock.advance(minutes=31)
    again = run_cycle(db, config, clock=clock, recheck_due=False)
    assert (again.feeds_not_modified, again.articles_new, again.errors) == (1, 0, [])
    assert server.hits("/news/1") == pages
    assert {r["analysis_status"] for r in rows(db, "SELECT analysis_status FROM versions")} == {"done"}


def test_an_entry_that_fails_to_store_keeps_the_feeds_validators_and_is_retried_with_back_off(
        server, tmp_path, db, monkeypatch, caplog):
    serve_news(server, 3)
    config = make_config(tmp_path, server, {"news": "/news.xml"})
    real_insert = store_module.insert_article

    def insert(db_, *, url, **kwargs):
        if url.endswith("/news/2"):
            raise OSError("disk full")
        return real_insert(db_, url=url, **kwargs)

    monkeypatch.setattr(store_module, "insert_article", insert)
    clock = FixedClock(START)
    with caplog.at_level(logging.WARNING):
        stats = run_cycle(db, config, clock=clock)
    assert (stats.articles_new, stats.articles_failed) == (2, 1)
    assert stats.errors == ["storing failed for 1 entry, kept queued: OSError: disk full"]
    [feed] = rows(db, "SELECT etag, last_modified FROM feeds")
    assert feed["etag"] and feed["last_modified"]  # not wiped: the next poll is a 304
    [pending] = rows(db, "SELECT url, attempts, next_attempt_at, last_error FROM pending_entries")
    assert (pending["url"], pending["attempts"], pending["last_error"]) == (
        server.url("/news/2"), 1, "OSError: disk full")
    assert pending["next_attempt_at"] == "2024-03-20T12:01:00+00:00"  # back-off: 1 min, then 2, 4...

    # Still failing: one more attempt when due, no new log line for the same cause.
    clock.advance(minutes=31)
    run_cycle(db, config, clock=clock)
    assert rows(db, "SELECT attempts FROM pending_entries") == [{"attempts": 2}]
    assert len([r for r in caplog.records if "disk full" in r.getMessage()]) == 2  # once per cycle (a poll each)

    monkeypatch.setattr(store_module, "insert_article", real_insert)
    clock.advance(minutes=31)
    healed = run_cycle(db, config, clock=clock)
    assert (healed.feeds_not_modified, healed.articles_new) == (1, 1)
    assert rows(db, "SELECT * FROM pending_entries") == []
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
    news_polls = [h for _, path, h, _ in server.requests if path == "/news.xml"]
    assert all("If-None-Match" in h for h in news_polls[1:])


# -- 4. stance files are checked at start -------------------------------------------

def test_a_missing_or_broken_stance_file_is_a_config_error_at_start(server, tmp_path):
    serve_news(server, 1)
    broken = tmp_path / "topics.toml"
    broken.write_text("[[topic]\nid = ", encoding="utf-8")
    cases = {
        "missing actors": (f'actors = "{tmp_path / "nowhere.toml"}"\ntopics = "{CONFIG_DIR / "topics.toml"}"',
                           f"{tmp_path / 'nowhere.toml'}: no such actors file; check [stance] in the config"),
        "broken topics": (f'actors = "{CONFIG_DIR / "actors.toml"}"\ntopics = "{broken}"',
                          f"{broken}: invalid TOML: "),
    }
    for name, (stance, message) in cases.items():
        config = tmp_path / f"{name.replace(' ', '-')}.toml"
        config.write_text(f'[storage]\ndb = "{tmp_path / "t.db"}"\n[stance]\n{stance}\n[fetch]\n'
                          f'allow_private_addresses = ["127.0.0.0/8"]\n[[feed]]\nname = "news"\n'
                          f'url = "{server.url("/news.xml")}"\n', encoding="utf-8")
        for command in (["poll"], ["run"], ["recheck"]):
            result = CliRunner().invoke(main, ["--config", str(config), *command])
            assert result.exit_code == 2, (name, command, result.output)
            assert f"Error: {message}" in result.output, (name, command, result.output)
    assert server.requests == []


# -- 9. poll takes the daemon's lock ------------------------------------------------

def test_poll_refuses_while_a_daemon_holds_the_database_and_waits_for_another_poll(server, tmp_path):
    serve_news(server, 1)
    make_config(tmp_path, server, {"news": "/news.xml"})
    config_path, db_path = tmp_path / "feeds.toml", tmp_path / "t.db"
    _init(config_path)
    daemon = DaemonLock(db_path)
    daemon.acquire(started_at="2024-03-20T11:00:00+00:00")
    try:
        result = CliRunner().invoke(main, ["--config", str(config_path), "poll"])
    finally:
        daemon.release()
    assert result.exit_code == 1
    assert "a tracker daemon runs on this database (pid " in result.output
    assert "'tracker poll' is refused so that no page is fetched twice; stop the daemon first" in result.output
    assert server.requests == []

    result = CliRunner().invoke(main, ["--config", str(config_path), "poll"])
    assert result.exit_code == 0, result.output


def test_two_polls_at_once_fetch_every_page_once(server, tmp_path):
    import subprocess
    import sys

    from tests.test_daemon import daemon_config

    server.add("/news.xml", body=rss(server, "news", 4), content_type="application/rss+xml")
    for n in range(1, 5):
        server.add(f"/news/{n}", Response(body=ARTICLE, delay=0.3))
    config_path = daemon_config(tmp_path, server, {"news": "/news.xml"}, workers=1)
    _init(config_path)
    poll = [sys.executable, "-m", "tracker", "--config", str(config_path), "poll"]
    both = [subprocess.Popen(poll, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
            for _ in range(2)]
    outputs = [process.communicate(timeout=60) for process in both]
    assert [process.returncode for process in both] == [0, 0], outputs
    assert all("UNIQUE" not in stderr and "Traceback" not in stderr for _, stderr in outputs)
    assert [server.hits(f"/news/{n}") for n in range(1, 5)] == [1, 1, 1, 1]
    assert sorted(stdout.split(",")[0] for stdout, _ in outputs) == ["poll: 1 feeds polled (0 not modified",
                                                                     "poll: 1 feeds polled (1 not modified"], outputs


def test_a_poll_waits_briefly_for_another_poll_then_says_who_holds_the_lock(tmp_path):
    db_path = tmp_path / "t.db"
    other = DaemonLock(db_path, command="poll")
    other.acquire(started_at="2024-03-20T11:00:00+00:00")
    try:
        with pytest.raises(StoreError) as refused:
            DaemonLock(db_path, command="poll").acquire(started_at="2024-03-20T11:00:01+00:00", wait_s=0.3)
    finally:
        other.release()
    assert "another tracker command is using this database ('tracker poll', pid " in refused.value.message
    assert "waited 0.3s; run 'tracker poll' again when it has finished" in refused.value.message


# -- 2. one deadline per response -------------------------------------------------

@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_dripping_server_is_cut_at_the_timeout(server, headers_too):
    import time

    from tracker.config import FetchConfig
    from tracker.errors import FetchError
    from tracker.http import guarded_get, make_client

    # One byte every 0.2 s would reset a 1 s read timeout for 4,000 s.
    server.add("/drip", Response(body=ARTICLE * 4, drip=0.2, drip_headers=headers_too))
    fetch = FetchConfig(timeout_s=1.0, connect_timeout_s=1.0, allow_private_addresses=True)
    with make_client(fetch) as client:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            guarded_get(client, server.url("/drip"), fetch)
        elapsed = time.monotonic() - started
    assert caught.value.reason == "timeout"
    assert f"GET {server.url('/drip')}: timed out after 1s" in caught.value.message
    assert elapsed < 1.5


# -- 8. every number in the config is range-checked ---------------------------------

@pytest.mark.parametrize("table, line, message", [
    ("fetch", "timeout = nan", "[fetch] key 'timeout' is nan; it must be a positive number, such as 1800 or \"30m\""),
    ("fetch", "timeout = inf", "[fetch] key 'timeout' is inf; it must be a positive number"),
    ("fetch", "timeout = \"2d\"", "[fetch] key 'timeout' is '2d'; it must be at most \"1h\""),
    ("polling", 'interval = "99999999999999999999d"',
     "[polling] key 'interval' is '99999999999999999999d'; it must be at most \"365d\""),
    ("polling", "interval = 9223372036854775807",
     "[polling] key 'interval' is 9223372036854775807; it must be at most \"365d\""),
    ("polling", "jitter = -10", "[polling] key 'jitter' is -10; it must be from 0 to 86400, such as jitter = 60"),
    ("polling", "workers = 100000", "[polling] key 'workers' is 100000; it must be from 1 to 64, such as workers = 4"),
    ("polling", "extract_workers = -1", "[polling] key 'extract_workers' is -1; it must be from 0 to 64"),
    ("polling", 'min_interval = "2d"\nmax_interval = "1d"',
     "[polling] key 'min_interval' (172800s) is longer than 'max_interval' (86400s); make min_interval the shorter"),
    ("publish", "port = 70000", "[publish] key 'port' is 70000; it must be from 1 to 65535, such as port = 8001"),
    ("stance", "min_confidence = nan", "[stance] key 'min_confidence' is nan; use a number from 0 to 1"),
], ids=["timeout-nan", "timeout-inf", "timeout-huge", "interval-huge-string", "interval-2^63", "jitter-negative",
        "workers-huge", "extract-workers-negative", "min-over-max", "port-out-of-range", "min-confidence-nan"])
def test_an_out_of_range_number_in_the_config_exits_2_with_the_fix(tmp_path, table, line, message):
    path = tmp_path / "feeds.toml"
    path.write_text(f"[{table}]\n{line}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "poll"])
    assert result.exit_code == 2, result.output
    assert f"Error: {path}: {message}" in result.output


# -- tracker reanalyse -------------------------------------------------------------

def _claims_and_positions(db_path):
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        claims = sorted(conn.execute("SELECT version_id, actor, topic, stance, confidence, evidence, said_at "
                                     "FROM claims").fetchall())
        positions = sorted(conn.execute("SELECT actor, topic, stance, since, claim_id FROM positions").fetchall())
        shifts = conn.execute("SELECT COUNT(*) FROM shifts").fetchone()[0]
    finally:
        conn.close()
    return claims, positions, shifts


def test_reanalyse_all_reproduces_the_seed_replay_and_records_claims_of_changed_rules(tmp_path, monkeypatch):
    from tests.conftest import ROOT, SEEDS

    db_path = tmp_path / "demo.db"
    monkeypatch.chdir(ROOT)  # the demo reads config/ and seeds/ like a user in the clone
    demo = CliRunner().invoke(main, ["--db", str(db_path), "demo", "--no-serve", "--seeds", str(SEEDS)])
    assert demo.exit_code == 0, demo.output
    before = _claims_and_positions(db_path)
    assert before[0] and before[1]

    same = CliRunner().invoke(main, ["--db", str(db_path), "reanalyse", "--all"])
    assert same.exit_code == 0, same.output
    versions = len({claim[0] for claim in before[0]})
    assert "0 new claims, 0 new shifts, 0 failed" in same.output
    assert _claims_and_positions(db_path) == before
    assert versions >= 1

    # Changed rules: a new topic whose anchors the seeds use records new claims and positions.
    text = (CONFIG_DIR / "topics.toml").read_text(encoding="utf-8")
    first = text.split("\n[[topic]]\n")[1]
    topics = tmp_path / "topics.toml"
    topics.write_text(text + "\n[[topic]]\n" + first.replace('id = "troops-to-ukraine"', 'id = "ground-forces"'),
                      encoding="utf-8")
    config = tmp_path / "feeds.toml"
    config.write_text(f'[storage]\ndb = "{db_path}"\n[stance]\nactors = "{CONFIG_DIR / "actors.toml"}"\n'
                      f'topics = "{topics}"\n', encoding="utf-8")
    changed = CliRunner().invoke(main, ["--config", str(config), "reanalyse", "--all"])
    assert changed.exit_code == 0, changed.output
    claims, positions, _ = _claims_and_positions(db_path)
    new = [c for c in claims if c[2] == "ground-forces"]
    assert len(new) == len([c for c in before[0] if c[2] == "troops-to-ukraine"]) > 0
    assert f"{len(new)} new claims" in changed.output
    assert {p[0] for p in positions if p[1] == "ground-forces"} == {p[0] for p in before[1]
                                                                     if p[1] == "troops-to-ukraine"}


def test_reanalyse_failed_analyses_the_versions_a_broken_engine_left(server, tmp_path):
    from tracker.db import open_db

    serve_news(server, 2)
    config = stance_copies(tmp_path, make_config(tmp_path, server, {"news": "/news.xml"}))
    db = open_db(config.db)
    config.stance.actors.write_text("[[actor]\n", encoding="utf-8")
    run_cycle(db, config, clock=FixedClock(START))
    assert [r["analysis_status"] for r in rows(db, "SELECT analysis_status FROM versions")] == ["failed", "failed"]
    shutil.copy(CONFIG_DIR / "actors.toml", config.stance.actors)
    body = (tmp_path / "feeds.toml").read_text(encoding="utf-8").replace(
        str(CONFIG_DIR / "actors.toml"), str(config.stance.actors))
    (tmp_path / "feeds.toml").write_text(body, encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "feeds.toml"), "reanalyse", "--failed"])
    assert result.exit_code == 0, result.output
    assert "reanalyse: 2 versions analysed, 0 new claims, 0 new shifts, 0 failed" in result.output
    assert [r["analysis_status"] for r in rows(db, "SELECT analysis_status FROM versions")] == ["done", "done"]
    db.close()


# -- 7. a backward clock jump --------------------------------------------------------

def test_a_next_poll_days_ahead_after_a_backward_clock_jump_is_clamped_to_max_interval(server, tmp_path, db):
    serve_news(server, 1)
    config = make_config(tmp_path, server, {"news": "/news.xml"})
    clock = FixedClock(START)
    run_cycle(db, config, clock=clock)
    # The clock jumps back 10 days: the stored next poll now lies 10 days ahead.
    clock.advance(days=-10)
    run_cycle(db, config, clock=clock)
    [row] = rows(db, "SELECT next_poll_at FROM feeds")
    assert row["next_poll_at"] == "2024-03-11T12:00:00+00:00"  # now + max_interval (1 day)
    clock.advance(days=1, seconds=1)
    polls = server.hits("/news.xml")
    assert run_cycle(db, config, clock=clock).feeds_polled == 1
    assert server.hits("/news.xml") == polls + 1


def test_the_daemon_schedules_a_feed_planned_days_ahead_within_max_interval(server, tmp_path):
    from datetime import timedelta

    from tests.test_daemon import QUICK, daemon_config
    from tracker.clock import SYSTEM_CLOCK, iso
    from tracker.config import load_config
    from tracker.daemon import Daemon
    from tracker.db import open_db
    from tracker.scheduler import feed_job_id

    serve_news(server, 1)
    config = load_config(daemon_config(tmp_path, server, {"news": "/news.xml"}, extra='max_interval = "1h"\n'
                                                                                        'max_backoff = "1h"\n'))
    db = open_db(config.db)
    store_module.sync_feeds(db, config, SYSTEM_CLOCK.now())
    db.execute("UPDATE feeds SET next_poll_at = ?", [iso(SYSTEM_CLOCK.now() + timedelta(days=30))])
    db.close()
    daemon = Daemon(config, intervals=QUICK)
    daemon.start()
    try:
        job = daemon.scheduler.get_job(feed_job_id("news"))
        assert job.next_run_time <= SYSTEM_CLOCK.now() + timedelta(hours=1, seconds=5)
    finally:
        daemon.stop()
        assert daemon.wait(timeout=10)


# -- 10. IPv6 literal URLs ---------------------------------------------------------

def test_ipv6_literal_urls_keep_their_brackets():
    from tracker.feeds import canonical_url

    assert canonical_url("http://[::1]:8/a?utm_source=x") == "http://[::1]:8/a"
    assert canonical_url("https://[2001:DB8::1]/feed.xml") == "https://[2001:db8::1]/feed.xml"
    assert canonical_url("http://[::1]:80/") == "http://[::1]/"


def test_a_feed_and_its_article_on_an_ipv6_literal_address_are_fetched(tmp_path, db):
    import socket
    import threading

    from tests.localserver import LocalServer, _Handler, _Server
    from tracker.config import load_config
    from tests.conftest import write_config

    class _Server6(_Server):
        address_family = socket.AF_INET6

    try:
        httpd = _Server6(("::1", 0), _Handler)
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    server = LocalServer()
    server._server, httpd.owner = httpd, server
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        base = f"http://[::1]:{httpd.server_address[1]}"
        server.add("/feed.xml", body=f'<rss version="2.0"><channel><title>v6</title><item><title>a</title>'
                                     f'<link>{base}/a</link></item></channel></rss>'.encode(),
                   content_type="application/rss+xml")
        server.add("/a", body=ARTICLE)
        config = load_config(write_config(tmp_path, f'[fetch]\nallow_private_addresses = ["::1/128"]\n'
                                                    f'[[feed]]\nname = "v6"\nurl = "{base}/feed.xml"\n'))
        stats = run_cycle(db, config, clock=FixedClock(START))
    finally:
        server.stop()
    assert (stats.feeds_failed, stats.articles_new, stats.errors) == (0, 1, [])
    [article] = rows(db, "SELECT url, fetch_status, fetch_error FROM articles")
    assert article == {"url": f"{base}/a", "fetch_status": "ok", "fetch_error": None}


# -- 5 and 6. extraction workers: a time limit, and they die with their parent ----------

HUGE_FLAT_PAGE = b"<html><body>" + b"<p>x</p>" * 500_000 + b"</body></html>"  # 4 MB: ~45 s in trafilatura


def serve_huge_and_ok(server) -> None:
    items = "".join(f"<item><title>{name}</title><link>{server.url('/' + name)}</link>"
                     f"<description>Summary of the {name} page.</description></item>" for name in ("huge", "ok"))
    server.add("/mixed.xml", body=f'<rss version="2.0"><channel><title>m</title>{items}</channel></rss>'.encode(),
               content_type="application/rss+xml")
    server.add("/huge", body=HUGE_FLAT_PAGE)
    server.add("/ok", body=ARTICLE)


def test_an_extraction_that_overruns_is_cut_its_worker_replaced_and_the_article_recorded(server, tmp_path, db):
    import time

    from tracker.extract import make_extractor

    serve_huge_and_ok(server)
    config = make_config(tmp_path, server, {"mixed": "/mixed.xml"})
    with make_extractor(2, time_limit_s=2) as extractor:
        started = time.monotonic()
        stats = run_cycle(db, config, clock=FixedClock(START), extractor=extractor)
        elapsed = time.monotonic() - started
        assert extractor.replaced == 1 and extractor.broken is None
        # The replacement pool extracts the next page.
        from tests.test_extract_pool import page
        from tests.conftest import FIXTURES

        assert extractor(page(FIXTURES / "html" / "tf_wdr_correctiv_russia_de.html")).text
    assert elapsed < 15, f"{elapsed:.1f}s"
    assert (stats.articles_new, stats.articles_failed) == (2, 0)
    found = {r["url"].rsplit("/", 1)[1]: r for r in rows(db, "SELECT url, fetch_status, fetch_error FROM articles")}
    assert found["ok"]["fetch_status"] == "ok"
    assert found["huge"]["fetch_status"] == "fallback"
    assert found["huge"]["fetch_error"] == (
        f"extract-timeout: {server.url('/huge')}: extraction took longer than 2s ([polling] extract_timeout); "
        "its worker process was replaced")


def test_an_analysis_that_overruns_is_cut_and_the_version_recorded_with_the_reason(server, tmp_path, db):
    import time

    from tracker.extract import make_extractor

    long_text = "Germany said it was ready to send troops to Ukraine. " * 20_000  # ~8 s in the stance engine
    server.add("/long.xml", body=(f'<rss version="2.0"><channel><title>l</title><item><title>long</title>'
                                  f'<link>{server.url("/long")}</link><description>{long_text}</description>'
                                  f'</item></channel></rss>').encode(), content_type="application/rss+xml")
    config = make_config(tmp_path, server, {"long": "/long.xml"})
    config = dataclasses.replace(config, polling=dataclasses.replace(config.polling, fetch_articles=False))
    with make_extractor(2, time_limit_s=2) as extractor:
        started = time.monotonic()
        stats = run_cycle(db, config, clock=FixedClock(START), extractor=extractor)
        elapsed = time.monotonic() - started
    assert elapsed < 12, f"{elapsed:.1f}s"
    assert (stats.articles_new, stats.versions_new, stats.claims_new) == (1, 1, 0)
    [version] = rows(db, "SELECT analysis_status, analysis_error, analysis_attempts FROM versions")
    assert version == {"analysis_status": "failed", "analysis_attempts": 5, "analysis_error":
                       "analysis took longer than 2s ([polling] extract_timeout); its worker process was replaced"}


def _descendants(pid: int) -> set[int]:
    import os

    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("command", ["poll", "run"])
def test_kill_9_of_tracker_leaves_no_extraction_process_behind(server, tmp_path, command):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.test_daemon import daemon_config, wait_for

    serve_huge_and_ok(server)
    config_path = daemon_config(tmp_path, server, {"mixed": "/mixed.xml"},
                                extra="extract_workers = 2\nextract_timeout = 120\n")
    _init(config_path)
    process = subprocess.Popen([sys.executable, "-m", "tracker", "--config", str(config_path), command],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        wait_for(lambda: server.hits("/huge") == 1 and len(_descendants(process.pid)) >= 3,
                 what="extraction processes at work")
        time.sleep(0.5)  # the huge page reaches its worker
        family = _descendants(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        wait_for(lambda: not any(_running(pid) for pid in family), timeout=15,
                 what=f"the {len(family)} extraction processes to exit")
    finally:
        for pid in _descendants(process.pid) | locals().get("family", set()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# -- 11. smaller ones ------------------------------------------------------------------

def test_skipped_entries_are_recorded_on_their_feed(server, tmp_path, db):
    items = (f"<item><title>no link</title></item>"
             f"<item><title>ftp</title><link>ftp://files.example/a</link></item>"
             f"<item><title>first</title><guid>urn:uuid:1</guid><link>{server.url('/news/1')}</link></item>"
             f"<item><title>same guid</title><guid>urn:uuid:1</guid><link>{server.url('/news/2')}</link></item>")
    server.add("/skips.xml", body=f'<rss version="2.0"><channel><title>s</title>{items}</channel></rss>'.encode(),
               content_type="application/rss+xml")
    server.add("/news/1", body=ARTICLE)
    config = make_config(tmp_path, server, {"skips": "/skips.xml"})
    stats = run_cycle(db, config, clock=FixedClock(START))
    assert stats.articles_new == 1
    [feed] = rows(db, "SELECT entries_skipped, skipped_reasons FROM feeds")
    assert feed["entries_skipped"] == 3
    assert feed["skipped_reasons"].splitlines() == [
        "no link: no link", "ftp: no link", "same guid: same guid as an earlier entry (urn:uuid:1)"]


def test_an_smtp_login_without_tls_to_a_remote_relay_is_refused(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text('[[alerts.channel]]\nname = "desk"\nkind = "email"\nhost = "smtp.example.org"\n'
                    'security = "none"\nuser = "tracker"\npassword_env = "TRACKER_SMTP_PASSWORD"\n'
                    'from = "t@example.org"\nto = ["d@example.org"]\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "status"])
    assert result.exit_code == 2
    assert ("has 'user' with security = \"none\", which would send the password in clear to smtp.example.org; "
            "use security = \"starttls\" or \"ssl\"") in result.output


def test_status_shows_failed_analyses_and_queued_entries(server, tmp_path):
    from tracker.db import open_db

    serve_news(server, 2)
    config = stance_copies(tmp_path, make_config(tmp_path, server, {"news": "/news.xml"}))
    config.stance.topics.write_text("[[topic]\n", encoding="utf-8")
    db = open_db(config.db)
    try:
        run_cycle(db, config, clock=FixedClock(START))
    finally:
        db.close()
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "feeds.toml"), "status"])
    assert result.exit_code == 0, result.output
    assert ("entries queued 0; versions whose analysis failed 2 ('tracker reanalyse --failed'), not yet analysed 0"
            in result.output)


def test_the_stance_engine_is_loaded_once_per_cycle_not_per_article(server, tmp_path, db, monkeypatch):
    import tracker.stance as stance

    serve_news(server, 3)
    config = make_config(tmp_path, server, {"news": "/news.xml"})
    loads = []
    real = stance.load_engine
    monkeypatch.setattr(stance, "load_engine", lambda *a, **k: loads.append(a) or real(*a, **k))
    stats = run_cycle(db, config, clock=FixedClock(START), extract_workers=0)
    assert (stats.versions_new, stats.errors) == (3, [])
    assert len(loads) == 1


def test_sigterm_while_a_page_drips_stops_the_daemon_within_the_timeout(server, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from tests.test_daemon import daemon_config, wait_for

    server.add("/news.xml", body=rss(server, "news", 2), content_type="application/rss+xml")
    for n in (1, 2):
        server.add(f"/news/{n}", Response(body=ARTICLE * 20, drip=0.2))  # ~2,000 s at one byte per 0.2 s
    config_path = daemon_config(tmp_path, server, {"news": "/news.xml"}, workers=2)  # [fetch] timeout = 2
    process = subprocess.Popen([sys.executable, "-m", "tracker", "--config", str(config_path), "run"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        wait_for(lambda: server.hits("/news/1") and server.hits("/news/2"), what="both pages dripping")
        stopped = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        elapsed = time.monotonic() - stopped
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert elapsed < 6, f"{elapsed:.1f}s"
