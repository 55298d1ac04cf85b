"""The public list_experiment(...) reaches every variant and refuses what no model covers."""

import numpy as np
import pytest
from listexp_fitters import fit_multi

import unspoken
from unspoken import datasets
from unspoken.errors import UnsupportedError

F = "y ~ south + age + male + college"


@pytest.fixture(scope="module")
def race():
    return datasets.load("race")


def test_multi_item_detected_from_treatment_values():
    multi = datasets.load("multi")
    fit = unspoken.list_experiment(
        multi, "y ~ male + college", "treat", 3, method="ml", multi_condition="level"
    )
    ref = fit_multi(multi, "y ~ male + college", "treat", 3, method="ml", multi_condition="level")
    np.testing.assert_allclose(fit.params_, ref.params_)
    assert [e.label for e in fit.prevalence] == ["affirm", "race"]
    d = fit.to_dict()
    assert isinstance(d["prevalence"], list) and d["prevalence"][0]["item"] == "affirm"
    assert {p["part"] for p in d["params"]} == {"sensitive.affirm", "sensitive.race", "control"}
    # J inferred from the control group, as for the standard design
    fit2 = unspoken.list_experiment(multi, "y ~ 1", "treat", method="dim")
    assert fit2.extra["J"] == 3 and any("J = 3" in n for n in fit2.notes)
    assert fit2.prevalence[1].estimate == pytest.approx(
        multi.y[multi.treat == "race"].mean() - multi.y[multi.treat == "control"].mean()
    )


def test_variants_through_list_experiment(race):
    fit = unspoken.list_experiment(
        race,
        F,
        "treat",
        3,
        ceiling=True,
        floor=True,
        ceiling_formula="~ south",
        liar_fit="bayesglm",
    )
    assert list(dict.fromkeys(fit.parts))[-2:] == ["floor", "ceiling"]
    fit = unspoken.list_experiment(race, F, "treat", 3, error="topcode")
    assert fit.terms[-1] == "logit(p)"
    fit = unspoken.list_experiment(race, F, "treat", 3, overdispersed=True)
    assert fit.parts[-1] == "overdispersion"


@pytest.mark.parametrize(
    "kw",
    [
        dict(ceiling=True, error="topcoded"),
        dict(overdispersed=True, floor=True),
        dict(ceiling=True, method="nls"),
        dict(error="uniform", constrained=False),
        dict(multi_condition="level"),
        dict(ceiling=True, by="south"),
        dict(robust=True, overdispersed=True),
        dict(robust=True, ceiling=True),
    ],
)
def test_unsupported_combinations(race, kw):
    kw = {"method": "ml", **kw}
    with pytest.raises(UnsupportedError):
        unspoken.list_experiment(race, F, "treat", 3, **kw)


def test_multi_refuses_single_item_models():
    multi = datasets.load("multi")
    with pytest.raises(UnsupportedError, match="several sensitive items"):
        unspoken.list_experiment(multi, "y ~ 1", "treat", 3, ceiling=True)


def test_multi_item_coding_and_control_value():
    from unspoken.errors import DataError

    m = datasets.load("multi")
    m["tnum"] = m["treat"].map({"control": 0, "affirm": 1, "race": 2})
    m["tlab"] = m["treat"].map({"control": "none", "affirm": "A", "race": "B"})
    fit = unspoken.list_experiment(m, "y ~ 1", "tnum", 3, method="lm")
    assert sorted(set(fit.parts)) == ["control", "sensitive.1", "sensitive.2"]
    with pytest.raises(DataError, match="control") as e:
        unspoken.list_experiment(m, "y ~ 1", "tlab", 3)
    assert e.value.column == "tlab"
    fit2 = unspoken.list_experiment(m, "y ~ 1", "tlab", 3, control="none", method="lm")
    assert [p.label for p in fit2.prevalence] == ["A", "B"]
    np.testing.assert_allclose(fit2.params_, fit.params_, rtol=1e-12)
