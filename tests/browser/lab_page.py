"""Driving JupyterLab 4 and nbgrader's lab extensions through Playwright: selectors and waits.

(Named lab_page, not jupyterlab, so that it never shadows the jupyterlab package.)

Everything here acts through the page the way a person would (menus, toolbar buttons, keyboard,
clicks); the waits follow the recipe measured in ../shared/browser-notes.md: the active notebook is
``.jp-NotebookPanel:not(.lm-mod-hidden)``, its kernel is idle when the execution indicator says so,
and Run All is finished only when no prompt shows ``[*]`` any more.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
IDLE = f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']"
OPEN_TIMEOUT_MS = 90_000
RUN_ALL_TIMEOUT_MS = 240_000
VALIDATE_TIMEOUT_MS = 240_000
WIDGET_TIMEOUT_MS = 30_000
SCREENSHOT_WIDTH = 1280
MAX_SCREENSHOT_HEIGHT = 16_000  # Chromium's safe limit for one capture; taller pages are tiled
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w*Error: ", re.MULTILINE)

# The notebook is ready once all its cells are on the page and its toolbar names the Python 3
# kernel and reports it idle; a dialog (such as "Select Kernel") stops the wait early.
KERNEL_READY = """([selector, cells]) => {
  if (document.querySelector('.jp-Dialog')) return true;
  const nb = document.querySelector(selector);
  if (!nb || nb.querySelectorAll('.jp-Cell').length !== cells) return false;
  const name = nb.querySelector('.jp-KernelName');
  const idle = nb.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
  return idle !== null && name !== null && name.textContent.includes('Python 3');
}"""

# Run All sends the cells one after the other, so between two cells the kernel reads idle and the
# later prompts still show "[ ]"; after an error the rest stay "[ ]" for good. Hence: finished when
# every prompt shows "[n]" and the kernel is idle, or when nothing has moved for STOPPED_AFTER_S.
RUN_STATE = """(selector) => {
  const nb = document.querySelector(selector);
  if (!nb) return null;
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
      .map(p => p.textContent.trim());
  const idle = nb.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']") !== null;
  return {prompts, idle};
}"""
STOPPED_AFTER_S = 3.0


class PageProblem(AssertionError):
    """What the page showed instead of what the test expected."""


# --------------------------------------------------------------------------------- navigation
def open_lab(page: Page, base_url: str) -> None:
    """Open JupyterLab on a reset workspace and wait until the default layout is restored.

    The menu bar works about a second before the reset workspace is restored (the Launcher
    appears and ``?reset`` leaves the address); a panel opened in that second is closed again.
    """
    page.goto(f"{base_url}/lab?reset")
    page.wait_for_function("() => !location.search.includes('reset')", timeout=OPEN_TIMEOUT_MS)
    page.wait_for_selector(".jp-Launcher", timeout=OPEN_TIMEOUT_MS)
    page.wait_for_selector(".lm-MenuBar-itemLabel", timeout=OPEN_TIMEOUT_MS)


def open_notebook(page: Page, base_url: str, path: str, cells: int) -> None:
    """Open ``path`` (relative to the server root) in a fresh workspace; fail on any dialog.

    A notebook without a kernelspec opens a "Select Kernel" dialog instead of starting a kernel;
    that, or any other dialog before the kernel is idle, fails here with the dialog's text.
    ``cells`` is the notebook's cell count: see :func:`wait_ready`.
    """
    page.goto(f"{base_url}/lab/tree/{path}?reset")
    page.wait_for_function("() => !location.search.includes('reset')", timeout=OPEN_TIMEOUT_MS)
    wait_ready(page, path, cells)


def wait_ready(page: Page, path: str, cells: int) -> None:
    """Wait until the active notebook shows all ``cells`` cells and an idle Python 3 kernel.

    JupyterLab adds a long notebook's cells to the page in batches and reports the kernel idle
    before the last batch is in; Run All clicked earlier can race the rendering.
    """
    try:
        page.wait_for_function(KERNEL_READY, arg=[NOTEBOOK, cells], timeout=OPEN_TIMEOUT_MS,
                               polling=200)
    except PlaywrightTimeout:
        expect_no_dialog(page, f"opening {path}")
        name = page.locator(f"{NOTEBOOK} .jp-KernelName").all_inner_texts()
        shown = page.locator(f"{NOTEBOOK} .jp-Cell").count()
        raise PageProblem(f"{path}: not ready within {OPEN_TIMEOUT_MS // 1000} s: kernel shown "
                          f"{name}, {shown} of {cells} cells on the page") from None
    expect_no_dialog(page, f"opening {path}")


def expect_no_dialog(page: Page, when: str) -> None:
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        raise PageProblem(f"a dialog appeared while {when}:\n{dialog.first.inner_text()}")


def menu(page: Page, top: str, item: str) -> None:
    """Click a menu-bar entry, then the visible menu item whose label starts with ``item``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(top)}$")).click()
    entry = page.locator(".lm-Menu-item:visible .lm-Menu-itemLabel",
                         has_text=re.compile(rf"^{re.escape(item)}")).first
    entry.click()


