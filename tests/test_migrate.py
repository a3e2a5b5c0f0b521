"""``autodiff-course migrate``: an assignment changed mid-term keeps its hand grades.

One mini course, three students graded (``--no-sandbox``: the sandbox is not the point here) and
hand-graded in the gradebook as Formgrader would. Then one edit of solutions/ does everything a
term brings: a new automatic part, an automatic part re-weighted 3 -> 6, a written part
re-weighted 2 -> 1 below a hand score given, a written part removed, a new written part. Two
copies of that workspace are migrated, one straight through and one interrupted after its
backup and finished by a second run; both must end in the numbers worked out below.

Points before: double-tests 2, slope-tests 3, why-written 2 (hand), derive-written 1 (hand) = 8.
After: double-tests 2, double-more-tests 1, slope-tests 6, why-written 1, new-written 2 = 12.
"""

from __future__ import annotations

import copy
import json
import shutil
import sqlite3

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from pipeline_fixtures import (
    MINI,
    REPO,
    cell,
    mini_notebook,
    put,
    read_rows,
    run_cli,
    with_answer,
)

from autodiff_course import batch, gradebook, migrate
from autodiff_course.layout import CourseError, Workspace
from autodiff_course.ledger import Ledger
from autodiff_course.notebooks import fill_answers
from autodiff_course.records import GradingOptions
from autodiff_course.release import released_notebook

HAND = {("ada", "why-written"): 1.5, ("ada", "derive-written"): 1.0, ("bob", "why-written"): 1.0}
COMMENT = "Good: the h terms cancel."
TRUSTED = GradingOptions(sandbox=False)


def _written(grade_id: str, points: float):
    return new_markdown_cell(
        f"### BEGIN SOLUTION\nAnswer for {grade_id}.\n### END SOLUTION",
        metadata={"nbgrader": {"grade": True, "solution": True, "locked": False,
                               "grade_id": grade_id, "schema_version": 3, "points": points}})


def before_notebook():
    nb = mini_notebook()
    nb.cells.insert(len(nb.cells) - 1, _written("derive-written", 1))
    return nb


def after_notebook():
    nb = copy.deepcopy(before_notebook())
    tests = cell(nb, "double-tests")
    more = new_code_cell(
        "from autodiff_course.checking import expect_close, student\n"
        'expect_close(student.eval("double(-1.5)"), -3.0, "double(-1.5)")',
        metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                               "grade_id": "double-more-tests", "schema_version": 3,
                               "points": 1}})
    nb.cells.insert(nb.cells.index(tests) + 1, more)
    cell(nb, "slope-tests").metadata.nbgrader["points"] = 6
    cell(nb, "why-written").metadata.nbgrader["points"] = 1
    nb.cells.remove(cell(nb, "derive-written"))
    nb.cells.insert(len(nb.cells) - 1, _written("new-written", 2))
    return nb


def write_course(root, nb):
    for folder, content in (("solutions", nb), ("assignments", released_notebook(nb))):
        path = root / folder / MINI / f"{MINI}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(content, str(path))


def hand_grade(ws: Workspace) -> None:
    """What a grader enters in Formgrader: manual scores and a comment."""
    with gradebook.opened(ws) as gb:
        for (student, name), score in HAND.items():
            grade = gb.find_grade(name, MINI, MINI, student)
            grade.manual_score, grade.needs_manual_grade = score, False
        gb.find_comment("why-written", MINI, MINI, "ada").manual_comment = COMMENT
        gb.db.commit()


def state(ws_path):
    """Every number a migration may change: grades.csv and the gradebook, per student."""
    ws = Workspace.at(ws_path)
    rows = {s: (float(r["score"]), float(r["max_score"]), float(r["pending_manual"]), r["status"])
            for (s, _), r in read_rows(ws.grades_csv).items()}
    cells = {}
    with gradebook.opened(ws) as gb:
        for sub in gb.find_assignment(MINI).submissions:
            nb = sub.notebooks[0]
            cells[sub.student.id] = {g.name: (g.auto_score, g.manual_score, g.max_score,
                                              g.needs_manual_grade) for g in nb.grades}
            total = gradebook.totals(nb)
            cells[sub.student.id]["totals"] = (total.score, total.max_score, total.pending)
            cells[sub.student.id]["comment"] = gb.find_comment(
                "why-written", MINI, MINI, sub.student.id).manual_comment
    return rows, cells


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """The graded, hand-graded workspace, then solutions/ changed (nothing migrated yet)."""
    base = tmp_path_factory.mktemp("migrate")
    root = base / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    source = before_notebook()
    write_course(root, source)
    release = released_notebook(source)
    subs = base / "submissions"
    full = fill_answers(release, source)
    put(subs, "ada", MINI, full)
    put(subs, "bob", MINI, with_answer(full, "double-answer",
                                       "def double(x):\n    return 3 * x"))
    put(subs, "cy", MINI, fill_answers(release, source, keep=1))
    ws = base / "ws"
    batch.autograde(subs, root=root, workspace=ws, options=TRUSTED, progress=False,
                    log=lambda _: None)
    hand_grade(Workspace.at(ws))
    before = state(ws)
    write_course(root, after_notebook())
    return root, ws, before


