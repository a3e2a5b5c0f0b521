"""Honest work scores exactly what it scored before the grader moved its verdicts out of the
kernel, on every real topic, through ``autodiff-course autograde`` in the sandbox.

Three students per topic: the instructor's answers typed into the release (complete), the first
half of them (partial: what ``make demo`` calls partial), and the release as handed out. The
expected table is what the previous grader (nbgrader running the tests inside the kernel, commit
40edeba) gave the same notebooks, updated only where an assignment's points changed since: with the
mutant battery, topic 5 gained a 3-point Hessian-vector-product part and topic 4 a stability
point, its deep-graph point moving to the part that owns it. Along the way: the feedback pages and
the autograded notebooks hold no line of any hidden test, and grades.csv agrees with the gradebook.
"""

from __future__ import annotations

import html
import json

import pytest
from nbgrader.api import Gradebook
from pipeline_fixtures import REPO, put, read_rows, run_cli

from autodiff_course.engine import split_hidden, visible_source
from autodiff_course.layout import COURSE_ID, assignment_ids
from autodiff_course.notebooks import answer_count, fill_answers, is_test, read
from autodiff_course.release import released_notebook

TOPICS = assignment_ids(REPO)
# automatic points of complete and partial work, and the points of written answers (pending)
EXPECTED = {
    "01-finite-differences": (15, 7, 0),
    "02-traces": (11, 7, 2),
    "03-forward-mode": (11, 6, 2),
    "04-reverse-mode": (14, 9, 2),
    "05-vjps-and-tensors": (18, 8, 2),
    "06-mlp-and-sgd": (12, 6, 2),
    "07-vanishing-gradients": (13, 6, 2),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("honest")
    submissions = base / "submissions"
    for topic in TOPICS:
        source = read(REPO / "solutions" / topic / f"{topic}.ipynb")
        release = released_notebook(source)
        put(submissions, "complete", topic, fill_answers(release, source))
        keep = max(1, answer_count(source) // 2)
        put(submissions, "partial", topic, fill_answers(release, source, keep=keep))
        put(submissions, "untouched", topic, release)
    workspace = base / "workspace"
    result = run_cli("autograde", submissions, "--workspace", workspace, "--jobs", "2",
                     "--timeout", "120", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    return result, workspace, read_rows(workspace / "grades.csv")


def test_every_topic_has_its_expected_scores():
    assert set(EXPECTED) == set(TOPICS)


@pytest.mark.parametrize("topic", TOPICS)
def test_honest_work_scores_what_it_always_scored(graded, topic):
    _, _, rows = graded
    complete, partial, pending = EXPECTED[topic]
    written = rows[("complete", topic)]
    assert (float(written["score"]), float(written["pending_manual"])) == (complete, pending), \
        written
    assert written["status"] == "graded"
    assert float(rows[("partial", topic)]["score"]) == partial, rows[("partial", topic)]
    assert float(rows[("untouched", topic)]["score"]) == 0
    assert float(written["max_score"]) == complete + pending


def test_grades_csv_agrees_with_the_gradebook(graded):
    _, workspace, rows = graded
    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}", COURSE_ID) as gb:
        for (student, topic), row in rows.items():
            assert gb.find_submission(topic, student).score == float(row["score"])


def hidden_lines(topic: str) -> set[str]:
    """Lines that exist only in the hidden tests of a topic (long enough to be telling)."""
    source = read(REPO / "solutions" / topic / f"{topic}.ipynb")
    visible = "\n".join(visible_source(c.source) if is_test(c) else c.source
                        for c in source.cells)
    found = set()
    for cell in source.cells:
        if is_test(cell):
            for hidden, code in split_hidden(cell.source):
                if hidden:
                    found |= {line.strip() for line in code.split("\n")
                              if len(line.strip()) >= 30 and line.strip() not in visible}
    return found


@pytest.mark.parametrize("topic", TOPICS)
def test_no_hidden_test_reaches_feedback_or_the_autograded_notebook(graded, topic):
    _, workspace, _ = graded
    secrets = hidden_lines(topic)
    assert secrets, f"{topic} has no hidden test lines to look for"
    for student in ("complete", "partial", "untouched"):
        page = html.unescape((workspace / "feedback" / student / topic / f"{topic}.html")
                             .read_text())
        notebook = json.loads((workspace / "autograded" / student / topic / f"{topic}.ipynb")
                              .read_text())
        text = page + "\n" + "\n".join("".join(c["source"]) for c in notebook["cells"])
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{student}/{topic}: {leaked[:3]}"
        assert "Content-Security-Policy" in page
