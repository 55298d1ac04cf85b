"""The direct poll against the textbook Taylor-linearisation variance of a weighted mean and
of a domain mean (Lumley 2010; the estimator R ``survey``'s ``svymean``/``svyby``
document), written out here. There is no R output for the direct poll in the test data: the
R ``survey`` golden (tests/reference/survey/survey_race.json) covers the list estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken.errors import DataError

ANSWERS = ["definitely", "rather", "rather not", "definitely not", "hard to say"]


@pytest.fixture(scope="module")
def poll() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    return pd.DataFrame(
        {
            "q": rng.choice(ANSWERS, n, p=[0.4, 0.3, 0.1, 0.1, 0.1]),
            "w": rng.uniform(0.3, 3.0, n),
            "psu": rng.integers(0, 40, n),
            "stratum": rng.integers(0, 4, n),
            "tv": rng.choice(["tv", "web"], n, p=[0.6, 0.4]),
        }
    )


def linearised_mean_var(y: np.ndarray, w: np.ndarray, dom: np.ndarray) -> float:
    """Textbook variance of a weighted domain mean, every row its own PSU:
    n/(n-1) sum_i z_i^2 over ALL n rows, z_i = w_i (y_i - ybar_D)/W_D in the domain and 0
    outside (a domain is a subpopulation of the whole design: it keeps every PSU)."""
    n = len(y)
    W = w[dom].sum()
    ybar = (w[dom] * y[dom]).sum() / W
    z = np.where(dom, w * (y - ybar) / W, 0.0)
    total = 0.0
    for zi in z:  # the textbook sum, written out
        total += zi * zi
    return n / (n - 1) * total


def strat_cluster_mean_var(y, w, dom, psu, stratum) -> float:
    """Textbook stratified with-replacement variance of a weighted domain mean with PSUs
    nested in strata: sum_h n_h/(n_h-1) sum_j (z_hj - zbar_h)^2 with z_hj the PSU totals."""
    W = w[dom].sum()
    ybar = (w[dom] * y[dom]).sum() / W
    z = np.where(dom, w * (y - ybar) / W, 0.0)
    frame = pd.DataFrame({"z": z, "psu": psu, "h": stratum})
    tot = frame.groupby(["h", "psu"])["z"].sum().reset_index()
    v = 0.0
    for _, part in tot.groupby("h"):
        nh = len(part)
        v += nh / (nh - 1) * ((part["z"] - part["z"].mean()) ** 2).sum()
    return v


def test_unweighted_share_is_binomial_se(poll):
    res = unspoken.direct_poll(poll, "q")
    cats = dict(res.overall.categories)
    y = (poll["q"] == "rather").to_numpy(float)
    p = y.mean()
    se = np.sqrt(p * (1 - p) / (len(y) - 1))  # s^2/n with s^2 the sample variance
    assert cats["rather"].estimate == pytest.approx(p, rel=1e-12)
    assert cats["rather"].std_error == pytest.approx(se, rel=1e-10)
    assert cats["rather"].n == int(y.sum())


def test_weighted_support_and_domains_match_the_linearised_domain_variance(poll):
    res = unspoken.direct_poll(poll, "q", support="definitely,rather", weights="w", by="tv")
    y = poll["q"].isin(["definitely", "rather"]).to_numpy(float)
    w = poll["w"].to_numpy()
    allrows = np.ones(len(y), bool)
    sup = res.overall.support
    assert sup.estimate == pytest.approx(np.average(y, weights=w), rel=1e-12)
    assert sup.std_error == pytest.approx(np.sqrt(linearised_mean_var(y, w, allrows)), rel=1e-10)
    for group, table in res.by:
        dom = (poll["tv"] == group["tv"]).to_numpy()
        assert table.support.estimate == pytest.approx(
            np.average(y[dom], weights=w[dom]), rel=1e-12
        )
        v = linearised_mean_var(y, w, dom)
        assert table.support.std_error == pytest.approx(np.sqrt(v), rel=1e-10)
        assert table.support.std_error**2 != pytest.approx(
            (dom.sum() / (dom.sum() - 1)) / (len(y) / (len(y) - 1)) * v, rel=1e-6
        )  # the domain uses the full sample's n/(n-1): it stays in the whole design


def test_cluster_and_strata_match_the_textbook_stratified_variance(poll):
    res = unspoken.direct_poll(
        poll, "q", support="definitely", weights="w", cluster="psu", strata="stratum", by="tv"
    )
    y = (poll["q"] == "definitely").to_numpy(float)
    w = poll["w"].to_numpy()
    psu, h = poll["psu"].to_numpy(), poll["stratum"].to_numpy()
    v = strat_cluster_mean_var(y, w, np.ones(len(y), bool), psu, h)
    assert res.overall.support.std_error == pytest.approx(np.sqrt(v), rel=1e-10)
    group, table = res.by[1]
    dom = (poll["tv"] == group["tv"]).to_numpy()
    v = strat_cluster_mean_var(y, w, dom, psu, h)
    assert table.support.std_error == pytest.approx(np.sqrt(v), rel=1e-10)


def test_dk_policies(poll):
    y = poll["q"].isin(["definitely", "rather"]).to_numpy(float)
    dk = (poll["q"] == "hard to say").to_numpy()
    drop = unspoken.direct_poll(poll, "q", support="definitely,rather", dk="drop")
    assert drop.overall.support.estimate == pytest.approx(y[~dk].mean(), rel=1e-12)
    assert drop.overall.support.n == int((~dk).sum())
    bounds = unspoken.direct_poll(poll, "q", support="definitely,rather", dk="bounds")
    assert bounds.overall.support.estimate == pytest.approx(y.mean(), rel=1e-12)
    assert bounds.overall.support_upper.estimate == pytest.approx(y.mean() + dk.mean())
    assert bounds.dk_values == ["hard to say"]
    d = bounds.to_dict()
    assert d["overall"]["support_bounds"]["upper"]["estimate"] == pytest.approx(
        y.mean() + dk.mean()
    )


def test_missing_answers_stay_in_design(poll):
    df = poll.copy()
    df.loc[:49, "q"] = None
    res = unspoken.direct_poll(df, "q", support="definitely")
    y = (df["q"] == "definitely").to_numpy(float)
    answered = df["q"].notna().to_numpy()
    assert res.overall.n == 350
    assert res.overall.support.std_error == pytest.approx(
        np.sqrt(linearised_mean_var(y, np.ones(len(y)), answered)), rel=1e-10
    )
    assert any(
        "50 of 400 rows left out for a missing answer (column 'q': 50 rows, first 0, 1, 2, ...;"
        in n
        for n in res.notes
    ), res.notes
    assert poll["q"].notna().all()  # the user's frame is untouched


def test_small_group_reported_as_too_small(poll):
    df = poll.copy()
    df["g"] = np.where(np.arange(len(df)) < 20, "few", "many")
    res = unspoken.direct_poll(df, "q", support="definitely", by="g")
    few = dict((g["g"], t) for g, t in res.by)["few"]
    assert few.support is None and "suppressed to protect respondents" in few.note
    out = res.to_dict()
    assert out["by"][0]["note"].startswith("fewer than 30 respondents")
    assert out["by"][0]["n"] == "n < 30" and out["by"][0]["suppressed"] is True


def test_bad_input(poll):
    with pytest.raises(DataError, match="'nope'"):
        unspoken.direct_poll(poll, "nope")
    with pytest.raises(DataError, match="support value 'maybe'"):
        unspoken.direct_poll(poll, "q", support="maybe")
    # several substantive answers: the support share needs support= (as in gap)
    with pytest.raises(DataError, match="cannot tell which answers of 'q' mean support"):
        unspoken.direct_poll(poll, "q", dk="bounds")
    with pytest.raises(DataError, match=r"\['hard to say'\] are both support and don't know"):
        unspoken.direct_poll(poll, "q", support="definitely,hard to say")
    df = poll.copy()
    df.loc[3, "w"] = -1
    with pytest.raises(DataError, match="'w'") as e:
        unspoken.direct_poll(df, "q", weights="w")
    assert 3 in e.value.rows


def test_order_of_answers(poll):
    res = unspoken.direct_poll(poll, "q", order="definitely,rather,rather not,definitely not")
    assert [v for v, _ in res.overall.categories] == ANSWERS
    plain = unspoken.direct_poll(poll, "q")
    a = dict(res.overall.categories)
    for v, e in plain.overall.categories:
        assert a[v].estimate == e.estimate and a[v].std_error == e.std_error


def test_dk_labels_recognised_in_english_and_russian():
    df = pd.DataFrame(
        {"q": ["Да", "Нет", "Затрудняюсь ответить", "Да", "Отказ от ответа", "Don't know"] * 10}
    )
    res = unspoken.direct_poll(df, "q", support="да", dk="drop")
    assert set(res.dk_values) == {"Затрудняюсь ответить", "Отказ от ответа", "Don't know"}
    assert res.overall.support.estimate == pytest.approx(2 / 3, rel=1e-12)


def test_vocabulary_outcome_vcov_and_missing(poll):
    """outcome= and vcov= are the names (question= and variance= warn); missing='error'
    refuses a missing answer or design value, naming the rows; 'listwise' says what it
    dropped."""
    new = unspoken.direct_poll(poll, outcome="q", vcov="hc0")
    with pytest.warns(DeprecationWarning, match="outcome"):
        old = unspoken.direct_poll(poll, question="q", vcov="hc0")
    assert old.to_dict() == new.to_dict() and new.to_dict()["vcov"] == "hc0"
    df = poll.copy()
    df.loc[[5, 9], "q"] = None
    df.loc[7, "tv"] = None
    with pytest.raises(DataError, match="'tv'") as e:
        unspoken.direct_poll(df, "q", by="tv", missing="error")
    assert list(e.value.rows) == [7]
    with pytest.raises(DataError, match="'q'") as e:
        unspoken.direct_poll(df, "q", missing="error")
    assert list(e.value.rows) == [5, 9]
    res = unspoken.direct_poll(df, "q", by="tv")
    assert any("1 of 400 rows dropped" in n for n in res.notes), res.notes
    assert res.overall.n == 397


def test_tidy_rows_and_plot(poll, tmp_path):
    res = unspoken.direct_poll(poll, "q", "definitely,rather", dk="bounds", by="tv", min_n=200)
    t = res.tidy()
    assert list(t.columns[:7]) == [
        "group", "part", "term", "estimate", "std_error", "ci_low", "ci_high",
    ]  # fmt: skip
    top = t[t["group"] == "(all)"]
    assert list(top["part"]) == ["answer"] * 5 + ["support", "support"]
    assert list(top["term"])[-2:] == ["lower", "upper"]
    assert top["estimate"].iloc[-2] == res.overall.support.estimate
    assert top["estimate"].iloc[-1] == res.overall.support_upper.estimate
    web = t[t["group"] == "tv = web"]  # 171 answers < min_n: one row, a note, no numbers
    assert len(web) == 1 and web["estimate"].isna().all() and "suppressed" in web["note"].iloc[0]
    wide = res.tidy(level=0.5)
    narrower = wide["ci_high"] - wide["ci_low"] < t["ci_high"] - t["ci_low"]
    assert narrower.sum() == t["std_error"].notna().sum() == len(top)
    res.plot(tmp_path / "direct.png")
    assert (tmp_path / "direct.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(DataError, match=r"\.svg"):
        res.plot(tmp_path / "direct.txt")
