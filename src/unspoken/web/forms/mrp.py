"""The form of hidden opinion by area (:func:`unspoken.mrp`, CLI ``unspoken mrp``): a
multilevel list experiment poststratified over a population table chosen among the page's
data sets (upload the table first; the bundled synthetic one is the default)."""

from __future__ import annotations

from dataclasses import replace

from unspoken.web.forms import runners as r
from unspoken.web.forms.fields import Analysis, Field, choice
from unspoken.web.forms.shared import (
    _CONTROL,
    _COVS,
    _DK_VALUES,
    _J,
    _LEVEL,
    _MIN_N,
    _OUTCOME,
    _SEED,
    _SUPPORT,
    _TREAT,
)

#: the NUTS sampler's settings (full Bayes only; empty: the defaults of multilevel_list)
_SAMPLER = tuple(
    Field(name, label, "int_opt", f"Full Bayes only; empty: {default}.", advanced=True, low=1)
    for name, label, default in (
        ("draws", "Draws per chain", 1000),
        ("warmup", "Warm-up draws per chain", 1000),
        ("chains", "Chains", 4),
    )
)

_MRP = Analysis(
    "mrp",
    "Hidden opinion by area (MRP)",
    "A list experiment with random intercepts by area (regions), poststratified over a "
    "population table: each area's hidden share with its interval, even where few were "
    "asked. Upload the population table (and an area table) first, then choose the survey.",
    (
        _OUTCOME,
        _TREAT,
        _J,
        Field("area", "Areas", "column", "The column of areas (regions).", default="region"),
        replace(
            _COVS,
            help="Individual covariates joined by +, e.g. C(age_group) + female; the "
            "population table needs the same columns.",
            default="C(age_group) + female",
        ),
        Field(
            "area_formula",
            "Area-level predictors (optional)",
            "covariates",
            "Columns with one value per area joined by +, e.g. protest.",
            default="protest",
        ),
        Field(
            "population",
            "Population table",
            "dataset",
            "One row per cell (area x age x sex ...): the area, the covariates and the number "
            "of people. Upload it in step 1 to see it here.",
            default="synthetic_regions_population",
        ),
        Field(
            "count",
            "Column of cell counts",
            "text",
            "The column of the population table with the number of people in each cell.",
            default="count",
        ),
        Field(
            "direct",
            "Direct question (optional)",
            "column_opt",
            "Also the share who say support when asked directly, and the gap.",
        ),
        replace(_SUPPORT, advanced=True),
        choice(
            "dk",
            "Don't know / refused answers",
            "Counted as non-support, or dropped.",
            {"no": "count as non-support", "drop": "drop them"},
            advanced=True,
        ),
        _DK_VALUES,
        Field(
            "area_data",
            "Area table (optional)",
            "dataset_opt",
            "One row per area, keyed by the area column: area-level columns for the "
            "predictors and the indicator.",
            advanced=True,
        ),
        Field(
            "indicator",
            "Area-level indicator (optional)",
            "text",
            "A column with one value per area (e.g. protests per 100,000) to correlate the "
            "area estimates with.",
            advanced=True,
        ),
        choice(
            "indicator_quantity",
            "Correlate the indicator with",
            "",
            {"hidden": "the hidden share", "direct": "the direct share", "gap": "the gap"},
            advanced=True,
        ),
        choice(
            "method",
            "Method",
            "Adaptive quadrature (seconds), or full Bayes by NUTS (minutes; needs the bayes "
            "extra, and the page stops an analysis after its time limit).",
            {"laplace": "empirical Bayes (laplace)", "bayes": "full Bayes (NUTS)"},
            advanced=True,
        ),
        *_SAMPLER,
        _CONTROL,
        _MIN_N,
        _LEVEL,
        replace(_SEED, help="For the Bayes method and the indicator's correlation."),
    ),
    r.run_mrp,
    example="synthetic_regions_survey",
    params={"formula": "covariates", "area_data": "area_data"},
)
