"""Get a checkout ready for `make lab`: release the student assignments to the local exchange.

The Assignment List (nbgrader's student panel) shows what an instructor released to the exchange.
For a single-machine course the instructor and the student are the same person, so this script
plays the instructor: it copies every ``assignments/<id>/`` into the exchange configured in
``jupyter-config/nbgrader_config.py`` (``grading/exchange/`` by default) through nbgrader's own
release code, and creates the folder the Fetch button writes to. It is idempotent: an assignment
whose released copy already matches ``assignments/<id>/`` is left alone, a changed one is
re-released, and one that no longer exists in ``assignments/`` is withdrawn.

Usage: ``python jupyter-config/prepare_lab.py [--settings-dir DIR]``. With ``--settings-dir`` it
also writes JupyterLab user settings that switch off the "Jupyter news" notification, unless a
settings file is already there (the user's choice wins).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
from pathlib import Path

from traitlets.config import Config, PyFileConfigLoader

CONFIG_DIR = Path(__file__).resolve().parent
NOTIFICATION_SETTINGS = "@jupyterlab/apputils-extension/notification.jupyterlab-settings"


def lab_config(config_dir: Path = CONFIG_DIR) -> Config:
    """The nbgrader configuration the lab's Assignment List sees (exchange, course id)."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(config_dir)).load_config()


def course_root(config_dir: Path = CONFIG_DIR) -> Path:
    return config_dir.parent


def same_tree(left: Path, right: Path) -> bool:
    """True when both folders hold the same files with the same bytes."""
    if not right.is_dir():
        return False
    comparison = filecmp.dircmp(left, right, ignore=[".ipynb_checkpoints"])
    if comparison.left_only or comparison.right_only or comparison.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(left, right, comparison.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(same_tree(left / d, right / d) for d in comparison.common_dirs)


def release_to_exchange(root: Path, config: Config) -> list[str]:
    """Release every ``assignments/<id>/`` to the exchange; return one line per change."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeReleaseAssignment

    from autodiff_course.layout import RELEASE_DIRECTORY

    release_dir = root / RELEASE_DIRECTORY
    ids = sorted(
        p.name for p in release_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb"))
    ) if release_dir.is_dir() else []
    course_id = config.CourseDirectory.course_id
    outbound = Path(config.Exchange.root) / course_id / "outbound"
    Path(config.Exchange.assignment_dir).mkdir(parents=True, exist_ok=True)

    changes = []
    for assignment in ids:
        if same_tree(release_dir / assignment, outbound / assignment):
            continue
        c = Config(config)
        c.CourseDirectory.root = str(root)
        c.CourseDirectory.release_directory = RELEASE_DIRECTORY
        c.CourseDirectory.assignment_id = assignment
        c.ExchangeReleaseAssignment.force = True
        coursedir = CourseDirectory(config=c)
        releaser = ExchangeReleaseAssignment(
            coursedir=coursedir, authenticator=Authenticator(config=c), config=c
        )
        releaser.start()
        changes.append(f"released {assignment} to {outbound / assignment}")
    if outbound.is_dir():
        for stale in sorted(p for p in outbound.iterdir() if p.is_dir() and p.name not in ids):
            shutil.rmtree(stale)
            changes.append(f"withdrew {stale.name}: it is no longer in {RELEASE_DIRECTORY}/")
    return changes


def seed_settings(settings_dir: Path) -> bool:
    """Switch off the news notification unless the user already has notification settings."""
    target = settings_dir / NOTIFICATION_SETTINGS
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}, indent=2))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings-dir", type=Path,
                        help="JupyterLab user-settings folder to seed (JUPYTERLAB_SETTINGS_DIR)")
    args = parser.parse_args(argv)
    config = lab_config()
    for line in release_to_exchange(course_root(), config):
        print(line)
    if args.settings_dir is not None:
        seed_settings(args.settings_dir)
    print(f"exchange: {config.Exchange.root}; fetched assignments go to "
          f"{config.Exchange.assignment_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
