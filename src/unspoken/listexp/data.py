"""Validated data of list experiments (the bottom layer of :mod:`unspoken.listexp`).

:func:`prepare_list_data` turns a user's frame, a formula and the column roles into a
:class:`ListData`: the counts ``y``, the 0/1 treatment ``t``, the design matrix ``X``, ``J``,
the survey design (weights, clusters, strata), an optional subgroup column, and notes on
what was done (listwise deletion, inferred J). Every problem raises
:class:`~unspoken.errors.DataError` naming the column and the rows at fault; row numbers are
0-based positions in the data as given (validation runs before incomplete rows are dropped,
so the numbers always refer to the user's own rows).

Designs with several sensitive items, and the single-item ML variants, use
:func:`prepare_multi` and :class:`MultiData` instead; their variance estimator is chosen by
:func:`unspoken.inference.covariance.resolve_vcov`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from unspoken.errors import DataError
from unspoken.formula import (
    DesignMatrix,
    check_full_rank,
    formula_columns,
    model_matrix,
    split_formula,
)
from unspoken.inference.covariance import SurveyDesign, survey_design
from unspoken.listexp.options import DESIGN
from unspoken.options import Design

__all__ = [
    "ListData",
    "MultiData",
    "check_J",
    "check_missing",
    "prepare_list_data",
    "prepare_multi",
]

MissingPolicy = Literal["listwise", "error"]


@dataclass
class ListData:
    """A checked standard-design list experiment (complete cases only)."""

    y: np.ndarray
    t: np.ndarray
    X: np.ndarray
    terms: list[str]
    J: int
    design: DesignMatrix
    survey: SurveyDesign
    frame: pd.DataFrame
    kept: np.ndarray
    outcome: str
    treat: str
    treat_info: dict[str, Any]
    n_input: int
    by: str | None = None
    by_codes: np.ndarray | None = None
    by_labels: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    n_zero_weight: int = 0  # rows not counted because their weight is 0 (in notes)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def n_treated(self) -> int:
        return int(self.t.sum())

    @property
    def weights(self) -> np.ndarray | None:
        return self.survey.weights


#: the most control items a list may have: real lists have a handful, and the models hold
#: arrays of size J (a mistyped J = 10**12 asked for terabytes)
MAX_J = 1000


def check_J(J: Any) -> int:
    """``J`` (the number of control items) as an ``int``; :class:`DataError` unless it is a
    positive whole number (``3`` or ``3.0``; not ``True``, ``2.5``, ``0`` or text) of at
    most :data:`MAX_J`."""
    if (
        isinstance(J, bool)
        or not isinstance(J, int | float | np.integer | np.floating)
        or not float(J).is_integer()
        or J < 1
    ):
        raise DataError(f"J (the number of control items) must be a positive integer, not {J!r}")
    if J > MAX_J:
        raise DataError(
            f"J (the number of control items) is {J!r}: a list has a handful of items (at most "
            f"{MAX_J:,} here); is J right?"
        )
    return int(J)


def infer_J(y: np.ndarray, control: np.ndarray, column: str, rows: Any = None) -> int:
    """``J`` when it is not given: the largest count in the control group.

    ``y`` are the present counts of both arms, ``control`` marks the control group, ``rows``
    their 0-based positions in the user's data. Refused (:class:`DataError` naming the rows)
    when the counts jump over two or more whole numbers (0, 1, 2, 3, 99): the top values are
    then almost surely a missing-value code ("99 = refused") or a typo, and a J taken from
    them would make every model wrong without a word.
    """
    y = np.asarray(y)
    control = np.asarray(control, dtype=bool)
    rows = np.arange(len(y)) if rows is None else np.asarray(rows)
    if not control.any():
        raise DataError(f"column '{column}': the control group is empty", column=column)
    used = np.unique(y)
    jumps = np.flatnonzero(np.diff(used) >= 3)
    if jumps.size:
        low, high = int(used[jumps[0]]), int(used[jumps[0] + 1])
        bad = np.flatnonzero(y >= high)
        raise DataError(
            f"J (the number of control items) was not given, and the counts in column "
            f"'{column}' jump from {low} to {high} ({len(bad)} row{'s' if len(bad) > 1 else ''} "
            f"with {high} or more): is {high} a missing-value code (such as 99 for 'refused') "
            "or a typo? Recode those answers to missing, or give J (--J) if they are real "
            "counts",
            column=column,
            rows=rows[bad],
            param="J",
        )
    return int(y[control].max())


def check_missing(missing: Any) -> MissingPolicy:
    """``missing`` if it is ``"listwise"`` or ``"error"``, else a :class:`DataError`."""
    if missing not in ("listwise", "error"):
        raise DataError(f"missing must be 'listwise' or 'error', not {missing!r}")
    return missing


def _like(df: pd.DataFrame, col: str, values: pd.Series) -> pd.DataFrame:
    """A one-column frame of ``values`` with ``df``'s index and its ``attrs``: the value
    labels read from an SPSS/Stata file (label -> code) stay known, so labelled counts read
    as their codes and a labelled treatment finds its control group by code 0."""
    out = pd.DataFrame({col: values}, index=df.index)
    out.attrs = df.attrs
    return out


def _fill_missing(s: pd.Series) -> pd.Series:
    """``s`` with missing values replaced by one of its present values (for validating the
    present values in place, so that error rows are positions in the user's data)."""
    present = s.dropna()
    if len(present) == len(s) or len(present) == 0:
        return s
    return s.where(s.notna(), present.iloc[0])


def _check_rank(X: np.ndarray, rows: np.ndarray | None, names: list[str], what: str) -> None:
    """:func:`~unspoken.formula.check_full_rank` on ``X[rows]``; for many rows on a
    ``k x k`` matrix ``R`` with ``R'R = X'X`` (same singular values and column dependencies),
    which avoids an SVD of the full data."""
    n = X.shape[0] if rows is None else int(np.count_nonzero(rows))
    if n < 5000:
        check_full_rank(X if rows is None else X[rows], names, what)
        return
    G = X.T @ X if rows is None else X.T @ (X * rows[:, None])
    vals, vecs = np.linalg.eigh(G)
    R = np.sqrt(np.clip(vals, 0, None))[:, None] * vecs.T
    check_full_rank(R, names, what)


def prepare_list_data(
    data: Any,
    formula: str,
    treat: str,
    J: int | None = None,
    control: Any = None,
    design: Design = DESIGN,
    by: str | None = None,
    missing: MissingPolicy = "listwise",
    check_arms: bool = True,
) -> ListData:
    """Validate and assemble a standard list experiment.

    ``formula`` is ``"y ~ x1 + x2"`` (``"y ~ 1"`` for none): the outcome is the item count,
    ``0..J`` in the control group and ``0..J+1`` in the treated group. ``treat`` is a
    two-valued column, ``control`` the value of the control group (0/False/"control" by
    default). ``J`` (number of control items) defaults to the largest control-group count,
    which is reported in the notes. ``design`` names the weights, cluster and strata
    columns. Missing values: ``"listwise"`` drops incomplete rows (reported in the notes),
    ``"error"`` refuses them.
    """
    from unspoken.io.arms import binary_column
    from unspoken.io.columns import factor_column, integer_column, weight_column
    from unspoken.io.frames import require_columns, to_pandas
    from unspoken.io.missing import drop_missing

    check_missing(missing)
    weights, cluster, strata = design.weights, design.cluster, design.strata
    # a pandas frame is only read here (never written), so it is not copied; other frames
    # (polars, dicts) are converted
    df = to_pandas(data, copy=False)
    n_input = len(df)
    if not isinstance(formula, str):
        raise DataError(f"formula must be text such as 'y ~ x1 + x2', got {type(formula)}")
    lhs, rhs = split_formula(formula)
    if lhs is None:
        raise DataError(f"formula '{formula}' has no outcome: write it as 'y ~ x1 + x2'")
    require_columns(df, [lhs], role="outcome")
    require_columns(df, [treat], role="treatment")
    covs = formula_columns(rhs, list(df.columns))
    for col, role in ((weights, "weights"), (cluster, "cluster"), (strata, "strata"), (by, "by")):
        if col is not None:
            require_columns(df, [col], role=role)
    if lhs == treat:
        raise DataError(f"the outcome and the treatment are the same column '{lhs}'", column=lhs)
    if treat in covs or lhs in covs:
        bad = treat if treat in covs else lhs
        raise DataError(
            f"column '{bad}' cannot be a covariate in the formula: it is the "
            f"{'treatment' if bad == treat else 'outcome'}",
            column=bad,
        )

    # ---- validate the present values in the user's own row numbering
    tcol = _fill_missing(df[treat])
    tmp = _like(df, treat, tcol)
    t_all, t_info = binary_column(tmp, treat, control=control)
    ycol = _fill_missing(df[lhs])
    ymiss = df[lhs].isna().to_numpy()
    tmp = _like(df, lhs, ycol)
    y_all = integer_column(tmp, lhs, low=0, role="item count")
    present = ~ymiss & ~df[treat].isna().to_numpy()
    ctrl = present & (t_all == 0)
    if J is None:
        if not ctrl.any():
            raise DataError(f"the control group of column '{treat}' is empty", column=treat)
        J_used = infer_J(y_all[present], ctrl[present], lhs, np.flatnonzero(present))
        inferred = True
    else:
        J_used = check_J(J)
        inferred = False
    over_c = ctrl & (y_all > J_used)
    over_t = present & (t_all == 1) & (y_all > J_used + 1)
    if over_c.any():  # (the treated arm's counts above J + 1 are named in the same message)
        rows = np.flatnonzero(over_c)
        also = ""
        if over_t.any():
            k = int(over_t.sum())
            also = f", and {k} treated-group count(s) exceed J + 1 = {J_used + 1}"
        raise DataError(
            f"column '{lhs}': {len(rows)} control-group count(s) exceed J = {J_used} "
            f"(e.g. {y_all[rows[0]]}){also}; a control respondent can name at most J items. "
            "Is J right, or is the treatment coded the other way round (control=...)?",
            column=lhs,
            rows=np.flatnonzero(over_c | over_t),
            param="J",
        )
    if over_t.any():
        rows = np.flatnonzero(over_t)
        raise DataError(
            f"column '{lhs}': {len(rows)} treated-group count(s) exceed J + 1 = {J_used + 1} "
            f"(e.g. {y_all[rows[0]]}); is J right?",
            column=lhs,
            rows=rows,
        )
    if weights is not None:
        tmp = _like(df, weights, _fill_missing(df[weights]))
        w_all = weight_column(tmp, weights)
        has_zero = bool(((w_all == 0) & df[weights].notna().to_numpy()).any())

    # ---- complete cases (rows with weight 0 are not counted either: drop_missing)
    cols = list(
        dict.fromkeys([lhs, treat, *covs, *(c for c in (weights, cluster, strata, by) if c)])
    )
    if not any(df[c].isna().any() for c in cols) and not (weights is not None and has_zero):
        frame, notes, kept = df[cols], [], np.arange(n_input)  # nothing to drop: no copy
    else:
        frame, notes, kept = drop_missing(df[cols], cols, policy=missing, weights=weights)
    notes = list(notes)
    if len(kept) == n_input:
        t, info = t_all, t_info
    else:
        t, info = binary_column(frame, treat, control=control)
    y = y_all[kept]
    if inferred:
        notes.append(f"J = {J_used} taken from the largest control-group count (pass J= to set it)")
    if y.max() < J_used:
        msg = (
            f"no respondent reported {J_used} or more items although J = {J_used}; "
            "check that J (the number of control items) is right"
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
        notes.append(msg)

    # ---- design
    dm = model_matrix(rhs, frame)
    X = dm.X
    _check_rank(X, None, dm.names, "covariate design")
    if check_arms and X.shape[1] > 1:
        _check_rank(X, t == 1, dm.names, "covariate design in the treated group")
        _check_rank(X, t == 0, dm.names, "covariate design in the control group")

    w = None
    if weights is not None:
        w = np.asarray(frame[weights], dtype=float)
    cl = factor_column(frame, cluster, role="cluster")[0] if cluster else None
    st = factor_column(frame, strata, role="strata")[0] if strata else None
    survey = SurveyDesign(len(frame), w, cl, st)
    by_codes, by_labels = (None, [])
    if by is not None:
        by_codes, by_labels = factor_column(frame, by, role="by")
    return ListData(
        y=y.astype(np.int64),
        t=t.astype(np.int64),
        X=X,
        terms=list(dm.names),
        J=J_used,
        design=dm,
        survey=survey,
        frame=frame,
        kept=kept,
        outcome=lhs,
        treat=treat,
        treat_info=info,
        n_input=n_input,
        by=by,
        by_codes=by_codes,
        by_labels=by_labels,
        notes=notes,
        n_zero_weight=(
            int(((w_all == 0) & ~df[cols].isna().any(axis=1).to_numpy()).sum())
            if weights is not None and has_zero
            else 0
        ),
    )


# --------------------------------------------------------------------------- several items


@dataclass
class MultiData:
    """Validated arrays of a multi-item list experiment.

    ``t`` codes the arm: 0 = control, k = sensitive item k (``labels[k]``).
    """

    y: np.ndarray
    t: np.ndarray
    X: np.ndarray
    terms: list[str]
    labels: list[Any]
    J: int
    design: SurveyDesign
    notes: list[str] = field(default_factory=list)
    outcome: str = "y"
    treat: str = "treat"
    extra_X: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)  # noqa: N815

    @property
    def K(self) -> int:
        return len(self.labels) - 1

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def w(self) -> np.ndarray:
        return self.design.w

    def subset(self, rows: np.ndarray) -> MultiData:
        return MultiData(
            self.y[rows],
            self.t[rows],
            self.X[rows],
            self.terms,
            self.labels,
            self.J,
            self.design.subset(rows),
            list(self.notes),
            self.outcome,
            self.treat,
            {k: (X[rows], names) for k, (X, names) in self.extra_X.items()},
        )


def prepare_multi(
    data: Any,
    formula: str,
    treat: str,
    J: int,
    control: Any = None,
    design: Design = DESIGN,
    missing: MissingPolicy = "listwise",
    extra_formulas: dict[str, str] | None = None,
) -> MultiData:
    """Check the data of a multi-item design and build the arrays (no model is fitted).

    ``extra_formulas`` (name -> right-hand side) builds further designs on the same rows
    (e.g. ceiling/floor models), returned in ``extra_X``."""
    from unspoken.io.arms import arm_column
    from unspoken.io.columns import integer_column
    from unspoken.io.frames import to_pandas
    from unspoken.io.missing import drop_missing

    if not isinstance(J, int | np.integer) or isinstance(J, bool) or J < 1:
        raise DataError(f"J (the number of control items) must be a positive integer, got {J!r}")
    J = int(J)
    df = to_pandas(data)
    outcome, rhs = split_formula(formula)
    if outcome is None:
        raise DataError(f"formula '{formula}' needs an outcome on the left: 'y ~ x1 + x2'")
    cols = [outcome, treat, *formula_columns(rhs, list(df.columns))]
    extra_rhs = {}
    for name, f in (extra_formulas or {}).items():
        lhs, r = split_formula(f)
        if lhs is not None:
            raise DataError(f"the {name} formula '{f}' takes a right-hand side only: '~ x1 + x2'")
        extra_rhs[name] = r
        cols += formula_columns(r, list(df.columns))
    cols += design.columns
    df, notes, _ = drop_missing(df, list(dict.fromkeys(cols)), missing, weights=design.weights)
    df = df.reset_index(drop=True)
    t, labels = arm_column(df, treat, control)
    if len(labels) < 2:
        raise DataError(f"column '{treat}' needs a control arm and at least one treated arm")
    y = integer_column(df, outcome, low=0, high=J + 1, role="outcome")
    over = (t == 0) & (y > J)
    if over.any():
        rows = np.flatnonzero(over)
        raise DataError(
            f"the control group counts J = {J} items, but {len(rows)} control respondents "
            f"report more than {J}",
            column=outcome,
            rows=rows,
        )
    for k in range(len(labels)):
        if not np.any(t == k):
            raise DataError(f"arm {labels[k]!r} of column '{treat}' has no respondents", treat)
    dm = model_matrix(rhs, df)
    check_full_rank(dm.X, dm.names, "covariate design")
    survey = survey_design(df, **design.as_kwargs())
    extra = {}
    for name, r in extra_rhs.items():
        em = model_matrix(r, df)
        check_full_rank(em.X, em.names, f"{name} design")
        extra[name] = (em.X, em.names)
    return MultiData(y, t, dm.X, dm.names, labels, J, survey, notes, outcome, treat, extra)