def test_before_the_change_the_hand_grades_count(term):
    _, _, (rows, cells) = term
    assert rows["ada"] == (5.0, 8.0, 3.0, "graded")  # grades.csv: as autograde wrote it
    assert cells["ada"]["totals"] == (7.5, 8.0, 0.0)  # the gradebook: hand grades entered
    assert cells["bob"]["totals"] == (4.0, 8.0, 1.0)
    assert cells["cy"]["totals"] == (2.0, 8.0, 0.0)  # untouched written answers: 0


def test_dry_run_reports_the_changes_and_changes_nothing(term):
    root, ws, before = term
    printed = []
    migrate.migrate(root, ws, dry_run=True, log=printed.append)
    text = "\n".join(printed)
    for line in ("part added: double-more-tests (1 point, automatic)",
                 "part added: new-written (2 points, graded by hand)",
                 "part removed: derive-written (1 point, graded by hand)",
                 "part re-weighted: slope-tests 3 -> 6 points (automatic)",
                 "part re-weighted: why-written 2 -> 1 point (graded by hand)",
                 "worth 8 -> 12 points",
                 "hand grade would be clipped: ada 00-mini/00-mini/why-written 1.5 -> 1",
                 "hand grade would be dropped (part removed): ada 00-mini/00-mini/derive-written",
                 "dry run: nothing was changed"):
        assert line in text, text
    assert state(ws) == before
    assert not (Workspace.at(ws).state / migrate.BACKUPS).exists()


def test_autograde_on_the_changed_solutions_names_migrate(term, tmp_path):
    root, ws, before = term
    copied = tmp_path / "ws"
    shutil.copytree(ws, copied)
    with pytest.raises(CourseError) as stopped:  # the CLI's exit 2
        batch.autograde(ws.parent / "submissions", root=root, workspace=copied, options=TRUSTED,
                        progress=False, log=lambda _: None)
    assert f"run autodiff-course migrate {copied}" in str(stopped.value)
    assert state(copied) == before


EXPECTED_ROWS = {  # score, max, pending, status
    "ada": (10.0, 12.0, 0.0, "graded"),  # 2 + 1 + 6 auto, why-written 1.5 clipped to 1
    "bob": (7.0, 12.0, 0.0, "graded"),  # double wrong: 0 + 0 + 6, why-written 1 kept
    "cy": (3.0, 12.0, 0.0, "graded"),  # 2 + 1 + 0; why-written and new-written not answered
}  # new-written is not in any submission (they predate it): 0 until answered or graded by hand


@pytest.fixture(scope="module")
def migrated(term, tmp_path_factory):
    root, ws, _ = term
    copied = tmp_path_factory.mktemp("straight") / "ws"
    shutil.copytree(ws, copied)
    printed = []
    summary = migrate.migrate(root, copied, options=TRUSTED, progress=False,
                              log=printed.append)
    return copied, "\n".join([*printed, migrate.report(summary, Workspace.at(copied))])


def test_migrate_rescores_every_part_and_keeps_hand_grades(migrated):
    ws, printed = migrated
    rows, cells = state(ws)
    assert rows == EXPECTED_ROWS
    assert {s: c["totals"] for s, c in cells.items()} == {s: r[:3] for s, r in rows.items()}
    ada, bob, cy = cells["ada"], cells["bob"], cells["cy"]
    assert set(ada) == {"double-tests", "double-more-tests", "slope-tests", "why-written",
                        "new-written", "comment", "totals"}
    assert ada["double-more-tests"] == (1.0, None, 1.0, False)  # new part scored
    assert ada["slope-tests"] == (6.0, None, 6.0, False)  # re-weighted auto part scaled
    assert bob["double-more-tests"][0] == 0.0 and bob["slope-tests"][0] == 6.0
    assert ada["why-written"][1:] == (1.0, 1.0, False)  # clipped to the new maximum
    assert bob["why-written"][1:] == (1.0, 1.0, False)  # within it: kept
    assert cy["why-written"][1:] == (None, 1.0, False)  # left as released: 0, not pending
    assert all(c["new-written"][1:] == (None, 2.0, False) for c in cells.values())
    assert ada["comment"] == COMMENT
    assert "hand grades: 1 kept, 1 clipped, 1 dropped; 1 comment kept" in printed
    assert ("clipped: ada 00-mini/00-mini/why-written 1.5 -> 1 (the part is now worth 1 "
            "point, was 2)") in printed
    assert "dropped (score, the part was removed): ada 00-mini/00-mini/derive-written 1" in printed
    assert "ada 00-mini/00-mini: 7.5 -> 10 of 12" in printed
    assert ("new part graded by hand, not in any submission made before it (0 until answered "
            "or graded by hand): 00-mini/00-mini/new-written") in printed
    assert "3 submissions re-graded" in printed
    with sqlite3.connect(Workspace.at(ws).state / "ledger.sqlite") as ledger:
        stored = {s: json.loads(r)[0]["score"] for s, r in ledger.execute(
            "SELECT student, rows FROM graded WHERE assignment = ?", (MINI,))}
    assert stored == {s: r[0] for s, r in EXPECTED_ROWS.items()}  # no stale entry kept


