"""``unspoken list``: fit a list experiment (standard design, several sensitive items,
ceiling/floor liars, response errors, overdispersion)."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import (
    choice_option,
    data_argument,
    finish,
    inference_options,
    load_frame,
    output_options,
    shown_option,
    subgroup_options,
    survey_design_options,
    treat_options,
)
from unspoken.inference.covariance import offered


@click.command("list")
@data_argument
@shown_option(
    "--formula",
    None,
    "y ~ 1",
    'Outcome and covariates, e.g. "y ~ age + south" (column names only).',
)
@treat_options(treat_required=False, J="optional")
@choice_option("--method", ["dim", "lm", "nls", "ml"], "ml", "Estimator.")
@click.option(
    "--unconstrained",
    is_flag=True,
    help="ML: separate control-item models for respondents with and without the trait.",
)
@subgroup_options(design="list")
@survey_design_options(vcov=offered("list"))
@inference_options()
@click.option("--ceiling", is_flag=True, help="ML with ceiling liars (Blair & Imai 2012).")
@click.option("--floor", "floor_", is_flag=True, help="ML with floor liars.")
@shown_option("--ceiling-formula", None, "~ 1", "Ceiling-liar model.")
@shown_option("--floor-formula", None, "~ 1", "Floor-liar model.")
@choice_option(
    "--liar-fit",
    ["glm", "bayesglm"],
    "glm",
    "Ceiling/floor models: plain ML, or with R's Cauchy(0, 2.5) priors.",
)
@choice_option(
    "--error",
    ["none", "topcoded", "topcode", "uniform"],
    "none",
    "Response-error model (Blair, Chou & Imai 2019).",
)
@click.option("--robust", is_flag=True, help="ML constrained to the difference in means.")
@click.option("--overdispersed", is_flag=True, help="Beta-binomial control counts.")
@choice_option(
    "--multi-condition",
    ["none", "level"],
    "none",
    "Several sensitive items: let each depend on the control count ('level').",
)
@click.option(
    "--aux-group",
    default=None,
    help="Known shares: the column whose groups have a known share of the sensitive trait.",
)
@click.option(
    "--aux-share",
    "aux_shares",
    multiple=True,
    help="Known share of a group, VALUE=SHARE (repeat: --aux-share 0=0.10 --aux-share 1=0.30);"
    " one number without --aux-group for everyone. Methods nls and ml.",
)
@choice_option(
    "--aux-weighting",
    ["efficient", "cue"],
    "efficient",
    "Known shares: two-step efficient or continuously updated GMM weights.",
)
@output_options
def command(
    data: str,
    unconstrained: bool,
    floor_: bool,
    encoding: str | None,
    as_json: bool,
    html_file: str | None,
    aux_group: str | None,
    aux_shares: tuple[str, ...],
    aux_weighting: str,
    **options: Any,
) -> None:
    """Fit a list experiment on DATA (a file or a bundled data set name).

    Example: unspoken list race --formula "y ~ age + south" --J 3 --method ml

    Known shares of the sensitive trait (Chou, Imai & Rosenfeld 2017): --aux-group south
    --aux-share 0=0.10 --aux-share 1=0.30 (the JSON then has "overid", the Sargan-Hansen
    test of the shares).
    """
    from unspoken._warnings import collect_warnings
    from unspoken.errors import UnsupportedError
    from unspoken.listexp.standard import list_experiment

    if aux_shares or aux_group:
        from unspoken.listexp.aux import parse_shares

        if not aux_shares:
            raise UnsupportedError("--aux-group needs --aux-share VALUE=SHARE", param="aux")
        options["aux"] = {
            "group": aux_group, "shares": parse_shares(list(aux_shares)),
            "weighting": aux_weighting,
        }  # fmt: skip
    df = load_frame(data, encoding=encoding)
    with collect_warnings() as warned:
        # the options are list_experiment's own arguments, under their own names
        fit = list_experiment(df, constrained=not unconstrained, floor=floor_, **options)
    fit.notes.extend(w for w in warned if w not in fit.notes)
    finish(fit, as_json, html_file, data_note=f"Data: {data}")
