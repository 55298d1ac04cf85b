"""Poststratification of a multilevel list fit: :func:`poststratify` (issue 14, item 3).

Given a population table of cells (area x demographic cells, with a count ``N_c``), each
area's poststratified hidden share is ``sum_c N_c E[expit(x_c' delta + u_a)] / sum_c N_c``,
the expectation over the area's random intercept ``u_a = sigma_u b_a1`` taken with the fit's
own adapted quadrature nodes and posterior node weights (:meth:`~unspoken.multilevel.model.
MultilevelListModel.node_weights`): the empirical-Bayes construction of the fit's area shares
with the population's cells in place of the area's respondents. An area the survey did not
have has no data on its intercept: its expectation is over the prior ``N(0, sigma_u^2)``
(mean 0, the model's prediction for an unsurveyed area), on the same Gauss–Hermite points.
The variance is the posterior variance plus the delta-method variance from the fixed effects
and SDs (central differences with the nodes held fixed), intervals Wald on the logit scale,
as for the fit's area shares. The national share pools all cells; given theta the areas'
intercepts are independent, so its posterior variance is ``sum_a (N_a/N)^2 Var_a``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from unspoken.errors import DataError, UnsupportedError
from unspoken.multilevel.model import DIRECT, SENSITIVE, share_moments
from unspoken.results import Estimate, check_level, z_value

if TYPE_CHECKING:
    from unspoken.multilevel.results import PoststratifiedFit

__all__ = ["poststratify"]


def _rows_error(msg: str, column: str, rows: np.ndarray) -> DataError:
    shown = ", ".join(str(int(r) + 1) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
    return DataError(f"{msg} (row(s) {shown})", column=column, rows=rows)


def _read(population: Any) -> pd.DataFrame:
    from unspoken.io.frames import to_pandas
    from unspoken.io.readers import read_data

    if isinstance(population, str) or hasattr(population, "__fspath__"):
        return read_data(population)
    return to_pandas(population)  # a copy: the user's frame is never modified


def _check_counts(pop: pd.DataFrame, count: str) -> np.ndarray:
    raw = pop[count]
    N = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(N) | (N < 0))
    if len(bad):
        raise _rows_error(
            f"population column '{count}' (the cell counts) must hold non-negative numbers; "
            f"{len(bad)} value(s) are negative, missing or not numbers, e.g. {raw.iloc[bad[0]]!r}",
            count,
            bad,
        )
    return N


def _check_levels(pop: pd.DataFrame, survey: pd.DataFrame, cols: list[str], rhs: str) -> None:
    from unspoken.formula import _categories

    cats = _categories(rhs)
    for c in cols:
        miss = np.flatnonzero(pop[c].isna().to_numpy())
        if len(miss):
            raise _rows_error(f"population column '{c}' has missing values", c, miss)
        if c in cats or not pd.api.types.is_numeric_dtype(survey[c]):
            seen = set(survey[c].astype(str))
            new = ~pop[c].astype(str).isin(seen).to_numpy()
            if new.any():
                levels = sorted(set(pop[c].astype(str)[new]))
                raise _rows_error(
                    f"population column '{c}' has level(s) the model never saw in the survey: "
                    f"{levels}; recode them to the survey's levels {sorted(seen)}",
                    c,
                    np.flatnonzero(new),
                )


def _area_values(pop, survey, area, area_cols, keys, surveyed):
    """Area-level predictor values per population row: the fit's area data for surveyed
    areas, the population's own columns for the others (refused when absent)."""
    out = pd.DataFrame(index=pop.index)
    if not area_cols:
        return out
    per_area = survey.groupby(survey[area].astype(str), sort=False)[area_cols].first()
    new = ~np.isin(keys, list(surveyed))
    for c in area_cols:
        vals = pd.Series(keys, index=pop.index).map(per_area[c])
        if new.any():
            if c not in pop.columns or pop[c][new].isna().any():
                missing = sorted(
                    set(keys[new])
                    if c not in pop.columns
                    else set(keys[new & pop[c].isna().to_numpy()])
                )
                raise DataError(
                    f"area-level predictor '{c}' is needed for the area(s) {missing} that the "
                    "survey did not have: add the column with their values to the population "
                    "table",
                    column=c,
                    rows=np.flatnonzero(np.isin(keys, missing)),
                )
            vals[new] = pop[c][new]
        out[c] = vals.to_numpy()
    return out


