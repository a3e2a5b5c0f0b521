"""Checks of a ``make lab``: its Makefile target, and a terminal of the server it starts.

:func:`check_lab_target` reads the Makefile's ``lab`` target with ``make -n``.

:func:`lab_server` starts a Jupyter server the way ``make lab`` starts it, and
:func:`terminal_lookup` asks one of its terminals where commands are.

The server gets the course's ``jupyter-config/`` as JUPYTER_CONFIG_DIR and a PATH *without* the
venv's ``bin`` (what a login shell would rebuild from /etc/profile anyway), every other Jupyter
folder in a scratch folder, a token, a free loopback port. Its output goes to a file, not a
terminal: that is when Jupyter would start terminals as login shells. Its HOME has a
``.bashrc`` that puts a decoy folder first on PATH, holding its own ``python`` and
``autodiff-course``, as pyenv's or conda's set-up lines do.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
TOKEN = "lab-terminal-test-token"
DECOYS = ("python", "autodiff-course")
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(config_dir: Path, scratch: Path, pythonpath: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "AUTODIFF_COURSE_", "VIRTUAL_ENV"))}
    path = [p for p in env.get("PATH", "/usr/bin:/bin").split(os.pathsep)
            if p and Path(p).resolve() != VENV_BIN.resolve()]
    env.update(PATH=os.pathsep.join(path), PYTHONPATH=str(pythonpath), SHELL="/bin/bash",
               HOME=str(scratch / "home"), JUPYTER_CONFIG_DIR=str(config_dir),
               PYTHONUNBUFFERED="1")
    for name in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR",
                 "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        env[name] = str(scratch / name.lower())
    decoy = scratch / "decoy-bin"
    decoy.mkdir(parents=True, exist_ok=True)
    for name in DECOYS:
        (decoy / name).write_text("#!/bin/sh\necho decoy\n")
        (decoy / name).chmod(0o755)
    (scratch / "home").mkdir(parents=True, exist_ok=True)
    (scratch / "home" / ".bashrc").write_text(f'PATH="{decoy}:$PATH"\n')
    return env


@contextmanager
def lab_server(config_dir: Path, scratch: Path, pythonpath: Path):
    """Yield the server's base URL; the server and everything it started are always stopped."""
    port = free_port()
    env = server_env(config_dir, scratch, pythonpath)
    log_path = scratch / "server.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
               "--port-retries=0", f"--IdentityProvider.token={TOKEN}"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=scratch, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}):\n"
                                   + log_path.read_text(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not answer:\n"
                                       + log_path.read_text(errors="replace")[-3000:]) from None
                time.sleep(0.2)
        yield url
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait(timeout=10)


def request(url: str, method: str = "GET") -> tuple[int, str]:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None,
                                 headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=20) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def terminal_lookup(url: str, commands: tuple[str, ...], timeout: float = 15.0) -> dict:
    """Open a terminal through the REST API, type ``command -v`` for each of ``commands``,
    return {command: what it found}."""
    from tornado.websocket import websocket_connect

    status, body = request(f"{url}/api/terminals", "POST")
    assert status == 200, (status, body)
    name = json.loads(body)["name"]
    pattern = re.compile(r"FOUND<([^<>]*)<([^>]*)>")  # never in the echo of the typed line

    async def talk() -> dict:
        ws_url = url.replace("http", "ws", 1) + f"/terminals/websocket/{name}?token={TOKEN}"
        socket_ = await websocket_connect(ws_url)
        try:
            typed = "".join(f"printf '%s%s\\n' FOU \"ND<{c}<$(command -v {c})>\"; "
                            for c in commands)
            socket_.write_message(json.dumps(["stdin", typed + "\r"]))
            seen = ""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                message = await asyncio.wait_for(socket_.read_message(),
                                                 max(0.1, deadline - time.monotonic()))
                if message is None:
                    break
                kind, *payload = json.loads(message)
                if kind == "stdout":
                    seen += payload[0]
                    found = dict(pattern.findall(seen))
                    if set(found) >= set(commands):
                        return found
            raise AssertionError(f"no answer from the terminal; it printed:\n{seen[-2000:]}")
        finally:
            socket_.close()

    try:
        return asyncio.run(talk())
    finally:
        request(f"{url}/api/terminals/{name}", "DELETE")


def make_dry_run(folder, *args: str) -> str:
    """What `make -n` would run (the install steps too when .venv is absent), with no PORT or
    BROWSER inherited from the environment (nor the make that runs the tests: under `make test`
    a nested make would announce its directory)."""
    inherited = ("PORT", "BROWSER", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    done = subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=folder,
                          capture_output=True, text=True,
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
