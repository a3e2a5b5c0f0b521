"""Fairness, shown by mutants: plausible wrong answers lose exactly their own part's points.

Every mutant of the battery in ``tests/mutants/`` (a student's mistake confined to one answer
cell) is graded through the real ``autodiff-course autograde`` in bubblewrap, next to an honest
submission per topic, and checked with ``autodiff-course validate``. Each mutant must lose at
least one point, lose points only in its own part (the answer cell and the test cells after it),
and fail validate on a test of that part, so the student could have seen it before handing in.
"""

from __future__ import annotations

import re

import pytest
from pipeline_fixtures import REPO

from autodiff_course.layout import assignment_ids
from autodiff_course.notebooks import parts, read
from tests.mutants import all_mutants
from tests.mutants.check import HONEST, grade, verdicts

MUTANTS = all_mutants()
TOPICS = assignment_ids(REPO)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return grade(workdir=tmp_path_factory.mktemp("mutants"), jobs=2)


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_has_at_least_five_mutants(topic):
    found = [m for m in MUTANTS if m.topic == topic]
    assert len(found) >= 5, f"{topic}: only {len(found)} mutants"
    answers = set(parts(read(REPO / "solutions" / topic / f"{topic}.ipynb")).values())
    assert {m.cell for m in found} <= answers, "a mutant names a cell that is not an answer"


def test_mutant_names_are_unique_and_explained():
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"a0\d-[a-z0-9-]+", n) for n in names), names
    assert all(len(m.why) > 20 for m in MUTANTS)


def test_honest_work_loses_nothing(outcomes):
    honest = {s: o.lost for s, o in outcomes.items() if s.startswith(HONEST)}
    assert len(honest) == len(TOPICS)
    assert all(not lost for lost in honest.values()), honest


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_loses_its_own_points_and_only_those(outcomes, mutant):
    outcome = outcomes[mutant.student]
    checks = verdicts(mutant, outcome)
    assert all(checks.values()), (f"{mutant.name} ({mutant.why}): {checks}; lost {outcome.lost}; "
                                  f"validate exit {outcome.validate_exit}, failed "
                                  f"{outcome.validate_failed} {outcome.validate_error}")


def test_readme_states_the_battery():
    readme = (REPO / "README.md").read_text()
    stated = re.search(r"(\d+) mutants", readme)
    assert stated and int(stated.group(1)) == len(MUTANTS), \
        f"README should say '{len(MUTANTS)} mutants' (the battery's size)"
