"""A real browser on the published Datasette: headless Chromium via selenium, at 1400x1000.

The database is filled by the seed replay (the demo's pipeline run); the
article-edit page, which the seeds cannot show, uses the publishing test
database. Each page is checked on the rendered DOM: its key data (the quote,
its link, the country's name) lies inside the first 1400x1000 screen, and no
page shows raw JSON or escaped HTML as text. A screenshot of each page is
written to tests/artifacts/ for review; with ``TRACKER_DOCS_SCREENSHOTS=1``
the README's screenshots in docs/ are refreshed from them. Without Chromium
the tests are skipped with the reason, except in CI where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import CONFIG_DIR, SEEDS
from tests.publish_data import build_publish_db
from tracker.publish import make_datasette

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS = ROOT / "docs"
WIDTH, HEIGHT = 1400, 1000
CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", f"--window-size={WIDTH},{HEIGHT}",
]
# Screenshots the README shows: artifact name -> docs file.
DOC_SCREENSHOTS = {"latest-shifts.png": "datasette-shifts.png", "shift-page.png": "datasette-shift-page.png",
                   "positions-overview.png": "datasette-positions.png"}
RAW = [re.compile(p) for p in (r'[\[{]"\w+":', r'\["', r"&lt;|&gt;|&amp;", r"</?(p|strong|blockquote|mark)>")]


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    reason = ("headless Chromium not found (need the Debian packages chromium and chromium-driver: "
              "apt-get install -y chromium chromium-driver)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason + "; CI must run the browser test")
    pytest.skip(reason)


def _replay(db_path: Path) -> None:
    from tracker.config import parse_config
    from tracker.demo import run_demo

    base = parse_config({"stance": {"actors": str(CONFIG_DIR / "actors.toml"),
                                    "topics": str(CONFIG_DIR / "topics.toml")}}, CONFIG_DIR / "feeds.toml")
    run_demo(base, db_path, seeds_dir=SEEDS, say=lambda *_: None)


def _serve(db_path: Path):
    import uvicorn

    ds = make_datasette(db_path, actors=CONFIG_DIR / "actors.toml")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(ds.app(), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread, sock


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """{'replay': (base URL, sqlite connection), 'edits': (base URL, ids)} under uvicorn."""
    import sqlite3

    folder = tmp_path_factory.mktemp("browser")
    _replay(folder / "replay.db")
    ids = build_publish_db(folder / "edits.db")
    running = [_serve(folder / "replay.db"), _serve(folder / "edits.db")]
    conn = sqlite3.connect(folder / "replay.db")
    conn.row_factory = sqlite3.Row
    try:
        yield {"replay": (running[0][0], conn), "edits": (running[1][0], ids)}
    finally:
        conn.close()
        for _, server, thread, sock in running:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROME_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, url: str, screenshot: str):
    driver.get(url)
    assert "Error" not in driver.title and "Not Found" not in driver.page_source[:2000], driver.title
    assert (driver.execute_script("return window.innerWidth"),
            driver.execute_script("return window.innerHeight")) == (WIDTH, HEIGHT)
    driver.save_screenshot(str(ARTIFACTS / screenshot))
    assert (ARTIFACTS / screenshot).stat().st_size > 10_000
    if os.environ.get("TRACKER_DOCS_SCREENSHOTS") and screenshot in DOC_SCREENSHOTS:
        shutil.copyfile(ARTIFACTS / screenshot, DOCS / DOC_SCREENSHOTS[screenshot])
    text = driver.find_element("tag name", "body").text
    for pattern in RAW:
        assert not pattern.search(text), f"{url} shows raw markup: {pattern.search(text).group(0)!r}"
    return text


def on_first_screen(element) -> bool:
    """Wholly inside the first 1400x1000 screen, and shown."""
    rect = element.rect
    return (element.is_displayed() and rect["x"] >= 0 and rect["y"] >= 0
            and rect["x"] + rect["width"] <= WIDTH and rect["y"] + rect["height"] <= HEIGHT)


def first(driver, css: str):
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, css)
    assert found, f"nothing matches {css!r} on {driver.current_url}"
    return found[0]


def test_latest_shifts_show_quote_links_and_country_on_the_first_screen(sites, browser):
    base, conn = sites["replay"]
    text = open_page(browser, f"{base}/tracker/latest_shifts", "latest-shifts.png")
    newest = conn.execute("SELECT * FROM shift_evidence ORDER BY detected_at DESC, shift_id DESC").fetchone()
    row = first(browser, "table.rows-and-columns tbody tr")
    for css in ("td.col-actor span.actor", "td.col-change span.change", "td.col-now blockquote.evidence mark",
                "td.col-now a.article-link", "td.col-now a.version-link", "td.col-before blockquote.evidence mark",
                "td.col-before a.article-link", "td.col-status span.shift-status", "td.col-shift_id a"):
        element = row.find_element("css selector", css)
        assert on_first_screen(element), f"{css} of the newest shift is off the first screen: {element.rect}"
    assert row.find_element("css selector", "td.col-actor").text.startswith("Germany")
    assert row.find_element("css selector", "td.col-now mark").text == newest["new_evidence"]
    assert row.find_element("css selector", "td.col-now a.article-link").get_attribute("href") == newest["new_url"]
    assert "retro" in text  # Italy's shift is told in the past tense
    mark = first(browser, "blockquote.evidence mark")
    assert mark.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"  # highlighted


def test_every_shift_page_shows_both_quotes_both_links_and_the_verdict(sites, browser):
    base, conn = sites["replay"]
    shifts = conn.execute("SELECT * FROM shift_evidence ORDER BY shift_id").fetchall()
    assert len(shifts) >= 4
    for shift in shifts:
        name = "shift-page.png" if shift["actor"] == "DE" and shift["to_stance"] == "support" else \
            f"shift-{shift['shift_id']}.png"
        text = open_page(browser, f"{base}/tracker/shifts/{shift['shift_id']}", name)
        title = first(browser, "h1.shift-title")
        assert on_first_screen(title)
        assert {"DE": "Germany", "IT": "Italy", "SE": "Sweden"}[shift["actor"]] in title.text
        assert f"{shift['from_stance']} → {shift['to_stance']}" in title.text
        for side, evidence, url in (("before", shift["old_evidence"], shift["old_url"]),
                                    ("now", shift["new_evidence"], shift["new_url"])):
            quote = first(browser, f"section.side-{side} blockquote.evidence mark")
            assert quote.text == evidence and on_first_screen(quote)
            link = first(browser, f"section.side-{side} a.article-link")
            assert link.get_attribute("href") == url and on_first_screen(link)
            stored = first(browser, f"section.side-{side} a.version-link")
            assert on_first_screen(stored) and "/tracker/versions/" in stored.get_attribute("href")
        if shift["retrospective"]:
            assert "retrospective" in text
        assert f"tracker review {shift['shift_id']} --confirm" in text
        assert f"tracker review {shift['shift_id']} --dismiss" in text
    # the test alert's link (shift 0) lands on a page too, not a 404
    text = open_page(browser, f"{base}/tracker/shifts/0", "shift-0-test-alert.png")
    assert "Test alert" in text and "TEST ALERT" in text


def test_positions_overview_puts_the_table_first_and_a_full_width_chart_after_it(sites, browser):
    base, _ = sites["replay"]
    open_page(browser, f"{base}/tracker/positions_overview", "positions-overview.png")
    row = first(browser, "table.rows-and-columns tbody tr")
    for css in ("td.col-actor span.actor", "td.col-stance span.stance", "td.col-evidence blockquote.evidence mark",
                "td.col-evidence a.article-link", "td.col-sources"):
        assert on_first_screen(row.find_element("css selector", css)), css
    assert re.match(r"^\w[\w ]+ [A-Z]{2}$", row.find_element("css selector", "td.col-actor").text)
    chart = first(browser, "svg.stance-chart")
    table = first(browser, "table.rows-and-columns")
    assert chart.rect["y"] > table.rect["y"] + table.rect["height"] - 1  # after the data
    assert chart.rect["width"] >= 0.95 * table.find_element("xpath", "..").rect["width"] or chart.rect["width"] > 1300
    _labels_do_not_collide(browser)
    axis = [t.text for t in browser.find_elements("css selector", "svg.stance-chart text.axis")]
    assert any(t.startswith("today ") for t in axis) and {"2024", "2025"} <= set(axis)


def test_actor_timeline_chart_is_full_width_readable_and_runs_to_today(sites, browser):
    base, _ = sites["replay"]
    open_page(browser, f"{base}/tracker/actor_timeline?actor=DE", "actor-timeline.png")
    chart = first(browser, "svg.stance-chart")
    assert on_first_screen(chart) and chart.rect["width"] > 0.9 * (WIDTH - 40)
    heading = first(browser, "svg.stance-chart text.actor")
    assert heading.text.startswith("Germany (DE)")
    _labels_do_not_collide(browser)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert first(browser, "svg.stance-chart text.today").text == f"today {today}"
    assert first(browser, "td.col-evidence blockquote.evidence mark").is_displayed()


def _labels_do_not_collide(driver) -> None:
    boxes = driver.execute_script(
        "return Array.from(document.querySelectorAll('svg.stance-chart text')).map(t => {"
        " const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })")
    assert boxes
    for i, (a, *ra) in enumerate(boxes):
        for b, *rb in boxes[i + 1:]:
            overlap = ra[0] < rb[2] - 0.5 and rb[0] < ra[2] - 0.5 and ra[1] < rb[3] - 0.5 and rb[1] < ra[3] - 0.5
            assert not overlap, f"chart labels {a!r} and {b!r} overlap"


def test_claims_to_review_and_a_claim_page_show_quote_link_and_country(sites, browser):
    base, conn = sites["replay"]
    open_page(browser, f"{base}/tracker/claims_to_review", "claims-to-review.png")
    row = first(browser, "table.rows-and-columns tbody tr")
    for css in ("td.col-claim_id a", "td.col-actor span.actor", "td.col-evidence blockquote.evidence mark",
                "td.col-evidence a.article-link", "td.col-review pre.command"):
        assert on_first_screen(row.find_element("css selector", css)), css
    claim_id = int(row.find_element("css selector", "td.col-claim_id").text.split()[-1])
    claim = conn.execute("SELECT * FROM claim_evidence WHERE claim_id = ?", (claim_id,)).fetchone()
    text = open_page(browser, f"{base}/tracker/claims/{claim_id}", "claim-page.png")
    quote = first(browser, "blockquote.evidence mark")
    assert quote.text == claim["evidence"] and on_first_screen(quote)
    link = first(browser, "a.article-link")
    assert link.get_attribute("href") == claim["url"] and on_first_screen(link)
    assert on_first_screen(first(browser, "h1.claim-title span.actor"))
    assert f"tracker review claim {claim_id} --reject" in text


def test_search_shows_snippets_with_the_words_marked(sites, browser):
    base, _ = sites["replay"]
    open_page(browser, f"{base}/tracker/search?q=Scholz+inappropriate", "search.png")
    marks = browser.find_elements("css selector", "td.col-snippet span.snippet mark")
    assert marks and all(on_first_screen(m) for m in marks[:2])
    assert {m.text.lower() for m in marks} <= {"scholz", "inappropriate"}
    kinds = {td.text for td in browser.find_elements("css selector", "td.col-kind")}
    assert kinds == {"article", "claim"}
    longest = max(len(td.text) for td in browser.find_elements("css selector", "td.col-snippet"))
    assert longest < 400  # a snippet, not the whole article


EVIDENCE_TABLES = {  # page: the cells of its first row that must be on the first screen
    "claim_evidence": ("td.col-actor span.actor", "td.col-evidence mark", "td.col-url a.article-link"),
    "shift_evidence": ("td.col-actor span.actor", "td.col-new_evidence mark", "td.col-new_url a.article-link"),
    "positions": ("td.col-actor span.actor", "td.col-stance span.stance", "td.col-sources"),
    "shifts": ("td.col-actor span.actor", "td.col-to_stance span.stance"),
    "shifts_atom": ("td.col-atom_title", "td.col-atom_content_html blockquote"),
}


@pytest.mark.parametrize("path", sorted(EVIDENCE_TABLES))
def test_tables_show_data_first_and_no_raw_json_or_html(sites, browser, path):
    base, _ = sites["replay"]
    open_page(browser, f"{base}/tracker/{path}", f"table-{path.replace('_', '-')}.png")
    first_row = first(browser, "table.rows-and-columns tbody tr")
    assert first_row.rect["y"] + first_row.rect["height"] <= HEIGHT, "the first row is not on the first screen"
    for css in EVIDENCE_TABLES[path]:
        assert on_first_screen(first_row.find_element("css selector", css)), css
    glossaries = browser.find_elements("css selector", "details.glossary")
    if glossaries:
        assert glossaries[0].get_attribute("open") is None  # folded
        table = first(browser, "table.rows-and-columns")
        assert glossaries[0].rect["y"] > table.rect["y"]  # after the data


def test_article_history_reads_the_changed_stances(sites, browser):
    base, ids = sites["edits"]
    article_id = ids["articles"][ids["edited_article"]]
    text = open_page(browser, f"{base}/tracker/article_history?article_id={article_id}", "article-history.png")
    edits = first(browser, "td.col-stance_edits ul.stance-edits li")
    assert edits.text == "Sweden SE: not there → conditional"
    assert "oppose/support" not in text
    assert first(browser, "pre.diff ins.diff-add").is_displayed()


def test_missing_chromium_skips_with_the_reason_outside_ci_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium chromium-driver"):
        _chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser test"):
        _chromium()
