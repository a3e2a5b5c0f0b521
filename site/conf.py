"""Sphinx configuration of the course website; `make site` runs it on a staging folder.

Sphinx reads the staging folder that make_site.py fills (copies of the lectures and released
assignments, and the home page), with this folder as its configuration directory (``-c``).
Everything a page loads comes from the site itself: the alabaster theme (no web fonts, no
CDN), Sphinx's own search, and MathJax 2.7 from the ``jupyter-server-mathjax`` package, copied
into ``_static/mathjax/`` after the build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jupyter_server_mathjax

project = "Automatic differentiation"
author = "the autodiff-course authors"
copyright = "the autodiff-course authors, MIT licence"  # noqa: A001 - Sphinx's name

extensions = ["myst_nb"]  # MyST markdown and notebooks; Sphinx's mathjax is the HTML default
exclude_patterns = [".doctrees", ".make_site", "**/.ipynb_checkpoints"]

# The lectures are committed executed: never run them, show what is stored.
nb_execution_mode = "off"
# Widget outputs are made static before Sphinx sees them (static_widgets.py); no widget script
# (myst-nb would load require.js and the ipywidgets HTML manager from CDNs).
nb_ipywidgets_js: dict = {}
nb_merge_streams = True

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# MathJax 2.7, local. myst-parser would write a MathJax 3+ configuration: switched off, the
# equivalent MathJax 2 one follows (typeset only the math Sphinx marked, ignore the rest).
MATHJAX_DIR = Path(jupyter_server_mathjax.__file__).parent / "static"
myst_update_mathjax = False
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        "processEnvironments": True,
        "ignoreClass": "tex2jax_ignore|mathjax_ignore",
        "processClass": "math",
    },
    # The package ships the STIX-Web fonts only: use them, never probe for TeX fonts or images.
    "HTML-CSS": {
        "availableFonts": [],
        "preferredFont": None,
        "webFont": "STIX-Web",
        "imageFont": None,
        # MathJax tests font loading with a blank font at url('about:blank'), which Chromium
        # refuses with a console error; a local() source that never exists fails the same way.
        "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}},
    },
    # The native-MathML output's styles (applied to the hidden MathML MathJax adds for screen
    # readers) name six TeX web fonts the package does not ship: never fetch them (404s).
    "NativeMML": {"styles": {f"@font-face /*{n}*/": {"src": "local('MathJax_None')"}
                             for n in range(1, 7)}},
    "messageStyle": "none",
    "menuSettings": {"zoom": "None"},
}

html_theme = "alabaster"
html_title = "Automatic differentiation: a course"
html_theme_options = {
    "description": "Build automatic differentiation, one topic at a time.",
    "show_powered_by": False,
    "show_relbars": True,
    "page_width": "1100px",
    "sidebar_width": "250px",
}
html_sidebars = {"**": ["about.html", "searchfield.html", "navigation.html", "relations.html"]}
html_static_path = ["_static"]  # custom.css, which alabaster links on every page
html_favicon = "_static/favicon.svg"  # without one, the browser asks for /favicon.ico (a 404)
html_copy_source = False  # the notebooks are in the repository; the site is for reading
html_show_sourcelink = False
html_last_updated_fmt = None


def copy_mathjax(app, exception) -> None:
    """MathJax 2.7 into _static/mathjax (not via html_static_path: 700 files, nothing to render).

    Its localization/ folder (2 MB) is left out: English is built into MathJax.js.
    """
    if exception is None and app.builder.format == "html":
        shutil.copytree(MATHJAX_DIR, Path(app.outdir) / "_static" / "mathjax",
                        ignore=shutil.ignore_patterns("localization"), dirs_exist_ok=True)


def setup(app):
    app.connect("build-finished", copy_mathjax)
