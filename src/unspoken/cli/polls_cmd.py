"""``unspoken polls``: pool polls into one trend with house effects and honest bands."""

from __future__ import annotations

import click

from unspoken.cli.common import (
    choice_option,
    data_argument,
    finish,
    load_frame,
    old_flag,
    output_options,
    plot_option,
    shown_option,
)


def _default_n(values: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in values:
        name, sep, num = v.rpartition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected POLLSTER=N, got {v!r}", param_hint="--default-n")
        try:
            out[name.strip()] = float(num)
        except ValueError:
            raise click.BadParameter(
                f"N must be a number in {v!r}", param_hint="--default-n"
            ) from None
    return out


@click.command("polls")
@data_argument
@shown_option("--share", None, "share", "Column with the poll share.")
@shown_option("--pollster", None, "pollster", "Pollster column.")
@click.option("--date", "date_col", default=None, help="Poll date column (default: 'date').")
@click.option("--start", "start_col", default=None, help="Fieldwork start column.")
@click.option("--end", "end_col", default=None, help="Fieldwork end column.")
@click.option(
    "--date-format",
    "date_format",
    default=None,
    metavar="FORMAT",
    help="How to read the date columns, strftime syntax (e.g. %d/%m/%Y or %m/%d/%Y); needed "
    "for 05/03/2020-style dates and columns that mix formats.",
)
@click.option("--n", "n_col", default=None, help="Sample size column.")
@click.option(
    "--default-n",
    "default_n",
    multiple=True,
    metavar="POLLSTER=N",
    help="Sample size for a pollster's polls without one (repeat per pollster).",
)
@click.option("--dk-share", default=None, help="'Hard to say' / don't know share column.")
@old_flag("--dk", "--dk-share", "dk_share")
@choice_option(
    "--scale",
    ["all", "decided"],
    "all",
    "Share of all respondents, or of those with an opinion (needs --dk-share).",
)
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="SPEC",
    help="sum-to-zero (default) | pollster:NAME | value:DATE:EST:SE (repeatable; EST in the "
    "units of the shares, SE 0 fixes the level).",
)
@choice_option("--period", ["day", "week"], "day", "Time step of the latent random walk.")
@choice_option(
    "--units",
    ["auto", "percent", "proportion"],
    "auto",
    "Units of the shares. auto reads percent when every non-zero share is above 1 and "
    "refuses otherwise (proportions, or a small party in percent, cannot be told apart).",
)
@choice_option(
    "--fieldwork",
    ["spread", "midpoint"],
    "spread",
    "A poll measures the mean over its fieldwork, or its middle day.",
)
@click.option("--since", default=None, metavar="DATE", help="Only polls fielded from DATE on.")
@click.option("--until", default=None, metavar="DATE", help="Only polls fielded up to DATE.")
@click.option("--no-extra-variance", is_flag=True, help="No extra variance per pollster.")
@click.option("--sigma", type=float, default=None, help="Fix the innovation SD per period.")
@shown_option("--window", int, 30, "Days for the reported change.")
@choice_option(
    "--sigma-uncertainty",
    ["auto", "integrate", "plugin"],
    "auto",
    "Bands averaged over the innovation SD (integrate) or with its ML value (plugin); auto "
    "integrates series of fewer than 150 polls.",
)
@plot_option
@output_options
def command(
    data: str,
    share: str,
    pollster: str,
    date_col: str | None,
    start_col: str | None,
    end_col: str | None,
    date_format: str | None,
    n_col: str | None,
    default_n: tuple[str, ...],
    dk_share: str | None,
    scale: str,
    anchors: tuple[str, ...],
    period: str,
    units: str,
    fieldwork: str,
    since: str | None,
    until: str | None,
    no_extra_variance: bool,
    sigma: float | None,
    window: int,
    sigma_uncertainty: str,
    plot_file: str | None,
    encoding: str | None,
    as_json: bool,
    html_file: str | None,
) -> None:
    """Pool polls of several pollsters into one latent trend (Jackman's model).

    Each poll measures the latent share over its fieldwork plus its pollster's house effect,
    with binomial error and an extra variance per pollster; the trend is a random walk.
    Fitted exactly (banded Kalman-equivalent smoother, maximum likelihood).

    Example: unspoken polls putin_approval --share approve --date date --dk-share hard_to_say
    --default-n Levada=1600 --default-n FOM=1500 --default-n VCIOM=1600 --period week
    """
    from unspoken._warnings import collect_warnings
    from unspoken.polls import fit_polls
    from unspoken.polls.options import PollColumns, PollFit

    if date_col is None and start_col is None and end_col is None:
        date_col = "date"
    frame = load_frame(data, encoding=encoding)
    anchor: list[str] | str = list(anchors) if anchors else "sum-to-zero"
    with collect_warnings() as warned:
        columns = PollColumns(
            share=share,
            pollster=pollster,
            date=date_col,
            start=start_col,
            end=end_col,
            n=n_col,
            default_n=_default_n(default_n) or None,
            dk_share=dk_share,
            scale=scale,  # type: ignore[arg-type]
            units=units,  # type: ignore[arg-type]
            since=since,
            until=until,
            date_format=date_format,
        )
        settings = PollFit(
            period=period,  # type: ignore[arg-type]
            extra_variance=not no_extra_variance,
            fieldwork=fieldwork,  # type: ignore[arg-type]
            sigma=sigma,
            window=window,
            sigma_uncertainty=sigma_uncertainty,  # type: ignore[arg-type]
        )
        result = fit_polls(
            frame, share, pollster, anchor=anchor, columns=columns, settings=settings
        )
    extra = [w for w in warned if w not in result.notes]
    for w in warned if as_json else extra:  # text output shows the others as notes: once
        click.echo(f"Warning: {w}", err=True)
    if plot_file:
        result.plot(plot_file)
    finish(result, as_json, html_file, data_note=f"Data: {data}", warnings=extra)
    if plot_file:
        click.echo(f"Plot written to {plot_file}", err=True)
