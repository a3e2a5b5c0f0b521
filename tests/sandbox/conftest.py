"""The sandbox suite: attacks and honest work through the real grader, in bubblewrap.

``make sandbox`` (part of ``make test``) runs it where ``bwrap`` is installed and says loudly when
it is not (an error when REQUIRE_SANDBOX=1, as ``.ci/run`` sets). Here bwrap is required: a
machine without it fails every test instead of skipping them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # pipeline_fixtures


@pytest.fixture(autouse=True, scope="session")
def _bwrap_is_there():
    if shutil.which("bwrap") is None:
        pytest.fail("the sandbox suite needs bubblewrap: apt-get install bubblewrap")
