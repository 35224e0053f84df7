"""A real browser on the published Datasette: headless Chromium via selenium.

Datasette runs under uvicorn on a free 127.0.0.1 port in a thread; Chromium
opens the shifts page and an actor's timeline, saves screenshots to
tests/artifacts/ and checks the evidence sentences are visible. Without
Chromium the test is skipped with the reason, except in CI where it fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.publish_data import build_publish_db
from tracker.publish import make_datasette

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--window-size=1400,1100",
]


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


@pytest.fixture
def site(tmp_path):
    """Datasette under uvicorn on 127.0.0.1; yields (base URL, ids)."""
    import uvicorn

    db_path = tmp_path / "tracker.db"
    ids = build_publish_db(db_path)
    ds = make_datasette(db_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(ds.app(), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", ids
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROME_FLAGS + [f"--user-data-dir={tmp_path / 'chrome-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _visible_evidence(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [el.text for el in driver.find_elements(By.CSS_SELECTOR, "blockquote.evidence mark")
            if el.is_displayed()]


def test_shifts_page_and_actor_timeline_show_the_evidence(site, browser):
    from selenium.webdriver.common.by import By

    base, ids = site
    ARTIFACTS.mkdir(exist_ok=True)

    browser.get(f"{base}/tracker/latest_shifts")
    assert browser.title == "tracker: Latest shifts"
    shown = _visible_evidence(browser)
    for shift in ids["shift_rows"].values():
        assert shift["new_evidence"] in shown
        assert shift["old_evidence"] in shown
    mark = browser.find_element(By.CSS_SELECTOR, "blockquote.evidence mark")
    assert mark.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"  # highlighted
    browser.save_screenshot(str(ARTIFACTS / "datasette-shifts.png"))

    shift = ids["shift_rows"][ids["shifts"][0]]
    browser.get(f"{base}/tracker/actor_timeline?actor={shift['actor']}")
    chart = browser.find_element(By.CSS_SELECTOR, "svg.stance-chart")
    assert chart.is_displayed() and chart.size["width"] > 300
    assert shift["new_evidence"] in _visible_evidence(browser)
    browser.save_screenshot(str(ARTIFACTS / "datasette-actor-timeline.png"))

    assert (ARTIFACTS / "datasette-shifts.png").stat().st_size > 10_000
    assert (ARTIFACTS / "datasette-actor-timeline.png").stat().st_size > 10_000


def test_missing_chromium_skips_with_the_reason_outside_ci_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium chromium-driver"):
        _chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser test"):
        _chromium()
