"""The review loop in a real browser: Playwright drives Debian's Chromium against
``smartloop app`` serving a copy of the demo build.

A reviewer opens the dashboard, drills into a failing slice, relabels the top item of the
review queue, rebuilds from the Rebuild page and finds the relabel in the marts. On the way
every page is screenshotted into ``docs/screenshots/`` (the README shows them), so a run of
the suite refreshes them with real demo data.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` installs it). Without
it the module is skipped, except when ``CI`` is set: then it fails, so CI cannot skip it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from smartloop import paths
from tests.conftest import query

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = paths.PROJECT_DIR / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
MAX_SCREENSHOT_HEIGHT = 4000
SERVER_START_SECONDS = 60
PAGE_SECONDS = 60
REBUILD_SECONDS = 180
MISSING_CHROMIUM = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
# Streamlit shows these while a script (or a fragment) runs or an element waits for data.
BUSY = (
    ", ".join(
        f'[data-testid="{test_id}"]'
        for test_id in ("stStatusWidgetRunningIcon", "stSpinner", "stSkeleton")
    )
    + ', [data-testid="stElementContainer"][data-stale="true"]'
)

pytestmark = [
    pytest.mark.dbt,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.is_file() and not os.environ.get("CI"),
        reason=f"{MISSING_CHROMIUM} (or run .ci/run); with CI set this test fails instead",
    ),
]


@dataclass(frozen=True)
class Dashboard:
    url: str
    home: Path
    landing: Path


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; requested before the demo build so a missing one fails fast."""
    if not CHROMIUM.is_file():
        pytest.fail(f"CI is set and {MISSING_CHROMIUM}; .ci/run installs it.")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"smartloop app exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(
        f"smartloop app did not answer on {url} in {SERVER_START_SECONDS} s:\n{log.read_text()}"
    )


