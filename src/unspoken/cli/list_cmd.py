"""``unspoken list``: fit a standard-design list experiment."""

from __future__ import annotations

import click

from unspoken.cli.common import data_argument, emit_json, encoding_option, json_option

_VCOV = ["model", "hc0", "hc1", "hc2", "hc3", "cluster", "survey", "bootstrap"]


@click.command("list")
@data_argument
@click.option(
    "--formula",
    default="y ~ 1",
    show_default=True,
    help='Outcome and covariates, e.g. "y ~ age + south" (column names only).',
)
@click.option("--treat", default="treat", show_default=True, help="Treatment column.")
@click.option(
    "--J",
    "J",
    type=int,
    default=None,
    help="Number of control items (default: largest control-group count).",
)
@click.option(
    "--method",
    type=click.Choice(["dim", "lm", "nls", "ml"]),
    default="ml",
    show_default=True,
    help="Estimator.",
)
@click.option(
    "--unconstrained",
    is_flag=True,
    help="ML: separate control-item models for respondents with and without the trait.",
)
@click.option("--by", default=None, help="Column: prevalence for each of its groups.")
@click.option(
    "--control", default=None, help="Value of the treatment column for the control group."
)
@click.option("--weights", default=None, help="Column of probability (sampling) weights.")
@click.option("--cluster", default=None, help="Column of clusters (PSUs).")
@click.option("--strata", default=None, help="Column of strata.")
@click.option(
    "--vcov",
    type=click.Choice(_VCOV),
    default=None,
    help="Variance estimator (default depends on method and design).",
)
@click.option("--level", type=float, default=0.95, show_default=True, help="Confidence level.")
@click.option("--seed", type=int, default=None, help="Seed for --vcov bootstrap.")
@encoding_option
@json_option
def command(
    data: str,
    formula: str,
    treat: str,
    J: int | None,
    method: str,
    unconstrained: bool,
    by: str | None,
    control: str | None,
    weights: str | None,
    cluster: str | None,
    strata: str | None,
    vcov: str | None,
    level: float,
    seed: int | None,
    encoding: str | None,
    as_json: bool,
) -> None:
    """Fit a list experiment on DATA (a file or a bundled data set name).

    Example: unspoken list race --formula "y ~ age + south" --J 3 --method ml
    """
    import warnings

    from unspoken.cli.common import load_frame, print_text
    from unspoken.listexp.standard import list_experiment

    df = load_frame(data, encoding=encoding)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = list_experiment(
            df,
            formula=formula,
            treat=treat,
            J=J,
            method=method,  # type: ignore[arg-type]
            constrained=not unconstrained,
            control=control,
            weights=weights,
            cluster=cluster,
            strata=strata,
            vcov=vcov,
            by=by,
            level=level,
            seed=seed,
        )
    for w in caught:
        msg = str(w.message)
        if msg not in fit.notes:
            fit.notes.append(msg)
    if as_json:
        emit_json(fit)
        return
    _print_rich(fit)
    print_text("")


def _print_rich(fit) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    info = f"n = {fit.n}"
    if fit.loglik is not None:
        info += f"   log-likelihood = {fit.loglik:.4f}"
    info += f"   converged = {fit.converged}   variance = {fit.vcov_type}"
    table = Table(title=fit.title or fit.model, caption=info)
    for col in ("part", "term", "estimate", "std. error", "ci low", "ci high"):
        table.add_column(col, justify="left" if col in ("part", "term") else "right")
    for _, r in fit.tidy().iterrows():
        table.add_row(
            r["part"],
            r["term"],
            *(f"{r[c]:.4f}" for c in ("estimate", "std_error", "ci_low", "ci_high")),
        )
    console.print(table)
    pct = round(fit.level * 100)
    e = fit.prevalence
    console.print(
        f"Prevalence of the sensitive item: {e.estimate:.4f} (s.e. {e.std_error:.4f}; "
        f"{pct}% CI {e.ci_low:.4f} to {e.ci_high:.4f})"
    )
    for g in fit.by:
        grp = ", ".join(f"{k} = {v}" for k, v in g.group.items())
        if g.estimate is None:
            console.print(f"  {grp}: {g.note or 'no estimate'}")
        else:
            console.print(f"  {grp}: {g.estimate.summary()}")
    for note in fit.notes:
        console.print(f"Note: {note}", markup=False)
