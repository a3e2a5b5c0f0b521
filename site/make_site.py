"""Build the course website (`make site`): lectures and released assignments as static HTML.

Sphinx reads a staging folder, never the checkout: it gets copies of the lectures
(``course/<id>.ipynb``, committed executed, never re-run here) and of the student notebooks
(``assignments/<id>/*.ipynb``), with their widget outputs made static (static_widgets.py), and
a home page made of ``site/index.md`` followed by the list of topics found in those folders. So
``solutions/`` can never reach the site, and a new topic appears as soon as its files land.

Usage: python site/make_site.py [--out build/site] [--stage build/site-src]

The build fails (exit 2, one line) when a topic lacks its lecture or its release, when a released
notebook holds solution or hidden-test markers, and on any Sphinx warning (``-W``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat
from static_widgets import make_static

SITE = Path(__file__).resolve().parent
ROOT = SITE.parent
# What a released notebook must never carry: nbgrader strips these when it releases.
LEAKS = re.compile(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS")
TITLE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
STAGE_MARK = ".make_site"  # marks a staging folder as this script's, so it may be emptied


class SiteError(Exception):
    """A problem in the course files that the site must not paper over."""


def topic_ids(root: Path) -> list[str]:
    """Every topic: a lecture ``course/<id>.ipynb`` or a released ``assignments/<id>/``."""
    lectures = {p.stem for p in (root / "course").glob("*.ipynb")}
    released = {p.parent.name for p in (root / "assignments").glob("*/*.ipynb")}
    ids = sorted(i for i in lectures | released if not i.startswith("."))
    for topic in ids:
        if topic not in lectures:
            raise SiteError(f"topic {topic}: assignments/{topic}/ has no lecture "
                            f"course/{topic}.ipynb")
        if topic not in released:
            raise SiteError(f"topic {topic}: no released notebook in assignments/{topic}/ "
                            "(run `autodiff-course release`)")
    if not ids:
        raise SiteError(f"no lectures in {root / 'course'}: is --root the course root?")
    return ids


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and (match := TITLE.search(cell.source)):
            return match.group(1)
    return fallback


def stage_notebook(source: Path, target: Path, root: Path) -> str:
    """Copy one notebook into the staging folder, widgets made static; return its title."""
    text = source.read_text(encoding="utf-8")
    if match := LEAKS.search(text):
        raise SiteError(f"{source.relative_to(root)} contains {match.group(0)!r}: a released "
                        "notebook must not hold solutions (run `autodiff-course release`)")
    nb = nbformat.reads(text, as_version=4)
    make_static(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return title_of(nb, source.stem)


def topics_section(rows: list[tuple[str, str, list[tuple[str, str]]]]) -> str:
    """The home page's list of topics, and one hidden toctree per topic: the sidebar's navigation
    (captioned "Topic n: <lecture title up to its colon>"), which the list already shows."""
    lines = ["", "## Topics", ""]
    for n, (topic, lecture_title, assignments) in enumerate(rows, start=1):
        links = " · ".join(f"[{title}]({path})" for path, title in assignments)
        lines.append(f"{n}. **[{lecture_title}](course/{topic}.ipynb)** (lecture) · "
                     f"{links} (assignment)")
    for n, (topic, lecture_title, assignments) in enumerate(rows, start=1):
        caption = f"Topic {n}: {lecture_title.split(':')[0]}"
        lines += ["", "```{toctree}", f":caption: {caption}", ":hidden:", ":maxdepth: 1", "",
                  f"course/{topic}"]
        lines += [path.removesuffix(".ipynb") for path, _ in assignments]
        lines.append("```")
    return "\n".join(lines) + "\n"


def stage(root: Path, staging: Path) -> list[str]:
    """Fill ``staging`` with the site's sources; return the topic ids."""
    _clear(staging, STAGE_MARK, "a staging folder of make_site.py", "--stage")
    staging.mkdir(parents=True)
    (staging / STAGE_MARK).write_text("made by site/make_site.py; emptied on every build\n",
                                      encoding="utf-8")
    ids = topic_ids(root)
    rows = []
    for topic in ids:
        lecture = stage_notebook(root / "course" / f"{topic}.ipynb",
                                 staging / "course" / f"{topic}.ipynb", root)
        assignments = []
        for notebook in sorted((root / "assignments" / topic).glob("*.ipynb")):
            path = f"assignments/{topic}/{notebook.name}"
            assignments.append((path, stage_notebook(notebook, staging / path, root)))
        rows.append((topic, lecture, assignments))
    overview = (SITE / "index.md").read_text(encoding="utf-8")
    (staging / "index.md").write_text(overview.rstrip() + "\n" + topics_section(rows),
                                      encoding="utf-8")
    return ids


def _clear(folder: Path, mark: str, what: str, option: str) -> None:
    """Remove ``folder`` if it is empty or one this script made (it holds ``mark``), else refuse:
    a mistyped --out or --stage must never delete someone's files."""
    if not folder.exists():
        return
    if not folder.is_dir() or (any(folder.iterdir()) and not (folder / mark).exists()):
        raise SiteError(f"{folder} exists and is not {what}: remove it or choose another {option}")
    shutil.rmtree(folder)


def clear_output(out: Path) -> None:
    """Empty a previous build (Sphinx leaves its .buildinfo in every HTML build)."""
    _clear(out, ".buildinfo", "a site built by make_site.py", "--out")


def build(root: Path, out: Path, staging: Path, quiet: bool = True) -> None:
    from sphinx.cmd.build import build_main

    stage(root, staging)
    clear_output(out)
    args = ["-b", "html", "-c", str(SITE), "-d", str(staging / ".doctrees"),
            "-W", "--keep-going", str(staging), str(out)]
    if build_main((["-q"] if quiet else []) + args) != 0:
        raise SiteError("sphinx-build reported warnings or errors (above)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="course root (default: this checkout)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--stage", type=Path, default=None,
                        help="staging folder Sphinx reads (default: OUT-src next to OUT)")
    parser.add_argument("--verbose", action="store_true", help="Sphinx's progress output")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    staging = (args.stage or out.with_name(out.name + "-src")).resolve()
    try:
        build(args.root.resolve(), out, staging, quiet=not args.verbose)
    except SiteError as error:
        print(f"make_site: {error}", file=sys.stderr)
        return 2
    print(f"site: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
