"""An assignment's score distribution as an SVG histogram, for the class report.

Drawn on a matplotlib ``Figure`` with the Agg canvas (no display, no pyplot state shared with
anything else in the process) and saved as SVG, returned as an ``<svg>`` element to inline in
the page: no file beside it, nothing to load. Text stays text (searchable; matplotlib escapes
it), ids are salted with the title and the metadata block (date, RDF links) is dropped, so
the same scores give the same bytes and the page names no other host.
"""

from __future__ import annotations

import io
import math
import re

SVG_RC = {"svg.fonttype": "none", "font.family": "sans-serif", "font.size": 10}
MAX_POINT_BARS = 30  # up to this many points, one bar per point; above, 30 equal bins
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def histogram_svg(scores: list[float], max_points: float, title: str) -> str:
    """A histogram of ``scores`` on [0, max_points], axes labelled, as an inline ``<svg>``."""
    import matplotlib
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    top = max(max_points, max(scores, default=0.0), 1.0)
    if top <= MAX_POINT_BARS:  # one bar per point, centred on it
        bins = np.arange(-0.5, math.ceil(top) + 1.0)
    else:
        bins = np.linspace(0.0, top, MAX_POINT_BARS + 1)
    # ids fixed by the title: the same bytes every time, no clash between two plots on a page
    with matplotlib.rc_context({**SVG_RC, "svg.hashsalt": f"autodiff-course-report {title}"}):
        fig = Figure(figsize=(6, 2.8))
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        counts, _, _ = ax.hist(np.asarray(scores, dtype=np.float64), bins=bins, color="#4c72b0",
                edgecolor="white")
        ax.set_xlim(bins[0], bins[-1])
        ax.set_ylim(0, max(1.0, float(np.max(counts))) * 1.3)  # room for the legend
        if scores:
            mean = float(np.mean(np.asarray(scores, dtype=np.float64)))
            ax.axvline(mean, color="#a4161a", linestyle="--", label=f"mean {mean:.2f}")
            ax.legend(loc="upper left", frameon=False)
        ax.set_xlabel(f"assignment score (points out of {max_points:g})")
        ax.set_ylabel("students")
        ax.set_title(title, parse_math=False)
        ax.yaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout()
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    return _METADATA.sub("", text[text.index("<svg"):], count=1)
