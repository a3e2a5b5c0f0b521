"""What runs inside a student's kernel: the launcher and the probe runtime, and their data codec.

Nothing here imports the rest of ``autodiff_course`` (the grading sandbox binds only this folder,
as the package ``adc_kernel``), and nothing here decides a grade: the kernel computes, the grader
judges (:mod:`autodiff_course.checking`, :mod:`autodiff_course.engine`).
"""
