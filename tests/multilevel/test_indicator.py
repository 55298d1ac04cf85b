"""indicator_correlation (issue 14, item 4): the correlation across a multilevel fit's areas
of an area-level indicator with the areas' hidden share.

Definition checks (the estimate is the mean of numpy's Pearson r over the fit's joint draws,
the interval their quantiles; Spearman is scipy's per draw; Fisher z by its formula), the
two ways of giving the indicator, the flags, bad input, and a slow simulation: 200 data sets
whose areas' true hidden shares depend on the indicator (strongly, and not at all), where
the interval must cover the true correlation across the areas of their true shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import spearmanr

import unspoken
from unspoken.errors import DataError, UnsupportedError
from unspoken.multilevel.indicator import indicator_correlation

# the regime of tests/multilevel/test_multilevel_simulation.py (J = 2 rare control items)
D0, SD_U, PSI0, SD_V, J = -0.5, 0.8, -2.0, 0.3, 2


def simulate(rng: np.random.Generator, areas: int, slope: float, lo: int = 10, hi: int = 100):
    """A list experiment over ``areas`` areas of ``lo``-``hi`` respondents whose true hidden
    share is ``expit(D0 + slope * x_a + u_a)``; returns (data, x, true shares)."""
    sizes = rng.integers(lo, hi + 1, areas)
    area = np.repeat(np.arange(areas), sizes)
    x = rng.normal(size=areas)
    u, v = rng.normal(0, SD_U, areas), rng.normal(0, SD_V, areas)
    p = expit(D0 + slope * x + u)
    t = rng.integers(0, 2, len(area))
    z = rng.random(len(area)) < p[area]
    c = rng.binomial(J, expit(PSI0 + v[area]))
    df = pd.DataFrame({"y": c + t * z, "t": t, "area": area, "x": x[area]})
    return df, x, p


@pytest.fixture(scope="module")
def case():
    df, x, _p = simulate(np.random.default_rng(5), 30, 0.8, 40, 120)
    fit = unspoken.multilevel_list(df, "y ~ 1", "t", J=J, area="area", area_formula="~ x", min_n=1)
    return df, x, fit


def test_estimate_and_interval_are_numpys_correlation_over_the_draws(case) -> None:
    _df, x, fit = case
    ic = indicator_correlation(fit, "x", draws=500, seed=3, level=0.9)
    D = fit.area_draws(500, 3)
    r = np.array([np.corrcoef(x, d)[0, 1] for d in D])
    s = np.array([spearmanr(x, d)[0] for d in D])
    assert ic.pearson.estimate == pytest.approx(r.mean(), abs=1e-12)
    assert ic.pearson.std_error == pytest.approx(r.std(ddof=1), abs=1e-12)
    assert (ic.pearson.ci_low, ic.pearson.ci_high) == pytest.approx(
        tuple(np.quantile(r, [0.05, 0.95])), abs=1e-12
    )
    assert ic.spearman.estimate == pytest.approx(s.mean(), abs=1e-12)
    assert (ic.spearman.ci_low, ic.spearman.ci_high) == pytest.approx(
        tuple(np.quantile(s, [0.05, 0.95])), abs=1e-12
    )
    est = np.array([a.estimate.estimate for a in fit.areas])
    assert ic.of_estimates == pytest.approx(np.corrcoef(x, est)[0, 1], abs=1e-12)
    assert ic.line == pytest.approx(tuple(np.polyfit(x, est, 1)[::-1]), abs=1e-12)
    # Fisher z: tanh(atanh(r) -+ z_0.95 / sqrt(A - 3)), A = 30 areas
    h = 1.6448536269514722 / np.sqrt(27)
    zr = np.arctanh(r.mean())
    assert (ic.fisher.ci_low, ic.fisher.ci_high) == pytest.approx(
        (np.tanh(zr - h), np.tanh(zr + h)), abs=1e-12
    )
    assert [a.value for a in ic.areas] == pytest.approx(x, abs=0)
    assert ic.in_model and not ic.sd_at_zero and ic.pearson.n == 30


def test_area_data_frame_path_and_fit_columns_agree(case, tmp_path) -> None:
    _df, x, fit = case
    own = indicator_correlation(fit, "x")
    table = pd.DataFrame({"area": np.r_[np.arange(30)[::-1], 99], "x": np.r_[x[::-1], 5.0]})
    before = table.copy()
    other = indicator_correlation(fit, "x", area_data=table)
    pd.testing.assert_frame_equal(table, before)  # the user's frame is not modified
    table.to_csv(tmp_path / "areas.csv", index=False)
    from_file = fit.indicator("x", area_data=tmp_path / "areas.csv")
    for res in (other, from_file):
        assert res.pearson == own.pearson and res.spearman == own.spearman
        assert res.notes == ["1 area(s) of area_data are not in the fit and are ignored: 99"]
    assert own.notes == []


def test_result_vocabulary_and_views(case, tmp_path) -> None:
    _df, _x, fit = case
    ic = fit.indicator("x")
    t = ic.tidy()
    assert list(t["part"]).count("area") == 30
    assert list(t.loc[t["part"] == "correlation", "term"]) == [
        "pearson",
        "spearman",
        "pearson (Fisher z)",
    ]
    d = ic.to_dict()
    assert d["pearson"]["estimate"] == ic.pearson.estimate and len(d["areas"]) == 30
    text = ic.summary()
    assert f"r = {ic.pearson.estimate:.2f}" in text and "Fisher-z" in text
    assert "Warning" not in text
    html = ic._repr_html_()
    assert f"r = {ic.pearson.estimate:.2f}" in html and "Fisher-z" in html
    fig = ic.plot(tmp_path / "ic.png")
    assert fig.axes[0].get_title().startswith(f"r = {ic.pearson.estimate:.2f} (95% CI")
    assert (tmp_path / "ic.png").stat().st_size > 1000


def test_indicator_outside_the_model_and_sd_at_zero_are_flagged(case) -> None:
    df, x, _fit = case
    plain = unspoken.multilevel_list(df, "y ~ 1", "t", J=J, area="area", min_n=1)
    ic = indicator_correlation(plain, "x", area_data=pd.DataFrame({"area": range(30), "x": x}))
    assert not ic.in_model
    assert "not an area-level predictor" in ic.summary()
    fixed = unspoken.multilevel_list(
        df, "y ~ 1", "t", J=J, area="area", area_formula="~ x", random_effects=False
    )
    ic0 = indicator_correlation(fixed, "x")
    assert ic0.sd_at_zero and "estimated at 0" in ic0.summary()


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "match"),
    [
        (None, {"indicator": "nope"}, DataError, "'nope' is not a column the fit used"),
        (None, {"indicator": 3}, UnsupportedError, "indicator must name a column"),
        (None, {"draws": 10}, UnsupportedError, "draws must be"),
        (None, {"seed": -1}, UnsupportedError, "seed must be"),
        (None, {"level": 95}, UnsupportedError, "level"),
        (None, {"quantity": "direct"}, UnsupportedError, "needs a fit with a direct question"),
        (None, {"quantity": "said"}, UnsupportedError, "quantity must be one of"),
        ("missing_area", {}, DataError, r"no row for area\(s\) \['4'\]"),
        ("duplicate", {}, DataError, r"more than one row for area\(s\) \['2'\]"),
        ("text", {}, DataError, "must be numeric"),
        ("nan", {}, DataError, r"missing for area\(s\) \['7'\]"),
        ("constant", {}, DataError, "same value"),
        ("no_key", {}, DataError, "'area'"),
    ],
)
def test_bad_input_is_named(case, change, kwargs, error, match) -> None:
    _df, x, fit = case
    table = pd.DataFrame({"area": range(30), "x": x})
    if change == "missing_area":
        table = table[table["area"] != 4]
    elif change == "duplicate":
        table = pd.concat([table, table.iloc[[2]]], ignore_index=True)
    elif change == "text":
        table["x"] = table["x"].astype(object)
        table.loc[5, "x"] = "high"
    elif change == "nan":
        table.loc[7, "x"] = np.nan
    elif change == "constant":
        table["x"] = 1.0
    elif change == "no_key":
        table = table.rename(columns={"area": "region"})
    args = {"indicator": "x", **kwargs}
    if change is not None:
        args["area_data"] = table
    with pytest.raises(error, match=match) as info:
        indicator_correlation(fit, **args)
    if change in ("duplicate", "text", "nan"):
        assert info.value.rows  # the rows of area_data are named


def test_indicator_varying_within_an_area_is_refused() -> None:
    df, _x, _ = simulate(np.random.default_rng(8), 12, 0.5, 30, 60)
    df["w"] = df["x"]
    df.loc[df.index[df["area"] == 3][0], "w"] += 1  # one respondent of area 3 differs
    fit = unspoken.multilevel_list(df, "y ~ w", "t", J=J, area="area", min_n=1)
    with pytest.raises(DataError, match="not constant within area 3") as info:
        indicator_correlation(fit, "w")
    assert info.value.column == "w" and info.value.rows


def test_too_few_areas_and_not_a_fit(case) -> None:
    df, _, _fit = case
    two = df[df["area"] < 2]
    small = unspoken.multilevel_list(two, "y ~ 1", "t", J=J, area="area", min_n=1)
    with pytest.raises(UnsupportedError, match="at least 3 areas"):
        indicator_correlation(small, "x")
    with pytest.raises(UnsupportedError, match="takes a multilevel fit"):
        indicator_correlation(df, "x")


# ---------------------------------------------------------------- simulation

REPS, AREAS = 200, 40


def simulate_fits(slope: float, seed: int, in_model: bool = True):
    """REPS (indicator correlation, true Pearson r, true Spearman rho) of simulated data
    sets of AREAS areas, the indicator in the model's ``area_formula`` or not."""
    rng = np.random.default_rng(seed)
    for rep in range(REPS):
        df, x, p = simulate(rng, AREAS, slope)
        fit = unspoken.multilevel_list(
            df, "y ~ 1", "t", J=J, area="area", area_formula="~ x" if in_model else None, min_n=1
        )
        table = None if in_model else pd.DataFrame({"area": range(AREAS), "x": x})
        ic = indicator_correlation(fit, "x", area_data=table, seed=rep)
        yield ic, np.corrcoef(x, p)[0, 1], spearmanr(x, p)[0]


