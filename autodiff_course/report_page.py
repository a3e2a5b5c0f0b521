"""The class report as one inert HTML page (the numbers come from :mod:`.class_report`).

Like a feedback page (:mod:`autodiff_course.feedback`) it runs nothing and loads nothing: the
same Content-Security-Policy, no script, the plots inlined as SVG, links only to anchors in the
page. Every text that a student could have chosen (names, the messages of failing checks, grades
.csv messages) is cleaned and escaped.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from . import clean
from .class_report import MIN_STUDENTS, TOP_CHECKS, Assignment, Question
from .feedback import CSP, STYLE
from .score_plot import histogram_svg

NAMES_SHOWN = 12  # students named per failing check
EXTRA_STYLE = """
table.data { border-collapse: collapse; margin: .5em 0 1em; }
table.data td, table.data th { border-bottom: 1px solid #ddd; padding: .3em .6em;
       text-align: left; vertical-align: top; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.data tr:nth-child(even) td { background: #fafafa; }
svg { max-width: 100%; height: auto; }
nav ul { columns: 2; } section { border-top: 2px solid #eee; margin-top: 2em; }
h3 { font-size: 1.05em; margin-top: 1.5em; }
"""


def _esc(value: object, limit: int = 2000) -> str:
    return html.escape(clean.text(value, limit), quote=True)


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _when(iso: str) -> str:
    """An ISO time from grades.csv as 'YYYY-MM-DD HH:MM' UTC (shown as it is if unreadable)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return _esc(iso, 100)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A table of already-escaped cells; columns in ``numeric`` are right-aligned."""
    def cell(tag: str, i: int, text: str) -> str:
        return f"<{tag} class='num'>{text}</{tag}>" if i in numeric else f"<{tag}>{text}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>"
                   for r in rows)
    return f"<table class='data'><tr>{head}</tr>{body}</table>"


def _names(names: list[str]) -> str:
    shown = ", ".join(_esc(n, 100) for n in names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _discrimination(q: Question) -> str:
    if q.discrimination is not None:
        return _num(q.discrimination)
    return f"n/a <span class='note'>({_esc(q.why_not)})</span>"


def _distribution(a: Assignment) -> str:
    d = a.distribution
    if not d.count:
        return "<p class='note'>No student has every notebook of this assignment graded.</p>"
    stats = [["students", str(d.count)], ["mean", _num(d.stat("mean"))],
             ["median", _num(d.stat("median"))], ["min", _num(d.stat("min"))],
             ["max", _num(d.stat("max"))], ["out of", f"{d.max_points:g}"]]
    return (histogram_svg(d.scores, d.max_points, f"{a.id}: score distribution")
            + _table(["", "points"], stats, {1}))


def _questions(a: Assignment) -> str:
    if not a.questions:
        return "<p class='note'>No graded cells found in the gradebook.</p>"
    rows = [[_esc(q.notebook), _esc(q.name), f"{q.max_points:g}", str(len(q.scores)),
             _num(q.mean), _share(q.full_marks_share), _discrimination(q), str(q.pending)]
            for q in a.questions]
    return _table(["notebook", "question", "max", "students", "mean", "full marks",
                   "discrimination", "awaiting hand grade"], rows, {2, 3, 4, 5, 7})


def _failing(a: Assignment) -> str:
    notes = []
    if a.without_record:
        notes.append(f"<p class='note'>{a.without_record} of the {a.ran} notebooks that ran have "
                     "no recorded verdicts (graded before verdicts were recorded): "
                     "<code>autodiff-course autograde --regrade</code> records them.</p>")
    if not a.failing:
        return "<p>No failing check on record.</p>" + "".join(notes)
    rows = [[_esc(f.notebook), _esc(f.part), _esc(f.check, 400), str(len(f.students)),
             _names(f.students)] for f in a.failing[:TOP_CHECKS]]
    more = len(a.failing) - TOP_CHECKS
    if more > 0:
        notes.append(f"<p class='note'>and {more} other failing checks.</p>")
    return _table(["notebook", "part", "check", "students", "who"], rows, {3}) + "".join(notes)


def _pending(a: Assignment) -> str:
    if not a.pending:
        return "<p>Nothing waits for a hand grade.</p>"
    total = sum(r.pending_manual for r in a.pending)
    rows = [[_esc(r.student, 100), _esc(r.notebook), f"{r.pending_manual:g}"] for r in a.pending]
    return (f"<p>{total:g} points in {len(a.pending)} notebook(s) wait for a hand grade "
            "(formgrader).</p>" + _table(["student", "notebook", "points"], rows, {2}))


def _late(a: Assignment) -> str:
    if not a.late:
        return "<p>No late penalty was applied.</p>"
    rows = [[_esc(r.student, 100), _esc(r.notebook), _when(r.collected),
             f"{r.late_penalty:g}"] for r in a.late]
    return _table(["student", "notebook", "collected (UTC)", "penalty (points)"], rows, {3})


def _unrun(a: Assignment) -> str:
    if not a.unrun:
        return "<p>Every notebook was graded to the end.</p>"
    counts: dict[str, int] = {}
    for r in a.unrun:
        counts[str(r.status)] = counts.get(str(r.status), 0) + 1
    summary = ", ".join(f"{n} {_esc(s)}" for s, n in sorted(counts.items()))
    rows = [[_esc(r.status), _esc(r.student, 100), _esc(r.notebook), f"{r.score:g}",
             _esc(clean.line(r.message, 300))] for r in a.unrun]
    return (f"<p>{summary}. These students are not in the distribution and question figures "
            "above.</p>" + _table(["status", "student", "notebook", "score", "message"], rows,
                                  {3}))


def _index(assignments: list[Assignment]) -> str:
    items = []
    for i, a in enumerate(assignments):
        d = a.distribution
        mean = d.stat("mean")
        bits = [f"{d.count} graded"]
        if mean is not None:
            bits.append(f"mean {mean:.2f} / {d.max_points:g}")
        if a.pending:
            bits.append(f"{len(a.pending)} awaiting a hand grade")
        if a.late:
            bits.append(f"{len(a.late)} late")
        if a.unrun:
            bits.append(f"{len(a.unrun)} not graded to the end")
        items.append(f"<li><a href='#a{i}'>{_esc(a.id)}</a>: {_esc(', '.join(bits))}</li>")
    return f"<nav><h2>Assignments</h2><ul>{''.join(items)}</ul></nav>"


def _section(i: int, a: Assignment) -> str:
    notes = "".join(f"<p class='note'>{_esc(n)}</p>" for n in a.notes)
    return (f"<section id='a{i}'><h2>{_esc(a.id)}</h2>{notes}"
            f"<h3>Score distribution</h3>{_distribution(a)}"
            f"<h3>Questions</h3>{_questions(a)}"
            f"<h3>Most common failing checks</h3>{_failing(a)}"
            f"<h3>Waiting for a hand grade</h3>{_pending(a)}"
            f"<h3>Late submissions</h3>{_late(a)}"
            f"<h3>Not graded to the end</h3>{_unrun(a)}</section>")


METHOD = f"""<section id='method'><h2>How to read this report</h2>
<p><strong>Who is counted.</strong> The score distribution and the question figures count the
students whose every notebook of the assignment was graded to the end; missing, unreadable,
crashed and timed-out notebooks are listed under "Not graded to the end" instead of being
counted as zeros. Scores are after late penalties.</p>
<p><strong>Questions.</strong> One row per graded cell: its mean score and the share of
students with full marks, over the students whose score on it is final (an answer waiting for a
hand grade has none yet; they are counted under "awaiting hand grade").</p>
<p><strong>Discrimination</strong> is the corrected item-total correlation: Pearson's r between
the students' scores on the question and their total on the rest of the assignment (the other
questions with a final score for every counted student). Near 1: the students who do well
overall get this question right and the others do not. Near 0 or negative: the question does
not separate them (too easy, too hard, or measuring something else; worth a look). It is "n/a"
when it is undefined: fewer than {MIN_STUDENTS} students, the same score for everyone on the
question or on the rest, or no other question to compare with.</p>
<p><strong>Failing checks</strong> are the grader's verdicts as the students' feedback shows
them, grouped by part and check (values received and the text of a student's own error are left
out, so the same expectation groups together); each student is counted once per check. Every
notebook that ran counts, timed-out and crashed ones included.</p>
<p>The per-question table is also in <code>questions.csv</code> beside this page.</p>
</section>"""


def page(assignments: list[Assignment]) -> str:
    """The whole report page."""
    head = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">\n"
        "<meta name='referrer' content='no-referrer'>\n"
        f"<title>Class report</title><style>{STYLE}{EXTRA_STYLE}</style></head>\n<body>\n"
    )
    body = ["<h1>Class report</h1>",
            "<p class='note'>From grades.csv, the gradebook and the grader's recorded verdicts; "
            "<a href='#method'>how to read it</a>.</p>",
            _index(assignments)]
    body.extend(_section(i, a) for i, a in enumerate(assignments))
    body.append(METHOD)
    return head + "\n".join(body) + "\n</body></html>\n"
