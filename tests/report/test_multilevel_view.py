"""The views of the multilevel results (issue 14, item 4): which numbers are model-based and
which raw, the direct share and the gap by area, Bayesian fits (credible intervals, R-hat and
ESS with warnings), the caterpillar plot's second marker, the indicator view and MRP's
combined view.

The results are real fits of a small simulated list experiment; the direct share, gap and
sampler diagnostics are set by hand (``dataclasses.replace``): these tests check what the
views show of the numbers a result holds, not the estimators.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import unspoken
from unspoken.report.html import views_html
from unspoken.report.views.multilevel import caterpillar_plot, mrp_view
from unspoken.results import Estimate

A = 12


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(11)
    sizes = np.r_[8, rng.integers(40, 90, A - 1)]  # area 0 is too small for raw shares
    area = np.repeat([f"A{a:02d}" for a in range(A)], sizes)
    codes = np.repeat(np.arange(A), sizes)
    x = rng.normal(size=A)
    t = rng.integers(0, 2, len(area))
    z = rng.random(len(area)) < expit(-0.4 + 0.7 * x[codes] + rng.normal(0, 0.6, A)[codes])
    y = rng.binomial(2, 0.2, len(area)) + t * z
    df = pd.DataFrame({"y": y, "t": t, "region": area, "x": x[codes]})
    return unspoken.multilevel_list(df, "y ~ 1", "t", J=2, area="region", area_formula="~ x")


def _with_direct(fit):
    """The fit with a direct share (hidden + 0.1, interval +-0.05), gap and raw direct share
    (hidden where the small-cell rule let the raw share through)."""
    areas = []
    for a in fit.areas:
        h = a.estimate.estimate
        d = Estimate(h + 0.1, 0.02, h + 0.05, h + 0.15, a.n)
        g = Estimate(-0.1, 0.03, -0.16, -0.04, a.n)
        raw_d = None if a.raw is None else h + 0.123
        areas.append(dataclasses.replace(a, direct=d, gap=g, raw_direct=raw_d))
    return dataclasses.replace(fit, areas=areas, direct="say")


def _table(view, start):
    return next(t for t in view.tables if t.title.startswith(start))


def test_hidden_table_says_model_based_and_raw_and_keeps_the_small_cell_rule(fit) -> None:
    v = fit.view()
    t = _table(v, "Hidden share by area (model-based; raw")
    assert t.columns == ["area", "n", "model-based", "95% CI", "raw", "pulled toward national"]
    small = next(r for r in t.rows if r[0] == "A00")
    assert small[1] == "8" and small[4] == "–"  # 8 respondents: no raw share printed
    assert all(r[4] != "–" for r in t.rows if r[0] != "A00")
    assert not any(t.title.startswith("Direct") for t in v.tables)  # no direct question
    inside = [dataclasses.replace(a, shrinkage=0.5) for a in fit.areas]
    assert not any(
        "outside 0 to 1" in n for n in dataclasses.replace(fit, areas=inside).view().notes
    )
    past = [dataclasses.replace(inside[0], shrinkage=-3.2), *inside[1:]]
    v = dataclasses.replace(fit, areas=past).view()
    assert any("'Pulled toward national' outside 0 to 1" in n for n in v.notes)


def test_direct_share_gap_and_raw_direct_share_by_area(fit) -> None:
    fd = _with_direct(fit)
    v = fd.view()
    t = _table(v, "Direct share and gap by area (model-based")
    assert t.columns == [
        "area",
        "n",
        "direct (model)",
        "95% CI",
        "direct (raw)",
        "gap (points)",
        "gap 95% CI",
    ]
    by_area = {a.area: a for a in fd.areas}
    for row in t.rows:
        a = by_area[row[0]]
        assert row[2] == f"{100 * a.direct.estimate:.1f}%"
        assert row[4] == ("–" if a.raw_direct is None else f"{100 * a.raw_direct:.1f}%")
        assert row[5] == "-10.0" and row[6] == "-16.0 to -4.0"
    assert next(r for r in t.rows if r[0] == "A00")[4] == "–"
    assert "Said 'support' when asked directly (model-based)" in v.headline[1]
    assert "Direct question: column 'say'" in v.facts
    text, html = fd.summary(), views_html([v])
    for row in t.rows:  # every rendering shows the view's numbers
        assert row[2] in text and row[2] in html


def test_caterpillar_plot_has_the_direct_share_as_a_second_marker(fit) -> None:
    fig = caterpillar_plot(fit)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["hidden share (list)", "national hidden (difference in means)"]
    fig = caterpillar_plot(_with_direct(fit))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "direct share (said 'support')" in labels
    # sorted by the hidden share: the top row is the largest
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    top = max(fit.areas, key=lambda a: a.estimate.estimate).area
    assert ticks[0] == top


def test_bayesian_fit_shows_credible_intervals_and_sampler_diagnostics(fit) -> None:
    good = {"delta[Intercept]": {"rhat": 1.002, "ess_bulk": 1800.0, "ess_tail": 1500.0},
            "sd(sensitive)": {"rhat": 1.004, "ess_bulk": 900.0, "ess_tail": 1100.0}}  # fmt: skip
    fb = dataclasses.replace(fit, method="bayes", diagnostics=good)
    v = fb.view()
    assert "95% credible interval" in _table(v, "Hidden share by area").columns
    assert any("largest R-hat 1.004 (sd(sensitive))" in f for f in v.facts)
    assert any("bulk 900 (sd(sensitive))" in f for f in v.facts)
    assert v.warnings == []
    bad = {**good, "sd(sensitive)": {"rhat": 1.05, "ess_bulk": 120.0, "ess_tail": 300.0}}
    v = dataclasses.replace(fit, method="bayes", diagnostics=bad).view()
    assert any("R-hat of sd(sensitive) is 1.050" in w for w in v.warnings)
    assert any("effective sample size of sd(sensitive) is 120" in w for w in v.warnings)
    assert "Warning: R-hat" in dataclasses.replace(fit, method="bayes", diagnostics=bad).summary()
    assert "95% CI" in _table(fit.view(), "Hidden share by area").columns  # laplace


def test_poststratified_view_with_direct_and_gap(fit) -> None:
    x = fit.state["frame"].groupby("region")["x"].first().to_numpy()
    pop = pd.DataFrame({"region": [a.area for a in fit.areas], "count": 1000.0, "x": x})
    ps = unspoken.poststratify(fit, pop, count="count")
    v = ps.view()
    assert not any(t.title.startswith("Direct") for t in v.tables)
    d, g = Estimate(0.5, 0.02, 0.46, 0.54), Estimate(-0.2, 0.03, -0.26, -0.14)
    areas = [dataclasses.replace(a, direct=d, gap=g) for a in ps.areas]
    psd = dataclasses.replace(ps, areas=areas, national_direct=Estimate(0.52, 0.01, 0.5, 0.54),
                              national_gap=Estimate(-0.09, 0.02, -0.13, -0.05))  # fmt: skip
    v = psd.view()
    assert v.headline[1].startswith("Said 'support' when asked directly: national 52.0%")
    assert "gap (hidden - direct) -9.0 points (95% CI -13.0 points to -5.0 points)" in v.headline[1]
    t = _table(v, "Direct share and gap by area (model-based")
    assert "direct (raw)" not in t.columns  # a poststratification holds no raw shares
    assert all(r[2] == "50.0%" and r[4] == "-20.0" for r in t.rows)
    labels = [t.get_text() for t in psd.plot().axes[0].get_legend().get_texts()]
    assert "national direct" in labels and "national hidden (poststratified)" in labels


def test_indicator_and_mrp_views_compose(fit) -> None:
    ic = fit.indicator("x", draws=400)
    v = ic.view()
    t = v.tables[0]
    assert t.columns == ["area", "n", "x", "model-based", "95% CI"]
    values = [float(r[2]) for r in t.rows]
    assert values == sorted(values)  # ordered by the indicator
    assert f"r = {ic.pearson.estimate:.2f}" in v.headline[0]
    pop = pd.DataFrame({"region": [a.area for a in fit.areas], "count": 1000.0,
                        "x": [a.value for a in ic.areas]})  # fmt: skip
    ps = unspoken.poststratify(fit, pop, count="count")
    m = mrp_view(SimpleNamespace(fit=fit, poststratified=ps, indicator=ic))
    titles = [t.title for t in m.tables]
    assert titles[0].startswith("Hidden share by area (model-based, weighted")
    assert any(s.startswith("Hidden share by area (model-based; raw") for s in titles)
    assert any(s.endswith("and 'x'") for s in titles)
    assert m.headline[0] == ps.view().headline[0] and "'x' correlates" in m.headline[-1]
    assert len(m.notes) == len(set(m.notes))
    fig = m.plot()  # the caterpillar plot with the indicator plot above it
    assert len(fig.axes) == 2 and fig.axes[1].get_title().startswith("r = ")
    m0 = mrp_view(SimpleNamespace(fit=fit, poststratified=ps, indicator=None))
    assert not any(s.endswith("and 'x'") for s in (t.title for t in m0.tables))
    assert len(m0.plot().axes) == 1