# --------------------------------------------------------------------------------- running
def run_all(page: Page, timeout_s: float = RUN_ALL_TIMEOUT_MS / 1000) -> None:
    """Run > Run All Cells, then wait until every cell has run or execution has stopped."""
    menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        state = page.evaluate(RUN_STATE, NOTEBOOK)
        if state is not None:
            prompts = state["prompts"]
            numbered = [bool(re.match(r"^\[\d+\]", t)) for t in prompts]
            if state["idle"] and all(numbered):
                return
            if state != last:
                last, since = state, time.monotonic()
            elif (state["idle"] and any(numbered) and not any("*" in t for t in prompts)
                  and time.monotonic() - since >= STOPPED_AFTER_S):
                return  # stopped early (an error): the caller reports the cells that did not run
        page.wait_for_timeout(250)
    raise PageProblem(f"Run All did not finish within {timeout_s:.0f} s")


def unexecuted_cells(page: Page) -> list[int]:
    """1-based positions (among code cells) of cells Run All did not reach."""
    # textContent, not innerText: cells scrolled out of view are not rendered (content-visibility)
    # and have no innerText.
    prompts = page.evaluate(RUN_STATE, NOTEBOOK)["prompts"]
    return [i for i, text in enumerate(prompts, start=1) if not re.match(r"^\[\d+\]", text)]


def save(page: Page) -> None:
    """Save through the notebook toolbar's button and wait until the tab is no longer dirty."""
    page.locator(f"{NOTEBOOK} .jp-Toolbar-item[data-jp-item-name='save'] button").click()
    page.wait_for_function(
        "() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
        timeout=30_000,
    )


def wait_idle(page: Page, timeout_ms: int = RUN_ALL_TIMEOUT_MS) -> None:
    page.wait_for_selector(IDLE, timeout=timeout_ms)


# --------------------------------------------------------------------------------- figures
IMAGES_STATE = """(selector) => {
  const nb = document.querySelector(selector);
  return [...nb.querySelectorAll('.jp-Cell-outputArea img')].map(img => ({
    complete: img.complete, width: img.naturalWidth,
    inWidget: img.closest('.widget-output') !== null,
    cell: [...nb.querySelectorAll('.jp-Cell')].indexOf(img.closest('.jp-Cell')) + 1,
  }));
}"""


def rendered_images(page: Page) -> list[dict]:
    """Every image in the notebook's outputs, once each has finished loading."""
    page.wait_for_function(
        f"(s) => ({IMAGES_STATE})(s).every(i => i.complete)", arg=NOTEBOOK, timeout=30_000
    )
    return page.evaluate(IMAGES_STATE, NOTEBOOK)


def rendered_math(page: Page) -> int:
    """How many formulas MathJax has typeset in the notebook (waits up to 20 s for the first)."""
    selector = f"{NOTEBOOK} mjx-container"
    try:
        page.wait_for_selector(selector, state="attached", timeout=20_000)
    except Exception:  # noqa: BLE001 - none rendered: the count below says 0
        return 0
    return page.locator(selector).count()


