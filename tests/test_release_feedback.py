"""Feedback goes back through nbgrader's exchange: submitted with nbgrader's own Submit code,
released by ``autodiff-course release-feedback``, fetched with nbgrader's own Fetch Feedback code.

No grading runs here: the workspace's kept submission and feedback page are written directly, as
the grader leaves them. What is checked is the hand-back: the right page reaches the right
student, and nothing reaches anyone else.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from traitlets.config import Config

from autodiff_course.feedback_release import page_name, release
from autodiff_course.layout import COURSE_ID, Workspace
from tests.pipeline_fixtures import CLI, env

ASSIGNMENT = "00-mini"
ME = getpass.getuser()


def _config(tmp: Path, student_home: Path) -> Config:
    c = Config()
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.assignment_id = ASSIGNMENT
    c.Exchange.root = str(tmp / "exchange")
    c.Exchange.cache = str(student_home / "cache")
    c.Exchange.assignment_dir = str(student_home)
    return c


def _submit(tmp: Path, text: str) -> Path:
    """The student's Submit button: nbgrader's ExchangeSubmit on their copy of the assignment."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeSubmit

    home = tmp / "student"
    (home / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    (home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text(text)
    c = _config(tmp, home)
    c.ExchangeSubmit.strict = False
    submit = ExchangeSubmit(coursedir=CourseDirectory(config=c),
                            authenticator=Authenticator(config=c), config=c)
    submit.start()
    inbound = tmp / "exchange" / COURSE_ID / "inbound"
    [folder] = [p for p in inbound.glob(f"{ME}+{ASSIGNMENT}+*") if not p.is_symlink()]
    return folder


def _fetch_feedback(tmp: Path) -> list[Path]:
    """The student's Fetch Feedback: nbgrader's ExchangeFetchFeedback."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchFeedback

    home = tmp / "student"
    c = _config(tmp, home)
    fetch = ExchangeFetchFeedback(coursedir=CourseDirectory(config=c),
                                  authenticator=Authenticator(config=c), config=c)
    fetch.start()
    return sorted((home / ASSIGNMENT / "feedback").rglob("*.html"))


def _graded(ws: Workspace, student: str, submitted: bytes, page: str) -> None:
    """What the grader leaves for one student: the file as handed in and its feedback page."""
    kept = ws.submitted / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(submitted)
    html = ws.feedback / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(page)


@pytest.fixture
def exchange(tmp_path) -> Path:
    (tmp_path / "exchange" / COURSE_ID / "inbound").mkdir(parents=True)
    released = tmp_path / "exchange" / COURSE_ID / "outbound" / ASSIGNMENT
    released.mkdir(parents=True)
    (released / f"{ASSIGNMENT}.ipynb").write_text("{}")
    return tmp_path / "exchange"


def test_the_graded_submission_gets_its_page_through_fetch_feedback(tmp_path, exchange):
    ws = Workspace.at(tmp_path / "ws")
    inbound = _submit(tmp_path, '{"my": "work"}')
    _graded(ws, ME, (inbound / f"{ASSIGNMENT}.ipynb").read_bytes(), "<p>your feedback</p>")

    done = release(ws, exchange)

    assert done.published == [(ME, ASSIGNMENT, ASSIGNMENT)] and not done.skipped
    fetched = _fetch_feedback(tmp_path)
    assert [p.read_text() for p in fetched] == ["<p>your feedback</p>"]
    folder = exchange / COURSE_ID / "feedback"
    assert oct(folder.stat().st_mode & 0o777) == "0o711"  # others may enter, never list


def test_feedback_on_another_version_is_not_released(tmp_path, exchange):
    ws = Workspace.at(tmp_path / "ws")
    _submit(tmp_path, '{"handed": "in later"}')
    _graded(ws, ME, b'{"graded": "earlier"}', "<p>feedback on the earlier version</p>")

    done = release(ws, exchange)

    assert not done.published
    assert any("another version was graded" in s for s in done.skipped)
    assert _fetch_feedback(tmp_path) == []


def test_a_folder_named_after_a_classmate_does_not_get_the_classmates_page(tmp_path, exchange):
    """inbound/ is writable by every student: a forged folder with a copy of a classmate's
    notebook and a secret of the forger's choosing must not receive the classmate's feedback."""
    ws = Workspace.at(tmp_path / "ws")
    victim = "root" if ME != "root" else "daemon"  # a real user of this machine, not us
    notebook = b'{"victim": "work"}'
    _graded(ws, victim, notebook, "<p>the victim's feedback</p>")
    forged = exchange / COURSE_ID / "inbound" / f"{victim}+{ASSIGNMENT}+2026-01-01 00:00:00+x"
    forged.mkdir()
    (forged / f"{ASSIGNMENT}.ipynb").write_bytes(notebook)
    (forged / "submission_secret.txt").write_text("chosen-by-the-forger")

    done = release(ws, exchange)

    assert not done.published
    assert any("owned by another user" in s for s in done.skipped)
    assert not (exchange / COURSE_ID / "feedback" / page_name("chosen-by-the-forger",
                                                              ASSIGNMENT)).exists()


def test_links_in_inbound_are_not_followed(tmp_path, exchange):
    ws = Workspace.at(tmp_path / "ws")
    real = _submit(tmp_path, '{"my": "work"}')
    _graded(ws, ME, (real / f"{ASSIGNMENT}.ipynb").read_bytes(), "<p>mine</p>")
    moved = tmp_path / "elsewhere"
    shutil.move(real, moved)
    os.symlink(moved, real)

    done = release(ws, exchange)

    assert not done.published and any("links are not followed" in s for s in done.skipped)


def test_the_command_releases_and_says_what_it_left_out(tmp_path, exchange):
    ws = Workspace.at(tmp_path / "ws")
    inbound = _submit(tmp_path, '{"my": "work"}')
    _graded(ws, ME, (inbound / f"{ASSIGNMENT}.ipynb").read_bytes(), "<p>yours</p>")
    other = exchange / COURSE_ID / "inbound" / f"{ME}+01-other+2026-01-01 00:00:00+y"
    other.mkdir()
    (other / "submission_secret.txt").write_text("s")
    (other / "01-other.ipynb").write_text("{}")

    done = subprocess.run([*CLI, "release-feedback", str(ws.path), "--exchange", str(exchange)],
                          capture_output=True, text=True, env=env(), timeout=120)

    assert done.returncode == 0, done.stderr
    assert "released 1 feedback pages" in done.stdout
    assert "01-other.ipynb: not graded yet" in done.stdout


def test_a_workspace_with_nothing_graded_is_one_clear_line(tmp_path, exchange):
    done = subprocess.run([*CLI, "release-feedback", str(tmp_path / "empty"), "--exchange",
                           str(exchange)], capture_output=True, text=True, env=env(), timeout=120)
    assert done.returncode == 2
    assert "grade first with `autodiff-course autograde" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
