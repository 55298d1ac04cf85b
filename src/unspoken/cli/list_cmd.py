"""``unspoken list``: fit a list experiment (standard design, several sensitive items,
ceiling/floor liars, response errors, overdispersion)."""

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
@click.option("--ceiling", is_flag=True, help="ML with ceiling liars (Blair & Imai 2012).")
@click.option("--floor", "floor_", is_flag=True, help="ML with floor liars.")
@click.option("--ceiling-formula", default="~ 1", show_default=True, help="Ceiling-liar model.")
@click.option("--floor-formula", default="~ 1", show_default=True, help="Floor-liar model.")
@click.option(
    "--liar-fit",
    type=click.Choice(["glm", "bayesglm"]),
    default="glm",
    show_default=True,
    help="Ceiling/floor models: plain ML, or with R's Cauchy(0, 2.5) priors.",
)
@click.option(
    "--error",
    type=click.Choice(["none", "topcoded", "topcode", "uniform"]),
    default="none",
    show_default=True,
    help="Response-error model (Blair, Chou & Imai 2019).",
)
@click.option("--robust", is_flag=True, help="ML constrained to the difference in means.")
@click.option("--overdispersed", is_flag=True, help="Beta-binomial control counts.")
@click.option(
    "--multi-condition",
    type=click.Choice(["none", "level"]),
    default="none",
    show_default=True,
    help="Several sensitive items: let each depend on the control count ('level').",
)
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
    ceiling: bool,
    floor_: bool,
    ceiling_formula: str,
    floor_formula: str,
    liar_fit: str,
    error: str,
    robust: bool,
    overdispersed: bool,
    multi_condition: str,
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
            ceiling=ceiling,
            floor=floor_,
            ceiling_formula=ceiling_formula,
            floor_formula=floor_formula,
            liar_fit=liar_fit,  # type: ignore[arg-type]
            error=error,  # type: ignore[arg-type]
            robust=robust,
            overdispersed=overdispersed,
            multi_condition=multi_condition,  # type: ignore[arg-type]
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
    items = fit.prevalence if isinstance(fit.prevalence, list) else [fit.prevalence]
    for e in items:
        what = f"sensitive item {e.label!r}" if e.label else "the sensitive item"
        console.print(
            f"Prevalence of {what}: {e.estimate:.4f} (s.e. {e.std_error:.4f}; "
            f"{pct}% CI {e.ci_low:.4f} to {e.ci_high:.4f})"
        )
    shares = {
        **fit.extra.get("liars", {}),
        **{f"error share {k}": v for k, v in fit.extra.get("error_share", {}).items()},
        **({"rho (overdispersion)": fit.extra["rho"]} if "rho" in fit.extra else {}),
    }
    for name, v in shares.items():
        console.print(
            f"{name}: {v['estimate']:.4f} (s.e. {v['std_error']:.4f}; "
            f"CI {v['ci_low']:.4f} to {v['ci_high']:.4f})"
        )
    for g in fit.by:
        grp = ", ".join(f"{k} = {v}" for k, v in g.group.items())
        if g.estimate is None:
            console.print(f"  {grp}: {g.note or 'no estimate'}")
        else:
            console.print(f"  {grp}: {g.estimate.summary()}")
    for note in fit.notes:
        console.print(f"Note: {note}", markup=False)
