"""What the sandbox costs: grading one notebook with bubblewrap on and off, side by side.

For each topic, the instructor's answers typed into the release (a complete submission) are
graded the way a grading worker grades them (:func:`autodiff_course.worker.grade_notebook`: a
fresh kernel, every cell, every test decided in this process, the kernel's whole tree killed),
alternately with ``sandbox=True`` and ``sandbox=False``, ``--repeats`` times each. Printed: the
kernel start-up alone; per topic, the median wall time of one notebook graded on its own (its
kernel started on demand); and a batch of all topics graded in sequence the way a worker does
it, with the next kernel started while the current notebook is graded
(:class:`autodiff_course.worker.KernelsAhead`): seconds per notebook, the figure a class sees
with ``--jobs 1``.

The targets (issue "grades an instructor can trust"): with the sandbox at most 10 % slower than
without, and a notebook graded in at most 1.5 s of wall time on an idle core. Run it on an idle
machine: one notebook at a time uses one core.

    .venv/bin/python benchmarks/grading_sandbox.py [--repeats 5] [--topics ID ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autodiff_course.kernel import KernelSession  # noqa: E402
from autodiff_course.layout import assignment_ids  # noqa: E402
from autodiff_course.notebooks import fill_answers, normalise_submission, read  # noqa: E402
from autodiff_course.release import released_notebook  # noqa: E402
from autodiff_course.worker import GradingOptions, KernelsAhead, grade_notebook  # noqa: E402


def submission(topic: str):
    source = read(ROOT / "solutions" / topic / f"{topic}.ipynb")
    release = released_notebook(source)
    return normalise_submission(fill_answers(release, source), release).notebook


def once(topic: str, nb, sandbox: bool, ahead: KernelsAhead | None = None) -> float:
    started = time.perf_counter()
    result = grade_notebook(ROOT, "bench", topic, topic, nb, [],
                            GradingOptions(timeout=120, sandbox=sandbox),
                            start=ahead.take if ahead else None)
    seconds = time.perf_counter() - started
    if result.status != "graded" or any(v == 0 for v in result.scores.values()):
        raise SystemExit(f"{topic} (sandbox={sandbox}) did not grade fully: {result.message}")
    return seconds


def start_only(sandbox: bool) -> float:
    started = time.perf_counter()
    with KernelSession.start(sandbox=sandbox):
        ready = time.perf_counter()
    return ready - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--topics", nargs="*", default=assignment_ids(ROOT))
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}; {args.repeats} repeats, "
          "alternating sandbox on and off")
    starts = {True: [], False: []}
    for _ in range(args.repeats):
        for sandbox in (True, False):
            starts[sandbox].append(start_only(sandbox))
    print(f"kernel start-up: {statistics.median(starts[True]):.2f} s sandboxed, "
          f"{statistics.median(starts[False]):.2f} s without")
    print(f"{'topic':<26}{'sandbox':>10}{'none':>10}{'ratio':>8}")
    totals = {True: [], False: []}
    for topic in args.topics:
        nb = submission(topic)
        times = {True: [], False: []}
        for _ in range(args.repeats):
            for sandbox in (True, False):
                times[sandbox].append(once(topic, nb, sandbox))
        on, off = statistics.median(times[True]), statistics.median(times[False])
        totals[True].append(on)
        totals[False].append(off)
        print(f"{topic:<26}{on:>9.2f}s{off:>9.2f}s{on / off:>8.2f}")
    on, off = statistics.median(totals[True]), statistics.median(totals[False])
    print(f"{'median over topics':<26}{on:>9.2f}s{off:>9.2f}s{on / off:>8.2f}")
    notebooks = {topic: submission(topic) for topic in args.topics}
    batches = {True: [], False: []}
    for _ in range(args.repeats):
        for sandbox in (True, False):
            ahead = KernelsAhead()
            once(args.topics[0], notebooks[args.topics[0]], sandbox, ahead)  # the head start
            started = time.perf_counter()
            for topic, nb in notebooks.items():
                once(topic, nb, sandbox, ahead)
            batches[sandbox].append((time.perf_counter() - started) / len(notebooks))
            ahead.close()
    on, off = statistics.median(batches[True]), statistics.median(batches[False])
    print(f"{'batch, s per notebook':<26}{on:>9.2f}s{off:>9.2f}s{on / off:>8.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
