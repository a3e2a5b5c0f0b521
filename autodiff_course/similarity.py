"""``autodiff-course similarity``: which students' answers share code, pair by pair.

The comparison is copydetect's (winnowing fingerprints over pygments tokens, MOSS's method):
identifiers become one letter, comments and whitespace vanish, and every run of
:data:`NOISE_THRESHOLD` filtered characters is hashed, so renamed variables, changed comments and
reordered functions do not hide a copy. What is compared, and what is not:

- a student's code is the code cells of their kept submission (``WORKSPACE/submitted/``) that the
  grader does not replace: answer cells and cells the student added (their helpers live there).
  Given and test cells are the release's, identical for everyone, so they are left out;
- a cell identical to one of the release's (an answer left as the skeleton) is left out too, so
  untouched notebooks do not all pair up at 1.0;
- the release's own code (given cells, visible tests, the skeleton's ``def`` lines and
  docstrings) never counts: every place in a student's code that matches a fingerprint of the
  release is given code, and only runs lying wholly outside given code are fingerprints of the
  student. A run that starts in the given docstring and ends in the student's first token would
  otherwise be shared by every student who wrote ``return ...`` under it; given code a student
  re-typed or re-spaced does not count either.

A pair's score is the smaller of the two shares (the part of each student's own code found in the
other's): a verbatim copy scores about 1.0 for both, and one short canonical line two honest
students both wrote does not make a pair look alike. Both shares are shown on the HTML page.

Fingerprints are taken at every position (window 1, copydetect's guarantee threshold equal to its
noise threshold): scores then do not depend on Python's per-process string hash seed, and the
student documents are small enough that winnowing would save nothing worth having.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import clean
from .layout import CourseError, Workspace, assignment_ids, source_notebooks
from .notebooks import is_restored, normalise_submission, read
from .submission import UnreadableNotebook, entries, parse, read_file

NOISE_THRESHOLD = 25  # filtered characters: shorter shared runs are noise (copydetect's default)
CSV_COLUMNS = ["assignment", "student_a", "student_b", "score"]


@dataclass
class Answer:
    """One student's own code for one assignment, fingerprinted."""

    student: str
    code: str
    fingerprint: object = field(repr=False)  # copydetect.CodeFingerprint


@dataclass
class Pair:
    """Two students of one assignment whose code shares fingerprints.

    ``share_a`` is the part of ``student_a``'s code found in ``student_b``'s (and the other way
    round); ``slices_a`` are the matched ranges of ``code_a`` as ``[starts, ends]``.
    """

    assignment: str
    student_a: str
    student_b: str
    score: float
    share_a: float
    share_b: float
    code_a: str = field(repr=False)
    code_b: str = field(repr=False)
    slices_a: np.ndarray = field(repr=False)
    slices_b: np.ndarray = field(repr=False)


@dataclass
class Skipped:
    """A submission that could not be read (it was not compared)."""

    student: str
    assignment: str
    reason: str


def _given_lines(code: str) -> set[str]:
    """The lines of ``code`` worth recognising as given (not a lone bracket or ``else:``)."""
    return {line.strip() for line in code.split("\n")
            if sum(ch.isalnum() for ch in line) >= 6}


def _fingerprint(code: str, given: frozenset[int] = frozenset(),
                 given_lines: frozenset[str] = frozenset()):
    """copydetect's fingerprint of ``code``, keeping only runs wholly outside given code.

    Given code is every place matching a fingerprint of the release (``given``) and every line
    the release also has, word for word (``given_lines``: a skeleton's ``def`` line is shorter
    than a fingerprint, so only its text finds it). copydetect's own boilerplate option drops
    only the matching fingerprints, so a run straddling given and own code still counts; and it
    assumes unique hashes, which they are not when every position is fingerprinted, so it also
    drops some of the student's own repeated code (copydetect 0.5.0). Hence this.
    """
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    k = NOISE_THRESHOLD
    fp = CodeFingerprint("answer.py", k, 1, language="python", fp=io.StringIO(code))
    if not (given or given_lines) or not fp.filtered_code:
        return fp
    n = len(fp.filtered_code)
    inside = np.zeros(n + k, dtype=bool)
    for h in fp.hashes & given:
        for start in fp.hash_idx[h]:
            inside[start:start + k] = True
    if given_lines and len(fp.offsets):
        # where each filtered character came from: the first raw character of its token
        positions = np.arange(n)
        raw = positions + fp.offsets[:, 1][np.clip(np.searchsorted(fp.offsets[:, 0], positions),
                                                   0, len(fp.offsets) - 1)]
        lines = code.split("\n")
        line_starts = np.cumsum([0] + [len(line) + 1 for line in lines[:-1]])
        given_line = np.array([line.strip() in given_lines for line in lines])
        inside[:n] |= given_line[np.searchsorted(line_starts, raw, side="right") - 1]
    cumulative = np.concatenate([[0], np.cumsum(inside)])
    kept: dict[int, list[int]] = {}
    for h, starts in fp.hash_idx.items():
        own = [i for i in starts if cumulative[i + k] == cumulative[i]]
        if own:
            kept[h] = own
    fp.hash_idx, fp.hashes = kept, set(kept)
    fp.token_coverage = get_token_coverage(kept, k, n)
    return fp


