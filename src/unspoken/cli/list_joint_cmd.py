"""``unspoken list-joint``: the hidden trait of a list experiment as a predictor of an
outcome (Imai, Park & Greene 2015; R ``ictreg.joint``)."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli import common as c
from unspoken.listexp.joint import JOINT_VCOV


@click.command("list-joint")
@c.data_argument
@c.shown_option(
    "--formula",
    None,
    "y ~ 1",
    'List count and covariates, e.g. "y ~ age + south" (covariates of the trait, the '
    "control items and the outcome).",
)
@c.treat_options(treat_required=False, J="optional", control=False)
@click.option("--outcome", required=True, help="Outcome column the hidden trait may predict.")
@c.choice_option(
    "--outcome-model",
    ["linear", "logistic"],
    "linear",
    "Outcome regression: linear (normal errors) or logistic (a 0/1 outcome).",
)
@click.option(
    "--unconstrained",
    is_flag=True,
    help="Separate control-item models for respondents with and without the trait.",
)
@c.subgroup_options(design="list")
@c.survey_design_options(
    vcov=JOINT_VCOV.kinds,
    vcov_default="Default: model, or hc0/cluster/survey with --weights/--cluster/--strata.",
)
@c.inference_options(bootstrap_reps=True)
@c.output_options
def command(
    data: str,
    unconstrained: bool,
    encoding: str | None,
    as_json: bool,
    html_file: str | None,
    **options: Any,
) -> None:
    """Does the hidden trait predict an outcome? The joint model of a list experiment and
    an outcome regression on DATA (a file or a bundled data set name).

    Example: unspoken list-joint mexico --formula "mex.y.all ~ mex.male + mex.age"
    --treat mex.t --J 3 --outcome mex.epnapprove
    """
    from unspoken.listexp.joint import list_joint

    df = c.load_frame(data, encoding=encoding)
    fit = list_joint(df, constrained=not unconstrained, **options)
    c.finish(fit, as_json, html_file, data_note=f"Data: {data}")
