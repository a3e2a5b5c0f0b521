"""autodiff_course: the course tooling (release, autograde, validate, demo) around nbgrader.

Kept apart from ``autograd_ref`` so that the reference library never needs nbgrader.
"""
