"""Known shares (``aux=``) through the public routes: the options checked once, bad input
refused with the argument or column named, the CLI and the web form giving the Python
numbers, and the fit's JSON, view and other variances."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from unspoken import datasets
from unspoken.errors import DataError, UnsupportedError
from unspoken.listexp import list_experiment
from unspoken.listexp.aux import parse_shares
from unspoken.listexp.options import Auxiliary

F = "y ~ age + college + male + south"
SOUTH = {"group": "south", "shares": {0: 0.10, 1: 0.30}}


@pytest.fixture(scope="module")
def race() -> pd.DataFrame:
    return datasets.load("race")


@pytest.fixture(scope="module")
def fit(race):
    return list_experiment(race, F, J=3, method="nls", aux=SOUTH)


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("aux", "words"),
    [
        ({"group": "south", "shares": {0: 0.1, 1: 1.2}}, "strictly between 0 and 1"),
        ({"group": "south", "shares": {0: 0.1, 1: True}}, "strictly between 0 and 1"),
        ({"group": "south", "shares": {}}, "empty"),
        ({"group": "south", "shares": 0.2}, "map each value of 'south'"),
        ({"shares": {0: 0.1, 1: 0.3}}, "no aux group column"),
        ({"group": "south", "shares": {0: 0.1, "0": 0.3}}, "twice"),
        ({"group": "south", "shares": {0: 0.1}, "weight": "cue"}, "unknown key"),
        ({"group": "south", "shares": {0: 0.1}, "weighting": "gmm"}, "weighting"),
        ("south=0.1", "must be a dict"),
    ],
)
def test_options_refused(race, aux, words):
    with pytest.raises(UnsupportedError, match=words) as e:
        list_experiment(race, F, J=3, method="nls", aux=aux)
    assert e.value.param == "aux"


def test_labels_as_text():
    a = Auxiliary({0: 0.1, 1.0: 0.3, np.int64(2): 0.2}, "g")
    assert a.shares == {"0": 0.1, "1": 0.3, "2": 0.2}
    assert Auxiliary(0.15).shares == {"all": 0.15}


@pytest.mark.parametrize("method", ["dim", "lm"])
def test_methods_without_a_logistic_model_refused(race, method):
    formula = "y ~ 1" if method == "dim" else F
    with pytest.raises(UnsupportedError, match="needs method='nls' or 'ml'"):
        list_experiment(race, formula, J=3, method=method, aux=SOUTH)


def test_variants_refused(race):
    with pytest.raises(UnsupportedError, match="standard design only"):
        list_experiment(race, F, J=3, method="ml", aux=SOUTH, ceiling=True)


def test_variance_refused(race):
    with pytest.raises(UnsupportedError, match="efficient GMM variance"):
        list_experiment(race, F, J=3, method="ml", aux=SOUTH, vcov="model")


# --------------------------------------------------------------------------- data


def test_group_column_checked(race):
    with pytest.raises(DataError, match="south_x"):
        list_experiment(race, F, J=3, method="nls", aux={"group": "south_x", "shares": {0: 0.1}})
    with pytest.raises(DataError, match=r"group\(s\) 1 of 'south' have no share"):
        list_experiment(race, F, J=3, method="nls", aux={"group": "south", "shares": {0: 0.1}})
    three = {"group": "south", "shares": {0: 0.1, 1: 0.3, 2: 0.2}}
    with pytest.raises(DataError, match=r"share\(s\) for 2 match no analysed row"):
        list_experiment(race, F, J=3, method="nls", aux=three)


def test_missing_group_values_named(race):
    df = race.copy()
    df["region"] = df["south"].astype(object)
    df.loc[[4, 9], "region"] = None
    before = df.copy()
    with pytest.raises(DataError, match="missing in 2 analysed") as e:
        list_experiment(
            df, F, J=3, method="nls", aux={"group": "region", "shares": SOUTH["shares"]}
        )
    assert "4" in str(e.value) and "9" in str(e.value)
    pd.testing.assert_frame_equal(df, before)  # the user's frame is untouched


def test_group_without_variation_in_x_refused(race):
    with pytest.raises(UnsupportedError, match="no covariate of the formula varies"):
        list_experiment(race, "y ~ south", J=3, method="nls", aux=SOUTH)


# --------------------------------------------------------------------------- the fit


def test_json_and_view(fit):
    d = fit.to_dict()
    ov = d["overid"]
    assert set(ov) == {"statistic", "df", "p_value"} and ov["df"] == 2
    from scipy.stats import chi2

    assert ov["p_value"] == pytest.approx(chi2.sf(ov["statistic"], 2), rel=1e-12)
    assert d["aux"] == {"group": "south", "shares": {"0": 0.1, "1": 0.3}, "weighting": "efficient"}
    assert any("south = 0: 10%" in n for n in d["notes"])
    json.dumps(d)
    facts = " ".join(fit.view().facts)
    assert "Sargan-Hansen" in facts and "consistent with the known shares" in facts


def test_contradicting_shares_flagged(race):
    fit = list_experiment(
        race, F, J=3, method="ml", aux={"group": "south", "shares": {0: 0.2, 1: 0.1}}
    )
    assert fit.extra["overid"]["p_value"] < 0.05
    assert "contradict the known shares" in " ".join(fit.view().facts)


def test_overall_share_and_cue(race, fit):
    one = list_experiment(race, F, J=3, method="nls", aux={"shares": 0.15})
    assert one.extra["overid"]["df"] == 1 and one.converged
    cue = list_experiment(race, F, J=3, method="nls", aux={**SOUTH, "weighting": "cue"})
    assert cue.converged and cue.extra["aux"]["weighting"] == "cue"
    # CUE and two-step are asymptotically equivalent: here within a tenth of a s.e.
    assert np.all(np.abs(cue.params_ - fit.params_) < 0.1 * fit.std_errors.to_numpy())


def test_known_shares_move_the_prevalence_towards_them(race):
    plain = list_experiment(race, F, J=3, method="nls")
    south = race["south"].to_numpy()
    target = 0.1 * np.mean(south == 0) + 0.3 * np.mean(south == 1)
    fit = list_experiment(race, F, J=3, method="nls", aux=SOUTH)
    assert abs(fit.prevalence.estimate - target) < abs(plain.prevalence.estimate - target)
    assert fit.prevalence.std_error < plain.prevalence.std_error


def test_cluster_variance_and_with_vcov(race, fit):
    cl = list_experiment(race, F, J=3, method="nls", aux=SOUTH, vcov="cluster", cluster="state")
    assert cl.vcov_type == "cluster"
    np.testing.assert_allclose(cl.params_, fit.params_, rtol=1e-12)
    assert not np.allclose(cl.std_errors, fit.std_errors)
    again = cl.with_vcov("hc0")
    np.testing.assert_allclose(again.std_errors, fit.std_errors, rtol=1e-10)
    assert again.extra["overid"] == fit.extra["overid"]


def test_weights(race):
    df = race.assign(w=0.5 + (np.arange(len(race)) % 7) / 7)
    fit = list_experiment(df, F, J=3, method="ml", aux=SOUTH, weights="w")
    unw = list_experiment(df, F, J=3, method="ml", aux=SOUTH)
    assert fit.converged and fit.weights_ is not None
    assert not np.allclose(fit.params_, unw.params_)
    # weights that are all equal change nothing
    same = list_experiment(df.assign(w=2.0), F, J=3, method="ml", aux=SOUTH, weights="w")
    np.testing.assert_allclose(same.params_, unw.params_, rtol=1e-7)


# --------------------------------------------------------------------------- CLI and web


def test_parse_shares():
    assert parse_shares("0=0.10, 1=0.30") == {"0": 0.1, "1": 0.3}
    assert parse_shares(["0=0.10", "1=0.30"]) == {"0": 0.1, "1": 0.3}
    assert parse_shares("0=0.10; 1=0.30") == {"0": 0.1, "1": 0.3}
    assert parse_shares("0.15") == 0.15
    with pytest.raises(UnsupportedError, match="value=share"):
        parse_shares("0=0.1, 0.3")
    with pytest.raises(UnsupportedError, match="not a number"):
        parse_shares("0=ten")


def test_cli_json_equals_python(cli, fit):
    args = ["list", "race", "--formula", F, "--J", "3", "--method", "nls", "--aux-group"]
    args += ["south", "--aux-share", "0=0.10", "--aux-share", "1=0.30", "--json"]
    code, out, _ = cli(*args)
    assert code == 0
    d = json.loads(out)
    assert d["overid"] == pytest.approx(fit.extra["overid"], rel=1e-9)
    est = [p["estimate"] for p in d["params"]]
    np.testing.assert_allclose(est, fit.params_, rtol=1e-9)


def test_cli_errors(cli):
    code, _, err = cli("list", "race", "--method", "dim", "--J", "3", "--aux-share", "0.15")
    assert code != 0 and "needs method" in err
    code, _, err = cli("list", "race", "--formula", F, "--J", "3", "--method", "nls",
                       "--aux-group", "south")  # fmt: skip
    assert code != 0 and "--aux-share" in err


def test_web_form_equals_python(race, fit):
    from unspoken.web.analyses import ANALYSES, FormError, defaults, run

    a = ANALYSES["list"]
    values = defaults(a, [str(c) for c in race.columns], datasets.info("race").design)
    form = {**values, "method": "nls", "covariates": "age + college + male + south"}
    res, _ = run(a, race, {**form, "aux_group": "south", "aux_shares": "0=0.10, 1=0.30"})
    np.testing.assert_allclose(res.params_, fit.params_, rtol=1e-9)
    with pytest.raises(FormError) as e:
        run(a, race, {**form, "aux_group": "south", "aux_shares": "0=0.10, 0.30"})
    assert e.value.field == "aux_shares"
    with pytest.raises(FormError) as e:
        run(a, race, {**form, "method": "lm", "aux_shares": "0.15"})
    assert e.value.field == "method"
