"""Browser tests: Debian's Chromium driven through Playwright's sync API against live_server.

Never a downloaded browser: Chromium comes from the system (`apt-get install chromium`). A test
marked `browser` fails, never skips, when it is missing. On failure the page is saved as
tests/e2e/screenshots/<test name>.png.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parent.parent / "e2e" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


def pytest_configure(config):
    # Also registered in pyproject.toml; here too, so that --strict-markers accepts the marker
    # wherever these tests are collected.
    config.addinivalue_line("markers", "browser: real browser tests (Chromium, Playwright)")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"browser tests need Chromium at {CHROMIUM}: apt-get install -y chromium "
            "(never `playwright install`)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread: Django would refuse ORM calls
    # from the test body ("You cannot call this from an async context") without this. Set
    # here, not at import, so that a run without browser tests is not affected.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


class Watched:
    """The problems seen while a page was open: console errors, uncaught exceptions and
    responses with status 500 or more."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.server_errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        text, url = message.text, message.location.get("url", "")
        # The portal has no favicon (yet): Chromium's own request for it is not the page's.
        if url.endswith("/favicon.ico"):
            return
        # live_server speaks WSGI only: the notification socket (/ws/...) cannot open here;
        # notifications.js retries with back-off. The real ASGI server is tested in
        # tests/notifications/test_real_servers.py.
        if "WebSocket connection to" in text and "/ws/" in text:
            return
        self.console_errors.append(f"{text} ({url})")

    def _response(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def assert_clean(self) -> None:
        assert not self.server_errors, f"server errors: {self.server_errors}"
        assert not self.console_errors, f"console errors: {self.console_errors}"


@pytest.fixture
def django_db_serialized_rollback():
    """The live server needs committed rows, so the database is flushed after each test; the
    rows the migrations seed (holiday calendar, groups) are put back for the next one."""
    return True


@pytest.fixture
def _erase_audit_after(transactional_db):
    """After the test, before the flush: SQLite deletes row by row, which the audit trail's
    append-only trigger refuses (PostgreSQL truncates, which it does not see). The guard is
    lifted for this cleanup only and put back at once (as in tests/notifications/conftest.py)."""
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    guards = importlib.import_module("workflow.migrations.0002_seed_and_guards")
    (no_delete,) = [s for s in guards.SQLITE_TRIGGERS if "BEFORE DELETE" in s]
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS workflow_auditevent_no_delete")
        cursor.execute("DELETE FROM workflow_auditevent")
        cursor.execute(no_delete)


@pytest.fixture
def page(
    browser,
    live_server,
    transactional_db,
    _erase_audit_after,
    request,
    # Requested here, or pytest-django neither serializes the database at set-up nor puts the
    # seeded rows back: after the first browser test's flush, the plaque schemes, holiday
    # calendar and groups would be gone for the rest of the run.
    django_db_serialized_rollback,
):
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.watched = Watched(page)
    request.node.browser_page = page
    yield page
    # Before the flush: stop the page's scripts (notifications.js keeps retrying its socket)
    # and give the live server a moment to finish a request it may still be serving. SQLite's
    # shared in-memory cache refuses the flush ("table is locked") while another thread reads.
    with contextlib.suppress(Exception):
        page.goto("about:blank")
        page.wait_for_timeout(200)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    page = getattr(item, "browser_page", None)
    if report.failed and page is not None and report.when in ("setup", "call"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", item.name)
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # the page may be gone; the failure itself matters more
            report.sections.append(("screenshot", f"no screenshot: {exc}"))
        else:
            report.sections.append(("screenshot", str(SCREENSHOTS / f"{name}.png")))
    return report


@pytest.fixture
def login(page):
    """Log in through the login form as `user` (made by tests.factories.member, whose
    password is tests.factories.PASSWORD)."""
    from tests.factories import PASSWORD

    def log_in(user, password: str = PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        page.locator("main form.stacked button[type=submit]").click()
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, f"login failed for {user.get_username()}"
        return page

    return log_in