def coverage(slope: float, seed: int, in_model: bool = True) -> np.ndarray:
    """Over REPS data sets: coverage of Pearson's interval and of Spearman's, mean error of
    the estimate, mean true r, mean error of the estimates' own r and how often that r lies
    in the interval."""
    out = [
        [
            ic.pearson.ci_low <= r <= ic.pearson.ci_high,
            ic.spearman.ci_low <= rho <= ic.spearman.ci_high,
            ic.pearson.estimate - r,
            r,
            ic.of_estimates - r,
            ic.pearson.ci_low <= ic.of_estimates <= ic.pearson.ci_high,
            ic.pearson.ci_high - ic.pearson.ci_low,
        ]
        for ic, r, rho in simulate_fits(slope, seed, in_model)
    ]
    res = np.asarray(out, dtype=float).mean(0)
    print(
        f"slope {slope}, indicator in the model {in_model}: coverage {res[0]:.3f} (Spearman "
        f"{res[1]:.3f}), mean error {res[2]:+.3f}, mean true r {res[3]:.3f}; the estimates' "
        f"own r: mean error {res[4]:+.3f}, inside the interval {res[5]:.3f}; mean width of "
        f"the interval {res[6]:.3f}"
    )
    return res


@pytest.mark.slow
def test_interval_covers_a_zero_correlation() -> None:
    cover, cover_s, error, *_, width = coverage(0.0, 20261206)
    assert 0.93 <= cover <= 0.97
    assert 0.93 <= cover_s <= 0.97
    # the estimate is the posterior mean of r: a bias below a tenth of the interval's width
    # moves coverage by less than a point
    assert abs(error) < 0.1 * width


@pytest.mark.slow
def test_interval_covers_a_strong_correlation() -> None:
    cover, cover_s, error, truth, own_error, _, width = coverage(0.6, 20261207)
    assert truth > 0.45  # a strong correlation of the true shares with the indicator
    assert 0.93 <= cover <= 0.97
    assert 0.93 <= cover_s <= 0.97
    # the posterior mean of r is pulled toward 0 by the noise of the shares (-0.022 here,
    # 200 data sets): less than a tenth of the interval's width
    assert abs(error) < 0.1 * width
    # the shrunken estimates line up along the model's line: their own r overstates
    assert own_error > 0


@pytest.mark.slow
def test_an_indicator_outside_the_model_is_biased_toward_zero() -> None:
    """Why the report warns when the indicator is not in area_formula."""
    cover, _, error, truth, *_ = coverage(0.6, 20261208, in_model=False)
    assert truth > 0.45
    assert error < -0.1 and cover < 0.5
