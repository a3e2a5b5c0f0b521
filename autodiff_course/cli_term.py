"""The ``autodiff-course`` subcommands of a term around grading: collect and pick, hand grades,
feedback back to students, the class report, similarity, LMS export, migration, the student copy.

:mod:`autodiff_course.cli` builds the command and adds these with :func:`add_term_commands`;
each handler imports its module when it runs, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .layout import CourseError, check_course_root, default_workspace, find_course_root
from .records import GradingOptions

DEFAULT_TOP, DEFAULT_THRESHOLD = 20, 0.5  # similarity: the pairs the page shows


def course_root(args) -> Path:
    return check_course_root(args.course_root) if args.course_root else find_course_root()


def _workspace(args, root: Path) -> Path:
    return Path(args.workspace) if args.workspace else default_workspace(root)


def _collect(args) -> int:
    from .collect import collect, summary

    root = course_root(args)
    print(summary(collect(Path(args.source), root=root, workspace=_workspace(args, root))))
    return 0


def _pick(args) -> int:
    from .layout import Workspace
    from .picks import pick

    root = course_root(args)
    print(pick(root, Workspace.at(_workspace(args, root)), args.student, args.assignment,
               args.notebook_file, args.notebook))
    return 0


def _migrate(args) -> int:
    from . import migrate
    from .batch import NO_SANDBOX_WARNING
    from .layout import Workspace

    root = course_root(args)
    options = GradingOptions(sandbox=not args.no_sandbox)
    summary = migrate.migrate(root, Path(args.workspace), assignments=args.assignment or None,
                              db_url=args.db_url, dry_run=args.dry_run, options=options,
                              progress=not args.no_progress)
    text = migrate.report(summary, Workspace.at(args.workspace, args.db_url))
    if text:
        print(text)
    if args.no_sandbox and summary.regraded:
        print(NO_SANDBOX_WARNING, file=sys.stderr)
    return 0


def _exchange_root(root: Path) -> Path:
    """The exchange ``make lab`` sets up (jupyter-config/nbgrader_config.py's Exchange.root)."""
    from traitlets.config import PyFileConfigLoader

    config_dir = root / "jupyter-config"
    if not (config_dir / "nbgrader_config.py").is_file():
        raise CourseError(f"no {config_dir / 'nbgrader_config.py'}: give the exchange with "
                          "--exchange DIR (the folder nbgrader's Exchange.root names)")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(config_dir)).load_config()
    return Path(config.Exchange.root)


def _release_feedback(args) -> int:
    from .feedback_release import release, summary
    from .layout import Workspace

    workspace = Path(args.workspace)
    if not (workspace / "feedback").is_dir():
        raise CourseError(f"no feedback/ in {workspace}: grade first with `autodiff-course "
                          f"autograde SUBMISSIONS --workspace {workspace}`")
    exchange = Path(args.exchange) if args.exchange else _exchange_root(course_root(args))
    print(summary(release(Workspace.at(workspace), exchange)))
    return 0


def _report(args) -> int:
    from . import class_report
    from .layout import Workspace

    path, assignments = class_report.write(Workspace.at(args.workspace, args.db_url))
    print(class_report.summary(path, assignments))
    return 0


def _similarity(args) -> int:
    from . import clean, similarity, similarity_page
    from .layout import Workspace

    if args.top < 0 or not 0.0 <= args.threshold <= 1.0:
        raise CourseError("--top takes a count (0 or more) and --threshold a score from 0 to 1")
    ws = Workspace.at(args.workspace)
    pairs, skipped = similarity.scan(ws, course_root(args), args.assignment or None)
    for s in skipped:
        print(f"not compared: {clean.line(s.student, 100)}/{s.assignment}: "
              f"{clean.line(s.reason, 300)}", file=sys.stderr)
    csv_path, html_path = ws.path / "similarity.csv", ws.path / "similarity" / "index.html"
    similarity.write_csv(csv_path, pairs)
    shown = similarity.top_pairs(pairs, args.threshold, args.top)
    similarity_page.write(html_path, shown, total=len(pairs), threshold=args.threshold)
    print(similarity.summary(pairs, shown, args.threshold))
    print(f"all pairs: {csv_path}\nside by side: {html_path}")
    return 0


def _export(args) -> int:
    from . import clean, export
    from .layout import Workspace

    done = export.export(Workspace.at(args.workspace), args.format,
                         Path(args.output) if args.output else None,
                         Path(args.roster) if args.roster else None)
    for warning in done.warnings:
        print(f"warning: {clean.line(warning, 2000)}", file=sys.stderr)
    print(f"{done.students} students x {done.assignments} assignments -> {done.path} "
          f"({args.format})")
    return 0


