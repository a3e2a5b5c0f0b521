"""``autodiff-course export``: a hand-written grades.csv into each LMS's import layout.

Nothing is graded: the workspace holds only grades.csv, as the grader would have written it
(two assignments, one of two notebooks; a late penalty already in a score; a missing notebook;
manual points still pending; a student whose folder name reads like a spreadsheet formula).
"""

from __future__ import annotations

import csv

import pytest

from autodiff_course.cli import main

HEADER = ("student,assignment,notebook,score,max_score,status,message,pending_manual,seconds,"
          "late_penalty,collected\n")
GRADES = HEADER + """\
alice,01-a,nb1,8,10,graded,,0,1.00,0,2026-01-01T10:00:00+00:00
alice,01-a,nb2,4.5,5,graded,,0,1.00,0,2026-01-01T10:00:00+00:00
alice,02-b,02-b,7,7,graded,,0,1.00,0,2026-01-01T10:00:00+00:00
bob,01-a,nb1,10,10,graded,,0,1.00,0,2026-01-01T10:00:00+00:00
bob,01-a,nb2,5,5,graded,,0,1.00,0,2026-01-01T10:00:00+00:00
bob,02-b,02-b,3,7,graded,,0,1.00,1,2026-01-03T10:00:00+00:00
carol,01-a,nb1,6,10,graded,,0,1.00,0,2026-01-01T10:00:00+00:00
carol,01-a,nb2,0,5,missing,no nb2.ipynb in the submission,0,0.00,0,
carol,02-b,02-b,5,7,graded,,2,1.00,0,2026-01-01T10:00:00+00:00
=2+3,01-a,nb1,1,10,graded,,0,1.00,0,2026-01-01T10:00:00+00:00
=2+3,01-a,nb2,0,5,graded,,0,1.00,0,2026-01-01T10:00:00+00:00
=2+3,02-b,02-b,0,7,missing,no 02-b/ folder in the submission,0,0.00,0,
"""
CANVAS_ROSTER = """\
student,Name,ID,SIS User ID,SIS Login ID,Section
bob,Bob Builder,101,S101,bob@uni.example,A
alice,Alice Liddell,100,S100,alice@uni.example,B
erin,Erin Absent,104,S104,erin@uni.example,A
"""
MOODLE_ROSTER = """\
student,email,idnumber
alice,alice@uni.example,S100
carol,carol@uni.example,S102
"""


@pytest.fixture
def ws(tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "grades.csv").write_text(GRADES)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # nothing may land in the current folder
    return workspace


def rows(path) -> list[list[str]]:
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_canvas_without_roster_goes_into_the_workspace(ws, capsys):
    assert main(["export", str(ws), "--format", "canvas"]) == 0
    out, err = capsys.readouterr()
    path = ws / "exports" / "canvas.csv"
    assert rows(path) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01-a", "02-b"],
        ["Points Possible", "", "", "", "", "15", "7"],
        ["'=2+3", "", "", "'=2+3", "", "1", "0"],  # the formula is text, not run
        ["alice", "", "", "alice", "", "12.5", "7"],
        ["bob", "", "", "bob", "", "15", "3"],
        ["carol", "", "", "carol", "", "6", ""],  # manual points pending: left empty
    ]
    assert f"4 students x 2 assignments -> {path} (canvas)" in out
    assert "no --roster" in err and "carol (02-b)" in err
    assert not list((ws.parent / "cwd").iterdir())


def test_canvas_with_roster_uses_the_lms_ids(ws, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(CANVAS_ROSTER)
    target = tmp_path / "out" / "to-canvas.csv"
    assert main(["export", str(ws), "--format", "canvas", "--roster", str(roster),
                 "--output", str(target)]) == 0
    err = capsys.readouterr().err
    assert rows(target) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01-a", "02-b"],
        ["Points Possible", "", "", "", "", "15", "7"],
        ["Bob Builder", "101", "S101", "bob@uni.example", "A", "15", "3"],
        ["Alice Liddell", "100", "S100", "alice@uni.example", "B", "12.5", "7"],
        ["Erin Absent", "104", "S104", "erin@uni.example", "A", "", ""],
    ]
    assert "not in the roster, left out: '=2+3, carol" in err
    assert "never graded, left empty: erin" in err
    assert "manual points" not in err  # carol's pending grade is not in this file
    assert not (ws / "exports").exists()


def test_moodle_layout(ws, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(MOODLE_ROSTER)
    assert main(["export", str(ws), "--format", "moodle", "--roster", str(roster)]) == 0
    assert rows(ws / "exports" / "moodle.csv") == [
        ["ID number", "Email address", "01-a", "02-b"],
        ["S100", "alice@uni.example", "12.5", "7"],
        ["S102", "carol@uni.example", "6", ""],
    ]


def test_plain_csv_with_totals(ws):
    assert main(["export", str(ws), "--format", "csv"]) == 0
    assert rows(ws / "exports" / "csv.csv") == [
        ["student", "01-a", "02-b", "total"],
        ["'=2+3", "1", "0", "1"],
        ["alice", "12.5", "7", "19.5"],
        ["bob", "15", "3", "18"],
        ["carol", "6", "", ""],
    ]


@pytest.mark.parametrize("args, message", [
    (["--format", "blackboard"], "unknown format 'blackboard': use one of canvas, moodle, csv"),
    (["--format", "canvas", "--roster", "missing.csv"], "cannot read the roster missing.csv"),
])
def test_bad_input_is_one_line_and_exit_2(ws, capsys, args, message):
    assert main(["export", str(ws), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("autodiff-course export: ") and message in err


def test_missing_grades_csv_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--format", "canvas"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "grades.csv does not exist: grade first" in err


def test_roster_without_student_column_is_refused(ws, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("email,idnumber\na@x,1\n")
    assert main(["export", str(ws), "--format", "moodle", "--roster", str(roster)]) == 2
    assert "has no 'student' column" in capsys.readouterr().err
