"""``unspoken list-double``: the double list experiment (two lists, each respondent treated
on one and control on the other)."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli import common as c
from unspoken.inference.covariance import offered


@click.command("list-double")
@c.data_argument
@click.option("--y1", required=True, help="Count column of list 1.")
@click.option("--y2", required=True, help="Count column of list 2.")
@click.option("--treat", required=True, help="Group column (which list holds the sensitive item).")
@click.option(
    "--long1",
    default=None,
    help="Value of --treat whose list 1 holds the sensitive item (default 1/True).",
)
@click.option("--formula", default=None, help="Sensitive-item model, e.g. '~ age + female'.")
@click.option("--controls1", default=None, help="Short-list model of list 1 (default: --formula).")
@click.option("--controls2", default=None, help="Short-list model of list 2 (default: controls1).")
@c.choice_option(
    "--method",
    ["pooled", "average"],
    "pooled",
    "Pooled regression over both lists, or the average of the two single-list fits.",
)
@c.survey_design_options(
    vcov=offered("double"),
    vcov_default="Default: hc0, or cluster/survey when --cluster/--strata are given.",
)
@c.inference_options(bootstrap_reps=True)
@c.old_flag("--reps", "--bootstrap-reps", "bootstrap_reps", int)
@c.output_options
def command(
    data: str, encoding: str | None, as_json: bool, html_file: str | None, **options: Any
) -> None:
    """Estimate the prevalence of a sensitive item from a double list experiment (DATA is a
    file or a bundled data set such as double_list), with the two single-list estimates and
    the test that the lists agree."""
    from unspoken.listexp.double import double_list_experiment

    df = c.load_frame(data, encoding=encoding)
    # the options are double_list_experiment's own arguments, under their own names
    fit = double_list_experiment(df, **options)
    c.finish(fit, as_json, html_file, data_note=f"Data: {data}")
