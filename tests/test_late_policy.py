"""The late policy in ``course.toml``: what it takes off (numbers computed by hand), how a bad
file is refused, and how autograde applies it from the collection time, into nbgrader's own
columns, again on every run and never twice.

The grading test needs no sleeping and no clock mocking: the deadline is written between the
recorded collection times of two ``collect`` runs, and extensions move single students'
deadlines.
"""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pipeline_fixtures import MINI, make_mini_course, put, read_rows, run_cli

from autodiff_course import batch
from autodiff_course.collect import collect
from autodiff_course.late import Decision, LatePolicy, load, parse
from autodiff_course.layout import CourseError, Workspace
from autodiff_course.notebooks import fill_answers, read
from autodiff_course.picks import pick
from autodiff_course.records import GradingOptions

D = datetime(2026, 10, 5, 23, 59, tzinfo=UTC)


def _policy(**late) -> LatePolicy:
    return parse({"late": late, "deadlines": {MINI: D}}, [MINI])


def test_per_day_takes_the_amount_for_every_started_day_beyond_the_grace():
    policy = _policy(grace_minutes=15, penalty="per-day", amount=1.5)
    late = policy.decide(MINI, "ada", D + timedelta(days=1, hours=3), 5.0, 7.0)
    assert late.penalty == 3.0  # 1 day 3 h: 2 started days x 1.5
    assert late.note == ("late by 1 day 3 h (grace 15 min): -3 points (2 started days x 1.5)")
    assert policy.decide(MINI, "ada", D + timedelta(minutes=16), 5.0, 7.0).penalty == 1.5
    within = policy.decide(MINI, "ada", D + timedelta(minutes=14), 5.0, 7.0)
    assert within.penalty == 0 and within.note == ("late by 14 min, within the grace period "
                                                   "(15 min): no penalty")
    for on_time in (D, D - timedelta(days=3)):
        assert policy.decide(MINI, "ada", on_time, 5.0, 7.0) == Decision(0.0, 0.0, "")
    assert policy.decide("other", "ada", D + timedelta(days=9), 5.0, 7.0).penalty == 0


def test_per_hour_as_a_share_of_the_max_score_and_never_below_zero():
    policy = _policy(penalty="per-hour", amount="10%")
    hours = policy.decide(MINI, "ada", D + timedelta(hours=2, minutes=30), 5.0, 7.0)
    assert hours.penalty == pytest.approx(2.1)  # 3 started hours x 10% of 7 points
    assert "-2.1 points (3 started hours x 10% of 7)" in hours.note
    capped = policy.decide(MINI, "ada", D + timedelta(hours=20), 1.5, 7.0)
    assert capped.penalty == 1.5 and "capped at the score" in capped.note
    zero = _policy(penalty="zero").decide(MINI, "ada", D + timedelta(seconds=1), 4.5, 7.0)
    assert zero.penalty == 4.5 and "scored 0" in zero.note
    none = _policy(penalty="none").decide(MINI, "ada", D + timedelta(hours=5), 4.5, 7.0)
    assert none.penalty == 0 and none.note.startswith("late by 5 h (no grace): no penalty")


def test_an_extension_moves_one_students_deadline():
    policy = parse({"late": {"penalty": "per-day", "amount": 2},
                    "deadlines": {MINI: "2026-10-05T23:59:00+00:00"},
                    "extensions": {MINI: {"ada": "2026-10-08T01:59:00+02:00"}}}, [MINI])
    assert policy.deadline(MINI, "ada") == D + timedelta(days=2)
    assert policy.decide(MINI, "ada", D + timedelta(days=1), 5.0, 7.0).penalty == 0
    late = policy.decide(MINI, "ada", D + timedelta(days=2, hours=1), 5.0, 7.0)
    assert late.penalty == 2 and late.note.startswith("late by 1 h (extended deadline)")
    assert policy.decide(MINI, "bob", D + timedelta(days=1), 5.0, 7.0).penalty == 2
    assert policy.decide(MINI, "bob", D + timedelta(days=1, seconds=1), 5.0, 7.0).penalty == 4


