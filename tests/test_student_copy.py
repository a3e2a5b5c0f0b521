"""`autodiff-course student-copy`: the repository students clone shows nothing not theirs.

The copy of this repository is made once into a temporary folder and cloned, as a student would
clone it. Then:

- it has one commit, and every path in it is one of the student's (no solutions/, tests/,
  grading/, benchmarks/, docs/, nbgrader_config.py; of the package, only what validate runs);
  course/, assignments/ and autograd_ref/ are byte for byte the instructor's committed ones;
- no object of the clone (every blob, tree and commit, read with `git cat-file
  --batch-all-objects`) holds an nbgrader marker line or any substantive line of a solution
  block or hidden-test block of solutions/*/*.ipynb (see ``secret_lines``);
- its jupyter-config turns every instructor extension off (server and lab), its Makefile and
  pyproject are the student's, its `autodiff-course validate` passes a complete notebook in
  place, and its Lab terminal finds the command;
- a non-empty DIR is refused.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from lab_checks import (
    DECOYS,
    VENV_BIN,
    check_lab_target,
    lab_server,
    make_dry_run,
    request,
    terminal_lookup,
)
from pipeline_fixtures import env, run_cli

from autodiff_course.layout import find_course_root
from autodiff_course.notebooks import fill_answers, read, write
from autodiff_course.student_copy import STUDENT_PACKAGE_FILES

ROOT = find_course_root()
# A line of a solution or hidden-test block counts when it has at least this many characters
# (stripped). Shorter lines ("return x", "else:", "total = bias", "out = []") are everyday Python
# that the grader's own code and the lectures also contain, and name no answer; the longest of
# them that the released material shares with solutions, such as "except StudentError as err:",
# are 27 characters, and are excluded below anyway.
MIN_SECRET_LINE = 20
MARKER_LINE = re.compile(r"(?m)^[ \t]*(#+|=+)?[ \t]*(BEGIN|END) (SOLUTION|HIDDEN TESTS|MARK SCHEME)"
                         r"[ \t]*=*[ \t]*$")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/=\n]{200,}")
BLOCKS = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
          ("BEGIN MARK SCHEME", "END MARK SCHEME"))
STUDENT_TOP = {".gitignore", "Makefile", "README.md", "pyproject.toml", "course", "assignments",
               ".released", "autograd_ref", "autodiff_course", "jupyter-config"}
INSTRUCTOR_SERVER_EXTENSIONS = ("formgrader", "course_list", "assignment_list",
                                "validate_assignment")
INSTRUCTOR_LAB_PLUGINS = ("formgrader", "create-assignment", "course-list", "assignment-list",
                          "menu")
STUDENT_DEPENDENCIES = {"numpy", "matplotlib", "ipywidgets", "sympy", "tqdm", "ipykernel",
                        "jupyterlab", "nbgrader"}


def git(folder: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, check=True,
                          timeout=60).stdout


def searchable(data: bytes) -> str:
    """The text of one git object as a reader sees it: a JSON file (a notebook) by its strings,
    images left out; any other file as text, long base64 runs left out."""
    text = data.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return BASE64_RUN.sub("", text)
    strings: list[str] = []

    def walk(node, key=""):
        if isinstance(node, str):
            if not key.startswith("image/"):
                strings.append(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)

    walk(parsed)
    return "".join(s if s.endswith("\n") else s + "\n" for s in strings)


def block_lines(nb_path: Path) -> list[str]:
    """Every line inside a solution, hidden-test or mark-scheme block of an instructor notebook;
    a solution cell without markers is a block as a whole (nbgrader replaces all of it)."""
    lines = []
    for cell in read(nb_path).cells:
        source = cell.source.splitlines()
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and not any(b in cell.source for b, _ in BLOCKS):
            lines += source
            continue
        inside = False
        for line in source:
            if any(b in line for b, _ in BLOCKS):
                inside = True
            elif any(e in line for _, e in BLOCKS):
                inside = False
            elif inside:
                lines.append(line)
    return lines


def public_text() -> str:
    """What the instructor publishes on purpose: course/, assignments/, autograd_ref/ at HEAD."""
    names = git(ROOT, "ls-files", "-z", "course", "assignments", "autograd_ref").split(b"\0")
    return "\n".join(searchable((ROOT / n.decode()).read_bytes()) for n in names if n)


@pytest.fixture(scope="module")
def secret_lines() -> set[str]:
    """Substantive block lines that the released material does not itself contain.

    Lines the instructor publishes anyway are left out: a visible test repeated in a hidden
    block, an earlier topic's answer given as set-up code in a later assignment, a line of
    the lectures or of autograd_ref. What remains must appear nowhere in the student copy.
    """
    notebooks = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    assert len(notebooks) >= 7
    substantive = {line.strip() for nb in notebooks for line in block_lines(nb)
                   if len(line.strip()) >= MIN_SECRET_LINE}
    published = public_text()
    secret = {line for line in substantive if line not in published}
    assert len(secret) > 1000, f"only {len(secret)} of {len(substantive)} lines are secret"
    # the search finds them where they are: in the instructor notebooks, read as git blobs
    for nb in notebooks:
        text = searchable(nb.read_bytes())
        assert any(line in text for line in secret), nb
        assert MARKER_LINE.search(text), nb
    return secret


@pytest.fixture(scope="module")
def student_repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("student-copy")
    made = base / "made"
    done = run_cli("student-copy", made, "--course-root", ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    commit = git(made, "rev-parse", "HEAD").decode().strip()
    files = len(git(made, "ls-files", "-z").split(b"\0")) - 1
    assert f"wrote the student copy to {made}: {files} files in one commit {commit[:12]}" \
        in done.stdout
    assert f"next: git -C {made} remote add origin URL && git -C {made} push" in done.stdout
    clone = base / "clone"
    git(base, "clone", "--quiet", str(made), str(clone))
    return SimpleNamespace(made=made, clone=clone, output=done.stdout)


def all_objects(repo: Path) -> dict[str, tuple[str, bytes]]:
    """Every object in the repository's database: sha -> (type, content)."""
    raw = git(repo, "cat-file", "--batch-all-objects", "--batch")
    objects, at = {}, 0
    while at < len(raw):
        header_end = raw.index(b"\n", at)
        sha, kind, size = raw[at:header_end].decode().split()
        start = header_end + 1
        objects[sha] = (kind, raw[start:start + int(size)])
        at = start + int(size) + 1
    return objects


