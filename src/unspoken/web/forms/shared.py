"""Fields and field makers that several analysis forms share."""

from __future__ import annotations

from unspoken.inference.covariance import VCOV_OFFERS
from unspoken.web.forms.fields import Field, choice


def _percent(name: str, label: str, help_: str, values: tuple[str, ...]) -> Field:
    """A choice of probabilities (the first the default), shown in percent."""
    return choice(name, label, help_, {v: f"{float(v):.0%}" for v in values}, advanced=True)


def _alternative(first: str) -> Field:
    """The alternative hypothesis of a power calculation, ``first`` ("one.sided" or
    "two.sided") listed first and the default."""
    sides = sorted(("one.sided", "two.sided"), key=lambda side: side != first)
    return choice("alternative", "Alternative", "", {s: s.replace(".", "-") for s in sides}, True)


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
_DK = choice(
    "dk",
    "Don't know / refused answers",
    "Counted as non-support, dropped, or both ways (bounds).",
    {"no": "count as non-support", "drop": "drop them", "bounds": "both ways (bounds)"},
)
_DK_VALUES = Field(
    "dk_values",
    "Answers that mean don't know",
    "text",
    "Comma-separated. Default: recognised from labels such as 'hard to say', 'refused'.",
    advanced=True,
)

_LEVEL = _percent("level", "Confidence level", "Of the intervals.", ("0.95", "0.9", "0.99"))
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
_INFERENCE = (_LEVEL, _REPS, _SEED)  # the last fields of a form that offers the bootstrap
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
_ALPHA = _percent(
    "alpha", "Test level", "Chance of a false alarm the test allows.", ("0.05", "0.01", "0.1")
)

_USUAL = "the method's usual one"
_VCOV_TEXT = {
    "": _USUAL,
    "model": "model-based",
    "opg": "outer product of gradients (R rrreg's and ictreg.joint's)",
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
