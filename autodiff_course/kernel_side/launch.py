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
   connection file, with IPython's history in memory and its output capped per cell
   (:func:`cap_outputs`).

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


MAX_OUTPUT_CHARS = 1_000_000  # printed per cell; the grader keeps far less
MAX_DISPLAY_CHARS = 12_000_000  # one display message (a probe's result is at most 8 MB)


def cap_outputs(shell, per_cell: int = MAX_OUTPUT_CHARS) -> None:
    """Printing more than ``per_cell`` characters in one cell, or one display larger than
    :data:`MAX_DISPLAY_CHARS`, sends a note instead of the rest.

    The grader drops any message over its size limit (so a flood cannot fill its memory), and
    this keeps an honest notebook that prints too much from ever sending one.
    """
    budget = {"left": per_cell, "noted": False}

    def reset(*_args):
        budget.update(left=per_cell, noted=False)

    shell.events.register("pre_execute", reset)
    for stream in (sys.stdout, sys.stderr):
        original = stream.write

        def write(text, original=original):
            if not isinstance(text, str):
                return original(text)
            if budget["left"] <= 0:
                if not budget["noted"]:
                    budget["noted"] = True
                    original(f"\n[output cut: more than {per_cell:,} characters in one cell]\n")
                return len(text)
            piece = text[: budget["left"]]
            budget["left"] -= len(piece)
            original(piece)
            return len(text)

        stream.write = write
    publisher = shell.display_pub
    publish = publisher.publish

    def capped_publish(data, *args, **kwargs):
        try:
            size = sum(len(v) if isinstance(v, str) else len(json.dumps(v))
                       for v in (data or {}).values())
        except (TypeError, ValueError):
            size = 0
        if size > MAX_DISPLAY_CHARS:
            data = {"text/plain": f"[a display of {size:,} characters was not sent: too large]"}
        return publish(data, *args, **kwargs)

    publisher.publish = capped_publish


def survive_unparseable_cells(shell) -> None:
    """A cell too deeply nested to compile (say ``1+1+...`` with 5,000 terms) fails like any
    other error, instead of escaping from IPython's check for ``await`` and leaving the kernel
    without a reply."""
    original = shell.should_run_async

    def should_run_async(raw_cell, *args, **kwargs):
        try:
            return original(raw_cell, *args, **kwargs)
        except Exception:  # noqa: BLE001 - the normal path compiles it and reports the error
            return False

    shell.should_run_async = should_run_async


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

    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(["-f", config["connection_file"], "--IPKernelApp.quiet=True",
                    "--HistoryManager.hist_file=:memory:", "--HistoryManager.enabled=False"])
    cap_outputs(app.shell, int(config.get("max_output_chars", MAX_OUTPUT_CHARS)))
    survive_unparseable_cells(app.shell)
    app.start()


if __name__ == "__main__":
    main()
