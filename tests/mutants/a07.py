"""Assignment 7, vanishing gradients: mistakes students make."""

from . import Mutant

T = "07-vanishing-gradients"

MUTANTS = [
    # Part 1: the sigmoid and its derivative
    Mutant("a07-sigmoid-prime-one-plus", T, "sigmoid-answer",
           "writes sigma (1 + sigma) for the derivative: 3/4 at 0, above the bound of 1/4",
           replace=(("return s * (1.0 - s)", "return s * (1.0 + s)"),)),
    Mutant("a07-sigmoid-prime-overflows", T, "sigmoid-answer",
           "differentiates the literal formula, exp(-x) / (1 + exp(-x))^2, which overflows "
           "for large negative x",
           replace=(("    s = sigmoid(x)\n    return s * (1.0 - s)",
                     "    x = np.asarray(x, dtype=float)\n    e = np.exp(-x)\n"
                     "    return e / (1.0 + e) ** 2"),)),
    Mutant("a07-sigmoid-branches-swapped", T, "sigmoid-answer",
           "swaps the two branches of the stable formula, computing sigma(-x) (SiLU in Part 3 "
           "uses this sigmoid, so it must not lose points there)",
           replace=(("np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                     "np.where(x >= 0, e / (1.0 + e), 1.0 / (1.0 + e))"),)),
    # Part 2: ReLU and LeakyReLU
    Mutant("a07-relu-prime-always-one", T, "relu-answer",
           "believes ReLU's derivative is 1 everywhere; it is 0 on inactive units (x <= 0)",
           replace=(("return np.where(np.asarray(x) > 0, 1.0, 0.0)",
                     "return np.ones_like(np.asarray(x, dtype=float))"),)),
    Mutant("a07-leaky-slope-on-positive-side", T, "relu-answer",
           "puts the small slope alpha on the positive side and slope 1 on the negative side",
           replace=(("return np.where(x > 0, x, alpha * x)",
                     "return np.where(x > 0, alpha * x, x)"),
                    ("return np.where(np.asarray(x) > 0, 1.0, float(alpha))",
                     "return np.where(np.asarray(x) > 0, float(alpha), 1.0)"))),
    # Part 3: ELU and SiLU
    Mutant("a07-elu-prime-plus-one", T, "elu-silu-answer",
           "uses the shortcut ELU' = ELU + 1 on the negative side, true only for alpha = 1 "
           "(the derivative is alpha e^x = ELU + alpha)",
           replace=(("return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))",
                     "return np.where(x > 0, 1.0, elu(x, alpha) + 1.0)"),)),
    Mutant("a07-silu-prime-no-product-rule", T, "elu-silu-answer",
           "forgets the product rule: x sigma'(x) without the sigma(x) term",
           replace=(("return s * (1.0 + x * (1.0 - s))", "return x * s * (1.0 - s)"),)),
    # Part 4: the gradient norm of every layer
    Mutant("a07-norms-phi-prime-at-h", T, "layer-norms-answer",
           "evaluates phi' at the activation h = phi(z) instead of at the pre-activation z",
           replace=(("activation_prime(zs[layer - 1])", "activation_prime(hs[layer])"),)),
    Mutant("a07-norms-reversed", T, "layer-norms-answer",
           "appends the norms during the backward loop, so they come out output layer first",
           replace=(("norms = [0.0] * len(weights)", "norms = []"),
                    ("norms[layer] = np.linalg.norm(hs[layer].T @ z_bar)",
                     "norms.append(np.linalg.norm(hs[layer].T @ z_bar))"))),
    Mutant("a07-norms-softmax-wrong-axis", T, "layer-norms-answer",
           "normalises the softmax over the examples (axis 0) instead of over the classes",
           replace=(("logits.max(axis=1, keepdims=True)", "logits.max(axis=0, keepdims=True)"),
                    ("e / e.sum(axis=1, keepdims=True)", "e / e.sum(axis=0, keepdims=True)"))),
    # Part 5: the lecture's experiment and the ratio
    Mutant("a07-ratio-inverted", T, "ratio-answer",
           "divides the last hidden layer's norm by the first one's: the ratio upside down",
           replace=(("return norms[0] / norms[depth - 1]", "return norms[depth - 1] / norms[0]"),)),
    Mutant("a07-median-is-mean", T, "ratio-answer",
           "averages the seeds with the mean, which one unlucky seed can dominate",
           replace=(("np.median(np.array(rows), axis=0)", "np.mean(np.array(rows), axis=0)"),)),
    # Part 6: He initialisation
    Mutant("a07-he-variance-one-over-n", T, "he-init-answer",
           "uses variance 1 / fan_in (LeCun), forgetting the factor 2 that makes up for ReLU",
           replace=(("math.sqrt(2.0 / fan_in)", "math.sqrt(1.0 / fan_in)"),)),
    Mutant("a07-he-variance-as-std", T, "he-init-answer",
           "multiplies by the variance 2 / fan_in instead of the standard deviation",
           replace=(("math.sqrt(2.0 / fan_in)", "(2.0 / fan_in)"),)),
]
