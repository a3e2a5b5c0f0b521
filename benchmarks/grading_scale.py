"""Grading past one machine, measured side by side in one run (issue "grading past one machine").

Every figure comes from the real ``autodiff-course autograde`` command, run as an instructor would
run it, on complete answers to one real topic (default 01-finite-differences) typed into the
release, with a few partial submissions mixed in:

1. set-up before the first notebook, warm (a second run of the command on one student, with
   ``--regrade``): target at most 3 s;
2. a Dask cluster of 2 single-threaded workers against 1 worker (each under its own nanny,
   started as separate processes, as docs/scaling.md says) on ``--notebooks`` notebooks: target
   at least 1.8x (on a machine with at least two idle cores);
3. a simulated class of ``--class-size`` students on that topic into a PostgreSQL gradebook
   (a throwaway server started here; the password reaches the grader through PGPASSWORD): time,
   seconds per notebook, the grader's peak memory and the gradebook's size;
4. the same class re-run with nothing changed (target at most 5 % of the first run's time) and
   with one notebook changed (at most 10 %);
5. a worker killed (SIGKILL) in the middle of a class batch on the cluster: nothing lost, and the
   extra time against the same batch without the kill;
6. on paper: how many workers grade 4,200 notebooks (600 students x 7 topics) in one hour, from
   the measured seconds per notebook per worker.

    .venv/bin/python benchmarks/grading_scale.py [--class-size 600] [--notebooks 40]

It takes a while (the class is graded four times); ``--class-size 100`` for a quicker look.
Needs bubblewrap and PostgreSQL (Debian's ``postgresql``; ``initdb`` is looked up as the scale
tests do).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pwd
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "scale"))

import nbformat  # noqa: E402

from autodiff_course.notebooks import fill_answers, read  # noqa: E402
from autodiff_course.release import released_notebook  # noqa: E402

CLI = [sys.executable, "-m", "autodiff_course.cli"]


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}"
    e.update(extra)
    return e


def write_class(folder: Path, topic: str, size: int, partial_every: int = 10) -> Path:
    """SUBMISSIONS/<student>/<topic>/<topic>.ipynb for ``size`` students (every tenth partial)."""
    source = read(ROOT / "solutions" / topic / f"{topic}.ipynb")
    release = released_notebook(source)
    complete, partial = fill_answers(release, source), fill_answers(release, source, keep=2)
    submissions = folder / "submissions"
    for number in range(size):
        path = submissions / f"s{number:04d}" / topic / f"{topic}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(partial if number % partial_every == 0 else complete, str(path))
    return submissions


def autograde(submissions: Path, workspace: Path, *args: str, **extra: str) -> dict:
    """Run the command; wall time, the grader's peak RSS (MB), its summary lines."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([*CLI, "autograde", str(submissions), "--workspace", str(workspace),
                           "--timeout", "120", "--no-progress", *args],
                          cwd=ROOT, env=env(**extra), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"autograde failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                         f"{proc.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lines = proc.stdout.splitlines()
    timing = next((re.search(r"\(([\d.]+) s of grading after ([\d.]+) s of set-up\)", x)
                   for x in lines if " s of set-up)" in x), None)
    grading, setup = (float(timing.group(1)), float(timing.group(2))) if timing else (None, None)
    this_run = next((x for x in lines if x.startswith("this run:")), "")
    return {"seconds": seconds, "peak_mb": max(peak, before) / 1024, "setup": setup,
            "grading": grading,
            "this_run": this_run, "stdout": proc.stdout}


def rows(workspace: Path) -> dict[str, tuple[str, str]]:
    with open(workspace / "grades.csv", newline="") as handle:
        return {r["student"]: (r["status"], r["score"]) for r in csv.DictReader(handle)}


# ------------------------------------------------------------------------ a throwaway PostgreSQL
class Postgres:
    def __init__(self, base: Path):
        from conftest import postgres_bindir

        self.base, self.bindir = base, postgres_bindir()
        if self.bindir is None:
            raise SystemExit("needs PostgreSQL: apt-get install postgresql")
        self.password = f"pw{secrets.token_hex(8)}"
        self.proc = None

    def _user(self) -> dict:
        if os.geteuid() != 0:
            return {}
        entry = pwd.getpwnam("postgres")
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self) -> str:
        user = self._user()
        data, sock = self.base / "data", self.base / "sock"
        for folder in (self.base, sock):
            folder.mkdir(exist_ok=True)
            if user:
                os.chown(folder, user["user"], user["group"])
        subprocess.run([str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth-local=trust", "--auth-host=scram-sha-256", "--locale=C",
                        "--encoding=UTF8", "-N"], check=True, capture_output=True, **user)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.sock = str(sock)
        self.proc = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p",
             str(self.port), "-k", self.sock, "-c", "fsync=off", "-c", "synchronous_commit=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **user)
        import psycopg2

        for _ in range(300):
            try:
                conn = psycopg2.connect(host=self.sock, port=self.port, user="postgres",
                                        dbname="postgres")
                break
            except psycopg2.OperationalError:
                time.sleep(0.1)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE ROLE grader LOGIN PASSWORD %s", (self.password,))
        self.admin = conn
        return f"postgresql+psycopg2://grader@127.0.0.1:{self.port}/"

    def database(self, name: str) -> str:
        with self.admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}" OWNER grader')
        return name

    def size_mb(self, name: str) -> float:
        with self.admin.cursor() as cur:
            cur.execute("SELECT pg_database_size(%s)", (name,))
            return cur.fetchone()[0] / 2**20

    def stop(self) -> None:
        if self.proc is not None:
            self.admin.close()
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=60)


