"""Where a gradebook URL is shown, its password is not: every form a URL can carry one in."""

from __future__ import annotations

import sys
from urllib.parse import quote

import pytest

from autodiff_course.gradebook import GradebookError, check_url, describe
from autodiff_course.layout import HIDDEN, mask_password, redact, url_secrets

CASES = [
    # (url, what is shown, the secret that must not be)
    ("postgresql+psycopg2://grader:s3cret@db.example.org:5432/gb",
     "postgresql+psycopg2://grader:***@db.example.org:5432/gb", "s3cret"),
    ("postgresql://grader:pa:ss@host/gb", "postgresql://grader:***@host/gb", "pa:ss"),
    ("postgresql://grader:p@ss@host/gb", "postgresql://grader:***@host/gb", "p@ss"),
    ("postgresql://grader:pa/ss@host/gb", "postgresql://grader:***@host/gb", "pa/ss"),
    ("postgresql://grader:pa%40ss%3Aw@host/gb", "postgresql://grader:***@host/gb", "pa@ss:w"),
    ("postgresql://grader@host/gb?sslmode=require&password=qs3cret",
     "postgresql://grader@host/gb?sslmode=require&password=***", "qs3cret"),
    ("postgresql://grader@host/gb?sslpassword=k3y", "postgresql://grader@host/gb?sslpassword=***",
     "k3y"),
    ("postgres://grader:s3cret@host/gb", "postgres://grader:***@host/gb", "s3cret"),
    ("host=db.example.org user=grader password=s3cret", HIDDEN, "s3cret"),
]


@pytest.mark.parametrize("url, shown, secret", CASES)
def test_the_password_is_masked_in_every_form(url, shown, secret):
    assert mask_password(url) == shown
    assert secret in url_secrets(url)
    quoted = quote(secret, safe="")
    cleaned = redact(f"could not use {url}: the server said {secret} and {quoted}", url)
    assert secret not in cleaned and quoted not in cleaned


@pytest.mark.parametrize("url", ["sqlite:////tmp/a@b/gradebook.db", "sqlite:///gradebook.db",
                                 "postgresql+psycopg2://grader@host:5432/gb"])
def test_urls_without_a_password_are_shown_as_they_are(url):
    assert mask_password(url) == url
    assert url_secrets(url) == []


def test_pgpassword_is_removed_from_messages(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "env-s3cret")
    assert "env-s3cret" not in redact("FATAL: env-s3cret rejected")
    assert "env-s3cret" not in describe(RuntimeError("env-s3cret"), "postgresql://u@h/db")


def test_a_missing_driver_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    with pytest.raises(GradebookError, match="pip install psycopg2-binary") as err:
        check_url("postgresql+psycopg2://grader:s3cret@host/gb")
    assert "s3cret" not in str(err.value) and "grader:***@" in str(err.value)


def test_not_a_url_is_refused_without_showing_it():
    with pytest.raises(GradebookError, match="not a database URL") as err:
        check_url("grader:s3cret")
    assert "s3cret" not in str(err.value)
