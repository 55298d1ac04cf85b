"""The public multilevel list experiment: :func:`multilevel_list`.

Data are checked once by :func:`~unspoken.multilevel.data.prepare_multilevel`; the model and
its quadrature are in :mod:`unspoken.multilevel.model`; this module fits it, computes the
per-area estimates and builds the :class:`~unspoken.multilevel.results.MultilevelListFit`.

Per area ``a``: the empirical-Bayes hidden share is the posterior mean (given the fitted
theta) of the average of ``expit(x_i' delta + u_a)`` over the area's respondents (with a
direct question also the said share, ``expit(x_i' gamma + w_a)``, and the gap hidden -
said); its variance is the posterior variance of that average (the uncertainty of the area
effects) plus the delta-method variance from the fixed effects and loadings (the Jacobian by
central differences, :func:`~unspoken.inference.delta.numeric_jacobian`, with the nodes held
fixed) — the approximation of Kackar & Harville (1984) and Booth & Hobert (1998) without its
second-order bias term. Share intervals are Wald intervals on the logit scale, gap intervals
on the share scale. The no-pooling estimate of an area is its own difference in mean counts
(its own direct share), the complete-pooling estimate the national one; the shrinkage
``(raw - EB) / (raw - national)`` says how far the area estimate was pulled from its own
estimate toward the national one (1 = all the way). Raw area shares are reported only for
areas with at least ``min_n`` respondents and ``min(10, min_n)`` per arm
(:mod:`unspoken.smallcells`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from unspoken.errors import UnsupportedError
from unspoken.results import check_level, optimum_fields

__all__ = ["multilevel_list"]


DEFAULT_NODES = {2: 7, 3: 5, 4: 4}
#: an SD below this is at the boundary 0 (its log is flat there)
SD_FLOOR = 1e-4


def _slope_column(random_slope: Any, terms: list[str]) -> int | None:
    if random_slope is None:
        return None
    if (
        not isinstance(random_slope, str)
        or random_slope not in terms
        or random_slope == "Intercept"
    ):
        raise UnsupportedError(
            f"random_slope must name a numeric covariate of the formula (one of "
            f"{[t for t in terms if t != 'Intercept']}), not {random_slope!r}",
            param="random_slope",
        )
    return terms.index(random_slope)


def _correlated(d, correlation: bool | None) -> bool:
    """Whether the said and hidden area effects are correlated (``correlation`` of
    :func:`multilevel_list`); with ``True`` where respondents answered both, the treated
    list arm's direct answers are set aside (said in the data's notes)."""
    from unspoken.multilevel.data import set_aside_treated_direct

    if correlation not in (None, True, False):
        raise UnsupportedError(
            f"correlation must be None (automatic), True or False, not {correlation!r}",
            param="correlation",
        )
    if d.d is None:
        return False
    separate = d.layout in ("control", "separate")
    if correlation is None or not correlation or separate:
        return bool(separate if correlation is None else correlation)
    n = set_aside_treated_direct(d)
    d.notes.append(
        f"correlation=True: the direct answers of the {n} respondents in the treated list arm "
        "are set aside (their list answer holds the sensitive item too, and a respondent's two "
        "answers are linked); the said share rests on the other "
        f"{int(d.in_direct.sum())} direct answers"
    )
    return True


def _check_nodes(nodes: Any) -> None:
    if nodes is None:
        return
    if isinstance(nodes, bool) or not isinstance(nodes, int | np.integer) or not 1 <= nodes <= 15:
        raise UnsupportedError(
            f"nodes (quadrature points per dimension; 1 = the Laplace approximation) must be "
            f"a whole number from 1 to 15, not {nodes!r}",
            param="nodes",
        )


def _start(d, model, std_theta: np.ndarray) -> np.ndarray:
    """Start: the standard ML fit, a logistic fit of the direct answers, SDs 0.5."""
    parts = [std_theta]
    if model.has_direct:
        from unspoken.inference.likelihood import binomial_fit

        m = d.in_direct
        parts.append(binomial_fit(d.X[m], d.d[m], 1.0) if m.any() else np.zeros(d.X.shape[1]))
    load = [0.0 if not ld.log else np.log(0.5) for ld in model.loadings]
    return np.concatenate([*parts, load])


def _fit(d, nodes, random_effects, model_cls):
    """Maximise; returns (optimum, nodes, rounds, theta, full Hessian, model)."""
    from unspoken.inference.likelihood import newton_maximize
    from unspoken.listexp.ml import ml_core
    from unspoken.multilevel.model import fit_laplace, fit_multilevel

    model = model_cls(nodes)
    lst = d.in_list
    std = ml_core(d.y[lst], d.t[lst], d.X[lst], d.terms, d.J, None, quiet=True)
    start = _start(d, model, std.theta)
    P, L = model.n_params, len(model.loadings)
    if random_effects:
        if nodes == 1:  # Laplace: from the 3-point quadrature fit, then its own maximum
            res, _, rounds = fit_multilevel(model_cls(3), start)
            res, nd = fit_laplace(model, res.theta)
        else:
            res, nd, rounds = fit_multilevel(model, start)
        return res, nd, rounds, res.theta, res.hessian, model
    fixed = np.array([-np.inf if ld.log else 0.0 for ld in model.loadings])
    nd0 = model.adapt(np.concatenate([start[: P - L], fixed]))

    def fun(th, order):
        ll, g, H = model.evaluate(np.concatenate([th, fixed]), nd0, order)
        return ll, None if g is None else g[: P - L], None if H is None else H[: P - L, : P - L]

    res = newton_maximize(fun, start[: P - L])
    H_full = np.zeros((P, P))
    H_full[: P - L, : P - L] = res.hessian
    return res, nd0, 1, np.concatenate([res.theta, fixed]), H_full, model


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
    direct: str | None = None,
    support: Any = None,
    dk: str = "no",
    dk_values: Any = None,
    area_data: Any = None,
    random_slope: str | None = None,
    correlation: bool | None = None,
    nodes: int | None = None,
    random_effects: bool = True,
    penalty: bool = True,
    min_n: int = 30,
    draws: int = 1000,
    warmup: int = 1000,
    chains: int = 4,
    seed: int | None = None,
) -> Any:
    """Multilevel list experiment: the binomial list model with random effects by area
    (and, with ``direct``, the direct question's logistic model fitted jointly: the gap).

    ``formula`` (``"y ~ x1 + x2"``), ``treat``, ``J`` and ``control`` as in
    :func:`unspoken.list_experiment`; ``area`` the column of areas; ``area_formula``
    (``"~ z1"``) area-level predictors, constant within area, added to every model;
    ``area_data`` a frame or CSV/Parquet path with one row per area (keyed by ``area``)
    whose columns ``area_formula`` may use. ``direct``, ``support``, ``dk`` ("no": "don't
    know" is not support; "drop": left out) and ``dk_values`` as in :func:`unspoken.gap`.
    ``random_slope`` a covariate with a random slope in the sensitive-item model.
    ``correlation``: fit the correlation of the hidden and the said area effects (which lets
    the precise direct answers inform the hidden share and the gap). ``None`` (default):
    only where no respondent answered both the list and the direct question; ``True``:
    also where they did, setting aside the direct answers of the treated list arm (their
    list answer holds the sensitive item, and a respondent's two answers are linked, a link
    the correlation would absorb); ``False``: never.
    ``method="laplace"`` integrates the area effects out by adaptive Gauss–Hermite
    quadrature with ``nodes`` points per dimension (default 7, 5, 4 for 2, 3, 4 dimensions;
    ``nodes=1``: the Laplace approximation, slower: its gradient is numerical) and maximises
    the marginal likelihood (empirical Bayes); ``method="bayes"`` samples the posterior by
    NUTS (``unspoken[bayes]``; ``draws``, ``warmup``, ``chains``, ``seed``).
    ``random_effects=False`` fixes the area effects at 0 (the standard ML model).
    ``penalty`` adds a weakly informative Gamma(2, 1) log-density for each SD to the
    objective (:meth:`~unspoken.multilevel.model.MultilevelListModel.penalty`; Chung et
    al. 2013), which keeps an SD estimate off the boundary 0 where few areas leave it
    uncertain (without it such a fit shrinks every area to the national share with
    intervals far too narrow).
    ``min_n``: areas with fewer respondents get no raw estimate.
    """
    from unspoken.listexp.data import check_missing
    from unspoken.multilevel.data import (
        area_raw,
        fixed_effect_labels,
        national_shares,
        prepare_multilevel,
    )
    from unspoken.multilevel.estimates import area_estimates, sd_estimates
    from unspoken.multilevel.model import MultilevelListModel
    from unspoken.multilevel.results import MultilevelListFit
    from unspoken.smallcells import check_min_n

    if method not in ("laplace", "bayes"):
        raise UnsupportedError(
            f"method must be 'laplace' (adaptive quadrature, empirical Bayes) or 'bayes' "
            f"(NUTS), not {method!r}",
            param="method",
        )
    level = check_level(level)
    check_missing(missing)
    min_n = check_min_n(min_n)
    _check_nodes(nodes)
    d = prepare_multilevel(
        data, formula, treat, J, area, area_formula, control, missing,
        direct=direct, support=support, dk=dk, dk_values=dk_values, area_data=area_data,
    )  # fmt: skip
    slope = _slope_column(random_slope, d.terms)
    A, k = len(d.labels), d.X.shape[1]
    raw = area_raw(d, A)
    national, national_direct = national_shares(d)
    # the said and hidden area effects are correlated only where no respondent answered
    # both, unless asked (see the notes below)
    correlated = _correlated(d, correlation)
    notes = list(d.notes)
    pat = d.pattern
    args = (d.y[pat], d.t[pat], d.X[pat], d.codes[pat], d.freq, d.J)
    extra = {"slope": slope, "in_list": d.in_list[pat]}
    if d.d is not None:
        extra |= {"d": d.d[pat], "in_direct": d.in_direct[pat], "correlated": correlated}
    D = 2 + (slope is not None) + (d.d is not None)
    n_nodes = int(nodes) if nodes is not None else DEFAULT_NODES.get(D, 4)

    def model_cls(q: int, penalized: bool = bool(random_effects)) -> MultilevelListModel:
        return MultilevelListModel(*args, q, penalized=penalized and penalty, **extra)

    if method == "bayes":
        from unspoken.multilevel.bayes_fit import fit_bayes

        return fit_bayes(
            d, model_cls(1), raw, area, direct, level, min_n, draws, warmup, chains, seed
        )
    res, nd, rounds, theta, H_full, model = _fit(d, n_nodes, random_effects, model_cls)
    if d.d is not None and not correlated and d.layout not in ("control", "separate"):
        notes.append(
            "the same respondents answered the list and the direct question: the area "
            "effects of the hidden and the said shares are modelled as independent (a "
            "correlation between them would absorb the respondents' own link between what "
            "they hold and what they say); the gap's intervals ignore that link, which makes "
            "them conservative when holding and saying go together"
        )
    lv = model.loading_values(theta)
    P = model.n_params
    r = model.n_index * k
    at_zero = [ld.log and lv[m] < SD_FLOOR for m, ld in enumerate(model.loadings)]
    # the direct question's loading on the sensitive normal is not identified without it
    sens_zero = at_zero[0]
    fixed_load = [at_zero[m] or (not ld.log and sens_zero) for m, ld in enumerate(model.loadings)]
    free = np.array(list(range(r)) + [r + m for m in range(len(fixed_load)) if not fixed_load[m]])
    for m, ld in enumerate(model.loadings):
        if at_zero[m] and random_effects:
            notes.append(
                f"the SD of the area effects of the {ld.name} model is estimated at 0 (the "
                "boundary): no variation between areas beyond the predictors is detected; it "
                "is held at 0 for the standard errors and has no interval"
            )
    info = -H_full[np.ix_(free, free)]
    cov = np.linalg.pinv(info, hermitian=True)  # inverse observed information
    if np.linalg.eigvalsh(info).min() <= 0:
        notes.append("the observed information is not positive definite: unreliable s.e.")
    if not res.converged:
        notes.append(f"the maximisation did not converge ({res.message})")
    cov_full = np.zeros((P, P))
    cov_full[np.ix_(free, free)] = cov
    areas, logit_mean, logit_cov = area_estimates(
        model, nd, theta, free, cov, raw, d.labels, national, level, min_n
    )
    if any(a.raw is None for a in areas):
        notes.append(
            f"raw (no-pooling) shares are not shown for areas with fewer than {min_n} "
            "respondents or too few per list arm; their model-based estimates are"
        )
    return MultilevelListFit(
        **fixed_effect_labels(d),
        params_=theta[:r],
        cov=cov_full[:r, :r],
        sd=sd_estimates(model, theta, cov_full, at_zero, level),
        areas=areas,
        national=national,
        area=area,  # type: ignore[arg-type]
        n=int(d.n),
        J=d.J,
        nodes=n_nodes,
        random_effects=bool(random_effects),
        theta_cov=cov_full,
        level=level,
        notes=notes,
        rounds=rounds,
        min_n=min_n,
        method="laplace",
        direct=direct,
        national_direct=national_direct,
        state={
            "model": model,
            "nodes": nd,
            "theta": theta,
            "free": free,
            "cov": cov,
            "design": d.design,
            "frame": d.frame,
            "labels": list(d.labels),
            "area_columns": d.area_columns,
            "logit_mean": logit_mean,
            "logit_cov": logit_cov,
        },
        **(optimum_fields(res) | {"loglik": float(res.loglik - model.penalty(theta))}),
    )
