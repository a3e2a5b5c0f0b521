"""Read what a student handed in, trusting nothing, and rebuild it as a clean notebook.

A submission is whatever the student's folder holds. Everything here turns one into either a
clean notebook (:func:`read_submission`) or a one-line reason it cannot be graded
(:class:`UnreadableNotebook`), and never raises anything else:

- files are opened without following symbolic links, and must be regular files under
  :data:`MAX_NOTEBOOK_BYTES`;
- the JSON is parsed with the standard library and then *rebuilt*: only cell types, sources,
  markdown image attachments, cell ids and the ``grade_id`` of nbgrader metadata are taken from
  it; outputs, other metadata and anything of an unexpected type are dropped (a note says so
  when it matters). Strings with lone surrogates (which no UTF-8 file can hold) are repaired;
- sizes are capped: :data:`MAX_CELLS` cells, :data:`MAX_CELL_CHARS` characters per cell.

:func:`find_notebook` picks the file to grade in a student's assignment folder and lists the
other notebooks it found, so a row can report them.
"""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_CELLS = 5_000
MAX_CELL_CHARS = 2_000_000
MAX_ATTACHMENT_CHARS = 5 * 1024 * 1024
GRADE_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
CELL_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")


class UnreadableNotebook(Exception):
    """The file cannot be graded; the message says why in one line."""


