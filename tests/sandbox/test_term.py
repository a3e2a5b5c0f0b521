"""A whole term, scripted: the README's term, command by command, in a fresh clone.

Three students take topic 2 through nbgrader's exchange (the Assignment List's Fetch and Submit
code, run as each student): ada works honestly and writes the written answer; ben hands in ada's
work disguised (local variables renamed, comments and docstrings gone); cyd writes his own code
for three parts and submits after the deadline. The instructor then runs exactly the commands the
README's "A term, command by command" block gives, in that order: release check, the local
exchange, collect (twice: the deadline falls between), autograde, what waits for a hand grade, a
hand grade, grades, feedback back through the exchange, the class report, similarity and the
Canvas export. Every output is checked against numbers worked out here from the submissions.
"""

from __future__ import annotations

import ast
import copy
import csv
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest
from pipeline_fixtures import REPO
from traitlets.config import Config

from autodiff_course.layout import COURSE_ID
from autodiff_course.notebooks import fill_answers, grade_id, is_answer, read
from autodiff_course.release import released_notebook

TOPIC = "02-traces"
WRITTEN = "expression-swell-written"
STUDENTS = ("ada", "ben", "cyd")
AUTO_POINTS, WRITTEN_POINTS = 11, 2  # topic 2: automatic points and the written answer's
PENALTY = 0.1 * (AUTO_POINTS + WRITTEN_POINTS)  # course.toml below: 10 % per started day

ADA_WRITTEN = (
    "A symbolic system copies the shared subexpression $l_n$ into both places it occurs, so the "
    "derivative's tree doubles at every step; AD computes $l_n$ once in the trace and reads its "
    "value twice, so its cost grows linearly with the number of steps."
)

# cyd's own work on three parts: other names, other algorithms (recursion-free depth-first walks)
CYD = {
    "hand-trace-answer": '''def hand_trace():
    """My trace of g."""
    lines = [("a", "mul", ("x1", "x2")), ("b", "exp", ("a",)), ("c", "sin", ("x3",)),
             ("d", "add", ("a", "c")), ("e", "mul", ("d", "b")), ("f", "div", ("x3", "x1")),
             ("out", "sub", ("e", "f"))]
    return {"inputs": ["x1", "x2", "x3"], "ops": lines, "output": "out"}
''',
    "count-answer": '''def count_operations(trace):
    """Counts by walking back from the output."""
    made_by = {}
    for target, kind, sources in trace["ops"]:
        made_by[target] = (kind, sources)
    seen, todo, tally = set(), [trace["output"]], {}
    while todo:
        current = todo.pop()
        if current in seen or current not in made_by:
            continue
        seen.add(current)
        kind, sources = made_by[current]
        tally[kind] = tally.get(kind, 0) + 1
        todo += [s for s in sources if isinstance(s, str)]
    return tally
''',
    "topological-answer": '''def topological_order(parents):
    """Depth-first, with an explicit stack: post-order of the parent links."""
    state, result = {}, []
    for start in parents:
        if state.get(start) == "done":
            continue
        stack = [(start, iter(parents[start]))]
        state[start] = "open"
        while stack:
            node, pending = stack[-1]
            nxt = next(pending, None)
            if nxt is None:
                stack.pop()
                state[node] = "done"
                result.append(node)
            elif state.get(nxt) == "open":
                raise ValueError(f"cycle through {nxt!r}")
            elif state.get(nxt) != "done":
                state[nxt] = "open"
                stack.append((nxt, iter(parents[nxt])))
    return result
''',
}
CYD_POINTS = 6  # hand trace 2, count 2, topological order 2


class _RenameLocals(ast.NodeTransformer):
    """What a copier does to hide a copy: every local variable gets another name."""

    def visit_FunctionDef(self, node):  # noqa: N802 - ast's visitor naming
        params = {a.arg for a in node.args.args + node.args.kwonlyargs}
        stored = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store) and n.id not in params}
        names = {old: f"my_{old}_{i}" for i, old in enumerate(sorted(stored))}
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id in names:
                n.id = names[n.id]
        self.generic_visit(node)
        return node


def _disguised(source: str) -> str:
    """Local variables renamed; ast.unparse drops comments and re-spaces everything."""
    tree = _RenameLocals().visit(ast.parse(source))
    for node in ast.walk(tree):  # docstrings go too
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and len(body) > 1):
            node.body = body[1:]
    return ast.unparse(tree) + "\n"