def test_one_commit_and_only_the_students_files(student_repo):
    for repo in (student_repo.made, student_repo.clone):
        assert git(repo, "rev-list", "--all", "--count").strip() == b"1"
    clone = student_repo.clone
    assert git(clone, "status", "--porcelain", "--untracked-files=all") == b""
    paths = git(clone, "ls-tree", "-r", "--name-only", "-z", "HEAD").decode().split("\0")[:-1]
    assert {p.split("/")[0] for p in paths} == STUDENT_TOP
    package = {p.removeprefix("autodiff_course/") for p in paths
               if p.startswith("autodiff_course/")}
    assert package == {*STUDENT_PACKAGE_FILES, "__main__.py"}
    assert "demo.py" not in package and "batch.py" not in package
    # the course material is the instructor's committed release, byte for byte
    for folder in ("course", "assignments", "autograd_ref"):
        assert git(clone, "ls-tree", "-r", "HEAD", folder) == git(ROOT, "ls-tree", "-r", "HEAD",
                                                                  folder)
    released = git(clone, "ls-tree", "-r", "HEAD", ".released").replace(b".released/",
                                                                          b"assignments/")
    assert released == git(ROOT, "ls-tree", "-r", "HEAD", "assignments")


def test_no_solution_or_hidden_test_text_in_any_object(student_repo, secret_lines):
    objects = all_objects(student_repo.made) | all_objects(student_repo.clone)
    kinds = {kind for kind, _ in objects.values()}
    assert {"commit", "tree", "blob"} <= kinds
    leaks = []
    for sha, (kind, data) in objects.items():
        text = searchable(data)
        marker = MARKER_LINE.search(text)
        if marker:
            leaks.append(f"{kind} {sha}: marker line {marker.group(0).strip()!r}")
        leaks += [f"{kind} {sha}: {line!r}" for line in secret_lines if line in text]
    assert not leaks, "\n".join(leaks[:20])


