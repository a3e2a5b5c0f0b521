"""Assignment 4, a reverse-mode engine for scalars: mistakes students make."""

from . import Mutant

T = "04-reverse-mode"

REVERSED_BFS = '''def topological_order(root):
    """Every node root depends on (root included), each once, parents before children, root last."""
    order = []
    visited = {id(root)}
    queue = [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in node.parents:
            if id(parent) not in visited:
                visited.add(id(parent))
                queue.append(parent)
    return order[::-1]
'''

RECURSIVE_DFS = '''def topological_order(root):
    """Every node root depends on (root included), each once, parents before children, root last."""
    order = []
    visited = set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order
'''

MUTANTS = [
    Mutant("a04-div-rule-missing-square", T, "value-answer",
           "writes d(a/b)/db as -a/b instead of -a/b**2, forgetting that b is squared",
           replace=(("-quotient / other.data", "-self.data / other.data"),)),
    Mutant("a04-rsub-operands-swapped", T, "value-answer",
           "writes __rsub__ like __radd__, so 2 - x computes x - 2",
           replace=(("        return as_value(other) - self\n",
                     "        return self - as_value(other)\n"),)),
    Mutant("a04-tanh-derivative-no-square", T, "functions-answer",
           "takes the derivative of tanh as 1 - tanh instead of 1 - tanh**2",
           replace=(("(1.0 - t * t,)", "(1.0 - t,)"),)),
    Mutant("a04-sigmoid-overflows", T, "functions-answer",
           "writes the sigmoid as 1 / (1 + exp(-x)) for every x: math.exp overflows at x = -800",
           replace=(("    if x.data >= 0:\n"
                     "        s = 1.0 / (1.0 + math.exp(-x.data))\n"
                     "    else:  # e**-x would overflow for very negative x; "
                     "e**x / (1 + e**x) is the same number\n"
                     "        e = math.exp(x.data)\n"
                     "        s = e / (1.0 + e)\n",
                     "    s = 1.0 / (1.0 + math.exp(-x.data))\n"),)),
    Mutant("a04-topo-reversed-bfs", T, "topo-answer",
           "reverses a breadth-first order: a node reached by a short and a long path comes before "
           "the nodes of the long path that use it",
           source=REVERSED_BFS),
    Mutant("a04-topo-recursive", T, "topo-answer",
           "a recursive depth-first search: right on small graphs, RecursionError on deep ones",
           source=RECURSIVE_DFS),
    Mutant("a04-backward-overwrites-grad", T, "backward-answer",
           "assigns parent.grad instead of adding to it, so a node used twice keeps one "
           "contribution",
           replace=(("parent.grad += local * node.grad", "parent.grad = local * node.grad"),)),
    Mutant("a04-backward-no-seed", T, "backward-answer",
           "forgets to seed root.grad = 1, so every adjoint stays 0",
           replace=(("    root.grad = 1.0\n", ""),)),
    Mutant("a04-neuron-forgets-bias", T, "neuron-answer",
           "starts the weighted sum from 0 and never adds the bias",
           replace=(("    total = bias\n", "    total = 0.0\n"),)),
    Mutant("a04-layer-unchecked-biases", T, "neuron-answer",
           "zips rows and biases without checking their lengths, so a missing bias silently drops "
           "a neuron",
           replace=(("    if len(weight_rows) != len(biases):\n"
                     "        raise ValueError(\n"
                     "            f\"layer: {len(weight_rows)} weight rows but "
                     "{len(biases)} biases; give one bias per row\"\n"
                     "        )\n", ""),
                    ("zip(weight_rows, biases, strict=True)", "zip(weight_rows, biases)"))),
]
