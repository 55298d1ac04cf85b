"""Pieces every CLI command shares: loading DATA, the options several commands take (one
help text each), printing JSON, printing a result as rich tables, writing the HTML report."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import click
import pandas as pd

from unspoken.inference.covariance import vcov_help
from unspoken.results import json_text

F = Callable[..., Any]


def load_frame(data: str, encoding: str | None = None) -> pd.DataFrame:
    """DATA is a file path or the name of a bundled data set."""
    from unspoken import datasets
    from unspoken.io.readers import read_data

    if data in datasets.names():
        return datasets.load(data)
    return read_data(data, encoding=encoding)


def emit_json(obj: Any) -> None:
    """Print one JSON object on stdout and nothing else."""
    click.echo(json_text(obj))


# --------------------------------------------------------------------------- options


def _stack(*opts: F) -> F:
    """Apply several click decorators in the order written."""

    def deco(f: F) -> F:
        for opt in reversed(opts):
            f = opt(f)
        return f

    return deco


def shown_option(
    decl: str, type: Any, default: Any, help: str | None = None, dest: str | None = None
) -> Callable[[F], F]:
    """An option of ``type`` whose default --help shows (``dest``: the parameter's name when
    it is not the flag's)."""
    decls = (decl, dest) if dest else (decl,)
    return click.option(*decls, type=type, default=default, show_default=True, help=help)


def choice_option(
    decl: str,
    choices: Sequence[str],
    default: str | None,
    help: str | None = None,
    dest: str | None = None,
) -> Callable[[F], F]:
    """An option taking one of ``choices``, its default shown in --help."""
    return shown_option(decl, click.Choice(list(choices)), default, help, dest)


def old_flag(old: str, new: str, dest: str, type: Any = None) -> Callable[[F], F]:
    """A hidden flag ``old`` still accepted for one release: it prints a deprecation line
    and gives its value to the parameter ``dest`` of the flag ``new``."""

    def deco(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value = kwargs.pop("old_" + dest)
            if value is not None:
                click.echo(
                    f"Deprecated: {old} is now {new} (the old flag will be removed).", err=True
                )
                kwargs[dest] = value
            return f(*args, **kwargs)

        return click.option(old, "old_" + dest, type=type, default=None, hidden=True)(wrapper)

    return deco  # type: ignore[return-value]


data_argument = click.argument("data", metavar="DATA")
encoding_option = click.option(
    "--encoding", default=None, help="Text encoding of a CSV/SPSS/Stata file (e.g. cp1251)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
html_option = click.option(
    "--html",
    "html_file",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Also write a self-contained HTML report (headline, tables, plots) to FILE.",
)


def report_options(f: F) -> F:
    """--json and --html: the numbers as JSON, or also a self-contained HTML report."""
    return _stack(json_option, html_option)(f)


def output_options(f: F) -> F:
    """--encoding, --json and --html (every command reading DATA takes all three)."""
    return _stack(encoding_option, report_options)(f)


_PLOT_SUFFIXES = (".svg", ".png", ".pdf")


def _check_plot_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.lower().endswith(_PLOT_SUFFIXES):
        raise click.BadParameter(f"FILE must end in .svg, .png or .pdf, not {value!r}")
    return value


def plot_option(f: F) -> F:
    return click.option(
        "--plot",
        "plot_file",
        default=None,
        metavar="FILE",
        type=click.Path(dir_okay=False),
        callback=_check_plot_file,
        help="Write a plot to FILE (.svg, .png or .pdf).",
    )(f)


def seed_option(default: int | None = None) -> Callable[[F], F]:
    return click.option(
        "--seed",
        type=int,
        default=default,
        show_default=default is not None,
        help="Seed of the random numbers (bootstrap replications, simulated test weights): "
        "the same seed gives the same result.",
    )


level_option = click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.95,
    show_default=True,
    help="Confidence level of the intervals.",
)


def by_option(multiple: bool = False) -> Callable[[F], F]:
    """--by: one subgroup column, or repeated for a cross-classification."""
    return click.option(
        "--by",
        multiple=multiple,
        default=None,
        help="Subgroup column: an estimate for each of its groups"
        + (" (repeat for a cross-classification)." if multiple else "."),
    )


def subgroup_options(multiple: bool = False, design: str = "plain") -> Callable[[F], F]:
    """--by and --min-n: estimates by subgroup and the small-cell rule they obey (see
    :func:`by_option` and :func:`min_n_option`)."""
    return _stack(by_option(multiple), min_n_option(design))


def inference_options(bootstrap_reps: bool = False) -> Callable[[F], F]:
    """--level and --seed, and with ``bootstrap_reps`` --bootstrap-reps (the number of
    bootstrap replications, :data:`unspoken.options.DEFAULT_BOOTSTRAP_REPS` by default)."""
    opts = [level_option, seed_option()]
    if bootstrap_reps:
        from unspoken.options import DEFAULT_BOOTSTRAP_REPS

        opts.append(
            shown_option(
                "--bootstrap-reps",
                click.IntRange(min=1),
                DEFAULT_BOOTSTRAP_REPS,
                "Bootstrap replications (--vcov bootstrap).",
            )
        )
    return _stack(*opts)


_VCOV_DEFAULT = "Default: the method's own, or cluster/survey when --cluster/--strata are given."


def survey_design_options(
    vcov: Sequence[str] | None = None, vcov_default: str = _VCOV_DEFAULT
) -> Callable[[F], F]:
    """--weights, --cluster, --strata and (when ``vcov`` lists its choices, see
    :func:`unspoken.inference.covariance.offered`) --vcov, its help from the registry."""
    opts = [
        click.option("--weights", default=None, help="Column of probability (sampling) weights."),
        click.option(
            "--cluster", default=None, help="Column of clusters (primary sampling units)."
        ),
        click.option("--strata", default=None, help="Column of strata."),
    ]
    if vcov is not None:
        opts.append(
            click.option(
                "--vcov",
                type=click.Choice(list(vcov)),
                default=None,
                help=vcov_help(list(vcov), vcov_default),
            )
        )
    return _stack(*opts)


def treat_options(
    treat_required: bool = True, J: str | None = "required", control: bool = True
) -> Callable[[F], F]:
    """--treat, --control and --J. ``J`` is "required", "optional" or None (no --J)."""
    opts = [
        click.option(
            "--treat",
            required=treat_required,
            default=None if treat_required else "treat",
            show_default=not treat_required,
            help="Column with the list arms (control / treated, or one arm per sensitive item).",
        )
    ]
    if control:
        opts.append(
            click.option(
                "--control", default=None, help="Value of --treat marking the control group."
            )
        )
    if J is not None:
        opts.append(
            click.option(
                "--J",
                "J",
                type=click.IntRange(min=1),
                required=J == "required",
                default=None,
                help="Number of control items"
                + (
                    "."
                    if J == "required"
                    else " (optional: counts are checked against it; default from the data)."
                ),
            )
        )
    return _stack(*opts)


outcome_option = click.option(
    "--outcome", required=True, help="Column with the list counts (items each respondent named)."
)


def support_options(f: F) -> F:
    """--support, --dk, --dk-values: how answers to a direct question count."""
    return _stack(
        click.option(
            "--support",
            default=None,
            help="Answers that count as support, comma-separated "
            "(not needed for a 0/1 or yes/no question).",
        ),
        choice_option(
            "--dk",
            ["no", "drop", "bounds"],
            "no",
            "Don't know / refused answers: counted as non-support, dropped, or both ways (bounds).",
        ),
        click.option(
            "--dk-values",
            default=None,
            help="Answers that mean don't know / refused, comma-separated "
            "(default: recognised from labels such as 'hard to say', 'refused').",
        ),
    )(f)


_MIN_N_PARTS = {
    "plain": ".",
    "list": " (and min(10, MIN_N) in each list arm).",
    "gap": " (and as many direct answers, and min(10, MIN_N) in each list arm).",
}


def min_n_option(design: str = "plain") -> Callable[[F], F]:
    """--min-n, the small-cell rule of tables by subgroup (:mod:`unspoken.smallcells`);
    ``design`` ("plain", "list" or "gap") adds what else a group needs."""
    return click.option(
        "--min-n",
        type=click.IntRange(min=1),
        default=30,
        show_default=True,
        help="Fewest respondents a subgroup needs to be shown; smaller groups are suppressed "
        "to protect respondents, and 1 shows every group" + _MIN_N_PARTS[design],
    )


# --------------------------------------------------------------------------- output


def render(result: Any, console: Any = None) -> None:
    """Print a result as text: headline first, then facts, rich tables and notes."""
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    from unspoken.report.view import describe_all

    con = console or Console(highlight=False)
    for view in describe_all(result):
        con.print(Text(view.title, style="bold underline"))
        for h in view.headline:
            con.print(Text(h, style="bold"))
        for w in view.warnings:
            con.print(Text(f"Warning: {w}", style="bold red"))
        for fact in view.facts:
            con.print(Text(fact))
        for t in view.tables:
            rt = RichTable(title=t.title, title_justify="left", title_style="bold")
            for c, a in zip(t.columns, t.align, strict=True):
                rt.add_column(c, justify="right" if a == "r" else "left")
            for r in t.rows:
                rt.add_row(*(Text(c) for c in r))
            con.print(rt)
        for note in view.other_notes:
            con.print(Text(f"Note: {note}"))
        con.print()


def finish(
    result: Any,
    as_json: bool,
    html_file: str | None = None,
    title: str | None = None,
    data_note: str | None = None,
    warnings: Sequence[str] = (),
    json_payload: Any = None,
    intro: str | None = None,
) -> None:
    """The common end of a command: the HTML report if asked, then JSON or text.

    ``json_payload`` is what ``--json`` prints when it is not ``result`` itself (e.g. a
    command that renders views but prints the numbers behind them); ``intro`` is text put
    before the rendered result. Nothing reaches stdout if the report cannot be written."""
    if html_file:
        from unspoken.report import write_report

        write_report(result, html_file, title=title, data_note=data_note, warnings=warnings)
    if as_json:
        emit_json(result if json_payload is None else json_payload)
    else:
        if intro:
            click.echo(intro)
        render(result)
    if html_file:
        click.echo(f"Report written to {html_file}", err=True)
