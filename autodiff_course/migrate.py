"""``autodiff-course migrate``: carry a workspace over to assignments changed mid-term.

nbgrader will not add or remove an assignment's cells once students have submitted it, so after
an instructor adds, removes or re-weights a part in ``solutions/`` the gradebook no longer matches
and ``autograde`` stops. Starting a fresh workspace would lose every hand grade. This command
moves the workspace instead, one step at a time, each safe to repeat:

1. say what changed, per assignment and notebook (parts added, removed, re-weighted, cells whose
   source changed), comparing the gradebook with what nbgrader makes of ``solutions/``
   (:func:`autodiff_course.gradebook.expected_cells`); ``--dry-run`` stops here, after saying
   which hand grades would be clipped or dropped;
2. save every hand-entered value of those assignments (manual scores, extra credit, comments,
   flags, late penalties, extensions) to a JSON backup in the workspace's state folder,
   ``migrations/``, before anything is removed. The backup is the migration's plan: a backup
   not marked finished is an interrupted migration, which the next run completes from it;
3. remove those assignments' submissions (and their ledger entries, so no stored grade of the
   old assignment is reused) and reload the assignments from ``solutions/``;
4. put the submissions back with their hand grades (:func:`settle` below), then re-grade every
   file the grader kept under ``submitted/`` with ``regrade`` on: the new totals, feedback pages
   and grades.csv rows therefore count the hand grades already;
5. mark the backup finished and print what became of each hand grade.

A re-weighted manual part keeps its hand score when it is still within the part's points and is
clipped to the new maximum otherwise (see :func:`settle`); a removed part's hand grade is
dropped and reported (it stays in the backup); a new manual part waits for a person.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import clean, gradebook, gradebook_backup
from .layout import CourseError, Workspace, assignment_ids, check_course_root, source_notebooks
from .migrate_report import (
    points_text,
    report,  # noqa: F401  (the CLI prints it as migrate.report)
)
from .notebooks import read
from .records import GradingOptions

BACKUPS = "migrations"
FORMAT = 1


def settle(old: float, new_max: float) -> float:
    """The hand score a cell keeps when its maximum changed: clipped to the new maximum.

    Clipping rather than scaling: a score the grader gave that still fits is the grader's
    judgement of the answer and stays as it was, and clipping only what no longer fits keeps
    the students' order (scaling only the scores above the new maximum would put a student who
    had 1.5 of 2 below one who had 1 of 2 once the part is worth 1). Every clipped score is
    reported so the grader can look at it again in Formgrader.
    """
    return min(old, new_max)


@dataclass
class Summary:
    """What a migration did (empty lists and no backup: nothing needed migrating)."""

    assignments: list[str] = field(default_factory=list)
    regraded: list[str] = field(default_factory=list)  # "student/assignment"
    kept: list[gradebook_backup.PutBack] = field(default_factory=list)
    clipped: list[gradebook_backup.PutBack] = field(default_factory=list)
    dropped: list[gradebook_backup.PutBack] = field(default_factory=list)
    comments_kept: int = 0
    not_regraded: list[str] = field(default_factory=list)  # no kept file: grades in backup only
    lost: list[str] = field(default_factory=list)  # restored, then gone after the re-grade
    backup: Path | None = None
    scores: list[str] = field(default_factory=list)  # "student assignment/notebook: a -> b"
    pending: list[str] = field(default_factory=list)  # new parts graded by hand


def _kind(source: dict, cell: str) -> str:
    locked = source.get(cell, (None, True))[1]
    return "automatic" if locked else "graded by hand"


def describe(assignment: str, before: dict, root: Path) -> list[str]:
    """One line per change between the gradebook's cells (``before``, in
    :func:`gradebook_backup.stored_cells`' shape) and ``solutions/``."""
    after = {p.stem: gradebook.expected_cells(read(p)) for p in source_notebooks(root, assignment)}
    lines = []
    for name in sorted(set(before) | set(after)):
        where = f"{assignment}/{name}"
        if name not in after:
            lines.append(f"{where}: notebook removed from solutions/")
            continue
        if name not in before:
            lines.append(f"{where}: notebook added to solutions/")
            continue
        (old_grade, old_source), (new_grade, new_source) = before[name], after[name]
        old_total, new_total = (sum(p for p, _ in g.values()) for g in (old_grade, new_grade))
        for cell in sorted(set(new_grade) - set(old_grade)):
            lines.append(f"{where}: part added: {cell} ({points_text(new_grade[cell][0])}, "
                         f"{_kind(new_source, cell)})")
        for cell in sorted(set(old_grade) - set(new_grade)):
            lines.append(f"{where}: part removed: {cell} ({points_text(old_grade[cell][0])}, "
                         f"{_kind(old_source, cell)})")
        for cell in sorted(set(old_grade) & set(new_grade)):
            if old_grade[cell][0] != new_grade[cell][0]:
                lines.append(f"{where}: part re-weighted: {cell} {old_grade[cell][0]:g} -> "
                             f"{points_text(new_grade[cell][0])} ({_kind(new_source, cell)})")
        edited = sorted(c for c in set(old_source) & set(new_source)
                        if old_source[c][:3] != new_source[c][:3])
        if edited:
            lines.append(f"{where}: source changed: {', '.join(edited)}")
        others = sorted((set(old_source) ^ set(new_source)) - set(old_grade) - set(new_grade))
        if others:
            lines.append(f"{where}: cells added or removed: {', '.join(others)}")
        if old_total != new_total:
            lines.append(f"{where}: worth {old_total:g} -> {points_text(new_total)}")
    return lines


