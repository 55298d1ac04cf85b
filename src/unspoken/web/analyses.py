"""The analyses the web page offers: their fields (built from the data's columns) and how a
submitted form becomes a call of the public API, exactly as the matching CLI command does.

Nothing typed into the page is evaluated: column fields must name a column of the data,
numbers are parsed as numbers, and covariates go through :mod:`unspoken.formula`'s
token-by-token parser inside the estimators.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from unspoken._warnings import collect_warnings
from unspoken.errors import DataError

Kind = Literal["column", "column_opt", "choice", "int", "number", "text", "covariates"]


class FormError(DataError):
    """A form field is missing or not valid (shown next to the form)."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: Kind
    help: str = ""
    choices: tuple[str, ...] = ()
    default: str = ""
    hint: str | None = None  # regex on a bundled data set's design text giving the default


@dataclass(frozen=True)
class Analysis:
    key: str
    title: str
    blurb: str
    fields: tuple[Field, ...]
    run: Callable[[pd.DataFrame, dict[str, Any]], Any] = field(repr=False)


def _fraction(text: str, label: str) -> float:
    t = text.strip()
    try:
        if "/" in t:
            num, den = t.split("/")
            return float(num) / float(den)
        return float(t)
    except (ValueError, ZeroDivisionError):
        raise FormError(f"{label} must be a number or a fraction like 2/3, not '{text}'") from None


def _quote(col: str) -> str:
    if "`" in col:
        raise FormError(f"the column name '{col}' contains a backquote, which a formula cannot use")
    return f"`{col}`"


def _formula(lhs: str, covariates: str | None) -> str:
    return f"{_quote(lhs)} ~ {covariates or '1'}"


def _by(v: dict[str, Any]) -> list[str] | None:
    out = [v[k] for k in ("by", "by2") if v.get(k)]
    return out or None


# --------------------------------------------------------------------------- runners


