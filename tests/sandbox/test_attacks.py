"""Every way found to cheat, snoop, harm or stop the grader, run through ``autodiff-course
autograde`` on assignment 01 in one batch, and shown to fail.

Each attacker is one student folder. "No work" attacks start from the untouched release and must
score nothing; leaks and harm start from complete work (so they would show up if they worked) and
must leave nothing of the grader's, the gradebook's or a classmate's in what the student gets
back, and nothing changed or running afterwards; broken submissions must each cost one row, never
the batch. A second run after the gradebook is tampered with shows it repaired, and validate is
tried on the no-work attacks. The threat model these stand for is in docs/grading.md.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import json
import os
import socket
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from pipeline_fixtures import REPO, put, read_rows, run_cli, with_answer

from autodiff_course import gradebook
from autodiff_course.layout import COURSE_ID, Workspace
from autodiff_course.notebooks import fill_answers, grade_id, read
from autodiff_course.release import released_notebook

A01 = "01-finite-differences"
SOURCE = read(REPO / "solutions" / A01 / f"{A01}.ipynb")
RELEASE = released_notebook(SOURCE)
COMPLETE = fill_answers(RELEASE, SOURCE)
FULL = 15.0
SECRET_ENV = "adc-env-secret-5d1c"
SECRET_PATH = "hunter2"
MARKER = f"adc-daemon-marker-{os.getpid()}"
VICTIM_NOTE = "victim-private-note-7f2a"
HIDDEN = ("default_rng(1001)", "ad.finite_diff", "for _ in range(25)", "numerical_gradient of a "
          "random coupled function")


def with_cell(nb, code: str, where: int = 2, kind: str = "code"):
    """``nb`` with a cell the student added (after the setup cell by default)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    nb.cells.insert(where if where >= 0 else len(nb.cells), maker(code))
    return nb


NO_WORK = {
    "input-transformer": 'get_ipython().input_transformers_cleanup.append(lambda l: ["pass\\n"])',
    "pre-run-cell": "import builtins\n"
                    "def hook(info):\n"
                    "    builtins.expect_close = builtins.expect_true = lambda *a, **k: None\n"
                    "get_ipython().events.register('pre_run_cell', hook)",
    "custom-exc": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
    "settrace": "import sys\n"
                "def tracer(frame, event, arg):\n"
                "    return tracer\n"
                "sys.settrace(tracer)",
    "patch-helpers": "import builtins, sys, types\n"
                     "fake = types.ModuleType('autodiff_course.checking')\n"
                     "for name in ['expect_close', 'expect_equal', 'expect_true', 'student']:\n"
                     "    setattr(fake, name, lambda *a, **k: None)\n"
                     "sys.modules['autodiff_course'] = types.ModuleType('autodiff_course')\n"
                     "sys.modules['autodiff_course.checking'] = fake\n"
                     "builtins.AssertionError = type('Never', (Exception,), {})\n"
                     "import numpy as np\n"
                     "np.allclose = np.isclose = np.array_equal = lambda *a, **k: True",
    "always-equal": "import numpy as np\n"
                    "class Yes(float):\n"
                    "    def __eq__(self, other):\n        return True\n"
                    "    __hash__ = float.__hash__\n"
                    "    def __array__(self, *a, **k):\n        return np.asarray(0.0)\n"
                    "def anything(*args, **kwargs):\n    return Yes(0.0)\n"
                    "forward_difference = central_difference = numerical_gradient = anything\n"
                    "directional_derivative = relative_error = check_gradient = anything\n"
                    "best_step = anything",
    "reference-import": "import importlib, sys\n"
                        "ad = importlib.import_module('autograd_ref')\n"
                        "forward_difference = ad.finite_diff.forward_difference",
    "reference-lazy": "def forward_difference(f, x, h):\n"
                      "    ad = __import__('autograd_ref')\n"
                      "    return ad.finite_diff.forward_difference(f, x, h)",
    "fake-results": "import json\n"
                    "from IPython.display import publish_display_data\n"
                    "runtime = __import__('adc_kernel.runtime').runtime\n"
                    "def evaluate(request):\n"
                    "    fields = json.loads(request)\n"
                    "    fake = {'id': fields['id'], 'value': '2.0'}\n"
                    "    publish_display_data({runtime.MIME: fake})\n"
                    "runtime.evaluate = evaluate",
}


