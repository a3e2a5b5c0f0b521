"""A static check of the cells a student wrote, before any of them runs.

The autograder runs student code in the same kernel as the test cells, so code that imports a
differentiation library or rewrites what the tests rely on could pass the tests without doing the
work. This module reads every student cell (answer cells and any cell the student added; test and
locked cells are restored from the instructor version anyway) with :mod:`ast` and reports:

- imports of the reference library ``autograd_ref`` or another differentiation library (torch,
  jax, autograd, tensorflow);
- writes into numpy, math, cmath, builtins, sys (``sys.modules`` included) or the course's test
  helpers (``autodiff_course``): attribute or item assignment, ``del``, ``setattr``/``delattr``,
  also through an alias (``import numpy as n``; ``m = np``);
- rebinding, at notebook level, a built-in name the test cells call (``abs = ...``);
- code the check cannot read or that reaches around the tests: ``exec``/``eval``/``compile``/
  ``__import__``, ``importlib``, ``__builtins__``, ``globals()[...] = ...``, reading call frames
  (``inspect``, ``sys._getframe``, ``f_back``/``f_locals``...), ``gc``, ``ctypes``, ``sqlite3``
  (the gradebook), shell commands and subprocesses, writing files, ``unittest.mock``, and
  IPython magics other than a few harmless ones.

Anything reported makes the notebook "flagged": zero points and the reasons as the message. What
it cannot catch is listed in docs/grading.md; the test helpers' own defences (they import what
they use, compare through float64 arrays) and the grading kernel's limits cover part of the rest.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from dataclasses import dataclass

DIFFERENTIATION_LIBRARIES = {
    "autograd_ref": "imports the reference library autograd_ref",
    "torch": "imports torch (a differentiation library)",
    "jax": "imports jax (a differentiation library)",
    "jaxlib": "imports jaxlib (a differentiation library)",
    "autograd": "imports autograd (a differentiation library)",
    "tensorflow": "imports tensorflow (a differentiation library)",
}
REACHING_AROUND = {
    "inspect": "imports inspect (it reads the tests' call frames)",
    "traceback": "imports traceback (it reads the tests' call frames)",
    "gc": "imports gc (it reaches objects the tests hold)",
    "ctypes": "imports ctypes (it can rewrite memory)",
    "sqlite3": "imports sqlite3 (the gradebook is an SQLite file)",
    "sqlalchemy": "imports sqlalchemy (the gradebook is a database)",
    "nbgrader": "imports nbgrader (the grading machinery)",
    "subprocess": "imports subprocess (runs other programs)",
    "pty": "imports pty (runs other programs)",
    "importlib": "imports importlib (loads code the check cannot read)",
    "unittest": "imports unittest (unittest.mock patches modules)",
}
PROTECTED_MODULES = {"numpy", "math", "cmath", "builtins", "sys", "autodiff_course"}
DEFAULT_ALIASES = {name: name for name in PROTECTED_MODULES} | {"np": "numpy"}
DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__", "breakpoint"}
OS_PROGRAM_CALLS = {"system", "popen", "fork", "forkpty", "execv", "execve", "execl", "execle",
                    "execlp", "execlpe", "execvp", "execvpe", "spawnl", "spawnle", "spawnlp",
                    "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "posix_spawn",
                    "posix_spawnp", "putenv", "unsetenv", "chdir"}
FRAME_ATTRIBUTES = {"f_back", "f_locals", "f_globals", "f_builtins", "tb_frame", "gi_frame",
                    "cr_frame", "ag_frame", "_getframe", "__globals__", "__closure__"}
HARMLESS_MAGICS = {"matplotlib", "config", "precision", "autoreload", "load_ext", "who", "whos",
                   "pprint", "xmode", "page", "pinfo", "pinfo2", "pdef", "pdoc", "psource"}
CODE_MAGICS = {"time", "timeit", "capture", "prun"}
BUILTIN_NAMES = set(dir(builtins))


@dataclass(frozen=True)
class Finding:
    """One reason to flag: which cell (grade_id or position), which line, why."""

    cell: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.cell}, line {self.line}: {self.reason}"


def to_python(source: str) -> str:
    """IPython syntax (magics, ``!shell``) as the plain Python the kernel would run."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def module_aliases(sources: Iterable[str]) -> dict[str, str]:
    """Names bound by imports anywhere in the notebook, mapped to the module path they stand for."""
    aliases = dict(DEFAULT_ALIASES)
    for source in sources:
        try:
            tree = ast.parse(to_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        aliases[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def builtins_used_by(sources: Iterable[str]) -> set[str]:
    """Built-in names the (instructor's) test cells call without defining them."""
    used: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(to_python(source))
        except SyntaxError:
            continue
        names = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
        loaded = {n.id for n in names if isinstance(n.ctx, ast.Load)}
        stored = {n.id for n in names if isinstance(n.ctx, ast.Store)}
        used |= (loaded - stored) & BUILTIN_NAMES
    return used


def _root_names(node: ast.AST) -> set[str]:
    """The names an assignment target (or a setattr object) is reached from, indices excluded."""
    while True:
        if isinstance(node, ast.Attribute | ast.Starred):
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            return {node.id}
        else:
            return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func) + "()")
    return ".".join(reversed(parts))


