"""Who made a folder in nbgrader's exchange: ``inbound/`` is writable by every student.

On a JupyterHub with one Unix user per student, a hand-in named ``alice+…`` made by Mallory
would otherwise be collected as Alice's work (and shadow hers, being newer) and receive Alice's
feedback. Where this machine has a user of the student's name, the folder must belong to that
user; where it has none (a single-user exchange, names that are not logins) there is nothing to
compare with.
"""

from __future__ import annotations

import os
import pwd


def foreign(path: str | os.PathLike, student: str) -> bool:
    """True when a user named ``student`` exists here and does not own ``path``."""
    try:
        expected = pwd.getpwnam(student).pw_uid
    except KeyError:
        return False
    return os.lstat(path).st_uid != expected
