"""After a standard list fit: predicted prevalences, posteriors, another variance.

The statistics behind :meth:`ListFit.predict <unspoken.listexp.results.ListFit.predict>`,
``posterior`` and ``with_vcov`` (the result methods only call these):

- the prevalence ``sum_i v_i h(x_i' delta) / sum_i v_i`` (``h`` = expit, or the identity
  for ``lm``/``dim``) and its gradient in ``delta``, with a delta-method standard error
  (:mod:`unspoken.inference.delta`) treating the covariates as fixed, as R's
  ``predict.ictreg(avg = TRUE)``, and a t interval on ``n`` degrees of freedom;
- each respondent's ``h(x_i' delta)`` with ``se = sqrt(d_i' V d_i)``, ``d_i`` its gradient;
- the design of a fit with other cluster/strata columns, for a variance recomputed without
  refitting.

This module does not import the result classes: it reads a fit's fields.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.covariance import SurveyDesign
from unspoken.inference.delta import delta_estimate, delta_se_rows
from unspoken.listexp.data import ListData
from unspoken.results import Estimate, check_level

__all__ = [
    "posterior_list",
    "predict_list",
    "prevalence_parts",
    "refit_variance",
    "t_crit",
    "with_design",
]


def t_crit(level: float, df: float) -> float:
    """Two-sided t critical value (R ``qt(1 - (1 - level)/2, df)``)."""
    from scipy.special import stdtrit  # t.ppf without importing scipy.stats (0.25 s)

    return float(stdtrit(df, 0.5 + check_level(level) / 2))


def prevalence_parts(
    link: str, delta: np.ndarray, X: np.ndarray, v: np.ndarray, rows: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Weighted mean of the fitted prevalence ``h(x_i' delta)`` (``h`` = expit or identity)
    over ``rows`` and its gradient with respect to ``delta``."""
    if rows is not None:
        X, v = X[rows], v[rows]
    v = v / v.sum()
    eta = X @ delta
    if link == "identity":
        return float(v @ eta), X.T @ v
    g = expit(eta)
    return float(v @ g), X.T @ (v * g * (1 - g))


def _sensitive(fit: Any) -> tuple[np.ndarray, np.ndarray]:
    """The sensitive-item coefficients ``delta`` of a fit and their covariance."""
    k = fit.k_sensitive
    return fit.params_[:k], np.asarray(fit.cov)[:k, :k]


def _design_for(fit: Any, newdata: Any) -> np.ndarray:
    """The fit's own design matrix, or the one its formula gives for ``newdata``."""
    if newdata is None:
        return fit.X_
    if fit.method == "dim":
        return np.ones((len(newdata), 1))
    from unspoken.io.frames import to_pandas

    return fit.design_.on(to_pandas(newdata))


def predict_list(
    fit: Any, newdata: Any, avg: bool, newdata_diff: Any, level: float | None, weights: Any
) -> Estimate | pd.DataFrame:
    """Predicted prevalence of a standard list fit (see ``ListFit.predict``)."""
    lev = fit.level if level is None else level
    crit = t_crit(lev, fit.n)
    delta, V = _sensitive(fit)
    X = _design_for(fit, newdata)
    # the fit's own weights for its own respondents; new data are unweighted unless given
    w = weights if weights is not None else (fit.weights_ if newdata is None else None)
    if avg:

        def mean(X: np.ndarray, w: np.ndarray | None) -> tuple[float, np.ndarray]:
            return prevalence_parts(fit.link, delta, X, np.ones(X.shape[0]) if w is None else w)

        est, G = mean(X, w)
        if newdata_diff is not None:
            est2, G2 = mean(_design_for(fit, newdata_diff), None)
            est, G = est - est2, G - G2
        return delta_estimate(est, G, V, level=lev, n=X.shape[0], crit=crit)
    eta = X @ delta
    if fit.link == "identity":
        value, D = eta, X
    else:
        value = expit(eta)
        D = X * (value * (1 - value))[:, None]
    se = delta_se_rows(D, V)
    out = pd.DataFrame(
        {"fit": value, "se_fit": se, "ci_low": value - crit * se, "ci_high": value + crit * se}
    )
    if newdata is None and fit.row_index_ is not None:
        out.index = fit.row_index_
    return out


def posterior_list(fit: Any) -> pd.Series:
    """Each respondent's posterior probability of the trait (see ``ListFit.posterior``)."""
    if fit.posterior_ is None:
        raise UnsupportedError("posterior probabilities need a likelihood: use method='ml'")
    return pd.Series(fit.posterior_, index=fit.row_index_, name="posterior")


def with_design(
    ld: ListData, cluster: str | None, strata: str | None, data: Any = None
) -> ListData:
    """``ld`` with the cluster/strata columns ``cluster``/``strata`` of ``data`` (the data
    the fit was given, its used rows) or of ``ld.frame``; ``None`` keeps the fit's own."""
    from unspoken.io.columns import factor_column
    from unspoken.io.frames import to_pandas

    if cluster is None and strata is None:
        return ld
    if data is None:
        frame = ld.frame
    else:
        df = to_pandas(data, copy=False)
        if len(df) != ld.n_input:
            raise DataError(
                f"data has {len(df)} rows but the fit was given {ld.n_input}: pass the data "
                "the fit was made from"
            )
        frame = df.iloc[ld.kept]
    codes = {}
    for role, col in (("cluster", cluster), ("strata", strata)):
        if col is None:
            continue
        if col not in frame.columns:
            where = "the data" if data is not None else "the columns the fit used (pass data=)"
            raise DataError(f"{role} column '{col}' is not in {where}", column=col, param=role)
        missing = np.flatnonzero(frame[col].isna().to_numpy())
        if missing.size:
            raise DataError(
                f"{role} column '{col}' has missing values in rows the fit used",
                column=col,
                rows=ld.kept[missing],
                param=role,
            )
        codes[role] = factor_column(frame, col, role=role)[0]
    s = ld.survey
    survey = SurveyDesign(
        s.n, s.weights, codes.get("cluster", s.cluster), codes.get("strata", s.strata)
    )
    return replace(ld, survey=survey)


def refit_variance(
    fit: Any, inference: Any, cluster: str | None, strata: str | None, data: Any = None
) -> Any:
    """The fit with another variance (``inference``), its estimates kept (see
    ``ListFit.with_vcov``): the fit's own estimator (``fit.fitter_``) on its prepared data
    with the new cluster/strata columns (:func:`with_design`)."""
    ld = fit.data_
    if ld is None or fit.core_ is None or fit.fitter_ is None:
        raise UnsupportedError("this fit keeps no data to recompute its variance from")
    ld = with_design(ld, cluster, strata, data)
    return fit.fitter_(ld, fit.method, inference=inference, _core=fit.core_, **fit.options_)
