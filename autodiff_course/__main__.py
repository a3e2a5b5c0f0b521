"""``python -m autodiff_course``: the same as the ``autodiff-course`` command."""

import sys

from .cli import main

sys.exit(main())
