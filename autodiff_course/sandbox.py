"""Start a kernel process for student code: in a bubblewrap sandbox, or (when told) without one.

:func:`start_kernel_process` returns a :class:`KernelProcess`: the process tree of one kernel
and how to reach it (a ZeroMQ connection over unix sockets in a private run folder). With
``sandbox=True`` the kernel runs under ``bwrap`` with

- its own PID, IPC, UTS and network namespaces (no network at all, only its own processes in
  ``/proc``) and a new session (no access to the grader's terminal);
- an unprivileged uid: as root, the launcher drops to a uid of its own (no user namespace, so
  the limit on processes applies to it alone); as another user, bwrap maps the kernel to
  ``nobody`` in a user namespace;
- a filesystem made of read-only binds of ``/usr`` and the Python installation, with the
  course's reference library and grading package masked out, the probe runtime at
  ``/opt/autodiff-course/adc_kernel``, and three writable places: ``/home/student`` and
  ``/tmp`` (size-capped tmpfs, gone with the kernel) and the run folder ``/run/adc`` that holds
  the kernel's sockets (made read-only once the kernel is up, when the grader is root);
- an environment of a dozen fixed variables, none of the grader's;
- whole-tree limits (:mod:`autodiff_course.limits`): a cgroup for memory, processes and CPU
  time where the grader may create one, otherwise per-process limits plus a limit on processes;
  :attr:`KernelProcess.mode` says which, and the batch log prints it.

:meth:`KernelProcess.kill` ends every process of the tree (the PID namespace dies with its first
process; the cgroup is emptied too) and removes the run folder. ``sandbox=False`` starts the
same launcher as a plain child process with the per-process limits only: for validating on a
laptop without bwrap, and for instructors who pass ``--no-sandbox``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from .layout import CourseError
from .limits import Cgroup, Limits, cgroup_v1_available, mode, user_process_count

KERNEL_SIDE = Path(__file__).resolve().parent / "kernel_side"
INSIDE_RUNTIME = "/opt/autodiff-course/adc_kernel"
INSIDE_RUN = "/run/adc"
INSIDE_HOME = "/home/student"
HIDDEN_PACKAGES = ("autograd_ref", "autodiff_course")
BLOCKED_IMPORTS = {
    "autograd_ref": "it is the course's reference library, which the grader compares with",
    "autodiff_course": "it is the grading package",
    "torch": "answers are written without another autodiff framework",
    "jax": "answers are written without another autodiff framework",
    "jaxlib": "answers are written without another autodiff framework",
    "autograd": "answers are written without another autodiff framework",
    "tensorflow": "answers are written without another autodiff framework",
}
SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": INSIDE_HOME,
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "TERM": "dumb",
}
INSTALL_HINT = (
    "bubblewrap (bwrap) is not installed: it runs every student's kernel in a sandbox. Install it "
    "(Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap), or "
    "pass --no-sandbox to grade without one (only for code you trust: see docs/grading.md)"
)


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def require_bwrap() -> str:
    path = bwrap_path()
    if path is None:
        raise CourseError(INSTALL_HINT)
    return path


# --- the kernel process ----------------------------------------------------------------------

@dataclass
class KernelProcess:
    """One kernel's process tree and the connection info a client needs to reach it."""

    popen: subprocess.Popen
    run_dir: Path
    connection: dict
    sandboxed: bool
    mode: str
    uid: int | None = None
    cgroup: Cgroup | None = None
    _killed: bool = field(default=False, repr=False)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu_seconds(self) -> float | None:
        """CPU time of the whole tree so far (None without a cgroup)."""
        return self.cgroup.cpu_seconds() if self.cgroup else None

    def seal(self) -> None:
        """Once the kernel is up: its run folder stops being writable (as root only)."""
        if self.uid is not None and os.geteuid() == 0:
            os.chown(self.run_dir, 0, 0)
            os.chmod(self.run_dir, 0o555)

    def kill(self) -> None:
        if self._killed:
            return
        self._killed = True
        if self.cgroup:
            self.cgroup.kill_all()
        if self.popen.poll() is None:
            try:
                if self.sandboxed:
                    self.popen.kill()
                else:
                    os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.cgroup:
            self.cgroup.kill_all()
            self.cgroup.remove()
        shutil.rmtree(self.run_dir, ignore_errors=True)


def _site_dirs() -> list[str]:
    dirs = []
    for entry in [*site.getsitepackages(), *sys.path]:
        if entry.endswith(("site-packages", "dist-packages")) and os.path.isdir(entry):
            real = os.path.realpath(entry)
            if real not in dirs:
                dirs.append(real)
    return dirs


