"""``unspoken table-direct``: a direct poll from its published topline."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import choice_option, finish, level_option, report_options, support_options
from unspoken.cli.table_list_cmd import decimals_option


@click.command("table-direct")
@click.option(
    "--share",
    "shares",
    multiple=True,
    required=True,
    help="An answer and its published share, answer=share (repeat, or comma-separate).",
)
@click.option("--n", "n", type=float, required=True, help="Respondents behind the topline.")
@choice_option("--units", ["percent", "proportion"], None, "How the shares are printed.")
@support_options
@click.option("--deff", type=float, default=None, help="Design effect (widens the errors).")
@click.option("--n-eff", type=float, default=None, help="Effective sample size (or --deff).")
@click.option("--rest", default=None, help="Name the remainder up to 100% as this answer.")
@decimals_option
@level_option
@report_options
def command(
    shares: tuple[str, ...],
    decimals: int | None,
    as_json: bool,
    html_file: str | None,
    **options: Any,
) -> None:
    """A direct poll from its topline: the share of each answer and of support with its
    interval (with a design effect if given), "don't know" as in `unspoken direct`, and how
    far the rounding of the published shares could move the support share.

    Example: unspoken table-direct --share definitely=43 --share rather=33 --share other=24
    --n 1600 --units percent --support definitely,rather
    """
    from unspoken.tables import direct_from_topline
    from unspoken.tables.parse import shares_text

    values, typed = shares_text(shares, "shares")
    res = direct_from_topline(values, decimals=typed if decimals is None else decimals, **options)
    finish(res, as_json, html_file)
