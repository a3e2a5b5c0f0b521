"""An interrupted batch resumes where it stopped: Ctrl-C after the first results are written,
then a re-run grades only the rest, and the final grades equal those of an uninterrupted run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # pipeline_fixtures
sys.path.insert(0, str(Path(__file__).resolve().parent))  # dask_cluster

from dask_cluster import counts, grades, ledger_entries, mini_class  # noqa: E402
from pipeline_fixtures import CLI, REPO, env, run_cli  # noqa: E402

# each notebook takes a second or more, so the batch is still running when it is interrupted
STUDENTS = {f"s{n}": "pause" for n in range(4)}
# what an uninterrupted run gives each of them (tests/scale/test_dask_cluster.py checks it)
COMPLETE = ("graded", 5.0, 2.0)


def _ledger_size(workspace: Path) -> int:
    try:
        return len(ledger_entries(workspace))
    except Exception:  # noqa: BLE001 - not created yet, or being written
        return 0


def test_ctrl_c_then_rerun_grades_only_the_rest(tmp_path):
    root, submissions = mini_class(tmp_path, STUDENTS)
    args = ["--course-root", str(root), "--no-progress", "--jobs", "1"]
    ws = tmp_path / "ws"
    proc = subprocess.Popen([*CLI, "autograde", str(submissions), "--workspace", str(ws), *args],
                            cwd=REPO, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while _ledger_size(ws) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert "interrupted" in stderr
    done = _ledger_size(ws)
    assert 1 <= done < len(STUDENTS), "the interruption came too late to test resuming"
    # what was graded before Ctrl-C is in grades.csv already
    assert set(grades(ws).values()) == {COMPLETE} and len(grades(ws)) >= done

    again = run_cli("autograde", submissions, "--workspace", ws, *args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert counts(again.stdout) == (len(STUDENTS) - done, done)
    assert grades(ws) == dict.fromkeys(STUDENTS, COMPLETE)
    assert len(ledger_entries(ws)) == len(STUDENTS)
