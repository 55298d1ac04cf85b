"""Poststratification of a multilevel list fit: :func:`poststratify` (issue 14, item 3).

Given a population table of cells (area x demographic cells, with a count ``N_c``), each
area's poststratified hidden share is ``sum_c N_c E[expit(x_c' delta + u_a)] / sum_c N_c``
(with a direct question likewise the said share with ``x_c' gamma + w_a``, and the gap),
the expectation over the area's effects taken with the fit's own adapted quadrature nodes
and posterior node weights (:meth:`~unspoken.multilevel.model.MultilevelListModel.
node_weights`): the empirical-Bayes construction of the fit's area shares with the
population's cells in place of the area's respondents. An area the survey did not have has
no data on its effects: its expectation is over their distribution (mean 0, the model's
prediction for an unsurveyed area), on the same Gauss–Hermite points. These moments given
theta are integrated over theta's approximate posterior at the cubature points of
:func:`~unspoken.multilevel.estimates.over_theta`, as the fit's own area estimates; share
intervals are Wald intervals on the logit scale, gap intervals on the share scale. The
national share pools all cells; given theta the areas' effects are independent, so its
conditional variance is ``sum_a (N_a/N)^2 Var_a``. A ``method="bayes"`` fit is
poststratified draw by draw (an unsurveyed area's effects drawn from their distribution
given the draw's SDs).
"""

from __future__ import annotations

from dataclasses import dataclass
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


def _check_levels(pop: pd.DataFrame, survey: pd.DataFrame, cols: list[str], rhs: str) -> list[str]:
    """Refuse population levels the survey never had; return notes naming the survey's
    levels that the population table lacks (people the table says do not exist)."""
    from unspoken.formula import _categories

    cats = _categories(rhs)
    notes: list[str] = []
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
            lacking = sorted(seen - set(pop[c].astype(str)))
            if lacking:
                notes.append(
                    f"the population table has no cell with {c} = {', '.join(lacking)}, "
                    "which the survey has: such people get no weight (is the table complete?)"
                )
    return notes


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
    from unspoken.multilevel.results import MultilevelListFit, PoststratifiedArea, PoststratifiedFit

    if not isinstance(fit, MultilevelListFit) or fit.state is None:
        raise UnsupportedError(
            f"poststratify takes a multilevel list fit (unspoken.multilevel_list), not "
            f"{type(fit).__name__}",
            param="fit",
        )
    level = fit.level if level is None else check_level(level)
    st = fit.state
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
    level_notes = _check_levels(pop, survey, ind_cols, design.rhs)
    labels = [str(a) for a in st["labels"]]
    keys = pop[area].astype(str).to_numpy()
    pop_areas = list(dict.fromkeys(keys))
    notes: list[str] = list(level_notes)
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
    Na = np.add.reduceat(N, starts)
    share = Na / Na.sum()
    cells = Cells(X, N, code, starts, idx, Na, share)
    bayes = fit.method == "bayes"
    est = _bayes_estimates(fit, cells, level) if bayes else _laplace_estimates(fit, cells, level)
    n_resp = dict(zip(labels, (a.n for a in fit.areas), strict=True))
    areas = [
        PoststratifiedArea(
            pop_areas[a],
            est["hidden"][0][a],
            float(Na[a]),
            int(n_resp.get(pop_areas[a], 0)),
            est["direct"][0][a] if "direct" in est else None,
            est["gap"][0][a] if "gap" in est else None,
        )
        for a in range(P)
    ]
    national = est["hidden"][1]
    return PoststratifiedFit(
        areas,
        national,
        area,
        count,
        float(Na.sum()),
        level,
        notes,
        national_direct=est["direct"][1] if "direct" in est else None,
        national_gap=est["gap"][1] if "gap" in est else None,
        method=fit.method,
    )


@dataclass(frozen=True)
class Cells:
    """The population cells sorted by area: covariates ``X``, counts ``N``, area ``code``
    (0..P-1) and each area's first cell ``starts``; ``idx`` the fit's index of each
    population area (-1: not surveyed), ``Na`` the areas' populations, ``share`` their
    share of the total."""

    X: np.ndarray
    N: np.ndarray
    code: np.ndarray
    starts: np.ndarray
    idx: np.ndarray
    Na: np.ndarray
    share: np.ndarray

    def area_means(self, eta: np.ndarray) -> np.ndarray:
        """Count-weighted mean of ``expit(eta)`` over each area's cells (cells on the first
        axis)."""
        w = self.N.reshape((-1,) + (1,) * (eta.ndim - 1))
        return np.add.reduceat(w * expit(eta), self.starts, axis=0) / self.Na.reshape(
            (-1,) + (1,) * (eta.ndim - 1)
        )


