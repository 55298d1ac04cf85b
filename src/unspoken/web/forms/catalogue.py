"""The forms of the web page, one per CLI command: their fields and their runners.

Fields a first run does not need sit under "More options" (``advanced=True``); every form's
defaults run on its ``example`` data set (power forms need no data).
"""

from __future__ import annotations

from dataclasses import replace

from unspoken.inference.covariance import VCOV_OFFERS, offered
from unspoken.web.forms import runners as r
from unspoken.web.forms.fields import Analysis, Field

# --------------------------------------------------------------------------- shared fields

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
_J = Field(
    "J", "Number of control items (J)", "int", "Items on the control list.", default="3", hint="J"
)
_CONTROL = Field(
    "control",
    "Control group value",
    "text",
    "Only if the list group is not 0/1 or FALSE/TRUE: the value that marks the control list.",
)
_COVS = Field(
    "covariates",
    "Covariates (optional)",
    "covariates",
    "Column names joined by +, e.g. age + south. Leave empty for none.",
)
_BY = Field("by", "Subgroups (optional)", "column_opt", "An estimate for each group of a column.")
_BY2 = Field("by2", "Second subgroup column (optional)", "column_opt")
_WEIGHTS = Field(
    "weights", "Survey weights (optional)", "column_opt", "Probability (sampling) weights."
)
_CLUSTER = Field(
    "cluster",
    "Clusters (optional)",
    "column_opt",
    "Primary sampling units, e.g. the village or school each respondent was sampled in.",
    advanced=True,
)
_STRATA = Field(
    "strata",
    "Strata (optional)",
    "column_opt",
    "The strata the sample was drawn in.",
    advanced=True,
)
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
    choice_text=("count as non-support", "drop them", "both ways (bounds)"),
)
_DK_VALUES = Field(
    "dk_values",
    "Answers that mean don't know",
    "text",
    "Comma-separated. Default: recognised from labels such as 'hard to say', 'refused'.",
    advanced=True,
)
_LEVEL = Field(
    "level",
    "Confidence level",
    "choice",
    "Of the intervals.",
    ("0.95", "0.9", "0.99"),
    "0.95",
    choice_text=("95%", "90%", "99%"),
    advanced=True,
)
_SEED = Field(
    "seed",
    "Random seed",
    "int",
    "A whole number: the same seed gives the same random draws, so a rerun gives the same numbers.",
    default="1",
    advanced=True,
    low=0,
)
_REPS = Field(
    "reps",
    "Bootstrap replications",
    "int",
    "Used by the bootstrap variance only.",
    default="500",
    advanced=True,
    low=50,
    high=100_000,
)
_MIN_N = Field(
    "min_n",
    "Smallest subgroup",
    "int",
    "Groups with fewer respondents are not shown, to protect respondents (in a list "
    "experiment each list also needs 10, or this number if smaller); 1 shows every group.",
    default="30",
    advanced=True,
    low=1,
)
_VARIANCE = Field(
    "variance",
    "Variance",
    "choice",
    "Survey design (Taylor linearisation, as R survey; uses clusters and strata), or "
    "independent respondents (hc0).",
    VCOV_OFFERS["gap"].kinds,
    "survey",
    choice_text=tuple(
        {"survey": "survey design", "hc0": "independent respondents (hc0)"}[k]
        for k in VCOV_OFFERS["gap"].kinds
    ),
    advanced=True,
)
_ALPHA = Field(
    "alpha",
    "Test level",
    "choice",
    "Chance of a false alarm the test allows.",
    ("0.05", "0.01", "0.1"),
    "0.05",
    choice_text=("5%", "1%", "10%"),
    advanced=True,
)

_USUAL = "the method's usual one"
_VCOV_TEXT = {
    "": _USUAL,
    "model": "model-based",
    "opg": "outer product of gradients (R rrreg's)",
    "hc0": "robust (hc0)",
    "hc1": "robust, small-sample (hc1)",
    "hc2": "hc2 (dim and lm only)",
    "hc3": "hc3 (dim and lm only)",
    "cluster": "clustered (needs Clusters)",
    "survey": "survey design (Taylor)",
    "bootstrap": "bootstrap (uses the seed)",
}


def _vcov(kinds: tuple[str, ...], help_: str) -> Field:
    choices = ("", *kinds)
    return Field(
        "vcov",
        "Variance",
        "choice",
        help_,
        choices,
        "",
        choice_text=tuple(_VCOV_TEXT[k] for k in choices),
        advanced=True,
    )


def _tick(name: str, label: str, help_: str = "") -> Field:
    return Field(name, label, "check", help_, advanced=True)


