"""``unspoken demo``: the main job — the bundled ``race`` list experiment end to end."""

from __future__ import annotations

from typing import Any

import click

from unspoken.cli.common import emit_json, json_option

COVARIATES = "south + age + male + college"


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
@click.option("--seed", default=1, show_default=True, help="Seed of the design-effect test.")
@json_option
def command(seed: int, as_json: bool) -> None:
    """Analyse the bundled 'race' list experiment: prevalence by difference in means and by
    maximum likelihood, the design-effect test, and floor/ceiling shares."""
    out = run_demo(seed)
    if as_json:
        emit_json({k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in out.items()})
        return
    _print(out)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _print(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(
        "\n[bold]unspoken demo[/bold]: 1991 National Race and Politics Survey, list experiment "
        "(Imai 2011; Blair & Imai 2012)\n"
        "How many of these make you angry: gasoline tax, athletes' salaries, corporations "
        "polluting [+ for the treated half: 'a black family moving next door to you']?\n"
        f"n = {out['n']} respondents, J = {out['J']} control items.\n"
    )
    t = Table(title="Share angered by a black family moving next door (the hidden answer)")
    t.add_column("method", no_wrap=True)
    for col in ("estimate", "95% interval", "std. error"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("notes")
    dim, ml = out["difference_in_means"], out["maximum_likelihood"]
    for name, fit, note in (
        ("difference in means", dim, "no model; Welch standard error"),
        ("maximum likelihood", ml, f"covariates: {COVARIATES}; {ml.iterations} iterations"),
    ):
        p = fit.prevalence
        t.add_row(
            name,
            _pct(p.estimate),
            f"{_pct(p.ci_low)} to {_pct(p.ci_high)}",
            _pct(p.std_error),
            note,
        )
    con.print(t)
    if ml.by:
        g = Table(title="Maximum likelihood by region")
        for col in ("group", "estimate", "95% interval"):
            g.add_column(col)
        for grp in ml.by:
            label = ", ".join(f"{k} = {v}" for k, v in grp.group.items())
            e = grp.estimate
            if e is None or isinstance(e, list):
                g.add_row(label, grp.note or "-", "")
            else:
                g.add_row(label, _pct(e.estimate), f"{_pct(e.ci_low)} to {_pct(e.ci_high)}")
        con.print(g)
    test = out["design_test"]
    con.print("\n[bold]Design-effect test[/bold] (Blair & Imai 2012)")
    con.print(test.summary())
    r = out["design_test_r_compat"]
    con.print(
        f"R list::ict.test reports Bonferroni p = {r.p_bonferroni:.4f} on these data: its moment "
        "selection scales by the spread of all estimated shares rather than each share's own "
        "standard error, dropping shares within sampling error of zero (slightly "
        "anti-conservative). Use --compat list with design-test to reproduce it."
    )
    con.print(
        "\nRespondents at the floor (0) or ceiling (J+1) of the treated list reveal their "
        "answer to the sensitive item, so large shares there invite hiding "
        "(see the ceiling/floor models: unspoken list --ceiling/--floor).\n"
    )