def test_the_backup_holds_every_hand_grade_and_is_marked_finished(migrated):
    ws, printed = migrated
    [path] = (Workspace.at(ws).state / migrate.BACKUPS).glob("migration-*.json")
    assert f"backup of the hand grades: {path}" in printed
    data = json.loads(path.read_text())
    assert data["finished"]
    saved = {s["student"]: s["notebooks"][MINI] for s in data["assignments"][MINI]["submissions"]}
    assert {(s, c): g["manual_score"] for s, nb in saved.items()
            for c, g in nb["grades"].items()} == HAND
    assert saved["ada"]["comments"] == {"why-written": COMMENT}


def test_a_second_migrate_finds_nothing_to_do(migrated, term):
    root, _, _ = term
    ws, _ = migrated
    before = state(ws)
    printed = []
    summary = migrate.migrate(root, ws, log=printed.append)
    assert summary.backup is None
    assert printed == ["the gradebook matches solutions/ for 00-mini: nothing to migrate"]
    assert state(ws) == before
    assert len(list((Workspace.at(ws).state / migrate.BACKUPS).glob("*.json"))) == 1


def test_an_interrupted_migrate_is_finished_by_the_next_run(term, migrated, tmp_path,
                                                            monkeypatch):
    root, ws, _ = term
    copied = tmp_path / "ws"
    shutil.copytree(ws, copied)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    # stopped at the worst moment: backup written, every submission removed, nothing reloaded
    monkeypatch.setattr(gradebook, "ensure_assignments", crash)
    with pytest.raises(KeyboardInterrupt):
        migrate.migrate(root, copied, options=TRUSTED, log=lambda _: None)
    monkeypatch.undo()
    [(path, data)] = migrate.pending(Workspace.at(copied))
    assert not data["finished"]
    with gradebook.opened(Workspace.at(copied)) as gb:
        assert gb.find_assignment(MINI).submissions == []
    # an autograde run now would grade every student again, not reuse a grade of the old one
    assert Ledger(Workspace.at(copied)).count() == 0
    printed = []
    migrate.migrate(root, copied, dry_run=True, log=printed.append)
    assert printed[0] == f"an interrupted migration of {MINI} is pending {path}"
    assert printed[-1] == ("dry run: nothing was changed; run without --dry-run to finish the "
                           "migration")
    assert migrate.pending(Workspace.at(copied)) == [(path, data)]
    result = run_cli("migrate", copied, "--course-root", root, "--no-sandbox", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"finishing the interrupted migration of {MINI} from its backup {path}" \
        in result.stdout
    assert "hand grades: 1 kept, 1 clipped, 1 dropped" in result.stdout
    assert state(copied) == state(migrated[0])
    assert migrate.pending(Workspace.at(copied)) == []


def test_autograde_refuses_a_reweight_below_a_hand_grade_and_migrate_clips_it(term, tmp_path):
    """nbgrader lets a reload change a part's points under existing submissions (only adding or
    removing cells is refused), which would leave a hand score above the part's new points:
    autograde refuses and names migrate, which clips it and says so."""
    root, ws, _ = term
    course, copied = tmp_path / "course", tmp_path / "ws"
    shutil.copytree(root, course)
    shutil.copytree(ws, copied)
    nb = before_notebook()
    cell(nb, "why-written").metadata.nbgrader["points"] = 1
    write_course(course, nb)
    before = state(copied)
    with pytest.raises(CourseError, match=r"fewer points to parts already graded by hand "
                       r"\(ada 00-mini/why-written 1.5 > 1\): run autodiff-course migrate"):
        gradebook.ensure_assignments(Workspace.at(copied), course, [MINI], log=lambda _: None)
    assert state(copied) == before  # nothing was reloaded

    summary = migrate.migrate(course, copied, options=TRUSTED, progress=False,
                              log=lambda _: None)
    assert [(p.student, p.cell, p.old, p.new) for p in summary.clipped] == [
        ("ada", "why-written", 1.5, 1.0)]
    rows, cells = state(copied)
    assert rows == {"ada": (7.0, 7.0, 0.0, "graded"), "bob": (4.0, 7.0, 1.0, "graded"),
                    "cy": (2.0, 7.0, 0.0, "graded")}
    assert cells["ada"]["why-written"][1:] == (1.0, 1.0, False)
    assert cells["ada"]["derive-written"][1:] == (1.0, 1.0, False)


def test_a_workspace_without_a_gradebook_or_an_unknown_assignment_is_refused(term, tmp_path):
    root, ws, _ = term
    with pytest.raises(CourseError, match="holds no gradebook: nothing to migrate"):
        migrate.migrate(root, tmp_path, log=lambda _: None)
    with pytest.raises(CourseError, match="unknown assignment 99-none: solutions/ has 00-mini"):
        migrate.migrate(root, ws, assignments=["99-none"], log=lambda _: None)