class _Checker(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str], test_builtins: set[str]):
        self.aliases = dict(aliases)
        self.test_builtins = test_builtins
        self.found: list[tuple[int, str]] = []
        self.depth = 0  # 0 = notebook level

    # helpers
    def flag(self, node: ast.AST, reason: str) -> None:
        self.found.append((getattr(node, "lineno", 1), reason))

    def protected(self, name: str) -> str | None:
        target = self.aliases.get(name)
        if target and target.split(".")[0] in PROTECTED_MODULES:
            return target.split(".")[0]
        return None

    def check_write(self, target: ast.AST, verb: str) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.check_write(element, verb)
            return
        if isinstance(target, ast.Starred):
            target = target.value
        if isinstance(target, ast.Name):
            self.check_rebind(target, target.id)
            return
        base = target
        while isinstance(base, ast.Attribute | ast.Subscript):
            base = base.value
        if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id in {
            "globals",
            "vars",
            "locals",
        }:
            self.flag(target, f"{verb} the notebook's namespace through {base.func.id}()")
            return
        if isinstance(base, ast.Call) and _dotted(base.func).startswith("get_ipython()"):
            self.flag(target, f"{verb} the kernel's namespace through get_ipython()")
            return
        for name in _root_names(target):
            module = self.protected(name)
            if module:
                shown = _dotted(target) or name
                self.flag(target, f"{verb} {module} ({shown}), which the tests rely on")
                return

    def check_rebind(self, node: ast.AST, name: str) -> None:
        if self.depth == 0 and name in self.test_builtins:
            self.flag(node, f"rebinds the built-in `{name}`, which the test cells use; rename it")

    # imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.check_module(node, alias.name)
            self.check_rebind(node, alias.asname or alias.name.split(".")[0])
            if alias.asname:
                self.aliases[alias.asname] = alias.name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            self.check_module(node, node.module)
            for alias in node.names:
                self.check_module(node, f"{node.module}.{alias.name}")
                if node.module == "os" and alias.name in OS_PROGRAM_CALLS:
                    self.flag(node, f"imports os.{alias.name} (runs other programs)")
                if node.module == "sys" and alias.name == "_getframe":
                    self.flag(node, "imports sys._getframe (reads the tests' call frames)")
                self.check_rebind(node, alias.asname or alias.name)
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def check_module(self, node: ast.AST, module: str) -> None:
        top = module.split(".")[0]
        if top in DIFFERENTIATION_LIBRARIES:
            self.flag(node, DIFFERENTIATION_LIBRARIES[top])
        elif top in REACHING_AROUND:
            self.flag(node, REACHING_AROUND[top])

    # writes
    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.check_write(target, "assigns into")
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Name):
                if self.protected(node.value.id):
                    self.aliases[target.id] = self.aliases[node.value.id]
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.check_write(node.target, "assigns into")
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.check_write(node.target, "assigns into")
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self.check_write(target, "deletes from")
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.check_rebind(node, node.target.id)
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.check_write(node.target, "assigns into")
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self.check_write(item.optional_vars, "assigns into")
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name in self.test_builtins:
                self.flag(node, f"rebinds the built-in `{name}` (global), which the test cells use")

    # scopes
    def _scoped(self, node: ast.AST, name: str | None) -> None:
        if name is not None:
            self.check_rebind(node, name)
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        self.depth += 1
        for child in ast.iter_child_nodes(node):
            if child not in getattr(node, "decorator_list", []):
                self.visit(child)
        self.depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scoped(node, node.name)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scoped(node, node.name)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scoped(node, node.name)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(node, None)

    # reads and calls
    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__":
            self.flag(node, "uses __builtins__, which reaches the built-ins the tests use")
        elif node.id in DYNAMIC_CALLS:
            self.flag(node, f"uses {node.id} (runs code the check cannot read)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in FRAME_ATTRIBUTES:
            self.flag(node, f"reads .{node.attr} (call frames or function internals of the tests)")
        elif node.attr == "__builtins__":
            self.flag(node, "uses __builtins__, which reaches the built-ins the tests use")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = _dotted(func)
        if isinstance(func, ast.Name) and func.id in {"setattr", "delattr"} and node.args:
            self.check_write(ast.Attribute(value=node.args[0], attr="?", ctx=ast.Store(),
                                           lineno=node.lineno), f"{func.id}() writes into")
        elif isinstance(func, ast.Attribute) and func.attr in {"__setattr__", "__delattr__"}:
            for arg in node.args[:1]:
                self.check_write(ast.Attribute(value=arg, attr="?", ctx=ast.Store(),
                                               lineno=node.lineno), f"{func.attr} writes into")
        elif isinstance(func, ast.Name) and func.id == "open":
            mode = node.args[1] if len(node.args) > 1 else None
            for keyword in node.keywords:
                if keyword.arg == "mode":
                    mode = keyword.value
            if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
                if set(mode.value) & set("wax+"):
                    self.flag(node, "opens a file for writing")
            elif mode is not None:
                self.flag(node, "opens a file with a mode the check cannot read")
        elif isinstance(func, ast.Attribute) and func.attr in {"write_text", "write_bytes"}:
            self.flag(node, f"writes a file ({func.attr})")
        elif isinstance(func, ast.Attribute) and self.aliases.get(_dotted(func.value)) == "os" and (
            func.attr in OS_PROGRAM_CALLS
        ):
            self.flag(node, f"calls os.{func.attr} (runs other programs or changes the process)")
        elif name.startswith("get_ipython()."):
            self.check_ipython_call(node, name.split(".", 1)[1])
        self.generic_visit(node)

    def check_ipython_call(self, node: ast.Call, method: str) -> None:
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if method in {"system", "getoutput"}:
            self.flag(node, "runs a shell command (!...)")
        elif method in {"run_line_magic", "run_cell_magic"} and args and isinstance(args[0], str):
            magic = args[0]
            position = 2 if method == "run_cell_magic" else 1
            body = args[position] if len(args) > position else None
            if magic in CODE_MAGICS and isinstance(body, str):
                self.check_nested(node, body)
            elif magic not in HARMLESS_MAGICS:
                self.flag(node, f"uses the %{magic} magic (not allowed in answers)")
        elif method in {"run_line_magic", "run_cell_magic"}:
            self.flag(node, "uses a magic the check cannot read")
        else:
            self.flag(node, f"calls get_ipython().{method} (reaches into the kernel)")

    def check_nested(self, node: ast.AST, body: str) -> None:
        try:
            tree = ast.parse(to_python(body))
        except SyntaxError:
            return
        inner = _Checker(self.aliases, self.test_builtins)
        inner.depth = self.depth
        inner.visit(tree)
        for _line, reason in inner.found:
            self.flag(node, reason)


def check_source(
    source: str,
    aliases: dict[str, str] | None = None,
    test_builtins: set[str] | frozenset[str] = frozenset(),
) -> list[tuple[int, str]]:
    """(line, reason) for one cell; a cell that does not parse is left to fail when it runs."""
    try:
        tree = ast.parse(to_python(source))
    except SyntaxError:
        return []
    checker = _Checker(aliases or dict(DEFAULT_ALIASES), set(test_builtins))
    checker.visit(tree)
    return sorted(set(checker.found))


def check_cells(
    cells: list[tuple[str, str]],
    context_sources: Iterable[str] = (),
    test_sources: Iterable[str] = (),
) -> list[Finding]:
    """Check ``(label, source)`` student cells.

    ``context_sources`` are the notebook's other code cells (their imports name the modules, e.g.
    the setup cell's ``import numpy as np``); ``test_sources`` are the instructor's test cells
    (the built-ins they call must not be rebound).
    """
    sources = [source for _, source in cells]
    aliases = module_aliases([*context_sources, *sources])
    # a student's own module bound to a protected name is still the protected name for our purpose
    used = builtins_used_by(test_sources)
    findings = []
    for label, source in cells:
        for line, reason in check_source(source, aliases, used):
            findings.append(Finding(label, line, reason))
    return findings