def _laplace_estimates(fit: Any, c: Cells, level: float) -> dict[str, tuple]:
    """Per quantity: the areas' estimates and the national one, from the moments given
    theta integrated over theta's approximate posterior (:func:`~unspoken.multilevel.
    estimates.over_theta`, as the fit's own area estimates)."""
    from unspoken.multilevel.estimates import logit_interval, over_theta, total_moments

    st = fit.state
    model = st["model"]
    prior_w = np.exp(model.logw - 0.5 * (model.z**2).sum(1))
    prior_w = prior_w / prior_w.sum()
    surveyed = c.idx >= 0
    which = [SENSITIVE, DIRECT] if model.has_direct else [SENSITIVE]
    qs = ("hidden", "direct") if model.has_direct else ("hidden",)

    def conditional(full: np.ndarray, nodes: Any) -> dict[str, np.ndarray]:
        pi = model.node_weights(full, nodes)[1]
        W = np.where(surveyed[:, None], pi[np.maximum(c.idx, 0)], prior_w[None, :])
        B = np.where(surveyed[:, None, None], nodes.b[np.maximum(c.idx, 0)], model.z[None])
        etas = model.index_at(full, c.X, B[c.code], which=which)  # (cells, K) each
        return share_moments(dict(zip(qs, map(c.area_means, etas), strict=True)), W)

    at, pts = over_theta(conditional, model, st["nodes"], st["theta"], st["free"], st["cov"])
    sq = c.share**2  # given theta the areas' effects are independent
    z = z_value(level)
    out: dict[str, tuple[list[Estimate], Estimate]] = {}
    for q in qs:
        mom = np.stack([p[q] for p in pts])
        m, v = total_moments(at[q][0], mom[:, 0], mom[:, 1])
        lm, lv = total_moments(at[q][2], mom[:, 2], mom[:, 3])
        nm, nv = total_moments(at[q][0] @ c.share, mom[:, 0] @ c.share, mom[:, 1] @ sq)
        nse = float(np.sqrt(nv))
        lse = nse / (nm * (1 - nm))  # the national interval on the logit scale (delta)
        nat = Estimate(float(nm), nse, float(expit(logit(nm) - z * lse)),
                       float(expit(logit(nm) + z * lse)), level=level)  # fmt: skip
        out[q] = (logit_interval(m, lm, lv, v, level), nat)
    if model.has_direct:
        g = np.stack([p["gap"] for p in pts])
        gm, gv = total_moments(at["gap"][0], g[:, 0], g[:, 1])
        ngm, ngv = total_moments(at["gap"][0] @ c.share, g[:, 0] @ c.share, g[:, 1] @ sq)
        out["gap"] = (
            [Estimate.from_se(x, np.sqrt(y), level) for x, y in zip(gm, gv, strict=True)],
            Estimate.from_se(ngm, np.sqrt(ngv), level),
        )
    return out


def _bayes_estimates(fit: Any, c: Cells, level: float, block: int = 500) -> dict[str, tuple]:
    """The same from the posterior draws: each draw's cell shares (an unsurveyed area's
    effects drawn from their distribution given the draw's SDs), then the draws' mean, SD
    and central credible interval."""
    post = fit.state["posterior"]
    flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in post.samples.items()}
    S = flat["delta"].shape[0]
    rng = np.random.default_rng(post.seed)
    surveyed = c.idx >= 0
    b = flat["b"][:, np.maximum(c.idx, 0)]  # (S, P, m)
    b = np.where(surveyed[None, :, None], b, rng.standard_normal(b.shape))
    col = fit.state.get("slope_col")
    draws: dict[str, list[np.ndarray]] = {"hidden": [], "direct": []}
    for s0 in range(0, S, block):  # blocks of draws, bounded memory
        sl = slice(s0, s0 + block)
        bb = b[sl][:, c.code]  # (s, cells, m)
        u = flat["sigma_u"][sl, None] * bb[..., 0]
        if col is not None:
            u = u + c.X[:, col] * flat["sigma_s"][sl, None] * bb[..., 2]
        eta = flat["delta"][sl] @ c.X.T + u  # (s, cells)
        draws["hidden"].append(c.area_means(eta.T).T)
        if "gamma" in flat:
            w = flat["l_ww"][sl, None] * bb[..., -1]
            if "l_wu" in flat:
                w = w + flat["l_wu"][sl, None] * bb[..., 0]
            draws["direct"].append(c.area_means((flat["gamma"][sl] @ c.X.T + w).T).T)
    out: dict[str, tuple[list[Estimate], Estimate]] = {}
    for q, parts in draws.items():
        if parts:
            d = np.concatenate(parts)  # (S, P)
            out[q] = ([Estimate.from_draws(d[:, a], level) for a in range(d.shape[1])],
                      Estimate.from_draws(d @ c.share, level))  # fmt: skip
    if "direct" in out:
        g = np.concatenate(draws["hidden"]) - np.concatenate(draws["direct"])
        out["gap"] = ([Estimate.from_draws(g[:, a], level) for a in range(g.shape[1])],
                      Estimate.from_draws(g @ c.share, level))  # fmt: skip
    return out
