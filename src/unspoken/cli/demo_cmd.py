"""``unspoken demo``: the main job. Part 1 analyses the bundled ``race`` list experiment end
to end; part 2 shows the falsification gap (what people say minus what they hide) on the
bundled ``mexico`` data, real survey data with a list experiment and a direct question asked
of the same respondents. Everything goes into one self-contained HTML report."""

from __future__ import annotations

import math
from typing import Any

import click

from unspoken.cli.common import finish, json_option, seed_option
from unspoken.inference.delta import independent_se

COVARIATES = "south + age + male + college"
QUESTION = (
    "How many of these make you angry: gasoline tax, athletes' salaries, corporations "
    "polluting [+ for the treated half: 'a black family moving next door to you']?"
)
SOURCE = "1991 National Race and Politics Survey, list experiment (Imai 2011; Blair & Imai 2012)"

GAP_DATA = "mexico"
GAP_SOURCE = (
    "2012 Mexico Panel Study (Greene, Domínguez, Lawson & Moreno), vote-buying list "
    "experiment: the 1,004-respondent subset bundled with the R package list (Imai, Park & "
    "Greene 2015)"
)
GAP_QUESTION = (
    "List: how many of these have you done in recent weeks: seen TV news mentioning a "
    "candidate, attended a campaign event, talked about politics [+ for the treated half: "
    "'exchanged your vote for a gift, favor, or access to a service']? Direct question, asked "
    "of the same respondents: has anyone tried to buy your vote?"
)
GAP_J = 3
AREA = "area"  # urban / rural, made from mex.urban (1 = urban)
REPORT = "unspoken-demo.html"
TITLE = "What people say and what they hide: two list experiments"


def run_demo(seed: int = 1) -> dict[str, Any]:
    """Run both parts of the demo and return every result behind the printed numbers.

    Part 1, the 1991 'black family moving next door' list experiment (Imai 2011): the
    prevalence by difference in means and by maximum likelihood with covariates, the fits
    that locate the source of their difference (ML without covariates, the linear model with
    the covariates, ML without the constraint psi_0 = psi_1), the design-effect test (default
    and R ``ict.test`` rule) and the treated shares answering 0 and J+1. Part 2, vote selling
    in Mexico 2012: the falsification gap overall and by urban/rural area, and the design-
    effect test of that list.
    """
    import numpy as np

    from unspoken import datasets
    from unspoken.falsification import gap
    from unspoken.listexp import list_experiment
    from unspoken.listexp.design_test import design_test

    race = datasets.load("race")
    J = 3
    dim = list_experiment(race, "y ~ 1", treat="treat", J=J, method="dim")
    ml = list_experiment(race, f"y ~ {COVARIATES}", treat="treat", J=J, method="ml", by="south")
    ml0 = list_experiment(race, "y ~ 1", treat="treat", J=J, method="ml")
    lm = list_experiment(race, f"y ~ {COVARIATES}", treat="treat", J=J, method="lm")
    ml_u = list_experiment(
        race, f"y ~ {COVARIATES}", treat="treat", J=J, method="ml", constrained=False
    )
    ml0_u = list_experiment(race, "y ~ 1", treat="treat", J=J, method="ml", constrained=False)
    test = design_test(race, outcome="y", treat="treat", J=J, seed=seed)
    test_r = design_test(race, outcome="y", treat="treat", J=J, seed=seed, compat="list")
    treated = race.loc[race["treat"] == 1, "y"].to_numpy()
    control = race.loc[race["treat"] == 0, "y"].to_numpy()

    mex = datasets.load(GAP_DATA)
    mex[AREA] = np.where(mex["mex.urban"] == 1, "urban", "rural")
    g = gap(mex, "mex.y.all", "mex.t", GAP_J, "mex.direct", by=AREA)
    g_test = design_test(mex, outcome="mex.y.all", treat="mex.t", J=GAP_J, seed=seed)
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
        "control_share_floor": float(np.mean(control == 0)),
        "ml_without_covariates": ml0,
        "linear_with_covariates": lm,
        "ml_unconstrained": ml_u,
        "ml_unconstrained_without_covariates": ml0_u,
        "gap_data": GAP_DATA,
        "gap_J": GAP_J,
        "gap_subgroup": AREA,
        "gap": g,
        "gap_design_test": g_test,
    }


