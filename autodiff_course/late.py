"""The course's late policy: deadlines, a grace period, a penalty, extensions (``course.toml``).

The policy is data the instructor edits, so it lives in a TOML file at the course root, read with
the standard library's :mod:`tomllib` and checked key by key (a mistake stops the run with one
line naming the key and what to write), apart from ``nbgrader_config.py``, which is Python that
nbgrader executes. Other tables of ``course.toml`` belong to other parts of the course and are
left alone here::

    [late]
    grace_minutes = 15      # collected up to 15 min after the deadline: on time
    penalty = "per-day"     # "none", "zero", "per-day" or "per-hour"
    amount = "10%"          # per started day (hour): points (1.5) or a share of the max score

    [deadlines]             # ISO 8601 with a time zone (a TOML date-time or a string)
    "01-finite-differences" = 2026-10-05T23:59:00+01:00

    [extensions."01-finite-differences"]
    ada = 2026-10-08T23:59:00+01:00     # ada's own deadline for that assignment

Lateness is counted from the (student's) deadline to the grader's collection time
(:class:`autodiff_course.intake.CollectionTimes`), never from anything a student wrote. Within
the grace period there is no penalty; beyond it, ``per-day`` takes ``amount`` off for every
*started* day late (1 day 3 h late: 2 days), ``per-hour`` for every started hour (the unit of
the per-hour example in nbgrader's late-submission plugin docs), ``zero`` takes the whole score
(nbgrader's ``penalty_method = 'zero'``) and ``none`` only reports it. The penalty of a notebook
never exceeds its score, so the score after the penalty is never below 0 and nbgrader's export
(``max(0, score - penalty)``) shows the same number as grades.csv.

The penalty is computed from scratch on every autograde run (:func:`decide`) and stored, not
subtracted, in nbgrader's ``SubmittedNotebook.late_submission_penalty``: changing the policy and
running autograde again re-applies it, and no penalty is ever applied twice.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .layout import CourseError

POLICY_FILE = "course.toml"
METHODS = ("none", "zero", "per-day", "per-hour")
PERIODS = {"per-day": (86400, "day"), "per-hour": (3600, "hour")}
LATE_KEYS = ("grace_minutes", "penalty", "amount")
EXAMPLE_TIME = "2026-10-05T23:59:00+01:00"
# a note this module wrote at the head of a row's message (its notes hold no ";")
_NOTE = re.compile(r"^late by [^;]*(?:; |$)")


def _error(key: str, problem: str, fix: str) -> CourseError:
    return CourseError(f"{POLICY_FILE}: {key} {problem}; {fix}")


@dataclass(frozen=True)
class Decision:
    """What the policy makes of one notebook: seconds late, points off, and the row's note."""

    seconds_late: float
    penalty: float
    note: str  # "" when on time and nothing needs saying


@dataclass(frozen=True)
class LatePolicy:
    """A course's late policy (see the module docstring); the default one has no deadlines."""

    deadlines: dict[str, datetime] = field(default_factory=dict)
    extensions: dict[tuple[str, str], datetime] = field(default_factory=dict)
    grace: timedelta = timedelta(0)
    method: str = "none"
    amount: float = 0.0
    share: bool = False  # amount is a share of the notebook's max score, not points

    def deadline(self, assignment: str, student: str) -> datetime | None:
        """The student's deadline for the assignment (an extension when there is one)."""
        return self.extensions.get((assignment, student), self.deadlines.get(assignment))

    def decide(self, assignment: str, student: str, collected: datetime | None, score: float,
               max_score: float) -> Decision:
        """Points off a notebook scoring ``score`` (of ``max_score``) collected at ``collected``."""
        deadline = self.deadline(assignment, student)
        if deadline is None or collected is None:
            return Decision(0.0, 0.0, "")
        if collected.tzinfo is None:
            collected = collected.replace(tzinfo=UTC)  # the gradebook's naive times are UTC
        late = max(0.0, (collected - deadline).total_seconds())
        if late == 0:
            return Decision(0.0, 0.0, "")
        extended = " (extended deadline)" if (assignment, student) in self.extensions else ""
        grace = f"grace {duration(self.grace.total_seconds())}" if self.grace else "no grace"
        if late <= self.grace.total_seconds():
            return Decision(late, 0.0, f"late by {duration(late)}{extended}, within the grace "
                                       f"period ({duration(self.grace.total_seconds())}): "
                                       "no penalty")
        head = f"late by {duration(late)}{extended} ({grace})"
        if self.method == "none":
            return Decision(late, 0.0, f"{head}: no penalty under the course's policy")
        if self.method == "zero":
            penalty = max(0.0, score)
            return Decision(late, penalty, f"{head}: scored 0 under the course's policy "
                                           f"(-{penalty:g} points)")
        seconds, unit = PERIODS[self.method]
        periods = math.ceil(late / seconds)
        each = self.amount * max_score if self.share else self.amount
        wanted = round(periods * each, 6)
        penalty = min(wanted, max(0.0, score))
        rate = f"{self.amount * 100:g}% of {max_score:g}" if self.share else f"{self.amount:g}"
        capped = ", capped at the score" if penalty < wanted else ""
        return Decision(late, penalty, f"{head}: -{penalty:g} points ({periods} started "
                                       f"{unit}{'s' if periods != 1 else ''} x {rate}{capped})")


