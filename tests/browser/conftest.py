"""Fixtures of the browser suite: one JupyterLab server and one headless Chromium per session.

- ``lab``: a :class:`LabServer` over a temporary copy of the course, prepared by the project's
  own ``jupyter-config/prepare_lab.py`` (assignments released to a local exchange) and started with
  temporary Jupyter, IPython and matplotlib folders on a free loopback port;
- ``browser``: Debian's Chromium through Playwright for Python (no browser download);
- ``page``: a fresh browser context per test, its console watched (``page.console``); every
  kernel is shut down after the test, and a screenshot of a failing test's page goes to
  ``build/screenshots/failures/`` (:func:`watched_page`, also for tests with a server of their
  own).

Every server, kernel and browser started here is stopped by a finalizer, also when a test fails
or the run is interrupted.

Options: ``--course-root DIR`` runs the suite over another checkout (default: this one);
screenshots go to ``build/screenshots/`` of this checkout unless $BROWSER_SCREENSHOTS names
another folder.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from course_files import assignment_ids, lecture_ids
from lab_server import PROJECT, LabServer, copy_course, isolated_env
from page_console import ConsoleLog

REPO = PROJECT
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
# every http(s) URL that is not this machine
OUTSIDE = re.compile(r"^https?://(?!(127\.0\.0\.1|localhost|\[::1\])[:/])")


def pytest_addoption(parser):
    parser.addoption("--course-root", default=str(REPO),
                     help="checkout whose course/, assignments/ and solutions/ are tested")


def course_root(config) -> Path:
    return Path(config.getoption("--course-root")).resolve()


def pytest_generate_tests(metafunc):
    root = course_root(metafunc.config)
    if "lecture" in metafunc.fixturenames:
        metafunc.parametrize("lecture", lecture_ids(root))
    if "assignment" in metafunc.fixturenames:
        metafunc.parametrize("assignment", assignment_ids(root))


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS", REPO / "build" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def source_root(pytestconfig) -> Path:
    return course_root(pytestconfig)


@pytest.fixture(scope="session")
def lab(tmp_path_factory, source_root):
    scratch = tmp_path_factory.mktemp("lab")
    root = copy_course(source_root, scratch / "course", project=REPO)
    server = LabServer(root=root, scratch=scratch, env=isolated_env(scratch / "jupyter", root))
    server.prepare()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium); "
                    "`make browser` skips the suite when it is missing", pytrace=False)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@contextmanager
def watched_page(request, browser, screenshot_dir: Path):
    """A page in a fresh browser context: offline, its console watched (``page.console``), and
    a screenshot of it kept when the test fails."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    # Offline, as in a classroom without internet: any request to another host is refused, and
    # recorded, so a page that needs a CDN (MathJax, fonts) fails its test.
    blocked: list[str] = []

    def refuse(route):
        blocked.append(route.request.url)
        route.abort()

    context.route(OUTSIDE, refuse)
    page = context.new_page()
    page.blocked = blocked
    page.console = ConsoleLog().attach(page)
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in request.node.name)
        shot = screenshot_dir / "failures" / f"{name}.png"
        if report is not None and report.failed:
            shot.parent.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(shot))
            except Exception:  # noqa: BLE001 - a failed screenshot must not hide the failure
                pass
        else:
            shot.unlink(missing_ok=True)  # from an earlier failing run
        context.close()


@pytest.fixture
def page(request, browser, lab, screenshot_dir):
    try:
        with watched_page(request, browser, screenshot_dir) as page:
            yield page
    finally:
        lab.shutdown_kernels()


@pytest.fixture
def bare_page(request, browser, screenshot_dir):
    """A page like ``page``'s for a test that starts a server of its own (no lab session)."""
    with watched_page(request, browser, screenshot_dir) as page:
        yield page
