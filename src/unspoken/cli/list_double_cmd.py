"""``unspoken list-double``: the double list experiment (two lists, each respondent treated
on one and control on the other)."""

from __future__ import annotations

import click

from unspoken.cli.common import data_argument, emit_json, encoding_option, json_option, print_text


@click.command("list-double")
@data_argument
@click.option("--y1", required=True, help="Count column of list 1.")
@click.option("--y2", required=True, help="Count column of list 2.")
@click.option("--treat", required=True, help="Group column (which list holds the sensitive item).")
@click.option(
    "--long1",
    default=None,
    help="Value of --treat whose list 1 holds the sensitive item (default 1/True).",
)
@click.option("--formula", default=None, help="Sensitive-item model, e.g. '~ age + female'.")
@click.option("--controls1", default=None, help="Short-list model of list 1 (default: --formula).")
@click.option("--controls2", default=None, help="Short-list model of list 2 (default: controls1).")
@click.option(
    "--method",
    type=click.Choice(["pooled", "average"]),
    default="pooled",
    show_default=True,
    help="Pooled regression over both lists, or the average of the two single-list fits.",
)
@click.option("--weights", default=None, help="Probability-weight column.")
@click.option("--cluster", default=None, help="Cluster (PSU) column.")
@click.option("--strata", default=None, help="Strata column (survey variance).")
@click.option(
    "--vcov",
    type=click.Choice(["hc0", "hc1", "cluster", "survey", "bootstrap"]),
    default=None,
    help="Variance estimator (default hc0; cluster/survey when those columns are given).",
)
@click.option("--reps", default=500, show_default=True, help="Bootstrap replications.")
@click.option("--seed", default=None, type=int, help="Seed for the bootstrap.")
@click.option("--level", default=0.95, show_default=True, help="Confidence level.")
@encoding_option
@json_option
def command(
    data,
    y1,
    y2,
    treat,
    long1,
    formula,
    controls1,
    controls2,
    method,
    weights,
    cluster,
    strata,
    vcov,
    reps,
    seed,
    level,
    encoding,
    as_json,
) -> None:
    """Estimate the prevalence of a sensitive item from a double list experiment (DATA is a
    file or a bundled data set such as double_list), with the two single-list estimates and
    the test that the lists agree."""
    from unspoken.cli.common import load_frame
    from unspoken.listexp.double import double_list_experiment

    df = load_frame(data, encoding=encoding)
    fit = double_list_experiment(
        df,
        y1,
        y2,
        treat,
        formula=formula,
        method=method,
        controls1=controls1,
        controls2=controls2,
        long1=long1,
        weights=weights,
        cluster=cluster,
        strata=strata,
        vcov=vcov,
        level=level,
        bootstrap_reps=reps,
        seed=seed,
    )
    if as_json:
        emit_json(fit)
        return
    ct = fit.extra["consistency_test"]
    lines = [fit.summary(), ""]
    for s in fit.extra["single_list"]:
        lines.append(
            f"{s['item']}: {s['estimate']:.4f} (s.e. {s['std_error']:.4f}; "
            f"CI {s['ci_low']:.4f} to {s['ci_high']:.4f})"
        )
    lines.append(
        f"Consistency of the two lists: chi2({ct['df']}) = {ct['statistic']:.3f}, "
        f"p = {ct['p_value']:.4f}"
    )
    print_text("\n".join(lines))