def _student_copy(args) -> int:
    from .student_copy import make_student_copy

    made = make_student_copy(course_root(args), Path(args.dir))
    print(f"wrote the student copy to {made.path}: {made.files} files in one commit "
          f"{made.commit[:12]} (from the course's commit {made.source_commit[:12]}; no "
          "solutions/, tests/, grading state or instructor tools)")
    if made.uncommitted:
        print(f"note: {len(made.uncommitted)} uncommitted change(s) in course/, assignments/ or "
              f"autograd_ref/ are NOT in the copy (e.g. {made.uncommitted[0]}): commit them and "
              "make the copy again")
    print(f"next: git -C {made.path} remote add origin URL && git -C {made.path} push -u origin "
          "main   (URL: the repository students clone from; see docs/student-copy.md to "
          "publish an update over an earlier copy)")
    return 0


def _grades(args) -> int:
    from . import grades
    from .layout import Workspace
    from .report import status_counts, table

    ws = Workspace.at(args.workspace, args.db_url)
    rows = grades.refresh(ws)
    print(table(rows))
    print()
    print(f"{len(rows)} rows: {status_counts(rows) or 'none'}")
    print(grades.waiting_line(grades.waiting(ws)))
    print(f"grades: {ws.grades_csv}")
    return 0


def _grade_by_hand(args) -> int:
    from . import grades
    from .layout import Workspace

    ws = Workspace.at(args.workspace, args.db_url)
    grades.grade_by_hand(ws, student=args.student, assignment=args.assignment, cell=args.cell,
                         points=args.points, comment=args.comment, notebook=args.notebook)
    rows = grades.refresh(ws)
    row = next((r for r in rows if (r.student, r.assignment) == (args.student, args.assignment)
                and r.status.ran), None)
    shown = "" if row is None else f": {row.assignment} now {row.score:g}/{row.max_score:g}" + (
        f", {row.pending_manual:g} pending" if row.pending_manual else "")
    unit = "point" if args.points == 1 else "points"
    print(f"{args.student} {args.cell}: {args.points:g} {unit} by hand{shown}")
    print(grades.waiting_line(grades.waiting(ws)))
    return 0


def _pending(args) -> int:
    from . import grades
    from .layout import Workspace

    ws = Workspace.at(args.workspace, args.db_url)
    items = grades.waiting(ws, args.assignment)
    if items:
        print(grades.waiting_listing(items))
        print()
    print(grades.waiting_line(items))
    return 0


def _formgrader(args) -> int:
    from .formgrader import serve

    return serve(course_root(args), Path(args.workspace), port=args.port, db_url=args.db_url,
                 open_browser=not args.no_browser, extra=args.jupyter_arg)


