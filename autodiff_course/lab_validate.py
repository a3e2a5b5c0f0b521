"""The Lab's Validate button, answered by ``autodiff-course validate`` instead of nbgrader's.

nbgrader's JupyterLab extension posts the open notebook's path to ``/assignments/validate`` and
shows the reply in a dialog. nbgrader's own handler runs the test cells in a kernel and believes
what that kernel says, so a notebook that fools its own kernel gets "Success". This server
extension takes over the same two routes (``jupyter-config/jupyter_server_config.py`` turns
nbgrader's validate extension off and this one on): it runs ``autodiff-course validate --json``
on the notebook in a separate process, which decides every part outside the student's kernel
(sandboxed where bubblewrap is installed), and turns the report into the dialog's format:
"Success!" only when every tested part passes, otherwise one entry per part that fails or is not
answered yet, with its message (escaped: the dialog shows it as HTML).
"""

from __future__ import annotations

import asyncio
import html
import json
import sys
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

VALIDATE_TIMEOUT = 600


def dialog_reply(report: dict) -> dict:
    """nbgrader's dialog format for one validate report (see the module docstring)."""
    if report.get("error"):
        return {"success": False, "value": f"The notebook could not be checked: {report['error']}"}
    failed = [
        {"source": f"{part['status']}: {part['name']} ({part['points']:g} "
                   f"point{'' if part['points'] == 1 else 's'})",
         "error": html.escape(part.get("message") or "", quote=True)}
        for part in report.get("parts", []) if part.get("status") in ("FAIL", "TODO")
    ]
    if not failed and not report.get("ok"):
        return {"success": False, "value": "Nothing in this notebook could be checked: it has no "
                "test cell of the course. Was it made from one of the course's assignments?"}
    return {"success": True, "value": {"failed": failed} if failed else {}}


class ValidateHandler(JupyterHandler):
    """POST /assignments/validate {"path": notebook path relative to the server root}."""

    @web.authenticated
    async def post(self):
        try:
            path = self.get_argument("path")
        except web.MissingArgumentError:
            path = (self.get_json_body() or {}).get("path", "")
        root = Path(self.settings["server_root_dir"]).expanduser().resolve()
        target = (root / str(path)).resolve()
        if not target.is_relative_to(root) or target.suffix != ".ipynb":
            raise web.HTTPError(403, "only notebooks inside the server's folder can be validated")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "autodiff_course", "validate", str(target), "--json",
            cwd=str(target.parent), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(process.communicate(), VALIDATE_TIMEOUT)
        except TimeoutError:
            process.kill()
            self.finish(json.dumps({"success": False, "value": "validation took too long"}))
            return
        try:
            reply = dialog_reply(json.loads(out.decode("utf-8", "replace")))
        except ValueError:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            reply = {"success": False, "value": "autodiff-course validate failed: "
                     + (lines[-1] if lines else f"exit status {process.returncode}")}
        self.finish(json.dumps(reply))


class VersionHandler(JupyterHandler):
    """GET /nbgrader_version: the check nbgrader's extension makes before validating."""

    @web.authenticated
    def get(self):
        from nbgrader import __version__

        ui_version = self.get_argument("version", "")
        self.finish(json.dumps({"success": ui_version == __version__} if ui_version == __version__
                               else {"success": False, "message": "the nbgrader lab extension "
                                     f"({ui_version}) does not match nbgrader {__version__}"}))


def _jupyter_server_extension_points():
    return [{"module": "autodiff_course.lab_validate"}]


def _load_jupyter_server_extension(serverapp) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base, "/assignments/validate"), ValidateHandler),
        (url_path_join(base, "/nbgrader_version"), VersionHandler),
    ])
    serverapp.log.info("autodiff-course: the Validate button runs autodiff-course validate")
