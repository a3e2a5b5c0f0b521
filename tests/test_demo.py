"""`python -m autograd_ref.demo` (what `make demo` runs): the worked example's three tables."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata


def run_demo(**env_overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    return subprocess.run(
        [sys.executable, "-m", "autograd_ref.demo"],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_demo_prints_the_three_traces_and_the_gradient():
    done = run_demo(PYTHONIOENCODING="utf-8")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stderr == b""
    out = unicodedata.normalize("NFC", done.stdout.decode("utf-8"))
    lines = out.splitlines()
    for heading in ("1. Primal trace", "2. Tangent trace", "3. Adjoint trace"):
        assert sum(line.startswith(heading) for line in lines) == 1, heading
    # the primal trace, in the lectures' numbering and values
    for expected in (
        "v₁  | ln v₋₁     | 0.6931471805599453",
        "v₂  | v₋₁ × v₀   | 10.0",
        "v₃  | sin v₀     | -0.9589242746631385",
        "v₄  | v₁ + v₂    | 10.693147180559945",
        "v₅  | v₄ − v₃    | 11.652071455223084",
        "y = v₅ = 11.652071455223084",
    ):
        assert expected in lines, expected
    # the tangent trace for ∂y/∂x₁ ends with ẏ = 5.5; the adjoint trace gives both partials
    assert unicodedata.normalize("NFC", "ẏ = v̇₅ = 5.5  (∂y/∂x₁)") in lines
    assert unicodedata.normalize("NFC", "x̄₁ = v̄₋₁ = 5.5  (∂y/∂x₁)") in lines
    assert unicodedata.normalize("NFC", "x̄₂ = v̄₀ = 1.7163378145367738  (∂y/∂x₂)") in lines
    assert lines[-1] == "Gradient of f at (2, 5): (5.5, 1.7163378145367738)"


def test_demo_survives_an_ascii_only_stdout():
    done = run_demo(PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"1.7163378145367738" in done.stdout
