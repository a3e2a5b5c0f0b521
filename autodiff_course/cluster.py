"""Where the grading runs: a Dask cluster, the user's (``--scheduler``) or a local one.

Every batch hands its work to Dask distributed, one task per (student, assignment):

- with ``--scheduler tcp://HOST:PORT`` the tasks go to a cluster someone started (by hand, with
  dask-jobqueue, on Kubernetes: docs/scaling.md); its workers grade in the same sandbox as local
  grading, so they need the same installation (the package, bubblewrap, the course checkout at
  the same path);
- without it, a :class:`distributed.LocalCluster` of ``--jobs`` single-threaded worker
  processes on this machine, so one machine needs nothing extra.

A worker keeps one thing between tasks, its kernel started ahead; it lives in a
:class:`GraderPlugin` on that worker (made when the worker starts, closed when it stops), never
at module level. Tasks are named by their content hash and are pure functions of their
arguments, so one that Dask runs twice (its worker died) gives the same result. A task whose
workers keep dying ends as Dask's ``KilledWorker`` after ``distributed.scheduler.allowed-failures``
deaths (1 on the local cluster: retried once). Dask counts a death against every task the dead
worker held, so the grader keeps at most one task per worker thread on the cluster (a dead
worker takes only its own task with it), and submits a task that ended as ``KilledWorker`` once
more under a new name; only when it fails again is it that student's crashed rows (any other
exception is at once), never a failed batch. Results come back as plain records
(:class:`~autodiff_course.records.NotebookResult`); the grader's process writes them.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from distributed.diagnostics.plugin import WorkerPlugin

from . import environment
from .layout import CourseError
from .limits import remove_stale_cgroups
from .records import GradingOptions, NotebookResult, Status, Task
from .worker import TaskRunner, grade_task

PLUGIN_NAME = "autodiff-course-grader"
LOCAL_ALLOWED_FAILURES = 1  # a local worker that dies twice on one student: that task failed
GRADER_ATTEMPTS = 2  # a task Dask gave up on (KilledWorker) is submitted once more, then crashed


class GraderPlugin(WorkerPlugin):
    """A Dask worker plugin: this worker's :class:`~autodiff_course.worker.TaskRunner`."""

    name = PLUGIN_NAME

    def __init__(self):
        self.runner: TaskRunner | None = None

    def setup(self, worker) -> None:
        environment.prepare()
        remove_stale_cgroups()  # kernels a killed predecessor on this machine left running
        self.runner = TaskRunner()

    def teardown(self, worker) -> None:
        if self.runner is not None:
            self.runner.close()
            self.runner = None


def run_task(root: str, task: Task, options: GradingOptions) -> list[NotebookResult]:
    """What a Dask worker runs: grade one task with this worker's runner (see the plugin)."""
    from distributed import get_worker

    plugin = get_worker().plugins.get(PLUGIN_NAME)
    return grade_task(root, task, options, runner=getattr(plugin, "runner", None))


def task_key(task: Task) -> str:
    """The task's name on the cluster: who, what, and the content it grades."""
    return f"grade-{task.student}-{task.assignment}-{task.fingerprint[:16]}"


def crashed(task: Task, message: str) -> list[NotebookResult]:
    """The rows of a task that never came back; graded again on the next run."""
    return [NotebookResult(task.student, task.assignment, name, Status.CRASHED, message,
                           retry=True) for name in task.notebooks]


class Cluster(AbstractContextManager):
    """A connection to the cluster that grades; ``with Cluster(...) as c: c.grade(...)``."""

    def __init__(self, scheduler: str | None = None, jobs: int = 1,
                 log: Callable[[str], None] = print):
        self.scheduler, self.jobs, self.log = scheduler, jobs, log
        self.client = None
        self.local = None

    def __enter__(self) -> Cluster:
        return self.open()

    def open(self) -> Cluster:
        """Connect (or start the local cluster); once only. A scheduler that cannot be reached
        is a :class:`CourseError`."""
        import dask
        from distributed import Client, LocalCluster

        if self.client is not None:
            return self
        environment.prepare()  # workers import the course and run nbgrader's tools
        logging.getLogger("distributed").setLevel(logging.ERROR)
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=dask.config.get(
                    "distributed.comm.timeouts.connect"))
            except (OSError, TimeoutError, ValueError) as err:
                raise CourseError(
                    f"cannot reach the Dask scheduler at {self.scheduler} "
                    f"({type(err).__name__}); start one with `dask scheduler` and workers with "
                    "`dask worker ADDRESS` (see docs/scaling.md), or leave out --scheduler to "
                    "grade on this machine") from None
        else:
            # the workers ignore Ctrl-C (their processes inherit that): an interrupt is this
            # process's to handle, and it closes the cluster, instead of every worker printing
            # a traceback
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                with dask.config.set({"distributed.scheduler.allowed-failures":
                                      LOCAL_ALLOWED_FAILURES}):
                    self.local = LocalCluster(n_workers=self.jobs, threads_per_worker=1,
                                              processes=True, dashboard_address=None,
                                              memory_limit=0, silence_logs=logging.ERROR,
                                              scheduler_kwargs={"dashboard_address": ":0"})
            finally:
                signal.signal(signal.SIGINT, previous)
            self.client = Client(self.local)
        try:
            self.client.register_plugin(GraderPlugin(), name=PLUGIN_NAME)
        except Exception:
            self.close()
            raise
        return self

    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def threads(self) -> int:
        """Worker threads on the cluster now (at least 1: workers may still be joining)."""
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def grade(self, root: str, tasks: list[Task],
              options: GradingOptions) -> Iterator[tuple[Task, list[NotebookResult]]]:
        """Each task's results as soon as they arrive (any order); never raises for a task."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        # At most one task per worker thread is on the cluster at a time: Dask counts a death
        # against every task the dead worker held, so a worker that holds only the task it runs
        # takes no innocent neighbour with it when a submission kills it.
        waiting = [(task, 1) for task in reversed(tasks)]
        futures: dict = {}
        queue = as_completed()

        def fill() -> None:
            while waiting and len(futures) < self.threads():
                task, attempt = waiting.pop()
                key = task_key(task) + (f"-attempt{attempt}" if attempt > 1 else "")
                future = self.client.submit(run_task, root, task, options, key=key, pure=False)
                futures[future] = (task, attempt)
                queue.add(future)

        fill()
        for future in queue:
            task, attempt = futures.pop(future)
            try:
                results = future.result()
            except KilledWorker:
                if attempt < GRADER_ATTEMPTS:
                    # given up by Dask: once more, under a new name, before calling it the
                    # submission's doing
                    waiting.append((task, attempt + 1))
                    future.release()
                    fill()
                    continue
                results = crashed(task, "the grading worker died on this submission every time "
                                  "it was tried; nothing was scored")
            except Exception as err:  # noqa: BLE001 - one student, never the batch
                results = crashed(task, f"the grader failed on this submission "
                                  f"({type(err).__name__})")
            future.release()
            fill()
            yield task, results

    def close(self) -> None:
        if self.client is not None:
            if self.local is None:
                try:  # the workers stop their kernel started ahead: nothing idles between runs
                    self.client.unregister_worker_plugin(PLUGIN_NAME)
                except Exception:  # noqa: BLE001 - a scheduler already gone
                    pass
            self.client.close()
            self.client = None
        if self.local is not None:
            self.local.close()
            self.local = None

    def __exit__(self, *exc) -> None:
        self.close()
