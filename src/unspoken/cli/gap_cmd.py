"""``unspoken gap``: what people say, what they hide, and the difference."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import (
    by_option,
    choice_option,
    data_argument,
    finish,
    level_option,
    load_frame,
    min_n_option,
    old_flag,
    outcome_option,
    output_options,
    plot_option,
    support_options,
    survey_design_options,
    treat_options,
)
from unspoken.inference.covariance import offered

_VCOV = "Default: survey (Taylor linearisation over weights, clusters and strata)."


@click.command("gap")
@data_argument
@outcome_option
@treat_options()
@click.option("--direct", required=True, help="Column with the answers to the direct question.")
@support_options
@click.option("--covariates", default=None, help="Covariates for --method ml, e.g. 'x1 + x2'.")
@by_option(multiple=True)
@choice_option(
    "--method",
    ["dim", "ml"],
    "dim",
    "dim: difference in means (design-based); ml: list ML vs logistic "
    "regression of the direct answer.",
)
@survey_design_options(vcov=offered("gap"), vcov_default=_VCOV)
@old_flag("--variance", "--vcov", "vcov", click.Choice(offered("gap")))
@click.option("--placebo-treat", default=None, help="Column: 1 = respondent got the placebo list.")
@click.option(
    "--placebo-prevalence",
    default=None,
    help="Known prevalence of the placebo item, or the column asking it directly.",
)
@min_n_option("gap")
@level_option
@plot_option
@output_options
def command(
    data: str,
    by: tuple[str, ...],
    vcov: str | None,
    plot_file: str | None,
    encoding: str | None,
    as_json: bool,
    html_file: str | None,
    **options: Any,
) -> None:
    """The falsification gap in DATA: the direct share, the hidden (list) share and
    gap = hidden - direct, overall and --by subgroup, with 95% intervals that account for
    the two estimates sharing respondents (--vcov: how the variance is computed; the
    old flag --variance still works, with a deprecation line)."""
    from unspoken.falsification import gap

    df = load_frame(data, encoding=encoding)
    # the other options are gap()'s keyword arguments under the same names
    res = gap(df, by=list(by) or None, vcov=vcov or "survey", **options)  # type: ignore[arg-type]
    if plot_file:
        res.plot(plot_file)
    finish(res, as_json, html_file, data_note=f"Data: {data}")
    if plot_file:
        click.echo(f"Plot written to {plot_file}", err=True)
