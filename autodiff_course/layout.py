"""Where things live: the course root (tracked) and the grading workspace (not tracked).

The repository root is the nbgrader course root: instructor notebooks in ``solutions/<id>/``, the
committed student versions in ``assignments/<id>/``. Everything grading produces (submissions,
autograded copies, feedback, the gradebook, grades.csv) goes to a workspace folder, ``grading/``
by default, so that grading never dirties the tracked tree and several workspaces can coexist.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

COURSE_ID = "autodiff-course"
SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "assignments"
DEFAULT_WORKSPACE = "grading"
WORKSPACE_ENV = "AUTODIFF_COURSE_WORKSPACE"
DB_URL_ENV = "AUTODIFF_COURSE_DB_URL"


class CourseError(Exception):
    """A problem the user has to fix (bad path, unknown assignment, broken setup); never a bug."""


def find_course_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the working folder) with ``solutions/``.

    Falls back to the checkout this package was imported from (an editable install), so the CLI
    also works from a sub-folder or from elsewhere on the machine.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SOURCE_DIRECTORY).is_dir() and (folder / "nbgrader_config.py").is_file():
            return folder
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / SOURCE_DIRECTORY).is_dir():
        return checkout
    raise CourseError(
        f"no course root found from {here}: run from the repository root (the folder holding "
        f"{SOURCE_DIRECTORY}/ and nbgrader_config.py) or pass --course-root DIR"
    )


def check_course_root(root: Path) -> Path:
    root = Path(root).resolve()
    if not (root / SOURCE_DIRECTORY).is_dir():
        raise CourseError(
            f"{root} is not a course root: it has no {SOURCE_DIRECTORY}/ folder "
            f"(expected {SOURCE_DIRECTORY}/<id>/<id>.ipynb)"
        )
    return root


def assignment_ids(root: Path) -> list[str]:
    """Every assignment in ``solutions/``: a folder holding at least one notebook, sorted."""
    source = Path(root) / SOURCE_DIRECTORY
    return sorted(
        p.name
        for p in source.iterdir()
        if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb"))
    )


def source_notebooks(root: Path, assignment: str) -> list[Path]:
    folder = Path(root) / SOURCE_DIRECTORY / assignment
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def default_workspace(root: Path) -> Path:
    env = os.environ.get(WORKSPACE_ENV)
    return Path(env).resolve() if env else (Path(root) / DEFAULT_WORKSPACE).resolve()


@dataclass(frozen=True)
class Workspace:
    """The grading state of one workspace folder (all paths absolute)."""

    path: Path
    db_url_override: str | None = None

    @classmethod
    def at(cls, path: Path | str, db_url: str | None = None) -> Workspace:
        return cls(Path(path).expanduser().resolve(), db_url)

    @property
    def submitted(self) -> Path:
        return self.path / "submitted"

    @property
    def autograded(self) -> Path:
        return self.path / "autograded"

    @property
    def feedback(self) -> Path:
        return self.path / "feedback"

    @property
    def release(self) -> Path:
        """Scratch release used to load the instructor notebooks into this workspace's gradebook."""
        return self.path / "release"

    @property
    def gradebook(self) -> Path:
        return self.path / "gradebook.db"

    @property
    def grades_csv(self) -> Path:
        return self.path / "grades.csv"

    @property
    def jupyter_path(self) -> Path:
        """Prepended to JUPYTER_PATH in grading workers: holds the resource-limited kernelspec."""
        return self.path / "jupyter"

    @property
    def state(self) -> Path:
        return self.path / ".autodiff-course"

    @property
    def db_url(self) -> str:
        if self.db_url_override:
            return self.db_url_override
        return os.environ.get(DB_URL_ENV) or f"sqlite:///{self.gradebook}"

    @property
    def shown_db_url(self) -> str:
        """The gradebook URL with any password masked, for messages and logs."""
        return mask_password(self.db_url)


def mask_password(url: str) -> str:
    """``url`` with its password replaced by ``***`` (unparseable URLs are hidden entirely)."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - never echo a URL we cannot parse
        return "(database URL not shown)"
    return parsed.render_as_string(hide_password=True)
