"""A JupyterLab server for the browser suite, isolated from the user's Jupyter setup.

The server runs on a free loopback port over a temporary copy of the course (lectures,
student assignments, instructor notebooks, the root ``nbgrader_config.py`` and the project's
``jupyter-config/`` folder), so the tests can run, save and submit notebooks without touching
the checkout. Every Jupyter, IPython and matplotlib folder points into the same temporary tree,
so the user's own settings, kernels and workspaces are neither read nor written.

``jupyter-config/`` is copied next to the course copy and used as JUPYTER_CONFIG_DIR, exactly as
``make lab`` uses it in the checkout: the exchange, the fetch folder and the course id the
Assignment List sees are the ones ``make lab`` gives a student.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

PROJECT = Path(__file__).resolve().parents[2]  # the checkout whose `make lab` is under test
VENV_BIN = Path(sys.executable).parent
CONFIG_FOLDER = "jupyter-config"
COURSE_FOLDERS = ("course", "assignments", "solutions")
START_TIMEOUT = 90.0
STOP_GRACE = 10.0

def free_port() -> int:
    """A loopback port nobody listens on right now (the server is told not to try others)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_course(source: Path, target: Path, project: Path) -> Path:
    """Copy what the server serves; grading state and outputs of the checkout stay behind.

    The notebooks and the root ``nbgrader_config.py`` come from ``source`` (the course under
    test), ``jupyter-config/`` from ``project`` (the checkout whose ``make lab`` is under test).
    """
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for name in COURSE_FOLDERS:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, ignore=ignore)
    shutil.copy2(source / "nbgrader_config.py", target / "nbgrader_config.py")
    shutil.copytree(project / CONFIG_FOLDER, target / CONFIG_FOLDER, ignore=ignore)
    return target


def isolated_env(scratch: Path, course: Path) -> dict[str, str]:
    """Environment of every process the suite starts: all Jupyter state under ``scratch``."""
    env = dict(os.environ)
    # A user's grading workspace or database must not leak into the copy's nbgrader config.
    for name in ("AUTODIFF_COURSE_WORKSPACE", "AUTODIFF_COURSE_DB_URL", "JUPYTER_PATH",
                 "JUPYTER_CONFIG_PATH", "JUPYTER_PREFER_ENV_PATH"):
        env.pop(name, None)
    folders = {
        "JUPYTER_CONFIG_DIR": course / CONFIG_FOLDER,
        "JUPYTER_DATA_DIR": scratch / "data",
        "JUPYTER_RUNTIME_DIR": scratch / "runtime",
        "IPYTHONDIR": scratch / "ipython",
        "MPLCONFIGDIR": scratch / "matplotlib",
        "JUPYTERLAB_SETTINGS_DIR": scratch / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": scratch / "workspaces",
    }
    for name, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    # nbgrader shells out to a bare `alembic`: the venv's bin goes first on PATH.
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class LabServer:
    """One ``jupyter lab`` process over a course copy; ``stop()`` always cleans up."""

    root: Path
    scratch: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def exchange(self) -> Path:
        return self.root / "grading" / "exchange"

    @property
    def student_folder(self) -> Path:
        return self.root / "grading" / "student"

    # ----------------------------------------------------------------------------- life cycle
    def prepare(self) -> str:
        """Run ``make lab``'s preparation over the copy, as ``make lab`` runs it.

        It releases the assignments to the copy's exchange and writes the one user setting the
        page needs (no "Jupyter news" notification over the lower right) into the temporary
        settings folder.
        """
        script = self.root / CONFIG_FOLDER / "prepare_lab.py"
        command = [sys.executable, str(script), "--settings-dir",
                   self.env["JUPYTERLAB_SETTINGS_DIR"]]
        done = subprocess.run(command, cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(
                f"{script} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        self.log_path = self.scratch / "jupyter-server.log"
        command = [
            str(VENV_BIN / "jupyter"), "lab", "--no-browser",
            "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0", "--allow-root",
            "--IdentityProvider.token=", "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={self.root}",
        ]
        with open(self.log_path, "w") as log:
            # A session of its own, so stop() can end the server and every kernel it started.
            self.process = subprocess.Popen(command, cwd=self.root, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer on {self.url} within {START_TIMEOUT:.0f} s:"
                           f"\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM (the server shuts its kernels down), then SIGKILL the whole session."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=STOP_GRACE)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # kernels left behind, if any
        except (ProcessLookupError, PermissionError):
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=STOP_GRACE)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no server log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # ----------------------------------------------------------------------------- REST API
    def api(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/api/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            text = reply.read().decode()
        return json.loads(text) if text else None

    def read_notebook(self, path: str) -> nbformat.NotebookNode:
        model = self.api("GET", f"contents/{path}?type=notebook&content=1")
        return nbformat.from_dict(model["content"])

    def write_notebook(self, path: str, nb: nbformat.NotebookNode) -> None:
        self.api("PUT", f"contents/{path}", {"type": "notebook", "format": "json",
                                              "content": nb})

    def make_folder(self, path: str) -> None:
        """Create ``path`` (relative to the server root) and its parents through the API."""
        parts = [p for p in path.split("/") if p]
        for depth in range(1, len(parts) + 1):
            self.api("PUT", f"contents/{'/'.join(parts[:depth])}", {"type": "directory"})

    def shutdown_kernels(self) -> None:
        """End every session and kernel (between tests: each test starts from a fresh kernel)."""
        for session in self.api("GET", "sessions") or []:
            self.api("DELETE", f"sessions/{session['id']}")
        for kernel in self.api("GET", "kernels") or []:
            self.api("DELETE", f"kernels/{kernel['id']}")
