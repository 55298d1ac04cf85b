"""``unspoken rr``: randomized response regression (or prevalence) on a data file."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import (
    choice_option,
    data_argument,
    finish,
    inference_options,
    load_frame,
    old_flag,
    output_options,
    subgroup_options,
    survey_design_options,
)
from unspoken.inference.covariance import offered
from unspoken.rr.designs import DESIGN_NAMES


class Fraction(click.ParamType):
    """A number, also written as a fraction such as 2/3."""

    name = "number"

    def convert(self, value, param, ctx):
        if isinstance(value, float | int):
            return float(value)
        text = str(value).strip()
        try:
            if "/" in text:
                num, den = text.split("/")
                return float(num) / float(den)
            return float(text)
        except (ValueError, ZeroDivisionError):
            self.fail(f"{value!r} is not a number or a fraction like 2/3", param, ctx)


FRACTION = Fraction()


def design_options(f=None, *, names: tuple[str, ...] = DESIGN_NAMES):
    """The design and its parameters, named as in R rr (``names``: the designs offered)."""
    if f is None:
        return lambda g: design_options(g, names=names)
    for opt in reversed(
        [
            choice_option("--design", list(names), "forced-known", "Randomized response design."),
            click.option(
                "--p",
                "p",
                type=FRACTION,
                default=None,
                help="forced-known: P(truthful answer); mirrored/warner: P(the question, not "
                "its negation); disguised: share of red cards in the yes stack; "
                "unrelated-known: P(the sensitive question); crosswise/triangular: P(the "
                "innocuous statement is true).",
            ),
            click.option("--p0", "p0", type=FRACTION, default=None, help="P(forced 'no')."),
            click.option("--p1", "p1", type=FRACTION, default=None, help="P(forced 'yes')."),
            click.option(
                "--q",
                "q",
                type=FRACTION,
                default=None,
                help="P('yes' to the unrelated question); *-unknown: its planned value.",
            ),
        ]
    ):
        f = opt(f)
    return f


@click.command("rr")
@data_argument
@click.option(
    "--formula",
    required=True,
    help='Answer and covariates, e.g. "rr.q1 ~ cov.age + cov.female" ("y ~ 1": no covariates).',
)
@design_options
@survey_design_options(
    vcov=offered("rr"),
    vcov_default="Default: model, or survey with --weights or --strata, cluster with --cluster.",
)
@subgroup_options()
@inference_options(bootstrap_reps=True)
@old_flag("--reps", "--bootstrap-reps", "bootstrap_reps", int)
@output_options
def command(
    data: str,
    formula: str,
    encoding: str | None,
    as_json: bool,
    html_file: str | None,
    **options: Any,
) -> None:
    """Logistic regression of a hidden trait on covariates from randomized response answers
    in DATA (a file or a bundled data set name), by maximum likelihood.

    Answer coding: y = 1 is a "yes" (forced, mirrored, disguised, unrelated, warner); for
    crosswise y = 1 is "both statements true or both false"; for triangular "both false".

    --vcov opg is R rrreg's default (outer product of gradients); model is the inverse
    information. Design probabilities may be fractions (2/3). Example: unspoken rr nigeria --formula
    "rr.q1 ~ cov.age + cov.female" --design forced-known --p 2/3 --p0 1/6 --p1 1/6
    """
    from unspoken.rr.regression import rr_regression

    # the design, survey, subgroup and inference options keep their API names
    fit = rr_regression(load_frame(data, encoding=encoding), formula, **options)
    finish(fit, as_json, html_file, data_note=f"Data: {data}")