@pytest.mark.parametrize("text, message", [
    ('[deadlines]\n"01-nothing" = 2026-10-05T23:59:00Z',
     "course.toml: [deadlines] '01-nothing' is not an assignment of this course; use one of "
     "00-mini"),
    ('[deadlines]\n"00-mini" = 2026-10-05T23:59:00',
     "course.toml: [deadlines] '00-mini' has no time zone; add one, e.g. "
     "2026-10-05T23:59:00+01:00 or 2026-10-05T23:59:00Z"),
    ('[deadlines]\n"00-mini" = "5 Oct"',
     "course.toml: [deadlines] '00-mini' is not an ISO 8601 time ('5 Oct'); write e.g. "
     "2026-10-05T23:59:00+01:00"),
    ('[late]\npenalty = "per-day"\namount = -1',
     "course.toml: [late] amount is negative or not finite (-1); write points (1.5) or a share "
     'of the max score ("10%"), 0 or more'),
    ('[late]\npenalty = "per-day"', 'course.toml: [late] amount is missing (penalty = '
     "'per-day' needs it); write points per started period (1.5) or a share of the max score "
     '("10%")'),
    ('[late]\npenalty = "half"',
     "course.toml: [late] penalty is 'half'; write one of 'none', 'zero', 'per-day', "
     "'per-hour'"),
    ("[late]\ngrace = 15", "course.toml: [late] grace is not a setting; use grace_minutes, "
     "penalty, amount"),
    ("[late]\ngrace_minutes = -5", "course.toml: [late] grace_minutes must be a number of "
     "minutes, 0 or more (-5); write e.g. grace_minutes = 15"),
    ('[deadlines]\n"00-mini" = 2026-10-05T23:59:00Z\n[extensions."00-mini"]\n'
     "ada = 2026-10-01T00:00:00Z",
     "course.toml: [extensions.'00-mini'] ada is before the assignment's deadline; write a "
     "time after 2026-10-05T23:59:00+00:00"),
    ("[late\n", "course.toml is not valid TOML"),
])
def test_a_bad_course_toml_is_refused_in_one_line(tmp_path, text, message):
    (tmp_path / "course.toml").write_text(text)
    with pytest.raises(CourseError) as err:
        load(tmp_path, [MINI])
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_no_course_toml_means_no_deadlines(tmp_path):
    assert load(tmp_path, [MINI]) == LatePolicy()


def _collected(ws: Path) -> dict[str, datetime]:
    data = json.loads((ws / ".autodiff-course" / "collected.json").read_text())
    return {k.split("/")[0]: datetime.fromisoformat(v["first_seen"]) for k, v in data.items()
            if k.endswith(f"/{MINI}")}


def _write_policy(root: Path, deadline: datetime, late: str, extension: datetime) -> None:
    (root / "course.toml").write_text(textwrap.dedent(f"""\
        [late]
        {late}

        [deadlines]
        "{MINI}" = {deadline.isoformat()}

        [extensions."{MINI}"]
        dan = "{extension.isoformat()}"
        """))


def _gradebook(ws: Path) -> dict[str, tuple]:
    """Per student: (penalty, nbgrader's score after it, seconds late, extension, duedate)."""
    from nbgrader.api import Gradebook

    gb = Gradebook(Workspace.at(ws).db_url, "autodiff-course")
    try:
        found = {}
        for student in ("ada", "bob", "dan", "eve"):
            sub = gb.find_submission(MINI, student)
            penalty = sub.late_submission_penalty
            found[student] = (penalty, max(0.0, sub.score - penalty), sub.total_seconds_late,
                              sub.extension, sub.assignment.duedate)
        return found
    finally:
        gb.close()
        gb.engine.dispose()


