"""Re-analysis from published tables (issue 12 item 3): the table route reproduces the
microdata route, the gap's closed form, the rounding interval, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import unspoken
from unspoken.errors import DataError, UnsupportedError
from unspoken.tables import direct_from_topline, gap_from_estimates, list_from_counts


def _race_counts() -> tuple[list[int], list[int]]:
    """The bundled race list experiment tabulated by arm and answer."""
    race = unspoken.datasets.load("race")
    tab = race.groupby("treat")["y"].value_counts().unstack(fill_value=0)
    return tab.loc[0].to_numpy()[:4].tolist(), tab.loc[1].to_numpy().tolist()


def _same(a, b, rel: float) -> None:
    for k in ("estimate", "std_error", "ci_low", "ci_high"):
        assert getattr(a, k) == pytest.approx(getattr(b, k), rel=rel, abs=rel), k


# --------------------------------------------------------------------------- list counts


def test_race_counts_are_the_published_table() -> None:
    # Imai (2011) / Blair & Imai (2012): 589 control and 624 treated respondents
    c0, c1 = _race_counts()
    assert c0 == [8, 132, 222, 227] and c1 == [19, 123, 229, 219, 34]


def test_difference_in_means_equals_the_microdata_route() -> None:
    race = unspoken.datasets.load("race")
    fit = unspoken.list_experiment(race, "y ~ 1", treat="treat", J=3, method="dim")
    res = list_from_counts(*_race_counts())
    _same(res.dim, fit.prevalence, 1e-12)
    # and at another level
    fit90 = unspoken.list_experiment(race, "y ~ 1", treat="treat", J=3, method="dim", level=0.9)
    _same(list_from_counts(*_race_counts(), level=0.9).dim, fit90.prevalence, 1e-12)


def test_design_test_equals_the_microdata_route() -> None:
    race = unspoken.datasets.load("race")
    for kwargs in ({}, {"gms": False}, {"compat": "list"}):
        micro = unspoken.design_test(race, outcome="y", treat="treat", J=3, **kwargs).to_dict()
        table = list_from_counts(*_race_counts(), ml=False, **kwargs).design.to_dict()
        micro.pop("treat")  # the column name and its labels: a table has none
        table.pop("treat")
        flat_m, flat_t = _flatten(micro), _flatten(table)
        assert flat_m.keys() == flat_t.keys()
        for k, v in flat_m.items():
            if isinstance(v, float):
                assert flat_t[k] == pytest.approx(v, rel=1e-12, abs=1e-15), k
            else:
                assert flat_t[k] == v, k


def _flatten(x, prefix: str = "") -> dict:
    if isinstance(x, dict):
        return {k2: v for k, val in x.items() for k2, v in _flatten(val, f"{prefix}.{k}").items()}
    if isinstance(x, list):
        return {
            k2: v for i, val in enumerate(x) for k2, v in _flatten(val, f"{prefix}[{i}]").items()
        }
    return {prefix: x}


def test_intercept_only_ml_equals_the_microdata_route() -> None:
    race = unspoken.datasets.load("race")
    fit = unspoken.list_experiment(race, "y ~ 1", treat="treat", J=3, method="ml")
    res = list_from_counts(*_race_counts())
    # the same likelihood maximised by the same Newton polish (tol 1e-10 on the gradient)
    assert res.ml_loglik == pytest.approx(fit.loglik, rel=1e-12)
    _same(res.ml, fit.prevalence, 1e-8)
    assert res.ml_converged


def test_floor_and_ceiling_shares() -> None:
    res = list_from_counts(*_race_counts())
    assert res.floor_ceiling["treated_0"] == 19 / 624
    assert res.floor_ceiling["treated_J_plus_1"] == 34 / 624
    assert res.floor_ceiling["control_J"] == 227 / 589


def test_counts_as_a_dict_and_j_given() -> None:
    c0, c1 = _race_counts()
    a = list_from_counts(dict(enumerate(c0)), dict(enumerate(c1)), J=3)
    b = list_from_counts(c0, c1)
    assert a.to_dict() == b.to_dict()


@pytest.mark.parametrize(
    ("control", "treated", "J", "param", "words"),
    [
        ([8, -1, 222, 227], [19, 123, 229, 219, 34], None, "control", ">= 0"),
        ([8, 132, 222, 227], [19, 123, 229.5, 219, 34], None, "treated", "whole number"),
        ([8, 132, 222, 227], [19, 123, 229, 219], None, "treated", "give 5 counts"),
        ([8, 132, 222, 227], [19, 123, 229, 219, 34], 4, "control", "give 5 counts"),
        ([1, 0, 0, 0], [19, 123, 229, 219, 34], None, "control", "at least 2"),
        ("8,132", [19, 123, 229, 219, 34], None, "control", "a list or a dict"),
    ],
)
def test_bad_counts_name_the_argument(control, treated, J, param, words) -> None:
    with pytest.raises(DataError, match=words) as e:
        list_from_counts(control, treated, J)
    assert e.value.param == param


def test_bad_j_is_refused() -> None:
    with pytest.raises(UnsupportedError) as e:
        list_from_counts([1, 2], [1, 2, 3], J=0)
    assert e.value.param == "J"


# --------------------------------------------------------------------------- topline


def _placebo_topline() -> tuple[dict[str, float], int]:
    """gap_placebo's direct question as a topline of exact proportions."""
    support = unspoken.datasets.load("gap_placebo")["support"]
    counts = support.value_counts(sort=False)
    return {str(k): v / len(support) for k, v in counts.items()}, len(support)


