"""``unspoken table-list``: a list experiment from its published table of answer counts."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import (
    choice_option,
    finish,
    level_option,
    report_options,
    seed_option,
    shown_option,
)

#: --decimals, shared by the table commands (what the published numbers were printed to)
decimals_option = click.option(
    "--decimals",
    type=click.IntRange(min=0),
    default=None,
    help="Decimals the published shares or estimates were printed to (default: as typed).",
)


@click.command("table-list")
@click.option(
    "--control-counts",
    "control",
    required=True,
    help="Control arm: respondents answering 0, 1, ..., J (or shares, with sizes).",
)
@click.option(
    "--treated-counts",
    "treated",
    required=True,
    help="Treated arm: respondents answering 0, 1, ..., J+1 (or shares, with sizes).",
)
@click.option(
    "--J",
    "J",
    type=click.IntRange(min=1),
    default=None,
    help="Number of control items (optional: checked against the counts; default from them).",
)
@click.option("--n-control", type=int, default=None, help="Control arm's size, if given shares.")
@click.option("--n-treated", type=int, default=None, help="Treated arm's size, if given shares.")
@choice_option("--units", ["percent", "proportion"], None, "How shares are printed (with sizes).")
@decimals_option
@shown_option("--alpha", float, 0.05, "Level of the design-effect test.")
@click.option("--no-gms", "gms", flag_value=False, default=True, help="No moment selection.")
@choice_option("--compat", ["paper", "list"], "paper", "Design test as in the paper, or R list.")
@click.option("--no-ml", "ml", flag_value=False, default=True, help="Skip maximum likelihood.")
@level_option
@seed_option()
@report_options
def command(
    control: str,
    treated: str,
    decimals: int | None,
    as_json: bool,
    html_file: str | None,
    **options: Any,
) -> None:
    """A list experiment from the published counts of each answer per arm: difference in
    means, intercept-only maximum likelihood, the design-effect test (Blair & Imai 2012) and
    the floor/ceiling shares, exactly as from the microdata.

    A table of percentages: give the shares of each answer instead of counts, with
    --n-control and --n-treated; the result says how far their rounding could move the
    difference in means.

    Example: unspoken table-list --control-counts 8,132,222,227
    --treated-counts 19,123,229,219,34
    """
    from unspoken.tables import list_from_counts
    from unspoken.tables.parse import arms_text

    res = list_from_counts(**arms_text(control, treated, decimals, options), **options)
    finish(res, as_json, html_file)
