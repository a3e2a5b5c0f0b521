"""Handing feedback pages back through nbgrader's exchange, to the Assignment List's Fetch Feedback.

``nbgrader release_feedback`` expects nbgrader's own autograde layout (a ``timestamp.txt`` and a
``submission_secret.txt`` beside every feedback page) and crashes without it. This module does the
same job from what the course's grader keeps: the feedback page of each graded notebook
(``WORKSPACE/feedback/<student>/<id>/<notebook>.html``) and the file as handed in
(``WORKSPACE/submitted/...``).

A student's Fetch Feedback looks for ``<exchange>/<course>/feedback/<md5(secret + notebook)>.html``,
where ``secret`` is the random ``submission_secret.txt`` nbgrader wrote into that student's
submission (in the exchange's ``inbound/`` and in the student's own cache). So for every
submission in ``inbound/`` this module publishes the student's page under that name, but only
when:

- the submission's notebook is byte for byte the one that was graded: feedback on another
  version would describe work the student did not hand in that time;
- the folder is not a link and, where the machine has a user of the student's name (a JupyterHub
  with one Unix user per student), that user owns it: ``inbound/`` is writable by every student,
  so a folder named after a classmate must not fetch the classmate's feedback.

The feedback folder is created like nbgrader creates it (others may enter it but not list it),
so a student can read only pages whose secret name they know: their own.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .intake import name_problem
from .layout import COURSE_ID, CourseError, Workspace
from .owners import foreign


@dataclass
class Released:
    """What one run did, for the summary line and the tests."""

    published: list[tuple[str, str, str]] = field(default_factory=list)  # student, id, notebook
    skipped: list[str] = field(default_factory=list)  # one reason per submission left out


def page_name(secret: str, notebook: str) -> str:
    """The file name Fetch Feedback looks for: nbgrader's ``notebook_hash(secret, notebook_id)``."""
    digest = hashlib.md5(usedforsecurity=False)
    digest.update(secret.encode())
    digest.update(notebook.encode())
    return f"{digest.hexdigest()}.html"


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def release(ws: Workspace, exchange: Path, course_id: str = COURSE_ID) -> Released:
    """Publish the feedback page of every graded submission found in the exchange's inbound/."""
    inbound = Path(exchange) / course_id / "inbound"
    if not inbound.is_dir():
        raise CourseError(f"no inbound folder at {inbound}: is --exchange the folder nbgrader's "
                          "Exchange.root names (it holds <course>/inbound/)?")
    outbound = Path(exchange) / course_id / "feedback"
    outbound.mkdir(exist_ok=True)
    outbound.chmod(stat.S_IRWXU | stat.S_IXGRP | stat.S_IXOTH)  # 0711: enter, never list
    done = Released()
    for entry in sorted(os.scandir(inbound), key=lambda e: e.name):
        parts = entry.name.split("+")
        if len(parts) < 3:
            continue
        student, assignment = parts[0], parts[1]
        folder = Path(entry.path)
        if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
            done.skipped.append(f"{entry.name}: not a folder (links are not followed)")
            continue
        if name_problem(student) or name_problem(assignment) or "/" in student:
            done.skipped.append(f"{entry.name}: not a name the grader uses")
            continue
        if foreign(folder, student):
            done.skipped.append(f"{entry.name}: owned by another user than {student}")
            continue
        secret_file = folder / "submission_secret.txt"
        if secret_file.is_symlink() or not secret_file.is_file():
            done.skipped.append(f"{entry.name}: no submission_secret.txt")
            continue
        secret = secret_file.read_text().strip()
        for notebook in sorted(folder.glob("*.ipynb")):
            name = notebook.stem
            page = ws.feedback / student / assignment / f"{name}.html"
            graded = ws.submitted / student / assignment / f"{name}.ipynb"
            if notebook.is_symlink() or not page.is_file():
                done.skipped.append(f"{entry.name}/{notebook.name}: not graded yet")
                continue
            if not _same_bytes(notebook, graded):
                done.skipped.append(f"{entry.name}/{notebook.name}: another version was graded")
                continue
            target = outbound / page_name(secret, name)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(page.read_bytes())
            tmp.chmod(0o644)
            tmp.replace(target)
            done.published.append((student, assignment, name))
    return done


def summary(done: Released) -> str:
    lines = [f"released {len(done.published)} feedback pages to the exchange"]
    lines += [f"  not released: {reason}" for reason in done.skipped]
    return "\n".join(lines)
