"""``autodiff-course collect`` and ``pick``: submissions copied into the workspace with the
grader's own clock as their time, from nbgrader's exchange or from plain folders, and the
instructor's choice of notebook when a student handed in several.

Nothing here grades (tests/test_late_policy.py does): collect and the intake only read files.
"""

from __future__ import annotations

import json
import os
import pwd
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from pipeline_fixtures import MINI, make_mini_course, put, run_cli

from autodiff_course.collect import collect, summary
from autodiff_course.intake import Intake
from autodiff_course.layout import CourseError, Workspace
from autodiff_course.notebooks import fill_answers, read
from autodiff_course.picks import Picks, pick
from autodiff_course.records import Status


@pytest.fixture
def course(tmp_path):
    root = make_mini_course(tmp_path / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    answered = fill_answers(release, read(root / "solutions" / MINI / f"{MINI}.ipynb"))
    return root, release, answered, tmp_path


def _times(ws: Path) -> dict[str, datetime]:
    data = json.loads((ws / ".autodiff-course" / "collected.json").read_text())
    return {k: datetime.fromisoformat(v["first_seen"]) for k, v in data.items()}


def _exchange_submission(inbound: Path, name: str, nb, *, claims: str = "1999-01-01") -> Path:
    folder = inbound / name
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{MINI}.ipynb"))
    (folder / "timestamp.txt").write_text(claims)  # written by the student's side: never read
    return folder


def test_the_newest_exchange_submission_is_collected_at_our_clock(course):
    root, release, answered, base = course
    exchange = base / "exchange"
    inbound = exchange / "autodiff-course" / "inbound"
    # nbgrader's names: <student>+<id>+<timestamp>+<random>; the random part sorts against time
    _exchange_submission(inbound, f"ada+{MINI}+2026-12-01 10:00:00.000000 UTC+zzz", release)
    _exchange_submission(inbound, f"ada+{MINI}+2026-12-01 11:30:00.000000 UTC+aaa", answered)
    _exchange_submission(inbound, f"bob+{MINI}+2026-12-01 09:00:00.000000 UTC+bbb", release,
                         claims="2000-01-01 00:00:00")
    linked = inbound / f"eve+{MINI}+2026-12-01 09:00:00.000000 UTC+ccc"
    linked.mkdir()
    (linked / f"{MINI}.ipynb").symlink_to(root / "solutions" / MINI / f"{MINI}.ipynb")
    _exchange_submission(inbound, f"mal\x1b[31m+{MINI}+2026-12-01 09:00:00.000000 UTC+d",
                         answered)
    (inbound / "notes").mkdir()
    ws = base / "ws"

    before = datetime.now(UTC)
    report = collect(exchange, root=root, workspace=ws)  # the exchange root finds inbound/
    after = datetime.now(UTC)

    assert report.layout == "exchange" and report.source == inbound
    held = ws / "submitted" / "ada" / MINI / f"{MINI}.ipynb"
    assert read(held) == answered  # the 11:30 one, not the one whose random part sorts last
    assert not (ws / "submitted" / "ada" / MINI / "timestamp.txt").exists()
    times = _times(ws)
    assert set(times) == {f"ada/{MINI}/{MINI}", f"bob/{MINI}/{MINI}"}
    assert all(before <= t <= after for t in times.values())  # our clock, not 1999 or 2000
    text = summary(report)
    assert f"{MINI}: 2 new (ada, bob), 0 changed, 0 unchanged" in text
    assert "eve/00-mini: 00-mini.ipynb is a symbolic link" in text
    assert "  mal/00-mini: the student name has control characters" in text
    assert "\x1b" not in text
    assert "ignored: notes (not <student>+<id>+<timestamp>+<random>" in text
    assert not (ws / "submitted" / "eve").exists()


def test_recollecting_keeps_the_time_of_unchanged_content_and_renews_changed(course):
    root, release, answered, base = course
    source, ws = base / "lms", base / "ws"
    put(source, "ada", MINI, answered)
    put(source, "bob", MINI, release)
    first = collect(source, root=root, workspace=ws)
    assert first.layout == "folders"
    times = _times(ws)

    again = collect(source, root=root, workspace=ws)
    assert f"{MINI}: 0 new, 0 changed, 2 unchanged" in summary(again)
    assert _times(ws) == times

    nb = read(source / "ada" / MINI / f"{MINI}.ipynb")
    nb.cells.append(nbformat.v4.new_markdown_cell("one more thought"))
    nbformat.write(nb, str(source / "ada" / MINI / f"{MINI}.ipynb"))
    put(source, "ada", MINI, release, name=f"{MINI}-Copy1.ipynb")
    changed = collect(source, root=root, workspace=ws)
    text = summary(changed)
    assert f"{MINI}: 0 new, 1 changed (ada), 1 unchanged" in text
    assert "ada: also 00-mini-Copy1.ipynb (not graded; `autodiff-course pick`" in text
    renewed = _times(ws)
    assert renewed[f"ada/{MINI}/{MINI}"] > times[f"ada/{MINI}/{MINI}"]
    assert renewed[f"bob/{MINI}/{MINI}"] == times[f"bob/{MINI}/{MINI}"]
    assert read(ws / "submitted" / "ada" / MINI / f"{MINI}.ipynb") == nb

    # the copy mirrors the submission: a notebook the student took back is gone
    (source / "ada" / MINI / f"{MINI}-Copy1.ipynb").unlink()
    collect(source, root=root, workspace=ws)
    assert sorted(p.name for p in (ws / "submitted" / "ada" / MINI).iterdir()) == [
        f"{MINI}.ipynb"]


def test_what_cannot_be_read_is_reported_and_the_rest_collected(course):
    root, release, answered, base = course
    source, ws = base / "lms", base / "ws"
    put(source, "ada", MINI, answered)
    os.mkfifo(put(source, "fifo", MINI, "{}").with_name("pipe.ipynb"))
    (source / "dir" / MINI / f"{MINI}.ipynb").mkdir(parents=True)
    (base / "elsewhere" / MINI).mkdir(parents=True)
    (source / "linked").symlink_to(base / "elsewhere", target_is_directory=True)
    put(source, "huge", MINI, "x" * 10)
    os.truncate(source / "huge" / MINI / f"{MINI}.ipynb", 51 * 1024 * 1024)

    text = summary(collect(source, root=root, workspace=ws))

    assert f"{MINI}: 2 new (ada, fifo), 0 changed, 0 unchanged" in text
    assert "fifo/00-mini: pipe.ipynb is not a regular file; not collected" in text
    assert "dir/00-mini: 00-mini.ipynb is a folder, not a notebook file" in text
    assert "dir/00-mini: no notebook to collect" in text
    assert "linked: the student folder is a symbolic link" in text
    assert "huge/00-mini: 00-mini.ipynb is 53 MB, over the 52 MB limit" in text
    assert sorted(p.name for p in (ws / "submitted").iterdir()) == ["ada", "fifo"]


def test_a_pick_is_checked_kept_and_honoured(course):
    root, release, answered, base = course
    source, ws_path = base / "lms", base / "ws"
    put(source, "eve", MINI, release)
    put(source, "eve", MINI, answered, name=f"{MINI}-Copy1.ipynb")
    put(source, "ada", MINI, answered)
    collect(source, root=root, workspace=ws_path)
    ws = Workspace.at(ws_path)

    with pytest.raises(CourseError) as err:
        pick(root, ws, "eve", MINI, "final.ipynb")
    assert str(err.value) == ("eve/00-mini has no notebook 'final.ipynb': pick one of "
                              "00-mini-Copy1.ipynb, 00-mini.ipynb")
    with pytest.raises(CourseError, match="no submission of zed for 00-mini"):
        pick(root, ws, "zed", MINI, f"{MINI}.ipynb")

    said = pick(root, ws, "eve", MINI, f"{MINI}-Copy1.ipynb")
    assert "grades 00-mini-Copy1.ipynb instead of 00-mini.ipynb" in said
    assert Picks(ws).get("eve", MINI, MINI) == f"{MINI}-Copy1.ipynb"  # kept on disk

    reader = Intake(root, ws, [MINI])
    students = {e.name: e for e in os.scandir(ws.submitted)}
    rows, task = reader.read(students["eve"], MINI)
    assert rows == [] and task is not None
    assert task.notebooks[MINI] == reader.read(students["ada"], MINI)[1].notebooks[MINI]
    assert task.notes[MINI][:2] == [
        "graded 00-mini-Copy1.ipynb, picked by the instructor (expected 00-mini.ipynb)",
        "also found, not graded: 00-mini.ipynb (`autodiff-course pick` grades another)"]
    assert reader.extras == {("eve", MINI): [f"{MINI}.ipynb"]}

    # a later collect keeps the pick and says so
    assert ("eve: autograde grades 00-mini-Copy1.ipynb, picked by the instructor"
            in summary(collect(source, root=root, workspace=ws_path)))

    # the picked file withdrawn: nothing is graded in its place, and the row says what to do
    (source / "eve" / MINI / f"{MINI}-Copy1.ipynb").unlink()
    collect(source, root=root, workspace=ws_path)
    rows, task = Intake(root, ws, [MINI]).read(students["eve"], MINI)
    assert task is None and [r.status for r in rows] == [Status.MISSING]
    assert rows[0].message.startswith("the notebook picked for grading (00-mini-Copy1.ipynb) "
                                      "is not in the submission; pick another")

    assert "(the expected name); no pick recorded" in pick(root, ws, "eve", MINI,
                                                            f"{MINI}.ipynb")
    assert Picks(ws).get("eve", MINI, MINI) is None


def test_the_commands_print_what_they_did_and_stop_on_bad_input(course):
    root, release, answered, base = course
    source, ws = base / "lms", base / "ws"
    put(source, "ada", MINI, answered)
    put(source, "ada", MINI, release, name="draft.ipynb")

    done = run_cli("collect", source, "--course-root", root, "--workspace", ws)
    assert done.returncode == 0, done.stderr
    assert f"{MINI}: 1 new (ada), 0 changed, 0 unchanged" in done.stdout

    missing = run_cli("collect", base / "nowhere", "--course-root", root, "--workspace", ws)
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "is not a folder" in missing.stderr

    wrong = run_cli("pick", "final.ipynb", "--student", "ada", "--assignment", MINI,
                    "--course-root", root, "--workspace", ws)
    assert wrong.returncode == 2 and wrong.stderr == (
        "autodiff-course pick: ada/00-mini has no notebook 'final.ipynb': pick one of "
        "00-mini.ipynb, draft.ipynb\n")
    chosen = run_cli("pick", "draft.ipynb", "--student", "ada", "--assignment", MINI,
                     "--course-root", root, "--workspace", ws)
    assert chosen.returncode == 0 and "grades draft.ipynb instead of" in chosen.stdout


def test_exchange_folder_names_and_their_timestamps():
    from autodiff_course.collect import exchange_name, exchange_time

    known = [MINI]
    assert exchange_name(f"ada+{MINI}+2026-12-06 11:49:31.530836 UTC+M2d_smUTFq7C", known) == (
        "ada", MINI, "2026-12-06 11:49:31.530836 UTC")
    assert exchange_name(f"ada+{MINI}+2026-12-06 11:49:31 UTC", known)[0] == "ada"  # no random
    for name in ("ada", "ada+99-other+2026-12-06 UTC+x", f"+{MINI}+t+x", f"a+{MINI}+t+x+y"):
        assert exchange_name(name, known) is None
    utc = datetime(2026, 12, 6, 10, 49, 31, tzinfo=UTC)
    assert exchange_time("2026-12-06 11:49:31 +0100") == utc
    assert exchange_time("2026-12-06 11:49:31 CET") == utc
    assert exchange_time("2026-12-06 10:49:31 UTC") == utc
    assert exchange_time("not a time") is None


def test_without_the_expected_notebook_one_other_is_graded_and_several_are_not_guessed(course):
    root, release, answered, base = course
    source, ws_path = base / "lms", base / "ws"
    put(source, "ada", MINI, answered, name=f"{MINI} (1).ipynb")
    put(source, "bob", MINI, answered, name="a.ipynb")
    put(source, "bob", MINI, release, name="b.ipynb")
    collect(source, root=root, workspace=ws_path)
    reader = Intake(root, Workspace.at(ws_path), [MINI])
    students = {e.name: e for e in os.scandir(ws_path / "submitted")}

    rows, task = reader.read(students["ada"], MINI)
    assert rows == [] and task.notes[MINI][0] == "graded 00-mini (1).ipynb (expected 00-mini.ipynb)"
    rows, task = reader.read(students["bob"], MINI)
    assert task is None and [r.status for r in rows] == [Status.MISSING]
    assert rows[0].message == ("no 00-mini.ipynb in the submission (found: a.ipynb, b.ipynb); "
                               "`autodiff-course pick` chooses one")
    assert set(reader.extras) == {("bob", MINI)}


def test_a_hand_in_made_in_a_classmates_name_is_not_collected(course):
    """On a hub with one Unix user per student, inbound/ is writable by all: a newer folder
    named after a classmate (here the machine's `daemon` user, made by us) must neither be
    collected as the classmate's work nor shadow the classmate's own hand-in."""
    root, release, answered, base = course
    victim = "daemon" if os.getuid() != 1 else "bin"
    exchange = base / "exchange"
    inbound = exchange / "autodiff-course" / "inbound"
    own = _exchange_submission(inbound, f"{victim}+{MINI}+2026-12-01 10:00:00.000000 UTC+a",
                               answered)
    os.chown(own, pwd.getpwnam(victim).pw_uid, -1)  # the victim's own hand-in
    _exchange_submission(inbound, f"{victim}+{MINI}+2026-12-01 11:00:00.000000 UTC+b", release)
    ws = base / "ws"

    report = collect(exchange, root=root, workspace=ws)

    assert read(ws / "submitted" / victim / MINI / f"{MINI}.ipynb") == answered
    assert f"made by another user than {victim}; not collected" in summary(report)
