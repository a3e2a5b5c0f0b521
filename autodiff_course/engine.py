"""Grade one notebook: the student's cells run in their kernel, every verdict in the grader.

:func:`run_notebook` walks a (normalised) student notebook top to bottom:

- a code cell that is not a test (the given setup cells, the student's answers, cells they
  added) runs in the student's kernel (:class:`~autodiff_course.kernel.KernelSession`), as
  Jupyter would run it;
- a test cell is never sent to the kernel. Its *instructor's* source (from ``solutions/`` when
  grading, from the release when validating; never the student's copy) is executed here, in the
  grader's process, with :data:`autodiff_course.checking.student` connected to the kernel. The
  cell passes when that code finishes without an exception, and earns its points.

Hidden tests (between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``) run after the
visible part of their cell, like nbgrader runs them; what a student may read about them is
limited to the check's description and the kind of failure: no expected value, no input, no
line of the test (:class:`TestVerdict`). Everything, in full, goes to the instructor's log.

A kernel that dies or has to be stopped ends the run: tests after that point score 0 with the
reason, tests before it keep what they earned.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from . import checking
from .checking import CheckFailed, StudentError, StudentTimeout
from .kernel import NO_ANSWER, CellRun, KernelGone, KernelSession
from .kernel_side import codec
from .kernel_side.runtime import NOT_PLAIN
from .notebooks import cell_points, grade_id, is_answer, is_test
from .records import Status

BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
HIDDEN_PLACEHOLDER = "# (hidden tests run in the grader; they are not shown)"
MAX_PRINTED = 20_000

GRADED, TIMED_OUT, CRASHED = Status.GRADED, Status.TIMED_OUT, Status.CRASHED


def split_hidden(source: str) -> list[tuple[bool, str]]:
    """The test source as (hidden?, code) chunks in order; line numbers are kept."""
    chunks: list[tuple[bool, list[str]]] = []
    hidden = False
    lines = source.split("\n")
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines):
        if BEGIN_HIDDEN in line and not hidden or END_HIDDEN in line and hidden:
            chunks.append((hidden, [""] * start + current))
            hidden = not hidden
            current, start = [], number + 1
            continue
        current.append(line)
    chunks.append((hidden, [""] * start + current))
    return [(h, "\n".join(c)) for h, c in chunks if any(line.strip() for line in c)]


def visible_source(source: str) -> str:
    """The test source a student may read: hidden blocks replaced by one comment line."""
    out, hidden = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line and not hidden:
            hidden = True
            out.append(HIDDEN_PLACEHOLDER)
        elif END_HIDDEN in line and hidden:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out).rstrip()


@dataclass
class TestVerdict:
    """The grader's decision on one test cell."""

    grade_id: str
    max_score: float
    score: float = 0.0
    passed_lines: list[str] = field(default_factory=list)  # "ok ..." lines the student may see
    printed: str = ""  # what the visible part printed
    failure: str | None = None  # for the student (redacted when a hidden test failed)
    detail: str | None = None  # for the instructor: the full message or traceback
    hidden: bool = False  # the failure was in hidden tests
    unanswered: bool = False  # an answer this part needs is not written yet
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.failure is None


@dataclass
class NotebookRun:
    """Everything one notebook's run produced."""

    verdicts: dict[str, TestVerdict] = field(default_factory=dict)
    cells: dict[int, CellRun] = field(default_factory=dict)
    status: Status = GRADED
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # cells that ran after a hidden check had started: their outputs may repeat hidden inputs
    after_hidden: set[int] = field(default_factory=set)

    @property
    def score(self) -> float:
        return sum(v.score for v in self.verdicts.values())


class _Remote:
    """What ``checking.student`` talks to while the grader runs one test cell."""

    def __init__(self, session: KernelSession, cell_key: str, deadline: float, timeout: float):
        self.session, self.cell_key = session, cell_key
        self.deadline, self.timeout = deadline, timeout

    def request(self, code: str, inputs: dict[str, Any]) -> dict:
        if not isinstance(code, str):
            raise TypeError("student.eval takes the code to run as a string")
        try:
            inputs_text = codec.encode(inputs)
        except codec.NotPlain as err:
            raise TypeError(f"student.eval inputs must be plain data: {err}") from None
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise StudentTimeout(f"the test cell's {self.timeout:g} s were used up")
        try:
            return self.session.evaluate(code, inputs_text, self.cell_key, remaining)
        except TimeoutError:
            raise StudentTimeout(f"your code ran past the {self.timeout:g} s limit of this test "
                                 "cell and was interrupted") from None


def _label(cell, index: int) -> str:
    gid = grade_id(cell)
    return f"'{gid}'" if gid else f"{index + 1}"


def _student_error_text(err: StudentError, hidden: bool) -> str:
    if isinstance(err, StudentTimeout):
        return err.message
    if err.kind == "NotImplementedError":
        return "not answered yet: your code raised NotImplementedError"
    if err.kind == NO_ANSWER:
        return err.message
    if err.kind == NOT_PLAIN:
        return ("your code returned a value the grader cannot read" if hidden
                else f"your code {err.message}")
    if hidden:
        first = err.message.split("\n", 1)[0]
        frames = [line.strip() for line in err.message.split("\n")[1:] if line.strip()]
        where = f" ({frames[-1]})" if frames else ""
        return f"your code raised {err.kind}{where}" if first else "your code failed"
    return f"your code raised {err.message}"