@pytest.mark.parametrize("dk", ["no", "drop", "bounds"])
@pytest.mark.parametrize("vcov", ["survey", "hc0"])
def test_topline_equals_direct_poll_on_the_microdata(dk: str, vcov: str) -> None:
    data = unspoken.datasets.load("gap_placebo")
    micro = unspoken.direct_poll(data, "support", "definitely,rather", dk=dk, vcov=vcov)
    shares, n = _placebo_topline()
    res = direct_from_topline(
        shares, n, units="proportion", support="definitely,rather", dk=dk, vcov=vcov
    )
    _same(res.support, micro.overall.support, 1e-12)
    if dk == "bounds":
        _same(res.support_upper, micro.overall.support_upper, 1e-12)
    cats = {str(lab): e for lab, e in micro.overall.categories}
    for lab, e in res.answers:
        _same(e, cats[lab], 1e-12)
    assert res.rounding.decimals is None  # exact proportions: no rounding interval


def test_design_effect_and_effective_n_widen_the_error() -> None:
    shares = {"definitely": 43, "rather": 33, "other": 24}
    base = direct_from_topline(shares, 1600, units="percent", support="definitely,rather")
    d2 = direct_from_topline(shares, 1600, units="percent", support="definitely,rather", deff=2)
    ne = direct_from_topline(shares, 1600, units="percent", support="definitely,rather", n_eff=800)
    assert d2.support.std_error == pytest.approx(base.support.std_error * math.sqrt(2), rel=1e-14)
    assert ne.support.std_error == pytest.approx(d2.support.std_error, rel=1e-14)
    # 0.76 * 0.24 / 1599, the survey variance of a share of 1,600 respondents
    assert base.support.std_error == pytest.approx(math.sqrt(0.76 * 0.24 / 1599), rel=1e-14)


def test_rounding_interval_of_whole_percentages() -> None:
    shares = {"definitely": 43, "rather": 33, "other": 24}
    res = direct_from_topline(shares, 1600, units="percent", support="definitely,rather")
    # extremes: support shares +0.5, the rest -0.5 (and the reverse), renormalised
    assert res.rounding.high == pytest.approx(77 / 100.5, rel=1e-14)
    assert res.rounding.low == pytest.approx(75 / 99.5, rel=1e-14)
    assert "± 0.62 points" in res.rounding.text
    # a partial topline with the remainder named: the remainder follows the two shares
    part = direct_from_topline(
        {"definitely": 43, "rather": 33}, 1600, units="percent", support="definitely,rather",
        rest="other",
    )  # fmt: skip
    assert (part.rounding.low, part.rounding.high) == pytest.approx((0.75, 0.77), rel=1e-14)
    assert part.support.estimate == pytest.approx(0.76, rel=1e-14)


def test_units_detected_only_when_unambiguous() -> None:
    res = direct_from_topline({"yes": 60, "no": 40}, 1000)
    assert res.units == "percent" and any("read as percent" in n for n in res.notes)
    res = direct_from_topline({"yes": 0.6, "no": 0.4}, 1000)
    assert res.units == "proportion"
    assert res.support.estimate == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("kwargs", "param", "words"),
    [
        ({"shares": {"yes": 60, "no": 30}, "n": 1000, "units": "percent"}, "shares", "sum to 90"),
        ({"shares": {"yes": 60, "no": 30}, "n": 1000}, "shares", "neither about 100"),
        ({"shares": {"yes": -5, "no": 105}, "n": 1000}, "shares", "negative"),
        ({"shares": {"yes": 60, "no": 40}, "n": 0}, "n", "at least 2"),
        ({"shares": {"yes": 60, "no": 40}, "n": 1000, "deff": -1}, "deff", "positive"),
        ({"shares": {"yes": 60, "no": 40}, "n": 1000, "n_eff": 0.5}, "n_eff", "more than 1"),
    ],
)
def test_bad_topline_names_the_argument(kwargs, param, words) -> None:
    with pytest.raises(DataError, match=words) as e:
        direct_from_topline(**kwargs)
    assert e.value.param == param


