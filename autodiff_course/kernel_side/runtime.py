"""The probe runtime: run a check's code in the student's namespace, hand back plain data.

A test cell asks for a value with ``student.eval(code, **inputs)``
(:mod:`autodiff_course.checking`). When the grader runs the test cell, that request travels into
the student's kernel as one ``execute_request`` calling :func:`evaluate`, which

- runs ``code`` in a scratch namespace: a copy of the notebook's names (with ``math`` and
  ``np`` the real modules), fresh for every test cell, so a check's own helpers never leak into
  the student's namespace and a later cell never sees them;
- turns the value of the code's last expression into plain data (:mod:`.codec`), or the
  student's exception into text naming the student's own lines (never the check's);
- publishes it as one display message of type :data:`MIME`, tagged with the request's id.

The grader decides pass or fail on that data in its own process; nothing here knows what the
right answer is. In a student's own JupyterLab the same :func:`run` is called in-process
(:func:`evaluate_local`), so a test cell behaves the same there as in grading.
"""

from __future__ import annotations

import ast
import json
import traceback
from typing import Any

from . import codec

MIME = "application/vnd.autodiff-course.result+json"
NOT_PLAIN = "NotPlainData"  # the "exception type" of a value the grader cannot take
CHECK_FILENAME = "<autodiff-course check>"
MAX_ERROR_CHARS = 2000

_scratch: dict[str, Any] = {"key": object(), "namespace": None}


def _user_namespace() -> dict:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("student.eval needs an IPython kernel")
    return shell.user_ns


def begin(key: Any = None) -> None:
    """Start a test cell: the next request gets a fresh scratch namespace."""
    _scratch["key"] = key if key is not None else object()
    _scratch["namespace"] = None


def _namespace(key: Any) -> dict:
    if key is not None and key != _scratch["key"]:
        begin(key)
    if _scratch["namespace"] is None:
        import math

        import numpy

        # the notebook's names, plus the two modules every check writes with (the real ones,
        # whatever the notebook bound to these names)
        _scratch["namespace"] = {**_user_namespace(), "math": math, "np": numpy}
    return _scratch["namespace"]


def _exec_last(code: str, namespace: dict) -> Any:
    tree = ast.parse(code, CHECK_FILENAME, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, CHECK_FILENAME, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(last, CHECK_FILENAME, "eval"), namespace)


def _safe_str(err: BaseException) -> str:
    try:
        return str(err)
    except Exception:  # noqa: BLE001 - a student's exception may not even print
        return "(its message could not be printed)"


def describe_error(err: BaseException) -> str:
    """``Type: message`` and the student's own frames; the check's code is never quoted."""
    head = f"{type(err).__name__}: {_safe_str(err)}".rstrip(": ")
    if isinstance(err, KeyboardInterrupt):
        head = "interrupted (the time limit was reached)"
    frames = []
    try:
        for frame in traceback.extract_tb(err.__traceback__):
            if frame.filename == CHECK_FILENAME or frame.filename == __file__:
                continue
            line = (frame.line or "").strip()
            frames.append(f"  in {frame.name}, line {frame.lineno}: {line}" if line
                          else f"  in {frame.name}, line {frame.lineno}")
    except Exception:  # noqa: BLE001 - a broken traceback still leaves the message
        frames = []
    text = head + ("\n" + "\n".join(frames[-4:]) if frames else "")
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _failure(err: BaseException, prefix: str = "") -> dict[str, Any]:
    names = []
    try:
        names = [kind.__name__ for kind in type(err).__mro__][:20]
    except Exception:  # noqa: BLE001
        pass
    return {"error": prefix + describe_error(err), "types": names}


def run(code: str, inputs_text: str, key: Any = None) -> dict[str, Any]:
    """{"value": encoded data} or {"error": text, "types": [class names]}: one request's answer.
    """
    try:
        namespace = _namespace(key)
        namespace.update(codec.decode(inputs_text))
    except Exception as err:  # noqa: BLE001 - reported to the grader as text
        return _failure(err, "the check's inputs could not be set up: ")
    try:
        value = _exec_last(code, namespace)
    except BaseException as err:  # noqa: BLE001 - SystemExit and interrupts are results too
        return _failure(err)
    try:
        return {"value": codec.encode(value)}
    except codec.NotPlain as err:
        return {"error": f"returned {err}; the grader takes plain values only (numbers, "
                         "strings, lists, tuples, dicts, numpy arrays)", "types": [NOT_PLAIN]}
    except Exception as err:  # noqa: BLE001
        return _failure(err, "the value could not be read: ")


def evaluate(request: str) -> None:
    """Entry point of a grader's request (a JSON text: id, code, inputs, cell key)."""
    from IPython.display import publish_display_data

    fields = json.loads(request)
    payload = run(fields["code"], fields["inputs"], fields.get("cell"))
    publish_display_data({MIME: {"id": fields["id"], **payload}})


def evaluate_file(path: str) -> None:
    """The same, with the request in a file the grader wrote into the kernel's run folder."""
    with open(path, encoding="utf-8") as handle:
        evaluate(handle.read())


def _new_cell(*_args: Any) -> None:
    begin()


def evaluate_local(code: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The same request run in this kernel (a student's JupyterLab, nbval on the solutions).

    Every cell the kernel runs starts a fresh scratch namespace (an IPython ``pre_run_cell``
    hook, registered on first use), as every test cell does in the grader.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None and _new_cell not in shell.events.callbacks["pre_run_cell"]:
        shell.events.register("pre_run_cell", _new_cell)
        begin()
    return run(code, codec.encode(inputs))
