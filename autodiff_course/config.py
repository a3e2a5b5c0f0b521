"""The nbgrader configuration of the course, built in one place.

``nbgrader_config.py`` at the repository root calls :func:`configure` so that plain ``nbgrader``
commands (formgrader, export, db, release_feedback ...) see the same layout as
``autodiff-course``: sources in ``solutions/``, the release in ``assignments/``, and the
submitted, autograded and feedback folders and the gradebook in the workspace.

Plain ``nbgrader autograde`` is refused: it would run the instructor's tests inside the
student's kernel, unsandboxed, and take that kernel's word for the grade. Grading is
``autodiff-course autograde`` (see docs/grading.md).
"""

from __future__ import annotations

from pathlib import Path

import nbgrader
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets.config import Config

from .layout import COURSE_ID, RELEASE_DIRECTORY, SOURCE_DIRECTORY, Workspace

TEMPLATES = Path(__file__).resolve().parent / "nbgrader_templates"
# where nbgrader keeps Formgrader's and feedback's templates (it names this folder itself)
NBGRADER_TEMPLATES = Path(nbgrader.__file__).resolve().parent / "server_extensions" / \
    "formgrader" / "templates"


class UseAutodiffCourseAutograde(NbGraderPreprocessor):
    """Stops ``nbgrader autograde`` before any student code runs, saying what to use instead."""

    def preprocess(self, nb, resources):
        raise RuntimeError(
            "this course is graded with `autodiff-course autograde SUBMISSIONS`, which runs each "
            "notebook in a sandbox and decides every test outside the student's kernel; plain "
            "`nbgrader autograde` would do neither"
        )


def configure(c: Config, root: Path, workspace: Workspace) -> Config:
    """Fill ``c`` with the course layout (every path absolute) and refuse plain autograde."""
    root = Path(root).resolve()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = SOURCE_DIRECTORY
    c.CourseDirectory.release_directory = RELEASE_DIRECTORY
    c.CourseDirectory.submitted_directory = str(workspace.submitted)
    c.CourseDirectory.autograded_directory = str(workspace.autograded)
    c.CourseDirectory.feedback_directory = str(workspace.feedback)
    c.CourseDirectory.db_url = workspace.db_url
    c.Autograde.sanitize_preprocessors = [UseAutodiffCourseAutograde]
    # Formgrader's grading page asks a CDN for MathJax and its script stops without it (no score
    # field works offline): our base/mathjax.html.j2 comes first and loads the server's copy.
    # nbgrader sets these folders itself and only its course config is read after that.
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(NBGRADER_TEMPLATES)]
    return c
