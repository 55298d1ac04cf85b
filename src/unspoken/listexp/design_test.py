"""Test for design effects in a list experiment (Blair & Imai 2012, section 3.1).

Without a design effect (adding the sensitive item does not change answers to the control
items) and without liars, a respondent is one of the types ``(y, z)``: ``y = Y_i(0)`` control
items endorsed, ``z = Z_i`` the sensitive item. With ``F_t(y) = Pr(Y_i <= y | T_i = t)``
their shares are identified as::

    pi(y, 1) = F_0(y) - F_1(y)          y = 0, ..., J
    pi(y, 0) = F_1(y) - F_0(y - 1)      y = 0, ..., J   (F_0(-1) = 0)

estimated by the empirical CDFs of the two arms, with the binomial variances
``Cov(F_t(a), F_t(b)) = F_t(a) (1 - F_t(b)) / n_t`` (a <= b), independent across arms.
A design effect shows as a negative share. For each ``z`` the null ``pi(y, z) >= 0`` for
all ``y`` is tested against "some share is negative" with the likelihood-ratio statistic

    lambda_z = min_{theta >= 0} (pi_hat - theta)' Sigma^{-1} (pi_hat - theta),

whose least-favourable null distribution is the chi-bar-square mixture
``sum_k w_k chi2_k``, ``w_k`` the probability that the projection of ``N(0, Sigma)`` onto the
non-negative orthant (in the ``Sigma^{-1}`` metric) has ``p - k`` positive components
(Kudo 1963; Wolak 1991). The weights are sums over faces of products of two orthant
probabilities; orthant probabilities of up to three dimensions are closed forms (so for
``J <= 3`` the test is deterministic), higher ones come from the Genz-Bretz randomised
quasi-Monte Carlo algorithm (``scipy.stats.multivariate_normal.cdf``, absolute error about
1e-5) seeded by ``seed``.
Always-non-negative shares (``pi(J, 1) = 1 - F_1(J)`` and ``pi(0, 0) = F_1(0)``) are not
tested. The two p-values are combined by Bonferroni: ``min(1, 2 min(p_0, p_1))``.

Generalised moment selection (Andrews & Soares 2010), ``gms=True``, drops the inequalities
that are clearly slack, ``sqrt(n) pi_hat / sigma_hat > kappa_n`` with ``kappa_n =
sqrt(log n)`` and ``sigma_hat`` the standard deviation of ``sqrt(n) pi_hat`` (so: drop when
``pi_hat / se > sqrt(log n)``).

``compat="list"`` reproduces R ``list`` 9.2.6 ``ict.test`` instead, which differs in three
places: its GMS divides ``sqrt(n) pi_hat`` by the standard deviation *of the vector of
estimated shares* (not of each estimate), which drops moments whose estimates are well
within sampling error of zero and makes the test anti-conservative; when a single moment is
left it uses a one-sided Welch t-test; and when no share is negative it reports ``1 - w_0``
rather than 1. With more than three moments R's weights are not valid probabilities (its
four-moment formulas, and a Monte Carlo indexed by ``J``); here the weights are always the
correct ones.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any, Literal

import numpy as np
from scipy import stats
from scipy.linalg import solve_triangular
from scipy.optimize import nnls

from unspoken.errors import DataError, UnsupportedError
from unspoken.io.arms import binary_column
from unspoken.io.columns import integer_column
from unspoken.io.frames import require_columns, to_pandas
from unspoken.io.missing import drop_missing
from unspoken.listexp.design_test_results import (
    BlockTest,
    DesignTestResult,
    MultiDesignTest,
    PiEstimate,
)

__all__ = [
    "BlockTest",
    "DesignTestResult",
    "PiEstimate",
    "chibar_weights",
    "design_test",
    "design_test_multi",
]

Compat = Literal["paper", "list"]
Missing = Literal["listwise", "error"]


# --------------------------------------------------------------------------- weights


def _orthant(cov: np.ndarray, rng: np.random.Generator | None) -> float:
    """``Pr(X > 0)`` for ``X ~ N(0, cov)``: closed forms up to 3 dimensions, else Genz-Bretz.

    Dimension 2: ``1/4 + asin(r)/(2 pi)``; dimension 3: ``1/8 + sum asin(r_ij)/(4 pi)``.
    """
    d = cov.shape[0]
    if d == 0:
        return 1.0
    if d == 1:
        return 0.5
    s = np.sqrt(np.diag(cov))
    r = np.clip(cov / np.outer(s, s), -1.0, 1.0)
    if d == 2:
        return 0.25 + math.asin(r[0, 1]) / (2 * math.pi)
    if d == 3:
        return 0.125 + (math.asin(r[0, 1]) + math.asin(r[0, 2]) + math.asin(r[1, 2])) / (
            4 * math.pi
        )
    np.fill_diagonal(r, 1.0)
    return float(
        stats.multivariate_normal.cdf(
            np.zeros(d), mean=np.zeros(d), cov=r, allow_singular=True, abseps=1e-5, rng=rng
        )
    )


def chibar_weights(sigma: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Chi-bar-square weights for ``H0: theta >= 0`` with estimator covariance ``sigma``.

    ``w[k]`` (``k = 0..p``) is the weight of ``chi2_k``: the probability that the projection
    of ``Z ~ N(0, sigma)`` onto the non-negative orthant has ``p - k`` positive components.
    By the KKT conditions, projection onto the face with positive set ``S`` (complement
    ``C``) happens iff ``sigma_CC^{-1} Z_C <= 0`` and ``Z_S - sigma_SC sigma_CC^{-1} Z_C > 0``,
    two independent Gaussian vectors, so each face's probability is a product of two orthant
    probabilities (covariances ``sigma_CC^{-1}`` and the Schur complement ``sigma_SS.C``).
    """
    sigma = np.asarray(sigma, dtype=float)
    p = sigma.shape[0]
    w = np.zeros(p + 1)
    idx = np.arange(p)
    for size in range(p + 1):  # |S| positive components -> chi2 with p - |S| df
        for s_set in combinations(range(p), size):
            s_idx = np.array(s_set, dtype=int)
            c_idx = np.setdiff1d(idx, s_idx)
            if len(c_idx):
                s_cc_inv = np.linalg.inv(sigma[np.ix_(c_idx, c_idx)])
                p_c = _orthant(s_cc_inv, rng)
                if len(s_idx):
                    b = sigma[np.ix_(s_idx, c_idx)]
                    schur = sigma[np.ix_(s_idx, s_idx)] - b @ s_cc_inv @ b.T
                    p_s = _orthant(schur, rng)
                else:
                    p_s = 1.0
            else:
                p_c, p_s = 1.0, _orthant(sigma, rng)
            w[p - size] += p_c * p_s
    return w


