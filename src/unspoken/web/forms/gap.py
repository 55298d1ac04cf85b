"""The forms of the direct question and of the falsification gap."""

from __future__ import annotations

from dataclasses import replace

from unspoken.web.forms import runners as r
from unspoken.web.forms.fields import Analysis, Field, choice
from unspoken.web.forms.shared import (
    _BY,
    _BY2,
    _CLUSTER,
    _CONTROL,
    _COVS,
    _DK,
    _DK_VALUES,
    _J,
    _LEVEL,
    _MIN_N,
    _OUTCOME,
    _STRATA,
    _SUPPORT,
    _TREAT,
    _VARIANCE,
    _WEIGHTS,
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
        choice(
            "method",
            "Method",
            "Difference in means (survey design), or regressions with covariates.",
            {"dim": "difference in means (dim)", "ml": "regressions (ml)"},
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
