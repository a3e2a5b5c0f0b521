"""``autodiff-course collect``: copy submissions into the workspace and note *when* (our clock).

A submission's time decides whether it is late, so it must be one the students cannot set and
grading later cannot move. ``collect`` (run by the instructor, or cron, at or around the
deadline) copies each new or changed submission into ``WS/submitted/<student>/<id>/`` and
records the grader's clock at that moment per file
(:class:`autodiff_course.intake.CollectionTimes`); ``autograde WS/submitted`` later grades those
files in place and uses the recorded times, however much later it runs. A student's
``timestamp.txt`` and file modification times are never read.

SOURCE is either

- nbgrader's exchange inbound folder (``grading/exchange/autodiff-course/inbound/``, or the
  exchange root above it), holding ``<student>+<id>+<timestamp>[+<random>]`` folders, one per
  press of Submit: the newest per student and assignment is collected (ordered by the exchange's
  timestamp in the folder name, then the name), but its time is the moment *we* collected it;
- or a folder laid out ``<student>/<id>/<id>.ipynb`` (e.g. unpacked from an LMS).

Only notebooks are copied (other files are never graded). Student names are checked as the
grader checks them (:func:`autodiff_course.intake.name_problem`), links are never followed, and
a file that cannot be read is reported and left out, never stopping the run. The copy of a
student's assignment mirrors the collected submission: notebooks it no longer holds are removed.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import clean
from .intake import CollectionTimes, name_problem
from .layout import COURSE_ID, CourseError, Workspace, assignment_ids, source_notebooks
from .owners import foreign
from .picks import Picks
from .submission import UnreadableNotebook, entries, find_notebook, read_file


@dataclass
class Collected:
    """One student's assignment as collected."""

    student: str
    assignment: str
    state: str  # new, changed or unchanged
    files: list[str]
    notes: list[str] = field(default_factory=list)  # which file autograde grades, and extras


@dataclass
class Report:
    source: Path
    layout: str  # "exchange" or "folders"
    target: Path
    time: datetime
    collected: list[Collected] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def exchange_name(name: str, known: list[str]) -> tuple[str, str, str] | None:
    """(student, assignment, timestamp) of an inbound folder name, or None.

    nbgrader names them ``<student>+<id>+<timestamp>+<random>`` (without ``+<random>`` when
    ``add_random_string`` is off) and refuses ``+`` in student ids.
    """
    parts = name.split("+")
    if len(parts) in (3, 4) and parts[0] and parts[1] in known and parts[2]:
        return parts[0], parts[1], parts[2]
    return None


def exchange_time(text: str) -> datetime | None:
    """The exchange's timestamp (``%Y-%m-%d %H:%M:%S.%f %Z``) as UTC, for ordering only."""
    from dateutil import parser, tz

    try:
        pieces = text.split(" ")
        if len(pieces) == 3 and pieces[2].isalpha():  # a zone name: UTC, CET ...
            when = parser.parse(" ".join(pieces[:2])).replace(tzinfo=tz.gettz(pieces[2]))
        else:  # a numeric offset, or none (then UTC)
            when = parser.parse(text)
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _inbound(source: Path) -> Path:
    below = source / COURSE_ID / "inbound"
    return below if below.is_dir() else source


def _from_exchange(inbound: Path, known: list[str], report: Report) -> dict:
    found: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for entry in entries(inbound):
        if entry.name.startswith("."):
            continue
        parsed = exchange_name(entry.name, known)
        if parsed is None:
            report.ignored.append(f"{clean.line(entry.name, 200)} (not <student>+<id>+"
                                  "<timestamp>+<random> with a known assignment id)")
            continue
        student, assignment, stamp = parsed
        if foreign(entry.path, student):
            report.problems.append(f"{clean.line(entry.name, 200)}: made by another user than "
                                   f"{clean.line(student, 100)}; not collected")
            continue
        when = exchange_time(stamp)
        order = (when is not None, when or datetime.min.replace(tzinfo=UTC), entry.name)
        found[(student, assignment)].append((order, entry))
    return {key: max(options, key=lambda o: o[0])[1] for key, options in found.items()}


