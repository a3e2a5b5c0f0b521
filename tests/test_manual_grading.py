"""Written answers round trip: flagged by autograde, graded by a person (Formgrader or
``grade-by-hand``), and the hand grade reaches grades.csv, the tables and the feedback pages
without grading again; re-grading keeps it; a changed written answer is flagged again.

One mini-course batch (ada and cy complete, bob partial with HTML in his written answer) is graded
once, without the sandbox (the sandbox is not the point here); each test works on a copy.
"""

from __future__ import annotations

import shutil
import socket
from types import SimpleNamespace

import pytest
from nbgrader.api import Gradebook
from pipeline_fixtures import MINI, make_mini_course, put, read_rows, run_cli, with_answer

from autodiff_course import batch, cli, formgrader, grades
from autodiff_course.late import LatePolicy
from autodiff_course.layout import COURSE_ID, Workspace
from autodiff_course.notebooks import fill_answers, read
from autodiff_course.records import NotebookResult, Status

BOB_ANSWER = "Because <b>h</b> & its square: the odd terms cancel."


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("manual")
    root = make_mini_course(base / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    source = read(root / "solutions" / MINI / f"{MINI}.ipynb")
    submissions = base / "submissions"
    put(submissions, "ada", MINI, fill_answers(release, source))
    put(submissions, "bob", MINI, with_answer(fill_answers(release, source, keep=1),
                                               "why-written", BOB_ANSWER))
    put(submissions, "cy", MINI, fill_answers(release, source))
    done = run_cli("autograde", submissions, "--course-root", root, "--workspace", base / "ws",
                   "--no-sandbox", "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    return SimpleNamespace(root=root, release=release, source=source, submissions=submissions,
                           ws=base / "ws", autograde=done.stdout)


@pytest.fixture
def ws(graded, tmp_path):
    shutil.copytree(graded.ws, tmp_path / "ws")
    return Workspace.at(tmp_path / "ws")


def formgrader_grade(ws: Workspace, student: str, points: float) -> None:
    """What Formgrader's grade API does when a score is typed in (nbgrader's GradeHandler.put)."""
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        grade = gb.find_grade("why-written", MINI, MINI, student)
        grade.manual_score = points
        grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
        gb.db.commit()


def row(ws: Workspace, student: str) -> dict[str, str]:
    return read_rows(ws.grades_csv)[(student, MINI)]


def part_row(ws: Workspace, student: str) -> str:
    page = (ws.feedback / student / MINI / f"{MINI}.html").read_text()
    return page[page.index("<tr><td>why-written</td>"):].split("</tr>")[0]


def test_an_ungraded_written_answer_is_pending_never_zero(graded):
    ws = Workspace.at(graded.ws)
    ada = row(ws, "ada")
    assert (float(ada["score"]), float(ada["max_score"]), float(ada["pending_manual"])) == (5, 7, 2)
    assert "5/7, 2 pending" in graded.autograde and "(+" not in graded.autograde
    assert "<td>– / 2</td><td><span class='pending'>pending: graded by hand</span>" \
        in part_row(ws, "ada")
    assert "0 / 2" not in part_row(ws, "ada")


def test_a_formgrader_grade_reaches_grades_csv_with_the_grades_command(ws, capsys):
    formgrader_grade(ws, "ada", 1.5)
    assert float(row(ws, "ada")["score"]) == 5  # the reported problem: nothing carried it over

    assert cli.main(["grades", str(ws.path)]) == 0
    out = capsys.readouterr().out
    ada = row(ws, "ada")
    assert (float(ada["score"]), float(ada["pending_manual"])) == (6.5, 0)
    assert "await manual grading" not in ada["message"]
    assert float(row(ws, "bob")["pending_manual"]) == 2
    table = {line.split()[0]: line for line in out.splitlines() if line.startswith(("ada", "bob"))}
    assert "6.5/7 " in table["ada"] and "pending" not in table["ada"]
    assert "2/7, 2 pending" in table["bob"]
    assert ("waiting for a hand grade: 00-mini: 2 written answers (4 points) of 2 students"
            in out)
    # the feedback page shows the hand score, not "pending"
    assert "<td>1.5 / 2</td><td><span class='pass'>graded by hand</span>" in part_row(ws, "ada")
    assert "pending" not in part_row(ws, "ada")
    # a hand grade taken back in Formgrader (score emptied) is pending again
    formgrader_grade(ws, "ada", None)
    grades.refresh(ws)
    assert (float(row(ws, "ada")["score"]), float(row(ws, "ada")["pending_manual"])) == (5, 2)
    assert "pending: graded by hand" in part_row(ws, "ada")


def test_pending_lists_the_answers_and_grade_by_hand_enters_one(ws, capsys):
    assert cli.main(["pending", str(ws.path)]) == 0
    out = capsys.readouterr().out
    assert f"bob  {MINI}/{MINI}  why-written  (2 points)\n    {BOB_ANSWER}" in out
    assert "waiting for a hand grade: 00-mini: 3 written answers (6 points) of 3 students" in out

    assert cli.main(["grade-by-hand", str(ws.path), "--student", "bob", "--assignment", MINI,
                     "--cell", "why-written", "--points", "1", "--comment",
                     "Which terms, and why <odd>?"]) == 0
    out = capsys.readouterr().out
    assert "bob why-written: 1 point by hand: 00-mini now 3/7" in out
    bob = row(ws, "bob")
    assert (float(bob["score"]), float(bob["pending_manual"])) == (3, 0)
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        assert gb.find_grade("why-written", MINI, MINI, "bob").manual_score == 1.0
        assert gb.find_comment("why-written", MINI, MINI, "bob").manual_comment == \
            "Which terms, and why <odd>?"
    assert "<pre>Which terms, and why &lt;odd&gt;?</pre>" in part_row(ws, "bob")
    assert cli.main(["pending", str(ws.path)]) == 0
    assert "bob" not in capsys.readouterr().out


@pytest.mark.parametrize("change, message", [
    ({"--student": "zoe"}, "no graded submission of 00-mini from 'zoe' (submissions from: "
                           "ada, bob, cy); written answers: 00-mini: why-written (2 points)"),
    ({"--assignment": "99-x"}, "unknown assignment '99-x': the gradebook has 00-mini: "
                               "why-written (2 points)"),
    ({"--cell": "essay"}, "00-mini has no written answer 'essay'; written answers: 00-mini: "
                          "why-written (2 points)"),
    ({"--cell": "double-tests"}, "'double-tests' of 00-mini is graded automatically by its tests"),
    ({"--points": "2.5"}, "--points 2.5 is outside 0..2 for why-written of 00-mini/00-mini"),
    ({"--points": "-1"}, "--points -1 is outside 0..2"),
    ({"--points": "nan"}, "--points nan is not a number of points"),
])
def test_grade_by_hand_refuses_bad_input_in_one_line(graded, change, message, capsys):
    args = {"--student": "ada", "--assignment": MINI, "--cell": "why-written", "--points": "1"}
    args.update(change)
    before = graded.ws.joinpath("gradebook.db").read_bytes()
    assert cli.main(["grade-by-hand", str(graded.ws), *[x for kv in args.items() for x in kv]]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert graded.ws.joinpath("gradebook.db").read_bytes() == before


def test_the_commands_refuse_a_workspace_without_a_gradebook(tmp_path, capsys):
    assert cli.main(["grades", str(tmp_path / "nowhere")]) == 2
    assert "no workspace at" in capsys.readouterr().err
    assert cli.main(["pending", str(tmp_path)]) == 2
    assert "has no gradebook" in capsys.readouterr().err
    assert not (tmp_path / "gradebook.db").exists()


def test_regrading_keeps_hand_grades_and_flags_a_changed_written_answer(graded, ws):
    for student, points in (("ada", 1.5), ("bob", 1.0), ("cy", 2.0)):
        grades.grade_by_hand(ws, student=student, assignment=MINI, cell="why-written",
                             points=points)
    grades.refresh(ws)
    submissions = ws.path.parent / "submissions"
    shutil.copytree(graded.submissions, submissions)
    # ada changes a code answer, bob his written answer, cy nothing; all graded again
    put(submissions, "ada", MINI, with_answer(fill_answers(graded.release, graded.source),
                                              "double-answer", "def double(x):\n    return x + x"))
    put(submissions, "bob", MINI, with_answer(fill_answers(graded.release, graded.source, keep=1),
                                              "why-written", "A second try: h^2 terms remain."))
    done = run_cli("autograde", submissions, "--course-root", graded.root, "--workspace",
                   ws.path, "--no-sandbox", "--no-progress", "--regrade")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "this run: 3 notebooks graded" in done.stdout
    for student, score in (("ada", 6.5), ("cy", 7.0)):
        r = row(ws, student)
        assert (float(r["score"]), float(r["pending_manual"])) == (score, 0), r
        assert "await manual grading" not in r["message"]
    bob = row(ws, "bob")
    assert (float(bob["score"]), float(bob["pending_manual"])) == (2, 2), bob
    assert "written answer 'why-written' changed after its hand grade (1/2)" in bob["message"]
    assert "bob/00-mini: written answer 'why-written' changed" in done.stdout
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        assert gb.find_grade("why-written", MINI, MINI, "ada").manual_score == 1.5
        assert not gb.find_grade("why-written", MINI, MINI, "ada").needs_manual_grade
        assert gb.find_grade("why-written", MINI, MINI, "bob").needs_manual_grade
        assert "graded 1/2 by hand" in gb.find_comment("why-written", MINI, MINI,
                                                       "bob").auto_comment
    assert "1.5 / 2" in part_row(ws, "ada") and "pending" in part_row(ws, "bob")
    assert [w.student for w in grades.waiting(ws)] == ["bob"]
    assert "A second try" in grades.waiting(ws)[0].answer
    # `grades` afterwards agrees with the batch
    assert [(r.student, r.score, r.pending_manual) for r in grades.refresh(ws)] == \
        [("ada", 6.5, 0.0), ("bob", 2.0, 2.0), ("cy", 7.0, 0.0)]

    # bob's new answer graded in Formgrader; a plain re-run grades nothing (all up to date) and
    # still carries that grade to grades.csv and to bob's page
    formgrader_grade(ws, "bob", 2.0)
    done = run_cli("autograde", submissions, "--course-root", graded.root, "--workspace",
                   ws.path, "--no-sandbox", "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "this run: 0 notebooks graded, 3 up to date" in done.stdout
    assert [(float(row(ws, s)["score"]), float(row(ws, s)["pending_manual"]))
            for s in ("ada", "bob", "cy")] == [(6.5, 0), (4, 0), (7, 0)]
    assert "<td>2 / 2</td><td><span class='pass'>graded by hand</span>" in part_row(ws, "bob")
    assert "changed after its hand grade" not in row(ws, "bob")["message"]


def test_a_grader_failure_keeps_the_scores_and_hand_grades(graded, ws):
    grades.grade_by_hand(ws, student="ada", assignment=MINI, cell="why-written", points=2)
    failed = NotebookResult("ada", MINI, MINI, Status.CRASHED,
                            "the grading kernel did not start (tried twice); nothing was scored",
                            retry=True, kernel_start_failed=True)
    reader = SimpleNamespace(max_scores={MINI: {MINI: 7.0}}, times={})
    [r] = batch._write_results(ws, [failed], reader, LatePolicy(), log=lambda _: None)
    assert r.status == Status.CRASHED
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        assert gb.find_grade("why-written", MINI, MINI, "ada").manual_score == 2.0
        assert gb.find_submission_notebook(MINI, MINI, "ada").score == 7.0
    assert (ws.autograded / "ada" / MINI / f"{MINI}.ipynb").is_file()


def test_formgrader_runs_the_lab_configuration_with_formgrader_on_the_workspace(graded):
    ws = Workspace.at(graded.ws, "postgresql+psycopg2://grader@db.example.org/autodiff")
    argv, env = formgrader.command(graded.root, ws, port=8999, open_browser=False,
                                   extra=["--IdentityProvider.token=t"])
    assert env["AUTODIFF_COURSE_WORKSPACE"] == str(graded.ws)
    assert env["AUTODIFF_COURSE_DB_URL"] == "postgresql+psycopg2://grader@db.example.org/autodiff"
    assert env["JUPYTER_CONFIG_DIR"].endswith("jupyter-config")
    assert argv[1:4] == ["-m", "jupyter", "lab"] and "--ip=127.0.0.1" in argv
    assert "--port=8999" in argv and "--no-browser" in argv
    assert argv[-1] == "--IdentityProvider.token=t"
    extensions = [a.split("=", 1)[1] for a in argv if a.startswith("--ServerApp.jpserver_ext")]
    # Formgrader on, and the lab's own choice kept: the Validate button is ours, not nbgrader's
    assert "nbgrader.server_extensions.formgrader=True" in extensions
    assert "autodiff_course.lab_validate=True" in extensions
    assert "nbgrader.server_extensions.validate_assignment=False" in extensions


def test_formgrader_refuses_a_busy_port_and_a_missing_workspace(graded, tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["formgrader", str(graded.ws), "--course-root", str(graded.root),
                         "--port", str(port), "--no-browser"]) == 2
    assert f"port {port} of 127.0.0.1 is in use" in capsys.readouterr().err
    assert cli.main(["formgrader", str(tmp_path / "none"), "--course-root", str(graded.root),
                     "--no-browser"]) == 2
    assert "no workspace at" in capsys.readouterr().err
