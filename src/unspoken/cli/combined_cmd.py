"""``unspoken combined``: the combined list and direct estimator (Aronow et al. 2015)."""

from __future__ import annotations

import click

from unspoken.cli.common import (
    data_argument,
    emit_json,
    encoding_option,
    json_option,
    load_frame,
    print_text,
)


@click.command("combined")
@data_argument
@click.option("--outcome", required=True, help="Column with the list counts.")
@click.option("--treat", required=True, help="Column with the list arms (treated / control).")
@click.option("--direct", required=True, help="Column with the 0/1 direct answers.")
@click.option("--covariates", default=None, help="Covariates, e.g. 'gender + ideology'.")
@click.option("--control", default=None, help="Value of --treat marking the control group.")
@click.option(
    "--J", "J", type=int, default=None, help="Number of control items (checks the counts)."
)
@encoding_option
@json_option
def command(
    data: str,
    outcome: str,
    treat: str,
    direct: str,
    covariates: str | None,
    control: str | None,
    J: int | None,
    encoding: str | None,
    as_json: bool,
) -> None:
    """Combine the list experiment and the direct question in DATA (Aronow, Coppock,
    Crawford & Green 2015), with the two placebo tests of its assumptions."""
    from unspoken.listexp.combined import combined_list_direct

    df = load_frame(data, encoding=encoding)
    res = combined_list_direct(df, outcome, treat, direct, covariates, control=control, J=J)
    if as_json:
        emit_json(res)
    else:
        print_text(res.summary())
