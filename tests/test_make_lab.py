"""The instructor repository's `make lab`: PORT, BROWSER=no, and a terminal that finds the command.

The terminal test runs the server from this venv with the venv's bin taken off PATH and its
output in a file (when Jupyter starts terminals as login shells, which rebuild PATH from
/etc/profile); the terminal must still find the venv's `autodiff-course`. The student copy's
`make lab` is checked the same way in tests/test_student_copy.py.
"""

from lab_checks import DECOYS, VENV_BIN, check_lab_target, lab_server, terminal_lookup

from autodiff_course.layout import find_course_root

ROOT = find_course_root()


def test_make_lab_port_and_no_browser():
    check_lab_target(ROOT)


def test_lab_terminal_finds_the_course_command(tmp_path):
    with lab_server(ROOT / "jupyter-config", tmp_path, ROOT) as url:
        assert terminal_lookup(url, DECOYS) == {c: str(VENV_BIN / c) for c in DECOYS}
