"""``unspoken rr-power``: power or sample size of a randomized response design."""

from __future__ import annotations

import re
from typing import Any

import click

from unspoken.cli.common import (
    choice_option,
    finish,
    old_flag,
    report_options,
    shown_option,
)
from unspoken.cli.rr_cmd import FRACTION, design_options
from unspoken.rr.designs import DESIGN_NAMES, UNKNOWN_DESIGN_NAMES

#: API argument names in rr_power's messages, written as this command's flags
_FLAG_NAMES = re.compile(
    r"\b(presp_t_null|presp_c_null|presp_null|presp_t|presp_c|presp|alpha|n_rule|se_rule)\b"
)


def _flags(message: str) -> str:
    """``message`` with the API argument names replaced by the flags (``--presp-null``)."""
    message = re.sub(r"^(n|power|r)\b", r"--\1", message)
    message = re.sub(r"type='([a-z.]+)'", r"--type \1", message)
    return _FLAG_NAMES.sub(lambda m: "--" + m.group(1).replace("_", "-"), message)


@click.command("rr-power")
@design_options(names=DESIGN_NAMES + UNKNOWN_DESIGN_NAMES)
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
@choice_option(
    "--alternative",
    ["one.sided", "two.sided"],
    "one.sided",
    "one.sided (R's default): detects only a prevalence above the null.",
)
@choice_option(
    "--n-rule",
    ["min", "r"],
    "min",
    "min: smallest n reaching the power; r: R power.rr.test's first n within 0.01.",
)
@click.option(
    "--r",
    "r",
    type=FRACTION,
    default=None,
    help="forced-unknown/unrelated-unknown: share of the first subsample (default 1/2).",
)
@choice_option(
    "--se-rule",
    ["joint", "r"],
    "joint",
    "*-unknown designs: joint: the standard error allows for estimating q; r: R's, which "
    "treats q as known.",
)
@report_options
def command(
    n: float | None, power: float | None, as_json: bool, html_file: str | None, **options: Any
) -> None:
    """Power to detect a prevalence (or a difference between two groups) with a randomized
    response design, or the sample size for a target power (R rr power.rr.test).

    Give exactly one of --n (to get the power) and --power (to get n). The test is
    one-sided by default, as in R: it looks for a prevalence above --presp-null.

    Example: unspoken rr-power --design forced-known --p 2/3 --p1 1/6 --p0 1/6
    --presp 0.2 --presp-null 0 --n 200 --alpha 0.01
    """
    from unspoken.errors import UnsupportedError
    from unspoken.rr.power import rr_power

    if (n is None) == (power is None):
        raise UnsupportedError(
            "give exactly one of --n (to get the power) and --power (to get the sample size)"
        )
    # the design, prevalences, alpha, type, alternative and rules keep their API names
    try:
        res = rr_power(n=n if n is None or n != int(n) else int(n), power=power, **options)
    except UnsupportedError as e:
        raise UnsupportedError(_flags(str(e)), param=e.param) from None
    finish(res, as_json, html_file)
