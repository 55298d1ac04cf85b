"""The gap's data validated once (issue 11, item 4).

:func:`prepare` reads the user's frame at the boundary — column roles checked, incomplete
design rows dropped (and said), the list counts and arms, the direct answers and their
labels, weights, clusters and strata, the placebo arm, the covariates of ``method="ml"``
and the subgroups — into one :class:`Prepared` object of arrays. The direct share, the
hidden share (list difference in means, list ML, a user's fitted estimator), the placebo
list and the subgroup split all read that object; none of them sees the frame again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from unspoken.direct.answers import (
    answer_codes,
    dk_positions,
    missing_mark_note,
    parse_values,
    support_answers,
)
from unspoken.direct.estimator import group_masks, read_design, share_influence
from unspoken.errors import DataError, UnsupportedError
from unspoken.inference.covariance import SurveyDesign

Layout = Literal["everyone", "control", "separate", "mixed"]


@runtime_checkable
class HiddenShare(Protocol):
    """An indirect estimator giving a prevalence and per-respondent influence values.

    ``row_positions`` are the 0-based positions, in the data frame the estimator was fitted
    on, of the rows its influence values refer to. ``prevalence_influence(mask)`` returns the
    prevalence in the rows where ``mask`` (boolean, aligned with ``row_positions``; ``None`` =
    all) is true, and the influence values ``psi`` (aligned with ``row_positions``, zero
    outside the mask) such that ``estimate - truth ≈ sum(psi)``.
    """

    row_positions: np.ndarray

    def prevalence_influence(
        self, mask: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]: ...  # pragma: no cover - protocol


@dataclass
class ListDiM:
    """The design-based list estimate: weighted mean count of the treated list minus that of
    the control list (Imai 2011 eq. 1; Raghavarao & Federer 1979).

    ``psi_i = w_i (y_i - ybar_1)/W_1`` for treated rows, ``-w_i (y_i - ybar_0)/W_0`` for control.
    """

    y: np.ndarray
    treat: np.ndarray
    w: np.ndarray
    row_positions: np.ndarray

    def prevalence_influence(self, mask: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        m = np.ones(len(self.y), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        e1, p1 = share_influence(self.y, self.w, m & (self.treat == 1))
        e0, p0 = share_influence(self.y, self.w, m & (self.treat == 0))
        return float(e1[0] - e0[0]), (p1 - p0)[:, 0]


@dataclass(frozen=True)
class Roles:
    """The column roles of a gap analysis: names in the user's frame."""

    direct: str
    outcome: str | None = None
    treat: str | None = None
    weights: str | None = None
    cluster: str | None = None
    strata: str | None = None
    by: tuple[str, ...] = ()
    placebo_treat: str | None = None
    covariates: str | None = None  # the right-hand side of method="ml"'s two models

    @property
    def design(self) -> list[str]:
        """Columns whose missing values take a row out of the design: weights, cluster,
        strata and ``by`` (and the covariates of ``method="ml"``, see :func:`prepare`)."""
        return [c for c in (self.weights, self.cluster, self.strata) if c is not None] + list(
            self.by
        )


@dataclass
class Prepared:
    """The gap's data as arrays over the rows kept (``n``), validated once."""

    n: int
    J: int | None  # control items of the list (None with a user's hidden= estimator)
    design: SurveyDesign
    hidden: Any  # a HiddenShare: ListDiM, or the user's fitted estimator
    has_list: np.ndarray
    treat_full: np.ndarray  # 1 treated, 0 control, -1 not in the list part (or placebo arm)
    y_full: np.ndarray  # list counts (NaN where there is no list answer)
    support: np.ndarray
    is_dk: np.ndarray
    has_direct: np.ndarray
    placebo: Any
    layout: str
    labels: list[Any]
    support_idx: list[int]
    dk_idx: list[int]
    groups: list[tuple[dict[str, Any], np.ndarray]]
    notes: list[str]
    user_hidden: Any = None
    X: np.ndarray | None = None  # covariates of method="ml" (with the intercept)
    terms: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None  # the rows kept (a private copy of the user's frame)
    model_design: Any = None  # the DesignMatrix of X (applies the same coding to new rows)


def _layout(has_list: np.ndarray, has_direct: np.ndarray, treat: np.ndarray) -> Layout:
    both = has_list & has_direct
    if not both.any():
        return "separate"
    if has_direct[has_list].all():
        return "everyone"
    if (treat[both] == 0).all() and has_direct[has_list & (treat == 0)].all():
        return "control"
    return "mixed"


