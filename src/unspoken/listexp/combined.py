"""The combined list and direct estimator of Aronow, Coppock, Crawford & Green (2015).

Everyone answers the list experiment and the direct question. Assuming nobody who truly
holds the trait denies it is falsely *claimed* (no "false positives": a direct "yes" is
true), the prevalence is

    mu = P(direct = 1) + P(direct = 0) * pi_0,

where ``pi_0`` is the list estimate among those who answered "no" directly. With
``d_bar`` the direct share and ``b_0`` the treatment coefficient of the OLS regression of the
list count on the treatment (and covariates) among ``direct == 0``:

    mu_hat = d_bar + (1 - d_bar) b_0,
    Var(mu_hat) = [ (1 - mu_hat)^2 d_bar / (1 - d_bar)
                    + (1 - d_bar) (s_1^2 / gamma + s_0^2 / (1 - gamma)) ] / n

(ACCG 2015, eq. 6), where ``s_t^2`` are the residual variances of that regression in arm
``t`` among ``direct == 0`` and ``gamma`` the treated share. The conventional list estimate
is the treatment coefficient on everyone with the variance ``s_1^2/n_1 + s_0^2/n_0`` of the
arm-wise residuals; the direct share has variance ``var(d)/n``.

Two placebo tests check the design's assumptions: (I) among ``direct == 1`` the list
estimate should be 1 (H0: beta = 1; fails when "yes" sayers deny on the list or the list
has design effects); (II) the treatment list should not change the direct answer
(H0: delta = 0, the OLS coefficient of the direct answer on the treatment). Both use the
same arm-wise residual variances and two-sided normal p-values, as R ``list``'s
``combinedListDirect``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import norm

from unspoken.errors import DataError
from unspoken.listexp.results import CombinedResult, PlaceboTest
from unspoken.results import Estimate, z_value

__all__ = ["CombinedResult", "PlaceboTest", "combined_list_direct"]


def _ols_arm_var(
    y: np.ndarray, X: np.ndarray, t: np.ndarray, sel: np.ndarray
) -> tuple[float, float, float, int, int]:
    """Treatment coefficient (column 1 of X) of OLS on rows ``sel``, and the arm-wise
    residual variances (denominator n - 1) with the arm sizes."""
    Xs, ys, ts = X[sel], y[sel], t[sel]
    n1, n0 = int((ts == 1).sum()), int((ts == 0).sum())
    if n1 < 2 or n0 < 2:
        raise DataError(
            f"a regression of the combined estimator has {n1} treated and {n0} control "
            "respondents; it needs at least two in each arm"
        )
    beta, *_ = np.linalg.lstsq(Xs, ys, rcond=None)
    r = ys - Xs @ beta
    return (
        float(beta[1]),
        float(np.var(r[ts == 1], ddof=1)),
        float(np.var(r[ts == 0], ddof=1)),
        n1,
        n0,
    )


def combined_list_direct(
    data: Any,
    outcome: str,
    treat: str,
    direct: str,
    covariates: str | None = None,
    *,
    control: Any = None,
    J: int | None = None,
    level: float = 0.95,
) -> CombinedResult:
    """Aronow et al. (2015) combined estimate with its two placebo tests.

    ``outcome`` is the list count, ``treat`` the arm (control value 0/"control" or
    ``control=``), ``direct`` the 0/1 direct answer of every respondent, ``covariates`` an
    optional right-hand side (``"gender + ideology"``; text columns are dummy-coded with the
    first level in sorted order as baseline, as R's treatment contrasts). Rows with a missing
    value in any of these are dropped (listwise, as R). Counts must be whole numbers >= 0;
    with ``J`` (number of control items) also at most J in control and J + 1 when treated.
    """
    from unspoken.formula import formula_columns, model_matrix
    from unspoken.io.arms import binary_column
    from unspoken.io.columns import integer_column, numeric_column
    from unspoken.io.frames import require_columns, to_pandas
    from unspoken.io.missing import drop_missing
    from unspoken.listexp.data import check_J, infer_J

    # a pandas frame is only read; drop_missing copies just the columns used
    df = to_pandas(data, copy=False)
    require_columns(df, [outcome, treat, direct])
    cov_cols = formula_columns(covariates, list(df.columns)) if covariates else []
    cols = list(dict.fromkeys([outcome, treat, direct, *cov_cols]))
    df, notes, kept = drop_missing(df[cols], cols)
    if J is not None:
        J = check_J(J)
    y = integer_column(df, outcome, low=0, role="list count").astype(float)
    t = binary_column(df, treat, control=control)[0].astype(float)
    if J is None:  # not needed by the estimator, but counts 0-3 and 99 are a missing code
        infer_J(y, t == 0, outcome, kept)
    if J is not None:
        for arm, top in ((0.0, J), (1.0, J + 1)):
            over = (t == arm) & (y > top)
            if over.any():
                group = "control" if arm == 0 else "treated"
                raise DataError(
                    f"column '{outcome}': {int(over.sum())} {group}-group count(s) exceed "
                    f"{top} (J = {J}); is J right, or is the treatment coded the other way "
                    "round (control=...)? Row numbers are 0-based positions in the data",
                    column=outcome,
                    rows=kept[np.flatnonzero(over)],
                    param="J",
                )
    d = numeric_column(df, direct, role="direct answer")
    bad = ~np.isin(d, (0.0, 1.0))
    if bad.any():
        raise DataError(
            f"the direct answer '{direct}' must be coded 0/1", column=direct,
            rows=kept[np.flatnonzero(bad)],
        )  # fmt: skip
    n = len(y)
    names: list[str] = []
    if covariates:
        dm = model_matrix(covariates, df)
        keep = [j for j, nm in enumerate(dm.names) if nm != "Intercept"]
        Z = dm.X[:, keep]
        names = [dm.names[j] for j in keep]
    else:
        Z = np.empty((n, 0))
    X = np.column_stack([np.ones(n), t, Z])
    crit = z_value(level)

    def est(value: float, var: float, m: int) -> Estimate:
        return Estimate.from_se(value, float(np.sqrt(var)), level, n=m, crit=crit)

    d_bar = float(d.mean())
    direct_e = est(d_bar, float(np.var(d, ddof=1)) / n, n)
    everyone = np.ones(n, dtype=bool)
    b, v1, v0, n1, n0 = _ols_arm_var(y, X, t, everyone)
    list_e = est(b, v1 / n1 + v0 / n0, n)
    no = d == 0
    if not no.any() or no.all():
        raise DataError(f"the direct answer '{direct}' must have both 0s and 1s", column=direct)
    b0, w1, w0, _, _ = _ols_arm_var(y, X, t, no)
    mu = d_bar + (1 - d_bar) * b0
    gamma = float(t.mean())
    var_mu = (
        (1 - mu) ** 2 / (1 - d_bar) * d_bar + (1 - d_bar) * (w1 / gamma + w0 / (1 - gamma))
    ) / n
    comb_e = est(mu, var_mu, n)
    yes = d == 1
    b1, u1, u0, m1, m0 = _ols_arm_var(y, X, t, yes)
    se1 = float(np.sqrt(u1 / m1 + u0 / m0))
    p1 = PlaceboTest(
        "I", b1, se1, 1.0, float(2 * norm.sf(abs(b1 - 1) / se1)), int(yes.sum()),
        "list estimate among respondents who said 'yes' directly (H0: 1)",
    )  # fmt: skip
    b2, r1, r0, k1, k0 = _ols_arm_var(d, X, t, everyone)
    se2 = float(np.sqrt(r1 / k1 + r0 / k0))
    p2 = PlaceboTest(
        "II", b2, se2, 0.0, float(2 * norm.sf(abs(b2) / se2)), n,
        "effect of receiving the treatment list on the direct answer (H0: 0)",
    )  # fmt: skip
    return CombinedResult(
        combined=comb_e,
        direct=direct_e,
        list=list_e,
        placebo_tests=[p1, p2],
        n=n,
        n_treated=int(t.sum()),
        n_direct_yes=int(yes.sum()),
        covariates=names,
        notes=notes,
    )