# --------------------------------------------------------------------------------- screenshots
def screenshot_notebook(page: Page, path: Path) -> list[Path]:
    """The whole notebook as the student sees it, top to bottom, without the file browser.

    The viewport grows to the notebook's height so that one image holds every cell; a notebook
    taller than Chromium can capture at once is saved in numbered parts.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"{path.stem}*.png"):
        if re.fullmatch(rf"{re.escape(path.stem)}(-part\d+)?", old.stem):
            old.unlink()
    original = page.viewport_size
    if page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").count():
        page.keyboard.press("Control+b")  # View > Show Left Sidebar, off
        page.wait_for_timeout(300)
    scroller = f"{NOTEBOOK} .jp-WindowedPanel-outer"
    content = page.evaluate(f"() => document.querySelector('{scroller}').scrollHeight")
    chrome = page.evaluate(
        f"() => window.innerHeight - document.querySelector('{scroller}').clientHeight"
    )
    saved: list[Path] = []
    try:
        tile = MAX_SCREENSHOT_HEIGHT - chrome
        parts = max(1, -(-content // tile))
        for part in range(parts):
            height = min(tile, content - part * tile) + chrome
            page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": max(height, 600)})
            page.evaluate(f"() => document.querySelector('{scroller}').scrollTop = {part * tile}")
            page.wait_for_timeout(500)
            target = path if parts == 1 else path.with_name(f"{path.stem}-part{part + 1}.png")
            page.screenshot(path=str(target))
            saved.append(target)
    finally:
        page.set_viewport_size(original)
    return saved


# --------------------------------------------------------------------------------- widgets
# What a widget cell shows as its result: text and images of its Output/HTML/Image widgets.
WIDGET_RESULT = """(cell) => {
  const digest = (text) => {
    let h = 0;
    for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
    return text.length + ':' + h;
  };
  const parts = [];
  for (const el of cell.querySelectorAll(
      '.widget-output, .widget-html-content, .widget-image, .widget-htmlmath-content')) {
    parts.push(el.textContent);
    for (const img of el.querySelectorAll('img')) parts.push('image ' + digest(img.src));
    if (el.tagName === 'IMG') parts.push('image ' + digest(el.src));
  }
  return parts.join('\\n');
}"""

WIDGET_IMAGES_OK = """(cell) => [...cell.querySelectorAll('.widget-output img')]
    .every(img => img.complete && img.naturalWidth > 0)"""


@dataclass
class WidgetCheck:
    cell: int
    control: str
    before: str
    after: str


@dataclass
class Control:
    """One interactive element of a widget: how to find it and how a person changes it."""

    kind: str
    selector: str

    def change(self, page: Page, element) -> None:
        if self.kind == "slider":
            # One key press, towards the side that has room: a second press could undo the first.
            now = float(element.get_attribute("aria-valuenow"))
            top = float(element.get_attribute("aria-valuemax"))
            element.focus()
            page.keyboard.press("ArrowRight" if now < top else "ArrowLeft")
        elif self.kind in ("dropdown", "select"):
            options = element.locator("option").all_inner_texts()
            current = element.evaluate("s => s.selectedIndex")
            element.select_option(index=(current + 1) % len(options))
        else:  # checkbox, radio button, toggle button(s), button
            element.click()


CONTROLS = [
    Control("slider", ".widget-slider .noUi-handle, .widget-hslider .noUi-handle, "
                      ".widget-vslider .noUi-handle"),
    Control("dropdown", ".widget-dropdown select"),
    Control("select", ".widget-select select"),
    Control("toggle-buttons", ".widget-toggle-buttons .widget-toggle-button:not(.mod-active)"),
    Control("toggle", ".widget-toggle-button:not(.widget-toggle-buttons .widget-toggle-button)"),
    Control("checkbox", ".widget-checkbox input[type='checkbox']"),
    Control("radio", ".widget-radio-box input[type='radio']:not(:checked)"),
    Control("button", "button.widget-button"),
]


ONE_PER_CELL = ("radio", "toggle-buttons")


@dataclass
class WidgetReport:
    checks: list[WidgetCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    display_only: list[int] = field(default_factory=list)  # cells whose widgets have no control
    widget_cells: int = 0


def widget_cells(page: Page):
    """The code cells whose outputs hold at least one rendered widget."""
    return page.locator(f"{NOTEBOOK} .jp-CodeCell").filter(
        has=page.locator(".jp-Cell-outputArea .jupyter-widgets")
    )


def exercise_widgets(page: Page) -> WidgetReport:
    """Change every control of every widget through the page and check its cell's result moves.

    A control counts as responding when the text or images of the cell's output widgets differ
    from before the change, the kernel is idle again, no traceback appeared and every image in
    the result has loaded with a non-zero width.
    """
    report = WidgetReport()
    cells = widget_cells(page)
    report.widget_cells = cells.count()
    for index in range(cells.count()):
        cell = cells.nth(index)
        position = cell.evaluate(
            "(c) => [...c.parentElement.querySelectorAll(':scope > .jp-Cell')].indexOf(c) + 1")
        handle = cell.element_handle()
        found = 0
        for control in CONTROLS:
            elements = cell.locator(f".jp-Cell-outputArea {control.selector}")
            # One option per group of radio or toggle buttons; every other control individually.
            count = min(elements.count(), 1) if control.kind in ONE_PER_CELL else elements.count()
            for k in range(count):
                element = elements.nth(k)
                if not element.is_visible() or element.is_disabled():
                    continue
                found += 1
                before = page.evaluate(WIDGET_RESULT, handle)
                if not before.strip():
                    report.problems.append(
                        f"cell {position}: a {control.kind} has no output widget to show its "
                        "effect")
                    continue
                element.scroll_into_view_if_needed()
                control.change(page, element)
                try:
                    page.wait_for_function(
                        f"([cell, before]) => {{ const now = ({WIDGET_RESULT})(cell);"
                        " return now.trim() !== '' && now !== before; }",
                        arg=[handle, before], timeout=WIDGET_TIMEOUT_MS, polling=100,
                    )
                    wait_idle(page, WIDGET_TIMEOUT_MS)
                    after = settled(page, handle)
                    page.wait_for_function(WIDGET_IMAGES_OK, arg=handle, timeout=WIDGET_TIMEOUT_MS)
                except Exception as err:  # noqa: BLE001 - reported with the cell and the control
                    report.problems.append(
                        f"cell {position}: changing a {control.kind} did not change its output "
                        f"within {WIDGET_TIMEOUT_MS / 1000:.0f} s ({type(err).__name__})")
                    continue
                if TRACEBACK.search(after):
                    report.problems.append(
                        f"cell {position}: the {control.kind}'s output shows an error:\n{after}")
                if after == before:
                    report.problems.append(
                        f"cell {position}: the {control.kind}'s output came back unchanged")
                report.checks.append(WidgetCheck(position, control.kind, before, after))
        if found == 0:
            report.display_only.append(position)  # a progress bar, a label: nothing to move
    return report


WIDGETS_ON_PAGE = """(selector) => {
  const nb = document.querySelector(selector);
  const top = nb.querySelectorAll(
      '.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output > .jupyter-widgets');
  const failed = [...nb.querySelectorAll('.jp-Cell-outputArea')]
      .filter(area => area.textContent.includes('Error displaying widget')).length;
  return {rendered: top.length, failed};
}"""


def widgets_on_page(page: Page) -> dict:
    """How many widget views the cells' outputs show, and how many failed to display."""
    return page.evaluate(WIDGETS_ON_PAGE, NOTEBOOK)


