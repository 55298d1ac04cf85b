"""The direct-poll and gap runners."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.web.forms.fields import FormError, fraction
from unspoken.web.forms.runners.common import by_columns, check_formula, level_of, survey


def _variance(v: dict[str, Any]) -> str:
    if v["variance"] == "hc0" and (v.get("cluster") or v.get("strata")):
        raise FormError(
            "independent respondents (hc0) cannot be used with clusters or strata; choose "
            "survey, or leave Clusters and Strata empty.",
            field="variance",
        )
    return v["variance"]


def run_direct(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.direct import direct_poll

    return direct_poll(
        df,
        v["question"],
        v["support"],
        **survey(v),
        by=by_columns(v),
        dk=v["dk"],
        dk_values=v["dk_values"],
        vcov=_variance(v),
        order=v["order"],
        min_n=v["min_n"],
        level=level_of(v),
    )


def placebo_prevalence(text: str | None, columns: list[str]) -> float | str | None:
    """A known prevalence (0.5, 1/2) or the column asking the placebo item directly."""
    if not text:
        return None
    if text in columns:
        return text
    try:
        return fraction(text)
    except (ValueError, ZeroDivisionError):
        raise FormError(
            f"write a share such as 0.5 or 1/2, or the name of the column that asks the "
            f"placebo item directly; '{text}' is neither.",
            field="placebo_prevalence",
        ) from None


def run_gap(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.falsification import gap

    if v["method"] == "ml" and v["placebo_treat"]:
        raise FormError(
            "the placebo list is used by the difference in means only: choose dim, or set "
            "Placebo list to (none).",
            field="method",
        )
    if v["method"] == "ml" and v["dk"] == "bounds":
        raise FormError(
            "bounds are computed by the difference in means only: choose dim, or count the "
            "don't-know answers one way.",
            field="dk",
        )
    if v["covariates"] and v["method"] != "ml":
        check_formula(v["covariates"], df)
        raise FormError(
            "covariates are used by the regression method (ml) only: choose Method ml, or "
            "leave this empty.",
            field="covariates",
        )
    return gap(
        df,
        v["outcome"],
        v["treat"],
        v["J"],
        v["direct"],
        v["support"],
        covariates=v["covariates"],
        by=by_columns(v),
        method=v["method"],
        dk=v["dk"],
        dk_values=v["dk_values"],
        **survey(v),
        control=v["control"],
        placebo_treat=v["placebo_treat"],
        placebo_prevalence=placebo_prevalence(v["placebo_prevalence"], list(df.columns)),
        min_n=v["min_n"],
        vcov=_variance(v),
        level=level_of(v),
    )