def _run_list(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.listexp.standard import list_experiment

    return list_experiment(
        df,
        formula=_formula(v["outcome"], v["covariates"]),
        treat=v["treat"],
        J=v["J"],
        method=v["method"],
        control=v["control"],
        weights=v["weights"],
        by=v["by"],
    )


def _run_design_test(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.io import arm_column
    from unspoken.listexp.design_test import design_test
    from unspoken.listexp.multi import design_test_multi

    test = design_test
    if df[v["treat"]].dropna().nunique() > 2:
        arm_column(df.dropna(subset=[v["treat"]]), v["treat"], v["control"])
        test = design_test_multi
    return test(
        df, v["outcome"], v["treat"], v["J"], control=v["control"], compat=v["compat"], seed=1
    )


def _run_direct(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.direct import direct_poll

    return direct_poll(
        df,
        v["question"],
        v["support"],
        weights=v["weights"],
        by=_by(v),
        dk=v["dk"],
    )


def _run_gap(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.gap import gap

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
        weights=v["weights"],
        control=v["control"],
        placebo_treat=v["placebo_treat"],
        placebo_prevalence=_placebo_prevalence(v["placebo_prevalence"], list(df.columns)),
    )


def _placebo_prevalence(text: str | None, columns: list[str]) -> float | str | None:
    """A known prevalence (0.5, 1/2) or the column asking the placebo item directly."""
    if not text:
        return None
    if text in columns:
        return text
    return _fraction(text, "Placebo item prevalence")


def _run_rr(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.rr.regression import rr_regression

    return rr_regression(
        df,
        _formula(v["answer"], v["covariates"]),
        design=v["design"],
        p=v["p"],
        p0=v["p0"],
        p1=v["p1"],
        q=v["q"],
        by=v["by"],
    )


def _default_n(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    out: dict[str, float] = {}
    for item in re.split(r"[,;\n]", text):
        if not item.strip():
            continue
        name, sep, num = item.rpartition("=")
        if not sep or not name.strip():
            raise FormError(f"sample sizes: expected POLLSTER=N, got '{item.strip()}'")
        out[name.strip()] = _fraction(num, f"the sample size of {name.strip()}")
    return out or None


def _run_polls(df: pd.DataFrame, v: dict[str, Any]) -> Any:
    from unspoken.polls import fit_polls

    return fit_polls(
        df,
        v["share"],
        v["pollster"],
        date=v["date"],
        n=v["n"],
        default_n=_default_n(v["default_n"]),
        dk=v["dk_col"],
        scale=v["scale"],
        period=v["period"],
        units=v["units"],
        fieldwork="midpoint",
    )


# --------------------------------------------------------------------------- the catalogue

_OUTCOME = Field(
    "outcome", "Item count", "column", "How many list items each respondent named.", hint="outcome"
)
_TREAT = Field(
    "treat",
    "List group",
    "column",
    "Which list each respondent saw (control / treated).",
    hint="treat",
)
_J = Field("J", "Number of control items (J)", "int", "Items on the control list.", hint="J")
_CONTROL = Field(
    "control", "Control group value", "text", "Only if the list group is not 0/1 or FALSE/TRUE."
)
_COVS = Field(
    "covariates",
    "Covariates (optional)",
    "covariates",
    "Column names joined by +, e.g. age + south. Leave empty for none.",
)
_BY = Field("by", "Subgroups (optional)", "column_opt", "An estimate for each group of a column.")
_BY2 = Field("by2", "Second subgroup column (optional)", "column_opt")
_WEIGHTS = Field("weights", "Survey weights (optional)", "column_opt")
_SUPPORT = Field(
    "support",
    "Answers that count as support",
    "text",
    "Comma-separated, e.g. definitely,rather. Not needed for a 0/1 or yes/no question.",
)
_DK = Field(
    "dk",
    "Don't know / refused answers",
    "choice",
    "Counted as non-support, dropped, or both ways (bounds).",
    ("no", "drop", "bounds"),
    "no",
)

ANALYSES: dict[str, Analysis] = {
    a.key: a
    for a in [
        Analysis(
            "list",
            "List experiment",
            "The share holding the hidden trait, from the difference between the lists.",
            (
                _OUTCOME,
                _TREAT,
                _J,
                Field(
                    "method",
                    "Method",
                    "choice",
                    "dim: difference in means; ml: maximum likelihood (allows covariates).",
                    ("dim", "ml", "lm", "nls"),
                    "dim",
                ),
                _COVS,
                _BY,
                _WEIGHTS,
                _CONTROL,
            ),
            _run_list,
        ),
        Analysis(
            "design-test",
            "Design-effect test",
            "Does adding the sensitive item change answers to the other items? (Blair & Imai 2012)",
            (
                _OUTCOME,
                _TREAT,
                _J,
                Field(
                    "compat",
                    "Variant",
                    "choice",
                    "paper: as published; list: R's ict.test numbers.",
                    ("paper", "list"),
                    "paper",
                ),
                _CONTROL,
            ),
            _run_design_test,
        ),
        Analysis(
            "direct",
            "Direct poll",
            "The share of each answer to a question asked directly, with survey intervals.",
            (
                Field(
                    "question",
                    "Question",
                    "column",
                    "The answers to the direct question.",
                    hint="direct",
                ),
                _SUPPORT,
                _DK,
                _BY,
                _BY2,
                _WEIGHTS,
            ),
            _run_direct,
        ),
        Analysis(
            "gap",
            "Gap: said vs hidden",
            "What people say directly, what the list experiment finds, and the difference.",
            (
                _OUTCOME,
                _TREAT,
                _J,
                Field(
                    "direct",
                    "Direct question",
                    "column",
                    "The answers to the direct question.",
                    hint="direct",
                ),
                _SUPPORT,
                _DK,
                Field(
                    "method",
                    "Method",
                    "choice",
                    "dim: difference in means (survey design); ml: regressions with covariates.",
                    ("dim", "ml"),
                    "dim",
                ),
                _COVS,
                _BY,
                _BY2,
                _WEIGHTS,
                _CONTROL,
                Field(
                    "placebo_treat",
                    "Placebo list (optional)",
                    "column_opt",
                    "1 = the respondent got the placebo list (Frye et al. 2023).",
                    hint="placebo",
                ),
                Field(
                    "placebo_prevalence",
                    "Placebo item prevalence",
                    "text",
                    "Its known share (e.g. 0.5), or the column asking it directly.",
                    hint="placebo_prev",
                ),
            ),
            _run_gap,
        ),
        Analysis(
            "rr",
            "Randomized response",
            "The share with the hidden trait (and its regression on covariates) from "
            "randomized answers.",
            (
                Field(
                    "answer",
                    "Answer",
                    "column",
                    "The randomized answers (1 = yes).",
                    hint="outcome",
                ),
                Field(
                    "design",
                    "Design",
                    "choice",
                    "How answers were randomized.",
                    (
                        "forced-known",
                        "mirrored",
                        "disguised",
                        "unrelated-known",
                        "crosswise",
                        "triangular",
                        "warner",
                    ),
                    "forced-known",
                    hint="design",
                ),
                Field(
                    "p",
                    "p",
                    "number",
                    "forced-known: chance of a truthful answer; mirrored/warner: of the question, "
                    "not its negation; disguised: share of red cards in the yes stack; "
                    "unrelated-known: of the sensitive question; crosswise/triangular: that "
                    "the innocuous statement is true.",
                    hint="p",
                ),
                Field("p0", "p0", "number", "forced-known: chance of a forced 'no'.", hint="p0"),
                Field("p1", "p1", "number", "forced-known: chance of a forced 'yes'.", hint="p1"),
                Field(
                    "q", "q", "number", "unrelated-known: chance of 'yes' to the other question."
                ),
                _COVS,
                _BY,
            ),
            _run_rr,
        ),
        Analysis(
            "polls",
            "Pool polls",
            "One trend across pollsters, with each pollster's house effect.",
            (
                Field(
                    "share",
                    "Share",
                    "column",
                    "The poll result (percent or proportion).",
                    hint="share",
                ),
                Field("pollster", "Pollster", "column", hint="pollster"),
                Field("date", "Date", "column", "The date of the poll.", hint="date"),
                Field("n", "Sample size (optional)", "column_opt"),
                Field("default_n", "Sample sizes if missing", "text", "e.g. Levada=1600, FOM=1500"),
                Field("dk_col", "'Hard to say' share (optional)", "column_opt", hint="dk"),
                Field(
                    "scale",
                    "Share of",
                    "choice",
                    "all respondents, or only those with an opinion (needs 'Hard to say').",
                    ("all", "decided"),
                    "all",
                ),
                Field("period", "Time step", "choice", "", ("week", "day"), "week"),
                Field("units", "Units", "choice", "", ("auto", "percent", "proportion"), "auto"),
            ),
            _run_polls,
        ),
    ]
}

_HINTS = {
    "outcome": r"outcome ([\w.]+)",
    "treat": r"treat ([\w.]+)",
    "J": r"\bJ = (\d+)",
    "direct": r"direct(?: question)? ([\w.]+)",
    "design": r"^rr ([\w-]+):",
    "p": r"\bp = ([\d./]+)",
    "p0": r"\bp0 = ([\d./]+)",
    "p1": r"\bp1 = ([\d./]+)",
    "share": r"share ([\w.]+)",
    "pollster": r"pollster ([\w.]+)",
    "date": r"date ([\w.]+)",
    "dk": r"dk ([\w.]+)",
    "placebo": r"\bplacebo (?!list\b|item\b)([\w.]+)",
    "placebo_prev": r"placebo item prevalence ([\d./]+)",
}


def defaults(analysis: Analysis, columns: list[str], design: str = "") -> dict[str, str]:
    """Starting values of the form: a bundled data set's documented design where it names
    them, else the field's own default."""
    out: dict[str, str] = {}
    for f in analysis.fields:
        value = f.default
        if f.hint and design:
            m = re.search(_HINTS[f.hint], design)
            if m:
                value = m.group(1).rstrip(".,")
        if f.kind in ("column", "column_opt") and value not in columns:
            value = ""
        out[f.name] = value
    return out


def clean(analysis: Analysis, form: Mapping[str, str], columns: list[str]) -> dict[str, Any]:
    """Check every field of a submitted form; FormError names the first bad one."""
    out: dict[str, Any] = {}
    for f in analysis.fields:
        raw = (form.get(f.name) or "").strip()
        if len(raw) > 1000:
            raise FormError(f"{f.label}: the value is too long")
        if f.kind in ("column", "column_opt"):
            if not raw:
                if f.kind == "column":
                    raise FormError(f"{f.label}: choose a column.")
                out[f.name] = None
            elif raw not in columns:
                raise FormError(f"{f.label}: there is no column '{raw}' in the data.")
            else:
                out[f.name] = raw
        elif f.kind == "choice":
            if raw not in f.choices:
                raise FormError(f"{f.label}: choose one of {', '.join(f.choices)}.")
            out[f.name] = raw
        elif f.kind == "int":
            if not re.fullmatch(r"\d{1,6}", raw) or int(raw) < 1:
                raise FormError(f"{f.label} must be a whole number such as 3, not '{raw}'.")
            out[f.name] = int(raw)
        elif f.kind == "number":
            out[f.name] = _fraction(raw, f.label) if raw else None
        else:  # text, covariates: passed on as text; the estimators check them
            out[f.name] = raw or None
    return out


def run(analysis: Analysis, df: pd.DataFrame, form: Mapping[str, str]) -> tuple[Any, list[str]]:
    """Run ``analysis`` on ``df`` with the submitted ``form``: (result, warnings)."""
    columns = [str(c) for c in df.columns]
    values = clean(analysis, form, columns)
    frame = df.copy()
    frame.columns = columns
    with collect_warnings() as warned:
        result = analysis.run(frame, values)
    notes = getattr(result, "notes", None) or []
    return result, [w for w in warned if w not in notes]