def test_makefile_and_pyproject_are_the_students(student_repo):
    clone = student_repo.clone
    check_lab_target(clone)
    steps = make_dry_run(clone, "lab")
    assert "python3 -m venv .venv" in steps and "pip install --quiet -e ." in steps
    project = tomllib.loads((clone / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=\[ ]", d, maxsplit=1)[0] for d in project["dependencies"]}
    assert names == STUDENT_DEPENDENCIES
    assert project["scripts"] == {"autodiff-course": "autodiff_course.cli:student_main"}
    assert "optional-dependencies" not in project
    readme = (clone / "README.md").read_text()
    for needed in ("make lab", "Validate", "autodiff-course validate", "Hand in"):
        assert needed in readme


def test_validate_in_the_copy_passes_a_complete_notebook_in_place(student_repo):
    """As the Validate button runs it: `python -m autodiff_course validate --json`, from the
    copy's package, on the student's notebook in assignments/ itself."""
    clone, topic = student_repo.clone, "01-finite-differences"
    notebook = clone / "assignments" / topic / f"{topic}.ipynb"
    write(fill_answers(read(notebook), read(ROOT / "solutions" / topic / f"{topic}.ipynb")),
          notebook)
    copy_env = env(PYTHONPATH=str(clone))
    where = subprocess.run([sys.executable, "-c", "import autodiff_course as p; print(p.__file__)"],
                           cwd=clone, env=copy_env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(clone / "autodiff_course" / "__init__.py")
    done = subprocess.run([sys.executable, "-m", "autodiff_course", "validate", str(notebook),
                           "--json"], cwd=notebook.parent, env=copy_env, capture_output=True,
                          text=True, timeout=300)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["ok"], done.stdout + done.stderr
    assert len(report["parts"]) >= 5 and {p["status"] for p in report["parts"]} == {"PASS"}
    usage = subprocess.run([sys.executable, "-m", "autodiff_course", "autograde", "x"],
                           cwd=clone, env=copy_env, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "invalid choice: 'autograde'" in usage.stderr
    assert "validate" in usage.stderr and "release" not in usage.stderr


def test_instructor_extensions_are_off_and_the_terminal_finds_the_command(student_repo,
                                                                         tmp_path):
    """The listings an instructor would run, and a running server of the copy's configuration
    (both at once: the listings import every extension and take seconds)."""
    clone = student_repo.clone
    copy_env = env(JUPYTER_CONFIG_DIR=str(clone / "jupyter-config"), PYTHONPATH=str(clone))
    listings = [subprocess.Popen([str(VENV_BIN / "jupyter"), *what, "list"], cwd=clone,
                                 env=copy_env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
                for what in (("server", "extension"), ("labextension",))]
    try:
        with lab_server(clone / "jupyter-config", tmp_path, clone) as url:
            assert terminal_lookup(url, DECOYS) == {c: str(VENV_BIN / c) for c in DECOYS}
            for route in ("formgrader", "assignments", "courses"):
                assert request(f"{url}/{route}")[0] == 404, route
            # the Validate button's route is the copy's handler (a path that is no notebook: 403)
            assert request(f"{url}/assignments/validate", "POST")[0] == 403
            page = request(f"{url}/lab")[1]
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">'
                                      r"(.*?)</script>", page, re.S).group(1))
        assert {f"@jupyter/nbgrader:{p}" for p in INSTRUCTOR_LAB_PLUGINS} <= set(
            config["disabledExtensions"])
        server, lab = (re.sub(r"\x1b\[[0-9;]*m", "", run.communicate(timeout=120)[0])
                       for run in listings)
    finally:
        for run in listings:
            run.kill() if run.poll() is None else None
            run.wait(timeout=30)
    ours = server.split(f"Config dir: {clone / 'jupyter-config'}\n")[1].split("Config dir:")[0]
    for name in INSTRUCTOR_SERVER_EXTENSIONS:
        assert f"nbgrader.server_extensions.{name} disabled" in ours, server
    assert "autodiff_course.lab_validate enabled" in ours
    assert "autodiff_course.lab_validate  OK" in ours  # imported from the copy's package
    disabled = lab.split("Disabled extensions:")[1].split()
    assert sorted(disabled) == sorted(f"@jupyter/nbgrader:{p}" for p in INSTRUCTOR_LAB_PLUGINS)


def test_a_folder_that_is_not_empty_is_refused(tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    done = run_cli("student-copy", target, "--course-root", ROOT)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (f"autodiff-course student-copy: {target} exists and is not an "
                                   "empty folder: the student copy is always made from scratch; "
                                   "name a new folder")
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    inside = run_cli("student-copy", ROOT / "build" / "student", "--course-root", ROOT)
    assert inside.returncode == 2 and "is inside the course's repository" in inside.stderr
    assert not (ROOT / "build" / "student").exists()


def test_the_copy_is_made_from_the_last_commit_and_says_what_it_left_out(tmp_path, capsys):
    from pipeline_fixtures import MINI, make_mini_course

    from autodiff_course.cli import main

    course = make_mini_course(tmp_path / "course-repo")
    (course / "course").mkdir()
    (course / "course" / f"{MINI}.ipynb").write_text("{}")
    git(course, "init", "--quiet")
    git(course, "add", "-A")
    git(course, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "course")
    assert main(["student-copy", str(tmp_path / "first"), "--course-root", str(course)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"autodiff-course student-copy: autograd_ref not committed in {course}: the student copy "
        "needs course/, assignments/ and autograd_ref/")
    assert not (tmp_path / "first").exists()

    (course / "autograd_ref").mkdir()
    (course / "autograd_ref" / "__init__.py").write_text('"""reference"""\n')
    git(course, "add", "-A")
    git(course, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "ref")
    released = course / "assignments" / MINI / f"{MINI}.ipynb"
    committed = released.read_bytes()
    released.write_text(released.read_text().replace("Mini assignment", "Draft in progress"))
    (course / "course" / "draft.ipynb").write_text("{}")
    target = tmp_path / "copy"
    assert main(["student-copy", str(target), "--course-root", str(course)]) == 0
    out = capsys.readouterr().out
    assert "note: 2 uncommitted change(s) in course/, assignments/ or autograd_ref/ are NOT in " \
           "the copy" in out
    for folder in ("assignments", ".released"):
        assert (target / folder / MINI / f"{MINI}.ipynb").read_bytes() == committed
    assert not (target / "course" / "draft.ipynb").exists()
