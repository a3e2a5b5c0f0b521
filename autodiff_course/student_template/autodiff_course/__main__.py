"""``python -m autodiff_course`` in the student copy: its ``autodiff-course`` command (validate).

The Validate button's server extension runs ``python -m autodiff_course validate``; the grading
commands are not part of the student copy.
"""

import sys

from .cli import student_main

sys.exit(student_main())
