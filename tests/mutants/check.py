"""Grade the mutant battery for real: ``python -m tests.mutants.check [TOPIC ...]``.

Builds one submission per mutant (the instructor's answers with the mutant's cell swapped in)
plus one honest submission per topic, grades them all with ``autodiff-course autograde``
(sandboxed where bwrap is installed), runs ``autodiff-course validate --json`` on every mutant,
and prints per mutant: the points lost in each cell, whether all of them are in its own part,
and which parts validate failed. ``tests/sandbox/test_mutants.py`` asserts on the same results.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tests.pipeline_fixtures import CLI, env

from . import REPO, Mutant, all_mutants, apply

HONEST = "honest"


@dataclass
class Outcome:
    """What the grader and validate made of one submission."""

    lost: dict[str, float] = field(default_factory=dict)  # graded cell -> points lost
    status: str = ""
    validate_exit: int | None = None
    validate_failed: list[str] = field(default_factory=list)  # graded cells FAIL or TODO
    validate_error: str = ""


def build(topics: list[str], mutants: list[Mutant], submissions: Path) -> dict[str, Path]:
    """Write the submissions; returns {student: notebook path} for the mutants."""
    from autodiff_course.notebooks import fill_answers, read
    from autodiff_course.release import released_notebook

    paths = {}
    for topic in topics:
        source = read(REPO / "solutions" / topic / f"{topic}.ipynb")
        honest = fill_answers(released_notebook(source), source)
        for student, nb in [(f"{HONEST}-{topic[:2]}", honest)] + [
                (m.student, apply(m, honest)) for m in mutants if m.topic == topic]:
            path = submissions / student / topic / f"{topic}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(path))
            paths[student] = path
    return paths


def _validate(path: Path) -> tuple[int, list[str], str]:
    result = subprocess.run([*CLI, "validate", str(path), "--json", "--timeout", "120"],
                            cwd=REPO, env=env(), capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.returncode, [], (result.stdout + result.stderr)[-2000:]
    failed = [p["name"] for p in report["parts"] if p["status"] in ("FAIL", "TODO")]
    return result.returncode, failed, report.get("error") or ""


def grade(topics: list[str] | None = None, *, jobs: int = 2,
          workdir: Path | None = None) -> dict[str, Outcome]:
    """Outcomes by student id (mutant names, and ``honest-NN`` per topic)."""
    from nbgrader.api import Gradebook

    from autodiff_course.layout import COURSE_ID, assignment_ids

    topics = topics or assignment_ids(REPO)
    mutants = all_mutants(topics)
    workdir = Path(workdir or tempfile.mkdtemp(prefix="mutants-"))
    # The work folder is a course of its own whose solutions/ is this checkout's and which has
    # no assignments/: validate then judges with the visible tests of a fresh release of the
    # current solutions, not with the committed release (which may lag while tests are edited).
    (workdir / "solutions").symlink_to(REPO / "solutions")
    (workdir / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text())
    submissions, workspace = workdir / "submissions", workdir / "workspace"
    paths = build(topics, mutants, submissions)
    result = subprocess.run(
        [*CLI, "autograde", str(submissions), "--workspace", str(workspace), "--jobs", str(jobs),
         "--timeout", "120", "--no-progress"],
        cwd=REPO, env=env(), capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"autograde failed ({result.returncode}):\n"
                           f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    outcomes = {student: Outcome() for student in paths}
    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}", COURSE_ID) as gb:
        for student, path in paths.items():
            topic = path.parent.name
            submission = gb.find_submission(topic, student)
            for notebook in submission.notebooks:
                for g in notebook.grades:
                    if g.auto_score is None:
                        continue  # written answers wait for a person
                    lost = float(g.max_score) - float(g.score)
                    if lost:
                        outcomes[student].lost[g.name] = lost
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {m.student: pool.submit(_validate, paths[m.student]) for m in mutants}
        for student, future in futures.items():
            code, failed, error = future.result()
            outcome = outcomes[student]
            outcome.validate_exit, outcome.validate_failed, outcome.validate_error = \
                code, failed, error
    return outcomes


def verdicts(mutant: Mutant, outcome: Outcome) -> dict[str, bool]:
    """The three checks every mutant must pass."""
    from autodiff_course.notebooks import parts, read

    owner = parts(read(REPO / "solutions" / mutant.topic / f"{mutant.topic}.ipynb"))
    return {
        "loses points": sum(outcome.lost.values()) >= 1,
        "only in its part": all(owner.get(cell) == mutant.cell for cell in outcome.lost),
        "validate names it": outcome.validate_exit == 1 and any(
            owner.get(cell) == mutant.cell for cell in outcome.validate_failed),
    }


def main(argv: list[str]) -> int:
    topics = [t for t in argv if not t.startswith("-")] or None
    if topics:
        from autodiff_course.layout import assignment_ids

        known = assignment_ids(REPO)
        topics = [next((k for k in known if k.startswith(t)), t) for t in topics]
    outcomes = grade(topics)
    bad = 0
    for student, outcome in outcomes.items():
        if student.startswith(HONEST):
            print(f"{student:<45} lost {outcome.lost or 'nothing'}")
            bad += bool(outcome.lost)
    for mutant in all_mutants(topics):
        outcome = outcomes[mutant.student]
        checks = verdicts(mutant, outcome)
        bad += not all(checks.values())
        flags = " ".join(("ok " if v else "BAD ") + k for k, v in checks.items())
        print(f"{mutant.name:<45} [{mutant.cell}] lost {outcome.lost} | validate "
              f"{outcome.validate_exit} {outcome.validate_failed} {outcome.validate_error} | "
              f"{flags}")
    print(f"{len(all_mutants(topics))} mutants, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
