"""The form that pools polls."""

from __future__ import annotations

from unspoken.web.forms import runners as r
from unspoken.web.forms.fields import Analysis, Field, choice
from unspoken.web.forms.shared import (
    _LEVEL,
    _tick,
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
        choice(
            "scale",
            "Share of",
            "All respondents, or only those with an opinion (needs 'Hard to say').",
            {"all": "all respondents", "decided": "those with an opinion"},
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
        choice(
            "date_format",
            "How dates are written",
            "Only for dates such as 05/03/2020, which could be 5 March or May 3.",
            {
                "": "recognised automatically",
                "%d/%m/%Y": "day/month/year (31/12/2020)",
                "%m/%d/%Y": "month/day/year (12/31/2020)",
                "%d-%m-%Y": "day-month-year (31-12-2020)",
                "%m-%d-%Y": "month-day-year (12-31-2020)",
                "%d/%m/%y": "day/month/two-digit year (31/12/20)",
                "%m/%d/%y": "month/day/two-digit year (12/31/20)",
            },
            advanced=True,
        ),
        choice(
            "fieldwork",
            "A poll measures",
            "The average over its fieldwork days, or its middle day.",
            {"spread": "its fieldwork days", "midpoint": "its middle day"},
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
        choice(
            "sigma_uncertainty",
            "Uncertainty of the trend's step size",
            "Average the fit over the plausible sizes of the random steps (wider, honest bands "
            "in short series), or use the most likely size. Automatic: averaged for fewer "
            "than 150 polls.",
            {"auto": "automatic", "integrate": "averaged over", "plugin": "most likely size"},
            advanced=True,
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
    params={"dk_share": "dk_col", "anchor": "anchor1"},
)