def stop(server: subprocess.Popen[str]) -> None:
    """Stop the server's process group (the CLI and the Streamlit child it started)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def stop_app_build(home: Path) -> None:
    """Stop a build the app started that is still running (a test failed mid-rebuild).

    The app starts it in its own session, so its process group is its pid; the pid comes
    from ``last_build.json`` and is only used while that process is this home's build.
    """
    try:
        status = json.loads(paths.status_path(home).read_text())
        cmdline = Path(f"/proc/{status['pid']}/cmdline").read_bytes().decode()
    except (OSError, KeyError, ValueError):
        return
    if status.get("status") == "running" and "smartloop.cli" in cmdline and str(home) in cmdline:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(status["pid"], signal.SIGTERM)


LATE_BATCH = (
    "item_id,text,video,author,published_at\n"
    ",check out my channel,psy,late one,2015-06-01T10:00:00\n"
    "late-2,   ,psy,late two,2015-06-01T10:05:00\n"
    "late-3,nice song,psy,late three,the first of june\n"
)
LATE_BATCH_REASONS = {"missing_item_id", "empty_text", "unparseable_timestamp"}


@pytest.fixture(scope="module")
def dashboard(
    chromium: Path, demo_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    """``smartloop app`` on a copy of the demo build, writing reviews into a landing copy."""
    root = tmp_path_factory.mktemp("browser")
    landing, home = root / "landing", root / "home"
    shutil.copytree(paths.DEMO_LANDING_DIR, landing)
    # a late batch with rows every landing check rejects: the rebuild quarantines them
    (landing / "items" / "youtube06_late_batch.csv").write_text(LATE_BATCH, encoding="utf-8")
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("logs", "build.lock"))
    port = free_port()
    url = f"http://localhost:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SMARTLOOP_LANDING_DIR": str(landing)}
    env.pop("SMARTLOOP_HOME", None)
    log = root / "app.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smartloop.cli",
                "app",
                "--home",
                str(home),
                "--port",
                str(port),
            ],
            cwd=paths.PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        wait_until_healthy(url, server, log)
        yield Dashboard(url, home, landing)
    finally:
        stop(server)
        stop_app_build(home)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, dashboard: Dashboard) -> Iterator[Page]:
    """A fresh browser session (so a fresh Streamlit session) on the Overview."""
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
    page = context.new_page()
    page.set_default_timeout(PAGE_SECONDS * 1000)
    try:
        page.goto(dashboard.url)
        settle(page)
        yield page
    finally:
        context.close()


def main(page: Page) -> Locator:
    return page.locator('[data-testid="stMain"]')


def settle(page: Page) -> None:
    """Wait until the app stops running and nothing is stale, skeletal or spinning."""
    page.locator('[data-testid="stAppViewContainer"]').wait_for()
    deadline = time.monotonic() + PAGE_SECONDS
    quiet = 0
    while quiet < 4:  # idle for four checks in a row: a rerun starting late is caught
        if time.monotonic() > deadline:
            pytest.fail(f"{page.url} was still running after {PAGE_SECONDS} s")
        quiet = quiet + 1 if page.locator(BUSY).count() == 0 else 0
        page.wait_for_timeout(250)


def wait_for_page(page: Page, title: str) -> None:
    """Wait for the page with this title (its st.title) to be shown and settled."""
    main(page).locator('[data-testid="stHeading"]', has_text=title).first.wait_for()
    settle(page)


def open_page(page: Page, url_path: str, title: str) -> None:
    """Follow the sidebar link to a page, as a user does (the Streamlit session is kept)."""
    page.locator(f'[data-testid="stSidebarNavLink"][href$="/{url_path}"]').click()
    wait_for_page(page, title)


def screenshot(page: Page, name: str) -> None:
    """A full-page PNG of the app in ``docs/screenshots/<name>.png``.

    Streamlit scrolls inside its own container, not the document, so the viewport is
    stretched to the content's height (capped) for the shot, then restored.
    """
    height = page.evaluate(
        """() => Math.max(...[
            '[data-testid="stMain"]', '[data-testid="stMainBlockContainer"]'
        ].map((s) => document.querySelector(s)?.scrollHeight ?? 0))"""
    )
    page.set_viewport_size(
        {
            "width": VIEWPORT["width"],
            "height": min(max(height, VIEWPORT["height"]), MAX_SCREENSHOT_HEIGHT),
        }
    )
    # no focus ring and no hover effect in the picture
    page.evaluate("() => document.activeElement?.blur()")
    page.mouse.move(VIEWPORT["width"] - 10, VIEWPORT["height"] - 10)
    settle(page)
    page.wait_for_timeout(500)  # charts and data grids draw into canvases after the rerun
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")
    page.set_viewport_size(VIEWPORT)


def test_relabel_in_the_browser_reaches_the_marts_after_a_rebuild(
    page: Page, dashboard: Dashboard
) -> None:
    # Overview: the demo's build and its funnel
    wait_for_page(page, "Overview")
    (first_build,) = query(dashboard.home, "select build_id from serving_info")[0]
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(first_build)
    expect(main(page).locator('[data-testid="stMetric"]').first).to_be_visible()
    screenshot(page, "overview")

    # Failing slices: drill into the first failing slice and see its examples
    open_page(page, "failing_slices", "Failing slices")
    main(page).locator('[data-testid="stSelectbox"]', has_text="Drill down into").click()
    page.get_by_role("option").first.click()
    settle(page)
    failing = {
        name for (name,) in query(dashboard.home, "select slice_name from rpt_failing_slices")
    }
    slice_heading = main(page).locator('[data-testid="stHeading"]', has_text="Slice ")
    assert slice_heading.locator("code").inner_text() in failing
    expect(main(page).get_by_text("Examples", exact=True)).to_be_visible()
    expect(main(page).get_by_text(re.compile(r"^\d+ items; the label is"))).to_be_visible()
    assert main(page).locator('[data-testid="stDataFrame"]').count() >= 3  # slices, examples...
    screenshot(page, "failing_slices")

    # Review queue: relabel the top item to the other label
    open_page(page, "review_queue", "Review queue")
    reviewer = main(page).locator('[data-testid="stTextInput"]', has_text="Reviewer")
    reviewer.locator("input").fill("browser-test")
    reviewer.locator("input").press("Enter")
    settle(page)
    # by key (its name shows a shortcut); enabled once the reviewer name counts. While the
    # page reruns, the previous render's disabled button can linger beside the new one.
    relabel = main(page).locator(".st-key-review_relabel button:not([disabled])")
    expect(relabel).to_have_count(1)
    item_id = (
        main(page).locator('[data-testid="stHeading"]', has_text="Item ").locator("code")
    ).inner_text()
    ((old_label, old_method),) = query(
        dashboard.home,
        "select label, label_method from fct_item_labels where item_id = ?",
        [item_id],
    )
    new_label = {"spam": "ham", "ham": "spam"}[old_label]
    new_label_box = main(page).get_by_role("combobox", name="New label (for relabel)")
    expect(new_label_box).to_have_value(new_label)
    relabel.click()
    saved = main(page).locator('[data-testid="stAlert"]', has_text="Saved")
    expect(saved).to_contain_text(f"relabel of item {item_id}")
    settle(page)
    assert len(list((dashboard.landing / "reviews").glob("app-review-*.jsonl"))) == 1
    screenshot(page, "review_queue")

    # Rebuild: run the build from the page and follow it until the new build is published
    open_page(page, "rebuild", "Rebuild")
    main(page).get_by_role("button", name="Rebuild now").click()
    published = main(page).locator('[data-testid="stAlert"]', has_text="New build")
    expect(published).to_contain_text(
        re.compile(rf"New build \S+ published \(before: {re.escape(first_build)}\)"),
        timeout=REBUILD_SECONDS * 1000,
    )
    settle(page)
    (new_build,) = query(dashboard.home, "select build_id from serving_info")[0]
    assert new_build != first_build
    expect(main(page).get_by_text("Labels changed by this build")).to_be_visible()
    screenshot(page, "rebuild")

    # the marts: the item has the reviewer's label, and its history says why
    assert query(
        dashboard.home,
        "select label, label_method, reviewed_by from fct_item_labels where item_id = ?",
        [item_id],
    ) == [(new_label, "review", "browser-test")]
    assert query(
        dashboard.home,
        "select from_label, to_label, changed_by from fct_label_changes "
        "where item_id = ? and cause = 'review' and build_id = ?",
        [item_id, new_build],
    ) == [(old_label, new_label, "browser-test")]
    assert old_method != "review"


def test_custom_slice_annotators_and_quarantine_in_the_browser(
    page: Page, dashboard: Dashboard
) -> None:
    # Custom slice: measure a condition like the slices the build finds
    open_page(page, "custom_slice", "Custom slice")
    main(page).locator('[data-testid="stTextArea"] textarea').fill(
        "label = 'spam' and text like '%http%'"
    )
    main(page).get_by_role("button", name="Measure").click()
    expect(main(page).get_by_text("Slice:")).to_be_visible()
    expect(
        main(page).get_by_text(re.compile(r"^The first \d+ items the condition"))
    ).to_be_visible()
    settle(page)
    assert main(page).locator('[data-testid="stDataFrame"]').count() >= 2
    screenshot(page, "custom_slice")

    # Annotators: the demo has one annotator, so agreement is not applicable, with the reason
    open_page(page, "annotators", "Annotators")
    expect(main(page).get_by_text("Not applicable:").first).to_be_visible()
    screenshot(page, "annotators")

    # Quarantine: every row of the demo parses; the late batch's three rows do not, and the
    # rebuild of the first test quarantined them (on the original build the page says none)
    open_page(page, "quarantine", "Quarantine")
    reasons = {row[0] for row in query(dashboard.home, "select reason_code from rpt_quarantine")}
    if reasons:
        assert reasons == LATE_BATCH_REASONS
        expect(main(page).get_by_text("3 quarantined rows")).to_be_visible()
    else:
        expect(main(page).get_by_text("No row was quarantined")).to_be_visible()
    screenshot(page, "quarantine")
