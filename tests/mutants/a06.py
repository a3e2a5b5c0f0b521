"""Assignment 6, an MLP trained with SGD: mistakes students make."""

from . import Mutant

T = "06-mlp-and-sgd"

MUTANTS = [
    Mutant("a06-linear-no-bias", T, "linear-answer",
           "forgets the bias in the forward pass: x @ weight only",
           replace=(("return x @ self.weight + self.bias", "return x @ self.weight"),)),
    Mutant("a06-linear-weight-transposed", T, "linear-answer",
           "draws the weight as PyTorch stores it, (out_features, in_features), then transposes "
           "it: right shape, wrong values for the seed",
           replace=(("Tensor(rng.uniform(-a, a, size=(in_features, out_features)),",
                     "Tensor(rng.uniform(-a, a, size=(out_features, in_features)).T,"),)),
    Mutant("a06-mlp-relu-after-last", T, "mlp-answer",
           "applies the ReLU after every layer, the last one too, so no logit can be negative",
           replace=(("            h = layer(h)\n"
                     "            if i < len(self.layers) - 1:\n"
                     "                h = h.relu()\n",
                     "            h = layer(h).relu()\n"),)),
    Mutant("a06-mlp-relu-on-data", T, "mlp-answer",
           "computes the ReLU in numpy on h.data and wraps it in a new Tensor: the values are "
           "right but backward() never reaches the earlier layers",
           replace=(("h = h.relu()", "h = Tensor(np.maximum(h.data, 0.0))"),)),
    Mutant("a06-cross-entropy-no-max-shift", T, "cross-entropy-answer",
           "takes log(sum(exp(z))) without subtracting the row maximum: exp(1000) overflows",
           replace=(("shifted = logits - logits.max(axis=1, keepdims=True)",
                     "shifted = logits"),)),
    Mutant("a06-cross-entropy-sum", T, "cross-entropy-answer",
           "sums the examples' losses instead of averaging them",
           replace=(("return -log_probs[np.arange(n), labels].mean()",
                     "return -log_probs[np.arange(n), labels].sum()"),)),
    Mutant("a06-sgd-adds-gradient", T, "sgd-step-answer",
           "steps uphill: p + lr * grad",
           replace=(("p.data -= lr * p.grad", "p.data += lr * p.grad"),)),
    Mutant("a06-sgd-rebinds-loop-variable", T, "sgd-step-answer",
           "writes p = p - lr * p.grad, which makes a new Tensor and leaves the model's alone",
           replace=(("p.data -= lr * p.grad", "p = p - lr * p.grad"),)),
    Mutant("a06-minibatches-drop-last", T, "minibatches-answer",
           "stops at the last full batch, so the leftover examples are never used",
           replace=(("for start in range(0, n, batch_size):",
                     "for start in range(0, n - batch_size + 1, batch_size):"),)),
    Mutant("a06-minibatches-no-shuffle", T, "minibatches-answer",
           "never shuffles: every epoch sees the same batches in the same order",
           replace=(("order = rng.permutation(n)", "order = np.arange(n)"),)),
    Mutant("a06-train-unweighted-epoch-mean", T, "train-answer",
           "averages the batch losses of an epoch with equal weights, so the smaller last batch "
           "counts as much as a full one",
           replace=(("total += float(loss.data) * len(y_batch)\n"
                     "            count += len(y_batch)",
                     "total += float(loss.data)\n"
                     "            count += 1"),)),
    Mutant("a06-train-no-zero-grad", T, "train-answer",
           "never clears the gradients, so every step uses the sum of all gradients so far",
           replace=(("            for p in model.parameters():\n"
                     "                p.grad = None\n", ""),)),
    Mutant("a06-train-batches-once", T, "train-answer",
           "creates the batch generator once, before the epoch loop: it is used up after the "
           "first epoch",
           replace=(("    for _ in range(epochs):\n",
                     "    epoch_batches = batches(X, y, batch_size, rng)\n"
                     "    for _ in range(epochs):\n"),
                    ("in batches(X, y, batch_size, rng):", "in epoch_batches:"))),
]