def _share(name: str, label: str, help_: str = "", default: str = "", **kw) -> Field:
    return Field(name, label, "number", help_, default=default, low=0, high=1, **kw)


# --------------------------------------------------------------------------- list experiments

_LIST = Analysis(
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
            "Difference in means, or a model that allows covariates.",
            ("dim", "ml", "lm", "nls"),
            "dim",
            choice_text=(
                "difference in means (dim)",
                "maximum likelihood (ml)",
                "linear model (lm)",
                "nonlinear least squares (nls)",
            ),
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
        Field(
            "liar_fit",
            "Liar models",
            "choice",
            "Plain maximum likelihood, or with R list's weakly informative Cauchy priors "
            "(helps when the liar shares are poorly identified).",
            ("glm", "bayesglm"),
            "glm",
            choice_text=("plain", "with priors (bayesglm)"),
            advanced=True,
        ),
        Field(
            "error",
            "Response errors",
            "choice",
            "Some respondents give a wrong count (Blair, Chou & Imai 2019); maximum likelihood.",
            ("none", "topcoded", "uniform"),
            "none",
            choice_text=("none", "top-coded", "uniform"),
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
        Field(
            "multi_condition",
            "Several sensitive items",
            "choice",
            "When the list group has several treated values: let each item depend on the "
            "control count.",
            ("none", "level"),
            "none",
            choice_text=("independent of the control count", "depends on it (level)"),
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
        Field(
            "method",
            "Method",
            "choice",
            "One regression over both lists, or the average of the two single-list estimates.",
            ("pooled", "average"),
            "pooled",
            choice_text=("pooled", "average of the two lists"),
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
        _LEVEL,
        _REPS,
        _SEED,
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
        Field(
            "compat",
            "Variant",
            "choice",
            "As published, or R list's ict.test numbers.",
            ("paper", "list"),
            "paper",
            choice_text=("as published", "as R ict.test"),
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

# --------------------------------------------------------------------------- direct and gap

_DIRECT_Q = Field(
    "question", "Question", "column", "The answers to the direct question.", hint="direct"
)

_DIRECT = Analysis(
    "direct",
    "Direct poll",
    "The share of each answer to a question asked directly, with survey intervals.",
    (
        _DIRECT_Q,
        _SUPPORT,
        _DK,
        _BY,
        _BY2,
        _WEIGHTS,
        _CLUSTER,
        _STRATA,
        _VARIANCE,
        _DK_VALUES,
        Field(
            "order",
            "Order of the answers",
            "text",
            "Comma-separated, as they should be shown; default: as in the data.",
            advanced=True,
        ),
        _MIN_N,
        _LEVEL,
    ),
    r.run_direct,
    example="gap_placebo",
)

_GAP = Analysis(
    "gap",
    "Gap: said vs hidden",
    "What people say directly, what the list experiment finds, and the difference.",
    (
        _OUTCOME,
        _TREAT,
        _J,
        replace(_DIRECT_Q, name="direct", label="Direct question"),
        _SUPPORT,
        _DK,
        Field(
            "method",
            "Method",
            "choice",
            "Difference in means (survey design), or regressions with covariates.",
            ("dim", "ml"),
            "dim",
            choice_text=("difference in means (dim)", "regressions (ml)"),
        ),
        replace(_COVS, help="For the regressions (ml) only, e.g. age + news."),
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
        _CLUSTER,
        _STRATA,
        _VARIANCE,
        _DK_VALUES,
        _MIN_N,
        _LEVEL,
    ),
    r.run_gap,
    example="gap_placebo",
)

# --------------------------------------------------------------------------- randomized response

_DESIGN = Field(
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
)
_P = Field(
    "p",
    "p",
    "number",
    "forced-known: chance of a truthful answer; mirrored/warner: of the question, not its "
    "negation; disguised: share of red cards in the yes stack; unrelated-known: of the "
    "sensitive question; crosswise/triangular: that the innocuous statement is true.",
    hint="p",
    low=0,
    high=1,
)
_P0 = Field(
    "p0", "p0", "number", "forced-known: chance of a forced 'no'.", hint="p0", low=0, high=1
)
_P1 = Field(
    "p1", "p1", "number", "forced-known: chance of a forced 'yes'.", hint="p1", low=0, high=1
)
_Q = Field(
    "q", "q", "number", "unrelated-known: chance of 'yes' to the other question.", low=0, high=1
)

_RR = Analysis(
    "rr",
    "Randomized response",
    "The share with the hidden trait (and its regression on covariates) from randomized answers.",
    (
        Field("answer", "Answer", "column", "The randomized answers (1 = yes).", hint="outcome"),
        _DESIGN,
        _P,
        _P0,
        _P1,
        _Q,
        _COVS,
        _BY,
        replace(_WEIGHTS, advanced=True),
        _CLUSTER,
        _STRATA,
        _vcov(
            offered("rr"),
            "Usual: model-based; survey with weights or strata, clustered with clusters. "
            "opg reproduces R rrreg's standard errors.",
        ),
        _MIN_N,
        _LEVEL,
        _REPS,
        _SEED,
    ),
    r.run_rr,
    example="nigeria",
    params={"formula": "covariates", "bootstrap_reps": "reps"},
)

# --------------------------------------------------------------------------- power (no data)

_POWER = Field(
    "power",
    "Target power",
    "number",
    "Gives the sample size needed.",
    default="0.8",
    low=0,
    high=1,
)

_RR_POWER = Analysis(
    "rr-power",
    "Randomized response: power",
    "The power of a randomized response design, or the sample size it needs "
    "(R rr power.rr.test). Uses no data.",
    (
        _DESIGN,
        replace(_P, default="2/3", hint=None),
        replace(_P0, default="1/6", hint=None),
        replace(_P1, default="1/6", hint=None),
        _Q,
        _share("presp", "Prevalence to detect", default="0.2"),
        _share("presp_null", "Prevalence if there is nothing to detect", "Default 0."),
        _POWER,
        Field("n", "Sample size", "int_opt", "Gives the power (leave Target power empty).", low=1),
        Field(
            "type",
            "Samples",
            "choice",
            "One sample, or the difference between two groups.",
            ("one.sample", "two.sample"),
            "one.sample",
            choice_text=("one sample", "two groups"),
            advanced=True,
        ),
        _share("presp_t", "Two groups: prevalence in the treated group", advanced=True),
        _share("presp_c", "Two groups: prevalence in the control group", advanced=True),
        _share("presp_t_null", "Two groups: treated prevalence if no difference", advanced=True),
        _share("presp_c_null", "Two groups: control prevalence if no difference", advanced=True),
        replace(_ALPHA, name="sig_level"),
        Field(
            "alternative",
            "Alternative",
            "choice",
            "",
            ("one.sided", "two.sided"),
            "one.sided",
            choice_text=("one-sided", "two-sided"),
            advanced=True,
        ),
        Field(
            "n_rule",
            "Sample size rule",
            "choice",
            "The smallest n reaching the power, or R's first n within 0.01 of it.",
            ("min", "r"),
            "min",
            choice_text=("smallest n", "as R"),
            advanced=True,
        ),
    ),
    r.run_rr_power,
    uses_data=False,
    params={"sig_level": "sig_level"},
)

_LIST_POWER = Analysis(
    "list-power",
    "List experiment: power",
    "How many respondents a list experiment needs, or its power; also for the gap between "
    "said and hidden. Uses no data unless you choose its count columns below.",
    (
        _J,
        _share("prevalence", "Prevalence to detect", default="0.2"),
        _share("null", "Prevalence if there is nothing to detect", default="0"),
        _POWER,
        Field(
            "n",
            "Total respondents",
            "int_opt",
            "Gives the power (leave Target power empty).",
            low=2,
        ),
        Field(
            "control_mean", "Mean control count", "number", "Default: J/2.", advanced=True, low=0
        ),
        Field("control_var", "Variance of the control count", "number", advanced=True, low=0),
        replace(
            _OUTCOME,
            kind="column_opt",
            label="Item count (optional)",
            help="To take the control count's variance from this data's control group.",
            hint=None,
            advanced=True,
        ),
        replace(
            _TREAT,
            kind="column_opt",
            label="List group (optional)",
            help="0/1.",
            hint=None,
            advanced=True,
        ),
        Field("rho", "Correlation between control items", "number", advanced=True, low=-1, high=1),
        Field(
            "sensitive_cor",
            "Correlation of the sensitive item with the control count",
            "number",
            advanced=True,
            low=-1,
            high=1,
        ),
        _ALPHA,
        Field(
            "alternative",
            "Alternative",
            "choice",
            "",
            ("two.sided", "one.sided"),
            "two.sided",
            choice_text=("two-sided", "one-sided"),
            advanced=True,
        ),
        Field(
            "treated_share",
            "Share shown the treated list",
            "text",
            "A share such as 0.5, or the word optimal.",
            default="0.5",
            advanced=True,
        ),
        Field(
            "gap",
            "Gap to detect",
            "number",
            "Gap: list share minus direct share.",
            advanced=True,
            low=-1,
            high=1,
        ),
        _share("direct_share", "Gap: share saying yes when asked", advanced=True),
        Field(
            "gap_null",
            "Gap if there is nothing to detect",
            "number",
            "Default 0.",
            advanced=True,
            low=-1,
            high=1,
        ),
        Field(
            "direct_link",
            "Gap: link of hidden and said answers",
            "text",
            "falsification, independent, conservative, or a correlation.",
            default="falsification",
            advanced=True,
        ),
    ),
    r.run_list_power,
    uses_data=False,
)

# --------------------------------------------------------------------------- polls

_POLLS = Analysis(
    "polls",
    "Pool polls",
    "One trend across pollsters, with each pollster's house effect.",
    (
        Field("share", "Share", "column", "The poll result (percent or proportion).", hint="share"),
        Field("pollster", "Pollster", "column", hint="pollster"),
        Field(
            "date",
            "Date",
            "column_opt",
            "The date of the poll (or its start and end under More options).",
            hint="date",
        ),
        Field("n", "Sample size (optional)", "column_opt", hint="n"),
        Field(
            "default_n",
            "Sample sizes if missing",
            "text",
            "Per pollster, e.g. Levada=1600, FOM=1500",
        ),
        Field(
            "unknown_n",
            "Sample size when not given",
            "number",
            "For polls with no sample size above: the report says where it was used.",
            default="1000",
            low=1,
        ),
        Field("dk_col", "'Hard to say' share (optional)", "column_opt", hint="dk"),
        Field(
            "scale",
            "Share of",
            "choice",
            "All respondents, or only those with an opinion (needs 'Hard to say').",
            ("all", "decided"),
            "all",
            choice_text=("all respondents", "those with an opinion"),
        ),
        Field("period", "Time step", "choice", "", ("week", "day"), "week"),
        Field("units", "Units", "choice", "", ("auto", "percent", "proportion"), "auto"),
        Field(
            "start",
            "Fieldwork start",
            "column_opt",
            "Instead of a date.",
            hint="start",
            advanced=True,
        ),
        Field("end", "Fieldwork end", "column_opt", hint="end", advanced=True),
        Field(
            "date_format",
            "How dates are written",
            "choice",
            "Only for dates such as 05/03/2020, which could be 5 March or May 3.",
            ("", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y", "%d/%m/%y", "%m/%d/%y"),
            "",
            choice_text=(
                "recognised automatically",
                "day/month/year (31/12/2020)",
                "month/day/year (12/31/2020)",
                "day-month-year (31-12-2020)",
                "month-day-year (12-31-2020)",
                "day/month/two-digit year (31/12/20)",
                "month/day/two-digit year (12/31/20)",
            ),
            advanced=True,
        ),
        Field(
            "fieldwork",
            "A poll measures",
            "choice",
            "The average over its fieldwork days, or its middle day.",
            ("spread", "midpoint"),
            "spread",
            choice_text=("its fieldwork days", "its middle day"),
            advanced=True,
        ),
        Field(
            "anchor_pollster",
            "Pollster taken as unbiased",
            "text",
            "Its house effect is set to 0. Default: house effects average 0.",
            advanced=True,
        ),
        *(
            Field(
                f"anchor{i}",
                f"Known value {i}",
                "text",
                "Date: value, e.g. 2007-11-24: 43.4 (an election result, in the units of the "
                "shares); add ': standard error' if it is uncertain.",
                advanced=True,
            )
            for i in (1, 2, 3)
        ),
        Field(
            "since",
            "From date",
            "text",
            "Only polls fielded from this date (YYYY-MM-DD).",
            advanced=True,
        ),
        Field(
            "until",
            "To date",
            "text",
            "Only polls fielded up to this date (YYYY-MM-DD).",
            advanced=True,
        ),
        _tick(
            "no_extra_variance",
            "No extra pollster variance",
            "Only sampling error (Jackman's model).",
        ),
        Field(
            "sigma",
            "Daily/weekly change (SD)",
            "number",
            "Fix the size of the random steps "
            "of the trend (shares' units per step) instead of estimating it.",
            advanced=True,
            low=1e-9,
        ),
        Field(
            "window",
            "Change over (days)",
            "int",
            "For the reported recent change.",
            default="30",
            advanced=True,
            low=1,
        ),
        _LEVEL,
    ),
    r.run_polls,
    example="putin_approval",
    params={"dk": "dk_col", "anchor": "anchor1"},
)

ANALYSES: dict[str, Analysis] = {
    a.key: a
    for a in (
        _LIST,
        _LIST_DOUBLE,
        _DESIGN_TEST,
        _DIRECT,
        _GAP,
        _COMBINED,
        _RR,
        _POLLS,
        _LIST_POWER,
        _RR_POWER,
    )
}
