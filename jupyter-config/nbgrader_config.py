"""nbgrader settings for `make lab`: a local exchange so the Assignment List works out of the box.

`make lab` points JUPYTER_CONFIG_DIR at this folder, so nbgrader loads this file first and then
the course root's ``nbgrader_config.py`` (layout and grading rules), which does not touch the
exchange. Everything here lives in the git-ignored ``grading/`` folder of the checkout this file
belongs to:

- ``grading/exchange/``        the exchange: ``autodiff-course/outbound/<id>/`` holds the released
  assignments (``prepare_lab.py`` releases every ``assignments/<id>/`` there), ``inbound/``
  receives what the Assignment List's Submit button hands in;
- ``grading/student/``         where the Assignment List's Fetch button puts the student's copy;
- ``grading/exchange-cache/``  nbgrader's record of the student's own submissions (by default it
  would go to the user's Jupyter data folder).

The course id is repeated here because the Assignment List reads its configuration a second time
from inside ``grading/student/``, where the root ``nbgrader_config.py`` is not found.
"""

from pathlib import Path

from autodiff_course.layout import COURSE_ID

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

_root = Path(__file__).resolve().parent.parent
c.CourseDirectory.course_id = COURSE_ID
c.Exchange.root = str(_root / "grading" / "exchange")
c.Exchange.assignment_dir = str(_root / "grading" / "student")
c.Exchange.cache = str(_root / "grading" / "exchange-cache")
