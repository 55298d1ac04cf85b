"""Dispatch from :func:`unspoken.listexp.list_experiment` to the models beyond the standard
design: several sensitive items (:mod:`~unspoken.listexp.multi`), ceiling/floor liars
(:mod:`~unspoken.listexp.ceiling_floor`), response errors and the robust constraint
(:mod:`~unspoken.listexp.errors`) and overdispersed control counts
(:mod:`~unspoken.listexp.overdispersed`). Combinations that no model covers raise
:class:`~unspoken.errors.UnsupportedError` naming the options; nothing is ignored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import UnsupportedError
from unspoken.listexp.options import DESIGN, INFERENCE, ListVariant
from unspoken.options import Design, Inference
from unspoken.results import FitResult

__all__ = ["fit_variant", "is_multi_item", "variant_requested"]

#: a treated arm smaller than this is taken for a coding error, not a sensitive item
MIN_ARM = 10


def is_multi_item(data: Any, treat: str) -> bool:
    """Does the treatment column hold more than two distinct values (several items)?"""
    from unspoken.io.frames import to_pandas

    df = to_pandas(data, copy=False)
    return treat in df.columns and int(df[treat].nunique(dropna=True)) > 2


def variant_requested(
    ceiling: bool = False,
    floor: bool = False,
    error: str = "none",
    robust: bool = False,
    overdispersed: bool = False,
    multi_condition: str = "none",
) -> bool:
    """Do these switches ask for a model beyond the standard design (``ListVariant.requested``)?"""
    return ListVariant(
        ceiling, floor, error=error, robust=robust, overdispersed=overdispersed,
        multi_condition=multi_condition,
    ).requested  # fmt: skip


def _check_arms(df: pd.DataFrame, treat: str) -> None:
    """Several sensitive items need every arm populated: a value held by fewer than
    ``MIN_ARM`` rows is far more likely a coding error than a treatment arm."""
    from unspoken.errors import DataError

    col = df[treat]
    counts = col.value_counts(dropna=True)
    rare = counts[counts < MIN_ARM]
    if len(rare):
        mask = col.isin(rare.index).to_numpy()
        rows = np.flatnonzero(mask)
        shown = ", ".join(f"{v!r} ({c} rows)" for v, c in counts.items())
        raise DataError(
            f"column '{treat}' (treatment) must have exactly two values for one sensitive "
            f"item, but has {len(counts)}: {shown}. Read as a design with several sensitive "
            f"items, the arm(s) {', '.join(repr(v) for v in rare.index)} have fewer than "
            f"{MIN_ARM} respondents — a coding error? (row numbers are 0-based positions)",
            column=treat,
            rows=rows,
        )


def _infer_J(df: pd.DataFrame, formula: str, treat: str, control: Any, notes: list[str]) -> int:
    from unspoken.formula import split_formula
    from unspoken.io.arms import arm_column
    from unspoken.io.columns import integer_column
    from unspoken.io.frames import require_columns
    from unspoken.io.missing import drop_missing
    from unspoken.listexp.data import infer_J

    outcome, _ = split_formula(formula)
    require_columns(df, [outcome, treat])
    df, _, kept = drop_missing(df[[outcome, treat]], [outcome, treat], "listwise")
    t, _ = arm_column(df, treat, control)
    y = integer_column(df, outcome, low=0, role="outcome")
    J = infer_J(y, t == 0, outcome, kept)
    notes.append(f"J = {J} taken from the largest control-group count (pass J= to set it)")
    return J


def fit_variant(
    data: Any,
    formula: str,
    treat: str,
    J: int | None,
    method: str,
    variant: ListVariant,
    design: Design = DESIGN,
    inference: Inference = INFERENCE,
    constrained: bool = True,
    control: Any = None,
    by: str | None = None,
    missing: str = "listwise",
    multi: bool | None = None,
) -> FitResult:
    """Fit the model ``variant`` asks for (see the module docstring): the data are prepared
    once (:func:`~unspoken.listexp.data.prepare_multi`) and the model fitted on them.
    ``multi``: whether the treatment has several sensitive items, when already known."""
    from unspoken.io.frames import to_pandas
    from unspoken.listexp.data import prepare_multi

    v = variant
    # converted once (a pandas frame is only read here, never copied)
    data = to_pandas(data, copy=False)
    multi = is_multi_item(data, treat) if multi is None else multi
    chosen = [
        name
        for name, on in (
            ("ceiling/floor", v.liars),
            (f"error='{v.error}'", v.error != "none"),
            ("overdispersed", v.overdispersed),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UnsupportedError(
            f"{' and '.join(chosen)} cannot be combined: no model covers them together",
            param="error" if v.error != "none" else "overdispersed",
        )
    if by is not None:
        raise UnsupportedError(
            "by= (prevalence by subgroup) is available for the standard design only; add the "
            "grouping variable to the formula instead",
            param="by",
        )
    if not constrained and (multi or chosen or v.robust):
        raise UnsupportedError(
            "constrained=False (separate control-item models by trait) exists for the "
            "standard binomial model only",
            param="constrained",
        )
    if multi and (chosen or v.robust):
        raise UnsupportedError(
            f"several sensitive items cannot be combined with {' / '.join(chosen or ['robust'])}"
        )
    if v.multi_condition != "none" and not multi:
        raise UnsupportedError(
            "multi_condition applies to designs with several sensitive items (a treatment "
            "column with more than two values)",
            param="multi_condition",
        )
    if not multi and method != "ml":
        raise UnsupportedError(
            f"{' / '.join(chosen or ['robust'])} is a maximum-likelihood model: use method='ml'",
            param="method",
        )
    if v.robust and (v.liars or v.overdispersed):
        with_ = "available with the error models only"
        if not v.liars:
            with_ = "not available with overdispersed=True"
        raise UnsupportedError(f"robust=True is {with_}", param="robust")
    if multi:
        _check_arms(data, treat)
    notes: list[str] = []
    if J is None:
        J = _infer_J(data, formula, treat, control, notes)
    if multi and method == "dim":
        from unspoken.formula import split_formula

        if split_formula(formula)[1].replace(" ", "") != "1":
            raise UnsupportedError(
                "method='dim' takes no covariates; use method='lm' for a regression",
                param="formula",
            )
    d = prepare_multi(data, formula, treat, J, control, design, missing, v.liar_formulas())
    fit = _fit_model(d, method, v, inference, multi)
    fit.notes[:0] = notes
    if not np.isfinite(fit.params_).all():  # pragma: no cover - defensive
        raise UnsupportedError("the fit produced non-finite estimates")
    return fit


def _fit_model(d: Any, method: str, v: ListVariant, inference: Inference, multi: bool) -> FitResult:
    """The model of ``v`` on the prepared data ``d``."""
    if multi:
        from unspoken.listexp.multi import fit_multi

        fit = fit_multi(d, "lm" if method == "dim" else method, v.multi_condition, inference)
        if method == "dim":
            fit.model = fit.model.replace(", lm", ", difference in means")
        return fit
    if v.liars:
        from unspoken.listexp.ceiling_floor import fit_ceiling_floor

        return fit_ceiling_floor(d, v, inference)
    if v.overdispersed:
        from unspoken.listexp.overdispersed import fit_overdispersed

        return fit_overdispersed(d, inference)
    from unspoken.listexp.errors import fit_response_error

    return fit_response_error(d, v, inference)
