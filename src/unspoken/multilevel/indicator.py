"""Area-level behaviour as evidence (issue 14, item 4): :func:`indicator_correlation`, the
correlation across a multilevel fit's areas of an area-level indicator (recruitment,
emigration, protest per region) with the areas' hidden share, direct share or gap.

What it estimates: Pearson's r across THESE areas between the indicator and the areas' TRUE
shares (a finite-population quantity: the areas are all there are, the indicator is known).
Its uncertainty is the estimation uncertainty of the shares, taken from joint draws of all
areas' shares (:meth:`~unspoken.multilevel.results.MultilevelListFit.area_draws`: for
``laplace`` the normal approximation on the logit scale behind the reported intervals, areas
correlated through the fixed effects; for ``bayes`` the posterior draws): r is computed for
every draw (one matrix product, no loop) and the estimate is the mean of those, the interval
their central ``level`` interval. Spearman's rank correlation the same way. The classic
Fisher-z interval ``tanh(atanh(r) ± z / sqrt(A - 3))`` answers another question (areas as a
random sample of a larger population of areas, shares known) and is reported labelled so.

Why not the correlation of the displayed estimates: model-based estimates are pulled toward
the model's prediction for their area; when the indicator is an area-level predictor that
prediction is a line in the indicator, so the estimates line up along it far more tightly
than the true shares do (in the simulation of tests/multilevel/test_indicator.py their r
was 0.09 above a true r of 0.59 on average; with three common control items, a noisier
list, 0.11 above and outside the draws' interval in 43% of the data sets). That r is kept
(``of_estimates``) for the plot's reader, not as the estimate.

The indicator must be an area-level predictor of the fit (``area_formula``) for the answer
to be unbiased: otherwise the model shrinks every area toward one common mean, the draws
carry no trace of the indicator beyond each area's own data, and r is biased toward 0 (in
200 simulated data sets with a true r of 0.58 it came out 0.19 too low on average and the
interval covered the truth in 34% of them). The result flags it (``in_model``) and its
view warns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from unspoken.errors import DataError, UnsupportedError
from unspoken.results import Estimate, check_level, z_value

if TYPE_CHECKING:
    from unspoken.multilevel.indicator_results import IndicatorCorrelation

__all__ = ["indicator_correlation"]

#: the area-effect SDs behind each quantity (a laplace fit may hold one at the boundary 0)
_SDS = {"hidden": ("sensitive",), "direct": ("direct",), "gap": ("sensitive", "direct")}
MIN_DRAWS = 100


def row_correlations(D: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Pearson's r of ``x`` with each row of ``D`` (draws x areas), vectorised."""
    Dc = D - D.mean(axis=1, keepdims=True)
    xc = x - x.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        return (Dc @ xc) / np.sqrt((Dc * Dc).sum(axis=1) * (xc @ xc))


def _from_frame(fit: Any, indicator: str) -> np.ndarray:
    """The indicator's value per area from the data the fit used (constant within area)."""
    from unspoken.io.columns import numeric_column

    frame = (fit.state or {}).get("frame")
    if frame is None or indicator not in frame.columns:
        have = [] if frame is None else [c for c in frame.columns if c != fit.area]
        raise DataError(
            f"indicator '{indicator}' is not a column the fit used "
            f"({have}): give area_data= (a table with "
            f"one row per '{fit.area}' holding it), or fit with area_formula='~ {indicator}'",
            column=indicator,
            param="indicator",
        )
    values = numeric_column(frame, indicator, role="indicator")
    keys = frame[fit.area].to_numpy()
    by_area = pd.Series(values).groupby(keys)
    varies = (by_area.transform("max") > by_area.transform("min")).to_numpy()
    if varies.any():
        label = keys[np.flatnonzero(varies)[0]]
        raise DataError(
            f"indicator '{indicator}' is not constant within area {_py(label)!r} of column "
            f"'{fit.area}' (rows of the data the fit used): an area-level indicator takes one "
            "value per area; give area_data= with one row per area",
            column=indicator,
            rows=np.flatnonzero(keys == label),
            param="indicator",
        )
    return by_area.first().reindex([a.area for a in fit.areas]).to_numpy(dtype=float)


def _py(x: Any) -> Any:
    """A numpy scalar as the Python value (for messages)."""
    return x.item() if isinstance(x, np.generic) else x


def _from_area_data(fit: Any, indicator: str, area_data: Any, notes: list[str]) -> np.ndarray:
    """The indicator's value per area from ``area_data`` (one row per area, keyed by the
    fit's area column); areas it has beyond the fit's are ignored and named in ``notes``."""
    from unspoken.io.columns import numeric_column
    from unspoken.io.frames import require_columns, to_pandas
    from unspoken.io.readers import read_data
    from unspoken.multilevel.data import join_area_data

    path = isinstance(area_data, str) or hasattr(area_data, "__fspath__")
    ad = read_data(area_data) if path else to_pandas(area_data, copy=False)
    require_columns(ad, [fit.area], role="area (the key of area_data)")
    require_columns(ad, [indicator], role="indicator")
    labels = [str(a.area) for a in fit.areas]
    # one row per area and a row for every area of the fit (errors name the areas and rows)
    join_area_data(pd.DataFrame({fit.area: labels}), fit.area, ad[[fit.area]])
    values = numeric_column(ad, indicator, role="indicator", allow_missing=True)
    keys = ad[fit.area].astype(str)
    pos = pd.Index(keys).get_indexer(labels)
    missing = pos[np.isnan(values[pos])]
    if len(missing):
        raise DataError(
            f"area_data column '{indicator}' (the indicator) is missing for area(s) "
            f"{keys.iloc[missing].tolist()[:10]}",
            column=indicator,
            rows=missing,
        )
    extra = sorted(set(keys) - set(labels))
    if extra:
        more = " ..." if len(extra) > 10 else ""
        notes.append(
            f"{len(extra)} area(s) of area_data are not in the fit and are ignored: "
            f"{', '.join(extra[:10])}{more}"
        )
    return values[pos]


