"""`make lab`'s terminal finds `autodiff-course`: the instructor's repository's jupyter-config/.

The server runs from this venv with the venv's bin taken off PATH and its output in a file (when
Jupyter would start a login shell, which resets PATH from /etc/profile); the terminal must still
find the venv's `autodiff-course`. The student copy's configuration is checked the same way in
tests/test_student_copy.py.
"""

from lab_terminal import VENV_BIN, lab_server, terminal_lookup

from autodiff_course.layout import find_course_root

ROOT = find_course_root()


def test_lab_terminal_finds_the_course_command(tmp_path):
    with lab_server(ROOT / "jupyter-config", tmp_path, ROOT) as url:
        assert terminal_lookup(url, "autodiff-course") == str(VENV_BIN / "autodiff-course")
