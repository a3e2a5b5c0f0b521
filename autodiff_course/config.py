"""The nbgrader configuration of the course, built in one place.

``nbgrader_config.py`` at the repository root calls :func:`configure` so that plain ``nbgrader``
commands (formgrader, export, db ...) see the same layout as ``autodiff-course``; the grading
workers call :func:`grading_config`, which adds what only our autograde sets up (the
resource-limited kernel and a private kernel socket folder per worker).
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from .layout import COURSE_ID, RELEASE_DIRECTORY, SOURCE_DIRECTORY, Workspace

# What students see when a stream was cut short (kept in one place for tests and docs).
DEFAULT_TIMEOUT = 30
DEFAULT_MAX_OUTPUT_CHARS = 100_000


def configure(
    c: Config, root: Path, workspace: Workspace, *, timeout: int = DEFAULT_TIMEOUT
) -> Config:
    """Fill ``c`` with the course layout and the grading rules (every path absolute).

    - source ``solutions/``, release ``assignments/`` (both tracked, relative to ``root``);
    - submitted / autograded / feedback folders and the gradebook in ``workspace``;
    - deleted or edited test cells restored from the instructor version;
    - stderr in a test cell is not a failure (correct work that warns keeps its points): our
      ``StderrIsNotFailure`` relabels it instead of nbgrader's default "any stderr scores 0";
    - outputs capped while the kernel runs (``GradingExecute``), not only afterwards;
    - feedback without hidden tests: neither their source nor their traceback lines.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        GetGrades,
        LimitOutput,
        SaveAutoGrades,
    )

    from .preprocessors import GradingExecute, HideHiddenTests, StderrIsNotFailure

    root = Path(root).resolve()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = SOURCE_DIRECTORY
    c.CourseDirectory.release_directory = RELEASE_DIRECTORY
    c.CourseDirectory.submitted_directory = str(workspace.submitted)
    c.CourseDirectory.autograded_directory = str(workspace.autograded)
    c.CourseDirectory.feedback_directory = str(workspace.feedback)
    c.CourseDirectory.db_url = workspace.db_url

    c.Execute.timeout = int(timeout)
    c.Execute.interrupt_on_timeout = True
    c.GradingExecute.max_output_chars = DEFAULT_MAX_OUTPUT_CHARS
    c.OverwriteCells.add_missing_cells = True
    c.LimitOutput.max_lines = 1000
    c.LimitOutput.max_traceback = 100
    c.Autograde.autograde_preprocessors = [
        GradingExecute,
        StderrIsNotFailure,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
    return c


def grading_config(
    root: Path,
    workspace: Workspace,
    *,
    timeout: int = DEFAULT_TIMEOUT,
    kernel_name: str | None = None,
    ipc_dir: Path | None = None,
    release_directory: Path | None = None,
) -> Config:
    """The config one grading worker runs with.

    ``kernel_name`` selects the resource-limited kernelspec; ``ipc_dir`` gives the worker its own
    kernel socket folder (concurrent kernels on TCP ports occasionally collide on start-up);
    ``release_directory`` redirects the release that loads the gradebook away from the tracked tree.
    """
    c = configure(Config(), root, workspace, timeout=timeout)
    if release_directory is not None:
        c.CourseDirectory.release_directory = str(release_directory)
    if kernel_name:
        c.ExecutePreprocessor.kernel_name = kernel_name
    if ipc_dir is not None:
        c.KernelManager.transport = "ipc"
        c.KernelManager.ip = str(Path(ipc_dir) / "kernel")
    c.NbGraderAPI.log_level = "INFO"
    return c