def leak_code(paths: dict[str, Path], port: int) -> str:
    # the paths travel encoded, so that the attack's own source does not hold the secrets the
    # test looks for in what comes back
    targets = [str(p) for p in paths.values()] + ["../../../gradebook.db", "/work", "/root"]
    packed = base64.b64encode(json.dumps(targets).encode()).decode()
    return f"""
import base64, glob, json, os, socket
seen = {{}}
for number, path in enumerate(json.loads(base64.b64decode({packed!r}))):
    try:
        if os.path.isdir(path):
            seen[number] = sorted(os.listdir(path))
        else:
            seen[number] = open(path, errors="replace").read()[:3000]
    except OSError as err:
        seen[number] = "blocked: " + type(err).__name__
seen["environ"] = dict(os.environ)
seen["cmdlines"] = [open(p, errors="replace").read() for p in glob.glob("/proc/*/cmdline")]
for host in ["127.0.0.1", {_host_address()!r}]:
    try:
        socket.create_connection((host, {port}), timeout=2).close()
        seen["net " + host] = "connected"
    except OSError as err:
        seen["net " + host] = "blocked: " + type(err).__name__
print(json.dumps(seen))
"""


def _host_address() -> str:
    """This machine's non-loopback address (or loopback when it has none)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def harm_code(paths: dict[str, Path]) -> dict[str, str]:
    victim_files = [paths["victim_submission"], paths["ws"] / "submitted" / "victim",
                    paths["ws"] / "grades.csv", paths["ws"] / "feedback" / "victim"]
    return {
        "overwrite-classmate": f"""
for path in {[str(p) for p in victim_files]!r}:
    try:
        open(path, "w").write("{{}}")
    except OSError as err:
        print(path, type(err).__name__)
""",
        "overwrite-gradebook": f"""
for path in [{str(paths['gradebook'])!r}, "../../../gradebook.db"]:
    try:
        open(path, "w").write("garbage")
    except OSError as err:
        print(path, type(err).__name__)
""",
        "daemon": f"""
import os, subprocess, sys
if os.fork() == 0:
    os.setsid()
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {MARKER!r}])
    os._exit(0)
""",
        "fork-bomb": """