def _test_traceback(err: BaseException, source: str) -> str:
    """Where in the test cell the grader's check failed: its own lines only, no file paths."""
    text = source.split("\n")
    lines = [f"  line {frame.lineno}: {text[frame.lineno - 1].strip()}"
             for frame in traceback.extract_tb(err.__traceback__)
             if frame.filename.startswith("<test cell") and 0 < (frame.lineno or 0) <= len(text)]
    message = "".join(traceback.format_exception_only(err)).strip()
    return "\n".join(["the test cell raised, at", *lines[-5:], message])[-4000:]


def _run_test(session: KernelSession, cell, source: str, timeout: float,
              unanswered: bool) -> TestVerdict:
    gid = grade_id(cell)
    points = cell_points(cell)
    verdict = TestVerdict(gid, points, unanswered=unanswered)
    started = time.monotonic()
    remote = _Remote(session, f"{gid}:{started}", started + timeout, timeout)
    namespace: dict[str, Any] = {"__name__": "__autodiff_course_test__", "__builtins__": builtins}
    chunk_hidden = False
    printed = io.StringIO()

    hidden_passed = 0

    def report(line: str) -> None:
        nonlocal hidden_passed
        if chunk_hidden:
            hidden_passed += 1  # counted, not quoted: the lines name hidden values
        else:
            verdict.passed_lines.append(line)

    session_token = checking.current_session.set(remote)
    reporter_token = checking.current_reporter.set(report)
    try:
        for chunk_hidden, code in split_hidden(source):
            sink = printed if not chunk_hidden else io.StringIO()
            with contextlib.redirect_stdout(sink):
                exec(compile(code, f"<test cell {gid}>", "exec"), namespace)  # noqa: S102
    except KernelGone:
        raise
    except CheckFailed as err:
        verdict.failure = err.redacted() if chunk_hidden else err.full()
        verdict.detail = err.full()
    except StudentError as err:
        verdict.failure = _student_error_text(err, chunk_hidden)
        verdict.detail = err.message
        unanswered = unanswered or err.kind == "NotImplementedError"
        verdict.unanswered = unanswered
    except Exception as err:  # noqa: BLE001 - the check could not use what the code returned
        verdict.failure = ("the check could not use the values your code returned "
                           f"({type(err).__name__})")
        verdict.detail = _test_traceback(err, source)
    finally:
        checking.current_session.reset(session_token)
        checking.current_reporter.reset(reporter_token)
    if hidden_passed:
        verdict.passed_lines.append(f"ok {hidden_passed} hidden check"
                                    f"{'s' if hidden_passed != 1 else ''}")
    verdict.hidden = verdict.failure is not None and chunk_hidden
    if verdict.failure is not None and verdict.hidden:
        verdict.failure = "a hidden test failed: " + verdict.failure
    if verdict.failure is not None and unanswered and "not answered" not in verdict.failure:
        verdict.failure += " (an answer this part needs is not written yet)"
    text = printed.getvalue()
    verdict.printed = text if len(text) <= MAX_PRINTED else text[:MAX_PRINTED] + "\n…"
    verdict.score = points if verdict.failure is None else 0.0
    verdict.seconds = time.monotonic() - started
    return verdict


def run_notebook(session: KernelSession, nb, test_sources: dict[str, str], *,
                 timeout: float) -> NotebookRun:
    """Run ``nb`` (see the module docstring). ``test_sources`` maps grade ids to source."""
    run = NotebookRun()
    started = time.monotonic()
    unanswered = False
    hidden_started = False
    gone: str | None = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        gid = grade_id(cell)
        if is_test(cell):
            points = cell_points(cell)
            if gone is not None:
                run.verdicts[gid] = TestVerdict(gid, points, failure=f"not run: {gone}",
                                                detail=gone)
                continue
            source = test_sources.get(gid, "")
            hidden_started = hidden_started or any(h for h, _ in split_hidden(source))
            try:
                run.verdicts[gid] = _run_test(session, cell, source, timeout, unanswered)
            except KernelGone as err:
                gone = f"the kernel was stopped while checking this part ({err.reason})"
                run.verdicts[gid] = TestVerdict(gid, points, failure=gone, detail=err.reason)
                run.problems.append(f"test cell '{gid}': {err.reason}")
                run.status = TIMED_OUT if err.timed_out else CRASHED
            unanswered = False
            continue
        if gone is not None or not cell.source.strip():
            continue
        try:
            result = session.run_cell(cell.source, timeout)
        except KernelGone as err:
            gone = f"the kernel was stopped at cell {_label(cell, index)} ({err.reason})"
            run.problems.append(f"cell {_label(cell, index)}: {err.reason}")
            run.status = TIMED_OUT if err.timed_out else CRASHED
            continue
        run.cells[index] = result
        if hidden_started:
            run.after_hidden.add(index)
        where = ("answer cell" if is_answer(cell) else "cell") + f" {_label(cell, index)}"
        if result.status == "timeout":
            run.status = TIMED_OUT
            run.problems.append(f"{where} ran past the {timeout:g} s limit and was interrupted")
        elif result.status == "error" and result.error is not None:
            name = result.error.get("ename", "Error")
            if name == "NotImplementedError" and is_answer(cell):
                unanswered = True
                run.problems.append(f"{where} is not answered yet")
            else:
                # after hidden checks, the message could quote their inputs: name the error only
                value = "" if hidden_started else " ".join(
                    str(result.error.get("evalue", "")).split())[:200]
                run.problems.append(f"{where} raised {name}" + (f": {value}" if value else ""))
    run.seconds = time.monotonic() - started
    return run
