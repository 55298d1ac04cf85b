"""unspoken.diagnose: the grid, the estimators, seeds independent of how the work is cut,
resuming from the Parquet output, the CLI, and errors that name the parameter."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import unspoken
from unspoken.diagnosis import engines
from unspoken.diagnosis.grid import make_grid
from unspoken.diagnosis.simulate import _control_pmf, _controls, answer_table, draw
from unspoken.errors import DataError, UnsupportedError

GRID = {"n": [300, 600], "J": [3, 4], "direct": True, "falsification": 0.2}


def test_dict_grid_is_every_combination_in_key_order() -> None:
    cells = make_grid({"n": [100, 200], "J": [3, 4, 5]})
    assert [(c.n, c.J) for c in cells] == [(n, J) for n in (100, 200) for J in (3, 4, 5)]
    assert cells[0].prevalence == 0.2  # default


def test_frame_grid_errors_name_column_and_row() -> None:
    frame = pd.DataFrame({"n": [500, 800], "prevalence": [0.2, 1.5]})
    with pytest.raises(DataError, match="prevalence") as e:
        make_grid(frame)
    assert e.value.column == "prevalence"
    assert "row" in str(e.value)
    with pytest.raises(UnsupportedError, match="unknown design parameter.*size"):
        make_grid({"size": [100]})
    with pytest.raises(UnsupportedError, match="designs\\['n'\\].*whole number"):
        make_grid({"n": [100.5]})
    with pytest.raises(UnsupportedError, match="list"):
        make_grid({"list": ["triple"]})


def test_estimator_checks() -> None:
    with pytest.raises(UnsupportedError, match="unknown estimator 'mle'"):
        unspoken.diagnose({"n": [100]}, ["mle"], reps=10, seed=1)
    with pytest.raises(UnsupportedError, match="'gap' needs direct"):
        unspoken.diagnose({"n": [100]}, ["gap"], reps=10, seed=1)
    with pytest.raises(UnsupportedError, match="reps"):
        unspoken.diagnose({"n": [100]}, ["dim"], reps=1, seed=1)
    with pytest.raises(UnsupportedError, match="engine"):
        unspoken.diagnose({"n": [100]}, ["dim"], reps=10, seed=1, engine="spark")


def test_control_items_have_the_asked_mean_variance_and_pmf() -> None:
    # the count of J items at share p with pairwise correlation rho: mean J p and variance
    # J p (1 - p) (1 + (J - 1) rho) (power.analytic.control_variance)
    from unspoken.power.analytic import control_variance

    cell = make_grid({"J": 5, "control_prob": 0.3, "rho": 0.25})[0]
    pmf = _control_pmf(cell)
    k = np.arange(6)
    assert pmf.sum() == pytest.approx(1, abs=1e-14)
    assert pmf @ k == pytest.approx(1.5, abs=1e-12)
    var = pmf @ k**2 - (pmf @ k) ** 2
    assert var == pytest.approx(control_variance(5, 1.5, 0.25), rel=1e-12)
    y = _controls(np.random.default_rng(1), cell, (400, 1000)).ravel()
    counts = np.bincount(y, minlength=6) / y.size
    # multinomial sampling error: sqrt(p (1 - p) / 400,000) <= 0.0008; 5 s.e.
    np.testing.assert_allclose(counts, pmf, atol=0.004)


def test_answer_table_is_the_distribution_of_the_respondent_draws() -> None:
    # the exact table of answer patterns behind the multinomial draws against the
    # frequencies of respondents drawn one by one
    cell = make_grid(
        {"J": 3, "list": "double", "deflation": 0.1, "ceiling": 0.5, "dk_rate": 0.1,
         "direct": True, "falsification": 0.2, "rho": 0.2, "covariate": 0.8}
    )[0]  # fmt: skip
    values, probs = answer_table(cell)
    assert probs.sum() == pytest.approx(1, abs=1e-12)
    d = draw(cell, 200, np.random.default_rng(3))
    obs = d["obs"]
    got = pd.DataFrame(
        {"arm": d["arm"].ravel(), "obs": obs.ravel(), "y": (d["y"] * obs).ravel(),
         "yb": (d["yb"] * obs).ravel(), "direct": d["direct"].ravel().astype(int)}
    )  # fmt: skip
    freq = got.value_counts(normalize=True)
    want = pd.Series(probs, index=pd.MultiIndex.from_arrays(
        [values[c] for c in ("arm", "obs", "y", "yb", "direct")],
        names=["arm", "obs", "y", "yb", "direct"]))  # fmt: skip
    both = pd.concat([freq.rename("got"), want.rename("want")], axis=1).fillna(0)
    # 200,000 respondents: s.e. sqrt(p (1 - p) / 200,000) per pattern; 5 s.e. plus a floor
    tol = 5 * np.sqrt(both["want"] * (1 - both["want"]) / 200_000) + 2e-5
    assert ((both["got"] - both["want"]).abs() <= tol).all()


def test_dim_power_agrees_with_list_power() -> None:
    # 20,000 replications: the Monte Carlo s.e. of the power is about 0.0035
    res = unspoken.diagnose({"n": [400, 900], "J": 4}, "dim", reps=20_000, seed=11)
    for row in res.table.itertuples():
        analytic = unspoken.list_power(J=4, prevalence=0.2, n=row.n).power
        assert abs(row.power - analytic) < 4 * row.power_mc_se + 0.005, (row.n, analytic)
        assert abs(row.coverage - 0.95) < 4 * row.coverage_mc_se + 0.003
        assert abs(row.bias) < 4 * row.bias_mc_se


def test_truths_of_the_gap_double_and_placebo() -> None:
    # the gap's truth is -(1 - prevalence) falsification; the placebo correction undoes a
    # deflation that hits every added item alike (the DiM does not)
    res = unspoken.diagnose(
        {"n": 1500, "direct": True, "falsification": 0.3}, ["dim", "gap"], reps=4000, seed=2
    )
    gap = res.table.set_index("estimator").loc["gap"]
    assert gap["truth"] == pytest.approx(-0.8 * 0.3)
    assert abs(gap["bias"]) < 4 * gap["bias_mc_se"]
    pl = unspoken.diagnose(
        {"n": 1500, "list": "placebo", "deflation": 0.25}, ["dim", "placebo"], reps=4000, seed=3
    ).table.set_index("estimator")
    assert pl.loc["dim", "bias"] == pytest.approx(-0.25 * 0.2, abs=4 * pl.loc["dim", "bias_mc_se"])
    # a ratio estimator: its bias is O(1/n), under 0.004 here
    assert abs(pl.loc["placebo", "bias"]) < 4 * pl.loc["placebo", "bias_mc_se"] + 0.004
    dl = unspoken.diagnose(
        {"n": 1000, "list": "double"}, ["dim", "double"], reps=4000, seed=4
    ).table.set_index("estimator")
    assert dl.loc["double", "rmse"] < dl.loc["dim", "rmse"]  # two lists beat one
    # the gap of a double list: the pooled estimate minus the direct share
    dg = unspoken.diagnose(
        {"n": 1000, "list": ["single", "double"], "direct": True, "falsification": 0.3},
        "gap", reps=4000, seed=6,
    ).table  # fmt: skip
    assert (abs(dg["bias"]) < 4 * dg["bias_mc_se"]).all()
    assert dg["rmse"].iloc[1] < 0.8 * dg["rmse"].iloc[0]
    assert pl.loc["dim", "coverage"] < 0.9  # the deflated DiM misses
    for t in (pl.loc[["placebo"]], dl):
        assert (abs(t["coverage"] - 0.95) < 4 * t["coverage_mc_se"] + 0.005).all()


def test_floor_and_ceiling_shares() -> None:
    # J = 2 items at 0.5, prevalence 0.2: P(long list answers 0) = 0.8 / 4,
    # P(answers J + 1 = 3) = 0.2 / 4; ceiling liars (all of them) remove the second
    cells = {"n": 2000, "J": 2, "ceiling": [0.0, 0.999999]}
    t = unspoken.diagnose(cells, "dim", reps=500, seed=5).table
    assert t["floor_share"].iloc[0] == pytest.approx(0.2, abs=4 * t["floor_share_mc_se"].iloc[0])
    assert t["ceiling_share"].iloc[0] == pytest.approx(
        0.05, abs=4 * t["ceiling_share_mc_se"].iloc[0]
    )
    assert t["ceiling_share"].iloc[1] < 1e-4


def _custom(frame: pd.DataFrame) -> tuple[float, float]:
    y, t = frame["y"], frame["arm"]
    a, b = y[t == 1], y[t == 0]
    return a.mean() - b.mean(), math.sqrt(a.var() / len(a) + b.var() / len(b))


def test_callable_estimator_equals_the_vectorised_dim_on_the_same_draws() -> None:
    # with lm in the list every estimator sees respondent-level draws: a callable DiM (one
    # pandas frame per survey) gives the numbers of the vectorised dim on the same surveys
    t = unspoken.diagnose({"n": [200]}, ["lm", "dim", _custom], reps=40, seed=9).table
    assert list(t["estimator"]) == ["lm", "dim", "_custom"]
    dim, custom = t.iloc[1], t.iloc[2]
    for k in ("bias", "rmse", "mean_se", "power", "coverage"):
        assert custom[k] == pytest.approx(dim[k], rel=1e-12, abs=1e-15), k


def test_blocks_do_not_depend_on_the_task_size(monkeypatch) -> None:
    a = unspoken.diagnose(GRID, ["dim", "lm", "gap"], reps=120, seed=4)
    monkeypatch.setattr(engines, "_tasks", lambda blocks, ests, w: [[b] for b in blocks[::-1]])
    b = unspoken.diagnose(GRID, ["dim", "lm", "gap"], reps=120, seed=4)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    c = unspoken.diagnose(GRID, ["dim", "lm", "gap"], reps=120, seed=5)
    assert not a.table["bias"].equals(c.table["bias"])


def test_block_size_is_fixed_by_the_cell() -> None:
    cell = make_grid({"n": 1000})[0]
    assert engines.block_size(cell, ["dim"]) == engines.block_size(cell, ["dim"])
    assert engines.block_size(cell, ["ml"]) < engines.block_size(cell, ["lm"])
    blocks = engines.blocks_of([cell], ["ml"], 1000, 1, [0])
    assert sum(b.reps for b in blocks) == 1000 and len(blocks) > 1


def test_resume_equals_an_uninterrupted_run(tmp_path, monkeypatch) -> None:
    out = tmp_path / "r.parquet"
    full = unspoken.diagnose(GRID, ["dim", "gap"], reps=200, seed=8)
    real = engines.run_tasks
    seen = []

    def interrupted(blocks, *args, **kw):
        for item in real(blocks, *args, **kw):
            seen.append(item[0])
            if len(set(seen)) > 2:  # the third cell's first block: Ctrl-C
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr("unspoken.diagnosis.api.run_tasks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        unspoken.diagnose(GRID, ["dim", "gap"], reps=200, seed=8, out=out)
    assert set(pd.read_parquet(out)["cell"]) == {0, 1}
    monkeypatch.setattr("unspoken.diagnosis.api.run_tasks", real)
    resumed = unspoken.diagnose(GRID, ["dim", "gap"], reps=200, seed=8, out=out)
    assert resumed.resumed == 2
    pd.testing.assert_frame_equal(resumed.table, full.table, check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(out), full.table, check_exact=True)
    with pytest.raises(UnsupportedError, match="another run"):
        unspoken.diagnose(GRID, ["dim", "gap"], reps=300, seed=8, out=out)


def test_ranking_and_view() -> None:
    res = unspoken.diagnose({"n": [200, 800, 3000], "J": [3, 5]}, "dim", reps=400, seed=1)
    rank = res.ranking(0.8)
    t = res.table
    for r in rank.itertuples():
        fam = t[(t["family"] == r.family) & (t["power"] >= 0.8)]
        assert r.n == fam["n"].min()
    assert list(rank["n"]) == sorted(rank["n"])
    assert res.ranking(0.8, min_coverage=0.9999).empty  # no cell covers 99.99%
    text = res.summary()
    assert "smallest design reaching 80% power" in text
    d = json.loads(res.to_json())
    assert d["model"] == "diagnose" and len(d["rows"]) == 6


def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    from unspoken.cli.main import main

    code = 0
    try:
        main(args)
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_equals_python(tmp_path, capsys) -> None:
    grid = tmp_path / "g.toml"
    grid.write_text(
        'estimators = ["dim", "gap"]\nreps = 100\nseed = 2\n'
        "[designs]\nn = [300, 600]\ndirect = true\nfalsification = 0.2\n"
    )
    code, out, _ = _cli(["diagnose", str(grid), "--json"], capsys)
    assert code == 0
    py = unspoken.diagnose(
        {"n": [300, 600], "direct": True, "falsification": 0.2}, ["dim", "gap"], reps=100, seed=2
    )
    assert json.loads(out) == json.loads(py.to_json())
    rows = tmp_path / "rows.toml"
    rows.write_text(
        'estimators = ["dim"]\nreps = 100\nseed = 2\n'
        "[[designs]]\nn = 300\n[[designs]]\nn = 600\nJ = 3\n"
    )
    code, out, _ = _cli(["diagnose", str(rows), "--json", "--reps", "50"], capsys)
    assert code == 0
    d = json.loads(out)
    assert [(r["n"], r["J"], r["reps"]) for r in d["rows"]] == [(300, 4, 50), (600, 3, 50)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('estimators = ["dim"]\n[designs]\nn = [10]\n', "at least 20"),
        ("estimators = [\n", "not valid TOML"),
        ('estimators = ["dim"]\nrepz = 3\n[designs]\nn = 100\n', "unknown key(s) repz"),
        ('estimators = ["dim"]\n[[designs]]\nn = 100\n[[designs]]\nn = 1.5\n', "row"),
    ],
)
def test_cli_errors_without_traceback(tmp_path, capsys, text: str, message: str) -> None:
    bad = tmp_path / "b.toml"
    bad.write_text(text)
    code, _out, err = _cli(["diagnose", str(bad)], capsys)
    assert code == 2 and message in err and "Traceback" not in err


def test_html_report_plot_and_progress_bar(tmp_path, capsys) -> None:
    res = unspoken.diagnose({"n": [300, 900], "J": [3, 4]}, "dim", reps=200, seed=1, progress=True)
    path = unspoken.write_report(res, tmp_path / "r.html")
    html = path.read_text()
    assert "Design diagnosis" in html and "<svg" in html and "smallest n first" in html
    fig = res.plot(tmp_path / "p.png")
    assert len(fig.axes[0].lines) >= 3  # two families and the target line
    assert (tmp_path / "p.png").stat().st_size > 1000
    assert "Traceback" not in capsys.readouterr().err


def test_the_users_grid_is_not_modified() -> None:
    frame = pd.DataFrame({"n": [300, 600], "J": [3, 4]})
    copy = frame.copy()
    grid = {"n": [300, 600], "J": 4}
    res = unspoken.diagnose(frame, "dim", reps=20, seed=1)
    unspoken.diagnose(grid, "dim", reps=20, seed=1)
    pd.testing.assert_frame_equal(frame, copy)
    assert grid == {"n": [300, 600], "J": 4}
    assert list(res.table["J"]) == [3, 4]
