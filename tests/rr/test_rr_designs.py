"""Design objects: answer probabilities, parameter checks and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from unspoken.errors import DataError, UnsupportedError
from unspoken.rr import (
    Crosswise,
    Disguised,
    ForcedKnown,
    Mirrored,
    Triangular,
    UnrelatedKnown,
    Warner,
    make_design,
    rr_prevalence,
    rr_regression,
)


def test_answer_probabilities_from_first_principles():
    # forced: truthful 2/3, forced yes 1/6 -> P(yes | Z=0) = 1/6, P(yes | Z=1) = 5/6
    d = ForcedKnown(p=2 / 3, p0=1 / 6, p1=1 / 6)
    assert (d.pi0, d.pi1) == pytest.approx((1 / 6, 5 / 6))
    # the third forced probability is filled in
    assert ForcedKnown(p=0.7, p1=0.1).p0 == pytest.approx(0.2)
    # mirrored / Warner / disguised: P(yes | Z=1) = p, P(yes | Z=0) = 1 - p
    for cls in (Mirrored, Warner, Disguised):
        d = cls(p=0.7)
        assert (d.pi0, d.pi1) == pytest.approx((0.3, 0.7))
    # unrelated: sensitive question with prob p, else unrelated with yes-rate q
    d = UnrelatedKnown(p=0.6, q=0.25)
    assert (d.pi0, d.pi1) == pytest.approx((0.4 * 0.25, 0.6 + 0.4 * 0.25))
    # crosswise: "same" = both true or both false, innocuous true with prob p
    d = Crosswise(p=0.2)
    assert (d.pi0, d.pi1) == pytest.approx((0.8, 0.2))
    # triangular: "both false" impossible for a trait holder; for others 1 - p
    d = Triangular(p=0.2)
    assert (d.pi0, d.pi1) == pytest.approx((0.8, 0.0))
    assert d.prob_yes(0.25) == pytest.approx(0.8 * 0.75)
    np.testing.assert_allclose(d.answer_probs, [[0.2, 1.0], [0.8, 0.0]])


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (dict(design="mirrored", p=0.5), "does not identify"),
        (dict(design="warner", p=0.5), "does not identify"),
        (dict(design="disguised", p=0.5), "does not identify"),
        (dict(design="crosswise", p=0.5), "does not identify"),
        (dict(design="mirrored", p=1.2), "p = 1.2"),
        (dict(design="crosswise", p=0.0), "must lie in (0, 1)"),
        (dict(design="triangular", p=1.0), "must lie in (0, 1)"),
        (dict(design="forced-known", p=0.0, p0=0.5, p1=0.5), "p = 0.0"),
        (dict(design="forced-known", p=0.5, p0=0.3, p1=0.3), "sum to 1"),
        (dict(design="forced-known", p=0.5), "missing: p0, p1"),
        (dict(design="forced-known", p=2 / 3, p1=1 / 6, p0=1 / 6, q=0.3), "q"),
        (dict(design="unrelated-known", p=0.5), "needs the parameter q"),
        (dict(design="unrelated-known", p=0.5, q=1.5), "q = 1.5"),
        (dict(design="unrelated-known", p=0.0, q=0.5), "p = 0.0"),
        (dict(design="mirrored", p="abc"), "must be a number"),
        (dict(design="bogus", p=0.3), "unknown randomized response design"),
    ],
)
def test_bad_design_parameters(kwargs, needle):
    with pytest.raises(UnsupportedError) as e:
        make_design(**kwargs)
    assert needle in str(e.value)


def test_forced_with_equal_forced_probabilities_is_fine():
    # p0 = p1 is the nigeria design; only p = 0 (p0 + p1 = 1) removes identification
    assert ForcedKnown(p=2 / 3, p0=1 / 6, p1=1 / 6).b == pytest.approx(2 / 3)


def _frame():
    rng = np.random.default_rng(3)
    return pd.DataFrame({"ans": rng.integers(0, 2, 50), "x": rng.standard_normal(50)})


def test_answers_outside_answer_set_name_column_and_rows():
    df = _frame()
    df.loc[[7, 12], "ans"] = 2
    with pytest.raises(DataError) as e:
        rr_regression(df, "ans ~ x", design="crosswise", p=0.2)
    assert e.value.column == "ans"
    assert e.value.rows == [7, 12]
    assert "both statements true or both false" in str(e.value)
    with pytest.raises(DataError) as e:
        rr_prevalence(df, "ans", design="mirrored", p=0.7)
    assert e.value.rows == [7, 12]


def test_rows_are_positions_in_the_input_after_missing_rows():
    df = _frame()
    df.loc[3, "x"] = np.nan
    df.loc[20, "ans"] = -1
    with pytest.raises(DataError) as e:
        rr_regression(df, "ans ~ x", design="mirrored", p=0.7)
    assert e.value.rows == [20]


def test_text_answers_and_missing_columns():
    df = _frame().astype({"ans": object})
    df.loc[5, "ans"] = "yes"
    with pytest.raises(DataError) as e:
        rr_regression(df, "ans ~ x", design="mirrored", p=0.7)
    assert e.value.column == "ans"
    with pytest.raises(DataError) as e:
        rr_regression(_frame(), "answer ~ x", design="mirrored", p=0.7)
    assert e.value.column == "answer"
    with pytest.raises(DataError):
        rr_regression(_frame(), "ans ~ x", design="mirrored", p=0.7, weights="wt")


def test_bad_weights_and_by_columns():
    df = _frame()
    df["w"] = 1.0
    df.loc[[0, 30], "x"] = np.nan  # dropped rows do not shift the rows reported
    df.loc[[33, 41], "w"] = [0.0, -2.0]  # weight 0 drops row 33 (a note); -2 is refused
    with pytest.raises(DataError) as e:
        rr_regression(df, "ans ~ x", design="mirrored", p=0.7, weights="w")
    assert e.value.column == "w" and e.value.rows == [41]
    with pytest.raises(DataError) as e:
        rr_regression(df, "ans ~ x", design="mirrored", p=0.7, by="region")
    assert e.value.column == "region"


def test_bad_options():
    with pytest.raises(UnsupportedError):
        rr_regression(_frame(), "ans ~ x", design="mirrored", p=0.7, vcov="hc9")
    with pytest.raises(UnsupportedError):
        rr_regression(_frame(), "ans ~ x", design="mirrored", p=0.7, vcov="cluster")
    with pytest.raises(UnsupportedError):
        rr_prevalence(_frame(), "ans ~ x", design="mirrored", p=0.7)
    with pytest.raises(DataError):
        rr_regression(_frame(), "~ x", design="mirrored", p=0.7)


def test_user_frame_is_not_modified():
    df = _frame()
    before = df.copy()
    rr_regression(df, "ans ~ x", design="mirrored", p=0.8)
    pd.testing.assert_frame_equal(df, before)
