"""The list-experiment forms: list, double list, design test, combined."""

from __future__ import annotations

from dataclasses import replace

from unspoken.inference.covariance import offered
from unspoken.web.forms import runners as r
from unspoken.web.forms.fields import Analysis, Field, choice
from unspoken.web.forms.shared import (
    _ALPHA,
    _BY,
    _CLUSTER,
    _CONTROL,
    _COVS,
    _INFERENCE,
    _J,
    _LEVEL,
    _MIN_N,
    _OUTCOME,
    _REPS,
    _SEED,
    _STRATA,
    _TREAT,
    _WEIGHTS,
    _tick,
    _vcov,
)

# --------------------------------------------------------------------------- list experiments

_LIST = Analysis(
    "list",
    "List experiment",
    "The share holding the hidden trait, from the difference between the lists.",
    (
        _OUTCOME,
        _TREAT,
        _J,
        choice(
            "method",
            "Method",
            "Difference in means, or a model that allows covariates.",
            {
                "dim": "difference in means (dim)",
                "ml": "maximum likelihood (ml)",
                "lm": "linear model (lm)",
                "nls": "nonlinear least squares (nls)",
            },
        ),
        _COVS,
        _BY,
        _WEIGHTS,
        _CONTROL,
        _CLUSTER,
        _STRATA,
        _vcov(
            offered("list"),
            "How the standard errors are computed. Usual: hc2 for dim, hc3 for lm, hc0 for "
            "nls, model-based for ml (robust hc0 with weights; survey with strata, clustered "
            "with clusters). hc2 and hc3 are for dim and lm; nls has no model-based variance.",
        ),
        _MIN_N,
        _LEVEL,
        _tick(
            "ceiling",
            "Ceiling liars",
            "Some with the trait and every control item deny it "
            "(Blair & Imai 2012); maximum likelihood.",
        ),
        _tick("floor", "Floor liars", "Some with the trait and no control item deny it."),
        Field(
            "ceiling_covariates",
            "Ceiling-liar covariates",
            "covariates",
            "e.g. age + south; empty: the same share for everybody.",
            advanced=True,
        ),
        Field(
            "floor_covariates",
            "Floor-liar covariates",
            "covariates",
            "e.g. age + south; empty: the same share for everybody.",
            advanced=True,
        ),
        choice(
            "liar_fit",
            "Liar models",
            "Plain maximum likelihood, or with R list's weakly informative Cauchy priors "
            "(helps when the liar shares are poorly identified).",
            {"glm": "plain", "bayesglm": "with priors (bayesglm)"},
            advanced=True,
        ),
        choice(
            "error",
            "Response errors",
            "Some respondents give a wrong count (Blair, Chou & Imai 2019); maximum likelihood.",
            {"none": "none", "topcoded": "top-coded", "uniform": "uniform"},
            advanced=True,
        ),
        _tick(
            "robust",
            "Robust",
            "Maximum likelihood constrained to agree with the difference in means.",
        ),
        _tick("overdispersed", "Overdispersed control counts", "Beta-binomial control items."),
        _tick(
            "unconstrained",
            "Unconstrained",
            "Maximum likelihood with separate "
            "control-item models for those with and without the trait.",
        ),
        choice(
            "multi_condition",
            "Several sensitive items",
            "When the list group has several treated values: let each item depend on the "
            "control count.",
            {"none": "independent of the control count", "level": "depends on it (level)"},
            advanced=True,
        ),
        Field(
            "aux_group",
            "Known shares: group column",
            "column_opt",
            "Known shares of the trait (official results by region): the column of the "
            "groups; empty with one share for everyone. Methods nls and ml (Chou, Imai & "
            "Rosenfeld 2017).",
            advanced=True,
        ),
        Field(
            "aux_shares",
            "Known shares",
            "text",
            "Each group's known share, e.g. 0=0.10, 1=0.30; one number for everyone.",
            advanced=True,
        ),
        choice(
            "aux_weighting",
            "Known shares: weighting",
            "Two-step efficient or continuously updated GMM weights.",
            {"efficient": "two-step efficient", "cue": "continuously updated"},
            advanced=True,
        ),
        _REPS,
        _SEED,
    ),
    r.run_list,
    example="race",
    params={
        "formula": "covariates",
        "bootstrap_reps": "reps",
        "ceiling_formula": "ceiling_covariates",
        "floor_formula": "floor_covariates",
        "constrained": "unconstrained",
        "fit": "liar_fit",
        "aux": "aux_shares",
    },
)

_LIST_DOUBLE = Analysis(
    "list-double",
    "Double list experiment",
    "Two lists; each respondent sees the sensitive item on one of them (Droitcour et al. "
    "1991, Glynn 2013).",
    (
        Field("y1", "Count of list 1", "column", hint="y1"),
        Field("y2", "Count of list 2", "column", hint="y2"),
        Field(
            "treat",
            "Group",
            "column",
            "Which list held the sensitive item for each respondent.",
            hint="group",
        ),
        Field(
            "long1",
            "Group value with the sensitive item on list 1",
            "text",
            "Only if the group is not 0/1 or FALSE/TRUE.",
        ),
        replace(_COVS, help="Covariates of the sensitive item, e.g. age + female."),
        choice(
            "method",
            "Method",
            "One regression over both lists, or the average of the two single-list estimates.",
            {"pooled": "pooled", "average": "average of the two lists"},
        ),
        replace(_WEIGHTS, hint="weights"),
        replace(_CLUSTER, hint="cluster"),
        replace(_STRATA, hint="strata"),
        _vcov(
            offered("double"),
            "Usual: robust hc0; survey with strata, clustered with clusters.",
        ),
        Field(
            "controls1",
            "Covariates of list 1's control items",
            "covariates",
            "Default: the covariates above.",
            advanced=True,
        ),
        Field(
            "controls2",
            "Covariates of list 2's control items",
            "covariates",
            "Default: those of list 1.",
            advanced=True,
        ),
        *_INFERENCE,
    ),
    r.run_list_double,
    example="double_list",
    params={"formula": "covariates", "bootstrap_reps": "reps"},
)

_DESIGN_TEST = Analysis(
    "design-test",
    "Design-effect test",
    "Does adding the sensitive item change answers to the other items? (Blair & Imai 2012)",
    (
        _OUTCOME,
        _TREAT,
        _J,
        choice(
            "compat",
            "Variant",
            "As published, or R list's ict.test numbers.",
            {"paper": "as published", "list": "as R ict.test"},
        ),
        _CONTROL,
        _ALPHA,
        _tick(
            "no_gms",
            "Keep every moment",
            "Do not drop the clearly slack inequalities (generalized moment selection).",
        ),
        replace(_SEED, help="The test's weights are simulated: the same seed, the same numbers."),
    ),
    r.run_design_test,
    example="race",
    params={"gms": "no_gms"},
)

_COMBINED = Analysis(
    "combined",
    "List + direct combined",
    "One estimate from the list experiment and the direct question together, with the two "
    "placebo tests of its assumptions (Aronow et al. 2015).",
    (
        _OUTCOME,
        _TREAT,
        replace(_J, kind="int_opt", default="", help="Optional: counts are checked against it."),
        Field(
            "direct",
            "Direct question (0/1)",
            "column",
            "1 = said yes when asked directly.",
            hint="direct",
        ),
        _COVS,
        _CONTROL,
        _LEVEL,
    ),
    r.run_combined,
    example="mexico",
)