def _check_args(draws: Any, seed: Any, indicator: Any) -> int:
    if not isinstance(indicator, str):
        raise UnsupportedError(
            f"indicator must name a column (e.g. indicator='protest'), not {indicator!r}",
            param="indicator",
        )
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < MIN_DRAWS:
        raise UnsupportedError(
            f"draws must be a whole number of at least {MIN_DRAWS} (the interval is a "
            f"quantile of the draws), not {draws!r}",
            param="draws",
        )
    if seed is None:
        return int(np.random.SeedSequence().entropy % 2**32)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UnsupportedError(f"seed must be a whole number >= 0, not {seed!r}", param="seed")
    return int(seed)


def indicator_correlation(
    fit: Any,
    indicator: str,
    *,
    area_data: Any = None,
    quantity: str = "hidden",
    draws: int = 4000,
    seed: int | None = 0,
    level: float | None = None,
) -> IndicatorCorrelation:
    """Correlation across a multilevel fit's areas of an area-level ``indicator`` with the
    areas' true ``quantity`` ("hidden" share, "direct" share or "gap" = hidden - direct).

    ``indicator`` names a column of ``area_data`` (a frame, or a CSV/Parquet path, with one
    row per area keyed by the fit's area column; areas beyond the fit's are ignored) or,
    without ``area_data``, a column of the data the fit used that is constant within each
    area. The estimate is the mean over ``draws`` joint draws of the areas' shares (``seed``)
    of Pearson's r across these areas; the interval is the central ``level`` interval of
    those draws: the uncertainty of the estimated shares, not of sampling areas (see the
    module docstring). Also Spearman's rank correlation the same way, and the classic Fisher-z
    interval that treats the areas as a random sample (labelled as such).

    Fit the indicator as an area-level predictor (``area_formula='~ indicator'``): without
    it the model pulls every area toward one common mean and r is biased toward 0 (flagged
    by ``in_model`` and warned about in the report). Returns
    :class:`~unspoken.multilevel.indicator_results.IndicatorCorrelation`.
    """
    from unspoken.multilevel.indicator_results import AreaIndicator, IndicatorCorrelation

    if not hasattr(fit, "area_draws") or not hasattr(fit, "areas"):
        raise UnsupportedError(
            "indicator_correlation takes a multilevel fit (unspoken.multilevel_list), not "
            f"{type(fit).__name__}",
            param="fit",
        )
    seed = _check_args(draws, seed, indicator)
    level = fit.level if level is None else check_level(level)
    D = fit.area_draws(int(draws), seed, quantity)  # checks the quantity
    A = len(fit.areas)
    if A < 3:
        raise UnsupportedError(
            f"a correlation across areas needs at least 3 areas; the fit has {A}", param="fit"
        )
    notes: list[str] = []
    if area_data is None:
        x = _from_frame(fit, indicator)
    else:
        x = _from_area_data(fit, indicator, area_data, notes)
    if np.ptp(x) == 0:
        raise DataError(
            f"indicator '{indicator}' takes the same value ({x[0]:g}) in every area of the "
            "fit: it cannot correlate with anything",
            column=indicator,
        )
    attr = {"hidden": "estimate", "direct": "direct", "gap": "gap"}[quantity]
    ests = [getattr(a, attr) for a in fit.areas]
    est = np.array([e.estimate for e in ests])
    r = row_correlations(D, x)
    ranks = np.argsort(np.argsort(D, axis=1), axis=1).astype(float)  # draws: no ties
    s = row_correlations(ranks, _ranks(x))
    pearson, spearman = (Estimate.from_draws(v, level, A) for v in (r, s))
    slope, intercept = np.polyfit(x, est, 1)
    in_model = indicator in (fit.state or {}).get("area_columns", [])
    sd_at_zero = fit.method != "bayes" and any(
        e is not None and e.estimate == 0 and not np.isfinite(e.std_error)
        for e in (fit.sd.get(k) for k in _SDS[quantity])
    )
    return IndicatorCorrelation(
        indicator=indicator,
        quantity=quantity,
        area=fit.area,
        areas=[
            AreaIndicator(a.area, float(v), e, int(a.n))
            for a, v, e in zip(fit.areas, x, ests, strict=True)
        ],
        pearson=pearson,
        spearman=spearman,
        fisher=_fisher(pearson.estimate, A, level),
        of_estimates=float(np.corrcoef(x, est)[0, 1]),
        line=(float(intercept), float(slope)),
        draws=int(draws),
        seed=seed,
        method=fit.method,
        in_model=bool(in_model),
        sd_at_zero=bool(sd_at_zero),
        level=level,
        notes=notes,
    )


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (as Spearman's rank correlation takes them)."""
    return pd.Series(x).rank(method="average").to_numpy(dtype=float)


def _fisher(r: float, A: int, level: float) -> Estimate | None:
    """``r`` with the Fisher-z interval of a sample correlation of ``A`` areas."""
    if A < 4:
        return None
    z, se = float(np.arctanh(np.clip(r, -1 + 1e-12, 1 - 1e-12))), 1 / np.sqrt(A - 3)
    h = z_value(level) * se
    return Estimate(r, float((1 - r * r) * se), float(np.tanh(z - h)), float(np.tanh(z + h)), A,
                    level=level)  # fmt: skip
