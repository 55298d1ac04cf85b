"""The published-table forms (no data): a list experiment from its answer counts, a direct
poll from its topline, the gap from two published estimates. The person types the table."""

from __future__ import annotations

from unspoken.web.forms import runners as r
from unspoken.web.forms.fields import Analysis, Field, choice
from unspoken.web.forms.shared import _ALPHA, _DK, _DK_VALUES, _LEVEL, _SUPPORT


def _units(what: str, advanced: bool = False) -> Field:
    return choice(
        "units",
        "Units",
        f"How the table prints the {what}.",
        {"percent": "percent", "proportion": "proportions (0 to 1)", "": "detect (only if clear)"},
        advanced=advanced,
    )


_DECIMALS = Field(
    "decimals",
    "Decimals printed",
    "int_opt",
    "How many decimals the table printed (default: as typed); sets the rounding interval.",
    advanced=True,
    low=0,
    high=6,
)

_TABLE_LIST = Analysis(
    "table-list",
    "List experiment from a published table",
    "A list experiment from the number of respondents giving each answer in each list: "
    "difference in means, maximum likelihood, the design-effect test. Uses no data: type "
    "the table.",
    (
        Field(
            "control",
            "Control list: respondents answering 0, 1, ..., J",
            "text",
            "Counts separated by commas, answer 0 first (or shares: see More options).",
            default="8, 132, 222, 227",
        ),
        Field(
            "treated",
            "Treated list: respondents answering 0, 1, ..., J+1",
            "text",
            "Counts separated by commas, answer 0 first.",
            default="19, 123, 229, 219, 34",
        ),
        Field(
            "J",
            "Number of control items (J)",
            "int_opt",
            "Default: from the control counts.",
            advanced=True,
            low=1,
        ),
        Field(
            "n_control",
            "Control list: respondents",
            "int_opt",
            "Only for a table of shares: the control list's size.",
            advanced=True,
            low=2,
        ),
        Field(
            "n_treated",
            "Treated list: respondents",
            "int_opt",
            "Only for a table of shares: the treated list's size.",
            advanced=True,
            low=2,
        ),
        _units("shares (only with the lists' sizes)", advanced=True),
        _DECIMALS,
        _ALPHA,
        _LEVEL,
    ),
    r.run_table_list,
    uses_data=False,
)

_TABLE_DIRECT = Analysis(
    "table-direct",
    "Direct poll from a published topline",
    "The share saying they support, from a pollster's topline (each answer's share and the "
    "number of respondents). Uses no data: type the topline.",
    (
        Field(
            "shares",
            "Shares of each answer",
            "text",
            "answer=share, separated by commas, e.g. definitely=43, rather=33, other=24.",
            default="definitely=43, rather=33, other=24",
        ),
        Field("n", "Respondents", "number", "The sample size.", default="1600", low=2),
        _units("shares"),
        Field(
            "support",
            "Answers that count as support",
            "text",
            _SUPPORT.help,
            default="definitely,rather",
        ),
        _DK,
        _DK_VALUES,
        Field(
            "deff",
            "Design effect",
            "number",
            "Widens the intervals (1: simple random sample).",
            advanced=True,
            low=0,
        ),
        Field(
            "n_eff", "Effective sample size", "number", "Instead of a design effect.", advanced=True
        ),
        Field(
            "rest",
            "Name of the remaining answers",
            "text",
            "If the topline lists only some answers: the rest up to 100% is this answer.",
            advanced=True,
        ),
        _DECIMALS,
        _LEVEL,
    ),
    r.run_table_direct,
    uses_data=False,
)


def _estimate(name: str, label: str, default: str, se: str) -> tuple[Field, Field, Field]:
    return (
        Field(name, label, "text", "As published.", default=default),
        Field(
            f"{name}_se",
            f"{label}: standard error",
            "text",
            "Empty it to give the interval instead.",
            default=se,
        ),
        Field(
            f"{name}_ci",
            f"{label}: confidence interval",
            "text",
            "low, high (instead of the standard error).",
            advanced=True,
        ),
    )


_TABLE_GAP = Analysis(
    "table-gap",
    "Gap from two published estimates",
    "Hidden minus said, from two published estimates with their standard errors or "
    "intervals. Uses no data: type the two estimates.",
    (
        *_estimate("hidden", "Hidden estimate (list, randomized response)", "60", "3"),
        *_estimate("direct", "Said estimate (asked directly)", "76", "1"),
        _units("estimates"),
        Field(
            "correlation",
            "Correlation of the two estimates",
            "number",
            "An assumption: 0 for independent samples.",
            default="0",
            low=-1,
            high=1,
        ),
        Field(
            "same_respondents",
            "The same people answered both",
            "check",
            "Shows the gap for correlations from 0 to 0.8.",
        ),
        Field(
            "correlations",
            "Correlations to show",
            "text",
            "Comma-separated, instead of 0 to 0.8.",
            advanced=True,
        ),
        Field(
            "ci_level",
            "Level of the published intervals",
            "number",
            "Default 0.95.",
            advanced=True,
            low=0,
            high=1,
        ),
        _DECIMALS,
        _LEVEL,
    ),
    r.run_table_gap,
    uses_data=False,
)