def _masks(site_dirs: list[str]) -> tuple[list[str], list[str]]:
    """(folders, files) in the bound site dirs that must not be visible in the sandbox."""
    folders, files = [], []
    for name in HIDDEN_PACKAGES:
        spec = find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            location = os.path.realpath(location)
            if any(location.startswith(d + os.sep) for d in site_dirs):
                folders.append(location)
    for folder in site_dirs:
        for entry in os.scandir(folder):
            lowered = entry.name.lower()
            if entry.name.startswith("__editable__") or lowered.endswith(".egg-link"):
                files.append(entry.path)
            elif lowered.startswith(("autodiff_course-", "autodiff-course-")) and entry.is_dir():
                folders.append(entry.path)
    return folders, files


class _BwrapArgs:
    """bwrap's argument list, creating the parent folders of every bind with mode 0755.

    Folders bwrap creates itself are 0700, which an unprivileged kernel cannot enter.
    """

    def __init__(self):
        self.args: list[str] = []
        self.present: set[str] = {"/"}
        self.bound: list[str] = []

    def _parents(self, dest: str) -> None:
        parts = Path(dest).parts
        for i in range(2, len(parts)):
            folder = str(Path(*parts[:i]))
            if folder not in self.present:
                self.args += ["--perms", "0755", "--dir", folder]
                self.present.add(folder)

    def add(self, option: str, *values: str, dest: str) -> None:
        self._parents(dest)
        self.args += [option, *values]
        self.present.add(dest)
        if option in ("--ro-bind", "--bind", "--symlink"):
            self.bound.append(dest)

    def covers(self, path: str) -> bool:
        """Whether ``path`` is already visible through an earlier bind."""
        return any(path == b or path.startswith(b.rstrip("/") + "/") for b in self.bound)


def _root_entries(spec: _BwrapArgs) -> None:
    spec.add("--ro-bind", "/usr", "/usr", dest="/usr")
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            spec.add("--symlink", os.readlink(host), str(host), dest=str(host))
        elif host.is_dir():
            spec.add("--ro-bind", str(host), str(host), dest=str(host))
    for name in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(name):
            spec.add("--ro-bind", name, name, dest=name)


def _bwrap_args(run_dir: Path, uid: int | None, limits: Limits, site_dirs: list[str]
                ) -> tuple[list[str], list[str]]:
    """(bwrap's options, the command it runs); the options go through a pipe (``--args``), so
    the sandbox's ``/proc/1/cmdline`` shows none of the grader's paths."""
    spec = _BwrapArgs()
    spec.args += ["--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
                  "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
                  "--hostname", "sandbox"]
    if uid is None:  # not root: a user namespace maps the kernel to nobody
        spec.args += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--disable-userns"]
    else:
        spec.args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    # the private /tmp and home first: a tmpfs mounted later would hide a Python installation
    # that lives under /tmp (a checkout cloned there, as CI may do)
    spec.add("--proc", "/proc", dest="/proc")
    spec.add("--dev", "/dev", dest="/dev")
    size = str(limits.scratch_mb * 1024 * 1024)
    spec.add("--perms", "01777", "--size", size, "--tmpfs", "/tmp", dest="/tmp")
    spec.add("--perms", "0777", "--size", size, "--tmpfs", INSIDE_HOME, dest=INSIDE_HOME)
    _root_entries(spec)
    base = os.path.realpath(sys.base_prefix)
    if not spec.covers(base):
        spec.add("--ro-bind", base, base, dest=base)
    for folder in site_dirs:
        if not spec.covers(folder):
            spec.add("--ro-bind", folder, folder, dest=folder)
    folders, files = _masks(site_dirs)
    for folder in folders:
        spec.add("--tmpfs", folder, dest=folder)
    for file in files:
        spec.add("--ro-bind", "/dev/null", file, dest=file)
    spec.add("--ro-bind", str(KERNEL_SIDE), INSIDE_RUNTIME, dest=INSIDE_RUNTIME)
    spec.add("--ro-bind", str(run_dir / "passwd"), "/etc/passwd", dest="/etc/passwd")
    spec.add("--ro-bind", str(run_dir / "group"), "/etc/group", dest="/etc/group")
    spec.add("--bind", str(run_dir), INSIDE_RUN, dest=INSIDE_RUN)
    spec.args += ["--chdir", INSIDE_HOME]
    for name, value in SANDBOX_ENV.items():
        spec.args += ["--setenv", name, value]
    python = os.path.realpath(sys.executable)
    if not os.path.realpath(python).startswith(("/usr/", base + "/")):
        python = os.path.join(base, "bin", os.path.basename(python))
    return spec.args, [python, "-I", "-S", f"{INSIDE_RUNTIME}/launch.py",
                       f"{INSIDE_RUN}/launch.json"]


