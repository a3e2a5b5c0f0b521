"""``make lab``'s configuration without a browser: the exchange, the fetch folder, the release.

``jupyter-config/prepare_lab.py`` runs before every ``make lab``; it must release what
``assignments/`` holds, leave unchanged releases alone, re-release changed ones and withdraw
removed ones, and never overwrite a user's own notification settings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lab_server import CONFIG_FOLDER, PROJECT, copy_course, isolated_env

COURSE_ID = "autodiff-course"
NOTIFICATION = "@jupyterlab/apputils-extension/notification.jupyterlab-settings"


@pytest.fixture
def course(tmp_path, source_root):
    root = copy_course(source_root, tmp_path / "course", project=PROJECT)
    env = isolated_env(tmp_path / "jupyter", root)
    return root, env


def prepare(root: Path, env: dict[str, str], *extra: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(root / CONFIG_FOLDER / "prepare_lab.py"), *extra],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def released(root: Path) -> list[str]:
    outbound = root / "grading" / "exchange" / COURSE_ID / "outbound"
    return sorted(p.name for p in outbound.iterdir()) if outbound.is_dir() else []


def test_config_points_the_exchange_into_the_checkouts_grading_folder(course):
    root, env = course
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import prepare_lab as p; "
            "c = p.lab_config(); print(c.CourseDirectory.course_id); print(c.Exchange.root); "
            "print(c.Exchange.assignment_dir); print(c.Exchange.cache)")
    out = subprocess.run([sys.executable, "-c", code, str(root / CONFIG_FOLDER)], env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == [COURSE_ID, str(root / "grading" / "exchange"),
                   str(root / "grading" / "student"), str(root / "grading" / "exchange-cache")]


def test_prepare_releases_every_assignment_once_and_follows_changes(course):
    root, env = course
    ids = sorted(p.name for p in (root / "assignments").iterdir() if p.is_dir())
    assert ids, "no assignment in assignments/ to release"

    first = prepare(root, env)
    assert released(root) == ids
    assert sum(line.startswith("released ") for line in first) == len(ids)
    assert (root / "grading" / "student").is_dir()
    outbound = root / "grading" / "exchange" / COURSE_ID / "outbound"
    for assignment in ids:
        for notebook in (root / "assignments" / assignment).glob("*.ipynb"):
            assert (outbound / assignment / notebook.name).read_bytes() == notebook.read_bytes()

    again = prepare(root, env)
    assert not any(line.startswith(("released ", "withdrew ")) for line in again), again

    changed, removed = ids[0], ids[-1]
    notebook = next((root / "assignments" / changed).glob("*.ipynb"))
    nb = json.loads(notebook.read_text())
    nb["cells"][0]["source"] = "# changed by the instructor\n"
    notebook.write_text(json.dumps(nb))
    if removed != changed:
        shutil.rmtree(root / "assignments" / removed)
    third = prepare(root, env)
    assert f"released {changed} to " in "\n".join(third)
    assert (outbound / changed / notebook.name).read_bytes() == notebook.read_bytes()
    if removed != changed:
        assert removed not in released(root)
        assert any(line.startswith(f"withdrew {removed}") for line in third)


def test_prepare_seeds_settings_but_keeps_the_users(course, tmp_path):
    root, env = course
    settings = tmp_path / "settings"
    prepare(root, env, "--settings-dir", str(settings))
    seeded = json.loads((settings / NOTIFICATION).read_text())
    assert seeded == {"fetchNews": "false", "checkForUpdates": False}

    (settings / NOTIFICATION).write_text('{"fetchNews": "true"}')
    prepare(root, env, "--settings-dir", str(settings))
    assert json.loads((settings / NOTIFICATION).read_text()) == {"fetchNews": "true"}
