"""The round trip on the real topics, through the command line, as an instructor runs it.

A scratch course root gets a copy of solutions/ (every topic present); ``autodiff-course release``
generates its assignments/; for each topic a submission is built from the release with the
instructor's answers typed in, next to the untouched release; ``autodiff-course autograde
--jobs 2`` grades them. Complete work gets every automatic point (written answers wait for a
person), untouched work gets zero. The command's usage errors are checked too.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from pipeline_fixtures import REPO, put, read_rows, run_cli

from autodiff_course.layout import assignment_ids
from autodiff_course.notebooks import fill_answers, points, read
from autodiff_course.preprocessors import hidden_lines, visible_lines

TOPICS = assignment_ids(REPO)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    base = tmp_path_factory.mktemp("round-trip")
    root = base / "course"
    shutil.copytree(REPO / "solutions", root / "solutions")
    released = run_cli("release", "--course-root", root)
    assert released.returncode == 0, released.stderr
    submissions = base / "submissions"
    for topic in TOPICS:
        source = read(root / "solutions" / topic / f"{topic}.ipynb")
        release = read(root / "assignments" / topic / f"{topic}.ipynb")
        put(submissions, "complete", topic, fill_answers(release, source))
        put(submissions, "untouched", topic, release)
    workspace = base / "workspace"
    graded = run_cli("autograde", submissions, "--course-root", root, "--workspace", workspace,
                     "--jobs", "2", "--timeout", "120")
    return {"root": root, "released": released, "graded": graded, "workspace": workspace,
            "submissions": submissions,
            "rows": read_rows(workspace / "grades.csv") if graded.returncode == 0 else {}}


def test_there_are_topics_to_grade():
    assert TOPICS, "solutions/ holds no assignment"


def test_release_and_autograde_succeed(round_trip):
    assert round_trip["graded"].returncode == 0, round_trip["graded"].stderr
    for topic in TOPICS:
        assert f"released {topic}" in round_trip["released"].stdout
        assert (round_trip["root"] / "assignments" / topic / f"{topic}.ipynb").is_file()
    assert "grades:" in round_trip["graded"].stdout


@pytest.mark.parametrize("topic", TOPICS)
def test_complete_submission_gets_every_automatic_point(round_trip, topic):
    row = round_trip["rows"][("complete", topic)]
    total, manual = points(read(REPO / "solutions" / topic / f"{topic}.ipynb"))
    assert row["status"] == "graded", row["message"]
    assert float(row["max_score"]) == total
    assert float(row["score"]) == total - manual, row["message"]
    assert float(row["pending_manual"]) == manual
    assert row["message"].startswith("all tests passed"), row["message"]


@pytest.mark.parametrize("topic", TOPICS)
def test_untouched_release_gets_zero(round_trip, topic):
    row = round_trip["rows"][("untouched", topic)]
    assert row["status"] == "graded", row["message"]
    assert float(row["score"]) == 0 and float(row["pending_manual"]) == 0, row["message"]


@pytest.mark.parametrize("topic", TOPICS)
def test_feedback_has_no_hidden_test_lines(round_trip, topic):
    """Every hidden line the student cannot see elsewhere must be absent from the feedback."""
    source = read(REPO / "solutions" / topic / f"{topic}.ipynb")
    secret = set()
    for c in source.cells:
        secret |= hidden_lines(c.source)
    assert secret, "the topic has no hidden tests"
    for student in ("complete", "untouched"):
        submitted = read(round_trip["submissions"] / student / topic / f"{topic}.ipynb")
        visible = set()
        for c in submitted.cells:
            visible |= visible_lines(c.source)
        page = round_trip["workspace"] / "feedback" / student / topic / f"{topic}.html"
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", page.read_text())).split())
        assert "BEGIN HIDDEN TESTS" not in text
        distinctive = {s for s in secret if not any(s in line for line in visible)}
        leaked = [line for line in distinctive if line in text]
        assert not leaked, (student, leaked[:3])


def test_the_tracked_tree_is_not_touched(round_trip):
    workspace = round_trip["workspace"]
    for folder in ("submitted", "autograded", "feedback"):
        assert (workspace / folder).is_dir()
    assert (workspace / "gradebook.db").is_file()
    assert not (round_trip["root"] / "submitted").exists()
    assert not (round_trip["root"] / "gradebook.db").exists()


# --- the command's errors: exit 2 with a message saying what to fix -------------------------

def test_autograde_without_the_submissions_folder(tmp_path):
    result = run_cli("autograde", tmp_path / "nowhere", "--workspace", tmp_path / "ws")
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "SUBMISSIONS/<student>" in result.stderr


def test_autograde_with_an_empty_folder(tmp_path):
    (tmp_path / "subs").mkdir()
    result = run_cli("autograde", tmp_path / "subs", "--workspace", tmp_path / "ws")
    assert result.returncode == 2
    assert "no student folders" in result.stderr


def test_autograde_with_an_unknown_assignment(tmp_path):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    result = run_cli("autograde", tmp_path / "subs", "--assignment", "99-nothing",
                     "--workspace", tmp_path / "ws")
    assert result.returncode == 2
    assert "unknown assignment 99-nothing" in result.stderr


def test_autograde_with_folders_that_are_not_assignments(tmp_path):
    (tmp_path / "subs" / "ann" / "homework").mkdir(parents=True)
    result = run_cli("autograde", tmp_path / "subs", "--workspace", tmp_path / "ws")
    assert result.returncode == 2
    assert "no submissions for any assignment" in result.stderr


def test_release_of_an_unknown_assignment(tmp_path):
    result = run_cli("release", "99-nothing")
    assert result.returncode == 2
    assert "unknown assignment 99-nothing" in result.stderr


def test_course_root_must_hold_solutions(tmp_path):
    result = run_cli("release", "--course-root", tmp_path)
    assert result.returncode == 2
    assert "no solutions/ folder" in result.stderr


def test_workspace_default_is_the_ignored_grading_folder():
    from autodiff_course.layout import default_workspace

    assert default_workspace(REPO) == (REPO / "grading").resolve()
    assert "grading/" in (REPO / ".gitignore").read_text().split()


def test_nbgrader_config_describes_the_layout(tmp_path, monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("AUTODIFF_COURSE_WORKSPACE", str(tmp_path / "elsewhere"))
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    course = config.CourseDirectory
    assert (course.source_directory, course.release_directory) == ("solutions", "assignments")
    assert Path(course.root) == REPO
    for folder in ("submitted_directory", "autograded_directory", "feedback_directory"):
        assert Path(course[folder]).is_absolute()
        assert Path(course[folder]).parent == tmp_path / "elsewhere"
    assert course.db_url == f"sqlite:///{tmp_path / 'elsewhere' / 'gradebook.db'}"


def test_a_grading_kernel_that_cannot_start_stops_the_tool(tmp_path):
    """50 MB of address space is too little for Python: exit 2 before any student is graded."""
    from pipeline_fixtures import MINI, make_mini_course

    root = make_mini_course(tmp_path / "course")
    (tmp_path / "subs" / "ann" / MINI).mkdir(parents=True)
    result = run_cli("autograde", tmp_path / "subs", "--course-root", root,
                     "--workspace", tmp_path / "ws", "--memory-mb", "50")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "grading kernel" in result.stderr and "--memory-mb" in result.stderr
    assert not (tmp_path / "ws" / "grades.csv").exists()
