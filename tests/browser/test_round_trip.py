"""The student's round trip through nbgrader's Assignment List, then the instructor's autograde.

The course copy is prepared by ``jupyter-config/prepare_lab.py`` exactly as ``make lab`` prepares
a checkout, so the first assignment is already released to the local exchange. In the browser the
student opens Nbgrader > Assignment List, fetches it, completes it (the instructor's answers typed
in through the Jupyter contents API), opens it from the list, runs it, saves it, validates it from
the list and submits it. The instructor then grades what the exchange collected with
``autodiff-course autograde`` and the student's row in grades.csv shows every automatic point
(written answers, graded by hand, are excluded: they show as pending).
"""

from __future__ import annotations

import csv
import getpass
import shutil
import subprocess
import sys
from pathlib import Path

import lab_page as jl
import pytest
from course_files import assignment_ids, assignment_notebooks, fill_answers, read

AUTOGRADE_TIMEOUT_S = 600


def autodiff_course_command() -> list[str]:
    script = Path(sys.executable).parent / "autodiff-course"
    return [str(script)] if script.exists() else [sys.executable, "-m", "autodiff_course.cli"]


def collect_inbound(inbound: Path, assignment: str, submissions: Path) -> dict[str, Path]:
    """Lay the exchange's inbound submissions out as SUBMISSIONS/<student>/<id>/<notebook>.

    nbgrader names each hand-in ``<student>+<assignment>+<timestamp>+<random>``; the latest one
    per student wins, as with ``nbgrader collect``.
    """
    latest: dict[str, tuple[str, Path]] = {}
    for folder in inbound.iterdir():
        parts = folder.name.split("+")
        if len(parts) < 3 or parts[1] != assignment:
            continue
        student, timestamp = parts[0], parts[2]
        if student not in latest or timestamp > latest[student][0]:
            latest[student] = (timestamp, folder)
    collected = {}
    for student, (_, folder) in latest.items():
        target = submissions / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        for notebook in folder.glob("*.ipynb"):
            shutil.copy2(notebook, target / notebook.name)
        collected[student] = target
    return collected


def test_fetch_complete_validate_submit_and_autograde(lab, page, source_root, tmp_path):
    ids = [a for a in assignment_ids(source_root)
           if (source_root / "assignments" / a).is_dir()]
    if not ids:
        pytest.fail("no released assignment in assignments/: run `autodiff-course release`",
                    pytrace=False)
    assignment = ids[0]
    names = assignment_notebooks(source_root, assignment)
    student = getpass.getuser()

    # Fetch from the Assignment List.
    jl.open_lab(page, lab.url)
    jl.open_assignment_list(page)
    released = jl.assignment_row(page, "released", assignment)
    released.get_by_role("button", name="Fetch").click()
    fetched = jl.assignment_row(page, "fetched", assignment)
    fetched.wait_for(timeout=60_000)
    fetched_folder = lab.student_folder / assignment
    for name in names:
        assert (fetched_folder / name).is_file(), f"Fetch did not create {fetched_folder / name}"

    # Complete: the instructor's answers typed into the fetched copy.
    relative = fetched_folder.relative_to(lab.root)
    for name in names:
        release = read(fetched_folder / name)
        solution = read(source_root / "solutions" / assignment / name)
        lab.write_notebook(f"{relative}/{name}", fill_answers(release, solution))

    # Open the first notebook from the list, run it, save it, come back to the list.
    jl.show_notebooks(page, fetched).click()
    jl.wait_ready(page, f"{relative}/{names[0]}", len(read(fetched_folder / names[0]).cells))
    jl.run_all(page)
    assert not jl.unexecuted_cells(page), "the completed notebook stopped before its last cell"
    jl.save(page)
    page.locator(".lm-TabBar-tab", has_text="Assignments").click()

    # Validate every notebook from the list, then submit.
    validate_buttons = fetched.locator(".nested_list_item").get_by_role("button", name="Validate")
    if not validate_buttons.first.is_visible():
        jl.show_notebooks(page, fetched)
    assert validate_buttons.count() == len(names), (
        f"{validate_buttons.count()} Validate buttons in the list for {len(names)} notebooks")
    for button in validate_buttons.all():
        button.click()
        result = jl.read_validation_dialog(page)
        assert result.outcome == "success", f"Validate in the Assignment List: {result.text}"
    fetched.get_by_role("button", name="Submit").click()
    submitted = jl.assignment_row(page, "submitted", assignment)
    submitted.wait_for(timeout=60_000)

    # The instructor grades what the exchange collected.
    inbound = lab.exchange / "autodiff-course" / "inbound"
    submissions = tmp_path / "submissions"
    collected = collect_inbound(inbound, assignment, submissions)
    assert student in collected, f"no hand-in from {student} in {inbound}"
    workspace = tmp_path / "workspace"
    # the sandbox suite tests bubblewrap; this test is about the Lab's round trip, so it also
    # runs where bwrap is not installed (CI installs it: there the sandbox is used)
    no_sandbox = [] if shutil.which("bwrap") else ["--no-sandbox"]
    done = subprocess.run(
        [*autodiff_course_command(), "autograde", str(submissions), "--workspace", str(workspace),
         "--course-root", str(lab.root), "--assignment", assignment, "--no-progress",
         *no_sandbox],
        cwd=lab.root, env=lab.env, capture_output=True, text=True, timeout=AUTOGRADE_TIMEOUT_S,
    )
    assert done.returncode == 0, f"autograde failed:\n{done.stdout}\n{done.stderr}"
    with open(workspace / "grades.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle)
                if r["student"] == student and r["assignment"] == assignment]
    assert sorted(r["notebook"] for r in rows) == sorted(Path(n).stem for n in names), rows
    for row in rows:
        score, maximum = float(row["score"]), float(row["max_score"])
        manual = float(row["pending_manual"] or 0)
        assert row["status"] == "graded", row
        assert maximum > manual, row
        assert score == maximum - manual, (
            f"{student} {assignment}/{row['notebook']}: {score} of the {maximum - manual} "
            f"automatic points ({manual} graded by hand): {row['message']}")

    page.console.assert_clean()
