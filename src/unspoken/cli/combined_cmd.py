"""``unspoken combined``: the combined list and direct estimator (Aronow et al. 2015)."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import (
    data_argument,
    finish,
    level_option,
    load_frame,
    outcome_option,
    output_options,
    treat_options,
)


@click.command("combined")
@data_argument
@outcome_option
@treat_options(J="optional")
@click.option("--direct", required=True, help="Column with the 0/1 direct answers.")
@click.option("--covariates", default=None, help="Covariates, e.g. 'gender + ideology'.")
@level_option
@output_options
def command(
    data: str, encoding: str | None, as_json: bool, html_file: str | None, **options: Any
) -> None:
    """Combine the list experiment and the direct question in DATA (Aronow, Coppock,
    Crawford & Green 2015), with the two placebo tests of its assumptions."""
    from unspoken.listexp.combined import combined_list_direct

    df = load_frame(data, encoding=encoding)
    # the options are combined_list_direct's own arguments, under their own names
    res = combined_list_direct(df, **options)
    finish(res, as_json, html_file, data_note=f"Data: {data}")
