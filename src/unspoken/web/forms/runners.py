"""How the checked values of each form become a call of the public API, with the same
arguments the matching CLI command passes. A problem only the combination of fields shows
raises :class:`FormError` naming the field to change."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from unspoken.inference.covariance import VARIANCE_KINDS
from unspoken.web.forms.fields import FormError, fraction


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


def _check_formula(covariates: str, df: pd.DataFrame) -> None:
    """A malformed or unsafe covariate text is the first thing to fix: say so before any
    other problem with the covariates."""
    from unspoken.formula import formula_columns

    formula_columns(covariates, [str(c) for c in df.columns])


def _by(v: dict[str, Any]) -> list[str] | None:
    out = [v[k] for k in ("by", "by2") if v.get(k)]
    return out or None


def _survey(v: dict[str, Any]) -> dict[str, Any]:
    return {"weights": v.get("weights"), "cluster": v.get("cluster"), "strata": v.get("strata")}


def _level(v: dict[str, Any]) -> float:
    return float(v.get("level") or 0.95)


def _needs(v: dict[str, Any], field: str, when: str, text: str) -> None:
    """FormError on ``field`` when it is given but the box ``when`` is not ticked."""
    if v.get(field) and not v.get(when):
        raise FormError(text, field=field)


_VCOV_ORDER = tuple(VARIANCE_KINDS)  # the registry's order


def _check_vcov(
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


# --------------------------------------------------------------------------- list experiments

_METHOD_TEXT = {
    "dim": "the difference in means",
    "lm": "the linear model",
    "nls": "nonlinear least squares",
    "ml": "maximum likelihood",
}


def run_list(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.listexp.standard import _ALLOWED, list_experiment
    from unspoken.listexp.variants import is_multi_item, variant_requested

    _needs(v, "ceiling_covariates", "ceiling", "tick Ceiling liars to use these covariates.")
    _needs(v, "floor_covariates", "floor", "tick Floor liars to use these covariates.")
    if v["liar_fit"] != "glm" and not (v["ceiling"] or v["floor"]):
        raise FormError(
            "the priors are for the ceiling and floor liar models: tick Ceiling liars or "
            "Floor liars, or choose plain.",
            field="liar_fit",
        )
    if v["method"] == "dim" and v["covariates"]:
        _check_formula(v["covariates"], df)
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
    if not variant and not is_multi_item(df, v["treat"]):
        _check_vcov(v, _ALLOWED[v["method"]], _METHOD_TEXT[v["method"]])
    return list_experiment(
        df,
        formula=formula(v["outcome"], v["covariates"]),
        treat=v["treat"],
        J=v["J"],
        method=v["method"],
        constrained=not v["unconstrained"],
        control=v["control"],
        **_survey(v),
        vcov=v["vcov"] or None,
        by=v["by"],
        level=_level(v),
        bootstrap_reps=v["reps"],
        seed=v["seed"],
        ceiling=v["ceiling"],
        floor=v["floor"],
        ceiling_formula=rhs(v["ceiling_covariates"]),
        floor_formula=rhs(v["floor_covariates"]),
        liar_fit=v["liar_fit"],
        error=v["error"],
        robust=v["robust"],
        overdispersed=v["overdispersed"],
        multi_condition=v["multi_condition"],
        min_n=v["min_n"],
    )


def run_list_double(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.listexp.double import double_list_experiment

    _check_vcov(v, {"hc0", "hc1", "cluster", "survey", "bootstrap"}, "the double list")
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
        **_survey(v),
        vcov=v["vcov"] or None,
        level=_level(v),
        bootstrap_reps=v["reps"],
        seed=v["seed"],
    )


def run_design_test(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.io import arm_column, require_columns
    from unspoken.listexp.design_test import design_test
    from unspoken.listexp.multi import design_test_multi
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
        level=_level(v),
    )


# --------------------------------------------------------------------------- direct and gap


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
        **_survey(v),
        by=_by(v),
        dk=v["dk"],
        dk_values=v["dk_values"],
        variance=_variance(v),
        order=v["order"],
        min_n=v["min_n"],
        level=_level(v),
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
    from unspoken.gap import gap

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
        _check_formula(v["covariates"], df)
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
        by=_by(v),
        method=v["method"],
        dk=v["dk"],
        dk_values=v["dk_values"],
        **_survey(v),
        control=v["control"],
        placebo_treat=v["placebo_treat"],
        placebo_prevalence=placebo_prevalence(v["placebo_prevalence"], list(df.columns)),
        min_n=v["min_n"],
        variance=_variance(v),
        level=_level(v),
    )


# --------------------------------------------------------------------------- randomized response


def run_rr(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.rr.regression import RR_VCOV, rr_regression

    _check_vcov(v, set(RR_VCOV), "randomized response", model_with_weights=True)
    return rr_regression(
        df,
        formula(v["answer"], v["covariates"], field="answer"),
        design=v["design"],
        p=v["p"],
        p0=v["p0"],
        p1=v["p1"],
        q=v["q"],
        **_survey(v),
        vcov=v["vcov"] or None,
        by=v["by"],
        level=_level(v),
        reps=v["reps"],
        seed=v["seed"],
        min_n=v["min_n"],
    )


# --------------------------------------------------------------------------- power (no data)


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
        v["design"],
        p=v["p"],
        p0=v["p0"],
        p1=v["p1"],
        q=v["q"],
        n=v["n"],
        power=v["power"],
        presp=None if two else v["presp"],
        presp_null=None if two else v["presp_null"],
        presp_t=v["presp_t"],
        presp_c=v["presp_c"],
        presp_t_null=v["presp_t_null"],
        presp_c_null=v["presp_c_null"],
        sig_level=float(v["sig_level"]),
        type=v["type"],
        alternative=v["alternative"],
        n_rule=v["n_rule"],
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
        control_mean=v["control_mean"],
        control_var=v["control_var"],
        data=df if v["outcome"] else None,
        outcome=v["outcome"] or "y",
        treat=v["treat"] or "treat",
        rho=v["rho"] or 0.0,
        sensitive_cor=v["sensitive_cor"] or 0.0,
        n=v["n"],
        power=v["power"],
        alpha=float(v["alpha"]),
        alternative=v["alternative"],
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


# --------------------------------------------------------------------------- polls


def default_n(text: str | None) -> dict[str, float] | None:
    """``Levada=1600, FOM=1500`` as a mapping (FormError on the field otherwise)."""
    if not text:
        return None
    out: dict[str, float] = {}
    for item in re.split(r"[,;\n]", text):
        if not item.strip():
            continue
        name, sep, num = item.rpartition("=")
        try:
            if not sep or not name.strip():
                raise ValueError(item)
            out[name.strip()] = fraction(num)
        except (ValueError, ZeroDivisionError):
            raise FormError(
                f"write each as POLLSTER=N, e.g. Levada=1600, FOM=1500; '{item.strip()}' is not.",
                field="default_n",
            ) from None
    return out or None


def anchors(v: dict[str, Any]) -> str | list[Any]:
    """The house-effect identification: known values, an unbiased pollster, or house
    effects that average zero."""
    from unspoken.polls import Anchor

    values = []
    for k in ("anchor1", "anchor2", "anchor3"):
        text = v.get(k)
        if not text:
            continue
        parts = [p.strip() for p in text.split(":")]
        try:
            if len(parts) not in (2, 3) or not parts[0]:
                raise ValueError(text)
            est = float(parts[1])
            se = float(parts[2]) if len(parts) == 3 else 0.0
            if se < 0 or est != est or se != se:
                raise ValueError(text)
        except ValueError:
            raise FormError(
                f"write the date, a colon and the value, e.g. 2007-11-24: 43.4 (and, if the "
                f"value is itself uncertain, another colon and its standard error); "
                f"'{text}' is not.",
                field=k,
            ) from None
        try:
            pd.Timestamp(parts[0])
        except (ValueError, TypeError):
            raise FormError(
                f"'{parts[0]}' is not a date: write it as YYYY-MM-DD, e.g. 2007-11-24.", field=k
            ) from None
        values.append(Anchor(parts[0], est, se))
    if values and v.get("anchor_pollster"):
        raise FormError(
            "known values already fix the level: leave this empty, or remove the known values.",
            field="anchor_pollster",
        )
    if values:
        return values
    if v.get("anchor_pollster"):
        return "pollster:" + v["anchor_pollster"]
    return "sum-to-zero"


def _fill_sample_sizes(df: pd.DataFrame, v: dict[str, Any], given: dict[str, float] | None):
    """The data with every missing sample size (of a pollster without a size of its own in
    ``given``) set to the form's default, the column that now holds them, and a note."""
    size = v["unknown_n"]
    if size is None or v["pollster"] is None:
        return df, v["n"], None
    pollsters = df[v["pollster"]].astype(str).str.strip()
    n_col = v["n"]
    missing = df[n_col].isna() if n_col else pd.Series(True, index=df.index)
    missing &= ~pollsters.isin(list(given or {}))
    missing &= df[v["pollster"]].notna()
    if not missing.any():
        return df, n_col, None
    out = df.copy()
    if n_col is None:
        n_col = "sample size"
        while n_col in out.columns:
            n_col += "_"
        out[n_col] = float("nan")
    out[n_col] = out[n_col].mask(missing, size)
    who = sorted(set(pollsters[missing]))
    note = (
        f"{int(missing.sum())} poll(s) of {', '.join(who)} have no sample size in the data: "
        f"each was counted as {size:,.0f} respondents (the page's 'Sample size when not "
        "given'); the width of the bands depends on this."
    )
    return out, n_col, note


def run_polls(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.polls import fit_polls

    given = default_n(v["default_n"])
    anchor = anchors(v)
    if v["date"] and (v["start"] or v["end"]):
        raise FormError(
            "give either the date of each poll, or its start and end columns, not both.",
            field="date",
        )
    if not v["date"] and not (v["start"] and v["end"]):
        field = "date" if not (v["start"] or v["end"]) else ("end" if v["start"] else "start")
        raise FormError(
            "choose the date column, or both the start and the end column of the fieldwork.",
            field=field,
        )
    frame, n_col, note = _fill_sample_sizes(df, v, given)
    result = fit_polls(
        frame,
        v["share"],
        v["pollster"],
        date=v["date"],
        start=v["start"],
        end=v["end"],
        n=n_col,
        default_n=given,
        dk=v["dk_col"],
        scale=v["scale"],
        anchor=anchor,
        period=v["period"],
        units=v["units"],
        extra_variance=not v["no_extra_variance"],
        fieldwork=v["fieldwork"],
        sigma=v["sigma"],
        window=v["window"],
        level=_level(v),
        since=v["since"],
        until=v["until"],
        date_format=v["date_format"] or None,
    )
    if note:
        result.notes.append(note)
    return result
