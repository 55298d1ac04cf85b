"""``unspoken gap``: what people say, what they hide, and the difference."""

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


@click.command("gap")
@data_argument
@click.option("--outcome", required=True, help="Column with the list counts.")
@click.option("--treat", required=True, help="Column with the list arms (treated / control).")
@click.option(
    "--J", "J", type=click.IntRange(min=1), required=True, help="Number of control items."
)
@click.option("--direct", required=True, help="Column with the answers to the direct question.")
@click.option(
    "--support",
    default=None,
    help="Direct answers that count as support, comma-separated "
    "(not needed for a 0/1 or yes/no question).",
)
@click.option("--covariates", default=None, help="Covariates for --method ml, e.g. 'x1 + x2'.")
@click.option("--by", multiple=True, help="Subgroup column (repeat for a cross-classification).")
@click.option(
    "--method",
    type=click.Choice(["dim", "ml"]),
    default="dim",
    show_default=True,
    help="dim: difference in means (design-based); ml: list ML vs logistic "
    "regression of the direct answer.",
)
@click.option(
    "--dk",
    type=click.Choice(["no", "drop", "bounds"]),
    default="no",
    show_default=True,
    help="Don't know / refusals: as non-support, dropped, or as bounds of the gap.",
)
@click.option("--dk-values", default=None, help="Direct answers meaning don't know / refused.")
@click.option("--weights", default=None, help="Column of survey weights.")
@click.option("--cluster", default=None, help="Column of primary sampling units (clusters).")
@click.option("--strata", default=None, help="Column of strata.")
@click.option("--control", default=None, help="Value of --treat marking the control group.")
@click.option("--placebo-treat", default=None, help="Column: 1 = respondent got the placebo list.")
@click.option(
    "--placebo-prevalence",
    default=None,
    help="Known prevalence of the placebo item, or the column asking it directly.",
)
@click.option(
    "--min-n",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Smallest number of respondents per arm for a subgroup estimate.",
)
@click.option(
    "--plot",
    "plot_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Draw direct vs hidden shares to this file (.svg or .png).",
)
@encoding_option
@json_option
def command(
    data: str,
    outcome: str,
    treat: str,
    J: int,
    direct: str,
    support: str | None,
    covariates: str | None,
    by: tuple[str, ...],
    method: str,
    dk: str,
    dk_values: str | None,
    weights: str | None,
    cluster: str | None,
    strata: str | None,
    control: str | None,
    placebo_treat: str | None,
    placebo_prevalence: str | None,
    min_n: int,
    plot_file: str | None,
    encoding: str | None,
    as_json: bool,
) -> None:
    """The falsification gap in DATA: the direct share, the hidden (list) share and
    gap = hidden - direct, overall and --by subgroup, with 95% intervals that account for
    the two estimates sharing respondents."""
    from unspoken.gap import gap

    df = load_frame(data, encoding=encoding)
    res = gap(
        df,
        outcome,
        treat,
        J,
        direct,
        support,
        covariates=covariates,
        by=list(by) or None,
        method=method,
        dk=dk,
        dk_values=dk_values,  # type: ignore[arg-type]
        weights=weights,
        cluster=cluster,
        strata=strata,
        control=control,
        placebo_treat=placebo_treat,
        placebo_prevalence=placebo_prevalence,
        min_n=min_n,
    )
    if plot_file:
        res.plot(plot_file)
    if as_json:
        emit_json(res)
    else:
        print_text(res.summary())
        if plot_file:
            click.echo(f"Plot written to {plot_file}", err=True)
