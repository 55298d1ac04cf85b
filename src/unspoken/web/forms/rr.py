"""The randomized-response form and its design fields."""

from __future__ import annotations

from dataclasses import replace

from unspoken.inference.covariance import offered
from unspoken.web.forms import runners as r
from unspoken.web.forms.fields import Analysis, Field
from unspoken.web.forms.shared import (
    _BY,
    _CLUSTER,
    _COVS,
    _INFERENCE,
    _MIN_N,
    _STRATA,
    _WEIGHTS,
    _vcov,
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
        *_INFERENCE,
    ),
    r.run_rr,
    example="nigeria",
    params={"formula": "covariates", "bootstrap_reps": "reps"},
)
