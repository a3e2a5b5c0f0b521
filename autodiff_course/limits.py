"""How much a kernel's whole process tree may use, and how that is enforced here.

:class:`Limits` holds the numbers (the grader's defaults). Where the grader may create cgroups
(v1, as root), each kernel gets one of its own (:class:`Cgroup`): memory and processes of the
whole tree are capped by the kernel, and its CPU time is read by the grader, which stops the
kernel past its share. Elsewhere the kernel's launcher sets per-process limits and a limit on the
processes of its uid. :func:`mode` says in one line which applies (the batch log prints it).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_V1 = Path("/sys/fs/cgroup")
CGROUP_PARENT = "autodiff-course"


@dataclass(frozen=True)
class Limits:
    """Resources of one kernel's whole process tree (the defaults match the grader's)."""

    memory_mb: int = 3000
    cpu_seconds: int = 600
    processes: int = 256
    file_mb: int = 256
    open_files: int = 1024
    scratch_mb: int = 256


def cgroup_v1_available() -> bool:
    if os.geteuid() != 0:
        return False
    return all(os.access(CGROUP_V1 / c, os.W_OK) and (CGROUP_V1 / c / "cgroup.procs").exists()
               for c in ("memory", "pids", "cpuacct"))


def mode(sandbox: bool) -> str:
    """How the whole tree is limited where kernels start now (printed in the batch log)."""
    if not sandbox:
        return "no sandbox: per-process limits only (memory, CPU time, file size, processes)"
    if cgroup_v1_available():
        return ("sandbox (bwrap) with a cgroup per kernel: memory, processes and CPU time of the "
                "whole tree, and an unprivileged uid of its own")
    if os.geteuid() == 0:
        return ("sandbox (bwrap) without a writable cgroup: an unprivileged uid of its own with "
                "a process limit, plus per-process memory, CPU and file limits")
    return ("sandbox (bwrap) in a user namespace without a writable cgroup: per-process memory, "
            "CPU and file limits and a process limit on this user's processes")


@dataclass
class Cgroup:
    paths: list[Path]

    @classmethod
    def create(cls, name: str, limits: Limits) -> Cgroup:
        paths = []
        try:
            for controller in ("memory", "pids", "cpuacct"):
                path = CGROUP_V1 / controller / CGROUP_PARENT / name
                path.mkdir(parents=True)
                paths.append(path)
            memory, pids = paths[0], paths[1]
            limit = str(limits.memory_mb * 1024 * 1024)
            (memory / "memory.limit_in_bytes").write_text(limit)
            if (memory / "memory.memsw.limit_in_bytes").exists():
                (memory / "memory.memsw.limit_in_bytes").write_text(limit)
            (pids / "pids.max").write_text(str(limits.processes))
        except OSError:
            cls(paths).remove()
            raise
        return cls(paths)

    def cpu_seconds(self) -> float:
        try:
            return int((self.paths[2] / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0

    def pids(self) -> list[int]:
        found = set()
        for path in self.paths:
            try:
                found |= {int(p) for p in (path / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                pass
        return sorted(found)

    def kill_all(self) -> None:
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        for path in reversed(self.paths):
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def remove_stale_cgroups() -> None:
    """Kernels and cgroups left by grader processes that died (best effort).

    A cgroup is named after the grading process that started its kernel; when that process is
    gone, whatever still runs in the cgroup is an orphan (a worker killed while a kernel was
    starting can leave one: bubblewrap's die-with-parent is set only once bwrap runs), so it is
    killed and the cgroup removed. Run at the start of every batch and of every grading worker.
    """
    if not cgroup_v1_available():
        return
    for controller in ("memory", "pids", "cpuacct"):
        parent = CGROUP_V1 / controller / CGROUP_PARENT
        for group in parent.glob("k*-*") if parent.is_dir() else []:
            owner = group.name[1:].split("-", 1)[0]
            if owner.isdigit() and Path(f"/proc/{owner}").exists():
                continue
            try:
                Cgroup([group]).kill_all()
                if not (group / "cgroup.procs").read_text().strip():
                    group.rmdir()
            except OSError:
                pass


def user_process_count() -> int:
    uid = str(os.getuid())
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue
        if fields.get("Uid", "").split()[:1] == [uid]:
            count += int(fields.get("Threads", "1").strip() or 1)
    return count
