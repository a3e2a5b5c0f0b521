"""A real Dask cluster for the scale tests, started as a user would: separate processes.

``python -m distributed.cli.dask_scheduler`` on a free port (it writes its address to a
scheduler file) and ``python -m distributed.cli.dask_worker`` processes under a nanny, which
restarts a worker that dies. The scheduler lets a task's workers die once before the task is
given up (``allowed-failures`` 1: the default is 3, which only makes the tests slower), and sends
each worker one task at a time (``worker-saturation`` 1.0), so a worker killed mid-task takes
exactly that task with it.

Also: helpers to build the mini course's submissions that take a while to grade (so a test can
interrupt them), and to read a workspace's grades and ledger.
"""

from __future__ import annotations

import csv
import json
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline_fixtures import MINI, REPO, env, make_mini_course, put, with_answer

from autodiff_course.notebooks import fill_answers, read

START_TIMEOUT = 60.0


@dataclass
class DaskCluster:
    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    def client(self):
        from distributed import Client

        return Client(self.address, timeout="20s")

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_cluster(folder: Path, workers: int = 2) -> DaskCluster:
    """A scheduler and ``workers`` single-threaded worker processes, each under a nanny."""
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    extra = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
             "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
             "PYTHONPATH": str(REPO)}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--no-dashboard", "--port", "0",
         "--host", "127.0.0.1", "--scheduler-file", str(scheduler_file)],
        env=env(**extra), stdout=open(folder / "scheduler.log", "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while not scheduler_file.is_file():
        if scheduler.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the Dask scheduler did not start: "
                               + (folder / "scheduler.log").read_text()[-2000:])
        time.sleep(0.1)
    address = json.loads(scheduler_file.read_text())["address"]
    cluster = DaskCluster(address, scheduler)
    for number in range(workers):
        cluster.workers.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--nworkers", "1", "--no-dashboard", "--memory-limit", "0",
             "--name", f"worker-{number}"],
            cwd=folder, env=env(**extra), stdout=open(folder / f"worker-{number}.log", "wb"),
            stderr=subprocess.STDOUT))
    with cluster.client() as client:
        client.wait_for_workers(workers, timeout=START_TIMEOUT)
    return cluster


def mini_class(base: Path, students: dict[str, str]) -> tuple[Path, Path]:
    """The mini course and one submission per student: ``complete``, ``partial``, ``blank`` or
    ``slow`` (complete, with an answer cell that sleeps 4 s first). Returns (root, submissions)."""
    root = make_mini_course(base / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    source = read(root / "solutions" / MINI / f"{MINI}.ipynb")
    complete = fill_answers(release, source)
    kinds = {
        "complete": complete,
        "partial": fill_answers(release, source, keep=1),
        "blank": release,
        "slow": with_answer(complete, "double-answer",
                            "import time\ntime.sleep(4)\n\ndef double(x):\n    return 2 * x"),
        "pause": with_answer(complete, "double-answer",
                             "import time\ntime.sleep(1)\n\ndef double(x):\n    return 2 * x"),
    }
    submissions = base / "submissions"
    for student, kind in students.items():
        put(submissions, student, MINI, kinds[kind])
    return root, submissions


def grades(workspace: Path) -> dict[str, tuple[str, float, float]]:
    """grades.csv as {student: (status, score, pending manual points)}; one row per student."""
    with open(Path(workspace) / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    students = [r["student"] for r in rows]
    assert len(students) == len(set(students)), f"a student has two rows: {students}"
    return {r["student"]: (r["status"], float(r["score"]), float(r["pending_manual"]))
            for r in rows}


def ledger_entries(workspace: Path) -> list[tuple[str, str]]:
    path = Path(workspace) / ".autodiff-course" / "ledger.sqlite"
    with sqlite3.connect(path) as db:
        return db.execute("SELECT student, assignment FROM graded ORDER BY student").fetchall()


def counts(stdout: str) -> tuple[int, int]:
    """(notebooks graded, notebooks up to date) from the CLI's 'this run:' line."""
    line = next(x for x in stdout.splitlines() if x.startswith("this run:"))
    words = line.split()
    return int(words[2]), int(words[5])

