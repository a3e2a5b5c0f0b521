"""Every lecture notebook in course/, as a student meets it in JupyterLab.

Open it (no kernel dialog), Run All, wait until idle; save a screenshot of the whole notebook to
build/screenshots/<id>.png; then: every code cell ran and none shows an error, every figure is a
loaded image, every widget control changes its cell's output when moved through the page, and
the browser console stayed free of errors.
"""

from __future__ import annotations

import re

import lab_page as jl
from course_files import kernelspec_problem, read

FIGURE_REPR = re.compile(r"^<Figure size [\d.]+x[\d.]+ with \d+ Axes>$")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def model_outputs(nb):
    """(code-cell position, output) for every output of the saved notebook."""
    position = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        position += 1
        for output in cell.get("outputs", []):
            yield position, output


def test_lecture_runs_in_the_browser(lecture, lab, page, screenshot_dir):
    path = f"course/{lecture}.ipynb"
    source = read(lab.root / path)
    problem = kernelspec_problem(source)
    assert problem is None, f"{path}: {problem}"
    jl.open_notebook(page, lab.url, path, len(source.cells))
    jl.run_all(page)
    shots = jl.screenshot_notebook(page, screenshot_dir / f"{lecture}.png")
    assert shots and all(s.stat().st_size > 0 for s in shots)

    jl.expect_no_dialog(page, f"running {path}")
    not_run = jl.unexecuted_cells(page)
    jl.save(page)
    saved = lab.read_notebook(path)
    errors = [f"code cell {n}: {o.get('ename')}: {o.get('evalue')}"
              for n, o in model_outputs(saved) if o.output_type == "error"]
    assert not errors, f"{path}: cells show errors:\n" + "\n".join(errors)
    assert not not_run, f"{path}: Run All stopped before code cells {not_run}"

    # Figures: each image output of the notebook is on the page as a loaded image.
    expected_images = sum(1 for _, o in model_outputs(saved)
                          if any(t in o.get("data", {}) for t in IMAGE_TYPES))
    bare_figures = [n for n, o in model_outputs(saved)
                    if FIGURE_REPR.match(o.get("data", {}).get("text/plain", "").strip())
                    and not any(t in o.get("data", {}) for t in IMAGE_TYPES)]
    assert not bare_figures, f"{path}: figures printed as text, not drawn, in cells {bare_figures}"
    images = jl.rendered_images(page)
    broken = [i["cell"] for i in images if i["width"] <= 0]
    assert not broken, f"{path}: images with naturalWidth 0 in cells {broken}"
    in_cells = sum(1 for i in images if not i["inWidget"])
    assert in_cells == expected_images, (
        f"{path}: {expected_images} image outputs in the notebook, {in_cells} drawn on the page")

    # Widgets: every widget output of the notebook is displayed as a live widget (not as its
    # text repr, not "Error displaying widget"), and every control moves its cell's output.
    expected_widgets = sum(1 for _, o in model_outputs(saved) if WIDGET_VIEW in o.get("data", {}))
    on_page = jl.widgets_on_page(page)
    assert on_page["failed"] == 0, (
        f"{path}: {on_page['failed']} cells show 'Error displaying widget'")
    assert on_page["rendered"] == expected_widgets, (
        f"{path}: {expected_widgets} widget outputs in the notebook, {on_page['rendered']} "
        "displayed as widgets")
    report = jl.exercise_widgets(page)
    assert not report.problems, f"{path}: widgets:\n" + "\n".join(report.problems)
    interactive = report.widget_cells - len(report.display_only)
    assert len({c.cell for c in report.checks}) == interactive, report

    # Mathematics: rendered by the MathJax JupyterLab bundles, with every other host refused.
    if any(c.cell_type == "markdown" and "$" in c.source for c in source.cells):
        assert jl.rendered_math(page) > 0, f"{path}: no formula rendered (MathJax offline?)"
    assert not page.blocked, f"{path}: requests to other hosts: {page.blocked[:3]}"
    page.console.assert_clean()
