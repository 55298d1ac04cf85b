"""What every runner shares: formulas from the form's columns, the survey-design and
inference keywords, and the checks of a variance choice against what the estimator allows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.inference.covariance import VARIANCE_KINDS
from unspoken.web.forms.fields import FormError


def formula(lhs: str, covariates: str | None, field: str = "outcome") -> str:
    """``outcome ~ covariates`` with the outcome column quoted (``~ 1`` without covariates);
    ``field`` is the form field that chose the outcome column."""
    if "`" in lhs:
        raise FormError(
            f"the column name '{lhs}' contains a backquote, which a formula cannot use; rename "
            "the column in your file.",
            field=field,
        )
    return f"`{lhs}` ~ {covariates or '1'}"


def rhs(covariates: str | None, default: str | None = "~ 1") -> str | None:
    """A one-sided formula ``~ covariates``."""
    return f"~ {covariates}" if covariates else default


def check_formula(covariates: str, df: pd.DataFrame) -> None:
    """A malformed or unsafe covariate text is the first thing to fix: say so before any
    other problem with the covariates."""
    from unspoken.formula import formula_columns

    formula_columns(covariates, [str(c) for c in df.columns])


def pick(v: dict[str, Any], *names: str) -> dict[str, Any]:
    """The checked values of the fields ``names``, passed on under the same names."""
    return {k: v[k] for k in names}


def by_columns(v: dict[str, Any]) -> list[str] | None:
    """The one or two subgroup columns chosen (``by``, ``by2``), or None."""
    out = [v[k] for k in ("by", "by2") if v.get(k)]
    return out or None


def survey(v: dict[str, Any]) -> dict[str, Any]:
    """The survey-design keywords ``weights``, ``cluster``, ``strata``."""
    return {"weights": v.get("weights"), "cluster": v.get("cluster"), "strata": v.get("strata")}


def level_of(v: dict[str, Any]) -> float:
    """The confidence level chosen (0.95 when empty)."""
    return float(v.get("level") or 0.95)


def needs(v: dict[str, Any], field: str, when: str, text: str) -> None:
    """FormError on ``field`` when it is given but the box ``when`` is not ticked."""
    if v.get(field) and not v.get(when):
        raise FormError(text, field=field)


def inference(v: dict[str, Any], reps: str = "bootstrap_reps") -> dict[str, Any]:
    """The inference keywords ``vcov`` (None: the estimator's usual one), ``level``, the
    bootstrap replications (under the keyword ``reps``) and ``seed``."""
    return {"vcov": v["vcov"] or None, "level": level_of(v), reps: v["reps"], "seed": v["seed"]}


def list_fit(v: dict[str, Any]) -> dict[str, Any]:
    """The keywords of a list-experiment fit that the list and joint forms share: the
    formula (item count ~ covariates), list group, J, the constrained model, the survey
    design, inference and subgroups."""
    return {
        "formula": formula(v["outcome"], v["covariates"]),
        "treat": v["treat"],
        "J": v["J"],
        "constrained": not v["unconstrained"],
        **survey(v),
        **inference(v),
        "by": v["by"],
        "min_n": v["min_n"],
    }


_VCOV_ORDER = tuple(VARIANCE_KINDS)  # the registry's order


def check_vcov(
    v: dict[str, Any], allowed: set[str], method_text: str, model_with_weights: bool = False
) -> None:
    """The variance choice against what the estimator and the survey columns allow
    (``model_with_weights``: the estimator reads weights as frequency weights under the
    model-based variance, as randomized response does)."""
    kind = v.get("vcov")
    if not kind:
        return
    if kind not in allowed:
        shown = ", ".join(k for k in _VCOV_ORDER if k in allowed)
        raise FormError(
            f"'{kind}' is not available for {method_text}; choose one of: {shown} (or leave "
            "it on the usual one).",
            field="vcov",
        )
    if kind == "cluster" and not v.get("cluster"):
        raise FormError(
            "'cluster' needs the column of clusters: choose it under Clusters.", field="vcov"
        )
    if kind == "model" and v.get("weights") and not model_with_weights:
        raise FormError(
            "the model-based variance ignores how a weighted sample was drawn; with survey "
            "weights choose hc0, cluster, survey or bootstrap.",
            field="vcov",
        )
