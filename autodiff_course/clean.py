"""Text a student wrote, made safe for wherever the grader shows it.

Anything a student controls (their folder names, the messages their code raises, their cell
sources) can end up in grades.csv, the printed table, logs and feedback pages. Before it does:

- :func:`text` removes terminal escape sequences, control characters (C0 except tab and newline,
  DEL, C1), bidirectional overrides (which can make displayed code read differently from what it
  is) and lone surrogates;
- :func:`line` also folds it onto one line and caps its length (tables, logs);
- :func:`csv_field` also stops a spreadsheet from reading it as a formula.

HTML escaping is :mod:`html`'s job, done by the page that embeds the text.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text(value: object, limit: int | None = None) -> str:
    """``value`` as display-safe text (see the module docstring)."""
    s = value if isinstance(value, str) else str(value)
    s = s.encode("utf-8", "replace").decode("utf-8")
    s = _CONTROL.sub("", _ANSI.sub("", s.replace("\r\n", "\n").replace("\r", "\n")))
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


def line(value: object, limit: int = 500) -> str:
    """:func:`text` on one line, capped at ``limit`` characters."""
    return text(" ".join(text(value).split()), limit)


def csv_field(value: object, limit: int = 2000) -> str:
    """:func:`line` that a spreadsheet will not evaluate as a formula."""
    s = line(value, limit)
    return "'" + s if s.startswith(_FORMULA_START) else s


_SCRIPT_URL = re.compile(r"(?i)(j\s*a\s*v\s*a|v\s*b)\s*s\s*c\s*r\s*i\s*p\s*t\s*:|data\s*:\s*text")


def inert_markdown(value: str) -> str:
    """Markdown that renders as the student wrote it but cannot carry HTML or script links.

    For copies of a student's notebook that other tools render (Formgrader shows the autograded
    notebook to the instructor): ``&`` and ``<`` become entities (shown as written, math
    included), links and images are shown as their text instead of being made into links
    (``](`` and ``]:`` are escaped), and ``javascript:``, ``vbscript:`` and ``data:text``
    lose their scheme wherever they appear.
    """
    escaped = text(value).replace("&", "&amp;").replace("<", "&lt;")
    # no link at all: markdown renderers decode character references inside a link's target,
    # so no filter on its text can be trusted; "](" and "]:" shown as written stay text
    escaped = escaped.replace("](", "]\\(").replace("]:", "]\\:")
    return _SCRIPT_URL.sub("blocked-link:", escaped)
