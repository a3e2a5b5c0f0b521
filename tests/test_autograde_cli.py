"""``autodiff-course autograde`` as an instructor meets it before any student code runs: the
sandbox is required (or explicitly declined, with a warning every run), usage errors exit 2 with
what to fix, and plain ``nbgrader autograde`` is refused.

These run without bubblewrap (the sandbox itself is tested in tests/sandbox/); the one grading
run here uses ``--no-sandbox`` on the mini course.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pipeline_fixtures import MINI, make_mini_course, orphan_kernels, put, read_rows, run_cli

from autodiff_course.batch import NO_SANDBOX_WARNING
from autodiff_course.notebooks import fill_answers, read

NO_BWRAP = {"PATH": str(Path(sys.executable).parent)}  # the venv's tools, and no bwrap


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    root = make_mini_course(base / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    source = read(root / "solutions" / MINI / f"{MINI}.ipynb")
    submissions = base / "submissions"
    put(submissions, "ada", MINI, fill_answers(release, source))
    return root, submissions, base


def test_without_bwrap_autograde_stops_and_says_how_to_install_it(course):
    root, submissions, base = course
    result = run_cli("autograde", submissions, "--course-root", root, "--workspace",
                     base / "ws-none", extra_env=NO_BWRAP)
    assert result.returncode == 2
    assert "bubblewrap (bwrap) is not installed" in result.stderr
    assert "apt-get install bubblewrap" in result.stderr and "--no-sandbox" in result.stderr
    assert not (base / "ws-none" / "grades.csv").exists()


def test_no_sandbox_grades_and_warns_every_time(course):
    root, submissions, base = course
    result = run_cli("autograde", submissions, "--course-root", root, "--workspace",
                     base / "ws", "--no-sandbox", "--no-progress", extra_env=NO_BWRAP)
    assert result.returncode == 0, result.stdout + result.stderr
    assert NO_SANDBOX_WARNING in result.stdout and NO_SANDBOX_WARNING in result.stderr
    assert "kernels: no sandbox" in result.stdout
    row = read_rows(base / "ws" / "grades.csv")[("ada", MINI)]
    assert (row["status"], float(row["score"]), float(row["pending_manual"])) == ("graded", 5, 2)
    assert orphan_kernels() == [], "a kernel (the one started ahead?) outlived the batch"



@pytest.mark.parametrize("args, message", [
    (["--assignment", "99-nothing"], "unknown assignment 99-nothing"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--timeout", "0"], "--timeout must be at least 1 second"),
])
def test_usage_errors_exit_2_with_what_to_fix(course, args, message):
    root, submissions, base = course
    result = run_cli("autograde", submissions, "--course-root", root, "--workspace",
                     base / "ws-usage", "--no-sandbox", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_a_missing_submissions_folder_and_a_workspace_over_the_course(course, tmp_path):
    root, submissions, _ = course
    missing = run_cli("autograde", tmp_path / "nowhere", "--course-root", root, "--workspace",
                      tmp_path / "ws", "--no-sandbox")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    over = run_cli("autograde", submissions, "--course-root", root, "--workspace", root,
                   "--no-sandbox")
    assert over.returncode == 2 and "must not be the course root" in over.stderr


def test_plain_nbgrader_autograde_is_refused(course):
    root, _, base = course
    submitted = base / "plain" / "submitted" / "ada" / MINI
    submitted.mkdir(parents=True)
    (submitted / f"{MINI}.ipynb").write_text(
        (base / "submissions" / "ada" / MINI / f"{MINI}.ipynb").read_text())
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    from autodiff_course import environment
    from autodiff_course.config import configure
    from autodiff_course.gradebook import ensure_assignments
    from autodiff_course.layout import Workspace

    environment.prepare()  # nbgrader runs a bare `alembic`
    workspace = Workspace.at(base / "plain")
    ensure_assignments(workspace, root, [MINI], log=lambda _: None)
    config = configure(Config(), root, workspace)
    result = NbGraderAPI(config=config).autograde(MINI, "ada", force=True, create=True)
    assert not result["success"]
    assert "autodiff-course autograde" in (result.get("log") or "") + (result.get("error") or "")
