"""unspoken.mrp (issue 14, items 3 and 5): the multilevel fit, its poststratification and
(optionally) the area-indicator correlation in one call. ``mrp`` computes nothing of its
own, so its parts must be exactly what the functions it calls return; on the synthetic
regions (whose true shares are known) the national interval covers the truth; bad
arguments are refused naming them."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken.errors import DataError, UnsupportedError
from unspoken.results import TIDY_COLUMNS

FORMULA = "y ~ C(age_group) + female"
ARGS = {"treat": "treat", "J": 3, "area": "region", "area_formula": "~ protest"}


@pytest.fixture(scope="module")
def frames():
    return (
        unspoken.datasets.load("synthetic_regions_survey"),
        unspoken.datasets.load("synthetic_regions_population"),
    )


@pytest.fixture(scope="module")
def result(frames):
    survey, population = frames
    return unspoken.mrp(survey, FORMULA, **ARGS, population=population, count="count")


def test_parts_are_the_fit_and_its_poststratification(frames, result):
    survey, population = frames
    fit = unspoken.multilevel_list(survey, FORMULA, **ARGS)
    ps = unspoken.poststratify(fit, population, count="count")
    assert result.to_dict() == {
        "model": "multilevel regression and poststratification (MRP)",
        "fit": fit.to_dict(),
        "poststratified": ps.to_dict(),
        "indicator": None,
    }
    json.loads(result.to_json())  # plain JSON


def test_national_interval_covers_the_synthetic_truth(frames, result):
    _, population = frames
    truth = float(
        (population["count"] * population["true_share"]).sum() / population["count"].sum()
    )
    nat = result.poststratified.national
    assert nat.ci_low < truth < nat.ci_high
    assert len(result.poststratified.areas) == population["region"].nunique() == 62


def test_frames_are_not_modified(frames):
    survey, population = frames
    s0, p0 = survey.copy(), population.copy()
    unspoken.mrp(survey, "y ~ female", **ARGS, population=population, count="count", nodes=3)
    pd.testing.assert_frame_equal(survey, s0)
    pd.testing.assert_frame_equal(population, p0)


def test_population_from_a_file(frames, result, tmp_path):
    survey, population = frames
    path = tmp_path / "population.csv"
    population.to_csv(path, index=False)
    again = unspoken.mrp(survey, FORMULA, **ARGS, population=str(path), count="count")
    assert again.to_dict() == result.to_dict()


def test_tidy_stacks_the_parts_with_their_names(result):
    t = result.tidy()
    assert tuple(t.columns[1 : 1 + len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    parts = set(t["part"])
    assert {"fit: sensitive", "fit: control", "fit: sd(area)", "fit: area"} <= parts
    assert "poststratified" in parts
    assert len(t) == len(result.fit.tidy()) + len(result.poststratified.tidy())
    post = t[t["part"] == "poststratified"]
    np.testing.assert_array_equal(
        post["estimate"].to_numpy()[:-1], [a.estimate.estimate for a in result.poststratified.areas]
    )
    narrow = result.tidy(level=0.5)
    assert (narrow["ci_high"] - narrow["ci_low"] <= t["ci_high"] - t["ci_low"]).all()
    with pytest.raises(UnsupportedError):
        result.tidy(level=95)


def test_report_says_which_estimates_are_model_based(result, tmp_path):
    text = result.summary()
    assert "poststratification" in text.splitlines()[0]
    assert "not surveyed" in text  # 2 of the 62 regions
    assert "pulled toward national" in text  # the shrinkage table
    result.plot(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000


def test_min_n_and_level_reach_the_fit(frames):
    survey, population = frames
    r = unspoken.mrp(survey, "y ~ female", **ARGS, population=population, count="count",
                     level=0.9, min_n=40, nodes=3)  # fmt: skip
    assert r.fit.level == r.poststratified.level == 0.9
    small = [a for a in r.fit.areas if a.n < 40]
    assert len(small) == 5 and all(a.raw is None for a in small)  # raw shares suppressed
    assert all(a.estimate.estimate > 0 for a in small)  # model-based ones are not
    r = unspoken.mrp(survey, "y ~ female", **ARGS, population=population, count="count",
                     min_n=1, nodes=3)  # fmt: skip
    assert all(a.raw is not None for a in r.fit.areas)  # min_n=1 shows every area


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"support": "yes"}, "support"),  # describes a direct question that is not given
        ({"dk": "drop"}, "dk"),
        ({"dk": "bounds"}, "dk"),
        ({"indicator_quantity": "said"}, "indicator_quantity"),
        ({"indicator_quantity": "gap"}, "indicator_quantity"),  # no indicator given
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_bad_arguments_are_named(frames, kwargs, param):
    survey, population = frames
    with pytest.raises(UnsupportedError) as e:
        unspoken.mrp(survey, FORMULA, **ARGS, population=population, count="count", **kwargs)
    assert e.value.param == param


def test_population_problems_name_the_column(frames):
    survey, population = frames
    with pytest.raises(DataError, match="'female'"):
        unspoken.mrp(survey, FORMULA, **ARGS, population=population.drop(columns="female"),
                     count="count")  # fmt: skip
    with pytest.raises(DataError, match="'n_people'"):
        unspoken.mrp(survey, FORMULA, **ARGS, population=population, count="n_people")


def _accepts(name: str) -> bool:
    return name in inspect.signature(unspoken.multilevel_list).parameters


@pytest.mark.skipif(not _accepts("direct"), reason="multilevel_list has no direct= yet")
def test_direct_question_reaches_the_fit_and_the_poststratification(frames):
    survey, population = frames
    if "say_support" not in survey.columns:
        pytest.skip("the synthetic survey has no direct question yet")
    args = {**ARGS, "direct": "say_support", "support": "yes", "dk": "drop", "nodes": 3}
    r = unspoken.mrp(survey, "y ~ female", **args, population=population, count="count")
    fit = unspoken.multilevel_list(survey, "y ~ female", **args)
    assert r.fit.to_dict() == fit.to_dict()
    assert r.to_dict()["poststratified"] == unspoken.poststratify(fit, population).to_dict()
    ps = r.poststratified
    assert ps.national_direct is not None and ps.national_gap is not None
    assert all(a.direct is not None and a.gap is not None for a in ps.areas)


@pytest.mark.skipif(not _accepts("area_data"), reason="multilevel_list has no area_data= yet")
def test_area_table_also_serves_the_unsurveyed_areas(frames, tmp_path):
    survey, population = frames
    if "synthetic_regions_areas" not in unspoken.datasets.names():
        pytest.skip("no synthetic area table yet")
    areas = unspoken.datasets.load("synthetic_regions_areas")[["region", "volunteers"]]
    pop0 = population.copy()
    args = {**ARGS, "area_formula": "~ volunteers", "nodes": 3}
    r = unspoken.mrp(survey, "y ~ female", **args, area_data=areas, population=population,
                     count="count")  # fmt: skip
    pd.testing.assert_frame_equal(population, pop0)
    # the survey's 60 areas take the predictor from the fit, R61 and R62 from the area table
    unsurveyed = [a for a in r.poststratified.areas if a.n == 0]
    assert [a.area for a in unsurveyed] == ["R61", "R62"]
    fit = unspoken.multilevel_list(survey, "y ~ female", **args, area_data=areas)
    by_hand = population.merge(areas, on="region")  # volunteers for every cell
    assert r.to_dict()["poststratified"] == unspoken.poststratify(fit, by_hand).to_dict()
    path = tmp_path / "areas.csv"
    areas.to_csv(path, index=False)
    again = unspoken.mrp(survey, "y ~ female", **args, area_data=str(path),
                         population=population, count="count")  # fmt: skip
    assert again.to_dict() == r.to_dict()


def test_indicator_is_the_correlation_of_the_fit(frames):
    survey, population = frames
    if "synthetic_regions_areas" not in unspoken.datasets.names():
        pytest.skip("no synthetic area table yet")
    from unspoken.multilevel.indicator import indicator_correlation

    areas = unspoken.datasets.load("synthetic_regions_areas")[["region", "volunteers"]]
    args = {**ARGS, "area_formula": "~ volunteers", "nodes": 3, "level": 0.9}
    r = unspoken.mrp(survey, "y ~ female", **args, area_data=areas, population=population,
                     count="count", indicator="volunteers", seed=3)  # fmt: skip
    fit = unspoken.multilevel_list(survey, "y ~ female", **args, area_data=areas)
    ic = indicator_correlation(fit, "volunteers", area_data=areas, seed=3, level=0.9)
    assert r.to_dict()["indicator"] == ic.to_dict()
    t = r.tidy()
    assert any(p.startswith("indicator") for p in t["part"])
    assert len(t) == len(fit.tidy()) + len(r.poststratified.tidy()) + len(ic.tidy())
