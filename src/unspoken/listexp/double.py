"""The double list experiment (Droitcour et al. 1991; Glynn 2013, POQ 77:159-172).

Every respondent answers two lists, A (outcome ``y1``) and B (``y2``). Group ``T = 1``
hears the sensitive item in list A and not in B; group ``T = 0`` the reverse. So each
respondent is in the treated group for one list and the control group for the other, and
each list gives its own difference-in-means estimate; combining them is more precise than
either alone, above all when the two lists' control counts are positively correlated.

Linear estimators (as in Jann's Stata ``listreg``, written from its documented formulas),
with ``X`` the main design and ``Z1``, ``Z2`` the short-list ("control") designs (default
``X``), all least squares with optional probability weights:

1. ``gamma_1``: regress ``y1`` on ``Z1`` where ``T = 0`` (list A is short there);
   ``gamma_2``: regress ``y2`` on ``Z2`` where ``T = 1``.
2. Residualised long-list answers: ``R = y1 - Z1 gamma_1`` where ``T = 1`` and
   ``R = y2 - Z2 gamma_2`` where ``T = 0``.
3. ``pooled`` (default): regress ``R`` on ``X`` over everyone.
   ``average``: ``beta_1`` = regression of ``R`` on ``X`` where ``T = 1`` (list A alone),
   ``beta_2`` where ``T = 0`` (list B alone); report ``(beta_1 + beta_2) / 2``.

``beta_1`` and ``beta_2`` are the two single-list estimates. The consistency test is the Wald
test of ``beta_1 = beta_2`` (all coefficients, the constant included): a systematic
difference means the lists do not measure the same thing. Variances come from influence
functions that carry the first-step estimates through (Jann 2020) and are summed by
:func:`unspoken.inference.covariance.vcov_from_influence` (robust, cluster or survey
Taylor linearisation), or by a bootstrap over respondents/clusters.

Prevalence = weighted mean of ``x_i' beta`` over all respondents; its influence adds the
sampling variation of the covariate mean (with an intercept-only model it is ``beta``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
from scipy import stats

from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.covariance import VCOV_OFFERS, SurveyDesign, resolve_vcov, survey_design
from unspoken.inference.delta import delta_cov
from unspoken.listexp._variant_common import fit_cov
from unspoken.listexp.options import DESIGN, list_inference
from unspoken.options import DEFAULT_BOOTSTRAP_REPS, Design, Missing
from unspoken.results import Estimate, FitResult

DoubleMethod = Literal["pooled", "average"]

__all__ = ["DoubleData", "double_list_experiment", "prepare_double"]


@dataclass
class DoubleData:
    y1: np.ndarray
    y2: np.ndarray
    t: np.ndarray  # 1 = sensitive item in list 1 (A), 0 = in list 2 (B)
    X: np.ndarray
    Z1: np.ndarray
    Z2: np.ndarray
    terms: list[str]
    terms_z1: list[str]
    terms_z2: list[str]
    design: SurveyDesign
    notes: list[str]
    info: dict[str, Any]

    @property
    def n(self) -> int:
        return len(self.y1)

    def subset(self, rows: np.ndarray) -> DoubleData:
        return DoubleData(
            self.y1[rows],
            self.y2[rows],
            self.t[rows],
            self.X[rows],
            self.Z1[rows],
            self.Z2[rows],
            self.terms,
            self.terms_z1,
            self.terms_z2,
            self.design.subset(rows),
            self.notes,
            self.info,
        )


def _rhs(formula: str | None) -> str:
    from unspoken.formula import split_formula

    if formula is None:
        return "1"
    lhs, rhs = split_formula(formula)
    if lhs is not None:
        raise DataError(
            f"formula '{formula}': give the right-hand side only ('~ x1 + x2'); the two "
            "outcomes are named by y1= and y2=",
            param="formula",
        )
    return rhs


def prepare_double(
    data: Any,
    y1: str,
    y2: str,
    treat: str,
    formula: str | None = None,
    controls1: str | None = None,
    controls2: str | None = None,
    long1: Any = None,
    design: Design = DESIGN,
    missing: Missing = "listwise",
) -> DoubleData:
    """Validate a double-list data set; ``long1`` is the value of ``treat`` marking the
    group whose *first* list holds the sensitive item (default: 1/True/"1"); ``design``
    names the weights, cluster and strata columns."""
    from unspoken.formula import check_full_rank, formula_columns, model_matrix
    from unspoken.io.arms import binary_column
    from unspoken.io.columns import integer_column
    from unspoken.io.frames import to_pandas
    from unspoken.io.missing import drop_missing

    df = to_pandas(data)
    if y1 == y2:
        raise DataError(
            f"y1 and y2 are the same column '{y1}': give the two lists' counts", column=y1
        )
    rx = _rhs(formula)
    r1 = rx if controls1 is None else _rhs(controls1)
    r2 = r1 if controls2 is None else _rhs(controls2)
    cols = [y1, y2, treat]
    for r in {rx, r1, r2}:
        cols += formula_columns(r, list(df.columns))
    cols += design.columns
    df, notes, _ = drop_missing(df, list(dict.fromkeys(cols)), missing, weights=design.weights)
    df = df.reset_index(drop=True)
    if long1 is None:
        t, info = binary_column(df, treat)
        g1 = info["treated"]
    else:
        # long1 is the group with the sensitive item in list 1: code the other group 0
        codes, info = binary_column(df, treat, control=long1)
        t, g1 = 1 - codes, info["control"]
    a = integer_column(df, y1, low=0, role="list 1 count").astype(float)
    b = integer_column(df, y2, low=0, role="list 2 count").astype(float)
    X = model_matrix(rx, df)
    Z1 = model_matrix(r1, df)
    Z2 = model_matrix(r2, df)
    check_full_rank(X.X[t == 1], X.names, "main design in the list-1-long group")
    check_full_rank(X.X[t == 0], X.names, "main design in the list-2-long group")
    check_full_rank(Z1.X[t == 0], Z1.names, "list-1 control design (short-list group)")
    check_full_rank(Z2.X[t == 1], Z2.names, "list-2 control design (short-list group)")
    survey = survey_design(df, **design.as_kwargs())
    info = {"y1": y1, "y2": y2, "treat": treat, "list1_long_value": g1}
    return DoubleData(a, b, t, X.X, Z1.X, Z2.X, X.names, Z1.names, Z2.names, survey, notes, info)


def _wls(X: np.ndarray, y: np.ndarray, w: np.ndarray, mask: np.ndarray):
    """WLS on rows ``mask``; returns coef and per-row influence (zero outside ``mask``)."""
    wm = w * mask
    A = (X * wm[:, None]).T @ X
    Ainv = np.linalg.inv(A)
    coef = Ainv @ (X.T @ (wm * y))
    resid = y - X @ coef
    psi = (X * (wm * resid)[:, None]) @ Ainv
    return coef, psi, Ainv


def _estimate(d: DoubleData) -> dict[str, np.ndarray]:
    """All coefficients and their influence values, in the order
    ``[pooled, average, beta1, beta2, gamma1, gamma2]``."""
    w = d.design.w
    t1, t0 = d.t == 1, d.t == 0
    g1, psi_g1, _ = _wls(d.Z1, d.y1, w, t0)
    g2, psi_g2, _ = _wls(d.Z2, d.y2, w, t1)
    R = np.where(t1, d.y1 - d.Z1 @ g1, d.y2 - d.Z2 @ g2)
    ones = np.ones(d.n, dtype=bool)

    def second(mask):
        b, psi, Ainv = _wls(d.X, R, w, mask)
        # chain rule: R depends on gamma_1 (rows t1) and gamma_2 (rows t0)
        wm = w * mask
        dg1 = -Ainv @ ((d.X * (wm * t1)[:, None]).T @ d.Z1)
        dg2 = -Ainv @ ((d.X * (wm * t0)[:, None]).T @ d.Z2)
        return b, psi + psi_g1 @ dg1.T + psi_g2 @ dg2.T

    bp, psi_p = second(ones)
    b1, psi_1 = second(t1)
    b2, psi_2 = second(t0)
    ba, psi_a = (b1 + b2) / 2, (psi_1 + psi_2) / 2
    coef = np.concatenate([bp, ba, b1, b2, g1, g2])
    psi = np.hstack([psi_p, psi_a, psi_1, psi_2, psi_g1, psi_g2])
    return {"coef": coef, "psi": psi}


def _prevalence_psi(d: DoubleData, beta: np.ndarray, psi_beta: np.ndarray):
    w = d.design.w
    W = w.sum()
    xbar = (d.X * w[:, None]).sum(0) / W
    xb = d.X @ beta
    value = float(xbar @ beta)
    psi = psi_beta @ xbar + w * (xb - value) / W
    return value, psi


def double_list_experiment(
    data: Any,
    y1: str,
    y2: str,
    treat: str,
    formula: str | None = None,
    method: DoubleMethod = "pooled",
    controls1: str | None = None,
    controls2: str | None = None,
    long1: Any = None,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    vcov: str | None = None,
    level: float = 0.95,
    bootstrap_reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: int | None = None,
    missing: Missing = "listwise",
) -> FitResult:
    """Fit a double list experiment (see the module docstring).

    ``y1``, ``y2``: the counts of list 1 and list 2; ``treat``: the group (``long1`` is the
    value whose *list 1* holds the sensitive item; default the non-control value of
    ``treat``, i.e. 1/True); ``formula``: right-hand side of the sensitive-item model
    (``"~ 1"`` by default: the prevalence); ``controls1``/``controls2``: short-list models
    (default: ``formula``). ``method``: ``"pooled"`` or ``"average"``. ``vcov``: ``"hc0"``
    (default; Stata's robust default is ``n/(n-1)`` times this), ``"hc1"``, ``"cluster"``,
    ``"survey"`` or ``"bootstrap"``; a cluster column defaults to ``"cluster"``, strata to
    ``"survey"``.

    The result's parts: ``sensitive`` (the chosen estimate), ``list1`` and ``list2`` (the
    single-list estimates), ``control1``/``control2`` (short-list models); ``cov`` is their
    joint covariance. ``extra["consistency_test"]`` holds the Wald test of
    ``list1 = list2``, ``extra["single_list"]`` the two single-list prevalences.
    """
    if method not in get_args(DoubleMethod):
        raise UnsupportedError(f"method must be 'pooled' or 'average', not {method!r}")
    offer = VCOV_OFFERS["double"]
    inference = list_inference(vcov, level, bootstrap_reps, seed, offer.kinds)
    level = inference.level
    design = Design(weights, cluster, strata)
    models = (formula, controls1, controls2, long1)
    d = prepare_double(data, y1, y2, treat, *models, design, missing)
    # the list-experiment rules (survey design defaults, no variance that ignores a given
    # cluster or strata column); least squares with influence functions: no model-based or
    # leverage-based variance, "model" means the robust hc0
    kind = resolve_vcov(
        None if inference.vcov == "model" else inference.vcov,
        d.design,
        offer.kinds,
        offer.default,
        estimator="the double list",
    )

    est = _estimate(d)
    coef, psi = est["coef"], est["psi"]
    k, k1, k2 = d.X.shape[1], d.Z1.shape[1], d.Z2.shape[1]
    # drop the block not chosen: keep [chosen, beta1, beta2, gamma1, gamma2]
    chosen = slice(0, k) if method == "pooled" else slice(k, 2 * k)
    keep = np.r_[np.arange(4 * k + k1 + k2)[chosen], 2 * k : 4 * k + k1 + k2]
    coef, psi = coef[keep], psi[:, keep]

    # prevalences (chosen, list 1, list 2) as extra influence columns
    prev_vals, prev_psi = [], []
    for j in range(3):
        v, p = _prevalence_psi(d, coef[j * k : (j + 1) * k], psi[:, j * k : (j + 1) * k])
        prev_vals.append(v)
        prev_psi.append(p)
    allpsi = np.column_stack([psi, *prev_psi])

    def refit(rows: np.ndarray) -> np.ndarray:
        dd = d.subset(rows)
        e = _estimate(dd)
        c, ps = e["coef"][keep], e["psi"][:, keep]
        pv = [
            _prevalence_psi(dd, c[j * k : (j + 1) * k], ps[:, j * k : (j + 1) * k])[0]
            for j in range(3)
        ]
        return np.concatenate([c, pv])

    theta = np.concatenate([coef, prev_vals])
    V = fit_cov(kind, theta, None, lambda: allpsi, refit, d.design, inference)
    P = len(coef)
    cov = V[:P, :P]
    Vp = V[P:, P:]

    # consistency test: beta1 = beta2
    contrast = np.zeros((k, P))
    contrast[:, k : 2 * k] = np.eye(k)
    contrast[:, 2 * k : 3 * k] = -np.eye(k)
    diff = coef[k : 2 * k] - coef[2 * k : 3 * k]
    Vd = delta_cov(contrast, cov)
    stat = float(diff @ np.linalg.solve(Vd, diff))
    pval = float(stats.chi2.sf(stat, k))

    parts = ["sensitive"] * k + ["list1"] * k + ["list2"] * k
    parts += ["control1"] * k1 + ["control2"] * k2
    terms = list(d.terms) * 3 + list(d.terms_z1) + list(d.terms_z2)
    prev = [
        Estimate.from_se(prev_vals[j], np.sqrt(max(Vp[j, j], 0.0)), level, d.n, lab)
        for j, lab in enumerate([None, "list 1 only", "list 2 only"])
    ]
    notes = list(d.notes)
    if kind == "hc0":
        notes.append(
            "variance: robust (HC0) from influence functions; Stata listreg's "
            "default multiplies it by n/(n-1)"
        )
    return FitResult(
        model=f"double list experiment, {method} estimator",
        parts=parts,
        terms=terms,
        params_=coef,
        cov=cov,
        n=d.n,
        vcov_type=kind,
        prevalence=prev[0],
        notes=notes,
        extra={
            "method": method,
            "single_list": [prev[1].to_dict(), prev[2].to_dict()],
            "consistency_test": {
                "statistic": stat,
                "df": k,
                "p_value": pval,
                "hypothesis": "list 1 and list 2 estimate the same sensitive-item model",
            },
            "prevalence_cov": Vp.tolist(),
            **d.info,
        },
        level=level,
    )