def settled(page: Page, handle, quiet_ms: int = 400, timeout_s: float = 30.0) -> str:
    """The cell's widget result once it has stopped changing for ``quiet_ms``."""
    last = page.evaluate(WIDGET_RESULT, handle)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page.wait_for_timeout(quiet_ms)
        now = page.evaluate(WIDGET_RESULT, handle)
        if now == last:
            return now
        last = now
    return last


# --------------------------------------------------------------------------------- nbgrader
# The Validate button is nbgrader's lab extension; the server's answer comes from
# autodiff_course/lab_validate.py (`autodiff-course validate --json`), which lists every part that
# does not pass as one "failed cell": the source block reads "<status>: <grade id> (<n> points)"
# (status FAIL or TODO) and the error block holds the part's message, HTML-escaped (nbgrader's
# extension inserts it with innerHTML).
PART_HEADER = re.compile(r"^(FAIL|TODO): (\S+) \((\d+(?:\.\d+)?) points?\)$")
DIALOG_TAGS = {"div", "p", "pre"}  # what nbgrader's extension itself puts in the message

# Every element of the message with its tag and the names of its attributes, read before the
# dialog closes: an element other than DIALOG_TAGS, or an on* attribute, came from a message.
MESSAGE_ELEMENTS = """(m) => [...m.querySelectorAll('*')].map(e => ({
  tag: e.tagName.toLowerCase(), attributes: [...e.attributes].map(a => a.name)}))"""