def test_topline_refuses_guessing() -> None:
    with pytest.raises(UnsupportedError) as e:
        direct_from_topline({"a": 50, "b": 50}, 100, units="percentage")
    assert e.value.param == "units"
    with pytest.raises(UnsupportedError) as e:
        direct_from_topline({"a": 50}, 100, rest="b")
    assert e.value.param == "units"
    with pytest.raises(UnsupportedError):
        direct_from_topline({"a": 50, "b": 50}, 100, support="a", deff=2, n_eff=50)
    with pytest.raises(DataError) as e:  # which answers are support is never guessed
        direct_from_topline({"a": 50, "b": 50}, 100)
    assert e.value.param == "support"


# --------------------------------------------------------------------------- gap


def test_gap_with_correlation_zero_is_the_closed_form() -> None:
    res = gap_from_estimates(0.60, 0.76, hidden_se=0.031, direct_se=0.011, units="proportion")
    # sqrt(0.031^2 + 0.011^2) = sqrt(0.001082)
    assert res.gap.estimate == pytest.approx(-0.16, rel=1e-14)
    assert res.gap.std_error == pytest.approx(0.032893768406797, rel=1e-12)
    assert res.gap.ci_low == pytest.approx(-0.16 - 1.959963984540054 * 0.032893768406797)
    r = gap_from_estimates(
        0.60, 0.76, hidden_se=0.031, direct_se=0.011, units="proportion", correlation=0.5
    )
    # 0.001082 - 2 * 0.5 * 0.031 * 0.011 = 0.000741
    assert r.gap.std_error == pytest.approx(math.sqrt(0.000741), rel=1e-12)


def test_gap_from_confidence_intervals_in_percent() -> None:
    res = gap_from_estimates(60, 76, hidden_ci=(50, 70), direct_ci=(74, 78))
    assert res.units == "percent"
    z = 1.959963984540054
    assert res.hidden.std_error == pytest.approx(0.10 / z, rel=1e-12)
    assert res.direct.std_error == pytest.approx(0.02 / z, rel=1e-12)
    assert res.rounding.low == pytest.approx(-0.17) and res.rounding.high == pytest.approx(-0.15)


def test_same_respondents_give_a_sensitivity_table() -> None:
    res = gap_from_estimates(60, 76, hidden_se=3, direct_se=1, same_respondents=True)
    assert [r for r, _ in res.sensitivity] == [0.0, 0.2, 0.4, 0.6, 0.8]
    ses = [e.std_error for _, e in res.sensitivity]
    assert ses == sorted(ses, reverse=True)  # positive correlation narrows the gap's error
    assert ses[-1] == pytest.approx(math.sqrt(0.03**2 + 0.01**2 - 2 * 0.8 * 0.03 * 0.01))
    t = res.tidy()
    assert list(t["term"])[-5:] == [f"correlation={r:g}" for r in (0, 0.2, 0.4, 0.6, 0.8)]


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"hidden_se": 3}, "direct_se"),
        ({"hidden_se": 3, "direct_se": 1, "direct_ci": (70, 80)}, "direct_se"),
        ({"hidden_se": -3, "direct_se": 1}, "hidden_se"),
        ({"hidden_ci": (65, 70), "direct_se": 1}, "hidden_ci"),
        ({"hidden_se": 3, "direct_se": 1, "correlation": 2}, "correlation"),
    ],
)
def test_bad_gap_input_names_the_argument(kwargs, param) -> None:
    with pytest.raises(DataError) as e:
        gap_from_estimates(60, 76, **kwargs)
    assert e.value.param == param


def test_gap_units_not_guessed_when_ambiguous() -> None:
    with pytest.raises(UnsupportedError) as e:
        gap_from_estimates(0.6, 0.76, hidden_se=0.03, direct_se=0.01)
    assert e.value.param == "units"


# --------------------------------------------------------------------------- simulation


@pytest.mark.slow
def test_topline_interval_covers_with_a_design_effect() -> None:
    """Cluster samples with design effect 2 (pairs of identical respondents): the topline's
    interval with deff=2 covers the truth about 95% of the time, without it too rarely."""
    rng = np.random.default_rng(12)
    truth, reps, pairs = np.array([0.43, 0.33, 0.24]), 1000, 800
    draws = rng.multinomial(pairs, truth, size=reps) * 2  # each pair answers alike
    hits = {1.0: 0, 2.0: 0}
    for row in draws:
        shares = {"definitely": int(row[0]), "rather": int(row[1]), "other": int(row[2])}
        for deff in hits:
            res = direct_from_topline(
                {k: v / 16 for k, v in shares.items()}, 1600, units="percent",
                support="definitely,rather", deff=deff,
            )  # fmt: skip
            hits[deff] += res.support.ci_low <= 0.76 <= res.support.ci_high
    assert 0.93 <= hits[2.0] / reps <= 0.97
    assert hits[1.0] / reps < 0.90


