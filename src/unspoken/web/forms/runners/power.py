"""The power runners (no data): randomized response, list experiments and the gap."""

from __future__ import annotations

from typing import Any

import pandas as pd

from unspoken.web.forms.fields import FormError, fraction
from unspoken.web.forms.runners.common import pick


def _n_or_power(v: dict[str, Any], n_label: str) -> None:
    if (v["n"] is None) == (v["power"] is None):
        raise FormError(
            f"fill in either the target power (to get the sample size) or {n_label} (to get "
            "the power), not both.",
            field="power",
        )


_TWO = ("presp_t", "presp_c", "presp_t_null", "presp_c_null")


def run_rr_power(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.rr.power import rr_power

    _n_or_power(v, "the sample size")
    two = v["type"] == "two.sample"
    if two:
        for k in ("presp_t", "presp_c"):
            if v[k] is None:
                raise FormError("two groups need both prevalences.", field=k)
    else:
        for k in _TWO:
            if v[k] is not None:
                raise FormError(
                    "this is for two groups: choose Samples: two groups, or leave it empty.",
                    field=k,
                )
        if v["presp"] is None:
            raise FormError("give the prevalence to detect.", field="presp")

    return rr_power(
        **pick(v, "design", "p", "p0", "p1", "q", "n", "power"),
        presp=None if two else v["presp"],
        presp_null=None if two else v["presp_null"],
        **pick(v, *_TWO, "type", "alternative", "n_rule", "r", "se_rule"),
        alpha=float(v["alpha"]),
    )


def run_list_power(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.power import gap_power, list_power

    _n_or_power(v, "the number of respondents")
    share: float | str = "optimal"
    if v["treated_share"] != "optimal":
        try:
            share = fraction(v["treated_share"] or "0.5")
        except (ValueError, ZeroDivisionError):
            raise FormError(
                "write a share between 0 and 1 (such as 0.5), or the word optimal.",
                field="treated_share",
            ) from None
    if bool(v["outcome"]) != bool(v["treat"]):
        missing = "treat" if v["outcome"] else "outcome"
        raise FormError(
            "to take the spread of the control counts from the data, choose both the item "
            "count and the list group columns.",
            field=missing,
        )
    common: dict[str, Any] = dict(
        **pick(v, "control_mean", "control_var", "n", "power", "alternative"),
        data=df if v["outcome"] else None,
        outcome=v["outcome"] or "y",
        treat=v["treat"] or "treat",
        rho=v["rho"] or 0.0,
        sensitive_cor=v["sensitive_cor"] or 0.0,
        alpha=float(v["alpha"]),
        treated_share=share,
    )
    if v["gap"] is not None or v["direct_share"] is not None:
        link: str | float = v["direct_link"] or "falsification"
        if link not in ("falsification", "independent", "conservative"):
            try:
                link = fraction(str(link))
            except (ValueError, ZeroDivisionError):
                raise FormError(
                    "write falsification, independent, conservative, or a correlation "
                    "between -1 and 1.",
                    field="direct_link",
                ) from None
        return gap_power(
            v["J"],
            gap=v["gap"],
            direct_share=v["direct_share"],
            prevalence=v["prevalence"],
            gap_null=v["gap_null"] or 0.0,
            direct_link=link,
            **common,
        )
    if v["prevalence"] is None:
        raise FormError(
            "give the share to detect (or, for the gap, the gap and the direct share).",
            field="prevalence",
        )
    return list_power(v["J"], v["prevalence"], v["null"] or 0.0, **common)
