"""``unspoken design-test``: Blair & Imai (2012) test for design effects in a list experiment."""

from __future__ import annotations

import click

from unspoken.cli.common import data_argument, emit_json, encoding_option, json_option, load_frame


@click.command("design-test")
@data_argument
@click.option("--outcome", required=True, help="Column with the item counts.")
@click.option("--treat", required=True, help="Column with the two arms (treated / control).")
@click.option(
    "--J", "J", type=click.IntRange(min=1), required=True, help="Number of control items."
)
@click.option("--no-gms", is_flag=True, help="Do not drop clearly slack moments (GMS).")
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="Level at which a design effect is declared.",
)
@click.option("--seed", type=int, default=None, help="Seed for the weights when J >= 4.")
@click.option("--control", default=None, help="Value of --treat marking the control group.")
@click.option(
    "--compat",
    type=click.Choice(["paper", "list"]),
    default="paper",
    show_default=True,
    help="'list' reproduces R list::ict.test (its moment selection and small-sample choices).",
)
@encoding_option
@json_option
def command(
    data: str,
    outcome: str,
    treat: str,
    J: int,
    no_gms: bool,
    alpha: float,
    seed: int | None,
    control: str | None,
    compat: str,
    encoding: str | None,
    as_json: bool,
) -> None:
    """Test DATA for a design effect: does adding the sensitive item change answers to the
    control items? Negative estimated shares of respondent types are the sign of one."""
    from unspoken.listexp.design_test import design_test

    df = load_frame(data, encoding=encoding)
    res = design_test(
        df,
        outcome,
        treat,
        J,
        gms=not no_gms,
        alpha=alpha,
        seed=seed,
        control=control,
        compat=compat,  # type: ignore[arg-type]
    )
    if as_json:
        emit_json(res)
        return

    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"List experiment design-effect test (Blair & Imai 2012): J = {res.J}, n = {res.n} "
        f"({res.n_control} control, {res.n_treated} treated)",
        highlight=False,
    )
    table = Table(title="Shares of types pi(y, z) = Pr(Y(0) = y, Z = z)")
    for col in ("y", "z", "estimate", "std. error"):
        table.add_column(col, justify="right")
    for p in res.pi:
        est = f"{p.estimate:.4f}"
        table.add_row(
            str(p.y), str(p.z), f"[red]{est}[/red]" if p.estimate < 0 else est, f"{p.std_error:.4f}"
        )
    console.print(table)
    tests = Table(title=f"Tests of pi(y, z) >= 0 (GMS {'on' if res.gms else 'off'})")
    for col in ("z", "p-value", "LR statistic", "method", "moments y"):
        tests.add_column(col, justify="right")
    for t in res.tests:
        tests.add_row(
            str(t.z),
            f"{t.p_value:.4f}",
            f"{t.statistic:.4f}",
            t.method,
            ", ".join(str(y) for y in t.moments) or "none",
        )
    console.print(tests)
    fc = res.floor_ceiling
    console.print(f"Bonferroni-corrected p-value: {res.p_bonferroni:.4f}")
    console.print(
        f"Treated answering 0 (floor): {fc['treated_0']:.1%}; answering J + 1 = {res.J + 1} "
        f"(ceiling): {fc['treated_J_plus_1']:.1%}"
    )
    console.print(("[bold red]" if res.design_effect else "[bold]") + res.verdict, highlight=False)
    for note in res.notes:
        console.print(f"Note: {note}", highlight=False)