def _work(student: str) -> nbformat.NotebookNode:
    source = read(REPO / "solutions" / TOPIC / f"{TOPIC}.ipynb")
    release = released_notebook(source)
    if student == "cyd":
        nb = copy.deepcopy(release)
        for cell in nb.cells:
            if grade_id(cell) in CYD:
                cell.source = CYD[grade_id(cell)]
        return nb
    nb = fill_answers(release, source)
    for cell in nb.cells:
        if grade_id(cell) == WRITTEN:
            cell.source = ADA_WRITTEN
        elif student == "ben" and is_answer(cell) and cell.cell_type == "code":
            cell.source = _disguised(cell.source)
    return nb


def _exchange_config(clone: Path, student: str) -> Config:
    home = clone.parent / "homes" / student  # each student's own machine, outside the course
    c = Config()
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.assignment_id = TOPIC
    c.CourseDirectory.student_id = student
    c.Exchange.root = str(clone / "grading" / "exchange")
    c.Exchange.assignment_dir = str(home)
    c.Exchange.cache = str(home / ".cache")
    return c


def _as_student(clone: Path, student: str, action: str) -> Path:
    """Fetch, submit or fetch feedback with nbgrader's own exchange code, as ``student``."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import default

    c = _exchange_config(clone, student)
    kind = {"fetch": default.ExchangeFetchAssignment, "submit": default.ExchangeSubmit,
            "feedback": default.ExchangeFetchFeedback}[action]
    kind(coursedir=CourseDirectory(config=c), authenticator=Authenticator(config=c),
         config=c).start()
    return Path(c.Exchange.assignment_dir) / TOPIC


def _hand_in(clone: Path, student: str) -> None:
    folder = _as_student(clone, student, "fetch")
    nbformat.write(_work(student), str(folder / f"{TOPIC}.ipynb"))
    _as_student(clone, student, "submit")


def readme_term(root: Path) -> list[str]:
    """The commands of the README's term block, in order (comments and blank lines dropped)."""
    text = (root / "README.md").read_text()
    found = re.search(r"### A term, command by command\n.*?```sh\n(.*?)```", text, re.S)
    assert found, "README.md has no '### A term, command by command' section with a sh block"
    return [line.split("  #")[0].strip() for line in found.group(1).splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


class Term:
    """Runs instructor commands in the clone and remembers them, to compare with the README."""

    def __init__(self, clone: Path):
        self.clone = clone
        self.ran: list[str] = []
        self.env = dict(os.environ)
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env['PATH']}"
        self.env.pop("AUTODIFF_COURSE_WORKSPACE", None)
        self.env.pop("AUTODIFF_COURSE_DB_URL", None)

    def __call__(self, command: str, expect: int = 0) -> str:
        if command not in self.ran:
            self.ran.append(command)
        done = subprocess.run(command, shell=True, cwd=self.clone, env=self.env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == expect, f"{command}\n{done.stdout}\n{done.stderr}"
        return done.stdout


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    clone = tmp_path_factory.mktemp("term") / "course"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    t = Term(clone)
    out = {}
    out["release"] = t("autodiff-course release --check")
    out["exchange"] = t("python jupyter-config/prepare_lab.py")
    for student in ("ada", "ben"):
        _hand_in(clone, student)
    out["collect-1"] = t("autodiff-course collect grading/exchange/autodiff-course/inbound "
                         "--workspace grading")
    deadline = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)
    (clone / "course.toml").write_text(
        f'[late]\ngrace_minutes = 0\npenalty = "per-day"\namount = "10%"\n\n'
        f'[deadlines]\n"{TOPIC}" = "{deadline.isoformat()}"\n')
    time.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.1)  # cyd is late
    _hand_in(clone, "cyd")
    out["collect-2"] = t("autodiff-course collect grading/exchange/autodiff-course/inbound "
                         "--workspace grading")
    out["autograde"] = t("autodiff-course autograde grading/submitted --workspace grading")
    out["pending"] = t("autodiff-course pending grading")
    out["hand"] = t(f"autodiff-course grade-by-hand grading --student ada --assignment {TOPIC} "
                    f"--cell {WRITTEN} --points 2 --comment 'Both sides, clearly argued.'")
    out["grades"] = t("autodiff-course grades grading")
    out["feedback"] = t("autodiff-course release-feedback grading")
    out["report"] = t("autodiff-course report grading")
    out["similarity"] = t("autodiff-course similarity grading")
    out["export"] = t("autodiff-course export grading --format canvas")
    return clone, t, out


