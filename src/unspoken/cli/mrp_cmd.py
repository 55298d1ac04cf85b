"""``unspoken mrp``: hidden opinion area by area, by multilevel regression and
poststratification (:func:`unspoken.mrp`)."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli import common as c


def _table(path: str, option: str, encoding: str | None) -> Any:
    """A second table (population, area data): a file or a bundled data set's name."""
    from pathlib import Path

    from unspoken import datasets
    from unspoken.errors import DataError

    if path not in datasets.names() and not Path(path).is_file():
        raise DataError(
            f"{option}: there is no file '{path}' (nor a bundled data set of that name)",
            param=option.lstrip("-").replace("-", "_"),
        )
    return c.load_frame(path, encoding=encoding)


@click.command("mrp")
@c.data_argument
@click.option(
    "--formula",
    required=True,
    help='List count and individual covariates, e.g. "y ~ C(age_group) + female" (the '
    "population table needs the same covariate columns).",
)
@c.treat_options(J="optional")
@click.option("--area", required=True, help="Column of areas (regions) in DATA.")
@click.option(
    "--direct",
    default=None,
    help="Column with the answers to the direct question: also model the direct share and "
    "the gap (hidden - direct) by area.",
)
@c.support_options
@click.option(
    "--area-data",
    default=None,
    metavar="FILE",
    help="Table with one row per area (keyed by the --area column): area-level columns for "
    "--area-formula and --indicator.",
)
@click.option(
    "--area-formula",
    default=None,
    help='Area-level predictors, e.g. "~ protest" (constant within each area).',
)
@click.option(
    "--indicator",
    default=None,
    help="Area-level column (e.g. a behavioural measure) to correlate the area estimates with.",
)
@c.choice_option(
    "--indicator-quantity",
    ["hidden", "direct", "gap"],
    "hidden",
    "Which area estimate --indicator is correlated with.",
)
@click.option(
    "--population",
    required=True,
    metavar="FILE",
    help="Population table (CSV/Parquet): one row per cell (area x demographic cells) with "
    "the area, the covariates of --formula and the cell count (--count).",
)
@click.option("--count", required=True, help="Column of the population table with cell counts.")
@c.choice_option(
    "--method",
    ["laplace", "bayes"],
    "laplace",
    "laplace: adaptive quadrature, empirical Bayes (fast); bayes: NUTS in NumPyro "
    "(pip install 'unspoken[bayes]'), minutes.",
)
@c.choice_option(
    "--correlation",
    ["auto", "yes", "no"],
    "auto",
    "With --direct: fit the correlation of the hidden and said area effects. auto: only when "
    "no respondent answered both questions; yes: also then, setting aside the treated list "
    "arm's direct answers; no: never.",
)
@click.option("--draws", type=click.IntRange(min=1), default=None, help="bayes: draws per chain.")
@click.option("--warmup", type=click.IntRange(min=1), default=None, help="bayes: warm-up draws.")
@click.option("--chains", type=click.IntRange(min=1), default=None, help="bayes: chains.")
@c.min_n_option("list")
@c.level_option
@c.seed_option()
@c.plot_option
@c.output_options
def command(
    data: str,
    population: str,
    area_data: str | None,
    draws: int | None,
    warmup: int | None,
    chains: int | None,
    plot_file: str | None,
    encoding: str | None,
    as_json: bool,
    html_file: str | None,
    **options: Any,
) -> None:
    """Hidden opinion by area in DATA (a file or a bundled data set name): a multilevel
    list experiment (random intercepts by --area), poststratified over the --population
    table; with --direct also the direct share and the gap.

    Example: unspoken mrp synthetic_regions_survey --formula "y ~ C(age_group) + female"
    --treat treat --J 3 --area region --area-formula "~ protest"
    --population synthetic_regions_population --count count
    """
    from unspoken.multilevel.mrp import mrp

    df = c.load_frame(data, encoding=encoding)
    pop = _table(population, "--population", encoding)
    areas = None if area_data is None else _table(area_data, "--area-data", encoding)
    fit_options = {k: v for k, v in (("draws", draws), ("warmup", warmup), ("chains", chains)) if v}
    correlation = options.pop("correlation")
    if correlation != "auto":
        fit_options["correlation"] = correlation == "yes"
    if options["method"] == "bayes":
        click.echo("Fitting by NUTS (NumPyro); this can take a few minutes...", err=True)
    res = mrp(df, population=pop, area_data=areas, **options, **fit_options)
    if plot_file:
        res.plot(plot_file)
    c.finish(res, as_json, html_file, data_note=f"Data: {data}; population: {population}")
    if plot_file:
        click.echo(f"Plot written to {plot_file}", err=True)
