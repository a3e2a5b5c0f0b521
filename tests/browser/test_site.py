"""The course website (`make site`), built once per session and read offline in Chromium.

The site is built by ``site/make_site.py`` (what `make site` runs) into a temporary folder and
served by Python's ``http.server`` on a free loopback port; every request to another host is
refused and recorded (``OUTSIDE``), as in the rest of the suite.

- ``test_site_pages_hold_no_solutions_and_load_nothing_from_elsewhere`` (no browser): no file of
  the site contains a solution or hidden-test marker or a ``solutions/`` path, and no page or
  stylesheet loads anything (script, stylesheet, image, frame, font) from another host.
- ``test_site_reads_offline``: a lecture page with its formulas typeset by the site's own MathJax
  (no TeX source left in the text), its figures loaded; the home page and the sidebar link every
  topic's lecture and assignment, and each link answers 200; the search page finds a word of the
  lectures; no request left loopback and the console stayed clean.
"""

from __future__ import annotations

import functools
import http.server
import re
import subprocess
import sys
import threading
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
import pytest
from conftest import REPO, watched_page
from course_files import lecture_ids
from playwright.sync_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, str(REPO / "site"))
from static_widgets import make_static  # noqa: E402 - lives in site/, not in a package

BUILD_TIMEOUT = 180
LEAKS = (b"BEGIN SOLUTION", b"BEGIN HIDDEN TESTS", b"solutions/")
# TeX that MathJax should have replaced: display delimiters and any control word (\frac, ...)
RAW_TEX = re.compile(r"\$\$|\\[A-Za-z]+|\\\(|\\\[")
SEARCH_WORD = "Jacobian"
# Attributes through which a page loads something (a link's href on <a> only navigates).
LOADING = {"script": "src", "img": "src", "iframe": "src", "embed": "src", "source": "src",
           "audio": "src", "video": "src", "object": "data", "link": "href"}
NAVIGATION_RELS = {"index", "search", "next", "prev", "up", "top", "author", "license", "help"}
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")


