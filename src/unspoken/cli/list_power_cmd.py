"""``unspoken list-power``: sample size or power of a list experiment (or of the gap)."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import (
    choice_option,
    encoding_option,
    finish,
    report_options,
    shown_option,
)


@click.command("list-power")
@click.option("--J", "J", type=int, required=True, help="Number of control items.")
@click.option(
    "--prevalence",
    type=float,
    default=None,
    help="Prevalence of the sensitive item to detect (required unless --gap and --direct-share).",
)
@shown_option("--null", float, 0.0, "Null prevalence.")
@click.option("--control-mean", type=float, default=None, help="Mean control count (default J/2).")
@click.option("--control-var", type=float, default=None, help="Variance of the control count.")
@click.option(
    "--from-data",
    "from_data",
    default=None,
    metavar="DATA",
    help="Take the control-count variance from a file or bundled data set's control group.",
)
@shown_option("--outcome", None, "y", "Count column (--from-data).")
@shown_option("--treat", None, "treat", "0/1 list column (--from-data).")
@encoding_option
@shown_option("--rho", float, 0.0, "Average inter-item correlation.")
@shown_option(
    "--sensitive-cor", float, 0.0, "Correlation of the sensitive item with the control count."
)
@click.option("--n", "n", type=float, default=None, help="Total respondents: solve for power.")
@click.option("--power", type=float, default=None, help="Target power: solve for n.")
@shown_option("--alpha", float, 0.05, "Test level.")
@choice_option("--alternative", ["two.sided", "one.sided"], "two.sided")
@shown_option("--treated-share", None, "0.5", "Share shown the treated list, or 'optimal'.")
@click.option("--gap", type=float, default=None, help="Gap to detect: list share - direct share.")
@click.option("--direct-share", type=float, default=None, help="Share saying yes when asked.")
@shown_option("--gap-null", float, 0.0, "Null gap.")
@shown_option(
    "--direct-link",
    None,
    "falsification",
    "Link of hidden and direct answers: falsification, independent, conservative, "
    "or a correlation.",
)
@report_options
def command(
    J: int,
    prevalence: float | None,
    null: float,
    from_data: str | None,
    encoding: str | None,
    treated_share: str,
    gap: float | None,
    direct_share: float | None,
    gap_null: float,
    direct_link: str,
    as_json: bool,
    html_file: str | None,
    **common: Any,
) -> None:
    """How many respondents a list experiment needs (give --power), or its power (give --n).

    With --gap or --direct-share: the power for the falsification gap (list share minus
    direct share), the direct question being asked of everyone.

    Example: unspoken list-power --J 4 --prevalence 0.2 --null 0.1 --power 0.8
    """
    from unspoken.cli.common import load_frame
    from unspoken.errors import UnsupportedError
    from unspoken.power import gap_power, list_power

    share: float | str
    if treated_share == "optimal":
        share = "optimal"
    else:
        try:
            share = float(treated_share)
        except ValueError:
            raise UnsupportedError(
                f"--treated-share must be a number in (0, 1) or 'optimal', not {treated_share!r}"
            ) from None
    # the other options (control list, n or power, alpha, alternative) keep their API names
    data = load_frame(from_data, encoding=encoding) if from_data is not None else None
    common.update(data=data, treated_share=share)
    if gap is not None or direct_share is not None:
        link: str | float = direct_link
        if direct_link not in ("falsification", "independent", "conservative"):
            try:
                link = float(direct_link)
            except ValueError:
                raise UnsupportedError(
                    "--direct-link must be falsification, independent, conservative or a "
                    f"correlation, not {direct_link!r}"
                ) from None
        res = gap_power(
            J,
            gap=gap,
            direct_share=direct_share,
            prevalence=prevalence,
            gap_null=gap_null,
            direct_link=link,  # type: ignore[arg-type]
            **common,
        )
    else:
        if prevalence is None:
            raise UnsupportedError("give --prevalence (or --gap and --direct-share for the gap)")
        res = list_power(J, prevalence, null, **common)
    finish(res, as_json, html_file)