@dataclass
class Part:
    """One part the dialog lists as not passing."""

    status: str  # FAIL | TODO
    name: str  # the test cell's grade id
    points: float
    message: str


@dataclass
class Validation:
    """What the "Validation Results" dialog said."""

    outcome: str  # success | failed | changed | type-changed | error
    text: str
    failures: list[tuple[str, str]]  # (source block, error block) per listed "failed cell"
    elements: list[dict] = field(default_factory=list)  # every element inside the message
    embedded: int = 0  # <img>, <script>, <iframe>, <object>, <embed> anywhere in the dialog

    @property
    def parts(self) -> list[Part]:
        """The listed failures as parts; PageProblem when a source block is not a part header."""
        parts = []
        for source, error in self.failures:
            match = PART_HEADER.match(source.strip())
            if match is None:
                raise PageProblem(f"the dialog lists {source!r}, not '<FAIL|TODO>: <grade id> "
                                  f"(<n> points)':\n{self.text[:3000]}")
            status, name, points = match.groups()
            parts.append(Part(status, name, float(points), error.strip()))
        return parts

    @property
    def foreign_markup(self) -> list[str]:
        """Elements or event-handler attributes in the message that nbgrader's extension does
        not create itself (markup that came from a message that was not escaped)."""
        found = []
        for element in self.elements:
            handlers = [a for a in element["attributes"] if a.lower().startswith("on")]
            if element["tag"] not in DIALOG_TAGS or handlers:
                found.append(element["tag"] + "".join(f" {a}" for a in element["attributes"]))
        return found


def read_validation_dialog(page: Page) -> Validation:
    dialog = page.locator(".jp-Dialog").filter(has=page.locator("#validation-message"))
    dialog.wait_for(timeout=VALIDATE_TIMEOUT_MS)
    message = dialog.locator("#validation-message")
    classes = message.get_attribute("class") or ""
    outcome = "error"
    for name in ("success", "failed", "type-changed", "changed"):
        if f"validation-{name}" in classes.split():
            outcome = name
            break
    blocks = message.locator(":scope > .jp-RenderedText").all_inner_texts()
    failures = list(zip(blocks[0::2], blocks[1::2], strict=False))
    elements = message.evaluate(MESSAGE_ELEMENTS)
    embedded = dialog.locator("img, script, iframe, object, embed").count()
    validation = Validation(outcome, message.inner_text(), failures, elements, embedded)
    dialog.locator(".jp-mod-accept").click()
    dialog.wait_for(state="detached", timeout=10_000)
    return validation


def validate_notebook(page: Page) -> Validation:
    """Click the Validate button of the open notebook's toolbar and read the result dialog."""
    page.locator(f"{NOTEBOOK} .validate-button").click()
    return read_validation_dialog(page)


# --------------------------------------------------------------------------------- assignment list
def open_assignment_list(page: Page) -> None:
    menu(page, "Nbgrader", "Assignment List")
    page.wait_for_selector("#nbgrader-assignment-list", timeout=30_000)
    page.wait_for_function(
        "() => ['released', 'fetched', 'submitted'].every(k =>"
        " document.getElementById(k + '_assignments_list_loading')?.hidden)",
        timeout=60_000,
    )
    for kind in ("released", "fetched", "submitted"):
        error = page.locator(f"#{kind}_assignments_list_error")
        if error.is_visible():
            raise PageProblem(f"the Assignment List shows an error: {error.inner_text()}")


def show_notebooks(page: Page, row, attempts: int = 3):
    """Expand a fetched assignment's row and return the link to its first notebook.

    The list re-renders itself after actions (fetch, submit, validate), which can swallow a click
    made at that moment, so the click is repeated until the notebooks show.
    """
    link = row.locator(".nested_list_item .item_name a").first
    for _ in range(attempts):
        row.locator("a.assignment-notebooks-link").click()
        try:
            link.wait_for(state="visible", timeout=5_000)
            return link
        except PlaywrightTimeout:
            continue
    raise PageProblem(f"the Assignment List did not show the notebooks of {row.inner_text()!r}")


def assignment_row(page: Page, kind: str, assignment: str):
    return page.locator(f"#{kind}_assignments_list > .list_item").filter(
        has=page.locator(".item_name", has_text=re.compile(rf"^\s*{re.escape(assignment)}\s*$"))
    )
