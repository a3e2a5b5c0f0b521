"""The lectures' worked example, traced: ``python -m autograd_ref.demo`` (what ``make demo`` runs).

f(x₁, x₂) = ln(x₁) + x₁·x₂ − sin(x₂) at (2, 5), shown as the three tables of the lectures: the
primal trace, the forward tangent trace for ∂f/∂x₁ and the reverse adjoint trace, which yields the
whole gradient in one sweep. Every number is computed here by :func:`autograd_ref.trace`.
"""

from __future__ import annotations

import sys

import autograd_ref as ad


def f(x1, x2):
    """The function of the lectures' evaluation-trace example."""
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


def _ensure_unicode_output() -> None:
    """The tables use subscripts and dots (v₋₁, v̇): switch a non-UTF-8 stdout (a Windows pipe,
    an old terminal) to UTF-8 rather than crash with UnicodeEncodeError."""
    try:
        "v₋₁ v̇ v̄ ∂ −".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        sys.stdout.reconfigure(encoding="utf-8")


def main() -> int:
    _ensure_unicode_output()
    tr = ad.trace(f, 2.0, 5.0)
    print("Worked example: f(x₁, x₂) = ln(x₁) + x₁·x₂ − sin(x₂) at (x₁, x₂) = (2, 5)")
    print()
    print("1. Primal trace: evaluate f one elementary operation at a time.")
    print(tr.primal_table())
    print()
    print("2. Tangent trace with ẋ = (1, 0): one forward sweep carries ∂/∂x₁ alongside.")
    print(tr.tangent_table(wrt=0))
    print()
    print("3. Adjoint trace with ȳ = 1: one reverse sweep gives every ∂y/∂xᵢ.")
    print(tr.adjoint_table())
    print()
    gradient = tr.gradient()
    print(f"Gradient of f at (2, 5): ({gradient[0]!r}, {gradient[1]!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
