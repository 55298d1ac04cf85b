"""``unspoken direct``: shares of the answers to a direct question, overall and by subgroup."""

from __future__ import annotations

import click

from unspoken.cli.common import (
    data_argument,
    finish,
    level_option,
    load_frame,
    old_flag,
    output_options,
    subgroup_options,
    support_options,
    survey_design_options,
)
from unspoken.inference.covariance import offered

_VCOV = "Default: survey (Taylor linearisation over weights, clusters and strata)."


@click.command("direct")
@data_argument
@click.option("--question", required=True, help="Column with the answers to the direct question.")
@support_options
@click.option("--order", default=None, help="Answers in the order to show them, comma-separated.")
@survey_design_options(vcov=offered("direct"), vcov_default=_VCOV)
@old_flag("--variance", "--vcov", "vcov", click.Choice(offered("direct")))
@subgroup_options(multiple=True)
@level_option
@output_options
def command(
    data: str,
    question: str,
    support: str | None,
    dk: str,
    dk_values: str | None,
    order: str | None,
    weights: str | None,
    cluster: str | None,
    strata: str | None,
    vcov: str | None,
    by: tuple[str, ...],
    min_n: int,
    level: float,
    encoding: str | None,
    as_json: bool,
    html_file: str | None,
) -> None:
    """The direct poll of DATA: the share of each answer to --question (and of the --support
    answers) with design-based 95% intervals (Taylor linearisation, as R survey; --vcov hc0
    for independent respondents, the old flag --variance still works with a deprecation
    line)."""
    from unspoken.direct import direct_poll

    df = load_frame(data, encoding=encoding)
    res = direct_poll(
        df,
        question,
        support,
        weights=weights,
        cluster=cluster,
        strata=strata,
        by=list(by) or None,
        dk=dk,  # type: ignore[arg-type]
        dk_values=dk_values,
        min_n=min_n,
        order=order,
        vcov=vcov or "survey",  # type: ignore[arg-type]
        level=level,
    )
    finish(res, as_json, html_file, data_note=f"Data: {data}")
