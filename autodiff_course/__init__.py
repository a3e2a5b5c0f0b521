"""autodiff_course: the course tooling (release, autograde, validate, demo) around nbgrader.

Kept apart from ``autograd_ref`` so that the reference library never needs nbgrader.
"""

import sys

# jsonschema (imported by nbformat) loads rfc3987_syntax when it is installed, and that module
# builds a grammar at import time: 1.6 s of every command's and every grading worker's start, for
# an IRI format check nbformat never uses. Marked absent before anything imports jsonschema,
# jsonschema simply skips that one check.
sys.modules.setdefault("rfc3987_syntax", None)
