"""The list-experiment runners: the standard and double list, the design test and the
list combined with a direct question."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.web.forms.fields import FormError
from unspoken.web.forms.runners.common import (
    check_formula,
    check_vcov,
    inference,
    level_of,
    list_fit,
    needs,
    rhs,
    survey,
)

_METHOD_TEXT = {
    "dim": "the difference in means",
    "lm": "the linear model",
    "nls": "nonlinear least squares",
    "ml": "maximum likelihood",
}


def run_list(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.listexp.standard import _ALLOWED, list_experiment
    from unspoken.listexp.variants import is_multi_item, variant_requested

    needs(v, "ceiling_covariates", "ceiling", "tick Ceiling liars to use these covariates.")
    needs(v, "floor_covariates", "floor", "tick Floor liars to use these covariates.")
    if v["liar_fit"] != "glm" and not (v["ceiling"] or v["floor"]):
        raise FormError(
            "the priors are for the ceiling and floor liar models: tick Ceiling liars or "
            "Floor liars, or choose plain.",
            field="liar_fit",
        )
    if v["method"] == "dim" and v["covariates"]:
        check_formula(v["covariates"], df)
        raise FormError(
            "the difference in means takes no covariates: leave this empty, or choose another "
            "Method (ml, lm or nls).",
            field="covariates",
        )
    if v["robust"] and (v["ceiling"] or v["floor"] or v["overdispersed"]):
        raise FormError(
            "Robust works with the response-error models only: untick Ceiling liars, Floor "
            "liars and Overdispersed, or untick Robust.",
            field="robust",
        )
    variant = variant_requested(
        v["ceiling"], v["floor"], v["error"], v["robust"], v["overdispersed"], v["multi_condition"]
    )
    aux = _aux(v, variant)
    if aux is None and not variant and not is_multi_item(df, v["treat"]):
        check_vcov(v, _ALLOWED[v["method"]], _METHOD_TEXT[v["method"]])
    return list_experiment(
        df,
        **list_fit(v),
        method=v["method"],
        control=v["control"],
        ceiling=v["ceiling"],
        floor=v["floor"],
        ceiling_formula=rhs(v["ceiling_covariates"]),
        floor_formula=rhs(v["floor_covariates"]),
        liar_fit=v["liar_fit"],
        error=v["error"],
        robust=v["robust"],
        overdispersed=v["overdispersed"],
        multi_condition=v["multi_condition"],
        aux=aux,
    )


def _aux(v: dict[str, Any], variant: bool) -> dict[str, Any] | None:
    """The known shares of the form (``None`` without any), each problem next to its field."""
    from unspoken.errors import UnsupportedError
    from unspoken.listexp.aux import AUX_METHODS, AUX_VCOV, parse_shares

    text = (v.get("aux_shares") or "").strip()
    if not text:
        needs(v, "aux_group", "aux_shares", "give the Known shares of the groups, e.g. 0=0.10.")
        return None
    if v["method"] not in AUX_METHODS:
        raise FormError(
            "known shares need Method nls or ml (they enter as moments of the logistic model "
            "of the trait): choose one, or leave Known shares empty.",
            field="method",
        )
    if variant:
        raise FormError(
            "known shares work with the standard design only: untick the liar, error, robust "
            "and overdispersed options, or leave Known shares empty.",
            field="aux_shares",
        )
    check_vcov(v, set(AUX_VCOV), "a fit with known shares")
    try:
        shares = parse_shares(text)
    except UnsupportedError as e:
        raise FormError(str(e), field="aux_shares") from None
    if isinstance(shares, dict) and not v["aux_group"]:
        if len(shares) > 1:
            raise FormError(
                "shares by group need the group column: choose it, or give one number.",
                field="aux_group",
            )
        shares = next(iter(shares.values()))
    return {"group": v["aux_group"] or None, "shares": shares, "weighting": v["aux_weighting"]}


def run_list_double(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.listexp.double import double_list_experiment

    check_vcov(v, {"hc0", "hc1", "cluster", "survey", "bootstrap"}, "the double list")
    return double_list_experiment(
        df,
        v["y1"],
        v["y2"],
        v["treat"],
        formula=rhs(v["covariates"], None),
        method=v["method"],
        controls1=rhs(v["controls1"], None),
        controls2=rhs(v["controls2"], None),
        long1=v["long1"],
        **survey(v),
        **inference(v),
    )


def run_design_test(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.io.arms import arm_column
    from unspoken.io.frames import require_columns
    from unspoken.listexp.design_test import design_test, design_test_multi
    from unspoken.listexp.variants import is_multi_item

    require_columns(df, [v["treat"]])
    test = design_test
    if is_multi_item(df, v["treat"]):
        arm_column(df.dropna(subset=[v["treat"]]), v["treat"], v["control"])
        test = design_test_multi
    return test(
        df,
        v["outcome"],
        v["treat"],
        v["J"],
        gms=not v["no_gms"],
        alpha=float(v["alpha"]),
        seed=v["seed"],
        control=v["control"],
        compat=v["compat"],
    )


def run_combined(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.listexp.combined import combined_list_direct

    return combined_list_direct(
        df,
        v["outcome"],
        v["treat"],
        v["direct"],
        v["covariates"],
        control=v["control"],
        J=v["J"],
        level=level_of(v),
    )
