"""``autodiff-course report``: the class report's numbers equal the ones worked out by hand from
the submissions, the page is inert (no script, nothing loaded from elsewhere, hostile names
escaped) and questions.csv holds the same figures.

One grading run of the mini course (7 points: double 2, slope 3, a written answer 2 graded by
hand), then a hand grade is entered in the gradebook and course.toml makes bob late (1 point) and
autograde runs again (nothing re-graded: the rows pick up the gradebook's totals):

====================  ============================  ======  =====  =======  ======  =======
student               double                        slope   total  pending  late    status
====================  ============================  ======  =====  =======  ======  =======
ada                   right (2)                     3       7      0        0       graded
bob                   2 x -> 3 x: visible fails (0) 3       3-1=2  2        1       graded
eve                   x: visible fails (0)          3       3      2        0       graded
cy                    untouched (0)                 0       0      0        0       graded
O'Brien & <Co> "x"    hidden fails (0)              3       3      2        0       graded
dee                   no 00-mini/ folder                                            missing
fay                   not JSON                                                      unreadable
gus                   (graded like bob, then the notebook is taken away)            missing
====================  ============================  ======  =====  =======  ======  =======

ada's written answer got 2 by hand; everyone else's waits. gus's recorded verdicts must go with
his grade: his failed check is not counted.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from nbgrader.api import Gradebook
from pipeline_fixtures import (
    HIDDEN_EXPECTED,
    HIDDEN_INPUT,
    HIDDEN_MARKER,
    HIDDEN_NAME,
    MINI,
    make_mini_course,
    put,
    run_cli,
    with_answer,
)

from autodiff_course.checks import label
from autodiff_course.class_report import discrimination
from autodiff_course.layout import COURSE_ID
from autodiff_course.notebooks import fill_answers, read

HOSTILE = "O'Brien & <Co> \"x\""
ESCAPED = "O&#x27;Brien &amp; &lt;Co&gt; &quot;x&quot;"


def grade(root, submissions, ws):
    result = run_cli("autograde", submissions, "--course-root", root, "--workspace", ws,
                     "--no-sandbox", "--no-progress")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    root = make_mini_course(base / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    full = fill_answers(release, read(root / "solutions" / MINI / f"{MINI}.ipynb"))
    subs = base / "submissions"
    put(subs, "ada", MINI, full)
    put(subs, "bob", MINI, with_answer(full, "double-answer", "def double(x):\n    return 3 * x"))
    put(subs, "eve", MINI, with_answer(full, "double-answer", "def double(x):\n    return x"))
    put(subs, "cy", MINI, release)
    put(subs, HOSTILE, MINI, with_answer(
        full, "double-answer", "def double(x):\n    return 2 * x if x == 3.0 else 0.0"))
    (subs / "dee").mkdir()
    put(subs, "fay", MINI, "{ not json")
    gone = put(subs, "gus", MINI, with_answer(full, "double-answer",
                                              "def double(x):\n    return 3 * x"))
    ws = base / "ws"
    grade(root, subs, ws)
    assert (ws / ".autodiff-course" / "checks" / "gus" / MINI / f"{MINI}.json").is_file()
    gone.unlink()
    gb = Gradebook(f"sqlite:///{ws / 'gradebook.db'}", COURSE_ID)
    try:
        written = gb.find_grade("why-written", MINI, MINI, "ada")
        written.manual_score, written.needs_manual_grade = 2.0, False
        gb.db.commit()
    finally:
        gb.close()
        gb.engine.dispose()
    # bob is late: the deadline an hour before his collection time, 1 point per started day;
    # everyone else has an extension (course.toml, applied by the next autograde)
    with open(ws / "grades.csv", newline="") as handle:
        bob_collected = next(r["collected"] for r in csv.DictReader(handle)
                             if r["student"] == "bob")
    deadline = datetime.fromisoformat(bob_collected) - timedelta(hours=1)
    others = "".join(f'{json.dumps(name)} = "2100-01-01T00:00:00Z"\n'
                     for name in ("ada", "eve", "cy", HOSTILE))
    (root / "course.toml").write_text(
        '[late]\ngrace_minutes = 0\npenalty = "per-day"\namount = 1\n\n'
        f'[deadlines]\n"{MINI}" = "{deadline.isoformat()}"\n\n'
        f'[extensions."{MINI}"]\n{others}')
    grade(root, subs, ws)  # up to date: the rows take the gradebook's totals
    assert not (ws / ".autodiff-course" / "checks" / "gus").joinpath(MINI).exists()
    result = run_cli("report", ws)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (ws / "report" / "index.html").read_text()
    with open(ws / "report" / "questions.csv", newline="") as handle:
        questions = {r["question"]: r for r in csv.DictReader(handle)}
    return result.stdout, page, questions, ws


def section(page: str, heading: str) -> str:
    """The HTML between an <h3> and the next heading."""
    start = page.index(f"<h3>{heading}</h3>") + len(heading) + 9
    return page[start:re.search(r"<h[23]|</section>", page[start:]).start() + start]


def cells(table_html: str) -> list[list[str]]:
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", table_html)]


def test_distribution_figures_are_the_graded_students_totals(report):
    _, page, *_ = report
    # totals of ada, bob (3 less 1 late), eve, cy, O'Brien: 7, 2, 3, 0, 3
    stats = {r[0]: r[1] for r in cells(section(page, "Score distribution"))[1:]}
    assert stats == {"students": "5", "mean": "3.00", "median": "3.00", "min": "0.00",
                     "max": "7.00", "out of": "7"}


def test_question_means_full_marks_and_pending_equal_the_hand_count(report):
    _, page, questions, _ = report
    rows = {r[1]: r for r in cells(section(page, "Questions"))[1:]}
    # double: 2,0,0,0,0   slope: 3,3,3,0,3   written: ada's 2 and cy's 0 (left as released),
    # three waiting
    assert rows["double-tests"][2:6] == ["2", "5", "0.40", "20.0%"]
    assert rows["slope-tests"][2:6] == ["3", "5", "2.40", "80.0%"]
    assert rows["why-written"][2:6] + rows["why-written"][7:] == ["2", "2", "1.00", "50.0%",
                                                                  "3"]
    assert (questions["double-tests"]["mean"], questions["double-tests"]["full_marks_share"],
            questions["double-tests"]["students"]) == ("0.400", "0.200", "5")
    assert (questions["slope-tests"]["mean"], questions["slope-tests"]["pending"]) == ("2.400",
                                                                                      "0")
    assert (questions["why-written"]["pending"], questions["why-written"]["max_points"]) == (
        "3", "2")


def test_discrimination_is_the_corrected_item_total_correlation(report):
    _, page, questions, _ = report
    # double (1,0,0,0,0 scaled) against the rest = slope (1,1,1,0,1): cov 0.2, both variances
    # 0.8 (sums of squares), r = 0.2 / 0.8 = 0.25; the two-question case is symmetric
    rows = {r[1]: r for r in cells(section(page, "Questions"))[1:]}
    assert rows["double-tests"][6] == rows["slope-tests"][6] == "0.25"
    assert questions["double-tests"]["discrimination"] == "0.250"
    # two final scores: no correlation, and the page says why instead of printing NaN
    assert questions["why-written"]["discrimination"] == ""
    assert "fewer than 3 students" in questions["why-written"]["discrimination_note"]
    assert rows["why-written"][6].startswith("n/a") and "fewer than 3" in rows["why-written"][6]
    assert "nan" not in page.lower().replace("nan on", "")


@pytest.mark.parametrize("item, rest, expected", [
    ([0, 1, 2, 3], [1, 3, 5, 7], 1.0),
    ([0, 1, 2, 3], [7, 5, 3, 1], -1.0),
    ([1, 0, 1, 0], [1, 1, 0, 0], 0.0),
])
def test_discrimination_of_constructed_cases(item, rest, expected):
    value, why = discrimination(item, rest)
    assert value == pytest.approx(expected, abs=1e-12) and why == ""


@pytest.mark.parametrize("item, rest, why", [
    ([2, 2, 2], [0, 1, 3], "same on this question"),
    ([0, 1, 2], [4, 4, 4], "same on the rest"),
    ([0, 1], [0, 1], "fewer than 3"),
])
def test_undefined_discrimination_says_why(item, rest, why):
    value, reason = discrimination(item, rest)
    assert value is None and why in reason


def test_failing_checks_are_counted_per_student_and_grouped(report):
    _, page, *_ = report
    found = {(r[1], r[2]): (r[3], r[4]) for r in cells(section(page, "Most common failing checks"))
             [1:]}
    # bob (received 9) and eve (received 3) failed the same visible expectation; gus did too
    # in the first run, but his notebook is missing now
    assert found[("double-tests", "double(3.0): wrong value")] == ("2", "bob, eve")
    assert found[("double-tests", "a hidden test failed: double of a hidden value: not the "
                  "expected value")] == ("1", ESCAPED)
    unanswered = "not answered yet: your code raised NotImplementedError"
    assert found[("double-tests", unanswered)] == found[("slope-tests", unanswered)] == ("1",
                                                                                         "cy")
    assert found[("why-written", "not answered: the cell is still as it was handed out")] == (
        "1", "cy")
    assert len(found) == 5
    # most students first
    assert cells(section(page, "Most common failing checks"))[1][3] == "2"


@pytest.mark.parametrize("message, check", [
    ("slope(sin, 0, 1e-6): expected 1.0, received 0.5 (max abs error 0.5; rtol=1e-06, atol=0)\n"
     "Hint: divide by h", "slope(sin, 0, 1e-6): wrong value"),
    ("your code raised ValueError: my own <secret> words\n  line 3", "your code raised ValueError"),
    ("a hidden test failed: your code raised ZeroDivisionError (line 2: 1 / 0)",
     "a hidden test failed: your code raised ZeroDivisionError"),
    ("grad is linear: not satisfied (an answer this part needs is not written yet)",
     "grad is linear: not satisfied"),
    ("this test did not run", "this test did not run"),
])
def test_a_check_is_named_without_what_differs_between_students(message, check):
    assert label(message) == check


def test_pending_late_and_unrun_rows(report):
    stdout, page, *_ = report
    pending = section(page, "Waiting for a hand grade")
    assert "6 points in 3 notebook(s)" in pending
    assert {r[0] for r in cells(pending)[1:]} == {"bob", "eve", ESCAPED}
    late = cells(section(page, "Late submissions"))
    assert [(r[0], r[3]) for r in late[1:]] == [("bob", "1")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", late[1][2])  # when it was collected
    unrun = section(page, "Not graded to the end")
    assert "2 missing, 1 unreadable" in unrun
    assert {(r[0], r[1]) for r in cells(unrun)[1:]} == {("missing", "dee"), ("missing", "gus"),
                                                        ("unreadable", "fay")}
    assert "00-mini: 5 graded, mean 3.00/7; 6 points in 3 notebook(s) await a hand grade; " \
           "1 late; 3 not graded to the end" in stdout
    assert "report/index.html" in stdout


class Loads(HTMLParser):
    """Every tag name and every attribute that could load or link something."""

    def __init__(self):
        super().__init__()
        self.tags, self.links = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [(tag, k, v) for k, v in attrs
                       if k in ("src", "href", "xlink:href", "action", "data", "poster")]


def test_the_page_is_inert_and_escapes_student_names(report):
    _, page, *_ = report
    parser = Loads()
    parser.feed(page)
    assert "script" not in parser.tags and "<script" not in page.lower()
    assert {"iframe", "object", "embed", "img", "link", "form"}.isdisjoint(parser.tags)
    assert all(v.startswith("#") for _, _, v in parser.links), parser.links
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert HOSTILE not in page and "<Co>" not in page and ESCAPED in page
    # an index of assignments at the top, linking to the section
    assert page.index("<nav>") < page.index("<section") and "href='#a0'>00-mini</a>" in page


def test_hidden_tests_stay_hidden_in_the_records_and_the_page(report):
    _, page, _, ws = report
    records = sorted((ws / ".autodiff-course" / "checks").glob("*/*/*.json"))
    assert len(records) == 5  # the five graded students; gus's went with his grade
    texts = [page, *(p.read_text() for p in records)]
    assert "a hidden test failed: double of a hidden value" in records[0].read_text()  # O'Brien
    for secret in (HIDDEN_MARKER, HIDDEN_NAME, HIDDEN_INPUT, HIDDEN_EXPECTED, "student.eval"):
        assert not any(secret in text for text in texts), secret


def test_the_plot_is_inline_with_labelled_axes_and_a_title(report):
    _, page, *_ = report
    svg = section(page, "Score distribution")
    assert svg.lstrip().startswith("<svg")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "assignment score (points out of 7)" in texts and "students" in texts
    assert "00-mini: score distribution" in texts


def test_without_grades_csv_it_says_to_autograde_first(tmp_path):
    result = run_cli("report", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "run `autodiff-course autograde" in \
        result.stderr
    assert not (tmp_path / "report").exists()