def _connection(ip: str, key: str) -> dict:
    return {"transport": "ipc", "ip": ip, "shell_port": 1, "iopub_port": 2, "stdin_port": 3,
            "control_port": 4, "hb_port": 5, "key": key, "signature_scheme": "hmac-sha256",
            "kernel_name": ""}


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_text(text)
    os.chmod(path, mode)


def start_kernel_process(*, sandbox: bool, limits: Limits | None = None) -> KernelProcess:
    """Start a kernel (see the module docstring); the caller connects and waits for it."""
    limits = limits or Limits()
    run_dir = Path(tempfile.mkdtemp(prefix="adc-", dir="/tmp" if os.path.isdir("/tmp") else None))
    key = secrets.token_hex(32)
    as_root = os.geteuid() == 0
    uid = secrets.SystemRandom().randrange(1 << 20, 1 << 30) if sandbox and as_root else None
    cgroup = None
    try:
        site_dirs = _site_dirs()
        processes = limits.processes if uid is not None else \
            user_process_count() + limits.processes
        inside = sandbox
        config = {
            "site_dirs": site_dirs,
            "runtime_dir": INSIDE_RUNTIME if inside else str(KERNEL_SIDE),
            "connection_file": f"{INSIDE_RUN}/connection.json" if inside
            else str(run_dir / "connection.json"),
            "uid": uid or 0,
            "gid": uid or 0,
            "blocked": BLOCKED_IMPORTS,
            "cwd": INSIDE_HOME if inside else str(run_dir / "home"),
            "limits": {"memory_mb": limits.memory_mb, "cpu_seconds": limits.cpu_seconds,
                       "file_mb": limits.file_mb, "open_files": limits.open_files,
                       "processes": processes},
        }
        outside = _connection(str(run_dir / "k"), key)
        _write(run_dir / "launch.json", json.dumps(config))
        _write(run_dir / "connection.json",
               json.dumps(_connection(f"{INSIDE_RUN}/k", key) if inside else outside))
        if not sandbox:
            (run_dir / "home").mkdir()
            with open(run_dir / "kernel.log", "wb") as log:
                popen = subprocess.Popen(
                    [sys.executable, "-I", "-S", str(KERNEL_SIDE / "launch.py"),
                     str(run_dir / "launch.json")],
                    env={**SANDBOX_ENV, "HOME": str(run_dir / "home"),
                         "MPLCONFIGDIR": str(run_dir / "home" / ".matplotlib")},
                    cwd=run_dir / "home", stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    start_new_session=True,
                )
            return KernelProcess(popen, run_dir, outside, False, mode(False))

        bwrap = require_bwrap()
        name = "student"
        passwd_uid = uid if uid is not None else 65534
        _write(run_dir / "passwd", f"{name}:x:{passwd_uid}:{passwd_uid}::{INSIDE_HOME}:/bin/sh\n")
        _write(run_dir / "group", f"{name}:x:{passwd_uid}:\n")
        if uid is not None:
            os.chown(run_dir, uid, uid)
            os.chmod(run_dir, 0o755)
        else:
            os.chmod(run_dir, 0o700)
        options, inner = _bwrap_args(run_dir, uid, limits, site_dirs)
        read_end, write_end = os.pipe()
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(b"".join(a.encode() + b"\0" for a in options))
        command = [bwrap, "--args", str(read_end), "--", *inner]
        if cgroup_v1_available():
            cgroup = Cgroup.create(f"k{os.getpid()}-{secrets.token_hex(4)}", limits)
            # the shell joins the cgroup before exec'ing bwrap, so every process of the tree
            # starts inside it (adding bwrap's pid afterwards would race with its first fork)
            join = 'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 97; ' \
                   'shift; done; shift; exec "$@"'
            command = ["/bin/sh", "-c", join, "sh", *map(str, cgroup.paths), "--", *command]
        # bwrap's own complaints (and the kernel's before it captures its output) go to a log
        # in the run folder, read when the kernel fails to start; RLIMIT_FSIZE caps it
        log = open(run_dir / "kernel.log", "wb")  # noqa: SIM115 - handed to the child
        try:
            popen = subprocess.Popen(
                command, pass_fds=(read_end,), env={"PATH": os.environ.get("PATH", "/usr/bin")},
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )
        finally:
            os.close(read_end)
            log.close()
        return KernelProcess(popen, run_dir, outside, True, mode(True), uid, cgroup)
    except BaseException:
        if cgroup:
            cgroup.remove()
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
