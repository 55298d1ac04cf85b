"""``unspoken direct``: shares of the answers to a direct question, overall and by subgroup."""

from __future__ import annotations

from typing import Any

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
@click.option(
    "--question",
    "outcome",
    required=True,
    help="Column with the answers to the direct question.",
)
@support_options
@click.option("--order", default=None, help="Answers in the order to show them, comma-separated.")
@survey_design_options(vcov=offered("direct"), vcov_default=_VCOV)
@old_flag("--variance", "--vcov", "vcov", click.Choice(offered("direct")))
@subgroup_options(multiple=True)
@level_option
@output_options
def command(
    data: str,
    by: tuple[str, ...],
    vcov: str | None,
    encoding: str | None,
    as_json: bool,
    html_file: str | None,
    **options: Any,
) -> None:
    """The direct poll of DATA: the share of each answer to --question (and of the --support
    answers) with design-based 95% intervals (Taylor linearisation, as R survey; --vcov hc0
    for independent respondents, the old flag --variance still works with a deprecation
    line)."""
    from unspoken.direct import direct_poll

    df = load_frame(data, encoding=encoding)
    # the other options are direct_poll()'s keyword arguments (--question is outcome=)
    res = direct_poll(df, by=list(by) or None, vcov=vcov or "survey", **options)  # type: ignore[arg-type]
    finish(res, as_json, html_file, data_note=f"Data: {data}")