def _above_maximum(saved: list[dict], assignment: str) -> list[str]:
    """Hand scores above their cell's points: nbgrader lets a reload change a cell's points
    under existing submissions, and leaves the manual scores as they were."""
    return [f"{sub['student']} {assignment}/{notebook}/{cell} {g['manual_score']:g} of "
            f"{g['max_score']:g}"
            for sub in saved for notebook, was in sub["notebooks"].items()
            for cell, g in was["grades"].items()
            if g["manual_score"] is not None and g["manual_score"] > g["max_score"]]


def _predict(saved: list[dict], root: Path, assignment: str) -> tuple[list[str], list[str]]:
    """(clipped, dropped) hand grades a migration would produce, for ``--dry-run``."""
    after = {p.stem: gradebook.expected_cells(read(p))[0]
             for p in source_notebooks(root, assignment)}
    clipped, dropped = [], []
    for sub in saved:
        for notebook, was in sub["notebooks"].items():
            for cell, grade in was["grades"].items():
                new = after.get(notebook, {}).get(cell)
                score = grade["manual_score"]
                where = f"{sub['student']} {assignment}/{notebook}/{cell}"
                if new is None:
                    dropped.append(f"{where} " + (f"{score:g}" if score is not None
                                                  else "(extra credit)"))
                elif score is not None and settle(score, new[0]) != score:
                    clipped.append(f"{where} {score:g} -> {settle(score, new[0]):g}")
    return clipped, dropped


# --- the backup -----------------------------------------------------------------------------

def _folder(ws: Workspace) -> Path:
    return ws.state / BACKUPS


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(path)  # a backup is never half-written


