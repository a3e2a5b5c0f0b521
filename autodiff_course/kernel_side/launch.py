"""Start a student's IPython kernel: ``python -I -S launch.py CONFIG.json``.

Run by the grader (:mod:`autodiff_course.kernel`), inside the sandbox when there is one. Before
any student code can run it

1. adds the site-packages folders the configuration names (``-S`` skipped them, so no ``.pth``
   file of the grader's environment runs unasked);
2. sets hard resource limits (address space, CPU seconds, file size, open files, processes;
   no core dumps): hard equals soft, so student code cannot raise them again;
3. drops root for the configured unprivileged uid and gid, with no supplementary groups
   (only when started as root, i.e. inside a sandbox made by a root grader);
4. refuses imports of the course's reference library and of other autodiff frameworks, with a
   message saying why (the sandbox does not contain them anyway; this makes the message clear
   when grading runs without a sandbox);
5. loads the probe runtime as the package ``adc_kernel`` and starts ipykernel on the given
   connection file, with IPython's history in memory.

Only the standard library is imported here before the limits are in place.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import site
import sys

BLOCKED_MESSAGE = (
    "{name} is not available to answers: {why}. Write the code yourself (numpy and the "
    "standard library are there)."
)


class _Blocker(importlib.abc.MetaPathFinder):
    def __init__(self, blocked: dict[str, str]):
        self.blocked = blocked

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in self.blocked:
            raise ModuleNotFoundError(
                BLOCKED_MESSAGE.format(name=top, why=self.blocked[top]), name=fullname
            )
        return None


def _limit(kind: int, value: int) -> None:
    import resource

    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def apply_limits(limits: dict) -> None:
    import resource

    mb = 1024 * 1024
    if limits.get("memory_mb"):
        _limit(resource.RLIMIT_AS, int(limits["memory_mb"]) * mb)
    if limits.get("cpu_seconds"):
        _limit(resource.RLIMIT_CPU, int(limits["cpu_seconds"]))
    if limits.get("file_mb"):
        _limit(resource.RLIMIT_FSIZE, int(limits["file_mb"]) * mb)
    if limits.get("open_files"):
        _limit(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    if limits.get("processes") and hasattr(resource, "RLIMIT_NPROC"):
        _limit(resource.RLIMIT_NPROC, int(limits["processes"]))
    _limit(resource.RLIMIT_CORE, 0)


def drop_privileges(uid: int, gid: int) -> None:
    if not uid or os.getuid() != 0:
        return
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise SystemExit("the kernel could regain root after dropping it; refusing to start")


def load_runtime(folder: str):
    spec = importlib.util.spec_from_file_location(
        "adc_kernel", os.path.join(folder, "__init__.py"), submodule_search_locations=[folder]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules["adc_kernel"] = package
    spec.loader.exec_module(package)
    import adc_kernel.runtime  # noqa: F401 - registered for the grader's requests

    return package


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as handle:
        config = json.load(handle)
    for folder in config.get("site_dirs", []):
        site.addsitedir(folder)
    apply_limits(config.get("limits", {}))
    drop_privileges(int(config.get("uid") or 0), int(config.get("gid") or 0))
    sys.meta_path.insert(0, _Blocker(config.get("blocked", {})))
    load_runtime(config["runtime_dir"])
    if config.get("cwd"):
        os.chdir(config["cwd"])

    from ipykernel import kernelapp

    sys.argv = [sys.argv[0], "-f", config["connection_file"], "--IPKernelApp.quiet=True",
                "--HistoryManager.hist_file=:memory:", "--HistoryManager.enabled=False"]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
