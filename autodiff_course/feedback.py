"""Feedback pages: the grade, each part's verdict, and the student's own notebook, inert.

A page is self-contained HTML that runs nothing:

- a Content-Security-Policy in the page forbids every script, frame, form, font and remote
  load; images are allowed only as ``data:`` URIs (the student's own plots);
- everything that came from the student (cell sources, markdown, outputs, messages, names) is
  escaped as text: markdown is shown as written, not rendered, and HTML outputs are shown by
  their plain-text form only;
- test cells show the visible part of the instructor's test and the grader's verdict; hidden
  tests appear as one comment line, and a hidden failure as its description and kind only;
- cell outputs are shown only for cells that ran before the first hidden check: a student's
  code could have stored a hidden test's inputs and printed them in a later cell.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from . import clean

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
       color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table.parts { border-collapse: collapse; width: 100%; }
table.parts td, table.parts th { border-bottom: 1px solid #ddd; padding: .35em .5em;
       text-align: left; vertical-align: top; }
.pass { color: #176f2c; font-weight: 600; } .fail { color: #a4161a; font-weight: 600; }
.pending { color: #8a5a00; font-weight: 600; }
pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; padding: .6em;
      border-radius: 4px; margin: .3em 0; font-size: .9em; }
pre.out { background: #fff; border-left: 3px solid #ccc; }
pre.err { background: #fff4f4; border-left: 3px solid #a4161a; }
pre.md { background: #fff; border: 1px dashed #ccc; font-family: inherit; }
.cell { margin: 1em 0; } .label { color: #666; font-size: .8em; }
.note { color: #555; font-style: italic; }
img { max-width: 100%; }
"""


@dataclass
class Part:
    """One graded cell as the page lists it."""

    name: str
    points: float
    score: float | None  # None: waiting for a person (a written answer)
    status: str  # "passed", "failed", "pending", "manual"
    messages: list[str] = field(default_factory=list)


@dataclass
class Cell:
    """One cell of the student's notebook as the page shows it."""

    kind: str  # "code", "markdown", "raw", "test"
    label: str
    source: str
    outputs: list[dict] = field(default_factory=list)
    verdict: list[str] = field(default_factory=list)
    outputs_hidden: bool = False


def _esc(value: object, limit: int | None = None) -> str:
    return html.escape(clean.text(value, limit), quote=True)


def _output(output: dict) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre class='out'>{_esc(output.get('text', ''), 100_000)}</pre>"
    if kind == "error":
        lines = [output.get("ename", ""), ": ", output.get("evalue", "")]
        trace = "\n".join(clean.text(t) for t in output.get("traceback", [])[-20:])
        return (f"<pre class='err'>{_esc(''.join(map(str, lines)), 5000)}"
                + (f"\n{_esc(trace, 20_000)}" if trace else "") + "</pre>")
    data = output.get("data") or {}
    parts = []
    for mime in ("image/png", "image/jpeg"):
        value = data.get(mime)
        if isinstance(value, str):
            payload = "".join(value.split())
            if payload and all(c.isalnum() or c in "+/=" for c in payload):
                parts.append(f"<img alt='a figure' src='data:{mime};base64,{payload}'>")
    if not parts and isinstance(data.get("text/plain"), str):
        parts.append(f"<pre class='out'>{_esc(data['text/plain'], 100_000)}</pre>")
    return "".join(parts)


def _part_row(part: Part) -> str:
    if part.status == "passed":
        verdict = "<span class='pass'>passed</span>"
    elif part.status == "failed":
        verdict = "<span class='fail'>failed</span>"
    elif part.score is None:  # a written answer nobody has graded yet: not a zero
        verdict = "<span class='pending'>pending: graded by hand</span>"
    else:
        verdict = "<span class='pass'>graded by hand</span>"
    score = "–" if part.score is None else f"{part.score:g}"
    messages = "".join(f"<pre>{_esc(m, 5000)}</pre>" for m in part.messages)
    return (f"<tr><td>{_esc(part.name)}</td><td>{score} / {part.points:g}</td>"
            f"<td>{verdict}{messages}</td></tr>")


def _cell(cell: Cell) -> str:
    label = f"<div class='label'>{_esc(cell.label)}</div>"
    if cell.kind in ("markdown", "raw"):
        return f"<div class='cell'>{label}<pre class='md'>{_esc(cell.source, 200_000)}</pre></div>"
    body = [f"<pre>{_esc(cell.source, 200_000)}</pre>"]
    if cell.verdict:
        body.append("<pre class='out'>" + _esc("\n".join(cell.verdict), 50_000) + "</pre>")
    if cell.outputs_hidden:
        body.append("<p class='note'>(outputs not shown: this cell ran after hidden tests had "
                    "run, and could repeat their inputs)</p>")
    else:
        body.extend(_output(o) for o in cell.outputs[:100])
    return f"<div class='cell'>{label}{''.join(body)}</div>"


def page(*, student: str, assignment: str, notebook: str, score: float, max_score: float,
         status: str, summary: str, parts: list[Part], cells: list[Cell],
         pending: float = 0.0) -> str:
    """The whole feedback page for one notebook (see the module docstring)."""
    title = f"{assignment}: {notebook} ({student})"
    pending_note = (f", {pending:g} pending (written answers, graded by hand)"
                    if pending else "")
    head = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">\n"
        "<meta name='referrer' content='no-referrer'>\n"
        f"<title>{_esc(title, 300)}</title><style>{STYLE}</style></head>\n<body>\n"
    )
    parts_html = "".join(_part_row(p) for p in parts)
    body = [
        f"<h1>{_esc(title, 300)}</h1>",
        f"<p><strong>Score: {score:g} / {max_score:g}</strong>{pending_note} "
        f"(status: {_esc(status)})</p>",
        f"<p>{_esc(summary, 5000)}</p>",
    ]
    if parts:
        body.append("<h2>Parts</h2><table class='parts'><tr><th>part</th><th>points</th>"
                    f"<th>verdict</th></tr>{parts_html}</table>")
    if cells:
        body.append("<h2>Your notebook, as graded</h2>")
        body.extend(_cell(c) for c in cells)
    body.append("<p class='note'>Check your notebook with <code>autodiff-course validate "
                "&lt;notebook&gt;</code> (or the Validate button) before submitting again.</p>")
    return head + "\n".join(body) + "\n</body></html>\n"
