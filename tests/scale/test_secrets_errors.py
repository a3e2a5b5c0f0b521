"""When the gradebook cannot be reached, ``autodiff-course autograde`` says why in one line, exits
2, names the usual fix, and shows the URL with its password masked: a wrong password, no password
at all, a server that is not there, a database that does not exist, a driver that is not
installed, a URL of an unknown kind. No traceback, no password (the right one or the wrong one)
in the output or the workspace.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from dataclasses import replace
from urllib.parse import quote

import pytest
from pipeline_fixtures import MINI, REPO, env, make_mini_course, put, run_cli

from autodiff_course.notebooks import fill_answers, read

NO_DRIVER = ("import sys; sys.modules['psycopg2'] = None; "  # as if psycopg2 were not installed
             "from autodiff_course.cli import main; sys.exit(main())")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("db-errors")
    root = make_mini_course(base / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    put(base / "submissions", "ada", MINI,
        fill_answers(release, read(root / "solutions" / MINI / f"{MINI}.ipynb")))
    return root, base / "submissions"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrong(db):
    return replace(db, password=f"wrong{secrets.token_hex(8)}:@", token=secrets.token_hex(4))


CASES = {
    # name: (how to build (url, extra env) from the database, expected words, masked)
    "wrong password": (lambda db: (wrong(db).url, {}),
                       ["password authentication failed", "PGPASSWORD"], True),
    "wrong PGPASSWORD": (lambda db: (db.url_without_password,
                                     {"PGPASSWORD": wrong(db).password}),
                         ["password authentication failed"], False),
    "no password": (lambda db: (db.url_without_password,
                                {"PGPASSWORD": "", "PGPASSFILE": "/nonexistent/pgpass"}),
                    ["no password supplied", "PGPASSWORD", ".pgpass"], False),
    "server down": (lambda db: (replace(db, port=closed_port()).url, {}),
                    ["refused", "server running"], True),
    "no such database": (lambda db: (replace(db, dbname="no_such_gradebook").url, {}),
                         ['"no_such_gradebook" does not exist', "createdb"], True),
    "unknown kind": (lambda db: (db.url.replace("postgresql+psycopg2://", "postgres://"), {}),
                     ["unknown kind of database 'postgres'", "postgresql+psycopg2://"], True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_gradebook_that_cannot_be_reached_gives_one_clear_line(course, postgres, tmp_path,
                                                                  case):
    root, submissions = course
    build, words, masked = CASES[case]
    db = postgres.fresh_database() if case != "no such database" else postgres
    url, extra = build(db)
    result = run_cli("autograde", submissions, "--course-root", root, "--workspace",
                     tmp_path / "ws", "--db-url", url, "--no-progress", extra_env=extra)
    check_one_line(result, words, url, extra, postgres, tmp_path)
    if masked:
        assert f"{postgres.user}:***@" in result.stderr


def test_a_missing_driver_says_what_to_install(course, postgres, tmp_path):
    root, submissions = course
    url = postgres.url
    result = subprocess.run(
        [sys.executable, "-c", NO_DRIVER, "autograde", str(submissions), "--course-root",
         str(root), "--workspace", str(tmp_path / "ws"), "--db-url", url, "--no-progress"],
        cwd=REPO, env=env(), capture_output=True, text=True, timeout=300)
    check_one_line(result, ["needs the Python driver 'psycopg2'", "pip install psycopg2-binary"],
                   url, {}, postgres, tmp_path)
    assert f"{postgres.user}:***@" in result.stderr


def check_one_line(result, words, url, extra, postgres, folder):
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("autodiff-course autograde: "), lines[0]
    assert "Traceback" not in output
    for word in words:
        assert word in lines[0], lines[0]
    given = [s for s in (extra.get("PGPASSWORD"),) if s]
    if ":" in url.split("://", 1)[1].split("@")[0]:
        password = url.split("://", 1)[1].rsplit("@", 1)[0].split(":", 1)[1]
        given.append(password)
    forms = {f for s in given + [postgres.password] for f in (s, quote(s, safe=""))} | {
        postgres.token}
    assert [f for f in forms if f in output] == []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert [f for f in forms if f.encode() in data] == [], path
    assert not (folder / "ws" / "grades.csv").exists()
