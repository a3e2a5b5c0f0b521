"""nbgrader preprocessors that harden grading and feedback.

- :class:`GradingExecute` caps each cell's output while the kernel produces it (nbgrader's
  ``LimitOutput`` only trims after the fact, when a flood has already filled the grader's memory)
  and notes which cell is running, so a dead kernel can be reported against the cell that killed it.
- :class:`StderrIsNotFailure` stops nbgrader from scoring a test cell 0 because something wrote to
  stderr (a warning from correct code); errors still fail the cell.
- :class:`HideHiddenTests` removes hidden tests from feedback: their source, the traceback frames
  that would quote them, and any output line that repeats one of their lines (a warning message or
  a student's ``print`` of the caller's source quotes the line too).
"""

from __future__ import annotations

import re
from typing import Any

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
HIDDEN_PLACEHOLDER = "# (hidden tests run here; they are not shown)"
TRUNCATION_NOTE = "\n[autodiff-course: output truncated after {limit} characters]\n"

# Which cell the grading kernel is running, for crash reports (one grading per process at a time).
journal: dict[str, Any] = {}

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_FRAME = re.compile(r"^\s*(?:Cell In\s*\[(\d+)\]|Input In \[(\d+)\]), line (\d+)")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _message_size(msg: dict[str, Any]) -> int:
    content = msg.get("content", {})
    if "text" in content:
        return len(content["text"])
    data = content.get("data", {})
    return sum(len(str(v)) for v in data.values()) if isinstance(data, dict) else 0