def test_rounding_interval_with_many_answers_uses_the_extreme_corners() -> None:
    # 20 answers printed as whole percentages, the first two count as support
    shares = {f"a{i}": v for i, v in enumerate([20, 10] + [4] * 17 + [2])}
    res = direct_from_topline(shares, 1000, units="percent", support="a0,a1")
    # support +0.5 each, the 18 others -0.5 each: 31 / (31 + 70 - 9) ; and the reverse
    assert res.rounding.high == pytest.approx(31 / 92, rel=1e-14)
    assert res.rounding.low == pytest.approx(29 / 108, rel=1e-14)


@pytest.mark.slow
def test_gap_interval_covers_under_the_right_correlation() -> None:
    """Estimates drawn with correlation 0.6: the interval assuming 0.6 covers the true gap
    about 95% of the time; assuming independence it is too wide (covers too often)."""
    rng = np.random.default_rng(7)
    se_h, se_d, rho, reps = 0.03, 0.02, 0.6, 2000
    cov = [[se_h**2, rho * se_h * se_d], [rho * se_h * se_d, se_d**2]]
    draws = rng.multivariate_normal([0.55, 0.70], cov, size=reps)
    cover = {0.0: 0, 0.6: 0}
    for h, d in draws:
        for r in cover:
            g = gap_from_estimates(
                float(h), float(d), hidden_se=se_h, direct_se=se_d, units="proportion",
                correlation=r, decimals=9,
            ).gap  # fmt: skip
            cover[r] += g.ci_low <= -0.15 <= g.ci_high
    assert 0.93 <= cover[0.6] / reps <= 0.97
    assert cover[0.0] / reps > 0.98


# --------------------------------------------------------------------------- list shares


def test_exact_shares_with_arm_sizes_equal_the_counts() -> None:
    c0, c1 = _race_counts()
    counts = list_from_counts(c0, c1)
    shares = list_from_counts(
        [c / 589 for c in c0], [c / 624 for c in c1], n_control=589, n_treated=624,
        units="proportion",
    )  # fmt: skip
    _same(shares.dim, counts.dim, 1e-12)
    _same(shares.ml, counts.ml, 1e-8)
    assert shares.design.p_bonferroni == pytest.approx(counts.design.p_bonferroni, rel=1e-10)
    assert shares.rounding.decimals is None


def test_rounded_percentages_say_how_far_the_difference_in_means_can_move() -> None:
    # the race table printed as whole percentages of each arm
    p0, p1 = [1, 22, 38, 39], [3, 20, 37, 35, 5]
    res = list_from_counts(p0, p1, n_control=589, n_treated=624)
    assert res.rounding.decimals == 0
    # highest: treated answers above its mean (3, 4) up half a point, the others down;
    # control answers below its mean (0, 1, 2) up, answer 3 down; renormalised
    t_hi = (19.5 + 2 * 36.5 + 3 * 35.5 + 4 * 5.5) / (2.5 + 19.5 + 36.5 + 35.5 + 5.5)
    c_lo = (22.5 + 2 * 38.5 + 3 * 38.5) / (1.5 + 22.5 + 38.5 + 38.5)
    assert res.rounding.high == pytest.approx(t_hi - c_lo, rel=1e-12)
    t_lo = (20.5 + 2 * 37.5 + 3 * 34.5 + 4 * 4.5) / (3.5 + 20.5 + 37.5 + 34.5 + 4.5)
    c_hi = (21.5 + 2 * 37.5 + 3 * 39.5) / (0.5 + 21.5 + 37.5 + 39.5)
    assert res.rounding.low == pytest.approx(t_lo - c_hi, rel=1e-12)
    # the microdata's own difference in means is one of the tables consistent with it
    assert res.rounding.low <= list_from_counts(*_race_counts()).dim.estimate <= res.rounding.high
    assert "rounding could move the estimate by up to" in res.view().facts[-1]


def test_list_shares_need_both_arm_sizes() -> None:
    with pytest.raises(DataError) as e:
        list_from_counts([1, 22, 38, 39], [3, 20, 37, 35, 5], n_control=589)
    assert e.value.param == "n_treated"
    with pytest.raises(DataError) as e:
        list_from_counts([1, 22, 38, 30], [3, 20, 37, 35, 5], n_control=589, n_treated=624)
    assert e.value.param == "control"
    with pytest.raises(UnsupportedError) as e:
        list_from_counts(*_race_counts(), units="percent")
    assert e.value.param == "units"
