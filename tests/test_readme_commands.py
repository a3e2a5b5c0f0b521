"""Every command the README gives exists as written: each ``autodiff-course ...`` parses with the
command's own parser (subcommand, options and their values), each ``make TARGET`` is a target
make can plan. The term's commands are also run for real, in order, in a fresh clone
(tests/sandbox/test_term.py); this test keeps the rest of the README from drifting.

A synopsis is read as its shortest form and its longest: ``[--workspace DIR]`` once left out and
once given, ``canvas|moodle|csv`` as its first choice, ``ID ...`` as one id.
"""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from autodiff_course.cli import build_parser
from tests.pipeline_fixtures import REPO

README = (REPO / "README.md").read_text()
FENCED = re.compile(r"```[a-z]*\n(.*?)```", re.S)


def _spans() -> list[str]:
    """Inline code spans and fenced lines, whitespace collapsed (spans may wrap lines)."""
    text = FENCED.sub("", README)
    spans = [" ".join(s.split()) for s in re.findall(r"`([^`]+)`", text)]
    for block in FENCED.findall(README):
        spans += [line.split("  #")[0].strip() for line in block.splitlines()]
    return [s for s in spans if s]


def _commands(prefix: str) -> list[str]:
    """``prefix`` followed by a word, at the start of a span or after a space or ``bin/``."""
    found = []
    for span in _spans():
        for start in re.finditer(rf"(?:^|(?<=\s)|(?<=bin/)){re.escape(prefix)} [a-z]", span):
            found.append(span[start.start():])
    return sorted(set(found))


# a value for each placeholder that stands for a number
NUMBERS = {"N": "2", "SECONDS": "60", "S": "60", "MB": "512", "P": "2"}


def _forms(synopsis: str) -> list[list[str]]:
    """The shortest and the longest command line a synopsis stands for."""
    text = re.sub(r"(\S+)\|\S+", lambda m: m.group(1).split("|")[0], synopsis)
    text = re.sub(r"\s*\.\.\.", "", text)
    shortest = re.sub(r"\[[^\]]*\]", "", text)
    longest = text.replace("[", "").replace("]", "")
    return [[NUMBERS.get(w, w) for w in shlex.split(form)] for form in (shortest, longest)]


COURSE_COMMANDS = _commands("autodiff-course")
MAKE_COMMANDS = [c for c in _commands("make") if re.match(r"make [a-z-]+", c)]


def test_the_readme_gives_commands_to_check():
    assert len(COURSE_COMMANDS) >= 25 and len(MAKE_COMMANDS) >= 12


@pytest.mark.parametrize("synopsis", COURSE_COMMANDS)
def test_every_course_command_in_the_readme_parses(synopsis):
    parser = build_parser()
    for argv in _forms(synopsis):
        words = argv[1:]
        if len(words) == 1 and words[0] in parser._subparsers._group_actions[0].choices:
            continue  # a bare name in the prose ("`autodiff-course validate`")
        try:
            args = parser.parse_args(words)
        except SystemExit:
            pytest.fail(f"the README's `{synopsis}` does not parse as {words}")
        assert callable(args.run)


@pytest.mark.parametrize("command", MAKE_COMMANDS)
def test_every_make_command_in_the_readme_is_a_target(command):
    words = shlex.split(command)
    done = subprocess.run(["make", "-n", "-C", str(REPO), *words[1:]], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, f"`{command}`: {done.stderr.strip()}"
