"""``autodiff-course autograde --scheduler``: grading on a real Dask cluster of separate processes.

The same submissions graded on the cluster and on this machine's local cluster get the same
grades; a worker killed (SIGKILL) in the middle of a student's task loses nobody and writes that
student's result once; a student whose task kills its worker every time it runs ends as that
student's crashed row while the batch goes on, and is graded again on the next run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # pipeline_fixtures
sys.path.insert(0, str(Path(__file__).resolve().parent))  # dask_cluster

from dask_cluster import (  # noqa: E402
    counts,
    grades,
    ledger_entries,
    mini_class,
    start_cluster,
)
from pipeline_fixtures import CLI, MINI, REPO, env, orphan_kernels, run_cli  # noqa: E402

STUDENTS = {"ada": "complete", "bob": "partial", "cy": "blank", "dot": "slow"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = start_cluster(tmp_path_factory.mktemp("dask"), workers=2)
    yield started
    started.stop()


def autograde(root: Path, submissions: Path, workspace: Path, *args: str, extra_env=None):
    return run_cli("autograde", submissions, "--course-root", root, "--workspace", workspace,
                   "--no-progress", *args, timeout=300, extra_env=extra_env)


def test_the_cluster_grades_as_this_machine_does(cluster, tmp_path):
    root, submissions = mini_class(tmp_path, STUDENTS)
    local = autograde(root, submissions, tmp_path / "local", "--jobs", "2")
    remote = autograde(root, submissions, tmp_path / "remote", "--scheduler", cluster.address)
    assert local.returncode == 0, local.stderr[-3000:]
    assert remote.returncode == 0, remote.stderr[-3000:]
    assert f"on {cluster.address}" in remote.stdout
    assert counts(remote.stdout) == (4, 0)
    expected = {"ada": ("graded", 5.0, 2.0), "bob": ("graded", 2.0, 0.0),
                "cy": ("graded", 0.0, 0.0), "dot": ("graded", 5.0, 2.0)}
    assert grades(tmp_path / "local") == expected
    assert grades(tmp_path / "remote") == expected
    feedback = tmp_path / "remote" / "feedback" / "dot" / MINI / f"{MINI}.html"
    assert "all tests passed" in feedback.read_text()


def _kill_while_running(cluster, proc: subprocess.Popen, student: str, times: int) -> int:
    """SIGKILL the worker running ``student``'s task, up to ``times`` times (each time it runs
    again on a fresh worker), until the CLI exits; returns how many workers were killed."""
    killed: set[int] = set()
    with cluster.client() as client:
        seen_since = None
        while proc.poll() is None and len(killed) < times:
            running = [(addr, key) for addr, keys in client.processing().items() for key in keys
                       if str(key).startswith(f"grade-{student}-")]
            if not running:
                seen_since = None
                time.sleep(0.1)
                continue
            seen_since = seen_since or time.monotonic()
            if time.monotonic() - seen_since < 1.5:  # well inside its 4 s sleep
                time.sleep(0.1)
                continue
            address = running[0][0]
            pid = client.run(os.getpid, workers=[address])[address]
            if pid not in killed:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            seen_since = None
            time.sleep(0.2)
    return len(killed)


def _start(root, submissions, workspace, *args) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "autograde", str(submissions), "--course-root", str(root),
                             "--workspace", str(workspace), "--no-progress", *args],
                            cwd=REPO, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_a_worker_killed_mid_task_loses_no_student(cluster, tmp_path):
    root, submissions = mini_class(tmp_path, STUDENTS)
    proc = _start(root, submissions, tmp_path / "ws", "--scheduler", cluster.address)
    assert _kill_while_running(cluster, proc, "dot", times=1) == 1
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-3000:]
    # every student graded, the killed one too, and each result written exactly once
    assert grades(tmp_path / "ws") == {
        "ada": ("graded", 5.0, 2.0), "bob": ("graded", 2.0, 0.0), "cy": ("graded", 0.0, 0.0),
        "dot": ("graded", 5.0, 2.0)}
    assert counts(stdout) == (4, 0)
    assert ledger_entries(tmp_path / "ws") == [(s, MINI) for s in sorted(STUDENTS)]


def test_a_task_that_kills_every_worker_is_that_students_crashed_row(cluster, tmp_path):
    root, submissions = mini_class(tmp_path, STUDENTS)
    proc = _start(root, submissions, tmp_path / "ws", "--scheduler", cluster.address)
    # the scheduler allows one death (allowed-failures 1): the second ends the task, which the
    # grader then submits once more (another task on a killed worker may have been innocent):
    # four deaths in all
    assert _kill_while_running(cluster, proc, "dot", times=4) == 4
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-3000:]
    found = grades(tmp_path / "ws")
    assert found["dot"] == ("crashed", 0.0, 0.0)
    assert {s: found[s] for s in ("ada", "bob", "cy")} == {
        "ada": ("graded", 5.0, 2.0), "bob": ("graded", 2.0, 0.0), "cy": ("graded", 0.0, 0.0)}
    assert "died on this submission every time" in stdout
    # not remembered as up to date: the next run grades that student again, and only them
    assert ("dot", MINI) not in ledger_entries(tmp_path / "ws")
    again = autograde(root, submissions, tmp_path / "ws", "--scheduler", cluster.address)
    assert again.returncode == 0, again.stderr[-3000:]
    assert counts(again.stdout) == (1, 3)
    assert grades(tmp_path / "ws")["dot"] == ("graded", 5.0, 2.0)
    # kernels of the killed workers did not outlive them
    assert orphan_kernels() == []


def test_kernels_a_dead_grading_process_left_are_stopped(tmp_path):
    """A worker killed while its kernel starts can leave the kernel behind (bubblewrap's
    die-with-parent is set only once bwrap runs): the next batch or worker stops it."""
    from autodiff_course.limits import Cgroup, Limits, remove_stale_cgroups

    probe = subprocess.Popen(["true"])
    probe.wait()
    dead = probe.pid  # a pid that no longer runs
    cgroup = Cgroup.create(f"k{dead}-{os.getpid()}", Limits())
    orphan = subprocess.Popen(["sh", "-c", 'echo $$ > "$0/cgroup.procs"; exec sleep 300',
                               str(cgroup.paths[1])])
    try:
        deadline = time.monotonic() + 10
        while orphan.pid not in cgroup.pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert orphan.pid in cgroup.pids()
        remove_stale_cgroups()
        assert orphan.wait(timeout=10) == -signal.SIGKILL
        assert not any(p.exists() for p in cgroup.paths)
    finally:
        orphan.kill()
        cgroup.remove()


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    root, submissions = mini_class(tmp_path, {"ada": "complete"})
    result = autograde(root, submissions, tmp_path / "ws", "--scheduler", "tcp://127.0.0.1:9",
                       extra_env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert result.returncode == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
