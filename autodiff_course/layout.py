"""Where things live: the course root (tracked) and the grading workspace (not tracked).

The repository root is the nbgrader course root: instructor notebooks in ``solutions/<id>/``, the
committed student versions in ``assignments/<id>/``. Everything grading produces (submissions,
autograded copies, feedback, the gradebook, grades.csv) goes to a workspace folder, ``grading/``
by default, so that grading never dirties the tracked tree and several workspaces can coexist.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

COURSE_ID = "autodiff-course"
SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "assignments"
# The student copy keeps an untouched copy of assignments/ here: students write their answers in
# assignments/ itself, and `validate` needs the release's own test cells to judge them.
RELEASE_COPY_DIRECTORY = ".released"
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


def find_release_root(start: Path | None = None) -> Path:
    """The course whose releases ``autodiff-course validate`` reads, from ``start``.

    In the instructor's repository that is :func:`find_course_root`'s answer. The student copy
    (``autodiff-course student-copy``) has ``assignments/`` and no ``solutions/``: there it is
    the nearest folder at or above ``start`` holding ``assignments/``, else the copy this package
    was imported from.
    """
    try:
        return find_course_root(start)
    except CourseError:
        pass
    here = (start or Path.cwd()).resolve()
    checkout = Path(__file__).resolve().parent.parent
    for folder in (*(here, *here.parents), checkout):
        if (folder / RELEASE_DIRECTORY).is_dir():
            return folder
    raise CourseError(
        f"no course found from {here}: no folder above it holds {SOURCE_DIRECTORY}/ or "
        f"{RELEASE_DIRECTORY}/"
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


# query parameters that carry a secret (libpq's password, sslpassword; drivers' passwd, pwd ...)
_SECRET_KEY = re.compile(r"pass|pwd|secret|token", re.IGNORECASE)
_USERINFO = re.compile(r"^(?P<head>[\w+.-]+://[^:/@?]*):(?P<password>.*)@(?P<tail>[^@]*)$",
                       re.DOTALL)
_KEYWORD_SECRET = re.compile(r"(?:^|\s)\w*(?:pass|pwd)\w*\s*=\s*('[^']*'|\S+)", re.IGNORECASE)
HIDDEN = "(database URL not shown)"


def _masked_query(text: str) -> str:
    def hide(match: re.Match) -> str:
        key = match.group(2)
        return match.group(1) + key + ("=***" if _SECRET_KEY.search(unquote(key)) else
                                       match.group(3))

    return re.sub(r"([?&;])([^=&;]*)(=[^&;]*)?", hide, text)


def url_secrets(url: str) -> list[str]:
    """Every secret in ``url`` as it may appear in text: raw, percent-decoded and re-quoted.

    The password between ``user:`` and the last ``@`` (whatever it holds: ``:``, ``@``, ``/``,
    percent escapes), what SQLAlchemy parses as the password, and the value of every query
    parameter named like a password (``?password=...``).
    """
    found: set[str] = set()
    userinfo = _USERINFO.match(url)
    if userinfo and userinfo.group("password"):
        found.add(userinfo.group("password"))
    found.update(v for k, v in re.findall(r"[?&;]([^=&;]*)=([^&;]*)", url)
                 if _SECRET_KEY.search(unquote(k)) and v)
    # a libpq "key=value" string (not a URL, never shown, but it may end up in a message)
    found.update(v.strip("'") for v in _KEYWORD_SECRET.findall(url) if v.strip("'"))
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        # with an unquoted "@" in the password SQLAlchemy reads only a piece of it: keep the whole
        if parsed.password and not any(str(parsed.password) in f for f in found):
            found.add(str(parsed.password))
        found.update(str(v) for k, v in parsed.query.items()
                     if _SECRET_KEY.search(k) and v and isinstance(v, str))
    except Exception:  # noqa: BLE001 - an unparseable URL: the raw forms above still count
        pass
    forms = set()
    for secret in found:
        forms.update({secret, unquote(secret), quote(unquote(secret), safe=""),
                      quote(unquote(secret))})
    return sorted((f for f in forms if f), key=len, reverse=True)


def mask_password(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and logs.

    Masks whatever sits between ``user:`` and the last ``@`` (a password with an unquoted ``@``
    or ``/`` included) and every password-like query parameter. What cannot be read as a
    ``scheme://`` URL (a libpq ``key=value`` string, say) is not shown at all, and neither is a
    URL whose masked form would still hold a secret.
    """
    if not re.match(r"^[\w+.-]+://", url):
        return HIDDEN
    userinfo = _USERINFO.match(url)
    masked = (f"{userinfo.group('head')}:***@{userinfo.group('tail')}" if userinfo else url)
    head, mark, query = masked.partition("?")
    masked = head + (_masked_query(mark + query) if mark else "")
    if any(len(secret) > 2 and secret in masked for secret in url_secrets(url)):
        return HIDDEN
    return masked


def redact(text: str, url: str | None = None) -> str:
    """``text`` (an error message, a log line) with the URL masked and every secret removed.

    The secrets are those of ``url`` and the ``PGPASSWORD`` of this process, in every form they
    may take; drivers do not print passwords, but a message that quotes the URL would.
    """
    text = str(text)
    if url:
        text = text.replace(url, mask_password(url))
    secrets = url_secrets(url) if url else []
    if os.environ.get("PGPASSWORD"):
        secrets.append(os.environ["PGPASSWORD"])
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
