"""Reading what a student handed in (submission.py): a clean notebook or a one-line reason.

Every file here is written to tmp_path as a student could leave it. Each case says which of the
two outcomes it gets: :class:`UnreadableNotebook` (with a reason naming the problem) or a
rebuilt notebook (with notes when something was dropped).
"""

from __future__ import annotations

import json
import os
import threading

import nbformat
import pytest

from autodiff_course import submission
from autodiff_course.submission import UnreadableNotebook, find_notebook, read_submission


def code(source="x = 1", **extra) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": [],
            "execution_count": None, **extra}


def md(source="# Title", **extra) -> dict:
    return {"cell_type": "markdown", "source": source, "metadata": {}, **extra}


def notebook(cells, **extra) -> dict:
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4,
            "nbformat_minor": 5, **extra}


def write(tmp_path, content, name="numbers.ipynb"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def read(tmp_path, content, name="numbers.ipynb"):
    return read_submission(write(tmp_path, content, name))


def unreadable(tmp_path, content, name="numbers.ipynb") -> str:
    with pytest.raises(UnreadableNotebook) as info:
        read(tmp_path, content, name)
    reason = str(info.value)
    assert "\n" not in reason and reason.strip() == reason and reason
    return reason


def assert_clean(nb) -> None:
    """A notebook the grader can write back out and nbformat accepts."""
    nbformat.validate(nb)
    json.dumps(nb, ensure_ascii=False).encode("utf-8")
    for cell in nb.cells:
        assert set(cell.metadata) <= {"nbgrader"}
        if cell.metadata:
            assert set(cell.metadata["nbgrader"]) == {"grade_id"}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


# ---------------------------------------------------------------------------------------------
# a valid notebook


def test_valid_notebook_is_rebuilt(tmp_path):
    nbg = {"grade": True, "grade_id": "q1_answer", "locked": False, "points": 2,
           "schema_version": 3, "solution": True, "checksum": "abc"}
    cells = [
        md("# Numbers", id="intro", metadata={"tags": ["x"], "nbgrader": {"grade_id": "intro_md"}}),
        code("def f(x):\n    return 2 * x\n", id="answer-1", metadata={"nbgrader": nbg},
             outputs=[{"output_type": "stream", "name": "stdout", "text": "printed"}],
             execution_count=3),
        {"cell_type": "raw", "source": ["line 1\n", "line 2"], "metadata": {"format": "x"},
         "id": "raw_1"},
    ]
    nb, notes = read(tmp_path, notebook(cells, metadata={"evil": {"x": 1}}))
    assert notes == []
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "raw"]
    assert [c.source for c in nb.cells] == ["# Numbers", "def f(x):\n    return 2 * x\n",
                                            "line 1\nline 2"]
    assert [c.id for c in nb.cells] == ["intro", "answer-1", "raw_1"]
    assert nb.cells[0].metadata == {"nbgrader": {"grade_id": "intro_md"}}
    assert nb.cells[1].metadata == {"nbgrader": {"grade_id": "q1_answer"}}
    assert nb.cells[2].metadata == {}
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None
    assert nb.nbformat == 4 and "evil" not in nb.metadata
    assert_clean(nb)


def test_invalid_or_duplicate_ids_are_regenerated(tmp_path):
    cells = [code(id="same"), code(id="same"), code(id="has space"), code(id=5), code(id="x" * 65),
             code(id=""), code(), code(id="ok_id-2")]
    nb, _ = read(tmp_path, notebook(cells))
    ids = [c.id for c in nb.cells]
    assert ids[0] == "same" and ids[-1] == "ok_id-2"
    assert len(set(ids)) == len(ids)
    assert "has space" not in ids and 5 not in ids and "x" * 65 not in ids and "" not in ids
    assert all(submission.CELL_ID.match(i) for i in ids)
    assert_clean(nb)


@pytest.mark.parametrize("cid", ["abc\n", "abc\r\n"])
def test_cell_id_with_a_trailing_newline_is_regenerated(tmp_path, cid):
    # CELL_ID ends in "$", which also matches before a final newline; .match() lets "abc\n" in
    nb, _ = read(tmp_path, notebook([code(id=cid)]))
    assert "\n" not in nb.cells[0].id
    assert_clean(nb)


