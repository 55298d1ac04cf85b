"""poststratify (issue 14, item 3) for a multilevel list fit: recovery of the synthetic
truth, the cells-equal-respondents case against an independent brute-force integration, the
bundled synthetic files against a fresh run of their script, and bad population tables."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import binom, norm

import unspoken
from unspoken.errors import DataError, UnsupportedError

ROOT = Path(__file__).resolve().parents[2]
FORMULA = "y ~ C(age_group) + female"


@pytest.fixture(scope="module")
def synthetic():
    survey = unspoken.datasets.load("synthetic_regions_survey")
    population = unspoken.datasets.load("synthetic_regions_population")
    fit = unspoken.multilevel_list(
        survey, FORMULA, "treat", J=3, area="region", area_formula="~ protest"
    )
    return survey, population, fit


def test_bundled_files_are_a_fresh_run_of_their_script():
    make = runpy.run_path(str(ROOT / "scripts/make_synthetic_regions.py"))["make"]
    survey, population, areas = make()
    for name, fresh in (
        ("synthetic_regions_survey", survey),
        ("synthetic_regions_population", population),
        ("synthetic_regions_areas", areas),
    ):
        stored = unspoken.datasets.load(name)
        pd.testing.assert_frame_equal(stored, fresh, check_dtype=False)
        assert unspoken.datasets.path(name).stat().st_size < 200_000


def test_recovers_the_synthetic_truth(synthetic):
    _, population, fit = synthetic
    before = population.copy()
    ps = unspoken.poststratify(fit, population, count="count")
    pd.testing.assert_frame_equal(population, before)  # the user's frame is not modified
    cells = population.assign(w=population["count"] * population["true_share"])
    sums = cells.groupby("region")[["w", "count"]].sum()
    truth = sums["w"] / sums["count"]
    af = ps.area_frame().set_index("area")
    assert list(af.index) == list(truth.index)
    err = af["estimate"] - truth
    rmse = float(np.sqrt((err**2).mean()))
    national_truth = float(cells["w"].sum() / cells["count"].sum())
    rmse_complete = float(np.sqrt(((truth - national_truth) ** 2).mean()))
    cover = ((af["ci_low"] <= truth) & (truth <= af["ci_high"])).to_numpy()
    print(f"poststratified RMSE {rmse:.4f} (national for all: {rmse_complete:.4f}); "
          f"coverage {cover.mean():.3f} of {len(cover)} regions")  # fmt: skip
    # pooling must beat the national share for every region (true SD of u_a is 0.8)
    assert rmse < 0.75 * rmse_complete
    # 62 regions at 95%: 3.1 misses expected; 10 or more has probability ~0.001
    assert cover.sum() >= 53
    nat = ps.national
    assert nat.ci_low <= national_truth <= nat.ci_high
    # the two unsurveyed regions: prior predictions, flagged with n = 0 and a note
    assert af.loc[["R61", "R62"], "n"].tolist() == [0, 0]
    assert any("R61, R62" in n and "not in the survey" in n for n in ps.notes)
    assert (
        af.loc[["R61", "R62"], "std_error"] > af["std_error"].drop(["R61", "R62"]).median()
    ).all()


def test_path_reads_the_table(synthetic, tmp_path):
    _, population, fit = synthetic
    p = tmp_path / "pop.csv"
    population.to_csv(p, index=False)
    a = unspoken.poststratify(fit, str(p)).area_frame()
    b = unspoken.poststratify(fit, population).area_frame()
    pd.testing.assert_frame_equal(a, b)


def _brute_force_area_means(df, fit, X, J=3):
    """Per area, the posterior mean of mean_i expit(x_i' delta + u) given the fitted theta:
    the posterior of (u, v) proportional to prod_i L_i(u, v) phi(u; su) phi(v; sv) on a
    dense grid (trapezoid, ±8 SD, 321 x 321 points), from the model's definition."""
    k = X.shape[1]
    delta, psi = fit.params_[:k], fit.params_[k:]
    su, sv = fit.sd["sensitive"].estimate, fit.sd["control"].estimate
    gu, gv = np.linspace(-8, 8, 321) * su, np.linspace(-8, 8, 321) * sv
    wu = norm.pdf(gu, 0, su) * np.gradient(gu)
    wv = norm.pdf(gv, 0, sv) * np.gradient(gv)
    out = {}
    for a, idx in df.groupby("region").indices.items():
        y, t, x = df["y"].to_numpy()[idx], df["treat"].to_numpy()[idx], X[idx]
        g = expit((x @ delta)[:, None] + gu[None, :])  # (n, U)
        p = expit((x @ psi)[:, None] + gv[None, :])  # (n, V)
        f0, f1 = binom.pmf(y[:, None], J, p), binom.pmf(y[:, None] - 1, J, p)
        li = np.where(
            t[:, None, None] == 1,
            g[:, :, None] * f1[:, None, :] + (1 - g[:, :, None]) * f0[:, None, :],
            f0[:, None, :],
        )
        s = np.log(li).sum(0)  # (U, V)
        post = np.exp(s - s.max()) * wu[:, None] * wv[None, :]
        post_u = post.sum(1) / post.sum()
        out[a] = float(post_u @ g.mean(0))
    return pd.Series(out)


def test_cells_equal_to_the_respondents_give_the_mean_predicted_share(synthetic):
    survey = synthetic[0]
    # 15 x 15 nodes: the quadrature's error in these posterior means falls from 5e-5 (7 x 7)
    # to 2e-6 (11 x 11) and 6e-8 (15 x 15), measured against the grid below
    fit = unspoken.multilevel_list(
        survey, FORMULA, "treat", J=3, area="region", area_formula="~ protest", nodes=15
    )
    assert fit.sd["sensitive"].estimate > 0.5  # an interior SD: the posterior matters
    cells = survey.assign(count=1)[["region", "age_group", "female", "count"]]
    # the poststratified shares are the posterior means given theta-hat (empirical Bayes)
    ps = unspoken.poststratify(fit, cells)
    # each area's posterior depends on theta and its own respondents only: check 8 areas
    df = survey[survey["region"].isin([f"R{i:02d}" for i in range(1, 9)])].reset_index(drop=True)
    age = df["age_group"].to_numpy()
    X = np.column_stack(
        [np.ones(len(df)), age == "35-54", age == "55+", df["female"], df["protest"]]
    ).astype(float)
    expected = _brute_force_area_means(df, fit, X)
    got = ps.area_frame().set_index("area")["estimate"].loc[expected.index]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=3e-7)