class Release:
    """The released notebooks of one assignment: the code everyone was given."""

    def __init__(self, root: Path, assignment: str):
        from .release import released_notebook

        self.assignment = assignment
        self.notebooks = {p.stem: released_notebook(read(p))
                          for p in source_notebooks(root, assignment)}
        cells = [c.source for nb in self.notebooks.values() for c in nb.cells
                 if c.cell_type == "code"]
        self.given = {clean.text(source).strip() for source in cells}
        self.given_lines = frozenset(line for source in self.given
                                     for line in _given_lines(source))
        hashes: set[int] = set()
        for source in cells:  # cell by cell: no fingerprint straddles two given cells
            hashes |= _fingerprint(clean.text(source)).hashes
        self.boilerplate = frozenset(hashes)

    def own_code(self, notebook: str, nb) -> str:
        """The student's code in ``nb``: cells the grader keeps, minus the release's cells."""
        normalised = normalise_submission(nb, self.notebooks[notebook]).notebook
        kept = []
        for cell in normalised.cells:
            source = clean.text(cell.source).strip()
            if cell.cell_type != "code" or is_restored(cell) or not source:
                continue
            if source not in self.given:
                kept.append(source)
        return "\n\n".join(kept)


def collect(ws: Workspace, release: Release) -> tuple[list[Answer], list[Skipped]]:
    """Every kept submission of ``release.assignment`` with code of its own, fingerprinted."""
    answers, skipped = [], []
    for student in entries(ws.submitted):
        if student.name.startswith(".") or not student.is_dir(follow_symlinks=False):
            continue
        pieces = []
        for notebook in release.notebooks:
            path = Path(student.path) / release.assignment / f"{notebook}.ipynb"
            if not path.exists() and not path.is_symlink():
                continue
            try:
                nb, _ = parse(read_file(path), path.name)
            except UnreadableNotebook as err:
                skipped.append(Skipped(student.name, release.assignment, str(err)))
                continue
            pieces.append(release.own_code(notebook, nb))
        code = "\n\n".join(p for p in pieces if p)
        if not code:
            continue
        fp = _fingerprint(code, release.boilerplate, release.given_lines)
        if fp.token_coverage > 0:
            answers.append(Answer(student.name, code, fp))
    return answers, skipped