def _fix_text(text: str) -> str:
    """``text`` with lone surrogates replaced, so it can be written out as UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _source(value: Any) -> str:
    if type(value) is str:
        text = value
    elif type(value) is list and all(type(v) is str for v in value):
        text = "".join(value)
    else:
        return ""
    if len(text) > MAX_CELL_CHARS:
        raise UnreadableNotebook(
            f"a cell holds {len(text):,} characters, over the {MAX_CELL_CHARS:,} limit")
    return _fix_text(text)


def _attachments(value: Any) -> dict | None:
    if type(value) is not dict:
        return None
    kept = {}
    for name, bundle in list(value.items())[:50]:
        if type(name) is not str or type(bundle) is not dict:
            continue
        images = {mime: _fix_text(data) for mime, data in bundle.items()
                  if mime in IMAGE_TYPES and type(data) is str and len(data) < MAX_ATTACHMENT_CHARS}
        if images:
            kept[_fix_text(name)[:200]] = images
    return kept or None


def _grade_id(metadata: Any) -> str | None:
    if type(metadata) is not dict:
        return None
    nbgrader = metadata.get("nbgrader")
    if type(nbgrader) is not dict:
        return None
    gid = nbgrader.get("grade_id")
    return gid if type(gid) is str and GRADE_ID.fullmatch(gid) else None


def rebuild(data: Any) -> tuple[NotebookNode, list[str]]:
    """A clean nbformat-4 notebook from parsed JSON, and notes on what was dropped."""
    if type(data) is not dict:
        raise UnreadableNotebook("the file is JSON but not a notebook (not an object)")
    raw_cells = data.get("cells")
    if raw_cells is None and type(data.get("worksheets")) is list:
        raw_cells = [c for w in data["worksheets"] if type(w) is dict
                     for c in (w.get("cells") if type(w.get("cells")) is list else [])]
    if type(raw_cells) is not list:
        raise UnreadableNotebook("the file is JSON but not a notebook (no list of cells)")
    if len(raw_cells) > MAX_CELLS:
        raise UnreadableNotebook(f"{len(raw_cells):,} cells, over the {MAX_CELLS:,} limit")
    notes: list[str] = []
    cells, ids = [], set()
    dropped = 0
    for raw in raw_cells:
        if type(raw) is not dict or raw.get("cell_type") not in ("code", "markdown", "raw"):
            dropped += 1
            continue
        kind = raw["cell_type"]
        source = _source(raw.get("source", raw.get("input", "")))
        gid = _grade_id(raw.get("metadata"))
        if gid is None and type(raw.get("metadata")) is dict and "nbgrader" in raw["metadata"]:
            notes.append("a cell's nbgrader metadata was malformed and was ignored")
        metadata = {"nbgrader": {"grade_id": gid}} if gid else {}
        if kind == "code":
            cell = nbformat.v4.new_code_cell(source=source, metadata=metadata)
        elif kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source=source, metadata=metadata)
        else:
            cell = nbformat.v4.new_raw_cell(source=source, metadata=metadata)
        if kind != "code":
            attachments = _attachments(raw.get("attachments"))
            if attachments:
                cell["attachments"] = attachments
        cid = raw.get("id")
        if type(cid) is str and CELL_ID.fullmatch(cid) and cid not in ids:
            cell["id"] = cid
        else:
            cell["id"] = uuid.uuid4().hex[:12]
        ids.add(cell["id"])
        cells.append(cell)
    if dropped:
        notes.append("1 entry of the cell list was not a cell and was ignored" if dropped == 1
                     else f"{dropped} entries of the cell list were not cells and were ignored")
    nb = nbformat.v4.new_notebook(cells=cells)
    return nb, sorted(set(notes), key=notes.index)


def read_file(path: Path) -> bytes:
    """The bytes of a submitted notebook file, or :class:`UnreadableNotebook`.

    Opened without following a symbolic link; it must be a regular file under
    :data:`MAX_NOTEBOOK_BYTES` (a FIFO, a device or a folder is refused without blocking).
    """
    path = Path(path)
    name = path.name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK",
                                                                                  0))
    except FileNotFoundError:
        raise UnreadableNotebook(f"{name} does not exist") from None
    except OSError as err:
        if Path(path).is_symlink():
            raise UnreadableNotebook(f"{name} is a symbolic link; links are not followed "
                                     "(submit the notebook file itself)") from None
        raise UnreadableNotebook(f"{name} cannot be opened ({err.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableNotebook(f"{name} is a folder, not a notebook file")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableNotebook(f"{name} is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise UnreadableNotebook(
                f"{name} is {info.st_size / 1e6:.0f} MB, over the "
                f"{MAX_NOTEBOOK_BYTES / 1e6:.0f} MB limit (clear the outputs and resubmit)")
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            raw = handle.read(MAX_NOTEBOOK_BYTES + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise UnreadableNotebook(f"{name} is over the {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB limit")
    return raw


def parse(raw: bytes, name: str) -> tuple[NotebookNode, list[str]]:
    """The clean notebook in ``raw`` (the bytes of file ``name``) and notes, or
    :class:`UnreadableNotebook`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnreadableNotebook(f"{name} is not UTF-8 text ({err.reason})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise UnreadableNotebook(f"{name} is JSON nested too deeply to be a notebook") from None
    except ValueError as err:
        line = getattr(err, "lineno", None)
        where = f" (line {line}, column {err.colno}: {err.msg})" if line else ""
        raise UnreadableNotebook(f"{name} is not valid JSON{where}; was it edited outside "
                                 "Jupyter or cut short?") from None
    try:
        return rebuild(data)
    except UnreadableNotebook as err:
        raise UnreadableNotebook(f"{name}: {err}") from None
    except RecursionError:
        raise UnreadableNotebook(f"{name} is nested too deeply to be a notebook") from None


def read_submission(path: Path) -> tuple[NotebookNode, list[str]]:
    """The clean notebook in ``path`` and notes, or :class:`UnreadableNotebook`."""
    return parse(read_file(path), Path(path).name)


def entries(folder: Path) -> list[os.DirEntry]:
    """What ``folder`` holds, sorted by name (nothing when it cannot be listed)."""
    try:
        with os.scandir(folder) as listing:
            return sorted(listing, key=lambda e: e.name)
    except OSError:
        return []


def find_notebook(folder: Path, name: str, picked: str | None = None
                  ) -> tuple[Path | None, list[str], str | None]:
    """(the file to grade, the other notebooks found, a note) for notebook ``name``.

    ``picked`` is the file the instructor chose with ``autodiff-course pick``: it is graded, or,
    when it is not there, nothing is (the note says so). Otherwise the expected
    ``<name>.ipynb`` is graded whatever it is (the reader then says what is wrong with it);
    without it, a single other notebook is graded and the note says so: a renamed file (a
    browser's "(1)", an LMS's prefix) is still the student's work, and the row shows it. Nothing
    is followed through a symbolic link.
    """
    notebooks = [e for e in entries(folder) if e.name.endswith(".ipynb")
                 and not e.name.startswith(".")]
    expected = f"{name}.ipynb"
    note = None
    if picked and picked != expected:
        chosen = next((e for e in notebooks if e.name == picked), None)
        note = (f"graded {picked}, picked by the instructor (expected {expected})" if chosen
                else f"the notebook picked for grading ({picked}) is not in the submission; "
                     "pick another with `autodiff-course pick`")
    else:
        chosen = next((e for e in notebooks if e.name == expected), None)
        if chosen is None:
            files = [e for e in notebooks if e.is_file(follow_symlinks=False)]
            if len(files) == 1:
                chosen = files[0]
                note = f"graded {chosen.name} (expected {expected})"
    others = [e.name for e in notebooks if chosen is None or e.name != chosen.name]
    return (Path(chosen.path) if chosen else None), others, note
