"""Jupyter server settings for `make lab` (JUPYTER_CONFIG_DIR points at this folder).

The course opens at the checkout's root, so the file browser shows ``course/`` (lectures),
``assignments/`` (student notebooks) and ``grading/student/`` (assignments fetched from the
Assignment List). The server listens on loopback only.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.ServerApp.root_dir = str(Path(__file__).resolve().parent.parent)
c.ServerApp.ip = "127.0.0.1"
# Containers and CI machines often run as root; Jupyter refuses root unless told otherwise.
if hasattr(os, "geteuid") and os.geteuid() == 0:
    c.ServerApp.allow_root = True

# The Validate button (nbgrader's lab extension) is answered by `autodiff-course validate`, which
# decides every part outside the student's kernel; nbgrader's own handler would trust the kernel.
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.validate_assignment": False,
    "autodiff_course.lab_validate": True,
}
