"""The power forms (no data): list-experiment/gap power and randomized-response power."""

from __future__ import annotations

from dataclasses import replace

from unspoken.rr.designs import UNKNOWN_DESIGN_NAMES
from unspoken.web.forms import runners as r
from unspoken.web.forms.fields import Analysis, Field, choice
from unspoken.web.forms.rr import _DESIGN, _P, _P0, _P1, _Q
from unspoken.web.forms.shared import (
    _ALPHA,
    _J,
    _OUTCOME,
    _TREAT,
    _alternative,
    _share,
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
        replace(_DESIGN, choices=_DESIGN.choices + UNKNOWN_DESIGN_NAMES),
        replace(_P, default="2/3", hint=None),
        replace(_P0, default="1/6", hint=None),
        replace(_P1, default="1/6", hint=None),
        replace(
            _Q,
            help="unrelated-known: chance of 'yes' to the other question; forced-unknown and "
            "unrelated-unknown: its planned value (it is estimated).",
        ),
        _share("presp", "Prevalence to detect", default="0.2"),
        _share("presp_null", "Prevalence if there is nothing to detect", "Default 0."),
        _POWER,
        Field("n", "Sample size", "int_opt", "Gives the power (leave Target power empty).", low=1),
        choice(
            "type",
            "Samples",
            "One sample, or the difference between two groups.",
            {"one.sample": "one sample", "two.sample": "two groups"},
            advanced=True,
        ),
        _share("presp_t", "Two groups: prevalence in the treated group", advanced=True),
        _share("presp_c", "Two groups: prevalence in the control group", advanced=True),
        _share("presp_t_null", "Two groups: treated prevalence if no difference", advanced=True),
        _share("presp_c_null", "Two groups: control prevalence if no difference", advanced=True),
        _ALPHA,
        _alternative("one.sided"),
        choice(
            "n_rule",
            "Sample size rule",
            "The smallest n reaching the power, or R's first n within 0.01 of it.",
            {"min": "smallest n", "r": "as R"},
            advanced=True,
        ),
        _share(
            "r",
            "Unknown-q designs: share in the first subsample",
            "forced-unknown and unrelated-unknown: the rest answer with p and 1 - p swapped. "
            "Default 1/2.",
            advanced=True,
        ),
        choice(
            "se_rule",
            "Unknown-q designs: standard error",
            "Allow for estimating q, or R's, which treats q as known (higher power).",
            {"joint": "q estimated", "r": "as R"},
            advanced=True,
        ),
    ),
    r.run_rr_power,
    uses_data=False,
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
        _alternative("two.sided"),
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
