"""The form of the hidden trait as a predictor (:func:`unspoken.list_joint`, CLI
``unspoken list-joint``)."""

from __future__ import annotations

from unspoken.listexp.joint import JOINT_VCOV
from unspoken.web.forms import runners as r
from unspoken.web.forms.fields import Analysis, Field, choice
from unspoken.web.forms.shared import (
    _BY,
    _CLUSTER,
    _COVS,
    _INFERENCE,
    _J,
    _MIN_N,
    _OUTCOME,
    _STRATA,
    _TREAT,
    _WEIGHTS,
    _tick,
    _vcov,
)

_LIST_JOINT = Analysis(
    "list-joint",
    "Hidden trait as a predictor",
    "Does the hidden trait of a list experiment predict another answer? The joint model of "
    "the list and an outcome regression (Imai, Park & Greene 2015).",
    (
        _OUTCOME,
        _TREAT,
        _J,
        Field(
            "response",
            "Outcome the trait may predict",
            "column",
            "A numeric answer (linear model) or a 0/1 answer (logistic model), e.g. approval "
            "of the president.",
            default="mex.epnapprove",
        ),
        choice(
            "response_model",
            "Outcome model",
            "Linear regression with normal errors, or logistic regression for a 0/1 outcome.",
            {"linear": "linear", "logistic": "logistic (0/1 outcome)"},
        ),
        _COVS,
        _BY,
        _WEIGHTS,
        _CLUSTER,
        _STRATA,
        _vcov(
            JOINT_VCOV.kinds,
            "Usual: model-based (robust hc0 with weights; survey with strata, clustered with "
            "clusters); opg is what R's ictreg.joint reports.",
        ),
        _MIN_N,
        _tick(
            "unconstrained",
            "Unconstrained",
            "Separate control-item models for those with and without the trait.",
        ),
        *_INFERENCE,
    ),
    r.run_list_joint,
    example="mexico",
    params={
        "formula": "covariates",
        "outcome": "response",
        "outcome_model": "response_model",
        "constrained": "unconstrained",
        "bootstrap_reps": "reps",
    },
)