def _lr_statistic(est: np.ndarray, sigma: np.ndarray) -> float:
    """``min_{theta >= 0} (est - theta)' sigma^{-1} (est - theta)`` as a non-negative LS."""
    if np.all(est >= 0):
        return 0.0
    try:
        chol = np.linalg.cholesky(sigma)
        a = solve_triangular(chol, np.eye(len(est)), lower=True)  # a' a = sigma^{-1}
    except np.linalg.LinAlgError:  # singular sigma: generalised inverse, as R's ginv
        val, vec = np.linalg.eigh(sigma)
        ok = val > val.max() * 1e-12
        a = (vec[:, ok] / np.sqrt(val[ok])).T
    _, rnorm = nnls(a, a @ est)
    return float(rnorm**2)


def _chibar_pvalue(lam: float, w: np.ndarray, compat: Compat) -> float:
    """``Pr(sum_k w_k chi2_k >= lam)``; ``compat="list"`` leaves out the atom at 0."""
    if lam <= 0 and compat == "paper":
        return 1.0
    k = np.arange(1, len(w))
    p = float(np.sum(w[1:] * stats.chi2.sf(lam, k)))
    return min(1.0, max(0.0, p))


# --------------------------------------------------------------------------- core


def _cdf(y: np.ndarray, top: int) -> np.ndarray:
    """Empirical CDF at ``-1, 0, ..., top`` (index ``k + 1`` holds ``Pr(Y <= k)``)."""
    counts = np.bincount(y, minlength=top + 1)[: top + 1]
    return np.concatenate([[0.0], np.cumsum(counts) / len(y)])


def _cov_cdf(f: np.ndarray, a: np.ndarray, n: int) -> np.ndarray:
    """``Cov(F(a_i), F(a_j)) = F(min)(1 - F(max)) / n`` for CDF values ``f`` at points ``a``."""
    lo = np.minimum.outer(a, a)
    hi = np.maximum.outer(a, a)
    return f[lo + 1] * (1 - f[hi + 1]) / n


