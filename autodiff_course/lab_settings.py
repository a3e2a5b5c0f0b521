"""Jupyter server settings that both ``make lab``s share: the instructor's and the student copy's.

Each ``jupyter-config/jupyter_server_config.py`` calls :func:`configure` with its course root:

- the server opens at the course root and listens on loopback only; containers and CI machines
  often run as root, which Jupyter refuses unless told otherwise;
- a terminal opened in JupyterLab finds ``autodiff-course`` (and this venv's ``python``,
  ``pip``, ``jupyter``). Jupyter starts terminals as *login* shells when its own output is not a
  terminal, and a login shell rebuilds PATH from /etc/profile, dropping whatever ``make lab``
  exported. So the venv's ``bin`` goes first on the server's own PATH here, and terminals run the
  user's shell as an ordinary interactive shell, which keeps the PATH it inherits (what a
  desktop terminal window does too). A ``~/.bashrc`` may still put another python first
  (pyenv, conda): bash reads ``lab_terminal.bashrc`` instead, which reads ``~/.bashrc`` and then
  puts the venv first again. Other shells get their own start-up files unchanged.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def venv_bin() -> Path:
    """The ``bin`` folder of the interpreter running the server (not resolved: a venv's python
    is a symlink to the system's, and the venv's folder is the one wanted)."""
    return Path(sys.executable).parent


TERMINAL_RC = Path(__file__).resolve().with_name("lab_terminal.bashrc")
VENV_BIN_VARIABLE = "AUTODIFF_COURSE_VENV_BIN"  # read by TERMINAL_RC


def terminal_shell() -> list[str]:
    """The command a JupyterLab terminal runs: the user's shell, not as a login shell."""
    shell = os.environ.get("SHELL") or "/bin/sh"
    return [shell, "--rcfile", str(TERMINAL_RC)] if Path(shell).name == "bash" else [shell]


def configure(c, root: Path) -> None:
    """Apply the shared settings to the traitlets config ``c`` of a server serving ``root``."""
    c.ServerApp.root_dir = str(root)
    c.ServerApp.ip = "127.0.0.1"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        c.ServerApp.allow_root = True
    bin_dir = str(venv_bin())
    rest = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != bin_dir]
    os.environ["PATH"] = os.pathsep.join([bin_dir, *rest])
    os.environ[VENV_BIN_VARIABLE] = bin_dir
    c.ServerApp.terminado_settings = {"shell_command": terminal_shell()}
