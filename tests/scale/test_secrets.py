"""The gradebook's password leaks nowhere while a batch grades into PostgreSQL.

A batch watched while it runs, with the password both written into ``--db-url`` (the worst
case: the recommended ``PGPASSWORD`` and ``.pgpass`` runs are in test_postgres_gradebook.py) and
in ``PGPASSWORD``. The password (raw, URL-quoted, or its random core) appears in none of the
CLI's output (progress bar included), no file of the workspace (logs, pages, autograded
notebooks, grades.csv, the ledger), and on the command line of no process the grader starts:
only on the CLI's own, where the user typed it.

One student is a spy: from inside the sandboxed kernel it prints its environment, its
``/proc/self/environ`` (where readable), every ``/proc/*/environ`` and ``/proc/*/cmdline`` it
can read, and tries to reach the database over TCP and over the server's Unix socket. It sees
no ``PG*`` variable and reaches nothing (the sandbox has no network and its own /tmp); whatever
it printed lands in the workspace, which is scanned.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from pipeline_fixtures import CLI, MINI, REPO, env, make_mini_course, put, read_rows, with_answer

from autodiff_course.notebooks import fill_answers, read

SPY = '''def double(x):
    return 2 * x

import glob, os, socket, time
time.sleep(1.5)  # long enough for the test to see this kernel among the grader's processes
print("ENV", sorted(os.environ.items()))
try:
    raw = open("/proc/self/environ", "rb").read()
except OSError as err:  # the kernel's uid was switched: not even its own environ is readable
    raw = b""
    print("RAW unreadable", type(err).__name__)
print("RAW", raw)
seen = []
for path in glob.glob("/proc/[0-9]*/environ") + glob.glob("/proc/[0-9]*/cmdline"):
    try:
        seen.append(open(path, "rb").read())
    except OSError:
        pass
print("PROCS", seen)
print("PGVARS", [k for k in os.environ if k.startswith("PG")], b"PGPASS" in raw)
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
    print("TCP reachable")
except OSError as err:
    print("TCP unreachable", type(err).__name__)
try:
    unix = socket.socket(socket.AF_UNIX)
    unix.connect("{socket}/.s.PGSQL.{port}")
    print("UNIX reachable")
except OSError as err:
    print("UNIX unreachable", type(err).__name__)
'''


@dataclass
class Watched:
    """A CLI run and every process command line seen while it ran."""

    result: subprocess.CompletedProcess
    pid: int
    workspace: Path
    cmdlines: dict[int, set[bytes]] = field(default_factory=dict)


def command_lines(into: dict[int, set[bytes]]) -> None:
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            line = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if line:
            into.setdefault(int(proc.name), set()).add(line)


def watched_run(args: list, workspace: Path, extra_env: dict) -> Watched:
    """Run the CLI, reading every process's command line every 20 ms until it ends."""
    seen: dict[int, set[bytes]] = {}
    proc = subprocess.Popen([*CLI, *map(str, args), "--workspace", str(workspace)], cwd=REPO,
                            env=env(**extra_env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def watch():
        while not done.is_set():
            command_lines(seen)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        out, err = proc.communicate(timeout=600)
    finally:
        done.set()
        watcher.join()
    return Watched(subprocess.CompletedProcess(proc.args, proc.returncode, out, err), proc.pid,
                   workspace, seen)


@pytest.fixture(scope="module")
def course(tmp_path_factory, postgres):
    base = tmp_path_factory.mktemp("secrets")
    root = make_mini_course(base / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    full = fill_answers(release, read(root / "solutions" / MINI / f"{MINI}.ipynb"))
    submissions = base / "submissions"
    spy = SPY.format(port=postgres.port, socket=postgres.admin_socket)
    put(submissions, "spy", MINI, with_answer(full, "double-answer", spy))
    put(submissions, "ada", MINI, full)
    put(submissions, "bob", MINI, release)
    put(submissions, "cy", MINI, full)  # four students: the progress bar shows
    return root, submissions, base


@pytest.fixture(scope="module")
def watched(course, postgres) -> Watched:
    """One batch with the password everywhere a user might put it: in ``--db-url`` (where
    only the CLI's own command line may show it) and in ``PGPASSWORD`` (which the grader's
    processes inherit, and no kernel may see)."""
    root, submissions, base = course
    db = postgres.fresh_database()
    return watched_run(["autograde", submissions, "--course-root", root, "--db-url", db.url],
                       base / "ws", {"PGPASSWORD": db.password})


def leaks(text: bytes | str, postgres) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode()
    return [s for s in postgres.secrets if s.encode() in data]


def workspace_leaks(workspace: Path, postgres) -> dict[str, list[str]]:
    files = [p for p in workspace.rglob("*") if p.is_file()]
    assert len(files) > 10, "the workspace should hold logs, pages, notebooks, grades.csv"
    return {str(p.relative_to(workspace)): found for p in files
            if (found := leaks(p.read_bytes(), postgres))}


def spy_output(workspace: Path) -> str:
    nb = nbformat.read(workspace / "autograded" / "spy" / MINI / f"{MINI}.ipynb", 4)
    cell = next(c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "double-answer")
    return "".join(o.get("text", "") for o in cell.outputs)


def assert_graded(run: Watched) -> None:
    assert run.result.returncode == 0, run.result.stdout[-3000:] + run.result.stderr[-3000:]
    rows = read_rows(run.workspace / "grades.csv")
    assert {s: float(r["score"]) for (s, _), r in rows.items()} == {
        "spy": 5.0, "ada": 5.0, "bob": 0.0, "cy": 5.0}


def grader_processes(run: Watched) -> dict[int, set[bytes]]:
    """The command lines seen, but for the CLI's own (which holds what the user typed).

    A child caught between fork and exec still carries the CLI's own command line (the same
    process image, not a new command): it is the CLI's line, not a leak, so it is left out too.
    """
    own = run.cmdlines.get(run.pid, set())
    children = {pid: {line for line in lines if line not in own}
                for pid, lines in run.cmdlines.items() if pid != run.pid}
    kernels = [line for lines in children.values() for line in lines
               if b"bwrap" in line or b"launch.py" in line]
    assert kernels, "the watch saw no kernel: it proves nothing"
    return children


def test_the_password_is_masked_and_on_no_child_command_line(watched, postgres):
    run = watched
    assert_graded(run)
    assert leaks(run.result.stdout + run.result.stderr, postgres) == []
    assert f"{postgres.user}:***@{postgres.host}:{postgres.port}/" in run.result.stdout
    assert workspace_leaks(run.workspace, postgres) == {}
    assert [line for lines in grader_processes(run).values() for line in lines
            if leaks(line, postgres)] == []
    assert leaks(b"".join(run.cmdlines[run.pid]), postgres), "the CLI's own line was not seen"


def test_the_kernel_sees_no_password_and_cannot_reach_the_database(watched):
    output = spy_output(watched.workspace)
    assert "ENV [" in output and "PROCS [" in output, output[:2000]
    assert "PGVARS [] False" in output
    assert "TCP unreachable" in output and "UNIX unreachable" in output
    assert "PGPASSWORD" not in output
