"""``unspoken demo``: the main job — the bundled ``race`` list experiment end to end."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import finish, html_option, json_option, seed_option

COVARIATES = "south + age + male + college"
QUESTION = (
    "How many of these make you angry: gasoline tax, athletes' salaries, corporations "
    "polluting [+ for the treated half: 'a black family moving next door to you']?"
)
SOURCE = "1991 National Race and Politics Survey, list experiment (Imai 2011; Blair & Imai 2012)"


def run_demo(seed: int = 1) -> dict[str, Any]:
    """Analyse the 1991 'black family moving next door' list experiment (Imai 2011).

    Returns the prevalence by difference in means and by maximum likelihood with
    covariates, the design-effect test and the treated shares answering 0 and J+1.
    """
    import numpy as np

    from unspoken import datasets
    from unspoken.listexp import list_experiment
    from unspoken.listexp.design_test import design_test

    race = datasets.load("race")
    J = 3
    dim = list_experiment(race, "y ~ 1", treat="treat", J=J, method="dim")
    ml = list_experiment(race, f"y ~ {COVARIATES}", treat="treat", J=J, method="ml", by="south")
    test = design_test(race, outcome="y", treat="treat", J=J, seed=seed)
    test_r = design_test(race, outcome="y", treat="treat", J=J, seed=seed, compat="list")
    treated = race.loc[race["treat"] == 1, "y"].to_numpy()
    return {
        "data": "race",
        "n": len(race),
        "J": J,
        "difference_in_means": dim,
        "maximum_likelihood": ml,
        "design_test": test,
        "design_test_r_compat": test_r,
        "treated_share_floor": float(np.mean(treated == 0)),
        "treated_share_ceiling": float(np.mean(treated == J + 1)),
    }


@click.command("demo")
@seed_option(default=1)
@json_option
@html_option
def command(seed: int, as_json: bool, html_file: str | None) -> None:
    """Analyse the bundled 'race' list experiment: prevalence by difference in means and by
    maximum likelihood, the design-effect test, and floor/ceiling shares."""
    out = run_demo(seed)
    finish(
        demo_results(out),
        as_json,
        html_file,
        title="Who would be angered by a black family moving next door? (1991)",
        data_note=f"{SOURCE}. {QUESTION} n = {out['n']} respondents, J = {out['J']} control items.",
        json_payload=out,
        intro=f"\nunspoken demo: {SOURCE}\n{QUESTION}\n",
    )


def demo_results(out: dict[str, Any]) -> list[Any]:
    """The demo's results in reading order: the two estimates side by side, the
    design-effect test, the ML fit with its regions, and the difference-in-means fit."""
    from unspoken.report.view import Table, View, pct, pval

    dim, ml = out["difference_in_means"], out["maximum_likelihood"]
    p = ml.prevalence
    summary = View(
        title="Share angered by a black family moving next door (the hidden answer)",
        headline=[
            f"An estimated {pct(p.estimate)} of respondents (95% interval {pct(p.ci_low)} to "
            f"{pct(p.ci_high)}) would be angered by a black family moving next door "
            "(maximum likelihood with covariates)."
        ],
        facts=[f"n = {out['n']} respondents, J = {out['J']} control items."],
    )
    rows = []
    for name, fit, note in (
        ("difference in means", dim, "no model; Welch standard error"),
        ("maximum likelihood", ml, f"covariates: {COVARIATES}; {ml.iterations} iterations"),
    ):
        e = fit.prevalence
        rows.append(
            [name, pct(e.estimate), f"{pct(e.ci_low)} to {pct(e.ci_high)}", pct(e.std_error), note]
        )
    summary.tables.append(
        Table(
            "Two estimates of the hidden share",
            ["method", "estimate", "95% interval", "std. error", "notes"],
            rows,
            ["l", "r", "r", "r", "l"],
        )
    )
    r = out["design_test_r_compat"]
    summary.notes = [
        f"Design-effect test: R list::ict.test reports Bonferroni p = {pval(r.p_bonferroni)} "
        "on these data: its moment selection scales by the spread of all estimated shares "
        "rather than each share's own standard error, dropping shares within sampling error "
        "of zero (slightly anti-conservative). Use --compat list with design-test to "
        "reproduce it.",
        f"Treated respondents at the floor (0): {pct(out['treated_share_floor'])}; at the "
        f"ceiling (J+1): {pct(out['treated_share_ceiling'])}. They reveal their answer to "
        "the sensitive item, so large shares there invite hiding (see the ceiling/floor "
        "models: unspoken list --ceiling/--floor).",
    ]
    summary.method = {"data": "bundled data set 'race'", "respondents (n)": str(out["n"])}
    return [summary, out["design_test"], ml, dim]
