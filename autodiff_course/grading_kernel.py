"""The grading kernel: an IPython kernel started under resource limits.

Every notebook the autograder runs gets its own kernel from the kernelspec that
:func:`install_kernelspec` writes into the grading workspace (found through JUPYTER_PATH and
selected with ``ExecutePreprocessor.kernel_name``). Its command is this module, which, before the
kernel starts:

- caps the address space (a runaway allocation raises MemoryError instead of taking the machine's
  memory), CPU seconds (a kernel that spins past the cap is killed by SIGXCPU), the size of files
  it may write, and the number of processes (a fork bomb stops);
- imports the real ``autodiff_course.checking`` (and numpy) so that a file a student's code writes
  into the working folder cannot shadow the test helpers the test cells import afterwards;
- keeps numerical libraries to one thread, so N parallel graders use N cores.

It is ``prlimit`` done in Python: the same setrlimit calls, portable to any POSIX system.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

KERNEL_NAME = "autodiff-course-grader"
DEFAULT_MEMORY_MB = 3000
DEFAULT_CPU_SECONDS = 600
DEFAULT_FILE_MB = 256
EXTRA_PROCESSES = 512
THREAD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "PYTHONHASHSEED": "0",
}


def install_kernelspec(
    jupyter_path: Path,
    *,
    memory_mb: int = DEFAULT_MEMORY_MB,
    cpu_seconds: int = DEFAULT_CPU_SECONDS,
    python: str | None = None,
) -> Path:
    """Write ``<jupyter_path>/kernels/autodiff-course-grader/kernel.json``; return its folder."""
    folder = Path(jupyter_path) / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            python or sys.executable,
            "-m",
            "autodiff_course.grading_kernel",
            "--memory-mb",
            str(int(memory_mb)),
            "--cpu-seconds",
            str(int(cpu_seconds)),
            "--",
            "-f",
            "{connection_file}",
            "--HistoryManager.hist_file=:memory:",
        ],
        "display_name": "Python 3 (autodiff-course grader, limited)",
        "language": "python",
        "env": THREAD_ENV,
        "interrupt_mode": "signal",
        "metadata": {"debugger": False},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return folder


def _user_process_count() -> int:
    """Processes and threads of this user (RLIMIT_NPROC counts both); 0 where /proc is absent."""
    uid = str(os.getuid())
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [uid]:
            count += int(fields.get("Threads", "1").strip() or 1)
    return count


def apply_limits(memory_mb: int, cpu_seconds: int, file_mb: int = DEFAULT_FILE_MB) -> None:
    import resource

    def cap(kind: int, value: int) -> None:
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))  # hard = soft: student code cannot raise it

    if memory_mb > 0:
        cap(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    if cpu_seconds > 0:
        cap(resource.RLIMIT_CPU, cpu_seconds)
    cap(resource.RLIMIT_FSIZE, file_mb * 1024 * 1024)
    running = _user_process_count()
    if running and hasattr(resource, "RLIMIT_NPROC"):
        cap(resource.RLIMIT_NPROC, running + EXTRA_PROCESSES)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autodiff_course.grading_kernel")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    parser.add_argument("--cpu-seconds", type=int, default=DEFAULT_CPU_SECONDS)
    parser.add_argument("--file-mb", type=int, default=DEFAULT_FILE_MB)
    parser.add_argument("kernel_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    kernel_args = args.kernel_args[1:] if args.kernel_args[:1] == ["--"] else args.kernel_args
    apply_limits(args.memory_mb, args.cpu_seconds, args.file_mb)

    from ipykernel import kernelapp

    import autodiff_course.checking  # noqa: F401  (pinned in sys.modules before student code)

    sys.argv = [sys.argv[0], *kernel_args]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
