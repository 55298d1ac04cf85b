"""Every analysis run from its form on the bundled data set it is built for, clicking as a
person would; the numbers the page offers for download equal ``unspoken <command> --json``
with the same inputs, the report's headline shows them rounded, and both downloads are
usable files."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser_ui import (
    assert_plain_words,
    assert_same,
    assert_self_contained,
    choose_data,
    download,
    headline,
    in_order,
    page_and_cli_json,
    pct,
    prevalence_shown,
    run,
    run_form,
)


def _polls(j: dict) -> list[str]:
    scale = 1.0 if j["units"] == "percent" else 100.0
    e = j["latest"]
    return [f"{scale * e[k]:.1f}" for k in ("estimate", "ci_low", "ci_high")]


def _gap(j: dict) -> list[str]:
    o = j["overall"]
    return [
        pct(o["list"]["estimate"]),
        pct(o["direct"]["estimate"]),
        f"{100 * abs(o['gap']['estimate']):.1f} points",
    ]


@dataclass(frozen=True)
class Case:
    """One analysis: the data set, the tab, the fields a person changes from the form's
    starting values, the same analysis on the command line, and what the headline shows."""

    data: str
    tab: str
    cli: str  # the same analysis as a command (without "unspoken" and "--json")
    shown: Callable[[dict], list[str]]
    fields: dict[str, str | bool] = field(default_factory=dict)
    extra_note: str = ""  # the page adds one note, containing this, to the command's notes


_RACE = "race --formula '`y` ~ 1' --treat treat --J 3"
_RR_DESIGN = "--design forced-known --p 2/3 --p0 1/6 --p1 1/6"

CASES: dict[str, Case] = {
    **{
        f"list-{m}": Case(
            "race", "List experiment", f"list {_RACE} --method {m}", prevalence_shown, {"method": m}
        )
        for m in ("dim", "ml", "lm", "nls")
    },
    # known shares of the trait by region as GMM moments (Chou, Imai & Rosenfeld 2017)
    "list-nls-aux": Case(
        "race",
        "List experiment",
        "list race --formula '`y` ~ age + south' --treat treat --J 3 --method nls "
        "--aux-group south --aux-share 0=0.10 --aux-share 1=0.30",
        prevalence_shown,
        {
            "method": "nls",
            "covariates": "age + south",
            "aux_group": "south",
            "aux_shares": "0=0.10, 1=0.30",
        },
    ),
    "design-test": Case(
        "race",
        "Design-effect test",
        "design-test race --outcome y --treat treat --J 3 --seed 1",
        lambda j: [f"{j['p_bonferroni']:.4f}"],
    ),
    # a list group with two treated arms: one estimate, and one test, per sensitive item
    "list-multi-items": Case(
        "multi",
        "List experiment",
        "list multi --formula '`y` ~ 1' --treat treat --J 3 --method dim",
        lambda j: [pct(e["estimate"]) for e in j["prevalence"]],
    ),
    "design-test-multi-items": Case(
        "multi",
        "Design-effect test",
        "design-test multi --outcome y --treat treat --J 3 --seed 1",
        lambda j: [f"{t['p_bonferroni']:.4f}" for t in j["items"]],
    ),
    "list-double": Case(
        "double_list",
        "Double list experiment",
        "list-double double_list --y1 y1 --y2 y2 --treat long1 --weights weight --cluster psu "
        "--strata stratum",
        prevalence_shown,
    ),
    # the hidden trait as a predictor: vote selling and approval of Pena Nieto
    "list-joint": Case(
        "mexico",
        "Hidden trait as a predictor",
        "list-joint mexico --formula '`mex.y.all` ~ mex.male' --treat mex.t --J 3 "
        "--outcome mex.epnapprove",
        lambda j: [f"{j['outcome_by_trait']['difference']['estimate']:.4f}", *prevalence_shown(j)],
        {"covariates": "mex.male"},
    ),
    "direct": Case(
        "gap_placebo",
        "Direct poll",
        "direct gap_placebo --question support --support definitely,rather",
        lambda j: [pct(j["overall"]["support"]["estimate"])],
    ),
    "gap-by-dk-bounds": Case(
        "gap_placebo",
        "Gap: said vs hidden",
        "gap gap_placebo --outcome count --treat treat --J 4 --direct support "
        "--support definitely,rather --placebo-treat placebo --placebo-prevalence 0.5 "
        "--by news --dk bounds",
        _gap,
        {"by": "news", "dk": "bounds"},
    ),
    "combined": Case(
        "mexico",
        "List + direct combined",
        "combined mexico --outcome mex.y.all --treat mex.t --direct mex.direct --J 3",
        lambda j: [pct(j[k]["estimate"]) for k in ("combined", "direct", "list")],
    ),
    "rr": Case(
        "nigeria",
        "Randomized response",
        f"rr nigeria --formula '`rr.q1` ~ 1' {_RR_DESIGN}",
        prevalence_shown,
    ),
    # the form's own example: no sample sizes in the data, so the page counts each poll as
    # 'Sample size when not given' = 1000 respondents (and says so in a note)
    "polls": Case(
        "putin_approval",
        "Pool polls",
        "polls putin_approval --share approve --pollster pollster --date date --dk hard_to_say "
        "--period week --default-n Levada=1000 --default-n FOM=1000 --default-n VCIOM=1000",
        _polls,
        extra_note="counted as 1,000 respondents",
    ),
    # anchored on the 2004 election result (fixed) and the 2007 one (with a standard error)
    "polls-anchors": Case(
        "australia_polls_2004_2007",
        "Pool polls",
        "polls australia_polls_2004_2007 --share ALP --pollster org --start startDate "
        "--end endDate --n sampleSize --period week --anchor value:2004-10-09:37.64:0 "
        "--anchor value:2007-11-24:43.38:0.5",
        _polls,
        {"anchor1": "2004-10-09: 37.64", "anchor2": "2007-11-24: 43.38: 0.5"},
    ),
    # a short series (66 polls) with the bands integrated over the innovation SD
    "polls-integrated": Case(
        "australia_polls_2004_campaign",
        "Pool polls",
        "polls australia_polls_2004_campaign --share coalition2PP --pollster org --start start "
        "--end end --n sampleSize --period week --sigma-uncertainty integrate",
        _polls,
        {
            "share": "coalition2PP",
            "pollster": "org",
            "n": "sampleSize",
            "start": "start",
            "end": "end",
            "sigma_uncertainty": "integrate",
        },
    ),
    "list-power": Case(
        "race",
        "List experiment: power",
        "list-power --J 3 --prevalence 0.2 --power 0.8",
        lambda j: [f"{j['n']}"],
    ),
    "rr-power": Case(
        "race",
        "Randomized response: power",
        f"rr-power {_RR_DESIGN} --presp 0.2 --power 0.8",
        lambda j: [f"n = {j['n']}"],
    ),
    "rr-power-unknown": Case(
        "race",
        "Randomized response: power",
        "rr-power --design unrelated-unknown --p 2/3 --q 1/3 --r 0.4 --presp 0.2 --n 200 "
        "--alpha 0.01 --se-rule r",
        lambda j: [f"{j['power']:.4f}", "one-sided test"],
        {
            "design": "unrelated-unknown",
            "p": "2/3",
            "p0": "",
            "p1": "",
            "q": "1/3",
            "r": "0.4",
            "power": "",
            "n": "200",
            "alpha": "0.01",
            "se_rule": "r",
        },
    ),
}


@pytest.mark.parametrize("key", list(CASES))
def test_analysis_matches_command_line(key: str, page: Any, server: Any, tmp_path: Path) -> None:
    case = CASES[key]
    response = run_form(page, server.url, case.data, case.tab, case.fields)
    assert response.status == 200, response.status
    assert "result=" in page.url
    result = page.locator("#result")
    assert case.tab in result.inner_text()
    assert_plain_words(page.locator("body").inner_text())

    web, cli = page_and_cli_json(page, tmp_path, shlex.split(case.cli))
    if case.extra_note:
        web_notes, cli_notes = web.pop("notes"), cli.pop("notes")
        assert web_notes[: len(cli_notes)] == cli_notes
        added = web_notes[len(cli_notes) :]
        assert len(added) == 1 and case.extra_note in added[0], added
    assert assert_same(web, cli) > 0

    tokens = case.shown(cli)
    in_order(headline(page), tokens)

    report = download(page, "Download the report (HTML)", tmp_path)
    assert report.suffix == ".html"
    html_text = report.read_text(encoding="utf-8")
    assert_self_contained(html_text)
    for t in tokens:
        assert t in html_text


def test_report_opens_in_a_new_tab(page: Any, server: Any) -> None:
    choose_data(page, server.url, "race")
    assert run(page).status == 200
    shown = headline(page)
    with page.context.expect_page() as info:
        page.get_by_role("link", name="Open the report in a new tab").click()
    tab = info.value
    tab.wait_for_load_state("load")
    assert "/report/" in tab.url
    assert tab.locator(".headline").first.inner_text() in shown
    tab.close()