def _shares(
    z: int, ys: np.ndarray, f0: np.ndarray, f1: np.ndarray, n0: int, n1: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``pi(y, z)`` for ``y`` in ``ys``, their covariance, and the control CDF point of each
    (``pi(y, 1) = F_0(y) - F_1(y)``, ``pi(y, 0) = F_1(y) - F_0(y - 1)``)."""
    a0 = ys if z == 1 else ys - 1
    est = (f0[a0 + 1] - f1[ys + 1]) if z == 1 else (f1[ys + 1] - f0[a0 + 1])
    sigma = _cov_cdf(f0, a0, n0) + _cov_cdf(f1, ys, n1)
    return est, sigma, a0


def _block_test(
    z: int,
    J: int,
    f0: np.ndarray,
    f1: np.ndarray,
    n0: int,
    n1: int,
    n: int,
    gms: bool,
    compat: Compat,
    rng: np.random.Generator | None,
) -> BlockTest:
    ys = np.arange(0, J) if z == 1 else np.arange(1, J + 1)
    est, sigma, a0 = _shares(z, ys, f0, f1, n0, n1)
    se = np.sqrt(np.diag(sigma))

    # moments with no sampling variance carry no information (both CDFs are 0 or 1);
    # R drops every exactly-zero estimate instead
    if compat == "list":
        keep = est != 0
    else:
        keep = se > 0
        if np.any((se == 0) & (est < 0)):  # e.g. all treated <= y but no control: certain
            return BlockTest(z, 0.0, math.inf, ys[se == 0].tolist(), [], "degenerate")
    dropped: list[int] = []
    if gms:
        if compat == "list":
            if len(est) > 1:
                sd_vec = float(np.std(est, ddof=1))
                with np.errstate(divide="ignore", invalid="ignore"):
                    slack = math.sqrt(n) * est / sd_vec > math.sqrt(math.log(n))
            else:
                slack = np.zeros(len(est), bool)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                slack = (se > 0) & (est / np.where(se > 0, se, 1) > math.sqrt(math.log(n)))
        dropped = ys[keep & slack].tolist()
        keep &= ~slack
    # identical moments (no answers between them in either arm) make sigma singular
    pairs = np.column_stack([f0[a0 + 1], f1[ys + 1]])
    _, first = np.unique(pairs, axis=0, return_index=True)
    unique = np.zeros(len(ys), bool)
    unique[first] = True
    keep &= unique

    est_k, sig_k, ys_k = est[keep], sigma[np.ix_(keep, keep)], ys[keep]
    p_mom = len(est_k)
    if p_mom == 0:
        return BlockTest(z, 1.0, 0.0, [], dropped, "none")
    lam = _lr_statistic(est_k, sig_k)
    if p_mom == 1 and compat == "list":
        return BlockTest(
            z, _welch_less(z, int(ys_k[0]), f0, f1, n0, n1), lam, ys_k.tolist(), dropped, "welch-t"
        )
    w = chibar_weights(sig_k, rng)
    return BlockTest(
        z, _chibar_pvalue(lam, w, compat), lam, ys_k.tolist(), dropped, "chi-bar-square", w.tolist()
    )


def _welch_less(z: int, y: int, f0: np.ndarray, f1: np.ndarray, n0: int, n1: int) -> float:
    """One-sided Welch t-test p-value of ``pi(y, z) < 0`` on the two indicator samples."""
    if z == 1:  # x = 1{Y <= y} in control, v = 1{Y <= y} in treated
        px, nx, pv, nv = f0[y + 1], n0, f1[y + 1], n1
    else:  # x = 1{Y <= y} in treated, v = 1{Y <= y - 1} in control
        px, nx, pv, nv = f1[y + 1], n1, f0[y], n0
    vx = px * (1 - px) * nx / (nx - 1) / nx
    vv = pv * (1 - pv) * nv / (nv - 1) / nv
    if vx + vv == 0:
        return 1.0 if px >= pv else 0.0
    t = (px - pv) / math.sqrt(vx + vv)
    df = (vx + vv) ** 2 / (vx**2 / (nx - 1) + vv**2 / (nv - 1))
    return float(stats.t.cdf(t, df))


def design_test(
    data: Any,
    outcome: str,
    treat: str,
    J: int,
    gms: bool = True,
    alpha: float = 0.05,
    seed: int | np.random.Generator | None = None,
    control: Any = None,
    compat: Compat = "paper",
    missing: Missing = "listwise",
) -> DesignTestResult:
    """Blair & Imai (2012) test of the null of no design effect in a list experiment.

    ``outcome`` holds the item counts (0..J in control, 0..J+1 in the treated arm),
    ``treat`` the two arms (``control`` names the control value if it is not 0/False/
    "control"). ``gms`` applies moment selection; ``seed`` makes the quasi-Monte Carlo
    weights reproducible (used only with more than three moments per block, ``J >= 4``).
    ``compat="list"`` reproduces R ``list::ict.test`` (see the module docstring for how it
    differs). Rows missing the outcome or treatment are dropped (``missing="listwise"``,
    noted in the result) or rejected (``"error"``). Returns a :class:`DesignTestResult`.
    """
    from unspoken.inference.covariance import check_seed
    from unspoken.listexp.data import check_J
    from unspoken.results import check_level

    if compat not in ("paper", "list"):
        raise UnsupportedError(f"compat must be 'paper' or 'list', not {compat!r}")
    if missing not in ("listwise", "error"):
        raise UnsupportedError(f"missing must be 'listwise' or 'error', not {missing!r}")
    J = check_J(J)
    alpha = check_level(alpha, "alpha", 0.05)
    seed = check_seed(seed)

    # a pandas frame is only read; drop_missing copies just the two columns used
    df = to_pandas(data, copy=False)
    cols = list(dict.fromkeys([outcome, treat]))
    require_columns(df, cols)
    df, notes, kept = drop_missing(df[cols], cols, policy=missing)
    t, info = binary_column(df, treat, control=control)
    y = integer_column(df, outcome, low=0, high=J + 1, role="item count")
    over = (t == 0) & (y > J)
    if over.any():
        pos = kept[np.flatnonzero(over)]
        raise DataError(
            f"column '{outcome}' (item count): control respondents (not shown the sensitive "
            f"item) can endorse at most J = {J} items, but {int(over.sum())} answered J + 1 = "
            f"{J + 1}; check J and which arm is control (row numbers are 0-based positions)",
            column=outcome,
            rows=pos,
            n_bad=int(over.sum()),
        )
    y0, y1 = y[t == 0], y[t == 1]
    n0, n1 = len(y0), len(y1)
    n = n0 + n1
    if n0 < 2 or n1 < 2:
        raise DataError(
            f"column '{treat}' (treatment): each arm needs at least 2 respondents "
            f"(control {n0}, treated {n1})",
            column=treat,
        )

    f0 = _cdf(y0, J + 1)
    f1 = _cdf(y1, J + 1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    tests = [_block_test(z, J, f0, f1, n0, n1, n, gms, compat, rng) for z in (0, 1)]
    p_min = min(tt.p_value for tt in tests)
    p_bonf = min(1.0, 2.0 * p_min)

    pi = _pi_table(J, f0, f1, n0, n1)
    if compat == "list" and J > 3 and any(len(tt.moments) > 3 for tt in tests):
        notes.append(
            "with more than three moments R list 9.2.6 uses mixture weights that are not "
            "valid probabilities; the correct chi-bar-square weights are used here"
        )
    floor_ceiling = {
        "treated_0": float(np.mean(y1 == 0)),
        "treated_J_plus_1": float(np.mean(y1 == J + 1)),
        "control_0": float(np.mean(y0 == 0)),
        "control_J": float(np.mean(y0 == J)),
    }
    return DesignTestResult(
        J=J,
        n=n,
        n_control=n0,
        n_treated=n1,
        pi=pi,
        tests=tests,
        p_bonferroni=p_bonf,
        alpha=float(alpha),
        design_effect=bool(p_bonf < alpha),
        gms=bool(gms),
        compat=compat,
        floor_ceiling=floor_ceiling,
        treat_labels={"column": treat, "control": info["control"], "treated": info["treated"]},
        seed=seed if isinstance(seed, int | np.integer) else None,
        notes=notes,
    )


def _pi_table(J: int, f0: np.ndarray, f1: np.ndarray, n0: int, n1: int) -> list[PiEstimate]:
    """All ``pi(y, z)``, ``y = 0..J``, with standard errors, ``z = 1`` first as in R."""
    ys = np.arange(0, J + 1)
    out: list[PiEstimate] = []
    for z in (1, 0):
        est, sigma, _ = _shares(z, ys, f0, f1, n0, n1)
        out += [
            PiEstimate(int(yy), z, float(e), float(math.sqrt(v)))
            for yy, e, v in zip(ys, est, np.diag(sigma), strict=True)
        ]
    return out


def design_test_multi(
    data: Any,
    outcome: str,
    treat: str,
    J: int,
    control: Any = None,
    **kwargs: Any,
) -> MultiDesignTest:
    """Run :func:`design_test` once per sensitive item, on the control group and that
    item's treated group (each comparison is a standard design)."""
    from unspoken.io.arms import arm_column

    df = to_pandas(data)
    df, dropped, _ = drop_missing(df, [outcome, treat], kwargs.get("missing", "listwise"))
    t, labels = arm_column(df, treat, control)
    results = {}
    for k in range(1, len(labels)):
        sub = df.loc[(t == 0) | (t == k)].reset_index(drop=True)
        res = design_test(sub, outcome, treat, J, control=labels[0], **kwargs)
        res.notes[:0] = dropped  # the rows left out of every comparison, in the user's rows
        results[str(labels[k])] = res
    return MultiDesignTest(results, labels[0])
