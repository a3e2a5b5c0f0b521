"""The shape of autograd_ref: layers, no import cycles, small modules, no private names shared.

docs/architecture.md draws the layers; this test holds the package to them. Imports are read from
the source (every `import` and `from ... import`, also those inside functions), so a late import
that hides a cycle counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "autograd_ref"
MAX_LINES = 400

# Each module's floor; a module may import only from its own floor or below.
LAYERS: dict[str, int] = {
    # 1. plain numbers
    "_numeric": 1, "_numeric_extra": 1, "_rng": 1, "_checks": 3,
    # 2. the rule table
    "rules": 2,
    # 3. the rows and the machinery every value type shares
    "elementwise": 3, "elementwise_extra": 3, "primitives": 4, "extend": 4, "array_ops": 6,
    "linalg_ops": 6, "linalg": 6,
    "recording": 4, "graph": 4, "scalar_backward": 4, "tensor_args": 4,
    "batching": 2, "forward_sweep": 6,
    # 5. value types: interpreters of the table
    "scalar": 5, "dual": 5, "tensor": 5, "tracer": 5,
    # 6. functions on every value type
    "functions": 6, "joining": 6, "activations": 6, "modes": 6, "leaves": 6,
    "tensor_methods": 6,
    # 7. transforms
    "pytree": 7, "transform_core": 7, "transforms": 7, "jacobians": 7, "hessian_vectorised": 7,
    # 8. teaching and presentation, above the engine
    "trace_text": 8, "trace_views": 8, "trace": 8, "finite_diff": 8, "viz": 8, "data": 8,
    "nn_init": 8, "nn_losses": 8, "nn": 8, "optim": 8, "demo": 8, "__init__": 9,
}  # fmt: skip


def modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.glob("*.py"))}


def imports_of(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(imported module within the package, names imported from it) for every import."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:  # from . import a, b
                found.extend((alias.name, []) for alias in node.names)
            else:
                found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograd_ref."):
            found.append((node.module.split(".", 1)[1], [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("autograd_ref."):
                    found.append((alias.name.split(".", 1)[1], []))
    return found


def test_every_module_has_a_layer():
    assert set(modules()) <= set(LAYERS), set(modules()) - set(LAYERS)


def test_no_module_imports_a_layer_above_it():
    wrong = []
    for name, tree in modules().items():
        for target, _ in imports_of(tree):
            if target in LAYERS and LAYERS[target] > LAYERS[name]:
                wrong.append(f"{name} (layer {LAYERS[name]}) imports {target} ({LAYERS[target]})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    graph = {
        name: {t for t, _ in imports_of(tree) if t in LAYERS} for name, tree in modules().items()
    }
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_private_name_is_imported_from_another_module():
    shared = []
    for name, tree in modules().items():
        for target, names in imports_of(tree):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and target not in ("_numeric", "_checks", "_rng"):
                shared.append(f"{name} imports {private} from {target}")
            elif private:
                shared.append(f"{name} imports {private} from the private module {target}")
    assert not shared, "\n".join(shared)


def test_modules_are_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in PACKAGE.glob("*.py")}
    long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
