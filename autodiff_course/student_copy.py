"""``autodiff-course student-copy DIR``: the repository students clone, made from this course.

The instructor's repository holds what students must never see: ``solutions/`` (model answers,
hidden tests), the grading tests and mutants in ``tests/``, grading state, and the grader. The
student copy is a new git repository with one commit and no history from the instructor's,
holding only:

- ``course/``, ``assignments/``, ``autograd_ref/`` as committed at the instructor's HEAD (commit
  first: uncommitted changes are not copied, and the command says so), and ``.released/``, an
  untouched copy of ``assignments/``: students write their answers in ``assignments/`` itself,
  and ``validate`` judges them with the release's own test cells from there;
- the part of ``autodiff_course`` that ``autodiff-course validate``, the Validate button and
  the Lab's terminals use (:data:`STUDENT_PACKAGE_FILES`), none of which holds answers or hidden
  tests. Kept out: the grading pipeline (batch, worker, cluster, gradebook, ledger, intake,
  report, config, release, environment) and ``demo.py``, which fills answers in from
  ``solutions/``;
- the files of ``student_template/``: a README for students, a Makefile whose ``lab`` target
  installs and starts JupyterLab, a pyproject.toml with the student's dependencies only, and a
  ``jupyter-config/`` that turns nbgrader's instructor tools (Formgrader, Create Assignment,
  Course List) and its exchange-based Assignment List off, keeping the Validate button.

``tests/test_student_copy.py`` searches every object of a clone of the copy for the text of every
solution and hidden-test block.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .layout import RELEASE_COPY_DIRECTORY, RELEASE_DIRECTORY, CourseError

PACKAGE = Path(__file__).resolve().parent
TEMPLATE = PACKAGE / "student_template"
COURSE_FOLDERS = ("course", RELEASE_DIRECTORY, "autograd_ref")
# What `autodiff-course validate`, the lab_validate server extension and the Lab's terminals use,
# and nothing else.
# (autodiff_course/__main__.py comes from student_template/: validate only.)
STUDENT_PACKAGE_FILES = (
    "__init__.py", "checking.py", "clean.py", "cli.py", "cli_term.py", "engine.py",
    "feedback.py", "kernel.py", "lab_settings.py", "lab_terminal.bashrc", "lab_validate.py",
    "layout.py", "limits.py", "notebooks.py", "outputs.py", "records.py", "sandbox.py",
    "submission.py", "validate.py", "kernel_side/__init__.py", "kernel_side/codec.py",
    "kernel_side/launch.py", "kernel_side/runtime.py",
)
# Template files whose name in the package differs from their name in the copy: a `.gitignore`
# or `pyproject.toml` inside the package would act on the instructor's own repository and tools.
RENAMED = {"gitignore": ".gitignore", "pyproject-student.toml": "pyproject.toml"}
COMMIT_IDENTITY = ("autodiff-course", "autodiff-course@localhost")


@dataclass(frozen=True)
class StudentCopy:
    path: Path
    files: int
    commit: str
    source_commit: str
    uncommitted: list[str]


def _git(*args: str, cwd: Path, data: bytes | None = None,
         env: dict[str, str] | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True,
                              check=False, env=env)
    except FileNotFoundError as err:
        raise CourseError("git is not installed: the student copy is a git repository "
                          "(install git)") from err
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CourseError(f"git {args[0]} failed in {cwd}: "
                          f"{message[-1] if message else done.returncode}")
    return done.stdout


def _check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CourseError(f"{target} exists and is not an empty folder: the student copy is "
                          "always made from scratch; name a new folder")


def _course_material(root: Path, target: Path) -> tuple[str, list[str]]:
    """Extract COURSE_FOLDERS as committed at HEAD; (HEAD's id, uncommitted paths in them)."""
    if not (root / ".git").exists():
        raise CourseError(f"{root} is not a git checkout: the student copy is made from the "
                          "course's last commit")
    head = _git("rev-parse", "HEAD", cwd=root).decode().strip()
    present = [f for f in COURSE_FOLDERS
               if _git("ls-tree", "--name-only", "HEAD", "--", f, cwd=root).strip()]
    missing = sorted(set(COURSE_FOLDERS) - set(present))
    if missing:
        raise CourseError(f"{', '.join(missing)} not committed in {root}: the student copy "
                          "needs course/, assignments/ and autograd_ref/")
    archive = _git("archive", "--format=tar", "HEAD", "--", *present, cwd=root)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    shutil.copytree(target / RELEASE_DIRECTORY, target / RELEASE_COPY_DIRECTORY)
    status = _git("status", "--porcelain", "--untracked-files=all", "--", *present, cwd=root)
    return head, [line[3:] for line in status.decode("utf-8", "replace").splitlines()]


def _package(target: Path) -> None:
    for name in STUDENT_PACKAGE_FILES:
        destination = target / "autodiff_course" / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PACKAGE / name, destination)


def _template(target: Path) -> None:
    for source in sorted(TEMPLATE.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        relative = source.relative_to(TEMPLATE)
        destination = target / RENAMED.get(relative.as_posix(), relative.as_posix())
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)


def _commit(target: Path, source_commit: str) -> str:
    _git("init", "--quiet", "--initial-branch=main", cwd=target)
    _git("add", "--all", "--force", cwd=target)  # exactly what was written: no global excludes
    name, email = COMMIT_IDENTITY
    message = (f"The autodiff course for students\n\nMade by `autodiff-course student-copy` from "
               f"the course's commit {source_commit[:12]}.\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    _git("commit", "--quiet", "--no-verify", "--no-gpg-sign", "-F", "-", cwd=target,
         data=message.encode(), env=env)
    return _git("rev-parse", "HEAD", cwd=target).decode().strip()


def make_student_copy(root: Path, target: Path) -> StudentCopy:
    """Write the student repository at ``target`` (absent or empty) from the course at ``root``."""
    root, target = Path(root).resolve(), Path(target).resolve()
    _check_target(target)
    if target.is_relative_to(root):
        raise CourseError(f"{target} is inside the course's repository: make the student copy "
                          "outside it (e.g. ../autodiff-course-student)")
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        source_commit, uncommitted = _course_material(root, target)
        _package(target)
        _template(target)
        commit = _commit(target, source_commit)
    except BaseException:
        shutil.rmtree(target) if created else _empty(target)
        raise
    files = len(_git("ls-files", "-z", cwd=target).split(b"\0")) - 1
    return StudentCopy(target, files, commit, source_commit, uncommitted)


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
