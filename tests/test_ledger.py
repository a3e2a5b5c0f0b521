"""The content hashes behind incremental grading, and the typed status in grades.csv.

What counts as a change: a submission's cells (not its outputs or cell ids), the assignment's
tests and given code in solutions/, the grader's source, the grading options. The ledger keeps
one entry per (student, assignment), whatever is written twice.
"""

from __future__ import annotations

import copy

import nbformat
from pipeline_fixtures import MINI, cell, make_mini_course

from autodiff_course import ledger as hashes
from autodiff_course.layout import Workspace
from autodiff_course.ledger import Ledger, fingerprint, grader_version
from autodiff_course.limits import Limits
from autodiff_course.notebooks import fill_answers, read
from autodiff_course.records import GradingOptions, Status, Task
from autodiff_course.report import Row, read_csv, write_csv


def _task(nb) -> Task:
    return Task("ada", MINI, {MINI: nbformat.from_dict(copy.deepcopy(nb))}, {MINI: []})


def test_only_cells_and_what_grades_them_count(tmp_path):
    root = make_mini_course(tmp_path / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    nb = fill_answers(release, read(root / "solutions" / MINI / f"{MINI}.ipynb"))
    tests, grader, options = hashes.tests_version(root, MINI), grader_version(), GradingOptions()
    base = fingerprint(_task(nb), tests, grader, options)

    rerun = copy.deepcopy(nb)
    for index, c in enumerate(rerun.cells):
        c["id"] = f"new{index}"
        if c.cell_type == "code":
            c.execution_count = 3
            c.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n")]
    assert fingerprint(_task(rerun), tests, grader, options) == base

    edited = copy.deepcopy(nb)
    cell(edited, "double-answer").source += "\n# changed"
    assert fingerprint(_task(edited), tests, grader, options) != base
    assert fingerprint(_task(nb), tests, grader, GradingOptions(timeout=5)) != base
    assert fingerprint(_task(nb), tests, grader,
                       GradingOptions(limits=Limits(memory_mb=100))) != base
    assert fingerprint(_task(nb), tests, "another grader", options) != base

    source = root / "solutions" / MINI / f"{MINI}.ipynb"
    instructor = read(source)
    cell(instructor, "slope-tests").source += "\nassert True"
    nbformat.write(instructor, str(source))
    assert hashes.tests_version(root, MINI) != tests


def test_the_grader_version_follows_its_source(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "b.py").write_text("y = 2\n")
    before = grader_version(package)
    assert grader_version(package) == before
    (package / "sub" / "b.py").write_text("y = 3\n")
    assert grader_version(package) != before


def test_an_entry_written_twice_is_one_entry(tmp_path):
    ledger = Ledger(Workspace.at(tmp_path / "ws"))
    row = Row("ada", MINI, MINI, 5.0, 7.0, Status.GRADED, "all tests passed", 2.0, 0.5)
    ledger.store("ada", MINI, "h1", [row])
    ledger.store("ada", MINI, "h1", [row])
    assert ledger.count() == 1
    assert ledger.rows("ada", MINI, "h1") == [row]
    assert ledger.rows("ada", MINI, "h2") is None
    ledger.drop("ada", MINI)
    assert ledger.rows("ada", MINI, "h1") is None
    ledger.close()


def test_grades_csv_holds_the_status_words_and_reads_back_the_enum(tmp_path):
    path = tmp_path / "grades.csv"
    write_csv(path, [Row("ada", MINI, MINI, 0.0, 7.0, Status.TIMED_OUT, "slow")])
    assert "timed-out" in path.read_text().splitlines()[1].split(",")
    (row,) = read_csv(path)
    assert row.status is Status.TIMED_OUT
    path.write_text(path.read_text().replace("timed-out", "exploded"))
    assert read_csv(path)[0].status is Status.CRASHED