def pending(ws: Workspace) -> list[tuple[Path, dict]]:
    """Backups of migrations that did not finish, oldest first."""
    found = []
    for path in sorted(_folder(ws).glob("migration-*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            raise CourseError(f"the migration backup {path} cannot be read; move it aside if "
                              "it is not needed (it may hold hand grades)") from None
        if not data.get("finished"):
            found.append((path, data))
    return found


def _backup(ws: Workspace, assignments: list[str], before: dict[str, dict]) -> tuple[Path, dict]:
    now = datetime.now(UTC)
    data = {"format": FORMAT, "started": now.isoformat(), "finished": None,
            "assignments": {a: {"cells": {nb: {"grade": g, "source": s}
                                          for nb, (g, s) in before[a].items()},
                                "submissions": gradebook_backup.hand_grades_backup(ws, a)}
                            for a in assignments}}
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    path = _folder(ws) / f"migration-{stamp}.json"
    _write(path, data)
    return path, data


def _cells(saved: dict) -> dict:
    return {nb: ({k: tuple(v) for k, v in c["grade"].items()},
                 {k: tuple(v) for k, v in c["source"].items()})
            for nb, c in saved["cells"].items()}


# --- the migration --------------------------------------------------------------------------

def migrate(
    root: Path,
    workspace: Path,
    *,
    assignments: list[str] | None = None,
    db_url: str | None = None,
    dry_run: bool = False,
    options: GradingOptions | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> Summary:
    """See the module docstring. Finishes any interrupted migration first."""
    from . import environment

    environment.prepare()
    root = check_course_root(root)
    ws = Workspace.at(workspace, db_url)
    known = assignment_ids(root)
    unknown = [a for a in assignments or [] if a not in known]
    if unknown:
        raise CourseError(f"unknown assignment {', '.join(unknown)}: "
                          f"solutions/ has {', '.join(known) or 'none'}")
    if not ws.path.is_dir() or (ws.db_url == f"sqlite:///{ws.gradebook}"
                                and not ws.gradebook.is_file()):
        raise CourseError(f"{ws.path} holds no gradebook: nothing to migrate (is it the "
                          "--workspace autograde wrote to?)")
    gradebook.check_url(ws.db_url)
    summary = Summary()
    unfinished = pending(ws)
    for path, data in unfinished:
        names = ", ".join(data["assignments"])
        log(f"{'an' if dry_run else 'finishing the'} interrupted migration of {names} "
            f"{'is pending' if dry_run else 'from its backup'} {path}")
        for assignment, saved in data["assignments"].items():
            for line in describe(assignment, _cells(saved), root):
                log(f"  {line}")
        if not dry_run:
            _finish(root, ws, path, data, options, progress, log, summary)
    if dry_run and unfinished:
        log("dry run: nothing was changed; run without --dry-run to finish the migration")
        return summary  # the gradebook is half-way: what else changed is seen once it is done

    before = {a: gradebook_backup.stored_cells(ws, a) for a in (assignments or known)}
    for assignment in sorted(a for a, cells in before.items() if cells is None):
        if assignments:
            log(f"{assignment} is not in the gradebook yet: nothing to migrate "
                "(autograde loads it)")
    scope = sorted(a for a, cells in before.items() if cells is not None)
    changed = sorted(gradebook.differences(ws, root, scope)) if scope else []
    for assignment in changed:
        log(f"{assignment} changed in solutions/ since it was loaded:")
        for line in describe(assignment, before[assignment], root) or [
                "cell metadata (checksums or locks) differ"]:
            log(f"  {line}")
    saved = {a: gradebook_backup.hand_grades_backup(ws, a) for a in scope}
    for assignment in sorted(set(scope) - set(changed)):
        over = _above_maximum(saved[assignment], assignment)
        if over:
            changed.append(assignment)  # a part re-weighted by an autograde run's reload
            log(f"{assignment}: hand scores above their part's points (a part was re-weighted "
                f"and autograde reloaded it): {clean.line('; '.join(over), 2000)}")
    if not changed:
        if summary.backup is None:
            log(f"the gradebook matches solutions/ for {', '.join(scope)}: nothing to migrate"
                if scope else "the gradebook holds none of these assignments yet: nothing to "
                "migrate")
        return summary
    if dry_run:
        for assignment in changed:
            clipped, dropped = _predict(saved[assignment], root, assignment)
            log(f"{assignment}: {len(saved[assignment])} submissions would be re-graded")
            for line in clipped:
                log(f"  hand grade would be clipped: {clean.line(line, 300)}")
            for line in dropped:
                log(f"  hand grade would be dropped (part removed): {clean.line(line, 300)}")
        log("dry run: nothing was changed")
        return summary
    path, data = _backup(ws, sorted(changed), before)
    log(f"hand grades of {', '.join(sorted(changed))} saved to {path}")
    _finish(root, ws, path, data, options, progress, log, summary)
    return summary


def _finish(root: Path, ws: Workspace, path: Path, data: dict, options: GradingOptions | None,
            progress: bool, log, summary: Summary) -> None:
    """Steps 3-5 from the backup alone; each is safe to repeat after an interruption."""
    from . import batch
    from .ledger import Ledger

    plan = data["assignments"]
    names = list(plan)
    ledger = Ledger(ws)
    try:
        for assignment in names:
            removed = gradebook_backup.remove_submissions(ws, assignment)
            kept = ({e.name for e in ws.submitted.iterdir() if (e / assignment).is_dir()}
                    if ws.submitted.is_dir() else set())
            saved = {s["student"] for s in plan[assignment]["submissions"]}
            for student in set(removed) | kept | saved:
                ledger.drop(student, assignment)  # no stored grade of the old assignment
    finally:
        ledger.close()
    gradebook.ensure_assignments(ws, root, names, log)

    restored: dict[str, set] = {}
    to_grade = []
    for assignment in names:
        restored[assignment] = set()
        for saved in plan[assignment]["submissions"]:
            student = saved["student"]
            if not (ws.submitted / student / assignment).is_dir():
                summary.not_regraded.append(f"{student}/{assignment}")
                continue
            for item in gradebook_backup.put_back(ws, assignment, saved, settle):
                if item.kind == "comment":
                    if item.new is None:
                        summary.dropped.append(item)
                    else:
                        summary.comments_kept += 1
                    continue
                if item.new is None:
                    summary.dropped.append(item)
                elif item.kind == "score" and item.new != item.old:
                    summary.clipped.append(item)
                else:
                    summary.kept.append(item)
                if item.kind == "score" and item.new is not None:
                    restored[assignment].add((student, item.notebook, item.cell))
        old_cells = _cells(plan[assignment])
        for notebook in source_notebooks(root, assignment):
            grade, source = gradebook.expected_cells(read(notebook))
            old_grade = old_cells.get(notebook.stem, ({}, {}))[0]
            summary.pending += [f"{assignment}/{notebook.stem}/{c} ({points_text(grade[c][0])})"
                                for c in sorted(set(grade) - set(old_grade))
                                if _kind(source, c) == "graded by hand"]
        if ws.submitted.is_dir() and any((e / assignment).is_dir()
                                         for e in ws.submitted.iterdir()):
            to_grade.append(assignment)

    outcome = None
    if to_grade:
        outcome = batch.autograde(ws.submitted, root=root, workspace=ws.path,
                                  assignments=to_grade, options=options or GradingOptions(),
                                  db_url=ws.db_url_override, regrade=True, progress=progress,
                                  log=log)
        summary.regraded += [f"{s}/{a}" for s, a in outcome.graded]
        old = {(s["student"], a, nb): was["score"] for a in names
               for s in plan[a]["submissions"] for nb, was in s["notebooks"].items()}
        for row in outcome.rows:
            if row.status.ran:
                was = old.get((row.student, row.assignment, row.notebook))
                shown = "new" if was is None else f"{was:g}"
                summary.scores.append(f"{row.student} {row.assignment}/{row.notebook}: "
                                      f"{shown} -> {row.score:g} of {row.max_score:g}")
    for assignment in names:
        now = gradebook.manual_scores(ws, assignment)
        summary.lost += [f"{s} {assignment}/{nb}/{c}" for s, nb, c in
                         sorted(restored[assignment] - set(now))]

    data["finished"] = datetime.now(UTC).isoformat()
    data["result"] = {"regraded": summary.regraded, "not_regraded": summary.not_regraded,
                      "lost": summary.lost,
                      "clipped": [asdict(p) for p in summary.clipped],
                      "dropped": [asdict(p) for p in summary.dropped]}
    _write(path, data)
    summary.assignments += names
    summary.backup = path
