"""The ``autodiff-course`` command: release, collect, autograde, grade, report and hand back.

Exit status: 0 success; 1 the check failed (validate found failing tests, release --check found a
stale release); 2 the tool could not run (the message says what to fix); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .cli_term import add_term_commands, course_root
from .layout import CourseError, default_workspace
from .limits import Limits
from .records import GradingOptions

DEFAULT_TIMEOUT = int(GradingOptions().timeout)

DEFAULT_LIMITS = Limits()



def _release(args) -> int:
    from .release import check_release, release

    root = course_root(args)
    if args.check:
        problems = check_release(root, args.ids or None)
        if problems:
            print("the committed release is stale: run `autodiff-course release` and commit "
                  "assignments/", file=sys.stderr)
            return 1
        print("assignments/ matches a fresh release")
        return 0
    release(root, args.ids or None)
    return 0


def _autograde(args) -> int:
    from . import batch

    root = course_root(args)
    workspace = Path(args.workspace) if args.workspace else default_workspace(root)
    limits = Limits(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds,
                    processes=args.processes)
    options = GradingOptions(timeout=args.timeout, sandbox=not args.no_sandbox, limits=limits)
    outcome = batch.autograde(Path(args.submissions), root=root, workspace=workspace,
                              assignments=args.assignment or None, options=options,
                              jobs=args.jobs, db_url=args.db_url, scheduler=args.scheduler,
                              regrade=args.regrade, students=args.student or None,
                              progress=not args.no_progress)
    print(batch.summary(outcome))
    if args.no_sandbox:
        print(batch.NO_SANDBOX_WARNING, file=sys.stderr)
    return 0


def _validate(args) -> int:
    from .validate import check

    sandbox = False if args.no_sandbox else None
    if args.json:
        report = check(Path(args.notebook), timeout=args.timeout, sandbox=sandbox,
                       log=lambda line: None)
        print(report.as_json())
    else:
        report = check(Path(args.notebook), timeout=args.timeout, sandbox=sandbox)
    if report.error:
        print(f"autodiff-course validate: {report.error}", file=sys.stderr)
        return 2
    return 0 if report.ok else 1


def _demo(args) -> int:
    from .demo import demo

    demo(course_root(args), workspace=Path(args.workspace) if args.workspace else None,
         jobs=args.jobs)
    return 0


def _add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check a notebook as the grader does (visible tests); "
                                        "exit 1 unless every part passes")
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.add_argument("--timeout", type=int, default=120, metavar="SECONDS",
                   help="per-cell time limit (default 120)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="do not use bubblewrap even where it is installed")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=_validate, course_root=None)


def build_student_parser() -> argparse.ArgumentParser:
    """The command as the student copy installs it: the self-check and nothing else."""
    parser = argparse.ArgumentParser(
        prog="autodiff-course",
        description="Check your assignment notebook the way the grader does (visible tests).",
    )
    _add_validate(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autodiff-course",
        description="Release, grade and self-check the autodiff course's notebooks (on nbgrader).",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course-root", metavar="DIR",
                        help="the folder holding solutions/ "
                             "(default: found from the working folder)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")



    p = sub.add_parser("release", parents=[common], help="generate assignments/ from solutions/")
    p.add_argument("ids", nargs="*", metavar="ID", help="assignment ids (default: all)")
    p.add_argument("--check", action="store_true",
                   help="do not write: exit 1 if assignments/ differs from a fresh release")
    p.set_defaults(run=_release)

    p = sub.add_parser("autograde", parents=[common],
                       help="grade SUBMISSIONS/<student>/<id>/<notebook>.ipynb")
    p.add_argument("submissions", metavar="SUBMISSIONS")
    p.add_argument("--workspace", metavar="DIR",
                   help="grading state: submitted, autograded, feedback, gradebook, grades.csv "
                        "(default: grading/ in the course root, or $AUTODIFF_COURSE_WORKSPACE)")
    p.add_argument("--assignment", action="append", metavar="ID",
                   help="grade only this assignment (repeatable; default: every one submitted)")
    p.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"per-cell time limit (default {DEFAULT_TIMEOUT})")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help=f"students graded at a time (default 1; this machine has {os.cpu_count()} "
                        "cores, more jobs than cores gains nothing)")
    p.add_argument("--memory-mb", type=int, default=DEFAULT_LIMITS.memory_mb, metavar="MB",
                   help="memory of each kernel's whole process tree "
                        f"(default {DEFAULT_LIMITS.memory_mb})")
    p.add_argument("--cpu-seconds", type=int, default=DEFAULT_LIMITS.cpu_seconds, metavar="S",
                   help=f"CPU time of each kernel (default {DEFAULT_LIMITS.cpu_seconds})")
    p.add_argument("--processes", type=int, default=DEFAULT_LIMITS.processes, metavar="N",
                   help=f"processes and threads of each kernel (default "
                        f"{DEFAULT_LIMITS.processes})")
    p.add_argument("--db-url", metavar="URL",
                   help="gradebook database (default sqlite in the workspace; e.g. "
                        "postgresql+psycopg2://user@host/db)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run student kernels without bubblewrap: only for code you trust "
                        "(see docs/grading.md)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="grade on this Dask cluster, one task per student and assignment "
                        "(default: a local cluster of --jobs workers; see docs/scaling.md)")
    p.add_argument("--regrade", action="store_true",
                   help="grade again even what is up to date (by default only notebooks whose "
                        "content, tests or grader changed are graded)")
    p.add_argument("--student", action="append", metavar="NAME",
                   help="only this student's folder (repeatable); with --regrade, re-grade "
                        "just this student")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_autograde)

    _add_validate(sub)

    p = sub.add_parser("demo", parents=[common],
                       help="release and grade sample submissions in a temporary workspace")
    p.add_argument("--workspace", metavar="DIR", help="keep the demo's files in DIR")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), metavar="N")
    p.set_defaults(run=_demo)

    add_term_commands(sub, common)
    return parser


def student_main(argv: list[str] | None = None) -> int:
    """The student copy's ``autodiff-course``: validate only."""
    return main(argv, build_student_parser)


def main(argv: list[str] | None = None, build=build_parser) -> int:
    args = build().parse_args(argv)
    try:
        return args.run(args)
    except CourseError as err:
        print(f"autodiff-course {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"autodiff-course {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the output was piped into a command that stopped reading
        sys.stderr.close()
        return 1


if __name__ == "__main__":
    sys.exit(main())
