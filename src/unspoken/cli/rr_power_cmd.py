"""``unspoken rr-power``: power or sample size of a randomized response design."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import (
    choice_option,
    finish,
    old_flag,
    report_options,
    shown_option,
)
from unspoken.cli.rr_cmd import design_options


@click.command("rr-power")
@design_options
@click.option("--presp", type=float, default=None, help="One sample: prevalence to detect.")
@click.option(
    "--presp-null", type=float, default=None, help="One sample: null prevalence (default 0)."
)
@click.option("--presp-t", type=float, default=None, help="Two samples: treated prevalence.")
@click.option("--presp-c", type=float, default=None, help="Two samples: control prevalence.")
@click.option("--presp-t-null", type=float, default=None, help="Two samples: null, treated.")
@click.option("--presp-c-null", type=float, default=None, help="Two samples: null, control.")
@click.option("--n", "n", type=float, default=None, help="Sample size (per group): solve power.")
@click.option("--power", type=float, default=None, help="Target power: solve the sample size.")
@shown_option("--alpha", float, 0.05, "Test level (R's sig.level).")
@old_flag("--sig-level", "--alpha", "alpha", float)
@choice_option("--type", ["one.sample", "two.sample"], "one.sample")
@choice_option("--alternative", ["one.sided", "two.sided"], "one.sided")
@choice_option(
    "--n-rule",
    ["min", "r"],
    "min",
    "min: smallest n reaching the power; r: R power.rr.test's first n within 0.01.",
)
@report_options
def command(n: float | None, as_json: bool, html_file: str | None, **options: Any) -> None:
    """Power to detect a prevalence (or a difference between two groups) with a randomized
    response design, or the sample size for a target power (R rr power.rr.test).

    Example: unspoken rr-power --design forced-known --p 2/3 --p1 1/6 --p0 1/6
    --presp 0.2 --presp-null 0 --n 200 --alpha 0.01
    """
    from unspoken.rr.power import rr_power

    # the design, prevalences, power, alpha, type, alternative and n rule keep their API names
    res = rr_power(n=n if n is None or n != int(n) else int(n), **options)
    finish(res, as_json, html_file)
