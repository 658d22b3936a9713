"""Browser journeys in Debian's headless Chromium, driven by Playwright.

Never a downloaded browser: CHROMIUM_PATH or /usr/bin/chromium. A failing
journey leaves a full-page screenshot in tests/e2e/artifacts/."""

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page")
        if page is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            try:
                page.screenshot(
                    path=str(ARTIFACTS / f"{item.name}.png"), full_page=True
                )
            except Exception as exc:  # the browser may be gone; keep the real failure
                report.sections.append(("screenshot", f"not saved: {exc}"))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread, while the
    # test's own ORM calls stay synchronous. Only for the browser tests' run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def viewport():
    """Override in a test module (or parametrize) for a phone-sized journey."""
    return DESKTOP


@pytest.fixture
def page(browser, live_server, viewport, transactional_db):
    """A fresh browser context against the live server. Transactional tests
    flush the database when they end, so first put back what migrations made."""
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    context = browser.new_context(
        viewport=viewport,
        locale="en-US",
        base_url=live_server.url,
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    # The Content-Security-Policy must never block the site's own scripts or
    # styles: Chromium reports every violation on the console.
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert not violations, violations
