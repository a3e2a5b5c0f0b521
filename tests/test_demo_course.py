"""``autodiff-course demo``: release, sample submissions, autograde, gradebook, on the mini course.

The demo on the real topics is ``make demo``; here it runs on the mini course (through the
command line) so that every sample status is checked in well under a minute, and the sample
builder is checked on every real topic without grading.
"""

from __future__ import annotations

import json

import pytest
from pipeline_fixtures import MINI, REPO, make_mini_course, run_cli

from autodiff_course.demo import SAMPLE_STUDENTS, write_samples
from autodiff_course.layout import assignment_ids
from autodiff_course.notebooks import is_answer, read
from autodiff_course.report import read_csv

EXPECTED = {
    "complete": ("graded", 5), "partial": ("graded", 2), "untouched": ("graded", 0),
    "broken": ("unreadable", 0), "crashing": ("crashed", 0), "cheating": ("graded", 0),
    "missing": ("missing", 0),
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    root = make_mini_course(base / "course")
    result = run_cli("demo", "--course-root", root, "--workspace", base / "kept", "--jobs", "2")
    return result, base / "kept"


def test_demo_grades_every_sample(demo_run):
    result, kept = demo_run
    assert result.returncode == 0, result.stderr
    rows = {r.student: r for r in read_csv(kept / "workspace" / "grades.csv")}
    assert set(rows) == set(SAMPLE_STUDENTS)
    for student, (status, score) in EXPECTED.items():
        assert (rows[student].status, rows[student].score) == (status, score), rows[student]


def test_demo_prints_the_gradebook(demo_run):
    result, _ = demo_run
    out = result.stdout
    assert "gradebook" in out and MINI in out
    assert "5/7+2?" in out  # complete: 5 automatic points, 2 written points awaiting a person
    for student in SAMPLE_STUDENTS:
        assert student in out


@pytest.mark.parametrize("topic", assignment_ids(REPO))
def test_samples_for_real_topics(tmp_path, topic):
    """Samples from the committed release (no grading): complete differs in every answer."""
    release = REPO / "assignments"
    if not (release / topic).is_dir():
        pytest.fail(f"assignments/{topic} missing: run `autodiff-course release {topic}`")
    write_samples(REPO, tmp_path, [topic])
    released = read(release / topic / f"{topic}.ipynb")
    complete = read(tmp_path / "complete" / topic / f"{topic}.ipynb")
    untouched = read(tmp_path / "untouched" / topic / f"{topic}.ipynb")
    answers = [(a, b) for a, b in zip(released.cells, complete.cells, strict=True) if is_answer(a)]
    assert answers and all(a.source != b.source for a, b in answers)
    assert "BEGIN SOLUTION" not in json.dumps(complete)
    assert untouched.cells == released.cells
    with pytest.raises(json.JSONDecodeError):
        json.loads((tmp_path / "broken" / topic / f"{topic}.ipynb").read_text())
    assert not list((tmp_path / "missing" / topic).glob("*.ipynb"))


def test_without_bwrap_the_demo_says_so_and_still_grades(tmp_path):
    import sys
    from pathlib import Path

    root = make_mini_course(tmp_path / "course")
    result = run_cli("demo", "--course-root", root, "--workspace", tmp_path / "kept", "--jobs",
                     "1", extra_env={"PATH": str(Path(sys.executable).parent)})
    assert result.returncode == 0, result.stderr
    assert "bubblewrap (bwrap) is not installed, so the demo runs its own sample students " \
           "WITHOUT a sandbox" in result.stdout
    rows = {r.student: r for r in read_csv(tmp_path / "kept" / "workspace" / "grades.csv")}
    assert rows["complete"].score == 5 and rows["cheating"].score == 0
