"""Assignment 2, evaluation traces: mistakes students make."""

from . import Mutant

T = "02-traces"

MUTANTS = [
    Mutant("a02-hand-trace-recomputes-product", T, "hand-trace-answer",
           "multiplies x1 * x2 again for the exponential instead of reading v1: a correct value, "
           "but eight operations where the program needs seven",
           replace=(('            ("v4", "exp", ("v1",)),\n'
                     '            ("v5", "mul", ("v3", "v4")),\n'
                     '            ("v6", "div", ("x3", "x1")),\n'
                     '            ("v7", "sub", ("v5", "v6")),\n'
                     '        ],\n'
                     '        "output": "v7",',
                     '            ("v4", "mul", ("x1", "x2")),\n'
                     '            ("v5", "exp", ("v4",)),\n'
                     '            ("v6", "mul", ("v3", "v5")),\n'
                     '            ("v7", "div", ("x3", "x1")),\n'
                     '            ("v8", "sub", ("v6", "v7")),\n'
                     '        ],\n'
                     '        "output": "v8",'),)),
    Mutant("a02-hand-trace-quotient-reversed", T, "hand-trace-answer",
           "writes the quotient's operands in the wrong order: x1 / x3 instead of x3 / x1",
           replace=(('("v6", "div", ("x3", "x1"))', '("v6", "div", ("x1", "x3"))'),)),
    Mutant("a02-tracer-rsub-operand-order", T, "tracer-answer",
           "copies __sub__ into __rsub__, so 3 - x is recorded (and computed) as x - 3",
           replace=(('    def __rsub__(self, other):\n        return emit("sub", other, self)',
                     '    def __rsub__(self, other):\n        return emit("sub", self, other)'),)),
    Mutant("a02-tracer-global-counter", T, "tracer-answer",
           "numbers the operations with a module-level counter that is never reset, so the "
           "second recording starts at v6 instead of v1",
           replace=(("class Traced:", "_count = 0\n\n\nclass Traced:"),
                    ("    name = f\"v{len(trace['ops']) + 1}\"",
                     "    global _count\n    _count += 1\n    name = f\"v{_count}\""))),
    Mutant("a02-tracer-values-without-inputs", T, "tracer-answer",
           "stores only the operations' values in trace['values'], not the inputs'",
           replace=(('        trace["values"][name] = float(x)\n', ""),)),
    Mutant("a02-evaluate-constants-as-names", T, "evaluate-answer",
           "looks every argument up in the dictionary of values, so a constant such as 2.0 "
           "raises KeyError",
           replace=(("*(env[a] if isinstance(a, str) else a for a in args)",
                     "*(env[a] for a in args)"),)),
    Mutant("a02-evaluate-returns-last-line", T, "evaluate-answer",
           "returns the value of the last line instead of the line named by trace['output']",
           replace=(('return float(env[trace["output"]])',
                     'return float(env[trace["ops"][-1][0]])'),)),
    Mutant("a02-count-every-line", T, "count-answer",
           "counts the kinds of all lines, including those the output does not depend on",
           source='def count_operations(trace):\n'
                  '    """{op: count} over the operations the output depends on (unused ones are '
                  'not counted)."""\n'
                  '    counts = {}\n'
                  '    for name, op, args in trace["ops"]:\n'
                  '        counts[op] = counts.get(op, 0) + 1\n'
                  '    return counts\n'),
    Mutant("a02-count-paths-not-lines", T, "count-answer",
           "counts a line each time the backward walk reaches it (no set of names seen), so a "
           "value read twice is counted twice",
           replace=(("        if name in needed or name not in line:  # already seen, or an input\n"
                     "            continue\n"
                     "        needed.add(name)\n"
                     "        stack.extend(a for a in line[name][1] if isinstance(a, str))\n"
                     "    counts = {}\n"
                     "    for name, op, _ in trace[\"ops\"]:\n"
                     "        if name in needed:\n"
                     "            counts[op] = counts.get(op, 0) + 1\n",
                     "        if name not in line:  # an input\n"
                     "            continue\n"
                     "        op, args = line[name]\n"
                     "        counts[op] = counts.get(op, 0) + 1\n"
                     "        stack.extend(a for a in args if isinstance(a, str))\n"),
                    ("    needed = set()\n    stack", "    counts = {}\n    stack"))),
    Mutant("a02-topological-children-set", T, "topological-answer",
           "keeps each node's children in a set, so x * x (a parent listed twice) is decremented "
           "once, never becomes ready and is reported as a cycle",
           replace=(("children = {node: [] for node in parents}",
                     "children = {node: set() for node in parents}"),
                    ("children[p].append(node)", "children[p].add(node)"))),
    Mutant("a02-topological-recursive-dfs", T, "topological-answer",
           "a recursive depth-first search: correct on small graphs, RecursionError on a chain "
           "of 5000 nodes",
           source='def topological_order(parents):\n'
                  '    """Every node once, each after all its parents; ValueError for a cycle. '
                  'Iterative (Kahn)."""\n'
                  '    order, done, active = [], set(), set()\n'
                  '\n'
                  '    def visit(node):\n'
                  '        if node in done:\n'
                  '            return\n'
                  '        if node in active:\n'
                  '            raise ValueError(f"the graph has a cycle through {node!r}")\n'
                  '        active.add(node)\n'
                  '        for p in parents[node]:\n'
                  '            visit(p)\n'
                  '        active.discard(node)\n'
                  '        done.add(node)\n'
                  '        order.append(node)\n'
                  '\n'
                  '    for node in parents:\n'
                  '        visit(node)\n'
                  '    return order\n'),
]