@click.command("demo")
@seed_option(default=1)
@json_option
@click.option(
    "--html",
    "html_file",
    default=REPORT,
    show_default=True,
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Also write a self-contained HTML report (of both parts; --no-html: none) to FILE.",
)
@click.option("--no-html", is_flag=True, help="Do not write the HTML report.")
def command(seed: int, as_json: bool, html_file: str, no_html: bool) -> None:
    """What people say and what they hide: the bundled 'race' list experiment (prevalence by
    difference in means and by maximum likelihood, the design-effect test, floor/ceiling
    shares), then the falsification gap on vote selling in Mexico 2012 (asked directly
    versus hidden in a list, overall and urban/rural). Writes one HTML report of everything
    (unspoken-demo.html unless --html FILE or --no-html) and prints its path at the end
    (on stderr with --json, whose stdout is one JSON object)."""
    out = run_demo(seed)
    views = demo_results(out)
    path = None
    if not no_html:
        from unspoken.report import write_report

        path = write_report(
            [in_short(out), *views], html_file, title=TITLE, data_note=_data_note(out)
        ).resolve()
    finish(
        views,
        as_json,
        json_payload=out,
        intro=(
            f"\nunspoken demo: {TITLE.lower()}\n\nPart 1. {SOURCE}\n{QUESTION}\n\n"
            f"Part 2 (below). {GAP_SOURCE}\n{GAP_QUESTION}\n"
        ),
    )
    if path is not None:
        click.echo(f"Report written to {path} (open it in a web browser)", err=as_json)


def _data_note(out: dict[str, Any]) -> str:
    return (
        f"Part 1: {SOURCE}. {QUESTION} n = {out['n']} respondents, J = {out['J']} control "
        f"items. Part 2: {GAP_SOURCE}. {GAP_QUESTION} n = {out['gap'].n} respondents, "
        f"J = {out['gap_J']} control items."
    )


def in_short(out: dict[str, Any]) -> Any:
    """The report's opening section: the headline of each part."""
    from unspoken.report.view import View

    race, mexico = _race_views(out)[0], _gap_summary(out)
    return View(
        title="In short",
        headline=[f"US, 1991: {race.headline[0]}", f"Mexico, 2012: {mexico.headline[0]}"],
        method={"parts": "1. the race list experiment; 2. the falsification gap (Mexico)"},
    )


def demo_results(out: dict[str, Any]) -> list[Any]:
    """The demo's views in reading order: part 1 (the two race estimates side by side with
    why they differ and the design-effect test, then the test, the ML fit and the difference-
    in-means fit in detail), then part 2 (the falsification gap in plain words, with its
    table and plot)."""
    return [*_race_views(out), _gap_summary(out)]


