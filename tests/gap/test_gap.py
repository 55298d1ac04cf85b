"""The falsification gap: closed forms, layouts, coverage with a known falsification rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken.errors import DataError, UnsupportedError
from unspoken.falsification import HiddenShare, ListDiM
from unspoken.simulate.gap import simulate_gap


def hand_gap(df: pd.DataFrame) -> tuple[float, float, float]:
    """Gap and its variance written out: psi over all n rows, survey n/(n-1) sum psi^2."""
    n = len(df)
    lst = df["y"].notna().to_numpy()
    dirq = df["direct"].notna().to_numpy()
    t = df["treat"].to_numpy()
    y = df["y"].to_numpy()
    d = pd.to_numeric(df["direct"]).to_numpy()
    t1, t0 = lst & (t == 1), lst & (t == 0)
    m1, m0, md = y[t1].mean(), y[t0].mean(), d[dirq].mean()
    psi_h = np.zeros(n)
    psi_h[t1] = (y[t1] - m1) / t1.sum()
    psi_h[t0] = -(y[t0] - m0) / t0.sum()
    psi_d = np.zeros(n)
    psi_d[dirq] = (d[dirq] - md) / dirq.sum()
    g = psi_h - psi_d
    return (
        (m1 - m0) - md,
        n / (n - 1) * np.sum(g * g),
        n / (n - 1) * (np.sum(psi_h**2) + np.sum(psi_d**2)),
    )


@pytest.mark.parametrize("layout", ["everyone", "control", "separate"])
def test_closed_form_each_layout(layout):
    df, _ = simulate_gap(800, layout=layout, seed=3)
    res = unspoken.gap(df, "y", "treat", 4, "direct")
    est, var, var_indep = hand_gap(df)
    assert res.layout == layout
    assert res.overall.gap.estimate == pytest.approx(est, rel=1e-12)
    assert res.overall.gap.std_error == pytest.approx(np.sqrt(var), rel=1e-10)
    assert res.overall.gap_se_independent == pytest.approx(np.sqrt(var_indep), rel=1e-10)
    if layout == "separate":
        assert res.overall.correlation == pytest.approx(0.0, abs=1e-12)
    elif layout == "everyone":
        assert res.overall.correlation > 0.02


def test_mis_separate_subsamples():
    """mis: the list and the direct question come from disjoint subsamples."""
    mis = unspoken.datasets.load("mis")
    res = unspoken.gap(mis, "y", "treat", 4, "sensitive")
    lst = mis[mis["list.data"] == 1]
    dim = lst.loc[lst.treat == 1, "y"].mean() - lst.loc[lst.treat == 0, "y"].mean()
    sens = mis.loc[mis["sens.data"] == 1, "sensitive"]
    assert res.layout == "separate"
    assert res.overall.hidden.estimate == pytest.approx(dim, rel=1e-12)
    assert res.overall.direct.estimate == pytest.approx(77 / 218, rel=1e-12)
    assert res.overall.gap.estimate == pytest.approx(dim - sens.mean(), rel=1e-12)
    assert res.overall.counts == {"treated": 211, "control": 232, "direct": 218}


def test_weights_and_clusters_enter():
    df, _ = simulate_gap(900, seed=5)
    rng = np.random.default_rng(0)
    df["w"] = rng.uniform(0.5, 2, len(df))
    df["psu"] = rng.integers(0, 60, len(df))
    res = unspoken.gap(df, "y", "treat", 4, "direct", weights="w", cluster="psu")
    w, t, y = df["w"].to_numpy(), df["treat"].to_numpy(), df["y"].to_numpy()
    d = df["direct"].astype(float).to_numpy()
    h = np.average(y[t == 1], weights=w[t == 1]) - np.average(y[t == 0], weights=w[t == 0])
    assert res.overall.hidden.estimate == pytest.approx(h, rel=1e-12)
    assert res.overall.direct.estimate == pytest.approx(np.average(d, weights=w), rel=1e-12)
    unclustered = unspoken.gap(df, "y", "treat", 4, "direct", weights="w")
    assert res.overall.gap.std_error != pytest.approx(unclustered.overall.gap.std_error, rel=1e-3)


def test_subgroups_and_small_groups():
    df, truth = simulate_gap(
        3000, groups=["tv", "web", "rare"], group_probs=[0.5, 0.49, 0.01],
        prevalence=[0.5, 0.7, 0.6], falsification=[0.4, 0.1, 0.2], seed=11,
    )  # fmt: skip
    res = unspoken.gap(df, "y", "treat", 4, "direct", by="group")
    rows = {g["group"]: r for g, r in res.by}
    assert rows["rare"].gap is None and "suppressed to protect respondents" in rows["rare"].note
    assert rows["rare"].counts == {} and rows["rare"].n_text == "n < 30"  # no count shown
    sub = df[df.group == "tv"]
    one = unspoken.gap(sub, "y", "treat", 4, "direct")
    assert rows["tv"].gap.estimate == pytest.approx(one.overall.gap.estimate, rel=1e-12)
    assert rows["tv"].gap.ci_low < truth.by_group["tv"]["gap"] < rows["tv"].gap.ci_high
    js = res.to_dict()
    assert js["by"][0]["note"].startswith("fewer than 30 respondents")
    assert set(js["overall"]) >= {"direct", "list", "gap"}
    lowered = unspoken.gap(df, "y", "treat", 4, "direct", by="group", min_n=5)
    assert {g["group"]: r for g, r in lowered.by}["rare"].gap is not None


def test_dk_policies_and_bounds():
    df, _ = simulate_gap(1500, categories=True, dk_rate=0.15, seed=2)
    sup = "definitely,rather"
    no = unspoken.gap(df, "y", "treat", 4, "direct", sup, dk="no")
    drop = unspoken.gap(df, "y", "treat", 4, "direct", sup, dk="drop")
    bnd = unspoken.gap(df, "y", "treat", 4, "direct", sup, dk="bounds")
    yes = df["direct"].isin(["definitely", "rather"]).to_numpy()
    dk = (df["direct"] == "hard to say").to_numpy()
    assert no.overall.direct.estimate == pytest.approx(yes.mean(), rel=1e-12)
    assert drop.overall.direct.estimate == pytest.approx(yes[~dk].mean(), rel=1e-12)
    assert no.overall.dk_share.estimate == pytest.approx(dk.mean(), rel=1e-12)
    assert bnd.overall.direct_upper.estimate == pytest.approx(yes.mean() + dk.mean())
    assert bnd.overall.gap_lower.estimate == pytest.approx(
        bnd.overall.hidden.estimate - yes.mean() - dk.mean()
    )
    assert bnd.overall.gap.estimate == pytest.approx(no.overall.gap.estimate, rel=1e-12)
    b = bnd.to_dict()["overall"]["bounds"]["gap"]
    assert b["lower"]["estimate"] < b["upper"]["estimate"]
    assert bnd.dk_values == ["hard to say"]
    with pytest.raises(DataError, match=r"\['hard to say'\] are both support and don't know"):
        unspoken.gap(df, "y", "treat", 4, "direct", "rather,hard to say")


def test_placebo_known_and_measured():
    df, truth = simulate_gap(6000, placebo_fraction=1 / 3, deflation=0.3, seed=4)
    known = unspoken.gap(
        df, "y", "treat", 4, "direct", placebo_treat="placebo", placebo_prevalence=0.5
    )
    pl = known.overall.placebo
    ctrl = (df.treat == 0) & (df.placebo == 0)
    tau_p = df.loc[df.placebo == 1, "y"].mean() - df.loc[ctrl, "y"].mean()
    tau_s = df.loc[df.treat == 1, "y"].mean() - df.loc[ctrl, "y"].mean()
    assert pl["list"].estimate == pytest.approx(tau_p, rel=1e-12)
    assert pl["deflation"].estimate == pytest.approx(tau_p - 0.5, rel=1e-12)
    assert known.overall.hidden.estimate == pytest.approx(tau_s, rel=1e-12)
    d = df["direct"].astype(float).mean()
    assert pl["gap_corrected"].estimate == pytest.approx(tau_s - (tau_p - 0.5) - d, rel=1e-12)
    # the deflation is detected and the correction moves the gap towards the truth
    assert pl["deflation"].ci_high < 0
    assert abs(pl["gap_corrected"].estimate - truth.gap) < abs(
        known.overall.gap.estimate - truth.gap
    )
    measured = unspoken.gap(
        df, "y", "treat", 4, "direct", placebo_treat="placebo", placebo_prevalence="placebo_direct"
    )
    mp = measured.overall.placebo
    assert mp["truth"].estimate == pytest.approx(df["placebo_direct"].mean(), rel=1e-12)
    # measured on the same respondents, the placebo truth is correlated with the placebo
    # list, so subtracting it can even lower the variance: just check it is accounted for
    assert mp["gap_corrected"].std_error != pytest.approx(pl["gap_corrected"].std_error)
    assert mp["deflation"].ci_high < 0
    with pytest.raises(UnsupportedError):
        unspoken.gap(df, "y", "treat", 4, "direct", placebo_treat="placebo")


class _ConstantHidden:
    """A stand-in indirect estimator (e.g. randomized response) on every row."""

    def __init__(self, z: np.ndarray) -> None:
        self.z = z
        self.row_positions = np.arange(len(z))

    def prevalence_influence(self, mask=None):
        m = np.ones(len(self.z), bool) if mask is None else mask
        est = self.z[m].mean()
        return est, np.where(m, (self.z - est) / m.sum(), 0.0)


def test_any_hidden_share_estimator():
    df, _ = simulate_gap(500, seed=8)
    z = np.random.default_rng(1).random(len(df)) < 0.4
    hid = _ConstantHidden(z.astype(float))
    assert isinstance(hid, HiddenShare)
    assert isinstance(ListDiM(np.zeros(2), np.array([0, 1]), np.ones(2), np.arange(2)), HiddenShare)
    res = unspoken.gap(df, direct="direct", hidden=hid)
    assert res.overall.hidden.estimate == pytest.approx(z.mean(), rel=1e-12)
    assert res.overall.gap.estimate == pytest.approx(z.mean() - df["direct"].astype(float).mean())


def test_bad_input():
    df, _ = simulate_gap(300, seed=1)
    with pytest.raises(DataError, match="'directt'"):
        unspoken.gap(df, "y", "treat", 4, "directt")
    bad = df.copy()
    bad.loc[5, "y"] = 9
    bad.loc[5, "treat"] = 0
    with pytest.raises(DataError, match="'y'") as e:
        unspoken.gap(bad, "y", "treat", 4, "direct")
    assert 5 in e.value.rows
    bad = df.copy()
    bad["direct"] = bad["direct"].map({1.0: "a", 0.0: "b"})
    with pytest.raises(DataError, match="support"):
        unspoken.gap(bad, "y", "treat", 4, "direct")
    with pytest.raises(UnsupportedError):
        unspoken.gap(df, "y", "treat", 4, "direct", method="bayes")
    with pytest.raises(UnsupportedError):
        unspoken.gap(df, "y", "treat", 4, "direct", covariates="x")


def _coverage(layout: str, reps: int, n: int) -> tuple[float, float]:
    hits = 0
    for r in range(reps):
        df, truth = simulate_gap(n, layout=layout, prevalence=0.55, falsification=0.3, seed=r)
        g = unspoken.gap(df, "y", "treat", 4, "direct").overall.gap
        hits += g.ci_low <= truth.gap <= g.ci_high
    return hits / reps, truth.gap


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["everyone", "control", "separate"])
def test_coverage_each_layout(layout):
    cover, gap_true = _coverage(layout, 500, 1000)
    assert gap_true == pytest.approx(-0.45 * 0.3)
    assert 0.93 <= cover <= 0.97, cover


@pytest.mark.slow
def test_naive_interval_is_wrong_on_shared_respondents():
    """Low-variance control items make the two estimates strongly correlated: the joint s.e.
    matches the spread over replications, the naive one (independence) overstates it."""
    est, se, naive = [], [], []
    for r in range(500):
        df, truth = simulate_gap(800, J=3, control_probs=[0.05, 0.95, 0.05], seed=1000 + r)
        row = unspoken.gap(df, "y", "treat", 3, "direct").overall
        est.append(row.gap.estimate)
        se.append(row.gap.std_error)
        naive.append(row.gap_se_independent)
    sd = np.std(est, ddof=1)
    assert np.mean(se) / sd == pytest.approx(1.0, abs=0.08)
    ratio = np.mean(naive) / sd
    assert ratio > 1.12, ratio  # about 19% too wide here
    err = np.abs(np.asarray(est) - truth.gap)
    covered = err <= 1.959964 * np.asarray(se)
    naive_covered = err <= 1.959964 * np.asarray(naive)
    assert 0.93 <= covered.mean() <= 0.97
    assert naive_covered.mean() > 0.975  # too conservative: loses power


def test_bundled_placebo_example_is_reproducible():
    from unspoken.simulate.gap import make_placebo_example

    bundled = unspoken.datasets.load("gap_placebo")
    pd.testing.assert_frame_equal(bundled, make_placebo_example(), check_dtype=False)
    res = unspoken.gap(
        bundled, "count", "treat", 4, "support", "definitely,rather", dk="drop", by="news",
        placebo_treat="placebo", placebo_prevalence=0.5,
    )  # fmt: skip
    pl = res.overall.placebo
    assert pl["deflation"].ci_high < 0  # the placebo list reveals the deflation
    assert pl["gap_corrected"].ci_low < -0.126 < pl["gap_corrected"].ci_high
    assert res.overall.counts["placebo"] > 900


@pytest.mark.slow
def test_placebo_corrected_gap_coverage():
    hits = 0
    reps = 500
    for r in range(reps):
        df, truth = simulate_gap(
            1500, placebo_fraction=1 / 3, deflation=0.2, seed=5000 + r
        )  # fmt: skip
        g = unspoken.gap(
            df, "y", "treat", 4, "direct", placebo_treat="placebo", placebo_prevalence=0.5
        ).overall.placebo["gap_corrected"]
        target = truth.placebo["gap_corrected_expected"]
        hits += g.ci_low <= target <= g.ci_high
    assert abs(target - truth.gap) < 0.002  # the correction's own bias is negligible here
    assert 0.93 <= hits / reps <= 0.97, hits / reps


def test_placebo_with_dk_bounds():
    df = unspoken.datasets.load("gap_placebo")
    res = unspoken.gap(
        df, "count", "treat", 4, "support", "definitely,rather", dk="bounds",
        placebo_treat="placebo", placebo_prevalence="placebo_direct",
    )  # fmt: skip
    pl, r = res.overall.placebo, res.overall
    width = r.direct_upper.estimate - r.direct.estimate
    assert width == pytest.approx(r.dk_share.estimate, rel=1e-12)
    low = pl["gap_corrected_lower"].estimate
    assert low == pytest.approx(pl["gap_corrected"].estimate - width, rel=1e-12)
    known = unspoken.gap(
        df, "count", "treat", 4, "support", "definitely,rather", dk="bounds",
        placebo_treat="placebo", placebo_prevalence=0.5,
    ).overall  # fmt: skip
    # known prevalence: corrected = hidden - placebo list + 0.5, lower bound = that - upper
    kp = known.placebo
    expected = known.hidden.estimate - kp["list"].estimate + 0.5 - known.direct_upper.estimate
    assert kp["gap_corrected_lower"].estimate == pytest.approx(expected, rel=1e-12)
    assert kp["gap_corrected_lower"].std_error > 0


def test_public_names_and_hc0():
    import unspoken.falsification.estimator

    assert unspoken.gap is unspoken.falsification.estimator.gap
    df, _ = simulate_gap(400, seed=3)
    res = unspoken.gap(df, "y", "treat", 4, "direct", vcov="hc0")
    with pytest.warns(DeprecationWarning, match="vcov"):
        old = unspoken.gap(df, "y", "treat", 4, "direct", variance="hc0")
    assert old.to_dict() == res.to_dict() and res.to_dict()["vcov"] == "hc0"
    n = len(df)
    survey = unspoken.gap(df, "y", "treat", 4, "direct")
    assert survey.overall.gap.std_error == pytest.approx(
        res.overall.gap.std_error * np.sqrt(n / (n - 1)), rel=1e-10
    )
    df["psu"] = np.arange(n) % 20
    with pytest.raises(UnsupportedError, match="survey"):
        unspoken.gap(df, "y", "treat", 4, "direct", cluster="psu", vcov="hc0")
    assert callable(unspoken.direct_poll) and callable(unspoken.combined_list_direct)
    assert callable(unspoken.hausman_test)


def test_placebo_corrected_gap_closed_form():
    """The deflation-corrected gap and its s.e. written out: with the placebo truth known,
    psi = psi_mean(y | treated) - psi_mean(y | placebo) - psi_mean(direct) (the control
    mean cancels); measured, plus psi_mean(placebo_direct); survey variance n/(n-1) sum psi^2.
    (test_placebo_known_and_measured only checks that the two s.e. differ.)"""
    df, _ = simulate_gap(3000, placebo_fraction=1 / 3, deflation=0.3, seed=14)
    n = len(df)
    y = df["y"].to_numpy(float)
    T, P = (df["treat"] == 1).to_numpy(), (df["placebo"] == 1).to_numpy()
    C = ~T & ~P
    d, pd_ = df["direct"].to_numpy(float), df["placebo_direct"].to_numpy(float)

    def psi_mean(v, mask):
        out = np.zeros(n)
        out[mask] = (v[mask] - v[mask].mean()) / mask.sum()
        return out

    every = np.ones(n, bool)
    base = psi_mean(y, T) - psi_mean(y, P) - psi_mean(d, every)
    tau_s, tau_p = y[T].mean() - y[C].mean(), y[P].mean() - y[C].mean()
    for truth, extra, value in (
        (0.5, np.zeros(n), 0.5),
        ("placebo_direct", psi_mean(pd_, every), pd_.mean()),
    ):
        res = unspoken.gap(
            df, "y", "treat", 4, "direct", placebo_treat="placebo", placebo_prevalence=truth
        )
        g = res.overall.placebo["gap_corrected"]
        assert g.estimate == pytest.approx(tau_s - (tau_p - value) - d.mean(), rel=1e-12)
        psi = base + extra
        assert g.std_error == pytest.approx(np.sqrt(n / (n - 1) * psi @ psi), rel=1e-10)


def test_user_frame_is_left_as_it_was():
    df, _ = simulate_gap(600, categories=True, dk_rate=0.1, groups=["a", "b"], seed=21)
    df["x"] = np.random.default_rng(2).normal(size=len(df))
    df.loc[3, "x"] = np.nan
    before = df.copy(deep=True)
    unspoken.gap(df, "y", "treat", 4, "direct", "definitely,rather", by="group", dk="drop")
    unspoken.gap(df, "y", "treat", 4, "direct", "definitely,rather", method="ml", covariates="x")
    pd.testing.assert_frame_equal(df, before)


def test_missing_policy_and_tidy_lines():
    """missing='error' refuses a missing design value (naming its rows), 'listwise' drops
    it with a note; missing list or direct answers are the layout either way. tidy() lines
    name the bounds and the placebo quantities; level= changes the intervals only."""
    df, _ = simulate_gap(600, groups=["a", "b"], seed=5)
    df["w"] = 1.0
    df.loc[[4, 11], "w"] = np.nan
    with pytest.raises(DataError, match="'w'") as e:
        unspoken.gap(df, "y", "treat", 4, "direct", weights="w", missing="error")
    assert list(e.value.rows) == [4, 11]
    res = unspoken.gap(df, "y", "treat", 4, "direct", weights="w")
    assert res.n == 598 and any("2 of 600 rows dropped" in n for n in res.notes), res.notes
    with pytest.raises(UnsupportedError, match="missing"):
        unspoken.gap(df, "y", "treat", 4, "direct", missing="drop")
    p = unspoken.datasets.load("gap_placebo")
    g = unspoken.gap(p, "count", "treat", 4, "support", "definitely,rather", dk="bounds",
                     placebo_treat="placebo", placebo_prevalence=0.5)  # fmt: skip
    t = g.tidy()
    assert "group" not in t.columns
    lines = list(zip(t["part"], t["term"], strict=True))
    assert lines[:6] == [
        ("direct", "lower"), ("direct", "upper"), ("hidden", "estimate"), ("gap", "lower"),
        ("gap", "upper"), ("dont_know", "estimate"),
    ]  # fmt: skip
    assert ("placebo", "gap_corrected_lower") in lines
    o = g.overall
    assert t["estimate"].iloc[3] == o.gap_lower.estimate and t["estimate"].iloc[4] == o.gap.estimate
    half = g.tidy(level=0.5)
    pd.testing.assert_series_equal(half["estimate"], t["estimate"])
    assert half["ci_low"].iloc[2] == pytest.approx(
        o.hidden.estimate - 0.6744897501960817 * o.hidden.std_error, rel=1e-12
    )
