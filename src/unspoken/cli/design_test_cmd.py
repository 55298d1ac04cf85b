"""``unspoken design-test``: Blair & Imai (2012) test for design effects in a list experiment
(one test per sensitive item when the treatment has several)."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import (
    choice_option,
    data_argument,
    finish,
    load_frame,
    outcome_option,
    output_options,
    seed_option,
    shown_option,
    treat_options,
)


@click.command("design-test")
@data_argument
@outcome_option
@treat_options()
@click.option("--no-gms", is_flag=True, help="Do not drop clearly slack moments (GMS).")
@shown_option(
    "--alpha",
    click.FloatRange(0, 1, min_open=True, max_open=True),
    0.05,
    "Level at which a design effect is declared.",
)
@seed_option()
@choice_option(
    "--compat",
    ["paper", "list"],
    "paper",
    "'list' reproduces R list::ict.test (its moment selection and small-sample choices).",
)
@output_options
def command(
    data: str,
    no_gms: bool,
    encoding: str | None,
    as_json: bool,
    html_file: str | None,
    **options: Any,
) -> None:
    """Test DATA for a design effect: does adding the sensitive item change answers to the
    control items? Negative estimated shares of respondent types are the sign of one.
    With several sensitive items (one treated arm each) every item is tested against the
    control group."""
    from unspoken.io.arms import arm_column
    from unspoken.io.frames import require_columns
    from unspoken.listexp.design_test import design_test, design_test_multi
    from unspoken.listexp.variants import is_multi_item

    df = load_frame(data, encoding=encoding)
    treat, control = options["treat"], options["control"]
    require_columns(df, [treat])
    test = design_test
    if is_multi_item(df, treat):
        arm_column(df.dropna(subset=[treat]), treat, control)  # names the control problem
        test = design_test_multi
    # the options are design_test's own arguments, under their own names
    res = test(df, gms=not no_gms, **options)
    finish(res, as_json, html_file, data_note=f"Data: {data}")
