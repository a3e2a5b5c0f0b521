"""The similarity page: the top pairs, each student's code side by side, shared code marked.

The page is as inert as a feedback page (:data:`autodiff_course.feedback.CSP`: no script, no
remote load; it works offline from a file): every student's code is hostile text, escaped
(:func:`html.escape` after :func:`autodiff_course.clean.text`), and the marks are the only markup
between the escaped pieces.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from . import clean
from .feedback import CSP, STYLE
from .similarity import NOISE_THRESHOLD, Pair

PAGE_STYLE = STYLE + """
body { max-width: 110em; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
mark { background: #ffe08a; }
table.pairs { border-collapse: collapse; } table.pairs td, table.pairs th {
  border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; }
"""


def _esc(value: object, limit: int | None = None) -> str:
    return html.escape(clean.text(value, limit), quote=True)


def marked(code: str, slices: np.ndarray) -> str:
    """``code`` escaped, with each matched range ``[start, end)`` inside ``<mark>``."""
    out, at = [], 0
    if slices.size:
        for start, end in sorted(zip(slices[0].tolist(), slices[1].tolist(), strict=True)):
            start, end = max(int(start), at), min(int(end), len(code))
            if end <= start:
                continue
            out.append(_esc(code[at:start]))
            out.append(f"<mark>{_esc(code[start:end])}</mark>")
            at = end
    out.append(_esc(code[at:]))
    return "".join(out)


def _pair_section(number: int, p: Pair) -> str:
    a, b = _esc(p.student_a, 200), _esc(p.student_b, 200)
    return (
        f"<h2 id='pair-{number}'>{number}. {_esc(p.assignment, 200)}: {a} ~ {b} "
        f"(score {p.score:.2f})</h2>\n"
        "<div class='pair'>\n"
        f"<div><p class='label'>{a}: {p.share_a:.0%} of this code is in the other's</p>"
        f"<pre>{marked(p.code_a, p.slices_a)}</pre></div>\n"
        f"<div><p class='label'>{b}: {p.share_b:.0%} of this code is in the other's</p>"
        f"<pre>{marked(p.code_b, p.slices_b)}</pre></div>\n"
        "</div>\n"
    )


def page(shown: list[Pair], *, total: int, threshold: float) -> str:
    rows = "".join(
        f"<tr><td><a href='#pair-{n}'>{n}</a></td><td>{p.score:.2f}</td>"
        f"<td>{_esc(p.assignment, 200)}</td><td>{_esc(p.student_a, 200)}</td>"
        f"<td>{_esc(p.student_b, 200)}</td></tr>\n"
        for n, p in enumerate(shown, 1)
    )
    listing = (f"<table class='pairs'><tr><th>#</th><th>score</th><th>assignment</th>"
               f"<th>student</th><th>student</th></tr>\n{rows}</table>\n" if shown else
               "<p class='note'>No pair reaches the threshold.</p>\n")
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        f"<title>Similar answers</title><style>{PAGE_STYLE}</style></head>\n<body>\n"
        "<h1>Similar answers</h1>\n"
        f"<p>{total} pairs share code; the {len(shown)} best with score &ge; {threshold:g} are "
        "below (all pairs: similarity.csv). The score is the smaller of the two shares; "
        f"marked code is shared in runs of at least {NOISE_THRESHOLD} characters once names, "
        "comments and spacing are ignored, and the release's own code never counts. A high "
        "score is a reason to look, not a verdict.</p>\n"
        f"{listing}{''.join(_pair_section(n, p) for n, p in enumerate(shown, 1))}"
        "</body></html>\n"
    )


def write(path: Path, shown: list[Pair], *, total: int, threshold: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page(shown, total=total, threshold=threshold), encoding="utf-8")
    tmp.replace(path)
