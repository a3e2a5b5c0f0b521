"""An instructor grades a written answer in Formgrader, offline, and the grade reaches grades.csv.

A mini-course submission with a written answer (with math in it) is graded into a workspace;
``autodiff-course formgrader WORKSPACE`` (the documented instructor command) serves Formgrader on
a free loopback port, with a token, from a copy of the course that carries the project's
``jupyter-config/``. In Chromium, with every other host blocked: the token URL the command prints,
then the submission's grading page; the written answer is pending (Formgrader marks it), a score
is typed and saved through Formgrader's own page script. Then ``autodiff-course grades WORKSPACE``
must show the hand score in its table and in grades.csv with nothing pending, and the browser
console must be clean (nbgrader's page loads MathJax from a CDN unless the course's template
override serves it locally, and its script fails without it).
"""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from lab_server import PROJECT, free_port, isolated_env

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # pipeline_fixtures
from pipeline_fixtures import CLI, MINI, make_mini_course, put, with_answer  # noqa: E402

ANSWER = "The $h$ terms cancel, so the error is $O(h^2)$."
START_TIMEOUT = 90.0


@pytest.fixture
def graded_workspace(tmp_path):
    from autodiff_course.notebooks import fill_answers, read

    root = make_mini_course(tmp_path / "course")
    shutil.copytree(PROJECT / "jupyter-config", root / "jupyter-config",
                    ignore=shutil.ignore_patterns("__pycache__"))
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    source = read(root / "solutions" / MINI / f"{MINI}.ipynb")
    put(tmp_path / "submissions", "ada", MINI,
        with_answer(fill_answers(release, source), "why-written", ANSWER))
    env = isolated_env(tmp_path / "jupyter", root)
    # the sandbox is not the point here (tests/sandbox is about it)
    done = subprocess.run([*CLI, "autograde", str(tmp_path / "submissions"), "--course-root",
                           str(root), "--workspace", str(tmp_path / "ws"), "--no-sandbox",
                           "--no-progress"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5/7, 2 pending" in done.stdout, done.stdout
    return root, tmp_path / "ws", env


@pytest.fixture
def formgrader(graded_workspace, tmp_path):
    """`autodiff-course formgrader WORKSPACE` running; (base URL, token); stopped afterwards."""
    root, ws, env = graded_workspace
    port, token = free_port(), secrets.token_hex(16)
    log = tmp_path / "formgrader.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [*CLI, "formgrader", str(ws), "--course-root", str(root), "--port", str(port),
             "--no-browser", f"--jupyter-arg=--IdentityProvider.token={token}"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, f"formgrader exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no answer on {url}:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        assert f"{url}/formgrader" in log.read_text()  # the command says where to go
        yield url, token
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(server.pid, sig)
                server.wait(timeout=10)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue


def submission_id(ws: Path, student: str) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{ws / 'gradebook.db'}", "autodiff-course") as gb:
        return gb.find_submission_notebook(MINI, MINI, student).id


def test_a_score_typed_in_formgrader_reaches_grades_csv(graded_workspace, formgrader, bare_page):
    root, ws, env = graded_workspace
    url, token = formgrader
    page = bare_page

    page.goto(f"{url}/formgrader?token={token}")  # what the command prints: logs the browser in
    page.goto(f"{url}/formgrader/submissions/{submission_id(ws, 'ada')}/")
    # Formgrader's script marks the pending written answer once it has loaded the grades
    score = page.locator("input.score#why-written.needs_manual_grade")
    score.wait_for(timeout=30_000)
    answer = page.locator(".nbgrader_cell", has=score)
    assert "terms cancel, so the error is" in answer.inner_text()
    # the student's math typeset by the server's own MathJax
    page.wait_for_function("() => window.MathJax && MathJax.isReady === true", timeout=30_000)
    answer.locator("span.MathJax").first.wait_for(timeout=30_000)
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                              and r.request.method == "PUT") as saved:
        score.fill("1.5")
        score.press("Tab")
    assert saved.value.status == 200, saved.value.text()
    assert saved.value.json()["manual_score"] == 1.5
    page.locator("input.score#why-written:not(.needs_manual_grade)").wait_for()

    done = subprocess.run([*CLI, "grades", str(ws)], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    ada = next(line for line in done.stdout.splitlines() if line.startswith("ada "))
    assert "6.5/7 " in ada and "pending" not in ada, done.stdout
    assert "no written answer waits for a hand grade" in done.stdout
    with open(ws / "grades.csv", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["student"], float(row["score"]), float(row["pending_manual"])) == ("ada", 6.5, 0)
    assert page.blocked == [], f"requests to other hosts: {page.blocked}"
    page.console.assert_clean()
