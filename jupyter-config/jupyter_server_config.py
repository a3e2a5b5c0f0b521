"""Jupyter server settings for `make lab` (JUPYTER_CONFIG_DIR points at this folder).

The course opens at the checkout's root, so the file browser shows ``course/`` (lectures),
``assignments/`` (student notebooks) and ``grading/student/`` (assignments fetched from the
Assignment List). The server listens on loopback only, and a terminal opened in JupyterLab finds
``autodiff-course`` (autodiff_course/lab_settings.py says how).
"""

import sys
from pathlib import Path

_root = Path(__file__).resolve().parent.parent
try:
    import autodiff_course  # noqa: F401
except ImportError:  # a checkout that is not pip-installed
    sys.path.insert(0, str(_root))

from autodiff_course.lab_settings import configure  # noqa: E402

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

configure(c, _root)

# The Validate button (nbgrader's lab extension) is answered by `autodiff-course validate`, which
# decides every part outside the student's kernel; nbgrader's own handler would trust the kernel.
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.validate_assignment": False,
    "autodiff_course.lab_validate": True,
}
