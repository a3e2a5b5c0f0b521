"""The course website's staging step (site/make_site.py, site/static_widgets.py), without Sphinx.

What Sphinx is given decides what the site shows: the lectures with their widget outputs made
static, the released assignments, a home page listing every topic, and nothing else; a release
that carries solution markers stops the build. The built site itself is checked in a browser by
tests/browser/test_site.py.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "site"))
import make_site  # noqa: E402 - site/ is a folder of scripts, not a package
from static_widgets import WIDGET_VIEW, make_static  # noqa: E402


def copy_course(target: Path) -> Path:
    for name in ("course", "assignments"):
        shutil.copytree(REPO / name, target / name)
    return target


def outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_widget_outputs_become_their_saved_controls_and_figures():
    nb = nbformat.read(REPO / "course" / "01-finite-differences.ipynb", as_version=4)
    figures = sum("image/png" in o.get("data", {}) for o in outputs(nb))
    assert make_static(nb) == 1
    assert "widgets" not in nb.metadata
    shown = outputs(nb)
    assert not [o for o in shown if WIDGET_VIEW in o.get("data", {})]
    notes = [o["data"]["text/plain"] for o in shown if "static-widget-note" in
             o.get("data", {}).get("text/html", "")]
    assert notes == ["Interactive in JupyterLab (open this notebook with `make lab` to move its "
                     "controls); shown here as saved, at h = 1e-06:"]
    # the interact's Output area: its printed table and its figure, now plain outputs
    assert sum("image/png" in o.get("data", {}) for o in shown) == figures + 1
    assert any(o.output_type == "stream" and "exact derivative" in o.text for o in shown)


def test_a_progress_bar_becomes_its_text_and_a_dropdown_its_label():
    nb = nbformat.read(REPO / "course" / "06-mlp-and-sgd.ipynb", as_version=4)
    make_static(nb)
    bars = [o.text for o in outputs(nb) if o.output_type == "stream" and "epoch/s" in o.text]
    # tqdm's HTML pieces and its bar, drawn from the progress value (tqdm spaces with U+2007)
    assert len(bars) == 2 and all(re.match(r"fit:\s100%\s██████████\s\d+/\d+", b) for b in bars)
    nb = nbformat.read(REPO / "course" / "07-vanishing-gradients.ipynb", as_version=4)
    make_static(nb)
    notes = [o["data"]["text/plain"] for o in outputs(nb) if "text/html" in o.get("data", {})]
    assert len(notes) == 1 and "activation = sigmoid" in notes[0], notes


def test_stage_gives_sphinx_every_topic_and_nothing_else(tmp_path):
    root = copy_course(tmp_path / "course-root")
    (root / "solutions").mkdir()  # must never be read
    (root / "solutions" / "leak.ipynb").write_text("### BEGIN SOLUTION", encoding="utf-8")
    staging = tmp_path / "stage"
    ids = make_site.stage(root, staging)
    assert ids == sorted(p.stem for p in (REPO / "course").glob("*.ipynb"))
    staged = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    assert staged == sorted([".make_site", "index.md"] + [f"course/{i}.ipynb" for i in ids]
                            + [f"assignments/{i}/{i}.ipynb" for i in ids])
    index = (staging / "index.md").read_text(encoding="utf-8")
    for n, topic in enumerate(ids, start=1):
        assert f"(course/{topic}.ipynb)" in index
        assert f"(assignments/{topic}/{topic}.ipynb)" in index
        assert f":caption: Topic {n}: " in index
    assert not [p for p in staging.rglob("*.ipynb")
                if WIDGET_VIEW in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("marker", ["### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"])
def test_a_release_with_solutions_stops_the_build(tmp_path, marker):
    root = copy_course(tmp_path / "course-root")
    path = root / "assignments" / "02-traces" / "02-traces.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"{marker}\nanswer = 42"))
    nbformat.write(nb, path)
    with pytest.raises(make_site.SiteError, match=r"assignments/02-traces/02-traces\.ipynb "
                                                   r"contains 'BEGIN (SOLUTION|HIDDEN TESTS)'"):
        make_site.stage(root, tmp_path / "stage")


def test_a_topic_without_its_release_is_named(tmp_path, capsys):
    root = copy_course(tmp_path / "course-root")
    shutil.rmtree(root / "assignments" / "03-forward-mode")
    code = make_site.main(["--root", str(root), "--out", str(tmp_path / "site")])
    assert code == 2
    assert capsys.readouterr().err == (
        "make_site: topic 03-forward-mode: no released notebook in assignments/03-forward-mode/ "
        "(run `autodiff-course release`)\n")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("option", ["--out", "--stage"])
def test_an_unrelated_folder_is_left_alone(tmp_path, capsys, option):
    root = copy_course(tmp_path / "course-root")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    paths = {"--out": str(tmp_path / "site"), "--stage": str(tmp_path / "stage"), option: str(mine)}
    assert make_site.main(["--root", str(root), *(x for kv in paths.items() for x in kv)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"make_site: {mine} exists and is not ")
    assert err.endswith(f": remove it or choose another {option}\n")
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"