def _from_folders(source: Path, known: list[str], report: Report) -> dict:
    found = {}
    for student in entries(source):
        if student.name.startswith((".", "__")):
            continue
        if student.is_symlink():
            report.problems.append(f"{clean.line(student.name, 100)}: the student folder is a "
                                   "symbolic link; links are not followed")
            continue
        if not student.is_dir(follow_symlinks=False):
            continue
        for sub in entries(Path(student.path)):
            if sub.name.startswith("."):
                continue
            if sub.name not in known:
                if sub.is_dir(follow_symlinks=False):
                    report.ignored.append(f"{clean.line(student.name, 100)}/"
                                          f"{clean.line(sub.name, 100)} (not an assignment)")
                continue
            found[(student.name, sub.name)] = sub
    return found


def _read_notebooks(folder: os.DirEntry, label: str, report: Report) -> dict[str, bytes] | None:
    if folder.is_symlink() or not folder.is_dir(follow_symlinks=False):
        report.problems.append(f"{label}: the submission folder is a symbolic link or not a "
                               "folder; links are not followed")
        return None
    files, listing = {}, []
    for entry in entries(Path(folder.path)):
        if entry.name.startswith("."):
            continue
        listing.append(entry.name)
        if not entry.name.endswith(".ipynb"):
            continue
        try:
            files[entry.name] = read_file(Path(entry.path))
        except UnreadableNotebook as err:
            report.problems.append(f"{label}: {clean.line(err, 300)}; not collected")
    if not files:
        found = clean.line(", ".join(listing[:5]), 200) or "nothing"
        report.problems.append(f"{label}: no notebook to collect (found: {found})")
        return None
    return files


def _current(folder: Path) -> dict[str, bytes]:
    """The notebooks already collected for a student's assignment."""
    held = {}
    for entry in entries(folder):
        if entry.name.endswith(".ipynb") and not entry.name.startswith("."):
            try:
                held[entry.name] = read_file(Path(entry.path))
            except UnreadableNotebook:
                held[entry.name] = b""  # replaced by what is collected now
    return held