@pytest.fixture(scope="session")
def site(tmp_path_factory, source_root) -> Path:
    """The site as `make site` builds it, from the course under test, in a temporary folder."""
    out = tmp_path_factory.mktemp("site") / "site"
    done = subprocess.run(
        [sys.executable, str(REPO / "site" / "make_site.py"), "--root", str(source_root),
         "--out", str(out)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, cwd=REPO,
    )
    assert done.returncode == 0, f"make_site.py failed:\n{done.stdout}\n{done.stderr}"
    assert (out / "index.html").is_file()
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site_url(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def site_page(request, browser, site_url, screenshot_dir):
    """A page in a fresh context, offline like the suite's ``page`` but without JupyterLab."""
    with watched_page(request, browser, screenshot_dir) as page:
        yield page


# ----------------------------------------------------------------------------- without browser
class _Loads(HTMLParser):
    """Every URL an HTML page loads by itself (not the ones its links lead to)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = LOADING.get(tag)
        if name is None or not attrs.get(name):
            return
        if tag == "link" and set((attrs.get("rel") or "").split()) <= NAVIGATION_RELS:
            return
        self.urls.append(attrs[name])
        self.urls.extend(CSS_URL.findall(attrs.get("style", "")))


def _foreign(url: str) -> bool:
    return url.startswith("//") or bool(urlsplit(url).scheme in ("http", "https", "ftp"))


def test_site_pages_hold_no_solutions_and_load_nothing_from_elsewhere(site, source_root):
    files = [p for p in site.rglob("*") if p.is_file()]
    leaks = [f"{p.relative_to(site)}: {marker.decode()}"
             for p in files for marker in LEAKS if marker in p.read_bytes()]
    assert not leaks, "the site shows what students must not see:\n" + "\n".join(leaks)

    pages = [p for p in files if p.suffix == ".html"]
    expected = {"index.html", "search.html"}
    expected |= {f"course/{i}.html" for i in lecture_ids(source_root)}
    assert expected <= {p.relative_to(site).as_posix() for p in pages}
    foreign = []
    for page in pages:
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        foreign += [f"{page.relative_to(site)}: {u}" for u in parser.urls if _foreign(u)]
    for sheet in (p for p in files if p.suffix == ".css"):
        foreign += [f"{sheet.relative_to(site)}: {u}"
                    for u in CSS_URL.findall(sheet.read_text(encoding="utf-8", errors="replace"))
                    if _foreign(u)]
    assert not foreign, "the site loads from other hosts:\n" + "\n".join(foreign)


# -------------------------------------------------------------------------------- in the browser
def _image_outputs(lecture: Path) -> int:
    """Figures the lecture's page must show: its image outputs, widgets' saved ones included."""
    nb = nbformat.read(lecture, as_version=4)
    make_static(nb)
    return sum(1 for cell in nb.cells if cell.cell_type == "code"
               for output in cell.get("outputs", []) if "image/png" in output.get("data", {}))


def _status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as answer:  # loopback only
        return answer.status


TYPESET_HOOK = "() => MathJax.Hub.Register.StartupHook('End', () => { window.typesetEnd = 1; })"
MATH_STATE = """() => {
  const math = [...document.querySelectorAll('div.body .math.notranslate')];  // Sphinx's
  return {
    math: math.length,
    typeset: math.filter(m => m.querySelector('.MathJax, .MathJax_Display, .MathJax_SVG')).length,
    errors: document.querySelectorAll('.MathJax .merror, .MathJax_Display .merror').length,
  };
}"""
# The page's prose as the reader sees it: code and MathJax's hidden TeX scripts left out.
PROSE = """() => {
  const style = document.createElement('style');
  style.textContent = 'div.body pre, div.body code, div.highlight { display: none !important; }';
  document.head.appendChild(style);
  const text = document.querySelector('div.body').innerText;
  style.remove();
  return text;
}"""
IMAGES = """() => [...document.querySelectorAll('div.body img')].map(i => ({
  src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth }))"""


def _check_lecture(page, site_url: str, source_root: Path, lecture: str) -> None:
    url = urljoin(site_url, f"course/{lecture}.html")
    page.goto(url)
    # MathJax 2 posts "End" once its first pass over the page is typeset (a hook registered
    # later is called at once).
    assert page.locator("div.body .math.notranslate").count() > 0, (
        f"{lecture}: no formula marked up as math on the page (the TeX stayed text?)")
    try:
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.Register")
        page.evaluate(TYPESET_HOOK)
        page.wait_for_function("() => window.typesetEnd === 1", timeout=60_000)
    except PlaywrightTimeout:
        raise AssertionError(f"{lecture}: MathJax did not load or finish (requests refused: "
                             f"{page.blocked[:3]}; console: {page.console.errors[:3]})") from None
    state = page.evaluate(MATH_STATE)
    assert state["math"] > 0, f"{lecture}: no formula on the page"
    assert state["typeset"] == state["math"], (
        f"{lecture}: {state['typeset']} of {state['math']} formulas typeset by MathJax")
    assert state["errors"] == 0, f"{lecture}: {state['errors']} formulas with TeX errors"
    prose = page.evaluate(PROSE)
    raw = sorted(set(RAW_TEX.findall(prose)))
    assert not raw, f"{lecture}: TeX left visible in the text: {raw[:10]}"

    page.wait_for_function(
        "() => [...document.querySelectorAll('div.body img')].every(i => i.complete)")
    images = page.evaluate(IMAGES)
    broken = [i["src"] for i in images if i["width"] <= 0]
    assert not broken, f"{lecture}: images that did not load: {broken}"
    expected = _image_outputs(source_root / "course" / f"{lecture}.ipynb")
    assert expected > 0 and len(images) == expected, (
        f"{lecture}: {expected} figures in the notebook, {len(images)} images on the page")


def _topic_links(page, site_url: str, source_root: Path, where: str) -> None:
    """Every lecture and released assignment is linked from ``where`` and answers 200."""
    hrefs = page.evaluate(f"() => [...document.querySelectorAll('{where} a[href]')]"
                          ".map(a => a.href.split('#')[0])")
    wanted = [urljoin(site_url, f"course/{i}.html") for i in lecture_ids(source_root)]
    wanted += [urljoin(site_url, f"assignments/{nb.parent.name}/{nb.stem}.html")
               for nb in sorted((source_root / "assignments").glob("*/*.ipynb"))]
    assert len(wanted) >= 2
    missing = [u for u in wanted if u not in hrefs]
    assert not missing, f"{page.url}: no link in {where} to {missing}"
    bad = [u for u in wanted if _status(u) != 200]
    assert not bad, f"links that do not answer 200: {bad}"


def test_site_reads_offline(site_page, site_url, source_root):
    page = site_page
    lectures = lecture_ids(source_root)
    for lecture in lectures:  # formulas and figures of every lecture (about 3 s each)
        _check_lecture(page, site_url, source_root, lecture)
    _topic_links(page, site_url, source_root, "div.sphinxsidebar")

    page.goto(site_url)
    _topic_links(page, site_url, source_root, "div.body")
    assert "Topics" in page.locator("div.body h2").all_inner_texts()

    page.goto(urljoin(site_url, f"search.html?q={SEARCH_WORD}"))
    page.wait_for_selector("#search-results ul.search li a")
    hits = page.evaluate("() => [...document.querySelectorAll('#search-results ul.search li a')]"
                         ".map(a => a.getAttribute('href'))")
    in_lectures = [h for h in hits if h.startswith("course/")]
    assert in_lectures, f"search for {SEARCH_WORD!r} found no lecture: {hits}"
    page.wait_for_function("() => document.querySelector('#search-results .search-summary')"
                           " && !/Searching/.test(document.querySelector("
                           "'#search-results .search-summary').textContent)")

    assert not page.blocked, f"requests to other hosts: {page.blocked[:5]}"
    page.console.assert_clean()
