"""One delta method: every variance of a derived quantity goes through
``unspoken.inference.delta`` (issue 11, item 3A), and its numeric Jacobian is right.

The grep looks for the shapes a hand-written ``g' V g`` takes in numpy code:

* ``x @ M @ x`` / ``x @ M @ x.T`` / ``x.T @ M @ x`` — the same operand on both sides of a
  matrix: a quadratic form. With ``M`` a covariance this is exactly the delta method
  (``g' V g``, ``G V G'``, also inside ``np.diag(...)`` or ``np.sqrt(...)``); requiring the
  same operand on both sides keeps out products such as ``X.T @ (X * w)`` or
  ``a @ g / (a @ a)``.
* a three-operand ``np.einsum("ij,jk,ik->i", G, V, G)`` — the row-wise form of the same;
* chained ``.dot(...).dot(...)`` or ``multi_dot`` — the same product spelled otherwise;
* ``se_a**2 + se_b**2`` — the delta method for independent estimates written out.

Quadratic forms that are not the variance of a derived quantity (a Wald statistic, a
Schur complement) are listed in ``NOT_DELTA`` with the reason; anything else is a failure.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from unspoken.inference.delta import (
    delta_cov,
    delta_estimate,
    delta_se,
    delta_se_rows,
    delta_var,
    independent_se,
    numeric_jacobian,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "unspoken"

_OPERAND = r"(?:[\w.]+(?:\[[^\]\n]*\])?(?:\([^@\n]*\))?|\([^@\n]*\))"
PATTERNS = {
    "quadratic form x @ M @ x": re.compile(
        rf"(?<![\w.])([A-Za-z_][\w.]*?)(?:\.T)?\s*@\s*{_OPERAND}\s*@\s*\1(?:\.T)?(?![\w(\[])"
    ),
    "three-operand einsum": re.compile(r"einsum\(\s*[\"']\w+,\w+,\w+->\w*[\"']"),
    "chained dot": re.compile(r"\.dot\([^()\n]*\)\.dot\(|multi_dot"),
    "sum of squared standard errors": re.compile(
        r"\b\w*(?:se|std_error)\w*\s*\*\*\s*2\s*\+\s*[\w.]*(?:se|std_error)\w*\s*\*\*\s*2"
    ),
}

#: (path relative to src/unspoken, text on the line) -> why it is not a delta method
NOT_DELTA = {
    ("listexp/hausman.py", "d @ np.linalg.pinv("): "Wald statistic d' D^+ d, not a variance",
    ("listexp/design_test.py", "b @ s_cc_inv @ b.T"): "Schur complement (conditional cov.)",
    ("listexp/multi.py", 'einsum("ij,jk,ik->i", XX * w'): "leverages w_i x_i' (X'WX)^-1 x_i",
}


def hand_written(root: Path) -> list[str]:
    """``path:line: text [pattern]`` for every hand-written delta method under ``root``
    (``inference/`` itself excluded)."""
    hits = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("inference/"):
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if any(rel == p and text in code for (p, text) in NOT_DELTA):
                continue
            for name, rx in PATTERNS.items():
                if rx.search(code):
                    hits.append(f"{rel}:{no}: {line.strip()} [{name}]")
    return hits


def test_no_hand_written_delta_method_outside_inference():
    hits = hand_written(SRC)
    assert not hits, "use unspoken.inference.delta instead of:\n" + "\n".join(hits)


_HAND_WRITTEN = [  # the shapes of a delta-method variance written by hand
    "se = float(np.sqrt(max(G @ V @ G, 0.0)))",
    "ses = np.sqrt(np.clip(np.diag(G @ cov @ G.T), 0, None))",
    "return float(g @ self.cov @ g)",
    "v = grad.T @ fit.vcov @ grad",
    "var = np.einsum('ij,jk,ik->i', D, V, D)",
    "v = g.dot(V).dot(g)",
    "se = math.sqrt(a.std_error**2 + b.std_error**2)",
    "out = c @ V[:k, :k] @ c",
]
_OTHER_PRODUCTS = [
    "A = X.T @ (X * w[:, None])",
    "lam = float(a @ g / (a @ a))",
    "beta = Ainv @ (Z.T @ (v * y))",
    "return vecs @ ((vecs.T @ g) / vals), False",
    "V = delta_cov(G, cov)  # not G @ cov @ G.T by hand",
]


@pytest.mark.parametrize(
    ("line", "found"),
    [(line, 1) for line in _HAND_WRITTEN] + [(line, 0) for line in _OTHER_PRODUCTS],
)
def test_the_grep_finds_each_shape_and_leaves_other_products(tmp_path, line, found):
    (tmp_path / "m.py").write_text(f"def f():\n    {line}\n")
    assert len(hand_written(tmp_path)) == found


# --------------------------------------------------------------------- numeric Jacobian


def _f(t: np.ndarray) -> np.ndarray:
    """A smooth map R^3 -> R^2 with parameters of very different sizes."""
    return np.array([np.exp(t[0]) * t[1] + np.sin(t[2]), t[0] ** 2 / (1 + t[1] ** 2)])


def _jac(t: np.ndarray) -> np.ndarray:
    d = 1 + t[1] ** 2
    return np.array(
        [
            [np.exp(t[0]) * t[1], np.exp(t[0]), np.cos(t[2])],
            [2 * t[0] / d, -2 * t[0] ** 2 * t[1] / d**2, 0.0],
        ]
    )


@pytest.mark.parametrize(
    "theta", [[0.3, -0.7, 1.1], [2.0, 150.0, -0.01], [-4.0, 1e-3, 2500.0], [0.0, 0.0, 0.0]]
)
def test_numeric_jacobian_matches_analytic(theta):
    t = np.array(theta)
    num = numeric_jacobian(_f, t)
    exact = _jac(t)
    # central differences: truncation ~ h^2 f''' and rounding ~ eps |f| / h, h = 1e-6 scale
    scale = np.maximum(1.0, np.abs(_f(t)))[:, None] * np.maximum(1.0, np.abs(t))[None, :]
    assert np.all(np.abs(num - exact) <= 1e-8 * scale * np.maximum(1.0, np.abs(exact)))


def test_numeric_jacobian_step_is_scaled_to_each_parameter():
    # f(t) = t^3 at t = 1e4: a fixed step of 1e-6 loses digits to rounding (f ~ 1e12,
    # eps f / h ~ 2e2 absolute, ~1e-6 relative); the scaled step (1e-2) keeps ~1e-10
    t = np.array([1e4])
    num = numeric_jacobian(lambda x: x**3, t)[0, 0]
    assert num == pytest.approx(3e8, rel=1e-9)


def test_numeric_jacobian_of_a_scalar_is_a_row():
    assert numeric_jacobian(lambda x: float(x @ x), np.array([1.0, 2.0])).shape == (1, 2)


# ------------------------------------------------------------------------ the helpers


def test_delta_method_helpers_against_closed_forms():
    V = np.array([[4.0, 1.0, 0.5], [1.0, 9.0, -2.0], [0.5, -2.0, 1.0]])
    g = np.array([1.0, -1.0, 2.0])
    # Var(x1 - x2 + 2 x3) = 4 + 9 + 4*1 - 2*1 + 2*2*0.5 - 2*2*(-2) = 25
    assert delta_var(g, V) == pytest.approx(25.0, rel=1e-15)
    assert delta_se(g, V) == 5.0
    G = np.array([g, [0.0, 1.0, 0.0]])
    C = delta_cov(G, V)
    assert C[0, 0] == pytest.approx(25.0) and C[1, 1] == pytest.approx(9.0)
    assert C[0, 1] == pytest.approx(1.0 - 9.0 - 4.0)  # Cov(x1 - x2 + 2 x3, x2)
    assert delta_se_rows(G, V) == pytest.approx([5.0, 3.0])
    assert independent_se(3.0, 4.0) == 5.0
    e = delta_estimate(0.5, g, V, level=0.95, n=10, crit=2.0)
    assert (e.std_error, e.ci_low, e.ci_high, e.n) == pytest.approx((5.0, -9.5, 10.5, 10))
    # a negative variance from rounding is an s.e. of 0, not NaN
    assert delta_se([1.0, -1.0], np.array([[1.0, 1.0 + 1e-16], [1.0 + 1e-16, 1.0]])) == 0.0