def add_term_commands(sub, common: argparse.ArgumentParser) -> None:
    """The subcommands of a term around grading, on ``sub`` (``common``: --course-root)."""
    p = sub.add_parser("collect", parents=[common],
                       help="copy new or changed submissions into WORKSPACE/submitted/ and "
                            "record when (the grader's clock)")
    p.add_argument("source", metavar="SOURCE",
                   help="nbgrader's exchange inbound folder (grading/exchange/autodiff-course/"
                        "inbound) or a folder laid out <student>/<id>/<id>.ipynb")
    p.add_argument("--workspace", metavar="DIR",
                   help="grading workspace (default: grading/ in the course root, or "
                        "$AUTODIFF_COURSE_WORKSPACE)")
    p.set_defaults(run=_collect)

    p = sub.add_parser("pick", parents=[common],
                       help="grade NOTEBOOK_FILE for one student's assignment from now on "
                            "(the expected name undoes it)")
    p.add_argument("notebook_file", metavar="NOTEBOOK_FILE",
                   help="a file name in WORKSPACE/submitted/<student>/<id>/")
    p.add_argument("--student", required=True, metavar="NAME")
    p.add_argument("--assignment", required=True, metavar="ID")
    p.add_argument("--notebook", metavar="NAME",
                   help="which of the assignment's notebooks (only when it has several)")
    p.add_argument("--workspace", metavar="DIR",
                   help="grading workspace (default: grading/ in the course root, or "
                        "$AUTODIFF_COURSE_WORKSPACE)")
    p.set_defaults(run=_pick)

    p = sub.add_parser("migrate", parents=[common],
                       help="carry a workspace over to assignments changed in solutions/ after "
                            "grading: keeps hand grades, re-grades (see docs/migrate.md)")
    p.add_argument("workspace", metavar="WORKSPACE", help="the workspace autograde wrote to")
    p.add_argument("--assignment", action="append", metavar="ID",
                   help="only this assignment (repeatable; default: every one in the gradebook)")
    p.add_argument("--db-url", metavar="URL",
                   help="the gradebook database autograde used (default sqlite in WORKSPACE)")
    p.add_argument("--dry-run", action="store_true",
                   help="say what changed and what would happen to hand grades; change nothing")
    p.add_argument("--no-sandbox", action="store_true",
                   help="re-grade without bubblewrap: only for code you trust")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_migrate)

    p = sub.add_parser("release-feedback", parents=[common],
                       help="hand the feedback pages of WORKSPACE back through nbgrader's "
                            "exchange (the Assignment List's Fetch Feedback)")
    p.add_argument("workspace", metavar="WORKSPACE")
    p.add_argument("--exchange", metavar="DIR",
                   help="nbgrader's exchange root (default: the one jupyter-config/ sets up "
                        "for make lab, grading/exchange)")
    p.set_defaults(run=_release_feedback)

    p = sub.add_parser("report", help="write WORKSPACE/report/index.html: per assignment the "
                                      "score distribution, per-question figures, failing checks, "
                                      "hand grades pending, late and ungraded work")
    p.add_argument("workspace", metavar="WORKSPACE", help="a workspace autograde has written")
    p.add_argument("--db-url", metavar="URL",
                   help="the workspace's gradebook database, if not its sqlite file")
    p.set_defaults(run=_report)

    p = sub.add_parser("similarity", parents=[common],
                       help="pairs of students whose answers share code: WORKSPACE/similarity.csv "
                            "and WORKSPACE/similarity/index.html")
    p.add_argument("workspace", metavar="WORKSPACE", help="a grading workspace (its submitted/)")
    p.add_argument("--assignment", action="append", metavar="ID",
                   help="only this assignment (repeatable; default: every one submitted)")
    p.add_argument("--top", type=int, default=DEFAULT_TOP, metavar="N",
                   help=f"pairs shown side by side and printed (default {DEFAULT_TOP})")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="SCORE",
                   help="show pairs scoring at least this, 0 to 1 (default "
                        f"{DEFAULT_THRESHOLD}; similarity.csv has every pair sharing code)")
    p.set_defaults(run=_similarity)

    p = sub.add_parser("export", help="grades.csv as a gradebook file for Canvas or Moodle "
                                      "(one row per student, one column per assignment)")
    p.add_argument("workspace", metavar="WORKSPACE", help="a grading workspace (its grades.csv)")
    p.add_argument("--format", required=True, metavar="canvas|moodle|csv",
                   help="canvas: Canvas's gradebook import; moodle: Moodle's CSV grade import; "
                        "csv: student, assignments, total")
    p.add_argument("--output", metavar="PATH",
                   help="the file to write (default WORKSPACE/exports/FORMAT.csv)")
    p.add_argument("--roster", metavar="ROSTER.csv",
                   help="maps folder names to LMS ids: columns student, and name, id, "
                        "sis_user_id, sis_login_id, section (Canvas) or email, idnumber (Moodle)")
    p.set_defaults(run=_export, course_root=None)

    p = sub.add_parser("student-copy", parents=[common],
                       help="write the repository students clone: a new git repository at DIR "
                            "without solutions, hidden tests or instructor tools")
    p.add_argument("dir", metavar="DIR", help="a new or empty folder outside the course")
    p.set_defaults(run=_student_copy)

    db_url = argparse.ArgumentParser(add_help=False)
    db_url.add_argument("workspace", metavar="WORKSPACE", help="the folder graded into")
    db_url.add_argument("--db-url", metavar="URL",
                        help="the gradebook it was graded with, if not the workspace's sqlite")

    p = sub.add_parser("grades", parents=[db_url],
                       help="refresh WORKSPACE/grades.csv from the gradebook (hand grades "
                            "included; runs no notebook) and print it")
    p.set_defaults(run=_grades)

    p = sub.add_parser("grade-by-hand", parents=[db_url],
                       help="enter a hand grade for a written answer, then refresh grades.csv")
    p.add_argument("--student", required=True, metavar="NAME")
    p.add_argument("--assignment", required=True, metavar="ID")
    p.add_argument("--cell", required=True, metavar="CELL_ID",
                   help="the written answer's grade id (`pending` lists them)")
    p.add_argument("--points", required=True, type=float, metavar="P")
    p.add_argument("--comment", metavar="TEXT", help="a comment for the student (Formgrader's)")
    p.add_argument("--notebook", metavar="NAME",
                   help="the notebook, when several notebooks of the assignment have that cell")
    p.set_defaults(run=_grade_by_hand)

    p = sub.add_parser("pending", parents=[db_url],
                       help="list the written answers waiting for a hand grade, with their text")
    p.add_argument("--assignment", metavar="ID", help="only this assignment")
    p.set_defaults(run=_pending)

    p = sub.add_parser("formgrader", parents=[common, db_url],
                       help="start Jupyter on loopback with nbgrader's Formgrader on WORKSPACE")
    p.add_argument("--port", type=int, default=8890, metavar="N", help="(default 8890)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument("--jupyter-arg", action="append", default=[], metavar="=OPTION",
                   help="one more option for `jupyter lab` (repeatable; write it with '=': "
                        "--jupyter-arg=--IdentityProvider.token=SECRET)")
    p.set_defaults(run=_formgrader)