def test_refuses_other_fits():
    fit = unspoken.list_experiment(unspoken.datasets.load("race"), "y ~ 1", treat="treat", J=3)
    with pytest.raises(UnsupportedError, match="multilevel list fit"):
        unspoken.poststratify(fit, pd.DataFrame({"count": [1]}))


def _err(fit, pop, **kw):
    with pytest.raises(DataError) as e:
        unspoken.poststratify(fit, pop, **kw)
    return e.value


def test_bad_tables(synthetic):
    _, population, fit = synthetic
    e = _err(fit, population.drop(columns=["female", "age_group"]))
    assert "'age_group'" in str(e) and "'female'" in str(e)
    e = _err(fit, population, count="people")
    assert "'people'" in str(e)
    bad = population.copy()
    bad.loc[[3, 7], "age_group"] = "90+"
    e = _err(fit, bad)
    assert "age_group" in str(e) and "90+" in str(e) and list(e.rows) == [3, 7]
    bad = population.copy()
    bad["count"] = bad["count"].astype(object)
    bad.loc[5, "count"] = "many"
    bad.loc[9, "count"] = -4
    e = _err(fit, bad)
    assert "'count'" in str(e) and list(e.rows) == [5, 9]
    # an unsurveyed region needs its area-level predictor
    e = _err(fit, population.drop(columns=["protest"]))
    assert "protest" in str(e) and "R61" in str(e) and "R62" in str(e)
    # surveyed regions the table lacks are named in a note
    ps = unspoken.poststratify(fit, population[~population["region"].isin(["R01", "R02"])])
    assert any("R01, R02" in n and "not in the population" in n for n in ps.notes)


def test_result_api(synthetic):
    import json

    _, population, fit = synthetic
    ps = unspoken.poststratify(fit, population)
    t = ps.tidy()
    assert set(t["part"]) == {"poststratified"} and t["group"].iloc[-1] == "region = national"
    assert len(t) == 63
    json.dumps(ps.to_dict())
    assert "Poststratified hidden share" in ps.summary()
    ps.plot()


def test_a_survey_level_the_table_lacks_is_named(synthetic):
    _, population, fit = synthetic
    ps = unspoken.poststratify(fit, population[population["age_group"] != "55+"])
    assert any("no cell with age_group = 55+" in n for n in ps.notes), ps.notes
