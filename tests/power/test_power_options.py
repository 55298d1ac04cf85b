"""list_power/gap_power: one declaration of their shared arguments (the options objects), the
flat keyword arguments built from it, and the power results' tidy() rows."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import unspoken
from unspoken.errors import UnsupportedError
from unspoken.power.options import ControlItems, TestSpec
from unspoken.results import TIDY_COLUMNS


def test_the_public_signatures_come_from_the_options_objects() -> None:
    shared = ["control_mean", "control_var", "data", "outcome", "treat", "rho", "sensitive_cor",
              "n", "power", "alpha", "alternative", "treated_share"]  # fmt: skip
    for fn in (unspoken.list_power, unspoken.gap_power):
        params = inspect.signature(fn).parameters
        assert all(params[k].kind == inspect.Parameter.KEYWORD_ONLY for k in shared)
        assert params["alpha"].default == 0.05 and params["alternative"].default == "two.sided"
    assert list(inspect.signature(unspoken.list_power).parameters)[:3] == [
        "J",
        "prevalence",
        "null",
    ]


def test_options_are_checked_once_with_the_same_messages() -> None:
    with pytest.raises(UnsupportedError, match="exactly one of n and power"):
        TestSpec()
    with pytest.raises(UnsupportedError, match="alpha"):
        TestSpec(n=100, alpha=1.5)
    with pytest.raises(UnsupportedError, match="alternative"):
        TestSpec(n=100, alternative="less")
    with pytest.raises(UnsupportedError, match="at least 2"):
        TestSpec(n="many")
    with pytest.raises(UnsupportedError, match="J"):
        ControlItems(J=0)
    with pytest.raises(UnsupportedError, match="not both"):
        ControlItems(J=3, control_var=0.5, data="race")
    with pytest.raises(UnsupportedError, match="sensitive_cor"):
        unspoken.list_power(3, 0.2, power=0.8, sensitive_cor=2)
    assert ControlItems(J=3, control_var=0.5).assumed_rho is None
    a = unspoken.list_power(4, 0.2, 0.1, power=0.8)
    b = unspoken.list_power(J=4, prevalence=0.2, null=0.1, power=0.8)
    assert a.to_dict() == b.to_dict() and a.n == 3391


@pytest.mark.parametrize(
    "make",
    [
        lambda: unspoken.list_power(J=4, prevalence=0.2, null=0.1, power=0.8),
        lambda: unspoken.gap_power(J=4, gap=-0.10, direct_share=0.71, n=3000),
        lambda: unspoken.rr_power(design="mirrored", p=0.7, presp=0.2, n=300),
        lambda: unspoken.rr_power(design="mirrored", p=0.7, presp=0.2, power=0.8),
    ],
)
def test_analytic_power_tidy(make) -> None:
    res = make()
    t = res.tidy()
    assert tuple(t.columns) == TIDY_COLUMNS and len(t) == 1
    row = t.iloc[0]
    assert row["part"] == "power" and math.isnan(row["std_error"])
    if res.solved_for == "n":
        assert row["term"] == f"power={res.power:g}" and row["estimate"] == res.n
    else:
        assert row["term"] == f"n={res.n:g}" and row["estimate"] == res.power


def test_simulated_power_tidy_has_the_monte_carlo_error() -> None:
    res = unspoken.simulate_power("dim", n=300, reps=60, J=3, seed=1)
    a, b = res.tidy(), res.tidy(level=0.5)
    assert a.loc[0, "estimate"] == res.power and a.loc[0, "std_error"] == res.mc_se
    np.testing.assert_allclose(a.loc[0, "ci_high"] - a.loc[0, "ci_low"], 2 * 1.959964 * res.mc_se,
                               rtol=1e-6)  # fmt: skip
    assert b.loc[0, "ci_high"] - b.loc[0, "ci_low"] < a.loc[0, "ci_high"] - a.loc[0, "ci_low"]