def test_a_later_valid_id_that_repeats_an_earlier_one_is_regenerated(tmp_path):
    nb, _ = read(tmp_path, notebook([code("a", id="dup"), md("b", id="dup")]))
    assert nb.cells[0].id == "dup" and nb.cells[1].id != "dup"
    assert nb.cells[1].source == "b"


def test_nbformat_v3_worksheets(tmp_path):
    data = {"nbformat": 3, "metadata": {"name": "old"}, "worksheets": [
        {"cells": [{"cell_type": "code", "input": "1 + 1", "language": "python", "outputs": [
            {"output_type": "pyout", "text": "2"}]},
                   {"cell_type": "markdown", "source": "# Old"}]},
        {"cells": [{"cell_type": "heading", "source": "H", "level": 1},
                   {"cell_type": "code", "input": ["a = 1\n", "b = 2"]}]},
        {"cells": "not a list"},
        "not a worksheet",
    ]}
    nb, notes = read(tmp_path, data)
    assert [(c.cell_type, c.source) for c in nb.cells] == [
        ("code", "1 + 1"), ("markdown", "# Old"), ("code", "a = 1\nb = 2")]
    assert "1 entry of the cell list was not a cell and was ignored" in notes  # the heading
    assert_clean(nb)


def test_a_5000_term_expression_is_just_text(tmp_path):
    source = "+".join(["1"] * 5000)
    nb, notes = read(tmp_path, notebook([code(source)]))
    assert nb.cells[0].source == source and notes == []


def test_empty_cell_list_is_a_notebook(tmp_path):
    nb, notes = read(tmp_path, notebook([]))
    assert nb.cells == [] and notes == []


# ---------------------------------------------------------------------------------------------
# unreadable files: a one-line reason


def test_not_utf8(tmp_path):
    raw = json.dumps(notebook([code("café")]), ensure_ascii=False).encode("latin-1")
    reason = unreadable(tmp_path, raw)
    assert reason.startswith("numbers.ipynb is not UTF-8")


def test_utf16_is_not_utf8(tmp_path):
    reason = unreadable(tmp_path, json.dumps(notebook([])).encode("utf-16"))
    assert "not UTF-8" in reason


@pytest.mark.parametrize("text", ["hello", "", "{'cells': []}", "{\"cells\": [}",
                                  "[1, 2] trailing"])
def test_not_json(tmp_path, text):
    reason = unreadable(tmp_path, text)
    assert reason.startswith("numbers.ipynb is not valid JSON")
    assert "cut short" in reason