def test_autograde_applies_the_policy_from_the_collection_time(tmp_path):
    root = make_mini_course(tmp_path / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    answered = fill_answers(release, read(root / "solutions" / MINI / f"{MINI}.ipynb"))
    on_time, late, ws = tmp_path / "first", tmp_path / "second", tmp_path / "ws"
    put(on_time, "ada", MINI, answered)
    put(on_time, "eve", MINI, release)
    put(on_time, "eve", MINI, answered, name=f"{MINI}-Copy1.ipynb")
    put(late, "bob", MINI, answered)
    put(late, "dan", MINI, answered)
    for source in (on_time, late):
        collect(source, root=root, workspace=ws)
    times = _collected(ws)
    deadline = times["eve"] + (times["bob"] - times["eve"]) / 2  # between the two collections
    assert max(times["ada"], times["eve"]) < deadline < min(times["bob"], times["dan"])
    extension = deadline + timedelta(days=1)
    _write_policy(root, deadline, 'penalty = "per-day"\namount = 1.5', extension)
    pick(root, Workspace.at(ws), "eve", MINI, f"{MINI}-Copy1.ipynb")

    def autograde() -> tuple[str, dict]:
        """In this process (the CLI's own path is tested in test_autograde_cli.py): each
        re-run then costs no imports."""
        outcome = batch.autograde(ws / "submitted", root=root, workspace=ws,
                                  options=GradingOptions(sandbox=False), progress=False,
                                  log=lambda line: None)
        return batch.summary(outcome), read_rows(ws / "grades.csv")

    out, rows = autograde()
    assert "this run: 4 notebooks graded" in out
    assert "1 submissions hold notebooks beside the graded one" in out
    assert "late penalties (course.toml): 1 notebooks, 1.5 points off in all" in out
    scores = {s: (float(rows[(s, MINI)]["score"]), float(rows[(s, MINI)]["late_penalty"]))
              for s in ("ada", "bob", "dan", "eve")}
    # 5 automatic points each; bob is late by under a second: 1 started day x 1.5 points
    assert scores == {"ada": (5, 0), "bob": (3.5, 1.5), "dan": (5, 0), "eve": (5, 0)}
    bob = rows[("bob", MINI)]
    assert bob["message"].startswith("late by ") and "(no grace): -1.5 points (1 started day" \
        in bob["message"]
    assert "picked by the instructor" in rows[("eve", MINI)]["message"]
    for student in times:
        assert datetime.fromisoformat(rows[(student, MINI)]["collected"]) == times[student]
    book = _gradebook(ws)
    assert book["bob"][:2] == (1.5, 3.5) and book["bob"][2] > 0
    assert book["ada"][:3] == (0.0, 5.0, 0)
    assert book["dan"][:3] == (0.0, 5.0, 0) and book["dan"][3] == timedelta(days=1)
    assert book["ada"][4] == deadline.replace(tzinfo=None)  # nbgrader's naive UTC duedate

    # a grace period: re-applied without grading again, bob's penalty is gone (not doubled)
    _write_policy(root, deadline, 'grace_minutes = 15\npenalty = "per-day"\namount = 1.5',
                  extension)
    out, rows = autograde()
    assert "this run: 0 notebooks graded, 4 up to date" in out
    assert (rows[("bob", MINI)]["score"], rows[("bob", MINI)]["late_penalty"]) == ("5", "0")
    assert rows[("bob", MINI)]["message"].count("late by") == 1
    assert "within the grace period (15 min): no penalty" in rows[("bob", MINI)]["message"]
    assert _gradebook(ws)["bob"][:2] == (0.0, 5.0)

    # zero after the deadline
    _write_policy(root, deadline, 'penalty = "zero"', extension)
    out, rows = autograde()
    assert (rows[("bob", MINI)]["score"], rows[("bob", MINI)]["late_penalty"]) == ("0", "5")
    assert (rows[("ada", MINI)]["score"], rows[("dan", MINI)]["score"]) == ("5", "5")
    assert "picked by the instructor" in rows[("eve", MINI)]["message"]  # the pick holds
    assert _gradebook(ws)["bob"][:2] == (5.0, 0.0)

    # no course.toml any more: nobody is late, nothing of the old policy is left
    (root / "course.toml").unlink()
    out, rows = autograde()
    assert {s: (r["score"], r["late_penalty"]) for (s, _), r in rows.items()} == {
        s: ("5", "0") for s in ("ada", "bob", "dan", "eve")}
    assert not any("late by" in r["message"] for r in rows.values())
    assert {s: v[:4] for s, v in _gradebook(ws).items()} == {
        s: (0.0, 5.0, 0, None) for s in ("ada", "bob", "dan", "eve")}

    # a bad policy stops the run before anything is done, in one line
    _write_policy(root, deadline.replace(tzinfo=None), 'penalty = "zero"', extension)
    bad = run_cli("autograde", ws / "submitted", "--course-root", root, "--workspace", ws,
                  "--no-sandbox")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("autodiff-course autograde: course.toml: [deadlines] "
                                 "'00-mini' has no time zone")