# ----------------------------------------------------------------------------- the Dask cluster
def cluster(folder: Path, workers: int):
    from dask_cluster import start_cluster

    return start_cluster(folder, workers=workers)


def kill_one_worker_later(cluster_, after: float) -> None:
    """SIGKILL the first worker process (not its nanny) ``after`` seconds from now."""
    import threading

    def kill() -> None:
        time.sleep(after)
        with cluster_.client() as client:
            pids = client.run(os.getpid)
        pid = sorted(pids.values())[0]
        os.kill(pid, signal.SIGKILL)
        print(f"  killed worker process {pid} after {after:.0f} s", flush=True)

    threading.Thread(target=kill, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--topic", default="01-finite-differences")
    parser.add_argument("--class-size", type=int, default=600)
    parser.add_argument("--notebooks", type=int, default=40)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="autodiff-scale-bench-"))
    os.chmod(scratch, 0o755)
    figures: dict[str, object] = {"topic": args.topic, "cpus": os.cpu_count()}
    try:
        # 1. set-up, warm
        one = write_class(scratch / "one", args.topic, 1)
        autograde(one, scratch / "one-ws")
        warm = autograde(one, scratch / "one-ws", "--regrade")
        figures["setup_warm_s"] = warm["setup"]
        print(f"1. set-up before the first notebook, warm: {warm['setup']:.2f} s (target <= 3)")

        # 2. 2 Dask workers vs 1 on --notebooks notebooks
        forty = write_class(scratch / "forty", args.topic, args.notebooks)
        per_worker = {}
        for workers in (1, 2):
            c = cluster(scratch / f"dask-{workers}", workers)
            try:
                run = autograde(forty, scratch / f"forty-ws-{workers}", "--scheduler", c.address)
            finally:
                c.stop()
            per_worker[workers] = run["grading"]
            print(f"2. {args.notebooks} notebooks on a Dask cluster of {workers} worker(s): "
                  f"{run['grading']:.1f} s of grading ({run['seconds']:.1f} s for the whole "
                  "command)", flush=True)
        speedup = per_worker[1] / per_worker[2]
        figures["dask_1_worker_s"], figures["dask_2_workers_s"] = per_worker[1], per_worker[2]
        figures["dask_speedup"] = speedup
        print(f"   speed-up of 2 workers over 1: {speedup:.2f}x (target >= 1.8)")
        seconds_per_notebook = per_worker[1] / args.notebooks
        figures["seconds_per_notebook_one_worker"] = seconds_per_notebook

        # 3.-5. the class on PostgreSQL
        pg = Postgres(scratch / "pg")
        base_url = pg.start()
        try:
            klass = write_class(scratch / "class", args.topic, args.class_size)
            secret = {"PGPASSWORD": pg.password}
            url = base_url + pg.database("class")
            c = cluster(scratch / "dask-class", 2)
            try:
                first = autograde(klass, scratch / "class-ws", "--db-url", url,
                                  "--scheduler", c.address, **secret)
                figures["class_first_run_s"] = first["seconds"]
                figures["class_peak_mb"] = first["peak_mb"]
                figures["class_gradebook_mb"] = pg.size_mb("class")
                print(f"3. a class of {args.class_size} on PostgreSQL, 2 workers: "
                      f"{first['seconds']:.1f} s ({first['seconds'] / args.class_size:.2f} s per "
                      f"notebook), grader peak {first['peak_mb']:.0f} MB, gradebook "
                      f"{figures['class_gradebook_mb']:.1f} MB", flush=True)
                same = autograde(klass, scratch / "class-ws", "--db-url", url,
                                 "--scheduler", c.address, **secret)
                figures["rerun_unchanged_s"] = same["seconds"]
                print(f"4. re-run, nothing changed: {same['seconds']:.1f} s = "
                      f"{100 * same['seconds'] / first['seconds']:.1f} % of the first run "
                      f"(target <= 5 %); {same['this_run']}")
                changed = klass / "s0001" / args.topic / f"{args.topic}.ipynb"
                nb = read(changed)
                answer = next(c for c in nb.cells
                              if c.metadata.get("nbgrader", {}).get("solution"))
                answer.source += "\n# a comment added after the first run"
                nbformat.write(nb, str(changed))
                one_changed = autograde(klass, scratch / "class-ws", "--db-url", url,
                                        "--scheduler", c.address, **secret)
                figures["rerun_one_changed_s"] = one_changed["seconds"]
                print(f"   re-run, one notebook changed: {one_changed['seconds']:.1f} s = "
                      f"{100 * one_changed['seconds'] / first['seconds']:.1f} % (target <= 10 %); "
                      f"{one_changed['this_run']}")
                # 5. a worker killed in the middle of the same batch, graded afresh
                url2 = base_url + pg.database("class_killed")
                kill_one_worker_later(c, after=first["seconds"] / 2)
                killed = autograde(klass, scratch / "class-killed-ws", "--db-url", url2,
                                   "--scheduler", c.address, **secret)
            finally:
                c.stop()
            lost = set(rows(scratch / "class-ws")) ^ set(rows(scratch / "class-killed-ws"))
            crashed = [s for s, (status, _) in rows(scratch / "class-killed-ws").items()
                       if status != "graded"]
            figures["killed_run_s"] = killed["seconds"]
            figures["killed_lost_students"] = len(lost)
            print(f"5. a worker killed mid-batch: {killed['seconds']:.1f} s "
                  f"({killed['seconds'] - first['seconds']:+.1f} s against the run without), "
                  f"{len(lost)} students lost, {len(crashed)} rows not graded")
        finally:
            pg.stop()

        # 6. on paper
        workers_needed = 4200 * seconds_per_notebook / 3600
        figures["workers_for_4200_per_hour"] = workers_needed
        print(f"6. 4,200 notebooks in one hour at {seconds_per_notebook:.2f} s per notebook per "
              f"worker: {workers_needed:.1f} single-core workers (round up, plus headroom)")
        print(json.dumps(figures, indent=1))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
