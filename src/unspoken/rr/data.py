"""Input checks and data preparation shared by the randomized-response estimators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.covariance import (
    SurveyDesign,
    resolve_offered_vcov,
    survey_design,
)
from unspoken.io.columns import numeric_column
from unspoken.io.frames import require_columns
from unspoken.io.missing import drop_missing
from unspoken.options import Design, Reporting
from unspoken.results import Estimate, GroupEstimate
from unspoken.rr.designs import RRDesign
from unspoken.smallcells import (
    Cell,
    ScreenedGroup,
    screen,
    whole_sample_note,
)

# --------------------------------------------------------------------------- data


@dataclass
class _Prepared:
    df: pd.DataFrame  # the used rows (a copy)
    y: np.ndarray
    kept: np.ndarray
    survey: SurveyDesign
    notes: list[str]
    answer: str


def _answers(df: pd.DataFrame, col: str, design: RRDesign, kept: np.ndarray) -> np.ndarray:
    """The answers as 0/1 floats; anything else is a DataError naming column and rows."""
    y = numeric_column(df, col, role="randomized response answer")
    bad = (y != 0) & (y != 1)
    if bad.any():
        pos = np.flatnonzero(bad)
        shown = ", ".join(f"{v:g}" for v in y[pos[:5]])
        raise DataError(
            f"the {design.name} design's answers must be 0 or 1 (1 = {design.yes_means}); "
            f"{len(pos)} value{'s are' if len(pos) > 1 else ' is'} not (e.g. {shown}; row "
            "numbers are 0-based positions in the data given)",
            column=col,
            rows=kept[pos],
        )
    return y


def _prepare(
    df: pd.DataFrame,
    answer: str,
    extra_cols: list[str],
    design: RRDesign,
    columns: Design,
    missing: Literal["listwise", "error"],
    by: str | None = None,
) -> _Prepared:
    """The used rows of ``df`` (the caller's :func:`to_pandas` frame), their 0/1 answers
    and survey design (weights, cluster and strata ``columns``); columns are checked first
    (``by`` too, though it is not used to drop rows)."""
    weights, cluster, strata = columns.weights, columns.cluster, columns.strata
    if by is not None:
        require_columns(df, [by], role="by")
    roles = [(answer, "randomized response answer")]
    roles += [
        (c, role)
        for c, role in ((weights, "weights"), (cluster, "cluster"), (strata, "strata"))
        if c is not None
    ]
    for col, role in roles:
        require_columns(df, [col], role=role)
    if weights is not None:  # checked on the data as given, so rows are the user's rows
        wt = numeric_column(df, weights, role="weights", allow_missing=True)
        bad = wt < 0
        if bad.any():
            raise DataError(
                f"weights must not be negative; {int(bad.sum())} are (row numbers are 0-based "
                "positions in the data given)",
                column=weights,
                rows=np.flatnonzero(bad),
            )
    cols = list(dict.fromkeys([answer, *extra_cols, *[c for c, _ in roles[1:]]]))
    used, notes, kept = drop_missing(df, cols, policy=missing, weights=weights)
    if len(used) < 2:
        raise DataError(
            f"column '{answer}' (randomized response answer) has {len(used)} usable "
            f"answer{'' if len(used) == 1 else 's'}: an estimate and its variance need at "
            "least two respondents",
            column=answer,
            rows=kept,
        )
    y = _answers(used, answer, design, kept)
    survey = survey_design(
        used.reset_index(drop=True), weights=weights, cluster=cluster, strata=strata
    )
    return _Prepared(used, y, kept, survey, notes, answer)


_CLOSED_FORM_WHY = {
    "bootstrap": "the closed form is not refitted; rr_regression offers the bootstrap",
}


def _default_kind(
    survey: SurveyDesign, vcov: str | None, estimator: str = "rr", notes: list[str] | None = None
) -> str:
    """The variance of a randomized-response ``estimator`` (a key of ``VCOV_OFFERS``):
    weights make the default the survey design's; the model-based variances read weights
    as frequency weights."""
    return resolve_offered_vcov(
        estimator,
        vcov,
        survey,
        notes,
        estimator="rr_regression" if estimator == "rr" else estimator,
        why=_CLOSED_FORM_WHY,
        weighted_default="survey",
        ignored="note",
        frequency_weights=True,
    )


def _check_mask(mask: Any, n: int) -> np.ndarray:
    """``mask`` as a non-empty boolean array over the ``n`` used rows (``None`` = all)."""
    if mask is None:
        return np.ones(n, dtype=bool)
    m = np.asarray(mask)
    if m.dtype != bool or m.shape != (n,):
        raise DataError(
            f"mask must be a boolean array over the {n} rows used in the fit "
            f"(got dtype {m.dtype}, shape {m.shape})"
        )
    if not m.any():
        raise DataError("mask selects no respondent")
    return m


def _screened_groups(
    df: pd.DataFrame,
    by: str | None,
    min_n: int,
    estimate: Callable[[np.ndarray], Estimate],
    notes: list[str],
) -> list[GroupEstimate]:
    """The prevalence in each group of ``by`` that the small-cell rule lets through (only
    those are estimated); the rule's notes are added to ``notes``."""
    groups = _group_masks(df, by)
    screened = screen([Cell(int(m.sum())) for _, m in groups], min_n)
    notes.extend(screened.notes)
    return [
        ScreenedGroup.of({by: lv}, v, estimate(m) if v.shown else None)  # type: ignore[dict-item]
        for (lv, m), v in zip(groups, screened.verdicts, strict=True)
    ]


def one_by(reporting: Reporting) -> str | None:
    """The one ``by`` column of a randomized-response analysis (``None``: no subgroups)."""
    if len(reporting.by) > 1:
        raise UnsupportedError(
            f"randomized response takes one by column, got {list(reporting.by)}", param="by"
        )
    return reporting.by[0] if reporting.by else None


def subgroups(
    prep: _Prepared,
    reporting: Reporting,
    estimate: Callable[[np.ndarray], Estimate],
    notes: list[str],
) -> list[GroupEstimate]:
    """The small-cell note on the whole sample (if any) and the estimate in each group of
    ``by`` the rule lets through; notes are added to ``notes``."""
    whole = whole_sample_note(Cell(len(prep.y)), reporting.min_n)
    if whole:
        notes.append(whole)
    return _screened_groups(prep.df, one_by(reporting), reporting.min_n, estimate, notes)


def _group_masks(df: pd.DataFrame, by: str | None) -> list[tuple[Any, np.ndarray]]:
    if by is None:
        return []
    s = df[by]  # checked by _prepare
    ok = ~s.isna().to_numpy()
    levels = pd.unique(s[ok])
    try:
        levels = sorted(levels)
    except TypeError:
        levels = list(levels)
    vals = s.to_numpy()
    return [(lv.item() if isinstance(lv, np.generic) else lv, ok & (vals == lv)) for lv in levels]
