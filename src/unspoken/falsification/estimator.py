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
from typing import Any, Literal, get_args

import numpy as np

from unspoken.direct.answers import DK_POLICIES, DkPolicy, as_list, check_choice
from unspoken.direct.estimator import DirectVcov
from unspoken.errors import DataError, UnsupportedError
from unspoken.falsification.context import _Context
from unspoken.falsification.prepared import HiddenShare, ListDiM, Roles, prepare
from unspoken.falsification.results import GapResult, GapRow
from unspoken.inference.covariance import VCOV_OFFERS, check_vcov_name
from unspoken.options import Missing, choice, renamed
from unspoken.results import z_value
from unspoken.smallcells import (
    DEFAULT_MIN_N,
    check_min_n,
    screen,
    whole_sample_note,
)

__all__ = ["GapResult", "GapRow", "HiddenShare", "ListDiM", "gap"]

GapMethod = Literal["dim", "ml"]


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
    missing: Missing = "listwise",
    vcov: DirectVcov = "survey",
    level: float = 0.95,
    variance: str | None = None,
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

    ``vcov``: ``"survey"`` (Taylor linearisation over weights, clusters and strata) or
    ``"hc0"`` (independent respondents). ``missing``: ``"listwise"`` drops rows missing a
    weight, cluster, strata, ``by`` or covariate value and says so; ``"error"`` refuses
    them (rows without a list or a direct answer are the layout, not missing data).
    ``variance=`` is the deprecated name of ``vcov=`` (accepted for one release, with a
    warning).

    The frame is validated once (:func:`unspoken.falsification.prepared.prepare`); every
    estimate below reads the prepared arrays.
    """
    vcov = renamed(variance, vcov, "variance", "vcov", default="survey")
    check_choice(method, get_args(GapMethod), "method")
    check_choice(dk, DK_POLICIES, "dk")
    vcov = check_vcov_name(vcov, VCOV_OFFERS["gap"].kinds, "gap")  # type: ignore[assignment]
    if direct is None:
        raise DataError("gap needs the direct question column (direct=...)")
    min_n = check_min_n(min_n)
    missing = choice(missing, Missing, "missing")
    if covariates is not None and method == "dim" and hidden is None:
        raise UnsupportedError(
            "covariates are used by method='ml'; the design-based gap (method='dim') uses none"
        )
    from unspoken.io.frames import to_pandas

    df = to_pandas(data)  # one private copy, read once by prepare()
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
    roles = Roles(
        direct, outcome, treat, weights, cluster, strata, tuple(as_list(by)), placebo_treat,
        covariates if method == "ml" else None,
    )  # fmt: skip
    prep = prepare(
        df, roles, J, support, dk_values, control, placebo_prevalence, hidden, missing,
        model=method == "ml",
    )  # fmt: skip
    del df  # from here on, only the prepared arrays
    notes = prep.notes
    hidden_obj = prep.hidden
    extra: dict[str, Any] = {}
    direct_obj = None
    if method == "ml":
        from unspoken.falsification.model import model_based_shares

        hidden_obj, direct_obj, info = model_based_shares(prep, dk, level, weights is not None)
        extra.update(info)
    ctx = _Context(prep, hidden_obj, direct_obj, dk, vcov, z_value(level), level, min_n)
    everyone = np.ones(prep.n, dtype=bool)
    overall = ctx.row(everyone)
    whole = whole_sample_note(ctx.cell(everyone), min_n)
    if whole:
        notes.append(whole)
    masks = prep.groups
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
        vcov=vcov,
        n=prep.n,
        hidden_label="list" if hidden is None else "hidden",
        notes=notes,
        extra=extra,
        level=level,
    )