def _race_views(out: dict[str, Any]) -> list[Any]:
    from unspoken.report.view import Table, View, pct

    dim, ml = out["difference_in_means"], out["maximum_likelihood"]
    p = ml.prevalence
    summary = View(
        title="Part 1. Share angered by a black family moving next door (the hidden answer)",
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
    summary.notes = [
        why_dim_and_ml_differ(out),
        *design_test_sentences(out["design_test"], out["design_test_r_compat"], out),
        f"Treated respondents at the floor (0): {pct(out['treated_share_floor'])}; at the "
        f"ceiling (J+1): {pct(out['treated_share_ceiling'])}. They reveal their answer to "
        "the sensitive item, so large shares there invite hiding (see the ceiling/floor "
        "models: unspoken list --ceiling/--floor).",
    ]
    summary.method = {"data": "bundled data set 'race'", "respondents (n)": str(out["n"])}
    return [summary, out["design_test"], ml, dim]


def why_dim_and_ml_differ(out: dict[str, Any]) -> str:
    """One sentence on why difference in means and ML differ, from the fits in ``out``."""
    from unspoken.report.view import pct, pts

    dim = out["difference_in_means"].prevalence
    ml = out["maximum_likelihood"].prevalence
    ml0 = out["ml_without_covariates"].prevalence
    lm = out["linear_with_covariates"].prevalence
    u, u0 = (
        out["ml_unconstrained"].prevalence,
        out["ml_unconstrained_without_covariates"].prevalence,
    )
    lo, hi = max(dim.ci_low, ml.ci_low), min(dim.ci_high, ml.ci_high)
    overlap = (
        f"the two 95% intervals overlap ({pct(lo)} to {pct(hi)})"
        if lo <= hi
        else "the two 95% intervals do not overlap"
    )
    return (
        f"Why {pct(dim.estimate)} and {pct(ml.estimate)}: not the covariates (maximum "
        f"likelihood without them gives {pct(ml0.estimate)}, a linear regression with them "
        f"{pct(lm.estimate)}) but the likelihood, which models the whole distribution of the "
        "item counts and assumes that people with and without the sensitive trait endorse "
        f"the control items alike (without that assumption it gives {pct(u.estimate)}, and "
        f"{pct(u0.estimate)} without covariates), where the difference in means uses only the "
        f"two averages; the model buys a smaller standard error ({pts(ml.std_error)} against "
        f"{pts(dim.std_error)}, the efficiency gain Imai 2011 reports for maximum likelihood) "
        f"at the price of its assumptions, and {overlap}."
    )


def design_test_sentences(test: Any, test_r: Any, out: dict[str, Any]) -> list[str]:
    """The design-effect test in plain words: the default result, then R's ``ict.test`` rule
    as the alternative and why the two p-values differ."""
    from unspoken.report.view import pct, pval

    def level(t: Any) -> str:
        return f"{100 * t.alpha:g}%"

    # the block whose p-value drives Bonferroni, and its most negative share
    blk = min(test.tests, key=lambda t: t.p_value)
    blk_r = min(test_r.tests, key=lambda t: t.p_value)
    shares = {(q.y, q.z): q for q in test.pi}
    neg = [shares[(y, blk.z)] for y in blk.moments if shares[(y, blk.z)].estimate < 0]
    worst = min(neg, key=lambda q: q.estimate / q.std_error) if neg else None
    if test.design_effect:
        said = (
            f"evidence at the {level(test)} level that adding the sensitive item changed answers "
            f"to the control items (Bonferroni p = {pval(test.p_bonferroni)})"
        )
    else:
        said = (
            f"no evidence at the {level(test)} level that adding the sensitive item changed "
            f"answers to the control items (Bonferroni p = {pval(test.p_bonferroni)})"
        )
    first = f"Design-effect test (Blair & Imai 2012; default rule): {said}"
    if worst is not None and worst.y == 0 and worst.z == 1:
        first += (
            f"; the one warning sign is that {pct(out['treated_share_floor'])} of the treated "
            f"answered 0 against {pct(out['control_share_floor'])} of the control group "
            f"(share pi(0, 1) = {pct(worst.estimate)}, "
            f"{abs(worst.estimate) / worst.std_error:.1f} standard errors below zero)"
        )
    elif worst is not None:
        first += (
            f"; the most negative share is pi({worst.y}, {worst.z}) = {pct(worst.estimate)}, "
            f"{abs(worst.estimate) / worst.std_error:.1f} standard errors below zero"
        )
    sentences = [first + "."]
    verdict_r = "would" if test_r.design_effect else "would not"
    second = (
        f"R's rule (list::ict.test, here unspoken design-test --compat list) gives Bonferroni "
        f"p = {pval(test_r.p_bonferroni)} and {verdict_r} call it a design effect at the "
        f"{level(test_r)} level"
    )
    left_out = [shares[(y, blk_r.z)] for y in blk_r.dropped_gms if y in blk.moments]
    if (
        blk_r.z == blk.z
        and left_out
        and math.isclose(blk_r.statistic, blk.statistic, rel_tol=1e-9)
        and len(blk_r.moments) < len(blk.moments)
    ):
        what = " and ".join(f"pi({q.y}, {q.z}) = {pct(q.estimate)}" for q in left_out)
        within = " and ".join(f"{q.estimate / q.std_error:.1f}" for q in left_out)
        n_r, n_d = len(blk_r.moments), len(blk.moments)
        second += (
            f": its moment selection scales each share by the spread of all estimated shares "
            f"rather than by its own standard error, so it leaves out {what}, only {within} "
            f"standard errors above zero, and judges the same evidence (likelihood-ratio "
            f"statistic {blk.statistic:.2f}) as if only {_count(n_r)} of the "
            f"{_count(n_d)} shares could have come out negative, which makes its p-value too "
            "small (the default keeps every share not clearly above zero, following "
            "Andrews & Soares 2010)"
        )
    else:
        second += (
            ": its moment selection scales each share by the spread of all estimated shares "
            "rather than by its own standard error, which can leave out shares within "
            "sampling error of zero and makes its p-value too small"
        )
    sentences.append(second + ".")
    return sentences


def _count(k: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four"}.get(k, str(k))


# --------------------------------------------------------------------------- part 2


def _group_name(group: dict[str, Any]) -> str:
    value = str(group.get(AREA, ""))
    return {"urban": "urban areas", "rural": "rural areas"}.get(value, value)


def gap_sentence(row: Any) -> str:
    """The journalist's sentence for one domain of the gap (``row``: a GapRow)."""
    from unspoken.report.view import pct

    g = row.gap
    first = (
        f"Asked directly, {pct(row.direct.estimate)} said someone had tried to buy their vote; "
        f"hidden in a list, an estimated {pct(row.hidden.estimate)} had exchanged their vote "
        f"for a gift, favor or access to a service. The gap is "
        f"{100 * g.estimate:.1f} points (95% interval {100 * g.ci_low:.1f} to "
        f"{100 * g.ci_high:.1f})"
    )
    if g.ci_low > 0:
        return first + ": vote selling is under-reported when people are asked directly."
    if g.ci_high < 0:
        return first + ": more people admit it directly than in the list."
    return first + ": too imprecise to tell whether people hide it."


def _gap_summary(out: dict[str, Any]) -> Any:
    """Part 2: the generic gap view (table and plot) under a plain-words headline."""
    from unspoken.report.view import describe, pct, pval

    res = out["gap"]
    r = res.overall
    v = describe(res)[0]
    v.title = "Part 2. The falsification gap: vote selling in Mexico, 2012"
    v.headline = [gap_sentence(r)]
    rows = [(g, row) for g, row in res.by if row.gap is not None]
    facts = [
        f"Real survey data: {GAP_SOURCE}; unweighted. n = {res.n}: "
        f"{r.counts.get('treated', 0)} got the list with the vote-selling item, "
        f"{r.counts.get('control', 0)} the list without it, and all {r.counts.get('direct', 0)} "
        "were also asked directly."
    ]
    for g, row in rows:
        e = row.gap
        facts.append(
            f"In {_group_name(g)} ({e.n} respondents): said {pct(row.direct.estimate)}, "
            f"hidden {pct(row.hidden.estimate)}, gap {100 * e.estimate:.1f} points "
            f"(95% interval {100 * e.ci_low:.1f} to {100 * e.ci_high:.1f})."
        )
    if len(rows) == 2:
        (ga, a), (gb, b) = rows
        diff = a.gap.estimate - b.gap.estimate
        se = independent_se(a.gap.std_error, b.gap.std_error)  # disjoint groups
        z = abs(diff) / se
        verdict = (
            "the data do not show that the gap differs between them"
            if z < 1.96
            else "the gap differs between them at the 5% level"
        )
        facts.append(
            f"The gaps in {ga.get(AREA)} and {gb.get(AREA)} areas differ by "
            f"{100 * abs(diff):.1f} points, {z:.1f} standard errors: {verdict}."
        )
    t = out["gap_design_test"]
    found = "finds" if t.design_effect else "finds no"
    notes = [
        "The direct question asks whether someone tried to buy the respondent's vote, the "
        "list item whether they exchanged it; an exchange presupposes an attempt, so honest "
        "answers would put the direct share at or above the list share, and the difference "
        "in wording cannot explain a list share above it.",
        "The same respondents answered both questions, so the two shares are correlated; the "
        f"gap's standard error takes that into account (correlation {r.correlation:.2f}).",
        f"The design-effect test {found} evidence that the longer list changed answers to the "
        f"other items (Bonferroni p = {pval(t.p_bonferroni)}; default rule).",
        *v.notes,
    ]
    v.facts = facts + v.facts
    v.notes = notes
    v.method = {"data": f"bundled data set '{GAP_DATA}'", **v.method}
    v.plot = lambda: res.plot(title="Vote selling in Mexico, 2012: asked directly vs in a list")
    return v
