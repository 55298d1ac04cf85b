"""The options objects (unspoken.options): validated once, frozen, one default each."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from unspoken.errors import DataError, UnsupportedError
from unspoken.options import (
    DEFAULT_BOOTSTRAP_REPS,
    Design,
    Inference,
    Missing,
    Reporting,
    choice,
    renamed,
    whole_number,
)


def test_inference_canonicalises_vcov_aliases_and_checks_everything() -> None:
    assert Inference(vcov="HC3").vcov == "hc3"
    assert Inference(vcov="Taylor").vcov == "survey"
    assert Inference(vcov="clustered").vcov == "cluster"
    assert Inference().bootstrap_reps == DEFAULT_BOOTSTRAP_REPS == 500
    assert Inference(seed=np.int64(3)).seed == 3
    for bad in [
        dict(vcov="sandwich"),
        dict(level=95),
        dict(level=True),
        dict(level=float("nan")),
        dict(bootstrap_reps=1),
        dict(bootstrap_reps=2.5),
        dict(bootstrap_reps=True),
        dict(seed=-1),
        dict(seed="1"),
    ]:
        with pytest.raises(UnsupportedError) as e:
            Inference(**bad)
        assert e.value.param == next(iter(bad))


def test_options_are_frozen_and_replace_validates_again() -> None:
    inf = Inference(level=0.9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        inf.level = 0.5  # type: ignore[misc]
    assert inf.replace(vcov="HC0").vcov == "hc0"
    with pytest.raises(UnsupportedError):
        inf.replace(level=2)
    assert inf.as_kwargs() == {"vcov": None, "level": 0.9, "bootstrap_reps": 500, "seed": None}


def test_design_and_reporting() -> None:
    d = Design(weights="w", strata="s")
    assert d.columns == ["w", "s"] and d.given and not Design().given
    with pytest.raises(UnsupportedError, match="cluster must be a column name"):
        Design(cluster="")
    r = Reporting(by="region")
    assert r.by == ("region",) and r.min_n == 30 and r.missing == "listwise"
    assert Reporting(by=None).by == () and Reporting(by=["a", "b"]).by == ("a", "b")
    with pytest.raises(UnsupportedError, match="missing must be one of 'listwise', 'error'"):
        Reporting(missing="drop")
    with pytest.raises(DataError):
        Reporting(min_n=0)


def test_choice_and_whole_number() -> None:
    assert choice("error", Missing, "missing") == "error"
    assert choice("b", ("a", "b"), "x") == "b"
    with pytest.raises(UnsupportedError, match="x must be one of 'a', 'b', got 'c'"):
        choice("c", ("a", "b"), "x")
    with pytest.raises(UnsupportedError):
        choice(True, (True, False, 1), "flag")  # a bool is never a Literal choice here
    assert whole_number(4.0, "n") == 4
    with pytest.raises(UnsupportedError, match="at least 1"):
        whole_number(0, "n")


def test_renamed_warns_once_and_refuses_two_different_values() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert renamed(None, "hc0", "variance", "vcov") == "hc0"  # new name: no warning
    with pytest.warns(DeprecationWarning, match=r"variance= is now called vcov="):
        assert renamed("hc0", None, "variance", "vcov") == "hc0"
    with pytest.warns(DeprecationWarning):
        assert renamed("hc0", "hc0", "variance", "vcov") == "hc0"
    with pytest.warns(DeprecationWarning), pytest.raises(UnsupportedError, match="give vcov="):
        renamed("hc0", "survey", "variance", "vcov")
