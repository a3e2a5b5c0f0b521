# The startup file of bash in a JupyterLab terminal of `make lab` (autodiff_course/lab_settings.py):
# the user's own ~/.bashrc first, then the course's venv first on PATH again, since a ~/.bashrc
# may put another python (pyenv, conda) ahead of it. /etc/bash.bashrc is read before this file.
if [ -f ~/.bashrc ]; then . ~/.bashrc; fi
if [ -n "$AUTODIFF_COURSE_VENV_BIN" ]; then
    PATH="$AUTODIFF_COURSE_VENV_BIN:$PATH"
    export PATH
fi
