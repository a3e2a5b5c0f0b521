"""``autodiff-course formgrader WORKSPACE``: nbgrader's Formgrader on a grading workspace.

nbgrader 0.9 has no ``nbgrader formgrader`` command: Formgrader is a Jupyter server extension
(``nbgrader.server_extensions.formgrader``, switched on by nbgrader's own install) with pages under
``/formgrader``. It reads its configuration from the folder the server starts in, so this command
starts ``jupyter lab`` the way ``make lab`` does (``jupyter-config/`` as JUPYTER_CONFIG_DIR,
JupyterLab's state in ``.jupyter-local/``), from the course root, on loopback, with

- ``AUTODIFF_COURSE_WORKSPACE`` (and ``AUTODIFF_COURSE_DB_URL`` with ``--db-url``) set, which the
  root ``nbgrader_config.py`` turns into the workspace's autograded folder and gradebook;
- the Formgrader extension switched on on the command line (with the lab configuration's own
  choices repeated there), so a lab configuration that leaves it out (a student's) cannot leave
  the instructor without it;
- ``/formgrader`` as the page the browser opens.

Its grading page loads MathJax from this server, not from a CDN (see
:mod:`autodiff_course.config`): without internet nbgrader's page stops with "MathJax is not
defined" and no score can be entered.

A hand grade saved there is in the gradebook at once; ``autodiff-course grades WORKSPACE`` carries
it to grades.csv and the feedback pages.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from . import grades
from .layout import DB_URL_ENV, WORKSPACE_ENV, CourseError, Workspace

FORMGRADER_EXTENSION = "nbgrader.server_extensions.formgrader"
CONFIG_FOLDER = "jupyter-config"
LAB_STATE = ".jupyter-local"
CHECKOUT = Path(__file__).resolve().parent.parent


def config_folder(root: Path) -> Path | None:
    """The ``jupyter-config/`` of the course root, else of the checkout this package runs from."""
    for base in (root, CHECKOUT):
        if (base / CONFIG_FOLDER / "jupyter_server_config.py").is_file():
            return base / CONFIG_FOLDER
    return None


def server_extensions(config: Path | None) -> dict[str, bool]:
    """The server extensions the lab configuration switches on or off, Formgrader switched on."""
    from traitlets.config import PyFileConfigLoader

    found: dict[str, bool] = {}
    if config is not None:
        loaded = PyFileConfigLoader("jupyter_server_config.py", path=str(config)).load_config()
        chosen = loaded.ServerApp.get("jpserver_extensions", {})
        if isinstance(chosen, dict):
            found.update({str(k): bool(v) for k, v in chosen.items()})
    found[FORMGRADER_EXTENSION] = True
    return found


def command(root: Path, ws: Workspace, *, port: int, open_browser: bool,
            extra: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The ``jupyter lab`` command line and environment that serve Formgrader on ``ws``."""
    env = dict(os.environ)
    env[WORKSPACE_ENV] = str(ws.path)
    if ws.db_url_override:
        env[DB_URL_ENV] = ws.db_url_override
    # nbgrader shells out to a bare `alembic`: this interpreter's bin goes first on PATH
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    config = config_folder(root)
    if config is not None:
        env["JUPYTER_CONFIG_DIR"] = str(config)
    state = root / LAB_STATE
    for name, sub in (("JUPYTER_DATA_DIR", "data"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                      ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")):
        env[name] = str(state / sub)
    argv = [
        sys.executable, "-m", "jupyter", "lab", "--ip=127.0.0.1", f"--port={port}",
        "--port-retries=0", f"--ServerApp.root_dir={root}", "--LabApp.default_url=/formgrader",
    ]
    # a dict on the command line replaces the config file's: repeat the file's choices (the
    # Validate button's handler) with Formgrader added
    argv += [f"--ServerApp.jpserver_extensions={name}={enabled}"
             for name, enabled in server_extensions(config).items()]
    if not open_browser:
        argv.append("--no-browser")
    return argv + list(extra or []), env


def serve(root: Path, workspace: Path, *, port: int = 8890, db_url: str | None = None,
          open_browser: bool = True, extra: list[str] | None = None) -> int:
    """Run Formgrader on ``workspace`` until interrupted; the server's exit status."""
    ws = Workspace.at(workspace, db_url)
    grades.check_workspace(ws)
    if not 0 < port < 65536:
        raise CourseError(f"--port {port} is not a port number")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise CourseError(f"port {port} of 127.0.0.1 is in use (another Formgrader or "
                              "Jupyter?): stop it or pass --port N") from None
    argv, env = command(root, ws, port=port, open_browser=open_browser, extra=extra)
    print(f"Formgrader on {ws.path} ({ws.shown_db_url}): http://127.0.0.1:{port}/formgrader "
          "(Ctrl-C stops it); afterwards `autodiff-course grades "
          f"{ws.path}` carries the hand grades to grades.csv", flush=True)
    return subprocess.call(argv, cwd=root, env=env)