def _placebo_prevalence(value: Any, df: pd.DataFrame) -> float | str:
    if value is None:
        raise UnsupportedError("placebo_treat needs placebo_prevalence (a number or a column)")
    if isinstance(value, int | float | np.floating):
        p = float(value)
    else:
        text = str(value).strip()
        if text in df.columns:
            return text
        try:
            p = float(text)
        except ValueError:
            raise DataError(
                f"placebo prevalence {value!r} is neither a number nor a column of the data"
            ) from None
    if not 0.0 <= p <= 1.0:
        raise DataError(f"placebo prevalence must lie in [0, 1], got {p}")
    return p


def _in_list(rows: np.ndarray, has_list: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Positions in the data as given of ``rows`` (a mask over the list part's rows)."""
    return positions[np.flatnonzero(has_list)[rows]]


def _list_part(
    df: pd.DataFrame, roles: Roles, J: int, control: Any, positions: np.ndarray, n_input: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Rows with both a count and an arm: ``(has_list, treat_full, y_full, placebo_arm,
    notes)``; counts checked against ``J``, the placebo arm apart from the treated one."""
    from unspoken.io.arms import binary_column
    from unspoken.io.columns import integer_column
    from unspoken.io.missing import missing_rows

    outcome, treat, placebo_treat = roles.outcome, roles.treat, roles.placebo_treat
    n = len(df)
    treat_full = np.full(n, -1, dtype=np.int64)
    y_full = np.full(n, np.nan)
    placebo_arm = np.zeros(n, dtype=bool)
    list_cols = [outcome, treat] + ([placebo_treat] if placebo_treat else [])
    no_list, notes = missing_rows(
        df, list_cols, "list estimate", "left out for a missing count or arm", positions, n_input
    )
    has_list = ~no_list
    if not has_list.any():
        raise DataError(
            f"no row has both a list count ('{outcome}') and an arm ('{treat}')", column=outcome
        )
    sub = df.loc[has_list]
    tcodes, _ = binary_column(sub, treat, control=control)
    y = integer_column(sub, outcome, low=0, high=J + 1, role="list count")
    if placebo_treat:
        pcodes, _ = binary_column(sub, placebo_treat, role="placebo list")
        both = (pcodes == 1) & (tcodes == 1)
        if both.any():
            raise DataError(
                f"rows are in the sensitive ('{treat}') and the placebo "
                f"('{placebo_treat}') arm at once",
                column=placebo_treat,
                rows=_in_list(both, has_list, positions),
            )
        placebo_arm[has_list] = pcodes == 1
    arm = np.where(placebo_arm[has_list], -1, tcodes)
    over = (arm == 0) & (y > J)
    if over.any():
        raise DataError(
            f"control-list counts must lie in [0, {J}] (J = {J}) but {int(over.sum())} exceed it",
            column=outcome,
            rows=_in_list(over, has_list, positions),
        )
    treat_full[has_list] = arm
    y_full[has_list] = y
    return has_list, treat_full, y_full, placebo_arm, notes


def prepare(
    df: pd.DataFrame,
    roles: Roles,
    J: int | None,
    support: Any,
    dk_values: Any,
    control: Any,
    placebo_prevalence: Any,
    hidden: Any,
    missing: str = "listwise",
    model: bool = False,
) -> Prepared:
    """Validate the user's data (``df``: a private copy, see :func:`unspoken.io.to_pandas`)
    once, into a :class:`Prepared`. ``model``: ``method="ml"``, whose covariates (``roles.
    covariates``, else an intercept) are built here; rows missing one leave the design too.
    ``missing="error"`` refuses a missing weight, cluster, strata, ``by`` or covariate value
    (missing list or direct answers are the layout, not missing data)."""
    from unspoken.io.frames import require_columns
    from unspoken.io.missing import blank_to_missing, drop_missing, missing_rows

    n_input = len(df)
    direct = roles.direct
    require_columns(df, [direct], role="direct question")
    design_cols = roles.design
    if roles.covariates:  # method='ml': rows missing a covariate leave the design too
        from unspoken.formula import formula_columns

        cov_cols = formula_columns(roles.covariates, list(df.columns))
        design_cols += [c for c in cov_cols if c not in design_cols]
    require_columns(df, design_cols)
    notes: list[str] = []
    positions = np.arange(len(df))
    if hidden is None:
        if roles.outcome is None or roles.treat is None or J is None:
            raise DataError("gap needs outcome=, treat= and J= (or a fitted hidden= estimator)")
        from unspoken.listexp.data import check_J

        J = check_J(J)
        list_cols = [roles.outcome, roles.treat]
        list_cols += [roles.placebo_treat] if roles.placebo_treat else []
        require_columns(df, list_cols, role="list experiment")
    else:
        if not isinstance(hidden, HiddenShare):
            raise UnsupportedError(
                "hidden= must provide row_positions and prevalence_influence(mask)"
            )
        zero_w = roles.weights is not None and bool((df[roles.weights] == 0).any())
        if (design_cols and df[design_cols].isna().to_numpy().any()) or zero_w:
            raise UnsupportedError(
                "with hidden= the data must be the frame it was fitted on: weights, cluster, "
                "strata and by columns must have no missing values (and no weight 0)"
            )
    if design_cols:
        df, dropped, positions = drop_missing(df, design_cols, missing, weights=roles.weights)
        notes += dropped
    # the list part: rows with both a count and an arm
    n = len(df)
    if hidden is None:
        parts = _list_part(df, roles, J, control, positions, n_input)
        has_list, treat_full, y_full, placebo_arm, left_out = parts
        notes += left_out
    else:
        treat_full = np.full(n, -1, dtype=np.int64)
        y_full = np.full(n, np.nan)
        placebo_arm = np.zeros(n, dtype=bool)
        has_list = np.zeros(n, dtype=bool)
        rp = np.asarray(hidden.row_positions, dtype=np.int64)
        if rp.size and (rp.min() < 0 or rp.max() >= n):
            raise DataError("hidden.row_positions point outside the data given")
        has_list[rp] = True
    # the direct question
    df[direct] = blank_to_missing(df[direct])  # (df is a private copy)
    codes, labels = answer_codes(df[direct], positions)
    notes += missing_mark_note(codes, labels, direct)
    has_direct = codes >= 0
    if not has_direct.any():
        raise DataError(f"column '{direct}' has no answers", column=direct)
    notes += missing_rows(
        df, [direct], "direct share", "left out for a missing answer", positions, n_input
    )[1]
    dk_idx = dk_positions(labels, dk_values, direct)
    support_idx = support_answers(labels, direct, parse_values(support), dk_idx)
    sup = np.isin(codes, support_idx)
    is_dk = np.isin(codes, dk_idx)
    layout = _layout(has_list & ~placebo_arm, has_direct, treat_full)
    # drop rows with neither part from the design
    keep = has_list | has_direct | placebo_arm
    if not keep.all():
        notes.append(
            f"{int((~keep).sum())} rows have neither a list answer nor a direct answer (left out)"
        )
        if hidden is not None:
            raise DataError(
                "with hidden= every row must hold a hidden or a direct answer; subset the "
                "data before fitting"
            )
        df = df.loc[keep]
        positions = positions[keep]
        treat_full, y_full, placebo_arm = treat_full[keep], y_full[keep], placebo_arm[keep]
        has_list, has_direct, sup, is_dk = has_list[keep], has_direct[keep], sup[keep], is_dk[keep]
    design = read_design(df, roles.weights, roles.cluster, roles.strata)
    if hidden is None:
        in_list = np.flatnonzero(treat_full >= 0)
        hidden_obj: Any = ListDiM(y_full[in_list], treat_full[in_list], design.w[in_list], in_list)
    else:
        hidden_obj = hidden
    placebo = None
    if roles.placebo_treat:
        from unspoken.falsification.placebo import PlaceboList

        prev = _placebo_prevalence(placebo_prevalence, df)
        placebo = PlaceboList.build(df, y_full, treat_full, placebo_arm, design.w, prev)
    elif placebo_prevalence is not None:
        raise UnsupportedError("placebo_prevalence needs placebo_treat (the placebo-arm column)")
    X, terms, dm = None, [], None
    if model:
        from unspoken.formula import model_matrix

        dm = model_matrix(roles.covariates or "1", df)
        X, terms = dm.X, dm.names
    return Prepared(
        n=len(df),
        J=J,
        design=design,
        hidden=hidden_obj,
        has_list=has_list,
        treat_full=treat_full,
        y_full=y_full,
        support=sup.astype(float),
        is_dk=is_dk,
        has_direct=has_direct,
        placebo=placebo,
        layout=layout,
        labels=labels,
        support_idx=support_idx,
        dk_idx=dk_idx,
        groups=group_masks(df, list(roles.by)),
        notes=notes,
        user_hidden=hidden,
        X=X,
        terms=terms,
        frame=df,
        model_design=dm,
    )
