"""Assignment 5, VJPs and tensors: mistakes students make."""

from . import Mutant

T = "05-vjps-and-tensors"

MUTANTS = [
    Mutant("a05-unbroadcast-no-keepdims", T, "unbroadcast-answer",
           "sums the stretched size-1 axes away, so a (4, 1) input gets a (4,) gradient",
           replace=(("g = g.sum(axis=stretched, keepdims=True)", "g = g.sum(axis=stretched)"),
                    ("return np.asarray(g).reshape(shape)", "return g"))),
    Mutant("a05-unbroadcast-trailing-axes", T, "unbroadcast-answer",
           "sums the last axes instead of the leading ones that broadcasting added",
           replace=(("g = g.sum(axis=tuple(range(added)))",
                     "g = g.sum(axis=tuple(range(len(shape), g.ndim)))"),)),
    Mutant("a05-matmul-forgets-transpose", T, "matmul-answer",
           "writes g @ b for the gradient of a, forgetting to transpose b",
           replace=(("(g2 @ b2.T)", "(g2 @ b2)"),)),
    Mutant("a05-matmul-outer-order", T, "matmul-answer",
           "handles the four cases one by one and, for vector @ matrix, takes outer(g, a) "
           "instead of outer(a, g)",
           source='''def matmul_vjp(g, a, b):
    """VJPs of y = a @ b for a matrix or vector a and b: (grad_a, grad_b), shaped like a, b."""
    if a.ndim == 2 and b.ndim == 2:
        return g @ b.T, a.T @ g
    if a.ndim == 2:  # matrix @ vector
        return np.outer(g, b), a.T @ g
    if b.ndim == 2:  # vector @ matrix
        return b @ g, np.outer(g, a)
    return g * b, g * a  # the dot product
'''),
    Mutant("a05-div-reduce-first", T, "add-div-answer",
           "sums g back to a's shape first and divides by b afterwards, though b varies along the "
           "summed axes",
           replace=(("unbroadcast(g / b, a.shape)", "unbroadcast(g, a.shape) / b"),)),
    Mutant("a05-div-grad-b-sign", T, "add-div-answer",
           "drops the minus sign of d(a / b)/db = -a / b**2",
           replace=(("-g * a / b**2", "g * a / b**2"),)),
    Mutant("a05-sum-no-expand-dims", T, "sum-tanh-answer",
           "broadcasts g to the input's shape without putting the summed axis back, so it lines "
           "up with the wrong axis",
           replace=(("    if axis is not None:\n        g = np.expand_dims(g, axis)\n", ""),)),
    Mutant("a05-tanh-one-minus-y", T, "sum-tanh-answer",
           "forgets the square: 1 - y instead of 1 - y**2",
           replace=(("(1.0 - y**2) * g", "(1.0 - y) * g"),)),
    Mutant("a05-tanh-of-output", T, "sum-tanh-answer",
           "copies the lecture's 1 - tanh(x)**2 with the output y in place of x: tanh twice",
           replace=(("(1.0 - y**2) * g", "(1.0 - np.tanh(y) ** 2) * g"),)),
    Mutant("a05-node-rmatmul-order", T, "node-answer",
           "in __rmatmul__ multiplies in the wrong order, self @ other, as if @ commuted",
           replace=(("return as_node(other) @ self", "return self @ as_node(other)"),)),
    Mutant("a05-node-tanh-vjp-of-input", T, "node-answer",
           "hands tanh_vjp the input x instead of the output y it expects",
           replace=(("lambda g: (tanh_vjp(g, y),)", "lambda g: (tanh_vjp(g, x.value),)"),)),
    Mutant("a05-node-sum-drops-axis", T, "node-answer",
           "does not pass the axis on to sum_vjp, so every sum is treated as a sum of all entries",
           replace=(("sum_vjp(g, x.shape, axis)", "sum_vjp(g, x.shape)"),)),
    Mutant("a05-backward-no-accumulate", T, "backward-answer",
           "overwrites a parent's gradient with each contribution instead of adding them up",
           replace=(("parent.grad = parent.grad + contribution", "parent.grad = contribution"),)),
    Mutant("a05-backward-no-reset", T, "backward-answer",
           "starts from None only the first time and never resets, so a second backward() adds "
           "onto the gradients of the first",
           replace=(("    for node in order:\n        node.grad = np.zeros(node.shape)\n", ""),
                    ("            parent.grad = parent.grad + contribution",
                     "            if parent.grad is None:\n"
                     "                parent.grad = np.array(contribution, dtype=float)\n"
                     "            else:\n"
                     "                parent.grad = parent.grad + contribution"))),
    Mutant("a05-topo-recursive", T, "backward-answer",
           "keeps the recursive depth-first search, which overflows the stack on a deep graph",
           replace=(('''    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node.parents:
            if id(parent) not in visited:
                stack.append((parent, False))
    return order''', '''    order, visited = [], set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order'''),)),
    Mutant("a05-jacobian-columns", T, "jacobian-answer",
           "puts each backward pass's result in as a column, transposing the Jacobian",
           replace=(("return np.array(rows).reshape(out.shape + x.shape)",
                     "return np.array(rows).T.reshape(out.shape + x.shape)"),)),
    Mutant("a05-jacobian-no-copy", T, "jacobian-answer",
           "stores leaf.grad itself, so every row is the array the last pass wrote",
           replace=(("rows.append(np.array(leaf.grad, dtype=float))", "rows.append(leaf.grad)"),)),
    Mutant("a05-hvp-returns-gradient", T, "hvp-answer",
           "reads the primals of the gradient program's output: the gradient, not H v",
           replace=(("gi.tangent if isinstance(gi, Dual) else 0.0",
                     "gi.primal if isinstance(gi, Dual) else float(gi)"),)),
    Mutant("a05-hvp-finite-differences", T, "hvp-answer",
           "takes central differences of the gradient along v: two gradient passes and only "
           "approximate",
           source='''def hvp(grad_f, x, v):
    """H(x) v for the f whose gradient program is grad_f: grad_f run once on duals x + v ε."""
    x = np.asarray(x, dtype=float).reshape(-1)
    v = np.asarray(v, dtype=float).reshape(-1)
    h = 1e-6
    up = np.array(grad_f(list(x + h * v)), dtype=float)
    down = np.array(grad_f(list(x - h * v)), dtype=float)
    return (up - down) / (2 * h)


def hessian_from_hvps(grad_f, x):
    """The n × n Hessian of f at x: column j is H e_j = hvp(grad_f, x, e_j)."""
    x = np.asarray(x, dtype=float).reshape(-1)
    columns = [hvp(grad_f, x, e) for e in np.eye(x.size)]
    return np.stack(columns, axis=1)
'''),
    Mutant("a05-hessian-swapped-args", T, "hvp-answer",
           "swaps point and direction: the HVP at e_j along x instead of at x along e_j",
           replace=(("hvp(grad_f, x, e)", "hvp(grad_f, e, x)"),)),
]
