"""One results layer (issue 11): each result describes itself once (``view()``) and
``summary()``, ``_repr_html_``, the command line and the HTML report render that description.

Also the reader-facing fixes of issue 11 item 10: a warning shown once, plain labels in the
gap table (bounds low before high), plot axes in percent, no negative "explained share", the
gap power's assumed correlation stated, ``unspoken datasets`` with one heading.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import unspoken
from unspoken import datasets
from unspoken.errors import UnsupportedError
from unspoken.report import view as view_mod
from unspoken.report.html import views_html
from unspoken.report.text import render_text
from unspoken.report.view import Table, View, describe
from unspoken.results import Estimate, FitResult, ResultMixin


def _all_result_classes() -> list[type]:
    for m in pkgutil.walk_packages(unspoken.__path__, "unspoken."):
        if ".web" in m.name or m.name.endswith("__main__"):
            continue
        importlib.import_module(m.name)
    out, todo = [], [ResultMixin]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            out.append(sub)
            todo.append(sub)
    return out


def test_every_result_describes_itself_and_no_layout_is_hand_written():
    classes = _all_result_classes()
    names = {c.__name__ for c in classes}
    for expected in ("FitResult", "GapResult", "DirectResult", "PollsResult", "ListPower",
                     "SimulatedPower", "RRPower", "RRPrevalence", "HausmanResult",
                     "DesignTestResult", "MultiDesignTest", "CombinedResult",
                     "HardToSayComparison"):  # fmt: skip
        assert expected in names, expected
    for cls in classes:
        if not cls.__module__.startswith("unspoken."):
            continue
        assert cls.view is not ResultMixin.view, f"{cls.__name__} has no view()"
        # summary() comes from the one text renderer; only Estimate keeps its one-line value
        own = [k for k in cls.__mro__ if "summary" in vars(k)]
        assert own[0] in (ResultMixin, Estimate), f"{cls.__name__} writes its own summary()"
    # no dispatch by class name and no parsing of summary text remain
    assert not hasattr(view_mod, "_VIEWS") and not hasattr(view_mod, "_generic_view")


def test_describe_dispatches_by_method_not_by_class_name():
    class GapResult:  # the name of a real result, but its own description
        def view(self) -> View:
            return View(title="mine", headline=["42"])

    assert describe(GapResult())[0].title == "mine"
    with pytest.raises(UnsupportedError, match="no view"):  # (an UnspokenError, not a raw one)
        describe(object())


def test_text_renderer_layout():
    v = View(
        title="A title",
        headline=["The headline."],
        facts=["n = 10"],
        tables=[Table("Shares", ["group", "share"], [["a", "5.0%"], ["long name", "15.0%"]])],
        notes=["be careful", "a plain note"],
        warnings=["be careful"],
        method={"method": "m"},
    )
    assert render_text(v).splitlines() == [
        "A title",
        "=======",
        "",
        "The headline.",
        "",
        "Warning: be careful",
        "n = 10",
        "",
        "Shares:",
        "group      share",
        "---------  -----",
        "a           5.0%",
        "long name  15.0%",
        "",
        "Note: a plain note",  # the note that repeats the warning is not printed again
        "",
        "How this was computed: method: m",
    ]


def test_summary_cli_and_html_render_the_same_numbers():
    race = datasets.load("race")
    t, y = race["treat"].to_numpy(), race["y"].to_numpy()
    dim = y[t == 1].mean() - y[t == 0].mean()  # by hand: difference in means
    shown = f"{100 * dim:.1f}%"
    fit = unspoken.list_experiment(race, "y ~ 1", treat="treat", J=3, method="dim")
    text = fit.summary()
    assert f"An estimated {shown}" in text and "<" not in text
    html = fit._repr_html_()
    assert f"An estimated {shown}" in html and "<pre>" not in html and "<html" not in html
    from unspoken.cli.main import cli

    out = CliRunner().invoke(
        cli, ["list", "race", "--formula", "y ~ 1", "--treat", "treat", "--J", "3",
              "--method", "dim"], env={"COLUMNS": "200"},
    ).output  # fmt: skip
    assert f"An estimated {shown}" in out
    # every line of the CLI's headline and facts is in the text summary too
    v = fit.view()
    for line in [*v.headline, *v.facts]:
        assert line in text and line in " ".join(out.split("\n"))


def test_repr_html_escapes_user_text():
    fit = FitResult(
        model="list.test", parts=["sensitive"], terms=["Intercept"], params_=np.array([0.1]),
        cov=np.eye(1) * 0.01, n=10, title="<script>alert(1)</script>",
        prevalence=Estimate.from_se(0.2, 0.05),
    )  # fmt: skip
    html = fit._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "20.0%" in html
    assert "<svg" not in views_html(fit.views(), plots=False)


@pytest.fixture(scope="module")
def placebo_gap():
    return unspoken.gap(
        datasets.load("gap_placebo"), outcome="count", treat="treat", J=4, direct="support",
        support=["definitely", "rather"], placebo_treat="placebo", placebo_prevalence=0.5,
        dk="bounds",
    )  # fmt: skip


def test_gap_table_speaks_plainly_and_orders_bounds(placebo_gap):
    text = placebo_gap.summary()
    for raw in ("placebo:", "_corrected", "list_corrected", "gap_corrected_lower"):
        assert raw not in text, raw
    rows = [r[1] for r in placebo_gap.view().tables[0].rows if r[0] == "(all)"]
    assert rows.index("gap (low)") < rows.index("gap (high)")
    assert rows.index("direct (low)") < rows.index("direct (high)")
    low = placebo_gap.overall.gap_lower.estimate
    high = placebo_gap.overall.gap.estimate
    assert low < high  # what "low" and "high" claim
    assert f"{100 * low:.1f} pts" in text and f"{100 * high:.1f} pts" in text
    corrected = placebo_gap.overall.placebo["gap_corrected_lower"].estimate
    assert "deflation is its list estimate minus its true share" in text
    line = next(ln for ln in text.splitlines() if "gap (low), corrected" in ln)
    assert f"{100 * corrected:.1f} pts" in line


@pytest.mark.parametrize("via", ["view", "plot"])  # the report, and res.plot() / CLI --plot
def test_gap_plot_axes_in_percent_and_points(placebo_gap, via):
    fig = placebo_gap.view().plot() if via == "view" else placebo_gap.plot()
    fig.canvas.draw()
    share_ax, gap_ax = fig.axes[:2]
    share_ticks = [t.get_text() for t in share_ax.get_xticklabels() if t.get_text()]
    gap_ticks = [t.get_text() for t in gap_ax.get_xticklabels() if t.get_text()]
    assert share_ticks and all(re.fullmatch(r"-?\d+%", s.replace("\u2212", "-"))
                               for s in share_ticks), share_ticks  # fmt: skip
    assert gap_ticks and all(s.endswith(" pts") for s in gap_ticks), gap_ticks


def test_negative_explained_share_is_said_not_printed():
    from unspoken.polls.hard_to_say import HardToSayComparison

    table = pd.DataFrame({"pollster": ["A", "B"], "house_all": [1.0, -1.0]})
    text = HardToSayComparison(table, -1.56, 0.6, 0.1, "proportion").summary()
    assert "-156%" not in text and "156" not in text
    assert "explain none" in text and "differ even more" in text
    pos = HardToSayComparison(table, 0.634, 0.6, 0.1, "proportion").summary()
    assert "explain 63% of the between-pollster variance" in pos


@pytest.mark.parametrize(("link", "corr"), [("falsification", None), (0.3, 0.30)])
def test_gap_power_states_the_assumed_correlation(link, corr):
    from unspoken.power import gap_power

    res = gap_power(J=4, gap=-0.10, direct_share=0.71, n=3000, direct_link=link)
    pi, d = 0.61, 0.71
    if corr is None:  # falsification: P(Z = 1, D = 1) = min(pi, d), by hand
        corr = (min(pi, d) - pi * d) / math.sqrt(pi * (1 - pi) * d * (1 - d))
    assert f"a correlation of {corr:.2f}" in res.summary()
    assert f"a correlation of {corr:.2f}" in " ".join(res.view().facts)


def test_datasets_heading_printed_once():
    from unspoken.cli.main import cli

    out = CliRunner().invoke(cli, ["datasets"], env={"COLUMNS": "200"}).output
    assert out.count("Bundled data sets") == 1, out


def test_failed_fit_is_one_warning_in_the_estimators_words():
    msg = "maximum likelihood did not converge (max iterations); the estimates are not a maximum"
    fit = FitResult(
        model="list.ml", parts=["sensitive"], terms=["Intercept"], params_=np.array([0.1]),
        cov=np.eye(1) * 0.01, n=10, converged=False, notes=[msg, "an ordinary note"],
    )  # fmt: skip
    text = fit.summary()
    assert text.count("did not converge") == 1 and f"Warning: {msg}" in text
    assert "Note: an ordinary note" in text
    quiet = FitResult(
        model="list.ml", parts=["sensitive"], terms=["Intercept"], params_=np.array([0.1]),
        cov=np.eye(1) * 0.01, n=10, converged=False,
    )  # fmt: skip
    assert "Warning: The fit did not converge" in quiet.summary()


def test_polls_plot_of_proportions_in_percent():
    import warnings

    from unspoken.polls import fit_polls, simulate_polls

    sim = simulate_polls(n_days=200, seed=3, polls_per_pollster=40)
    polls = sim.polls.assign(share=sim.polls["share"] / 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_polls(polls, "share", "pollster", start="start", end="end", n="n",
                      units="proportion")  # fmt: skip
    fig = r.plot()
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert ticks and all(re.fullmatch(r"\d+%", t) for t in ticks), ticks
    # the ticks span the trend, read as percentages (a proportion axis would show 0.5 etc.)
    lo, hi = fig.axes[0].get_ylim()
    assert lo < r.trend["estimate"].iloc[-1] < hi < 1


def test_list_power_states_the_correlations_it_assumed():
    from unspoken.power import list_power

    res = list_power(J=4, prevalence=0.2, null=0.1, n=1000, sensitive_cor=0.25, rho=0.1)
    text = " ".join(res.summary().split())
    assert "with the control count: 0.25; among the control items: 0.1." in text
    given = list_power(J=4, prevalence=0.2, null=0.1, n=1000, control_var=0.9)
    text = " ".join(given.summary().split())
    assert "with the control count: 0." in text and "among the control items" not in text
    assert "sensitive_cor" not in res.to_dict() and "rho" not in res.to_dict()  # JSON shape kept
