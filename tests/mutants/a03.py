"""Assignment 3, forward mode with dual numbers: mistakes students make."""

from . import Mutant

T = "03-forward-mode"

MUTANTS = [
    # Part 1, the Dual class (3 points, a dozen methods: four mutants)
    Mutant("a03-product-rule-missing-term", T, "dual-answer",
           "forgets the a'b term of the product rule, keeping only a b'",
           replace=(("self.tangent * o.primal + self.primal * o.tangent",
                     "self.primal * o.tangent"),)),
    Mutant("a03-quotient-rule-wrong-sign", T, "dual-answer",
           "writes the quotient rule's numerator as a b' - a' b, so every quotient's tangent flips",
           replace=(("        quotient = self.primal / o.primal\n        return Dual(quotient, "
                     "(self.tangent - quotient * o.tangent) / o.primal)",
                     "        return Dual(self.primal / o.primal,\n"
                     "                    (self.primal * o.tangent - self.tangent * o.primal)"
                     " / o.primal**2)"),)),
    Mutant("a03-pow-dual-exponent-no-log", T, "dual-answer",
           "uses the power rule b a^(b-1) a' for a dual exponent too, dropping a^b ln(a) b'",
           replace=(("        if other.tangent != 0.0:\n"
                     "            tangent += value * math.log(a) * other.tangent\n", ""),)),
    Mutant("a03-rsub-wrong-order", T, "dual-answer",
           "lets c - x compute x - c: the reflected method receives the dual as self",
           replace=(("return Dual._as_dual(other) - self", "return self - other"),)),
    # Part 2, elementary functions
    Mutant("a03-sin-no-chain-factor", T, "functions-answer",
           "gives sin's tangent as cos(a), forgetting to multiply by the incoming tangent a'",
           replace=(("Dual(math.sin(x.primal), math.cos(x.primal) * x.tangent)",
                     "Dual(math.sin(x.primal), math.cos(x.primal))"),)),
    Mutant("a03-sigmoid-overflows", T, "functions-answer",
           "writes sigmoid as 1 / (1 + exp(-a)) everywhere: math.exp(800) raises OverflowError",
           replace=(("        if a >= 0:\n"
                     "            return 1.0 / (1.0 + math.exp(-a))\n"
                     "        e = math.exp(a)  # no overflow for very negative a\n"
                     "        return e / (1.0 + e)\n",
                     "        return 1.0 / (1.0 + math.exp(-a))\n"),)),
    # Part 3, derivative by seeding
    Mutant("a03-derivative-no-seed", T, "derivative-answer",
           "builds Dual(x) with the default tangent 0, so nothing is seeded and every slope is 0",
           replace=(("f(Dual(x, 1.0))", "f(Dual(x))"),)),
    Mutant("a03-derivative-constant-crashes", T, "derivative-answer",
           "reads .tangent of whatever f returns: a constant function returns a float",
           replace=(("return float(out.tangent) if isinstance(out, Dual) else 0.0",
                     "return float(out.tangent)"),)),
    # Part 4, central-difference Jacobian
    Mutant("a03-fd-forward-difference", T, "finite-differences-answer",
           "uses the forward quotient (f(x + h e_j) - f(x)) / h: only first-order accurate",
           replace=(("down = np.asarray(f(x - e), dtype=float)",
                     "down = np.asarray(f(x), dtype=float)"),
                    ("(up - down) / (2.0 * h)", "(up - down) / h"))),
    Mutant("a03-fd-rows-are-inputs", T, "finite-differences-answer",
           "stacks the columns with np.array, so row j holds input j: the transpose",
           replace=(("np.stack(columns, axis=-1)", "np.array(columns)"),)),
    # Part 5, jvp
    Mutant("a03-jvp-seeds-ones", T, "jvp-answer",
           "seeds every input with tangent 1 as in derivative, ignoring the direction v",
           replace=(("Dual(float(xi), float(vi))", "Dual(float(xi), 1.0)"),)),
    Mutant("a03-jvp-constant-output-crashes", T, "jvp-answer",
           "reads .tangent of every output: an output that is a plain number has none",
           replace=(("return (o.primal, o.tangent) if isinstance(o, Dual) else (float(o), 0.0)",
                     "return (o.primal, o.tangent)"),)),
    # Part 6, jacobian
    Mutant("a03-jacobian-seeds-all-inputs", T, "jacobian-answer",
           "seeds all inputs at once in every pass, so each column is J (1, ..., 1), not J e_j",
           replace=(("e_j = [1.0 if i == j else 0.0 for i in range(n)]", "e_j = [1.0] * n"),)),
    Mutant("a03-jacobian-transposed", T, "jacobian-answer",
           "stacks the columns as rows (np.array(columns)): the n x m transpose",
           replace=(("np.stack(columns, axis=-1)", "np.array(columns)"),)),
]
