"""The gap estimator: direct share, hidden share and their difference, with a joint variance.

Both shares are written as sums of per-respondent influence values over the rows of one
data set: the direct share ``d`` (a weighted domain mean, see :mod:`unspoken.direct`) and the
hidden share ``h`` from any indirect estimator that satisfies :class:`HiddenShare` (the list
difference in means, the list ML, randomized response). Stacking ``(psi^d_i, psi^h_i)`` and
summing by the design (rows, clusters, strata) gives their joint covariance ``V``, so

    gap = h - d,   Var(gap) = V_hh + V_dd - 2 V_hd.

When the direct question is asked of everyone (or of the control group) the two estimates
share respondents and ``V_hd`` is not zero; when it is asked of a separate subsample the
influence values never overlap and ``V_hd`` is zero (up to the design's centring). All three
layouts therefore go through the same formula. Subgroup estimates are domain estimates
(influence values zero outside the group, variance over the whole design).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args, runtime_checkable

import numpy as np
import pandas as pd

from unspoken.direct import (
    DK_POLICIES,
    DkPolicy,
    answer_codes,
    as_list,
    check_choice,
    dk_positions,
    group_masks,
    missing_mark_note,
    parse_values,
    read_design,
    share_influence,
    support_answers,
)
from unspoken.errors import DataError, UnsupportedError
from unspoken.falsification.context import _Context, _Prepared
from unspoken.falsification.results import GapResult
from unspoken.falsification.results import GapRow as GapRow  # re-exported: the result of one domain
from unspoken.inference.covariance import VCOV_OFFERS, check_vcov_name
from unspoken.results import z_value
from unspoken.smallcells import (
    DEFAULT_MIN_N,
    check_min_n,
    screen,
    whole_sample_note,
)

GapMethod = Literal["dim", "ml"]
GapVariance = Literal["survey", "hc0"]
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


# --------------------------------------------------------------------------- input


def _layout(has_list: np.ndarray, has_direct: np.ndarray, treat: np.ndarray) -> Layout:
    both = has_list & has_direct
    if not both.any():
        return "separate"
    if has_direct[has_list].all():
        return "everyone"
    if (treat[both] == 0).all() and has_direct[has_list & (treat == 0)].all():
        return "control"
    return "mixed"


def _parse_placebo_prevalence(value: Any, df: pd.DataFrame) -> float | str:
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


# --------------------------------------------------------------------------- estimator
def gap(
    data: Any,
    outcome: str | None = None,
    treat: str | None = None,
    J: int | None = None,
    direct: str | None = None,
    support: str | Sequence[Any] | None = None,
    *,
    covariates: str | None = None,
    by: str | Sequence[str] | None = None,
    method: GapMethod = "dim",
    dk: DkPolicy = "no",
    dk_values: str | Sequence[Any] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    placebo_treat: str | None = None,
    placebo_prevalence: float | str | None = None,
    hidden: HiddenShare | None = None,
    control: Any = None,
    min_n: int = DEFAULT_MIN_N,
    variance: GapVariance = "survey",
    level: float = 0.95,
) -> GapResult:
    """The falsification gap ``hidden share - direct share``, overall and by subgroup.

    The data hold a list experiment (``outcome`` count, ``treat`` arm, ``J`` control items)
    and a direct question ``direct`` on the same item, asked of everyone, of the control
    group only, or of a separate subsample (rows with no list answer). ``support`` lists the
    answers that count as support (a 0/1 or yes/no column needs none). ``dk`` says how
    "don't know"/refusals (``dk_values``, recognised from their labels when not given) enter:
    as non-support ("no"), dropped ("drop"), or as bounds ("bounds": both bounds of the gap).

    ``method="dim"`` is design-based (difference in means); ``method="ml"`` fits the list ML
    with ``covariates`` and a logistic regression of the direct answer on the same
    covariates, averaging predictions (R ``predict(fit, direct.glm = ...)``), with delta-
    method variances. Instead of a list experiment, ``hidden=`` takes any fitted indirect
    estimator that satisfies :class:`HiddenShare` (e.g. randomized response) fitted on the
    same data frame.

    A placebo list (``placebo_treat`` = 1 for respondents who got the control list plus an
    innocuous item of prevalence ``placebo_prevalence``, a number or a column holding the
    directly asked placebo item) estimates the list's design effect (deflation) and gives a
    deflation-corrected hidden share and gap (see :mod:`unspoken.falsification.placebo`).

    A group is suppressed to protect respondents (no estimates, no counts) when it has
    fewer than ``min_n`` list respondents (default 30), fewer than ``min(10, min_n)`` in a
    list arm (treated, control, placebo) or fewer than ``min_n`` direct answers (see
    :mod:`unspoken.smallcells`; ``min_n=1`` shows every group, with a note). The whole
    sample is reported however small (with a note), unless an arm is empty.
    """
    check_choice(method, get_args(GapMethod), "method")
    check_choice(dk, DK_POLICIES, "dk")
    variance = check_vcov_name(  # type: ignore[assignment]
        variance, VCOV_OFFERS["gap"].kinds, "gap", param="variance"
    )
    if direct is None:
        raise DataError("gap needs the direct question column (direct=...)")
    min_n = check_min_n(min_n)
    if covariates is not None and method == "dim" and hidden is None:
        raise UnsupportedError(
            "covariates are used by method='ml'; the design-based gap (method='dim') uses none"
        )
    from unspoken.io import to_pandas

    df = to_pandas(data)  # one private copy, read by every step below
    if hidden is not None and not isinstance(hidden, HiddenShare) and hasattr(hidden, "X_"):
        from unspoken.falsification.model import list_fit_share

        if outcome is None:
            raise DataError("to use a list fit as hidden=, give outcome= (the count column)")
        hidden = list_fit_share(hidden, df, outcome)
    if method == "ml":
        if hidden is not None:
            raise UnsupportedError("method='ml' fits its own list model; do not pass hidden=")
        if placebo_treat is not None:
            raise UnsupportedError("placebo lists are supported with method='dim' only")
        if dk == "bounds":
            raise UnsupportedError("dk='bounds' is supported with method='dim' only")
    prep = _prepare(
        df, outcome, treat, J, direct, support, by, dk_values, weights, cluster, strata,
        placebo_treat, placebo_prevalence, hidden, control,
        covariates if method == "ml" else None,
    )  # fmt: skip
    notes = prep.notes
    hidden_obj = prep.hidden
    extra: dict[str, Any] = {}
    if method == "ml":
        from unspoken.falsification.model import model_based_shares

        hidden_obj, direct_obj, info = model_based_shares(
            prep, outcome, treat, J, covariates, weights, direct, dk, level
        )
        extra.update(info)
    else:
        direct_obj = None
    crit = z_value(level)
    ctx = _Context(prep, hidden_obj, direct_obj, dk, variance, crit, level, min_n)
    everyone = np.ones(len(prep.df), dtype=bool)
    overall = ctx.row(everyone)
    whole = whole_sample_note(ctx.cell(everyone), min_n)
    if whole:
        notes.append(whole)
    masks = group_masks(prep.df, as_list(by))
    screened = screen([ctx.cell(mask) for _, mask in masks], min_n)
    notes += screened.notes
    rows = [(g, ctx.row(mask, v)) for (g, mask), v in zip(masks, screened.verdicts, strict=True)]
    if method == "ml":
        notes.append(
            "model-based shares: predictions averaged over each part's own respondents, "
            "variance by the delta method with stacked M-estimator influence values"
        )
    return GapResult(
        method=method if hidden is None else getattr(hidden, "model", type(hidden).__name__),
        layout=prep.layout,
        overall=overall,
        by=rows,
        direct_column=direct,
        support_values=[prep.labels[i] for i in prep.support_idx],
        dk_values=[prep.labels[i] for i in prep.dk_idx],
        dk=dk,
        variance=variance,
        n=len(prep.df),
        hidden_label="list" if hidden is None else "hidden",
        notes=notes,
        extra=extra,
        level=level,
    )


def _prepare(
    df, outcome, treat, J, direct, support, by, dk_values, weights, cluster, strata,
    placebo_treat, placebo_prevalence, hidden, control, covariates=None,
) -> _Prepared:  # fmt: skip
    """Validate the user's data (``df``: a private copy, see :func:`unspoken.io.to_pandas`)."""
    from unspoken.io import (
        binary_column,
        blank_to_missing,
        drop_missing,
        integer_column,
        missing_rows,
        require_columns,
    )

    n_input = len(df)
    by_cols = as_list(by)
    require_columns(df, [direct], role="direct question")
    design_cols = [c for c in (weights, cluster, strata) if c is not None] + by_cols
    if covariates:  # method='ml': rows missing a covariate leave the design too
        from unspoken.formula import formula_columns

        cov_cols = formula_columns(covariates, list(df.columns))
        design_cols += [c for c in cov_cols if c not in design_cols]
    require_columns(df, design_cols)
    notes: list[str] = []
    positions = np.arange(len(df))
    if hidden is None:
        if outcome is None or treat is None or J is None:
            raise DataError("gap needs outcome=, treat= and J= (or a fitted hidden= estimator)")
        from unspoken.listexp.data import check_J

        J = check_J(J)
        list_cols = [outcome, treat] + ([placebo_treat] if placebo_treat else [])
        require_columns(df, list_cols, role="list experiment")
    else:
        if not isinstance(hidden, HiddenShare):
            raise UnsupportedError(
                "hidden= must provide row_positions and prevalence_influence(mask)"
            )
        zero_w = weights is not None and bool((df[weights] == 0).any())
        if (design_cols and df[design_cols].isna().to_numpy().any()) or zero_w:
            raise UnsupportedError(
                "with hidden= the data must be the frame it was fitted on: weights, cluster, "
                "strata and by columns must have no missing values (and no weight 0)"
            )
    if design_cols:
        df, dropped, positions = drop_missing(df, design_cols, weights=weights)
        notes += dropped
    # the list part: rows with both a count and an arm
    n = len(df)
    treat_full = np.full(n, -1, dtype=np.int64)
    y_full = np.full(n, np.nan)
    placebo_arm = np.zeros(n, dtype=bool)
    if hidden is None:
        no_list, left_out = missing_rows(
            df, list_cols, "list estimate", "left out for a missing count or arm", positions,
            n_input,
        )  # fmt: skip
        notes += left_out
        has_list = ~no_list
        if not has_list.any():
            raise DataError(
                f"no row has both a list count ('{outcome}') and an arm ('{treat}')",
                column=outcome,
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
                    rows=positions[np.flatnonzero(has_list)[both]],
                )
            placebo_arm[has_list] = pcodes == 1
        arm = np.where(placebo_arm[has_list], -1, tcodes)
        over = (arm == 0) & (y > J)
        if over.any():
            raise DataError(
                f"control-list counts must lie in [0, {J}] (J = {J}) but {int(over.sum())} "
                f"exceed it",
                column=outcome,
                rows=positions[np.flatnonzero(has_list)[over]],
            )
        treat_full[has_list] = arm
        y_full[has_list] = y
    else:
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
    design = read_design(df, weights, cluster, strata)
    if hidden is None:
        in_list = np.flatnonzero(treat_full >= 0)
        hidden_obj: Any = ListDiM(y_full[in_list], treat_full[in_list], design.w[in_list], in_list)
    else:
        hidden_obj = hidden
    placebo = None
    if placebo_treat:
        from unspoken.falsification.placebo import PlaceboList

        prev = _parse_placebo_prevalence(placebo_prevalence, df)
        placebo = PlaceboList.build(df, y_full, treat_full, placebo_arm, design.w, prev)
    elif placebo_prevalence is not None:
        raise UnsupportedError("placebo_prevalence needs placebo_treat (the placebo-arm column)")
    return _Prepared(
        df=df,
        design=design,
        hidden=hidden_obj,
        has_list=has_list,
        treat_full=treat_full,
        support=sup.astype(float),
        is_dk=is_dk,
        has_direct=has_direct,
        placebo=placebo,
        layout=layout,
        labels=labels,
        support_idx=support_idx,
        dk_idx=dk_idx,
        notes=notes,
        user_hidden=hidden,
    )
