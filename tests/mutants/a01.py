"""Assignment 1, finite differences: mistakes students make."""

from . import Mutant

T = "01-finite-differences"

MUTANTS = [
    Mutant("a01-forward-divides-by-2h", T, "forward-difference-answer",
           "copies the central quotient's denominator: the forward quotient's points are h apart",
           replace=(("return (f(x + h) - f(x)) / h", "return (f(x + h) - f(x)) / (2 * h)"),)),
    Mutant("a01-central-wrong-sign", T, "central-difference-answer",
           "subtracts in the wrong order, so every derivative comes out negated",
           replace=(("return (f(x + h) - f(x - h))", "return (f(x - h) - f(x + h))"),)),
    Mutant("a01-central-divides-by-h", T, "central-difference-answer",
           "forgets that the two points are 2h apart: twice the derivative",
           replace=(("/ (2.0 * h)", "/ h"),)),
    Mutant("a01-gradient-no-restore", T, "numerical-gradient-answer",
           "leaves x[i] at old - h, so every later partial is taken at a shifted point",
           replace=(("        x[i] = old\n", ""),)),
    Mutant("a01-gradient-in-place", T, "numerical-gradient-answer",
           "perturbs the caller's array in place (np.asarray makes no copy of a float array)",
           replace=(("x = np.array(x, dtype=float)", "x = np.asarray(x, dtype=float)"),
                    ("        x[i] = old\n", ""))),
    Mutant("a01-directional-normalises-v", T, "directional-derivative-answer",
           "normalises v, giving the derivative along the unit vector instead of along v",
           replace=(("    return (f(x + h * v)", "    v = v / np.linalg.norm(v)\n"
                                               "    return (f(x + h * v)"),)),
    Mutant("a01-relative-error-absolute", T, "relative-error-answer",
           "returns the absolute error ‖a − b‖, which grows with the scale of the gradients",
           replace=(("/ max(scale, np.finfo(float).tiny)", ""),)),
    Mutant("a01-relative-error-divides-by-a", T, "relative-error-answer",
           "divides by ‖a‖ only: not symmetric, and nan when a is zero",
           replace=(("max(scale, np.finfo(float).tiny)", "np.linalg.norm(a)"),)),
    Mutant("a01-check-gradient-ignores-h", T, "check-gradient-answer",
           "drops the step h, so the caller's choice of step is silently ignored",
           replace=(("numerical_gradient(f, x, h)", "numerical_gradient(f, x)"),)),
    Mutant("a01-check-gradient-absolute", T, "check-gradient-answer",
           "compares the two gradients by their absolute difference instead of relative_error",
           replace=(("return relative_error(np.asarray(grad_f(x.copy()), dtype=float),\n"
                     "                          numerical_gradient(f, x, h))",
                     "return float(np.linalg.norm(np.asarray(grad_f(x.copy()), dtype=float)\n"
                     "                                - numerical_gradient(f, x, h)))"),)),
    Mutant("a01-best-step-returns-index", T, "best-step-answer",
           "returns the position of the best step rather than the step itself",
           replace=(("float(steps[int(np.argmin(errors))])", "int(np.argmin(errors))"),)),
    Mutant("a01-best-step-signed-error", T, "best-step-answer",
           "minimises the signed error, so the most negative error wins, not the smallest",
           replace=(("abs(central_difference(f, x, h) - exact)",
                     "central_difference(f, x, h) - exact"),)),
]
