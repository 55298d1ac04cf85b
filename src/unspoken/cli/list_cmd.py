"""``unspoken list``: fit a list experiment (standard design, several sensitive items,
ceiling/floor liars, response errors, overdispersion)."""

from __future__ import annotations

import click

from unspoken.cli.common import (
    by_option,
    data_argument,
    finish,
    level_option,
    load_frame,
    min_n_option,
    output_options,
    seed_option,
    survey_design_options,
    treat_options,
)
from unspoken.inference.covariance import offered


@click.command("list")
@data_argument
@click.option(
    "--formula",
    default="y ~ 1",
    show_default=True,
    help='Outcome and covariates, e.g. "y ~ age + south" (column names only).',
)
@treat_options(treat_required=False, J="optional")
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
@by_option()
@min_n_option("list")
@survey_design_options(vcov=offered("list"))
@level_option
@seed_option()
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
@output_options
def command(
    data: str,
    formula: str,
    treat: str,
    J: int | None,
    method: str,
    unconstrained: bool,
    by: str | None,
    min_n: int,
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
    html_file: str | None,
) -> None:
    """Fit a list experiment on DATA (a file or a bundled data set name).

    Example: unspoken list race --formula "y ~ age + south" --J 3 --method ml
    """
    from unspoken._warnings import collect_warnings
    from unspoken.listexp.standard import list_experiment

    df = load_frame(data, encoding=encoding)
    with collect_warnings() as warned:
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
            min_n=min_n,
        )
    fit.notes.extend(w for w in warned if w not in fit.notes)
    finish(fit, as_json, html_file, data_note=f"Data: {data}")