def _arrays(fp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each fingerprinted position, its hash, the sorted distinct hashes) of ``fp``, cached."""
    cached = getattr(fp, "_position_arrays", None)
    if cached is None:
        positions = np.array([i for starts in fp.hash_idx.values() for i in starts],
                             dtype=np.int64)
        hashes = np.array([h for h, starts in fp.hash_idx.items() for _ in starts],
                          dtype=np.int64)
        cached = (positions, hashes, np.unique(hashes))
        fp._position_arrays = cached
    return cached


def overlap(a, b) -> tuple[tuple[float, float], tuple[np.ndarray, np.ndarray]]:
    """copydetect's :func:`~copydetect.compare_files` for two fingerprints: (the share of each
    one's fingerprinted code found in the other, the matched ranges of each one's raw code).

    The same computation on whole arrays: copydetect builds one array per shared fingerprint,
    which made a class of 300 cost a minute per assignment (``tests/test_similarity.py`` checks
    that both agree).
    """
    from copydetect.utils import get_copied_slices

    shared = np.intersect1d(_arrays(a)[2], _arrays(b)[2], assume_unique=True)
    if not shared.size:
        return (0.0, 0.0), (np.zeros((2, 0), dtype=np.int64),) * 2
    shares, ranges = [], []
    for fp in (a, b):
        positions, hashes, _ = _arrays(fp)
        slices = get_copied_slices(positions[np.isin(hashes, shared)], fp.k)
        covered = float(np.sum(slices[1] - slices[0]))
        shares.append(min(covered / fp.token_coverage, 1.0) if fp.token_coverage else 0.0)
        if len(fp.offsets):
            slices = slices + fp.offsets[:, 1][np.clip(np.searchsorted(fp.offsets[:, 0], slices),
                                                       0, fp.offsets.shape[0] - 1)]
        ranges.append(slices)
    return (shares[0], shares[1]), (ranges[0], ranges[1])


def compare(assignment: str, answers: list[Answer]) -> list[Pair]:
    """Every pair of ``answers`` sharing at least one fingerprint, best score first.

    Only pairs that share a hash are compared (an index from hash to students), so a large
    class costs what its similar pairs cost, not the square of its size.
    """
    holders: dict[int, list[int]] = defaultdict(list)
    for index, answer in enumerate(answers):
        for h in answer.fingerprint.hashes:
            holders[h].append(index)
    candidates: set[tuple[int, int]] = set()
    for indices in holders.values():
        candidates.update(itertools.combinations(indices, 2))
    pairs = []
    for i, j in candidates:
        a, b = sorted((answers[i], answers[j]), key=lambda x: x.student)
        (share_a, share_b), (slices_a, slices_b) = overlap(a.fingerprint, b.fingerprint)
        pairs.append(Pair(assignment, a.student, b.student, min(share_a, share_b), share_a,
                          share_b, a.fingerprint.raw_code, b.fingerprint.raw_code,
                          slices_a, slices_b))
    pairs.sort(key=lambda p: (-p.score, p.student_a, p.student_b))
    return pairs


def scan(ws: Workspace, root: Path, assignments: list[str] | None = None
         ) -> tuple[list[Pair], list[Skipped]]:
    """Pairs of every assignment (or those named) with kept submissions, by assignment."""
    known = assignment_ids(root)
    if assignments:
        unknown = [a for a in assignments if a not in known]
        if unknown:
            raise CourseError(f"unknown assignment {clean.line(unknown[0], 100)!r}: the course "
                              f"has {', '.join(known)}")
    if not ws.submitted.is_dir():
        raise CourseError(f"{ws.submitted} does not exist: grade the submissions first "
                          "(autodiff-course autograde SUBMISSIONS --workspace WORKSPACE)")
    submitted = {e.name for s in entries(ws.submitted) if s.is_dir(follow_symlinks=False)
                 for e in entries(Path(s.path)) if e.is_dir(follow_symlinks=False)}
    wanted = [a for a in (assignments or known) if a in submitted]
    pairs: list[Pair] = []
    skipped: list[Skipped] = []
    for assignment in wanted:
        answers, missed = collect(ws, Release(root, assignment))
        pairs += compare(assignment, answers)
        skipped += missed
    return pairs, skipped


def write_csv(path: Path, pairs: list[Pair]) -> None:
    """similarity.csv: one row per pair, by assignment, best score first within each."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for p in sorted(pairs, key=lambda p: (p.assignment, -p.score, p.student_a,
                                              p.student_b)):
            writer.writerow([clean.csv_field(p.assignment), clean.csv_field(p.student_a),
                             clean.csv_field(p.student_b), f"{p.score:.3f}"])
    tmp.replace(path)


def top_pairs(pairs: list[Pair], threshold: float, top: int) -> list[Pair]:
    """The ``top`` best pairs at or above ``threshold``, over every assignment."""
    return sorted((p for p in pairs if p.score >= threshold),
                  key=lambda p: (-p.score, p.assignment, p.student_a, p.student_b))[:top]


def summary(pairs: list[Pair], shown: list[Pair], threshold: float) -> str:
    lines = [f"{len(pairs)} pairs share code; {len(shown)} shown at score >= {threshold:g}:"]
    for p in shown:
        lines.append(f"  {p.score:.2f}  {clean.line(p.assignment, 40)}  "
                     f"{clean.line(p.student_a, 40)} ~ {clean.line(p.student_b, 40)}")
    return "\n".join(lines)