def test_the_readme_gives_exactly_the_commands_the_term_ran(term):
    clone, t, _ = term
    assert t.ran == readme_term(clone)


def test_collect_takes_the_two_on_time_then_the_late_one(term):
    _, _, out = term
    assert "2 new (ada, ben)" in out["collect-1"]
    assert "1 new (cyd)" in out["collect-2"] and "2 unchanged" in out["collect-2"]


def _rows(clone: Path) -> dict[str, dict[str, str]]:
    with open(clone / "grading" / "grades.csv", newline="") as handle:
        return {r["student"]: r for r in csv.DictReader(handle)}


def test_grades_hold_the_hand_grade_the_pending_answer_and_the_late_penalty(term):
    clone, _, out = term
    rows = _rows(clone)
    assert set(rows) == set(STUDENTS)
    ada, ben, cyd = rows["ada"], rows["ben"], rows["cyd"]
    assert float(ada["score"]) == AUTO_POINTS + WRITTEN_POINTS and float(ada["pending_manual"]) == 0
    assert float(ben["score"]) == AUTO_POINTS and float(ben["pending_manual"]) == WRITTEN_POINTS
    assert float(cyd["late_penalty"]) == pytest.approx(PENALTY)
    assert float(cyd["score"]) == pytest.approx(CYD_POINTS - PENALTY)
    assert float(ada["late_penalty"]) == 0 == float(ben["late_penalty"])
    assert ada["collected"] < cyd["collected"]
    assert "ben" in out["pending"] and WRITTEN in out["pending"]
    assert "ada" in out["pending"]  # before the hand grade, ada's answer waited too
    assert "2 pending" in out["grades"]


def test_each_student_fetches_their_own_feedback_through_the_exchange(term):
    clone, _, out = term
    assert "released 3 feedback pages" in out["feedback"]
    for student in STUDENTS:
        folder = _as_student(clone, student, "feedback") / "feedback"
        [page] = list(folder.rglob(f"{TOPIC}.html"))
        assert f"({student})" in page.read_text()
        others = [s for s in STUDENTS if s != student]
        assert not any(f"({o})" in page.read_text() for o in others)
        if student == "ada":  # the hand grade given after autograde reached her page
            text = page.read_text()
            assert f"Score: {AUTO_POINTS + WRITTEN_POINTS} / {AUTO_POINTS + WRITTEN_POINTS}" \
                in text and "Both sides, clearly argued." in text


def test_the_report_counts_the_late_and_the_pending(term):
    clone, _, out = term
    page = (clone / "grading" / "report" / "index.html").read_text()
    assert TOPIC in page and "<script" not in page
    assert "1 late" in out["report"]
    assert f"{WRITTEN_POINTS:g} points in 1 notebook(s) await a hand grade" in out["report"]


def test_similarity_puts_the_disguised_copy_on_top_and_the_honest_work_apart(term):
    clone, _, _ = term
    with open(clone / "grading" / "similarity.csv", newline="") as handle:
        pairs = list(csv.DictReader(handle))
    top = pairs[0]
    assert {top["student_a"], top["student_b"]} == {"ada", "ben"} and float(top["score"]) >= 0.7
    for pair in pairs[1:]:
        assert float(pair["score"]) <= 0.25, pair


def test_the_canvas_export_is_in_the_workspace_with_one_row_per_student(term):
    clone, _, _ = term
    exported = clone / "grading" / "exports" / "canvas.csv"
    with open(exported, newline="") as handle:
        rows = list(csv.reader(handle))
    header, possible, *students = rows
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    column = header.index(TOPIC)
    assert float(possible[column]) == AUTO_POINTS + WRITTEN_POINTS
    by_login = {r[3]: r[column] for r in students}
    assert float(by_login["ada"]) == AUTO_POINTS + WRITTEN_POINTS
    assert by_login["ben"] == ""  # a written answer still waits: nothing half-graded goes out
    assert float(by_login["cyd"]) == pytest.approx(CYD_POINTS - PENALTY)
    assert not (clone / "grades.csv").exists() and not (clone / "canvas.csv").exists()


def test_nothing_of_the_term_lands_in_the_tracked_tree(term):
    clone, _, _ = term
    status = subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=clone,
                            capture_output=True, text=True, check=True).stdout.split("\n")
    changed = sorted(line[3:] for line in status if line.strip())
    assert changed == ["course.toml"], changed
