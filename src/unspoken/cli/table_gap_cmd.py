"""``unspoken table-gap``: the gap between two published estimates."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import choice_option, finish, level_option, report_options, shown_option
from unspoken.cli.table_list_cmd import decimals_option


@click.command("table-gap")
@click.option("--hidden", required=True, help="Published hidden estimate (list, RR).")
@click.option("--hidden-se", default=None, help="Its standard error.")
@click.option("--hidden-ci", default=None, help="Or its confidence interval: low,high.")
@click.option("--direct", required=True, help="Published direct (said) estimate.")
@click.option("--direct-se", default=None, help="Its standard error.")
@click.option("--direct-ci", default=None, help="Or its confidence interval: low,high.")
@choice_option("--units", ["percent", "proportion"], None, "How the estimates are printed.")
@shown_option("--correlation", float, 0.0, "Assumed correlation of the two estimates.")
@click.option(
    "--same-respondents",
    is_flag=True,
    help="The same people answered both: a table over correlations 0 to 0.8.",
)
@click.option("--correlations", default=None, help="Correlations of that table, comma-separated.")
@shown_option("--ci-level", float, 0.95, "Level of the published intervals.")
@decimals_option
@level_option
@report_options
def command(
    hidden: str,
    direct: str,
    correlations: str | None,
    decimals: int | None,
    as_json: bool,
    html_file: str | None,
    **options: Any,
) -> None:
    """The gap (hidden minus said) from two published estimates with their standard errors
    or intervals; their correlation is an explicit assumption (0: independent samples).

    Example: unspoken table-gap --hidden 60 --hidden-se 3 --direct 76 --direct-se 1
    """
    from unspoken.tables import gap_from_estimates
    from unspoken.tables.parse import gap_text

    spreads = {k: options.pop(k) for k in ("hidden_se", "direct_se", "hidden_ci", "direct_ci")}
    res = gap_from_estimates(**gap_text(hidden, direct, spreads, correlations, decimals), **options)
    finish(res, as_json, html_file)