def _store(folder: Path, files: dict[str, bytes], held: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in files.items():
        if held.get(name) == raw:
            continue
        tmp = folder / f".{name}.collecting"
        tmp.write_bytes(raw)
        tmp.replace(folder / name)
    for name in set(held) - set(files):
        (folder / name).unlink(missing_ok=True)


def _notes(folder: Path, expected: set[str], picks: Picks, student: str,
           assignment: str) -> list[str]:
    """What autograde will make of the folder: a picked or renamed file, notebooks beside."""
    notes = []
    for name in sorted(expected):
        notebook = name[:-len(".ipynb")]
        _, others, note = find_notebook(folder, notebook, picks.get(student, assignment, notebook))
        if note:  # find_notebook speaks of a grading done; here it is still to come
            notes.append("autograde grades " + note.removeprefix("graded ")
                         if note.startswith("graded ") else note)
        extras = [o for o in others if o not in expected - {name}]  # not a sibling's own
        if extras:
            notes.append(f"also {', '.join(extras[:5])} (not graded; `autodiff-course pick` "
                         "grades another)")
    return [clean.line(n, 300) for n in notes]


def _collect_one(ws: Workspace, student: str, assignment: str, folder: os.DirEntry, label: str,
                 expected: dict[str, set[str]], times: CollectionTimes, picks: Picks,
                 report: Report) -> Collected | None:
    problem = name_problem(student)
    if problem:
        report.problems.append(f"{label}: the student name {problem}; rename the folder (not "
                               "collected)")
        return None
    files = _read_notebooks(folder, label, report)
    if files is None:
        return None
    target = ws.submitted / student / assignment
    held = _current(target)
    state = "new" if not held else "unchanged" if held == files else "changed"
    now = datetime.now(UTC)
    try:
        _store(target, files, held)
    except OSError as err:
        report.problems.append(f"{label}: cannot write {target} ({err.strerror}); not "
                               "collected")
        return None
    for name, raw in files.items():
        times.time_of(CollectionTimes.key(student, assignment, name), raw, now)
    return Collected(student, assignment, state, sorted(files),
                     _notes(target, expected[assignment], picks, student, assignment))


def collect(source: Path, *, root: Path, workspace: Path) -> Report:
    """Collect every submission in ``source`` into the workspace (see the module docstring)."""
    source = Path(source).expanduser()
    if not source.is_dir():
        raise CourseError(f"{source} is not a folder: give nbgrader's exchange inbound folder "
                          "or a folder laid out <student>/<id>/<id>.ipynb")
    root = Path(root).resolve()
    ws = Workspace.at(workspace)
    if ws.path == root or ws.path in root.parents:
        raise CourseError(f"the workspace {ws.path} must not be the course root or above it")
    try:
        ws.state.mkdir(parents=True, exist_ok=True)
        ws.submitted.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CourseError(f"cannot write the workspace {ws.path}: {err.strerror}") from None
    known = assignment_ids(root)
    expected = {a: {f"{p.stem}.ipynb" for p in source_notebooks(root, a)} for a in known}
    inbound = _inbound(source)
    exchange = inbound.name == "inbound" or any(exchange_name(e.name, known)
                                                for e in entries(inbound))
    report = Report(inbound if exchange else source, "exchange" if exchange else "folders",
                    ws.submitted, datetime.now(UTC))
    found = (_from_exchange(inbound, known, report) if exchange
             else _from_folders(source, known, report))
    times = CollectionTimes(ws)
    picks = Picks(ws)
    try:
        for (student, assignment), folder in sorted(found.items(), key=lambda kv: kv[0]):
            label = f"{clean.line(student, 100)}/{assignment}"
            try:
                item = _collect_one(ws, student, assignment, folder, label, expected, times,
                                    picks, report)
            except Exception as err:  # noqa: BLE001 - one student's trouble, not the run's
                report.problems.append(f"{label}: could not be collected "
                                       f"({type(err).__name__}: {clean.line(err, 200)})")
                continue
            if item is not None:
                report.collected.append(item)
    finally:
        times.save()
    return report


def summary(report: Report) -> str:
    """What was collected, per assignment: new, changed, unchanged; then what was not."""
    kind = "nbgrader exchange" if report.layout == "exchange" else "folders"
    lines = [f"collected from {report.source} ({kind}) into {report.target} at "
             f"{report.time.isoformat(timespec='seconds')}"]
    if not report.collected and not report.problems:
        lines.append("nothing to collect")
    by_assignment: dict[str, list[Collected]] = defaultdict(list)
    for item in report.collected:
        by_assignment[item.assignment].append(item)
    for assignment, items in sorted(by_assignment.items()):
        counts = []
        for state in ("new", "changed", "unchanged"):
            names = [clean.line(i.student, 40) for i in items if i.state == state]
            if state == "unchanged" or not names:
                counts.append(f"{len(names)} {state}")
            else:
                shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
                counts.append(f"{len(names)} {state} ({shown})")
        lines.append(f"{assignment}: " + ", ".join(counts))
        for item in items:
            lines.extend(f"  {clean.line(item.student, 40)}: {note}" for note in item.notes)
    if report.ignored:
        lines.append("ignored: " + "; ".join(report.ignored[:20])
                     + (f"; and {len(report.ignored) - 20} more" if len(report.ignored) > 20
                        else ""))
    if report.problems:
        lines.append("not collected:")
        lines.extend(f"  {p}" for p in report.problems)
    return "\n".join(lines)
