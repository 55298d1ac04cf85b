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
from unspoken.results import FitResult

__all__ = ["fit_variant", "is_multi_item", "variant_requested"]

#: a treated arm smaller than this is taken for a coding error, not a sensitive item
MIN_ARM = 10


def is_multi_item(data: Any, treat: str) -> bool:
    """Does the treatment column hold more than two distinct values (several items)?"""
    from unspoken.io import to_pandas

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
    return bool(
        ceiling or floor or error != "none" or robust or overdispersed or multi_condition != "none"
    )


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
    from unspoken.io import arm_column, drop_missing, integer_column, require_columns
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
    constrained: bool = True,
    control: Any = None,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    vcov: str | None = None,
    by: str | None = None,
    level: float = 0.95,
    missing: str = "listwise",
    bootstrap_reps: int = 500,
    seed: int | None = None,
    ceiling: bool = False,
    floor: bool = False,
    ceiling_formula: str = "~ 1",
    floor_formula: str = "~ 1",
    liar_fit: str = "glm",
    error: str = "none",
    robust: bool = False,
    overdispersed: bool = False,
    multi_condition: str = "none",
) -> FitResult:
    """Fit the model the options ask for (see the module docstring)."""
    from unspoken.io import to_pandas

    # converted once (a pandas frame is only read here, never copied)
    data = to_pandas(data, copy=False)
    multi = is_multi_item(data, treat)
    chosen = [
        name
        for name, on in (
            ("ceiling/floor", ceiling or floor),
            (f"error='{error}'", error != "none"),
            ("overdispersed", overdispersed),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UnsupportedError(
            f"{' and '.join(chosen)} cannot be combined: no model covers them together",
            param="error" if error != "none" else "overdispersed",
        )
    if by is not None:
        raise UnsupportedError(
            "by= (prevalence by subgroup) is available for the standard design only; add the "
            "grouping variable to the formula instead",
            param="by",
        )
    if not constrained and (multi or chosen or robust):
        raise UnsupportedError(
            "constrained=False (separate control-item models by trait) exists for the "
            "standard binomial model only",
            param="constrained",
        )
    if multi and (chosen or robust):
        raise UnsupportedError(
            f"several sensitive items cannot be combined with {' / '.join(chosen or ['robust'])}"
        )
    if multi_condition != "none" and not multi:
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
    if multi:
        _check_arms(data, treat)
    notes: list[str] = []
    if J is None:
        J = _infer_J(data, formula, treat, control, notes)
    common = dict(
        control=control,
        weights=weights,
        cluster=cluster,
        strata=strata,
        vcov=vcov,
        level=level,
        bootstrap_reps=bootstrap_reps,
        seed=seed,
        missing=missing,
    )
    if multi:
        from unspoken.listexp.multi import fit_multi

        m = method
        if method == "dim":
            from unspoken.formula import split_formula

            if split_formula(formula)[1].replace(" ", "") != "1":
                raise UnsupportedError(
                    "method='dim' takes no covariates; use method='lm' for a regression",
                    param="formula",
                )
            m = "lm"
        fit = fit_multi(
            data, formula, treat, J, method=m, multi_condition=multi_condition, **common
        )
        if method == "dim":
            fit.model = fit.model.replace(", lm", ", difference in means")
    elif ceiling or floor:
        if robust:
            raise UnsupportedError(
                "robust=True is available with the error models only", param="robust"
            )
        from unspoken.listexp.ceiling_floor import fit_ceiling_floor

        fit = fit_ceiling_floor(
            data,
            formula,
            treat,
            J,
            ceiling=ceiling,
            floor=floor,
            ceiling_formula=ceiling_formula,
            floor_formula=floor_formula,
            fit=liar_fit,
            **common,
        )
    elif overdispersed:
        if robust:
            raise UnsupportedError(
                "robust=True is not available with overdispersed=True", param="robust"
            )
        from unspoken.listexp.overdispersed import fit_overdispersed

        fit = fit_overdispersed(data, formula, treat, J, **common)
    else:
        from unspoken.listexp.errors import fit_response_error

        fit = fit_response_error(data, formula, treat, J, error=error, robust=robust, **common)
    fit.notes[:0] = notes
    if not np.isfinite(fit.params_).all():  # pragma: no cover - defensive
        raise UnsupportedError("the fit produced non-finite estimates")
    return fit
