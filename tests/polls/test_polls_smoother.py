"""The banded smoother against a brute-force dense-Gaussian computation of the same model."""

from __future__ import annotations

import numpy as np
import pytest
from polls_dense import dense_fit
from scipy.linalg import cholesky_banded

from unspoken.polls.smoother import banded_inverse_diag, build_design, solve


def _random_design(seed: int, T: int = 70, n: int = 50, J: int = 3, maxlen: int = 5):
    rng = np.random.default_rng(seed)
    lens = rng.integers(1, maxlen + 1, n)
    first = rng.integers(1, T - maxlen, n)  # keep period 0 and T-1 free for anchors
    w = np.concatenate([rng.dirichlet(np.ones(L)) for L in lens])
    y = rng.uniform(0.35, 0.65, n)
    vb = y * (1 - y) / rng.integers(500, 2000, n)
    house = rng.integers(0, J, n)
    return y, vb, house, first, lens, w


SUM0 = np.vstack([np.eye(2), -np.ones((1, 2))])
CASES = {
    "sum-to-zero": (SUM0, []),
    "pollster fixed": (np.delete(np.eye(3), 1, axis=1), []),
    "two exact anchors": (np.eye(3), [(0, 0.5, 0.0), (69, 0.56, 0.0)]),
    "soft anchor": (np.eye(3), [(20, 0.48, 0.01)]),
    "exact + soft": (np.eye(3), [(0, 0.5, 0.0), (50, 0.52, 0.02)]),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("seed", [1, 2])
def test_banded_equals_dense(case: str, seed: int) -> None:
    C, anchors = CASES[case]
    y, vb, house, first, lens, w = _random_design(seed)
    T = 70
    d = build_design(y, vb, house, C, first, (lens, w), T, anchors)
    Wd = d.W.toarray()
    lls = []
    for s2, tau2 in [(2e-5, np.array([1e-5, 0.0, 3e-5])), (6e-5, np.array([0.0, 2e-5, 0.0]))]:
        sol = solve(d, s2, tau2)
        dn = dense_fit(Wd, y, vb + tau2[house], C[house], T, s2, anchors)
        np.testing.assert_allclose(sol.eta, dn["beta"][1:], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(sol.alpha, dn["alpha"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sol.S_inv, dn["beta_cov"][1:, 1:], rtol=1e-7, atol=1e-16)
        var = sol.alpha_var()
        free = np.ones(T, bool)
        free[[k for k, _, s in anchors if s == 0]] = False
        np.testing.assert_allclose(var[free], dn["alpha_var"][free], rtol=1e-7)
        assert np.all(var[~free] == 0)
        # variance of a contrast (the change over a window)
        c = np.zeros(T)
        c[-5], c[10] = 1.0, -1.0
        expected = c @ dn["alpha_cov"] @ c
        assert sol.contrast_var(c) == pytest.approx(expected, rel=1e-6, abs=1e-14)
        lls.append((sol.loglik, dn["reml"]))
    # the restricted likelihoods agree up to a constant: compare differences
    assert lls[0][0] - lls[1][0] == pytest.approx(lls[0][1] - lls[1][1], rel=1e-9, abs=1e-8)


@pytest.mark.parametrize("bw", [1, 2, 4])
def test_banded_inverse_diag(bw: int) -> None:
    rng = np.random.default_rng(bw)
    T = 40
    A = np.zeros((T, T))
    for k in range(bw + 1):
        vals = rng.uniform(-1, 1, T - k)
        A += np.diag(vals, -k) + (np.diag(vals, k) if k else 0)
    A += np.eye(T) * (2 * bw + 2)  # diagonally dominant -> positive definite
    band = np.zeros((bw + 1, T))
    for k in range(bw + 1):
        band[k, : T - k] = np.diag(A, -k)
    cb = cholesky_banded(band, lower=True)
    for k in range(1, bw + 1):
        cb[k, T - k :] = 0.0
    np.testing.assert_allclose(banded_inverse_diag(cb), np.diag(np.linalg.inv(A)), rtol=1e-12)


def test_unidentified_level_is_an_error() -> None:
    from unspoken.errors import DataError

    y, vb, house, first, lens, w = _random_design(3)
    d = build_design(y, vb, house, np.eye(3), first, (lens, w), 70, [])  # no anchor
    with pytest.raises(DataError, match="not identified"):
        solve(d, 1e-5, np.zeros(3))


@pytest.mark.filterwarnings("ignore::unspoken.polls.PollDataWarning")
def test_fieldwork_weights_across_weeks() -> None:
    import pandas as pd

    from unspoken.polls.data import prepare_polls
    from unspoken.polls.model import fieldwork_weights, make_grid

    df = pd.DataFrame(
        {
            "who": ["A", "A", "B"],
            # Sat 2021-01-09 .. Tue 01-12 spans two ISO weeks; one-day poll; 8-day poll
            "s": ["2021-01-09", "2021-01-20", "2021-01-04"],
            "e": ["2021-01-12", "2021-01-20", "2021-01-11"],
            "y": [50.0, 51.0, 49.0],
        }
    )
    polls = prepare_polls(
        df, share="y", pollster="who", start="s", end="e", default_n={"A": 1000, "B": 1000}
    )
    grid = make_grid(polls, [], "week")
    assert str(grid.origin)[:10] == "2021-01-04"  # the Monday of the first poll's week
    first, lens, w = fieldwork_weights(polls, grid, "spread")
    order = polls.table["row"].to_numpy()
    got = {}
    pos = np.r_[0, np.cumsum(lens)]
    for i, r in enumerate(order):
        got[int(r)] = (int(first[i]), list(w[pos[i] : pos[i + 1]]))
    assert got[0] == (0, [0.5, 0.5])
    assert got[1] == (2, [1.0])
    assert got[2] == (0, [7 / 8, 1 / 8])
    day = make_grid(polls, [], "day")
    first, lens, w = fieldwork_weights(polls, day, "midpoint")
    assert np.all(lens == 1)
    # midpoint of 01-09..01-12 is 01-10 (floor), 6 days after 01-04
    assert first[list(order).index(0)] == 6
