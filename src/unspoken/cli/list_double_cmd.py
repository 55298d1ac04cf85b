"""``unspoken list-double``: the double list experiment (two lists, each respondent treated
on one and control on the other)."""

from __future__ import annotations

import click

from unspoken.cli.common import (
    choice_option,
    data_argument,
    finish,
    level_option,
    load_frame,
    output_options,
    seed_option,
    survey_design_options,
)
from unspoken.inference.covariance import offered


@click.command("list-double")
@data_argument
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
@choice_option(
    "--method",
    ["pooled", "average"],
    "pooled",
    "Pooled regression over both lists, or the average of the two single-list fits.",
)
@survey_design_options(
    vcov=offered("double"),
    vcov_default="Default: hc0, or cluster/survey when --cluster/--strata are given.",
)
@click.option("--reps", default=500, show_default=True, help="Bootstrap replications.")
@seed_option()
@level_option
@output_options
def command(
    data,
    y1,
    y2,
    treat,
    long1,
    formula,
    controls1,
    controls2,
    method,
    weights,
    cluster,
    strata,
    vcov,
    reps,
    seed,
    level,
    encoding,
    as_json,
    html_file,
) -> None:
    """Estimate the prevalence of a sensitive item from a double list experiment (DATA is a
    file or a bundled data set such as double_list), with the two single-list estimates and
    the test that the lists agree."""
    from unspoken.listexp.double import double_list_experiment

    df = load_frame(data, encoding=encoding)
    fit = double_list_experiment(
        df,
        y1,
        y2,
        treat,
        formula=formula,
        method=method,
        controls1=controls1,
        controls2=controls2,
        long1=long1,
        weights=weights,
        cluster=cluster,
        strata=strata,
        vcov=vcov,
        level=level,
        bootstrap_reps=reps,
        seed=seed,
    )
    finish(fit, as_json, html_file, data_note=f"Data: {data}")