def has_note(message: str) -> bool:
    """Whether ``message`` starts with a note of this module's."""
    return _NOTE.match(message) is not None


def with_note(message: str, note: str) -> str:
    """``message`` with its late note (if any) replaced by ``note``, at its head where the
    printed table shows it."""
    rest = _NOTE.sub("", message, count=1)
    return f"{note}; {rest}" if note and rest else (note or rest)


def duration(seconds: float) -> str:
    """``93780`` -> ``"1 day 2 h 3 min"``; under a minute, seconds."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "0 min"


def _time(value, key: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _error(key, f"is not an ISO 8601 time ({value!r})",
                         f"write e.g. {EXAMPLE_TIME}") from None
    if not isinstance(value, datetime):
        raise _error(key, "is not a date and time", f"write e.g. {EXAMPLE_TIME}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _error(key, "has no time zone", f"add one, e.g. {EXAMPLE_TIME} or "
                                              f"{EXAMPLE_TIME[:19]}Z")
    return value


def _amount(value, key: str) -> tuple[float, bool]:
    share = False
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number, share = float(value.strip()[:-1]) / 100, True
        except ValueError:
            raise _error(key, f"is not a number or a percentage ({value!r})",
                         'write points (1.5) or a share of the max score ("10%")') from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raise _error(key, f"is not a number or a percentage ({value!r})",
                     'write points (1.5) or a share of the max score ("10%")')
    if not math.isfinite(number) or number < 0:
        raise _error(key, f"is negative or not finite ({value!r})",
                     'write points (1.5) or a share of the max score ("10%"), 0 or more')
    return number, share


def parse(data: dict, known: list[str]) -> LatePolicy:
    """The policy in ``course.toml``'s parsed ``data``; ``known``: the course's assignment ids."""
    late = data.get("late", {})
    if not isinstance(late, dict):
        raise _error("[late]", "is not a table", "write [late] on a line of its own")
    unknown = sorted(set(late) - set(LATE_KEYS))
    if unknown:
        raise _error(f"[late] {unknown[0]}", "is not a setting",
                     f"use {', '.join(LATE_KEYS)}")
    grace = late.get("grace_minutes", 0)
    if not isinstance(grace, int | float) or isinstance(grace, bool) or not grace >= 0 \
            or not math.isfinite(grace):
        raise _error("[late] grace_minutes", f"must be a number of minutes, 0 or more "
                     f"({grace!r})", "write e.g. grace_minutes = 15")
    method = late.get("penalty", "none")
    if method not in METHODS:
        raise _error("[late] penalty", f"is {method!r}",
                     f"write one of {', '.join(repr(m) for m in METHODS)}")
    if method in PERIODS and "amount" not in late:
        raise _error("[late] amount", f"is missing (penalty = {method!r} needs it)",
                     'write points per started period (1.5) or a share of the max score '
                     '("10%")')
    amount, share = _amount(late.get("amount", 0), "[late] amount")

    deadlines_table = data.get("deadlines", {})
    if not isinstance(deadlines_table, dict):
        raise _error("[deadlines]", "is not a table",
                     f'write [deadlines] then "ID" = {EXAMPLE_TIME}')
    deadlines = {}
    for assignment, value in deadlines_table.items():
        key = f"[deadlines] {assignment!r}"
        if assignment not in known:
            raise _error(key, "is not an assignment of this course",
                         f"use one of {', '.join(known) or '(none in solutions/)'}")
        deadlines[assignment] = _time(value, key)

    extensions_table = data.get("extensions", {})
    if not isinstance(extensions_table, dict):
        raise _error("[extensions]", "is not a table",
                     f'write [extensions."ID"] then STUDENT = {EXAMPLE_TIME}')
    extensions = {}
    for assignment, students in extensions_table.items():
        key = f"[extensions.{assignment!r}]"
        if assignment not in known:
            raise _error(key, "is not an assignment of this course",
                         f"use one of {', '.join(known) or '(none in solutions/)'}")
        if assignment not in deadlines:
            raise _error(key, "extends an assignment with no deadline",
                         f'give it one under [deadlines] ("{assignment}" = {EXAMPLE_TIME})')
        if not isinstance(students, dict):
            raise _error(key, "is not a table", f"write STUDENT = {EXAMPLE_TIME} under it")
        for student, value in students.items():
            when = _time(value, f"{key} {student}")
            if when < deadlines[assignment]:
                raise _error(f"{key} {student}", "is before the assignment's deadline",
                             f"write a time after {deadlines[assignment].isoformat()}")
            extensions[(assignment, student)] = when
    return LatePolicy(deadlines, extensions, timedelta(minutes=grace), method, amount, share)


def load(root: Path, known: list[str]) -> LatePolicy:
    """The policy in ``ROOT/course.toml``; without that file, no deadlines (nobody is late)."""
    path = Path(root) / POLICY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LatePolicy()
    except (OSError, UnicodeDecodeError) as err:
        raise CourseError(f"{POLICY_FILE} cannot be read ({err}); fix its permissions or "
                          "encoding (UTF-8)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CourseError(f"{POLICY_FILE} is not valid TOML ({err}); see docs/collection.md "
                          "for an example") from None
    return parse(data, known)
