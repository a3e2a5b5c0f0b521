"""The instructor repository's `make lab`: PORT, BROWSER=no, and a terminal that finds the command.

The terminal test runs the server from this venv with the venv's bin taken off PATH and its
output in a file (when Jupyter starts terminals as login shells, which rebuild PATH from
/etc/profile); the terminal must still find the venv's `autodiff-course`. The student copy's
`make lab` is checked the same way in tests/test_student_copy.py.
"""

import os
import subprocess

from lab_terminal import DECOYS, VENV_BIN, lab_server, terminal_lookup

from autodiff_course.layout import find_course_root

ROOT = find_course_root()


def make_dry_run(folder, *args: str) -> str:
    """What `make -n` would run (the install steps too when .venv is absent), with no PORT or
    BROWSER inherited from the environment."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "BROWSER", "MAKEFLAGS")}
    done = subprocess.run(["make", "-n", *args], cwd=folder, capture_output=True, text=True,
                          timeout=30, env=clean)
    assert done.returncode == 0, done.stderr
    return done.stdout


def browser_in_recipe_env(folder, *args: str, env=None) -> list[str]:
    """The BROWSER lines of the environment a recipe of this Makefile runs with."""
    done = subprocess.run(["make", "--no-print-directory", "--eval",
                           "probe-env: ; @env", "probe-env", *args], cwd=folder,
                          capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith("BROWSER=")]


def check_lab_target(folder) -> None:
    """PORT and BROWSER=no reach `jupyter lab` as flags; BROWSER=no never reaches a program."""
    lab = make_dry_run(folder, "lab", "PORT=9123", "BROWSER=no").splitlines()[-1]
    assert lab.endswith("jupyter lab --port=9123 --no-browser"), lab
    default = make_dry_run(folder, "lab").splitlines()[-1]
    assert default.endswith("jupyter lab --port=8888 "), default
    assert "JUPYTER_CONFIG_DIR=" + str(folder / "jupyter-config") in make_dry_run(folder, "lab")
    assert browser_in_recipe_env(folder, "BROWSER=no") == []
    assert browser_in_recipe_env(folder, env={"PATH": "/usr/bin:/bin", "BROWSER": "no"}) == []
    # a real browser named in the environment is left for jupyter to use
    assert browser_in_recipe_env(folder, env={"PATH": "/usr/bin:/bin",
                                              "BROWSER": "firefox"}) == ["BROWSER=firefox"]


def test_make_lab_port_and_no_browser():
    check_lab_target(ROOT)


def test_lab_terminal_finds_the_course_command(tmp_path):
    with lab_server(ROOT / "jupyter-config", tmp_path, ROOT) as url:
        assert terminal_lookup(url, DECOYS) == {c: str(VENV_BIN / c) for c in DECOYS}
