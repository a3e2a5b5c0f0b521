"""Jupyter server settings for `make lab` (JUPYTER_CONFIG_DIR points at this folder).

JupyterLab opens at the repository's root (``course/``, ``assignments/``), listens on loopback
only, and a terminal opened in it finds ``autodiff-course``. Which server extensions run is in
``jupyter_server_config.json`` next to this file, which panels JupyterLab shows in
``labconfig/page_config.json``: of nbgrader, only the Validate button, answered by
``autodiff-course validate``.
"""

import sys
from pathlib import Path

_root = Path(__file__).resolve().parent.parent
try:
    import autodiff_course  # noqa: F401
except ImportError:  # not pip-installed: use the copy in this repository
    sys.path.insert(0, str(_root))

from autodiff_course.lab_settings import configure  # noqa: E402

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

configure(c, _root)