import os, time
children = 0
for _ in range(2000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(120)
        os._exit(0)
    children += 1
print("children", children)
""",
        "memory-hog": """
import os
import numpy as np
for _ in range(4):
    if os.fork() == 0:
        try:
            block = np.ones(800 * 1024 * 1024 // 8)
        finally:
            os._exit(0)
""",
        "uid": "import os\nprint('uid', os.getuid(), os.geteuid())",
    }


def broken(submissions: Path, paths: dict[str, Path]) -> None:
    """The submissions that once stopped the batch, written in place."""

    def raw(student: str, text: str) -> Path:
        return put(submissions, student, A01, text)

    data = json.loads(nbformat.writes(COMPLETE))
    bad = json.loads(json.dumps(data))
    bad["metadata"] = "x"
    bad["cells"][1]["metadata"] = "x"
    raw("metadata-x", json.dumps(bad))
    bad = json.loads(json.dumps(data))
    for cell in bad["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "forward-difference-answer":
            cell["metadata"]["nbgrader"]["grade_id"] = ["forward-difference-answer"]
    raw("grade-id-list", json.dumps(bad))
    put(submissions, "long-expression", A01, with_cell(COMPLETE, "x = " + "+".join(["1"] * 5000)))
    bad = json.loads(json.dumps(data))
    source = bad["cells"][3]["source"]
    bad["cells"][3]["source"] = 's = "\ud800"\n' + (source if isinstance(source, str)
                                                    else "".join(source))
    path = submissions / "surrogate" / A01 / f"{A01}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(bad), encoding="utf-8", errors="surrogatepass")
    (submissions / "symlink-notebook" / A01).mkdir(parents=True)
    (submissions / "symlink-notebook" / A01 / f"{A01}.ipynb").symlink_to(
        paths["victim_submission"])
    (submissions / "symlink-folder").mkdir()
    (submissions / "symlink-folder" / A01).symlink_to(paths["victim_submission"].parent)
    (submissions / "folder-notebook" / A01 / f"{A01}.ipynb").mkdir(parents=True)
    put(submissions, "extra-notebooks", A01, COMPLETE)
    put(submissions, "extra-notebooks", A01, RELEASE, name=f"{A01}-Copy1.ipynb")
    put(submissions, "timestamp", A01, COMPLETE)
    (submissions / "timestamp" / A01 / "timestamp.txt").write_text(
        "2001-01-01 00:00:00.000000 UTC")
    scripted = with_cell(COMPLETE, "<script>alert(1)</script> <img src=x onerror=alert(2)>",
                         kind="markdown")
    put(submissions, "script", A01, with_answer(
        scripted, "relative-error-answer",
        "def relative_error(a, b):\n    raise ValueError('<script>alert(3)</script>')"))
    put(submissions, "escapes", A01, with_answer(
        COMPLETE, "relative-error-answer", "def relative_error(a, b):\n"
        "    raise ValueError('\\x1b[2J\\x1b]0;pwned\\x07\\x1b[31mRED')"))
    put(submissions, "esc\x1b[31mname", A01, COMPLETE)
    put(submissions, "flood", A01, with_cell(COMPLETE, "for _ in range(100):\n"
                                                       "    print('x' * 500_000)"))
    put(submissions, "hang", A01, with_cell(COMPLETE, "import signal\n"
                                            "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                            "while True:\n    pass", where=-1))
    exits = with_cell(COMPLETE, "import os\nos._exit(1)", where=11)
    put(submissions, "exit", A01, exits)


@pytest.fixture(scope="module")
def battery(tmp_path_factory):
    base = tmp_path_factory.mktemp("attacks")
    submissions = base / "submissions"
    ws = base / f"ws-{SECRET_PATH}"
    victim = with_cell(COMPLETE, VICTIM_NOTE, kind="markdown")
    paths = {"victim_submission": put(submissions, "victim", A01, victim),
             "gradebook": ws / "gradebook.db", "ws": ws, "solutions": REPO / "solutions" / A01,
             "submissions": submissions, "repo": REPO}
    put(submissions, "honest", A01, COMPLETE)
    for name, code in NO_WORK.items():
        put(submissions, name, A01, with_cell(RELEASE, code))
    put(submissions, "leftover-ad", A01, with_answer(
        COMPLETE, "central-difference-answer",
        "def central_difference(f, x, h):\n    return ad.finite_diff.central_difference(f, x, h)"))
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", 0))
    server.listen()
    server.settimeout(0.5)
    accepted: list = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    put(submissions, "leak", A01, with_cell(COMPLETE, leak_code(paths, port)))
    put(submissions, "leak-history", A01, with_cell(
        COMPLETE, "print(_ih)\nprint(In)\nprint(get_ipython().history_manager.input_hist_raw)",
        where=-1))
    for name, code in harm_code(paths).items():
        put(submissions, name, A01, with_cell(COMPLETE, code))
    broken(submissions, paths)
    before = hashlib.sha256(paths["victim_submission"].read_bytes()).hexdigest()
    result = run_cli("autograde", submissions, "--workspace", ws, "--jobs", "2", "--timeout",
                     "10", "--memory-mb", "1500", "--no-progress",
                     extra_env={"ADC_SECRET_FOR_TEST": SECRET_ENV})
    stop.set()
    thread.join()
    server.close()
    students = sorted(p.name for p in submissions.iterdir())
    return {"result": result, "ws": ws, "paths": paths, "accepted": accepted,
            "victim_hash": before, "students": students,
            "rows": read_rows(ws / "grades.csv") if result.returncode == 0 else {}}


def parts(ws: Path, student: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{ws / 'gradebook.db'}", COURSE_ID) as gb:
        return {g.name: g.score for g in gb.find_submission_notebook(A01, A01, student).grades}


def row(battery, student: str) -> dict:
    return battery["rows"][(student, A01)]


def shown_to(battery, student: str) -> str:
    """Everything the student (or whoever they share it with) gets back, unescaped."""
    ws = battery["ws"]
    page = ws / "feedback" / student / A01 / f"{A01}.html"
    notebook = ws / "autograded" / student / A01 / f"{A01}.ipynb"
    texts = [html.unescape(page.read_text()) if page.exists() else "",
             notebook.read_text() if notebook.exists() else "",
             json.dumps(row(battery, student))]
    return "\n".join(texts)


def test_the_batch_finishes_with_a_row_for_every_student(battery):
    result = battery["result"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    shown = {s.replace("\x1b", "") for s, _ in battery["rows"]}
    assert len(battery["rows"]) == len(battery["students"])
    assert "escname" in shown  # the escape sequence is gone, the name is still there
    assert "kernels: sandbox (bwrap)" in result.stdout


def test_honest_neighbours_keep_full_marks(battery):
    for student in ("victim", "honest"):
        assert float(row(battery, student)["score"]) == FULL, row(battery, student)


@pytest.mark.parametrize("attack", sorted(NO_WORK))
def test_no_work_attacks_earn_nothing(battery, attack):
    assert float(row(battery, attack)["score"]) == 0, row(battery, attack)


def test_the_hidden_tests_leave_nothing_behind_in_the_kernel(battery):
    scores = parts(battery["ws"], "leftover-ad")
    assert scores["central-difference-tests"] == 0
    assert scores["forward-difference-tests"] == 2 and scores["relative-error-tests"] == 2


def test_nothing_of_the_graders_or_a_classmates_reaches_the_student(battery):
    for student in ("leak", "leak-history"):
        text = shown_to(battery, student)
        for secret in (SECRET_ENV, SECRET_PATH, VICTIM_NOTE, *HIDDEN):
            assert secret not in text, (student, secret)
    page = (battery["ws"] / "feedback" / "leak" / A01 / f"{A01}.html").read_text()
    assert "blocked: FileNotFoundError" in html.unescape(page)  # the attack ran, and failed


def test_the_network_is_unreachable(battery):
    assert battery["accepted"] == []
    text = shown_to(battery, "leak")
    assert '"net 127.0.0.1": "blocked: ConnectionRefusedError"' in text.replace('\\"', '"')


def test_classmates_files_the_gradebook_and_grades_csv_are_untouched(battery):
    paths, ws = battery["paths"], battery["ws"]
    victim = paths["victim_submission"]
    assert hashlib.sha256(victim.read_bytes()).hexdigest() == battery["victim_hash"]
    assert json.loads((ws / "submitted" / "victim" / A01 / f"{A01}.ipynb").read_text())["cells"]
    assert gradebook.differences(Workspace.at(ws), REPO, [A01]) == {}
    with open(ws / "grades.csv", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(battery["students"])


def test_no_process_outlives_the_batch(battery):
    time.sleep(1)
    alive = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if MARKER.encode() in cmdline.read_bytes():
                alive.append(cmdline)
        except OSError:
            pass
    assert not alive


def test_processes_are_capped_and_the_kernel_is_not_the_graders_uid(battery):
    bomb = json.loads((battery["ws"] / "autograded" / "fork-bomb" / A01 / f"{A01}.ipynb")
                      .read_text())
    printed = " ".join("".join(o.get("text", "")) for c in bomb["cells"]
                       for o in c.get("outputs", []))
    children = int(printed.split("children", 1)[1].split()[0])
    assert children < 300
    notebook = json.loads((battery["ws"] / "autograded" / "uid" / A01 / f"{A01}.ipynb")
                          .read_text())
    printed = " ".join("".join(o.get("text", "")) for c in notebook["cells"]
                       for o in c.get("outputs", []))
    uid = int(printed.split("uid", 1)[1].split()[0])
    assert uid not in (0, os.getuid())


@pytest.mark.parametrize("student, status", [
    ("metadata-x", "graded"), ("grade-id-list", "graded"), ("long-expression", "graded"),
    ("surrogate", "graded"), ("symlink-notebook", "unreadable"),
    ("symlink-folder", "unreadable"), ("folder-notebook", "unreadable"),
    ("extra-notebooks", "graded"), ("flood", "graded"), ("hang", "timed-out"),
    ("exit", "crashed"), ("memory-hog", None), ("fork-bomb", None),
])
def test_each_broken_submission_costs_one_row(battery, student, status):
    found = row(battery, student)
    if status is not None:
        assert found["status"] == status, found
    if status == "unreadable":
        assert "link" in found["message"] or "folder" in found["message"]


def test_odd_but_honest_notebooks_still_get_their_points(battery):
    for student in ("metadata-x", "long-expression", "surrogate", "flood", "extra-notebooks"):
        assert float(row(battery, student)["score"]) == FULL, row(battery, student)
    # the answer lost its cell id: it runs as an added cell after the restored stub, and counts
    assert float(row(battery, "grade-id-list")["score"]) == FULL
    assert "also found, not graded" in row(battery, "extra-notebooks")["message"]
    scores = parts(battery["ws"], "exit")
    assert scores["forward-difference-tests"] == 2 and scores["best-step-tests"] == 0
    assert float(row(battery, "hang")["score"]) == FULL


def test_the_submission_time_is_the_graders_not_the_students(battery):
    with Gradebook(f"sqlite:///{battery['ws'] / 'gradebook.db'}", COURSE_ID) as gb:
        stamp = gb.find_submission(A01, "timestamp").timestamp
    assert stamp.year >= 2026


def test_feedback_runs_no_script_and_shows_student_text_as_text(battery):
    page = (battery["ws"] / "feedback" / "script" / A01 / f"{A01}.html").read_text()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_no_terminal_escape_reaches_grades_csv_or_the_table(battery):
    assert b"\x1b" not in (battery["ws"] / "grades.csv").read_bytes()
    assert "\x1b" not in battery["result"].stdout
    assert "RED" in row(battery, "escapes")["message"]


def test_a_tampered_gradebook_is_repaired_on_the_next_run(battery, tmp_path):
    ws = battery["ws"]
    with Gradebook(f"sqlite:///{ws / 'gradebook.db'}", COURSE_ID) as gb:
        gb.find_grade_cell("forward-difference-tests", A01, A01).max_score = 100.0
        cell = next(c for c in gb.find_notebook(A01, A01).source_cells
                    if c.name == "forward-difference-tests")
        cell.source = "pass"
        gb.db.commit()
    subs = tmp_path / "again"
    put(subs, "victim", A01, COMPLETE)
    again = run_cli("autograde", subs, "--workspace", ws, "--no-progress")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"loading {A01} into the gradebook" in again.stdout
    assert gradebook.differences(Workspace.at(ws), REPO, [A01]) == {}
    assert float(read_rows(ws / "grades.csv")[("victim", A01)]["score"]) == FULL


@pytest.mark.parametrize("attack", ["input-transformer", "patch-helpers", "always-equal",
                                    "fake-results"])
def test_validate_is_not_fooled_either(battery, attack):
    notebook = battery["paths"]["submissions"] / attack / A01 / f"{A01}.ipynb"
    result = run_cli("validate", notebook, "--timeout", "30")
    assert result.returncode == 1, result.stdout
    assert "PASS" not in result.stdout


def test_grade_ids_are_where_the_rows_say(battery):
    """The cell ids used above exist (a guard for the test itself)."""
    ids = {grade_id(c) for c in SOURCE.cells}
    assert {"forward-difference-tests", "central-difference-tests", "best-step-tests",
            "relative-error-answer", "central-difference-answer"} <= ids