def test_truncated_json_names_the_place(tmp_path):
    text = json.dumps(notebook([code("x = 1")]), indent=1)
    reason = unreadable(tmp_path, text[: len(text) // 2])
    assert "not valid JSON" in reason and "line" in reason and "column" in reason


def test_deeply_nested_json(tmp_path):
    reason = unreadable(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert "nested too deeply" in reason


@pytest.mark.parametrize("data, problem", [
    ([1, 2], "not an object"),
    ('"just a string"', "not an object"),
    (None, "not an object"),
    ({"metadata": {}}, "no list of cells"),
    ({"cells": "x"}, "no list of cells"),
    ({"cells": {"0": {}}}, "no list of cells"),
    ({"cells": None, "worksheets": "x"}, "no list of cells"),
])
def test_json_that_is_not_a_notebook(tmp_path, data, problem):
    reason = unreadable(tmp_path, data)
    assert reason.startswith("numbers.ipynb: ") and problem in reason


def test_too_many_cells(tmp_path, monkeypatch):
    reason = unreadable(tmp_path, notebook([code("")] * (submission.MAX_CELLS + 1)))
    assert "cells, over the" in reason and f"{submission.MAX_CELLS:,}" in reason
    monkeypatch.setattr(submission, "MAX_CELLS", 20)
    nb, _ = read(tmp_path, notebook([code("")] * 20))
    assert len(nb.cells) == 20
    assert "21 cells, over the 20 limit" in unreadable(tmp_path, notebook([code("")] * 21))


@pytest.mark.parametrize("source", [
    "x" * (submission.MAX_CELL_CHARS + 1),
    ["x" * (submission.MAX_CELL_CHARS // 2)] * 2 + ["y"],
])
def test_cell_over_the_size_limit(tmp_path, source):
    reason = unreadable(tmp_path, notebook([md(source)]))
    assert "characters, over the" in reason and "limit" in reason


def test_cell_at_the_size_limit_is_fine(tmp_path):
    nb, _ = read(tmp_path, notebook([code("x" * submission.MAX_CELL_CHARS)]))
    assert len(nb.cells[0].source) == submission.MAX_CELL_CHARS


def test_file_over_the_byte_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_NOTEBOOK_BYTES", 2_000)
    reason = unreadable(tmp_path, notebook([code("x" * 3_000)]))
    assert reason.startswith("numbers.ipynb is") and "over the" in reason and "limit" in reason
    nb, _ = read(tmp_path, notebook([code("x" * 100)]))
    assert nb.cells[0].source == "x" * 100


def test_symbolic_link_is_refused_and_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    secret = target / "secret-target-file.ipynb"
    secret.write_text(json.dumps(notebook([code("TARGET_CONTENT_MARKER")])), encoding="utf-8")
    link = tmp_path / "numbers.ipynb"
    link.symlink_to(secret)
    with pytest.raises(UnreadableNotebook) as info:
        read_submission(link)
    reason = str(info.value)
    assert reason.startswith("numbers.ipynb is a symbolic link")
    assert "secret-target-file" not in reason and "TARGET_CONTENT_MARKER" not in reason
    assert "\n" not in reason


def test_dangling_symbolic_link(tmp_path):
    link = tmp_path / "numbers.ipynb"
    link.symlink_to(tmp_path / "missing.ipynb")
    with pytest.raises(UnreadableNotebook, match="symbolic link"):
        read_submission(link)


def test_folder_named_like_a_notebook(tmp_path):
    folder = tmp_path / "x.ipynb"
    folder.mkdir()
    with pytest.raises(UnreadableNotebook) as info:
        read_submission(folder)
    assert str(info.value) == "x.ipynb is a folder, not a notebook file"


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "numbers.ipynb"
    os.mkfifo(fifo)
    outcome: list = []

    def attempt():
        try:
            read_submission(fifo)
        except UnreadableNotebook as err:
            outcome.append(str(err))
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            outcome.append(err)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # unblock the reader so the test run can end
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(5)
        pytest.fail("read_submission blocked on a FIFO")
    assert outcome == ["numbers.ipynb is not a regular file"]


def test_missing_file(tmp_path):
    with pytest.raises(UnreadableNotebook) as info:
        read_submission(tmp_path / "absent.ipynb")
    reason = str(info.value)
    assert reason.startswith("absent.ipynb ") and "\n" not in reason
    assert "does not exist" in reason or "cannot be opened" in reason


# ---------------------------------------------------------------------------------------------
# malformed parts: a cleaned notebook, with a note when it matters


@pytest.mark.parametrize("metadata", ["x", 5, None, ["nbgrader"]])
def test_notebook_metadata_not_a_dict(tmp_path, metadata):
    nb, notes = read(tmp_path, notebook([code("kept")], metadata=metadata))
    assert [c.source for c in nb.cells] == ["kept"] and notes == []
    assert_clean(nb)


@pytest.mark.parametrize("metadata", ["x", 5, None, ["a"]])
def test_cell_metadata_not_a_dict(tmp_path, metadata):
    nb, notes = read(tmp_path, notebook([code("kept", metadata=metadata)]))
    assert nb.cells[0].source == "kept" and nb.cells[0].metadata == {}
    assert notes == []
    assert_clean(nb)


@pytest.mark.parametrize("nbgrader", [
    "x",
    5,
    {"grade_id": ["q1"]},
    {"grade_id": 12},
    {"grade_id": None},
    {"grade_id": "has spaces"},
    {"grade_id": "q" * 200},
    {"grade_id": ""},
    {"grade_id": "<script>"},
    {"grade_id": "q1\n"},
    {"grade": True},
], ids=lambda v: repr(v)[:24])
def test_malformed_nbgrader_metadata_is_dropped_with_a_note(tmp_path, nbgrader):
    nb, notes = read(tmp_path, notebook([code("kept", metadata={"nbgrader": nbgrader}),
                                         code("other")]))
    assert [c.source for c in nb.cells] == ["kept", "other"]
    assert nb.cells[0].metadata == {}
    assert notes == ["a cell's nbgrader metadata was malformed and was ignored"]
    assert_clean(nb)


def test_one_note_for_many_malformed_cells(tmp_path):
    cells = [code(metadata={"nbgrader": "x"}) for _ in range(5)]
    _, notes = read(tmp_path, notebook(cells))
    assert notes == ["a cell's nbgrader metadata was malformed and was ignored"]


def test_points_as_a_string_keeps_only_the_grade_id(tmp_path):
    nb, notes = read(tmp_path, notebook([code(metadata={"nbgrader": {
        "grade_id": "q1", "points": "5", "grade": "yes"}})]))
    assert nb.cells[0].metadata == {"nbgrader": {"grade_id": "q1"}}
    assert notes == []


def test_grade_id_at_the_length_limit_is_kept(tmp_path):
    gid = "a" * 100
    nb, _ = read(tmp_path, notebook([code(metadata={"nbgrader": {"grade_id": gid}})]))
    assert nb.cells[0].metadata["nbgrader"]["grade_id"] == gid


@pytest.mark.parametrize("bad", [
    {"cell_type": "heading", "source": "x"},
    {"cell_type": "weird", "source": "x"},
    {"cell_type": None},
    {"cell_type": ["code"], "source": "x"},
    {"source": "no type"},
    "a string",
    5,
    None,
    [code()],
])
def test_entries_that_are_not_cells_are_dropped_with_a_note(tmp_path, bad):
    nb, notes = read(tmp_path, notebook([code("before"), bad, code("after")]))
    assert [c.source for c in nb.cells] == ["before", "after"]
    assert notes == ["1 entry of the cell list was not a cell and was ignored"]


def test_note_counts_dropped_entries(tmp_path):
    _, notes = read(tmp_path, notebook([5, 6, code()]))
    assert notes == ["2 entries of the cell list were not cells and were ignored"]


@pytest.mark.parametrize("source", [5, 1.5, None, {"a": 1}, ["a", 1], ["a", None], [["a"]]])
def test_source_of_the_wrong_type_becomes_empty(tmp_path, source):
    nb, _ = read(tmp_path, notebook([code(source), md(source)]))
    assert [c.source for c in nb.cells] == ["", ""]
    assert_clean(nb)


def test_lone_surrogate_in_a_source_is_repaired(tmp_path):
    raw = '{"cells": [{"cell_type": "code", "source": "a\\ud800b"}, ' \
          '{"cell_type": "markdown", "source": ["x\\udfff", "y"]}]}'
    nb, _ = read(tmp_path, raw)
    assert nb.cells[0].source.startswith("a") and nb.cells[0].source.endswith("b")
    assert "\ud800" not in nb.cells[0].source and "\udfff" not in nb.cells[1].source
    json.dumps(nb, ensure_ascii=False).encode("utf-8")
    assert_clean(nb)


def test_attachments_keep_only_images(tmp_path):
    attachments = {
        "fig.png": {"image/png": "iVBORw0KGgo=", "text/html": "<script>alert(1)</script>"},
        "page.html": {"text/html": "<b>x</b>"},
        "code.js": {"application/javascript": "alert(1)"},
        "vector.svg": {"image/svg+xml": "<svg onload=alert(1)>"},
        "photo.jpg": {"image/jpeg": "/9j/4AAQ"},
        "anim.gif": {"image/gif": "R0lGODlh"},
        "bad.png": {"image/png": ["not", "a", "string"]},
        "bundle": "not a dict",
    }
    nb, _ = read(tmp_path, notebook([md("![f](attachment:fig.png)", attachments=attachments),
                                     code("x", attachments=attachments)]))
    kept = nb.cells[0].attachments
    assert kept == {"fig.png": {"image/png": "iVBORw0KGgo="},
                    "photo.jpg": {"image/jpeg": "/9j/4AAQ"},
                    "anim.gif": {"image/gif": "R0lGODlh"}}
    assert "attachments" not in nb.cells[1]  # code cells carry none
    assert_clean(nb)


def test_huge_attachment_is_dropped(tmp_path):
    huge = "A" * submission.MAX_ATTACHMENT_CHARS
    nb, _ = read(tmp_path, notebook([md("![f](attachment:big.png)", attachments={
        "big.png": {"image/png": huge}, "small.png": {"image/png": "AAAA"}})]))
    assert nb.cells[0].attachments == {"small.png": {"image/png": "AAAA"}}


def test_attachments_that_are_not_a_dict(tmp_path):
    nb, _ = read(tmp_path, notebook([md("x", attachments=["a"]), md("y", attachments="z")]))
    assert all("attachments" not in c for c in nb.cells)


def test_lone_surrogate_in_an_attachment_is_repaired(tmp_path):
    raw = ('{"cells": [{"cell_type": "markdown", "source": "![f](attachment:f\\ud800.png)", '
           '"attachments": {"f\\ud800.png": {"image/png": "AAAA\\udfffAAAA"}}}]}')
    nb, _ = read(tmp_path, raw)
    json.dumps(nb, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# find_notebook


def touch(folder, *names):
    for name in names:
        (folder / name).write_text(json.dumps(notebook([])), encoding="utf-8")


def test_find_expected_notebook(tmp_path):
    touch(tmp_path, "numbers.ipynb", "scratch.ipynb", "notes.txt")
    path, others, note = find_notebook(tmp_path, "numbers")
    assert path == tmp_path / "numbers.ipynb"
    assert others == ["scratch.ipynb"] and note is None


def test_find_single_other_notebook_is_graded_with_a_note(tmp_path):
    touch(tmp_path, "numbers (1).ipynb", "readme.md")
    path, others, note = find_notebook(tmp_path, "numbers")
    assert path == tmp_path / "numbers (1).ipynb"
    assert others == []
    assert note == "graded numbers (1).ipynb (expected numbers.ipynb)"


def test_find_several_others_chooses_none_and_lists_all(tmp_path):
    touch(tmp_path, "b.ipynb", "a.ipynb", "c.ipynb")
    path, others, note = find_notebook(tmp_path, "numbers")
    assert path is None and note is None
    assert others == ["a.ipynb", "b.ipynb", "c.ipynb"]


def test_find_nothing(tmp_path):
    touch(tmp_path, "numbers.json")
    assert find_notebook(tmp_path, "numbers") == (None, [], None)
    assert find_notebook(tmp_path / "no-such-folder", "numbers") == (None, [], None)


def test_find_returns_a_symlinked_expected_notebook_and_reading_refuses_it(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    touch(elsewhere, "real.ipynb")
    student = tmp_path / "student"
    student.mkdir()
    (student / "numbers.ipynb").symlink_to(elsewhere / "real.ipynb")
    path, others, note = find_notebook(student, "numbers")
    assert path == student / "numbers.ipynb" and others == [] and note is None
    with pytest.raises(UnreadableNotebook, match="symbolic link"):
        read_submission(path)


def test_find_does_not_pick_a_lone_symlinked_other_notebook(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    touch(elsewhere, "real.ipynb")
    student = tmp_path / "student"
    student.mkdir()
    (student / "copy.ipynb").symlink_to(elsewhere / "real.ipynb")
    path, others, note = find_notebook(student, "numbers")
    assert path is None and note is None and others == ["copy.ipynb"]


def test_find_does_not_pick_a_lone_folder(tmp_path):
    (tmp_path / "other.ipynb").mkdir()
    path, others, _ = find_notebook(tmp_path, "numbers")
    assert path is None and others == ["other.ipynb"]


def test_find_ignores_dot_files(tmp_path):
    touch(tmp_path, ".numbers.ipynb", ".hidden.ipynb", "work.ipynb")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    touch(tmp_path / ".ipynb_checkpoints", "numbers-checkpoint.ipynb")
    path, others, note = find_notebook(tmp_path, "numbers")
    assert path == tmp_path / "work.ipynb"
    assert others == [] and note == "graded work.ipynb (expected numbers.ipynb)"
    path, others, _ = find_notebook(tmp_path, ".numbers")
    assert path == tmp_path / "work.ipynb"  # a dot-file is not even the expected one
