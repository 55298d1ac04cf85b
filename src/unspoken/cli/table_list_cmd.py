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


@click.command("table-list")
@click.option(
    "--control-counts",
    "control",
    required=True,
    help="Control arm: respondents answering 0, 1, ..., J, comma-separated.",
)
@click.option(
    "--treated-counts",
    "treated",
    required=True,
    help="Treated arm: respondents answering 0, 1, ..., J+1, comma-separated.",
)
@click.option(
    "--J",
    "J",
    type=click.IntRange(min=1),
    default=None,
    help="Number of control items (optional: checked against the counts; default from them).",
)
@shown_option("--alpha", float, 0.05, "Level of the design-effect test.")
@click.option("--no-gms", "gms", flag_value=False, default=True, help="No moment selection.")
@choice_option("--compat", ["paper", "list"], "paper", "Design test as in the paper, or R list.")
@click.option("--no-ml", "ml", flag_value=False, default=True, help="Skip maximum likelihood.")
@level_option
@seed_option()
@report_options
def command(
    control: str, treated: str, as_json: bool, html_file: str | None, **options: Any
) -> None:
    """A list experiment from the published counts of each answer per arm: difference in
    means, intercept-only maximum likelihood, the design-effect test (Blair & Imai 2012) and
    the floor/ceiling shares, exactly as from the microdata.

    Example: unspoken table-list --control-counts 8,132,222,227
    --treated-counts 19,123,229,219,34
    """
    from unspoken.tables import list_from_counts
    from unspoken.tables.parse import counts_text

    res = list_from_counts(
        counts_text(control, "control"), counts_text(treated, "treated"), **options
    )
    finish(res, as_json, html_file)