class GradingExecute(Execute):
    """nbgrader's Execute with a per-cell output budget and a journal of the running cell."""

    max_output_chars = Integer(
        100_000, help="Characters of output kept per cell; the rest is dropped as it arrives."
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._output_used: dict[int, int] = {}
        self._truncated: set[int] = set()
        journal.clear()
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.source.strip():
            journal["cell_index"] = index
            journal["grade_id"] = cell.metadata.get("nbgrader", {}).get("grade_id")
        return super().preprocess_cell(cell, resources, index)

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "error" or self.max_output_chars < 0:
            return super().output(outs, msg, display_id, cell_index)
        used = self._output_used.get(cell_index, 0)
        size = _message_size(msg)
        limit = self.max_output_chars
        if used + size > limit:
            if cell_index not in self._truncated:
                self._truncated.add(cell_index)
                if msg["msg_type"] == "stream" and limit - used > 0:
                    content = dict(msg["content"], text=msg["content"]["text"][: limit - used])
                    super().output(outs, dict(msg, content=content), display_id, cell_index)
                note = NotebookNode(
                    output_type="stream", name="stdout", text=TRUNCATION_NOTE.format(limit=limit)
                )
                outs.append(note)
            self._output_used[cell_index] = used + size
            return None
        self._output_used[cell_index] = used + size
        return super().output(outs, msg, display_id, cell_index)


def _is_grade_code_cell(cell: NotebookNode) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class StderrIsNotFailure(NbGraderPreprocessor):
    """Relabel stderr in test cells as stdout (prefixed), so warnings do not cost points."""

    prefix = Unicode("[stderr] ", help="Put in front of every relabelled line.").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if _is_grade_code_cell(cell):
            for output in cell.get("outputs", []):
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
                    lines = output.text.splitlines(keepends=True)
                    output.text = "".join(self.prefix + line for line in lines)
        return cell, resources


def hidden_regions(source: str) -> list[tuple[int, int]]:
    """1-based inclusive line ranges from a BEGIN HIDDEN TESTS line to its END line."""
    regions, start = [], None
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN_HIDDEN in line and start is None:
            start = number
        elif END_HIDDEN in line and start is not None:
            regions.append((start, number))
            start = None
    if start is not None:
        regions.append((start, len(source.split("\n"))))
    return regions


def error_in_hidden_tests(cell: NotebookNode, error: NotebookNode) -> bool:
    """Whether an error output of ``cell`` was raised from a line of its hidden tests."""
    regions = hidden_regions(cell.source)
    count = cell.get("execution_count")
    if not regions or count is None:
        return False
    for entry in error.get("traceback", []):
        match = _FRAME.match(strip_ansi(entry))
        if match and int(match.group(1) or match.group(2)) == int(count):
            line_no = int(match.group(3))
            return any(start <= line_no <= end for start, end in regions)
    return False


def _normalise(line: str) -> str:
    return " ".join(strip_ansi(line).split())


def hidden_lines(source: str, min_chars: int = 6) -> set[str]:
    """The hidden lines of a cell, whitespace-normalised, long enough to search for safely.

    A bare word (``continue``, ``else:``) says nothing about the tests and would match ordinary
    output, so only lines with at least two tokens are kept.
    """
    lines = source.split("\n")
    found = set()
    for start, end in hidden_regions(source):
        for line in lines[start - 1 : end]:
            norm = _normalise(line)
            if len(norm) < min_chars or BEGIN_HIDDEN in norm or END_HIDDEN in norm:
                continue
            if len(re.findall(r"\w+|[^\w\s]", norm)) >= 2:
                found.add(norm)
    return found


def visible_lines(source: str) -> set[str]:
    """The lines of a cell outside its hidden regions, normalised like :func:`hidden_lines`."""
    return {_normalise(line) for line in remove_hidden_source(source).split("\n")}


def remove_hidden_source(source: str) -> str:
    lines = source.split("\n")
    keep, inside = [], False
    for line in lines:
        if BEGIN_HIDDEN in line and not inside:
            inside = True
            keep.append(line[: len(line) - len(line.lstrip())] + HIDDEN_PLACEHOLDER)
        elif END_HIDDEN in line and inside:
            inside = False
        elif not inside:
            keep.append(line)
    return "\n".join(keep)


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without hidden tests: source, traceback frames and echoed lines all removed."""

    def preprocess(self, nb, resources):
        by_count: dict[int, NotebookNode] = {}
        secrets: set[str] = set()
        visible: set[str] = set()
        for cell in nb.cells:
            visible |= visible_lines(cell.source)
            if cell.cell_type != "code":
                continue
            if cell.get("execution_count") is not None:
                by_count[int(cell.execution_count)] = cell
            secrets |= hidden_lines(cell.source)
        self._cells_by_count = by_count
        # a line the student can see anyway (their own code, a visible test) is no secret
        self._secrets = {s for s in secrets if not any(s in line for line in visible)}
        for cell in nb.cells:
            if cell.cell_type == "code":
                for output in cell.get("outputs", []):
                    self._scrub_output(output)
        for cell in nb.cells:
            if hidden_regions(cell.source):
                cell.source = remove_hidden_source(cell.source)
        return nb, resources

    def _frame(self, entry: str) -> str:
        """Rewrite one traceback entry that points into a cell with hidden tests."""
        plain = strip_ansi(entry)
        match = _FRAME.match(plain)
        if not match:
            return entry
        count = int(match.group(1) or match.group(2))
        line_no = int(match.group(3))
        cell = self._cells_by_count.get(count)
        if cell is None or not hidden_regions(cell.source):
            return entry
        header = plain.split("\n", 1)[0]
        if any(start <= line_no <= end for start, end in hidden_regions(cell.source)):
            return f"{header}\n----> a hidden test failed here (hidden tests are not shown)\n"
        lines = cell.source.split("\n")
        shown = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
        return f"{header}\n----> {line_no} {shown}\n"

    def _clean_text(self, text: str) -> str:
        if not self._secrets or not text:
            return text
        kept = []
        for line in text.splitlines(keepends=True):
            norm = _normalise(line)
            if norm and any(secret in norm for secret in self._secrets):
                kept.append("[a line quoting a hidden test was removed]\n")
            else:
                kept.append(line)
        return "".join(kept)

    def _scrub_output(self, output: NotebookNode) -> None:
        if output.output_type == "error":
            output.traceback = [self._clean_text(self._frame(e)) for e in output.traceback]
            output.evalue = self._clean_text(output.evalue)
        elif output.output_type == "stream":
            output.text = self._clean_text(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            for mime, value in list(output.get("data", {}).items()):
                if mime.startswith("text/") and isinstance(value, str):
                    output.data[mime] = self._clean_text(value)
                elif mime.startswith("text/") and isinstance(value, list):
                    output.data[mime] = self._clean_text("".join(value))
