"""What a migration prints: the parts that changed and what became of each hand grade."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import clean, gradebook_backup
from .layout import Workspace

if TYPE_CHECKING:
    from .migrate import Summary


def _where(p: gradebook_backup.PutBack) -> str:
    return clean.line(f"{p.student} {p.assignment}/{p.notebook}/{p.cell}", 300)


# --- what changed ---------------------------------------------------------------------------

def points_text(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def report(summary: Summary, ws: Workspace) -> str:
    """The printed summary of a migration."""
    if summary.backup is None:
        return ""
    grades = [p for p in summary.kept if p.kind == "score"]
    lines = [f"migrated {', '.join(summary.assignments)}: {len(summary.regraded)} submissions "
             "re-graded"]
    lines += [f"  {clean.line(s, 300)}" for s in summary.scores]
    lines.append(f"hand grades: {len(grades)} kept, {len(summary.clipped)} clipped, "
                 f"{len([p for p in summary.dropped if p.kind == 'score'])} dropped; "
                 f"{summary.comments_kept} comment{'' if summary.comments_kept == 1 else 's'} "
                 "kept")
    for p in summary.clipped:
        was = f", was {p.old_max:g}" if p.old_max != p.new_max else ""
        lines.append(f"  clipped: {_where(p)} {p.old:g} -> {p.new:g} (the part is now worth "
                     f"{points_text(p.new_max)}{was}): review it in Formgrader")
    for p in summary.dropped:
        shown = p.old if isinstance(p.old, str) else f"{p.old:g}"
        lines.append(f"  dropped ({p.kind}, the part was removed): {_where(p)} "
                     f"{clean.line(shown, 80)}")
    for where in summary.not_regraded:
        lines.append(f"  not re-graded (no file kept in {ws.submitted}): {clean.line(where, 200)}"
                     "; its hand grades are in the backup only")
    for where in summary.lost:
        lines.append(f"  lost in the re-grade (the notebook could not be graded): "
                     f"{clean.line(where, 200)}; see the backup")
    for where in summary.pending:
        lines.append("  new part graded by hand, not in any submission made before it (0 until "
                     f"answered or graded by hand): {where}")
    lines.append(f"backup of the hand grades: {summary.backup}")
    lines.append(f"grades: {ws.grades_csv}")
    return "\n".join(lines)
