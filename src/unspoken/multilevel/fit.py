"""The public multilevel list experiment: :func:`multilevel_list`.

Data are checked by the standard list machinery (:func:`~unspoken.listexp.data.
prepare_list_data`, with the area as its subgroup column); area-level predictors
(``area_formula``) join the individual covariates in both the sensitive-item and the
control-items model and must be constant within each area. The model and its quadrature are
in :mod:`unspoken.multilevel.model`; this module fits it, computes the per-area estimates
and builds the :class:`~unspoken.multilevel.results.MultilevelListFit`.

Per area ``a``: the empirical-Bayes hidden share is the posterior mean (given the fitted
theta) of the average of ``expit(x_i' delta + u_a)`` over the area's respondents; its
variance is the posterior variance of that average (the uncertainty of ``u_a``) plus the
delta-method variance from the fixed effects and SDs (the Jacobian by central differences,
:func:`~unspoken.inference.delta.numeric_jacobian`, with the nodes held fixed) — the
approximation of Kackar & Harville (1984) and Booth & Hobert (1998) without its
second-order bias term. Intervals are Wald intervals on the logit scale. The no-pooling
estimate of an area is its own difference in mean counts, the complete-pooling estimate the
national difference in means; the shrinkage ``(raw - EB) / (raw - national)`` says how far
the area estimate was pulled from its own estimate toward the national one (1 = all the
way). Raw area shares are reported only for areas with at least ``min_n`` respondents and
``min(10, min_n)`` per arm (:mod:`unspoken.smallcells`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from unspoken.errors import DataError, UnsupportedError
from unspoken.results import Estimate, check_level, optimum_fields, z_value

__all__ = ["multilevel_list"]

DEFAULT_NODES = 7
#: an SD below this is at the boundary 0 (its log is flat there)
SD_FLOOR = 1e-4


def _check_area_constant(frame: pd.DataFrame, area: str, columns: list[str]) -> None:
    """Refuse an area-level column that varies within an area (naming the column, an area
    where it varies and that area's rows)."""
    for col in columns:
        counts = frame.groupby(area, sort=True, observed=True)[col].nunique(dropna=False)
        bad = counts[counts > 1]
        if len(bad):
            label = bad.index[0]
            rows = np.flatnonzero((frame[area] == label).to_numpy())
            raise DataError(
                f"area_formula column '{col}' is not constant within area {label!r} of column "
                f"'{area}' ({int(bad.iloc[0])} different values): an area-level predictor "
                "takes one value per area",
                column=col,
                rows=rows,
            )


def _prepare(data, formula, treat, J, area, area_formula, control, missing):
    from unspoken.formula import formula_columns, split_formula
    from unspoken.io.frames import require_columns, to_pandas
    from unspoken.listexp.data import prepare_list_data

    df = to_pandas(data, copy=False)
    if not isinstance(area, str):
        raise UnsupportedError(
            f"area must name the column of areas (e.g. area='region'), got {area!r}", param="area"
        )
    require_columns(df, [area], role="area")
    if not isinstance(formula, str):
        raise DataError(f"formula must be text such as 'y ~ x1 + x2', got {type(formula)}")
    lhs, rhs = split_formula(formula)
    if area in formula_columns(rhs, list(df.columns)):
        raise DataError(
            f"the area column '{area}' cannot be a covariate in the formula: its random "
            "intercepts model it",
            column=area,
        )
    area_cols: list[str] = []
    if area_formula is not None:
        if not isinstance(area_formula, str):
            raise DataError(f"area_formula must be text such as '~ z1 + z2', got {area_formula!r}")
        a_lhs, a_rhs = split_formula(area_formula)
        if a_lhs is not None:
            raise DataError(
                f"area_formula '{area_formula}' takes a right-hand side only: '~ z1 + z2'"
            )
        area_cols = formula_columns(a_rhs, list(df.columns))
        if a_rhs.strip() not in ("1", ""):
            rhs = a_rhs if rhs.strip() == "1" else f"{rhs} + {a_rhs}"
    full = f"{lhs} ~ {rhs}" if lhs is not None else formula
    d = prepare_list_data(df, full, treat, J, control, by=area, missing=missing)
    if "Intercept" not in d.terms:
        raise UnsupportedError(
            "the multilevel model needs an intercept (random intercepts vary around it): "
            "remove '- 1' / '+ 0' from the formula",
            param="formula",
        )
    _check_area_constant(d.frame, area, area_cols)
    return d


def area_cols_of(area_formula: str | None, frame: pd.DataFrame) -> list[str]:
    """The columns of the area-level predictors."""
    from unspoken.formula import formula_columns, split_formula

    if area_formula is None:
        return []
    return formula_columns(split_formula(area_formula)[1], list(frame.columns))


def _no_pooling(y, t, codes, A):
    """Each area's difference in mean counts, its treated and control counts."""
    n1 = np.bincount(codes, weights=t, minlength=A)
    n0 = np.bincount(codes, weights=1 - t, minlength=A)
    s1 = np.bincount(codes, weights=y * t, minlength=A)
    s0 = np.bincount(codes, weights=y * (1 - t), minlength=A)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = s1 / n1 - s0 / n0
    return raw, n1.astype(int), n0.astype(int)


def multilevel_list(
    data: Any,
    formula: str,
    treat: str,
    J: int | None = None,
    area: str | None = None,
    area_formula: str | None = None,
    method: str = "laplace",
    control: Any = None,
    level: float = 0.95,
    missing: str = "listwise",
    *,
    nodes: int = DEFAULT_NODES,
    random_effects: bool = True,
    min_n: int = 30,
) -> Any:
    """Multilevel list experiment: the binomial list model with random intercepts by area.

    ``formula`` (``"y ~ x1 + x2"``), ``treat``, ``J`` and ``control`` as in
    :func:`unspoken.list_experiment`; ``area`` the column of areas; ``area_formula``
    (``"~ z1"``) area-level predictors, constant within area, added to both models.
    ``method="laplace"`` integrates the random intercepts out by adaptive Gauss–Hermite
    quadrature with ``nodes`` x ``nodes`` points per area (``nodes=1``: the Laplace
    approximation, slower: its gradient is numerical) and maximises the marginal likelihood
    (empirical Bayes). ``random_effects=False`` fixes both SDs at 0
    (the standard ML model). ``min_n``: areas with fewer respondents get no raw estimate.
    """
    from unspoken.inference.delta import delta_var_rows, numeric_jacobian
    from unspoken.inference.likelihood import newton_maximize
    from unspoken.listexp.data import check_missing
    from unspoken.listexp.ml import ml_core
    from unspoken.multilevel.model import MultilevelListModel, fit_laplace, fit_multilevel
    from unspoken.multilevel.results import AreaEstimate, MultilevelListFit
    from unspoken.smallcells import arm_minimum, check_min_n

    if method != "laplace":
        raise UnsupportedError(
            f"method must be 'laplace' (adaptive quadrature), not {method!r}; the Bayesian "
            "route is not available yet",
            param="method",
        )
    level = check_level(level)
    check_missing(missing)
    min_n = check_min_n(min_n)
    if isinstance(nodes, bool) or not isinstance(nodes, int | np.integer) or not 1 <= nodes <= 15:
        raise UnsupportedError(
            f"nodes (quadrature points per dimension; 1 = the Laplace approximation) must be "
            f"a whole number from 1 to 15, not {nodes!r}",
            param="nodes",
        )
    d = _prepare(data, formula, treat, J, area, area_formula, control, missing)
    codes, labels = d.by_codes, d.by_labels
    A, k = len(labels), d.X.shape[1]
    # patterns: respondents with the same area, count, arm and covariates, sorted by area
    key = pd.DataFrame({"a": codes, "y": d.y, "t": d.t, **{f"x{j}": d.X[:, j] for j in range(k)}})
    grp = key.groupby(list(key.columns), sort=True)
    freq = grp.size().to_numpy().astype(float)
    first = grp.head(1).index.to_numpy()
    pat = key.loc[first].sort_values(list(key.columns)).index.to_numpy()
    data = (d.y[pat], d.t[pat], d.X[pat], codes[pat], freq, d.J)
    model = MultilevelListModel(*data, int(nodes))
    std = ml_core(d.y, d.t, d.X, d.terms, d.J, None, quiet=True)
    notes = list(d.notes)
    if random_effects:
        start = np.concatenate([std.theta, np.log([0.5, 0.5])])
        if nodes == 1:  # Laplace: from the 3 x 3 quadrature fit, then its own maximum
            res, _, rounds = fit_multilevel(MultilevelListModel(*data, 3), start)
            res, nd = fit_laplace(model, res.theta)
        else:
            res, nd, rounds = fit_multilevel(model, start)
        theta = res.theta
        H_full = res.hessian
    else:
        fixed = np.array([-np.inf, -np.inf])
        nd0 = model.adapt(np.concatenate([std.theta, fixed]))

        def fun(th, order):
            ll, g, H = model.evaluate(np.concatenate([th, fixed]), nd0, order)
            return ll, None if g is None else g[: 2 * k], None if H is None else H[: 2 * k, : 2 * k]

        res = newton_maximize(fun, std.theta)
        theta = np.concatenate([res.theta, fixed])
        nd, rounds = nd0, 1
        H_full = np.zeros((2 * k + 2, 2 * k + 2))
        H_full[: 2 * k, : 2 * k] = res.hessian
    # an SD at 0 (the boundary) is held there: its direction of the likelihood is flat
    at_zero = [np.exp(theta[2 * k + j]) < SD_FLOOR for j in range(2)]
    free = np.array(list(range(2 * k)) + [2 * k + j for j in range(2) if not at_zero[j]])
    for j, name in enumerate(("sensitive item", "control items")):
        if at_zero[j] and random_effects:
            notes.append(
                f"the SD of the area intercepts of the {name} is estimated at 0 (the boundary): "
                "no variation between areas beyond the predictors is detected; it is held at 0 "
                "for the standard errors and has no interval"
            )
    info = -H_full[np.ix_(free, free)]
    cov = np.linalg.pinv(info, hermitian=True)  # inverse observed information
    if np.linalg.eigvalsh(info).min() <= 0:
        notes.append("the observed information is not positive definite: unreliable s.e.")
    if not res.converged:
        notes.append(f"the maximisation did not converge ({res.message})")
    cov_full = np.zeros((2 * k + 2, 2 * k + 2))
    cov_full[np.ix_(free, free)] = cov

    # per-area empirical-Bayes shares: the delta method for the posterior means of the share
    # and of its logit (intervals on the logit scale), the nodes held fixed
    def post(th: np.ndarray) -> np.ndarray:
        full = theta.copy()
        full[free] = th
        return model.shares(full, nd)[:, [0, 2]].T.ravel()

    sh = model.shares(theta, nd)
    G = numeric_jacobian(post, theta[free])
    dvar = np.maximum(delta_var_rows(G, cov), 0).reshape(2, A)
    share = sh[:, 0]
    se = np.sqrt(sh[:, 1] + dvar[0])
    half = z_value(level) * np.sqrt(sh[:, 3] + dvar[1])
    lo, hi = expit(sh[:, 2] - half), expit(sh[:, 2] + half)
    raw, n1, n0 = _no_pooling(d.y.astype(float), d.t.astype(float), codes, A)
    n_area = n1 + n0
    tr = d.t == 1
    national = float(d.y[tr].mean() - d.y[~tr].mean())
    arm_min = arm_minimum(min_n)
    areas = []
    for a in range(A):
        shown = n_area[a] >= min_n and min(n1[a], n0[a]) >= max(arm_min, 1)
        r = float(raw[a]) if shown and np.isfinite(raw[a]) else None
        pull = None
        if r is not None and abs(r - national) > 1e-12:
            pull = float((r - share[a]) / (r - national))
        est = Estimate(float(share[a]), float(se[a]), float(lo[a]), float(hi[a]), int(n_area[a]))
        areas.append(AreaEstimate(labels[a], est, int(n_area[a]), r, pull))
    sd_est = [
        _sd_estimate(theta[2 * k + j], cov_full[2 * k + j, 2 * k + j], level)
        if not at_zero[j]
        else Estimate(0.0, np.nan, np.nan, np.nan, level=level)
        for j in range(2)
    ]
    if any(a.raw is None for a in areas):
        notes.append(
            f"raw (no-pooling) shares are not shown for areas with fewer than {min_n} "
            "respondents or too few per list arm; their model-based estimates are"
        )
    return MultilevelListFit(
        parts=["sensitive"] * k + ["control"] * k,
        terms=list(d.terms) * 2,
        params_=theta[: 2 * k],
        cov=cov_full[: 2 * k, : 2 * k],
        sd=dict(zip(("sensitive", "control"), sd_est, strict=True)),
        areas=areas,
        national=national,
        area=area,  # type: ignore[arg-type]
        n=int(d.n),
        J=d.J,
        nodes=int(nodes),
        random_effects=bool(random_effects),
        theta_cov=cov_full,
        level=level,
        notes=notes,
        rounds=rounds,
        min_n=min_n,
        state={
            "model": model,
            "nodes": nd,
            "theta": theta,
            "free": free,
            "cov": cov,
            "design": d.design,
            "frame": d.frame,
            "labels": list(labels),
            "area_columns": area_cols_of(area_formula, d.frame),
            "logit_mean": sh[:, 2],
            "logit_cov": G[A:] @ cov @ G[A:].T + np.diag(sh[:, 3]),
        },
        **optimum_fields(res),
    )


def _sd_estimate(log_sd: float, var_log: float, level: float) -> Estimate:
    """A random-effect SD from its log: s.e. by the delta method, interval on the log scale
    (an SD is positive)."""
    sd, se_log = float(np.exp(log_sd)), float(np.sqrt(max(var_log, 0.0)))
    z = z_value(level)
    lo, hi = float(sd * np.exp(-z * se_log)), float(sd * np.exp(z * se_log))
    return Estimate(sd, sd * se_log, lo, hi, level=level)