def poststratify(
    fit: Any, population: Any, count: str = "count", level: float | None = None
) -> PoststratifiedFit:
    """Poststratified hidden share per area and nationally from a multilevel list fit.

    ``population``: a data frame, or a CSV/Parquet path, with the fit's area column, its
    individual-level covariate columns and ``count`` (the number of people in each cell).
    Area-level predictors come from the fit's data (from the table only for areas the survey
    did not have). Returns a :class:`~unspoken.multilevel.results.PoststratifiedFit`.
    """
    from unspoken.inference.delta import delta_var_rows, numeric_jacobian
    from unspoken.multilevel.results import MultilevelListFit, PoststratifiedArea, PoststratifiedFit

    if not isinstance(fit, MultilevelListFit) or fit.state is None:
        raise UnsupportedError(
            f"poststratify takes a multilevel list fit (unspoken.multilevel_list), not "
            f"{type(fit).__name__}",
            param="fit",
        )
    level = fit.level if level is None else check_level(level)
    st = fit.state
    model, nodes, theta, free = st["model"], st["nodes"], st["theta"], st["free"]
    survey, design, area, area_cols = st["frame"], st["design"], fit.area, st["area_columns"]
    pop = _read(population)
    if not isinstance(count, str):
        raise UnsupportedError(
            f"count must name the column of cell counts, not {count!r}", param="count"
        )
    ind_cols = [c for c in design.columns if c not in area_cols]
    missing = [c for c in [area, *ind_cols, count] if c not in pop.columns]
    if missing:
        raise DataError(
            f"the population table lacks the column(s) {missing} (needed: the area column "
            f"'{area}', the model's covariates {ind_cols} and the counts '{count}')",
            column=missing[0],
        )
    N = _check_counts(pop, count)
    amiss = np.flatnonzero(pop[area].isna().to_numpy())
    if len(amiss):
        raise _rows_error(f"population column '{area}' has missing areas", area, amiss)
    _check_levels(pop, survey, ind_cols, design.rhs)
    labels = [str(a) for a in st["labels"]]
    keys = pop[area].astype(str).to_numpy()
    pop_areas = list(dict.fromkeys(keys))
    notes: list[str] = []
    unsurveyed = [a for a in pop_areas if a not in set(labels)]
    absent = [a for a in labels if a not in set(pop_areas)]
    cells = pd.concat(
        [
            pop[ind_cols].reset_index(drop=True),
            _area_values(pop, survey, area, area_cols, keys, labels).reset_index(drop=True),
        ],
        axis=1,
    )
    X = design.on(cells)
    sizes = pd.Series(N).groupby(keys, sort=False).sum()
    empty = [a for a in pop_areas if sizes[a] <= 0]
    if empty:
        raise DataError(f"the population counts of area(s) {empty} sum to 0", column=count)
    if unsurveyed:
        notes.append(
            f"{len(unsurveyed)} area(s) of the population were not in the survey "
            f"({', '.join(unsurveyed[:10])}{' ...' if len(unsurveyed) > 10 else ''}): their "
            "random intercept has no data and is taken from its distribution (mean 0, the "
            "model's prediction for an unsurveyed area), so their intervals are wide"
        )
    if absent:
        notes.append(
            f"{len(absent)} surveyed area(s) are not in the population table and get no "
            f"poststratified estimate: {', '.join(absent[:10])}{' ...' if len(absent) > 10 else ''}"
        )
    # cells sorted by population area; each area's node points and weights
    P = len(pop_areas)
    code = pd.Index(pop_areas).get_indexer(keys)
    order = np.argsort(code, kind="stable")
    code, X, N = code[order], X[order], N[order]
    starts = np.searchsorted(code, np.arange(P))
    idx = pd.Index(labels).get_indexer(pop_areas)  # -1: unsurveyed
    prior_w = np.exp(model.logw - 0.5 * (model.z**2).sum(1))
    prior_w = prior_w / prior_w.sum()
    B = np.where(
        idx[:, None, None] >= 0, nodes.b[np.maximum(idx, 0)], model.z[None, :, :]
    )  # (areas, K, D)
    Na = np.add.reduceat(N, starts)
    qs = ("hidden", "direct") if model.has_direct else ("hidden",)
    which = [SENSITIVE, DIRECT] if model.has_direct else [SENSITIVE]

    def moments(th_free: np.ndarray) -> dict[str, np.ndarray]:
        full = theta.copy()
        full[free] = th_free
        pi = model.node_weights(full, nodes)[1]
        W = np.where(idx[:, None] >= 0, pi[np.maximum(idx, 0)], prior_w[None, :])
        etas = model.index_at(full, X, B[code], which=which)  # (cells, K) each
        s = {
            q: np.add.reduceat(N[:, None] * expit(e), starts, axis=0) / Na[:, None]
            for q, e in zip(qs, etas, strict=True)
        }
        return share_moments(s, W)

    share = Na / Na.sum()

    def means(th_free: np.ndarray) -> np.ndarray:
        m = moments(th_free)
        return np.concatenate([v for q in qs for v in (m[q][0], m[q][2], [share @ m[q][0]])])

    mom = moments(theta[free])
    G = numeric_jacobian(means, theta[free])
    z = z_value(level)
    est, nat = {}, {}
    for i, q in enumerate(qs):
        Gq = G[i * (2 * P + 1) : (i + 1) * (2 * P + 1)]
        dvar = np.maximum(delta_var_rows(Gq, st["cov"]), 0)
        m, v, ml, vl = mom[q]
        se = np.sqrt(v + dvar[:P])
        half = z * np.sqrt(vl + dvar[P : 2 * P])
        lo, hi = expit(ml - half), expit(ml + half)
        est[q] = [Estimate(float(m[a]), float(se[a]), float(lo[a]), float(hi[a]), level=level)
                  for a in range(P)]  # fmt: skip
        # the national share pools all cells; given theta the areas' effects are independent
        nv = float(share @ m)
        nse = float(np.sqrt(share**2 @ v + dvar[-1]))
        lse = nse / (nv * (1 - nv))
        nat[q] = Estimate(nv, nse, float(expit(logit(nv) - z * lse)),
                          float(expit(logit(nv) + z * lse)), level=level)  # fmt: skip
    gaps: list[Estimate | None] = [None] * P
    nat_gap = None
    if model.has_direct:
        Gg = G[: 2 * P + 1] - G[2 * P + 1 :]
        dvar = np.maximum(delta_var_rows(Gg, st["cov"]), 0)
        gm, gv = mom["gap"]
        gse = np.sqrt(gv + dvar[:P])
        gaps = [Estimate(float(gm[a]), float(gse[a]), float(gm[a] - z * gse[a]),
                         float(gm[a] + z * gse[a]), level=level) for a in range(P)]  # fmt: skip
        ng = float(share @ gm)
        ngse = float(np.sqrt(share**2 @ gv + dvar[-1]))
        nat_gap = Estimate(ng, ngse, ng - z * ngse, ng + z * ngse, level=level)
    n_resp = dict(zip(labels, (a.n for a in fit.areas), strict=True))
    areas = [
        PoststratifiedArea(
            pop_areas[a],
            est["hidden"][a],
            float(Na[a]),
            int(n_resp.get(pop_areas[a], 0)),
            est["direct"][a] if model.has_direct else None,
            gaps[a],
        )
        for a in range(P)
    ]
    national = nat["hidden"]
    return PoststratifiedFit(
        areas,
        national,
        area,
        count,
        float(Na.sum()),
        level,
        notes,
        national_direct=nat.get("direct"),
        national_gap=nat_gap,
    )
