"""``unspoken mrp``: the command gives the numbers of :func:`unspoken.mrp` called with the
same inputs, prints the report with its headline first, writes the HTML report and the
caterpillar plot, and refuses bad input with one plain line naming the option or column."""

from __future__ import annotations

import json
import re

import pytest

import unspoken
from unspoken.results import json_text

BASE = [
    "mrp", "synthetic_regions_survey", "--formula", "y ~ C(age_group) + female",
    "--treat", "treat", "--J", "3", "--area", "region", "--area-formula", "~ protest",
    "--population", "synthetic_regions_population", "--count", "count",
]  # fmt: skip


@pytest.fixture(scope="module")
def api():
    return unspoken.mrp(
        unspoken.datasets.load("synthetic_regions_survey"),
        "y ~ C(age_group) + female",
        "treat",
        J=3,
        area="region",
        area_formula="~ protest",
        population=unspoken.datasets.load("synthetic_regions_population"),
        count="count",
    )


def test_json_is_the_api_result(cli, api, tmp_path):
    html = tmp_path / "r.html"
    code, out, err = cli(*BASE, "--json", "--html", html)
    assert code == 0, err
    assert json.loads(out) == json.loads(json_text(api))
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    assert f"Report written to {html}" in err


def test_text_starts_with_the_headline(cli, api, tmp_path):
    plot = tmp_path / "c.svg"
    code, out, err = cli(*BASE, "--plot", plot)
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert "poststratification" in lines[0]
    nat = api.poststratified.national
    assert f"national {100 * nat.estimate:.1f}%" in lines[1]
    assert "not surveyed" in out and "pulled toward national" in out
    assert plot.read_text().lstrip().startswith("<?xml") and "Plot written" in err


def test_population_file_and_options_reach_the_api(cli, tmp_path):
    population = unspoken.datasets.load("synthetic_regions_population")
    path = tmp_path / "pop.csv"
    population.to_csv(path, index=False)
    args = [*BASE, "--level", "0.9", "--min-n", "40", "--json"]
    args[args.index("--population") + 1] = str(path)
    code, out, err = cli(*args)
    assert code == 0, err
    d = json.loads(out)
    assert d["fit"]["areas"][2]["raw_share"] is None  # R03: 37 respondents < 40
    survey = unspoken.datasets.load("synthetic_regions_survey")
    api = unspoken.mrp(survey, "y ~ C(age_group) + female", "treat", J=3, area="region",
                       area_formula="~ protest", population=population, count="count",
                       level=0.9, min_n=40)  # fmt: skip
    assert d == json.loads(json_text(api))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (("--area", "nope_col"), "nope_col"),
        (("--count", "n_people"), "n_people"),
        (("--population", "no_such_file.csv"), "--population"),
        (("--dk", "bounds"), "dk"),
        (("--support", "yes"), "direct"),
        (("--indicator-quantity", "direct"), "indicator"),  # and no --indicator
    ],
)
def test_bad_input_is_one_plain_line(cli, change, said):
    opt, value = change
    args = list(BASE)
    if opt in args:
        args[args.index(opt) + 1] = value
    else:
        args += [opt, value]
    code, out, err = cli(*args)
    assert code == 2, (out, err)
    assert out == "" and "Traceback" not in err and said in err
    assert len(err.strip().splitlines()) == 1, err


def test_listed_in_help(cli):
    code, out, _ = cli("--help")
    assert code == 0 and "mrp" in out and "poststratified" in out


def test_direct_question_and_area_table(cli, tmp_path):
    survey = unspoken.datasets.load("synthetic_regions_survey")
    areas = unspoken.datasets.load("synthetic_regions_areas")[["region", "volunteers"]]
    path = tmp_path / "areas.csv"
    areas.to_csv(path, index=False)
    args = [*BASE, "--direct", "say_support", "--support", "yes", "--area-data", str(path),
            "--json"]  # fmt: skip
    args[args.index("--formula") + 1] = "y ~ female"
    args[args.index("--area-formula") + 1] = "~ volunteers"
    code, out, err = cli(*args)
    assert code == 0, err
    population = unspoken.datasets.load("synthetic_regions_population")
    api = unspoken.mrp(survey, "y ~ female", "treat", J=3, area="region",
                       area_formula="~ volunteers", area_data=areas, direct="say_support",
                       support="yes", count="count", population=population)  # fmt: skip
    d = json.loads(out)
    assert d == json.loads(json_text(api))
    assert d["poststratified"]["national_gap"]["estimate"] == pytest.approx(
        d["poststratified"]["national"]["estimate"]
        - d["poststratified"]["national_direct"]["estimate"]
    )
    # everyone answered both: no correlation unless asked for
    assert "correlation" not in d["fit"]["sd"]
    code, out, err = cli(*args, "--correlation", "yes")
    assert code == 0, err
    d = json.loads(out)
    assert "correlation" in d["fit"]["sd"]
    assert any("treated list arm are set aside" in n for n in d["fit"]["notes"])


@pytest.mark.slow  # two NUTS runs (2 chains x 300 iterations): 30-60 s on this machine
def test_bayes_method_reaches_the_fit(cli, api):
    pytest.importorskip("numpyro")
    args = [*BASE, "--method", "bayes", "--draws", "150", "--warmup", "150", "--chains", "2",
            "--seed", "5", "--json"]  # fmt: skip
    args[args.index("--formula") + 1] = "y ~ female"
    code, out, err = cli(*args)
    assert code == 0, err
    assert "NUTS" in err  # the long run says so before it starts
    d = json.loads(out)
    assert d["fit"]["method"] == "bayes" and d["fit"]["diagnostics"]
    again = unspoken.mrp(unspoken.datasets.load("synthetic_regions_survey"), "y ~ female",
                         "treat", J=3, area="region", area_formula="~ protest",
                         population=unspoken.datasets.load("synthetic_regions_population"),
                         count="count", method="bayes", draws=150, warmup=150, chains=2,
                         seed=5)  # fmt: skip
    # the seed reaches the sampler: the same draws (the run's seconds, in a note, differ)
    seconds = re.compile(r"[\d.]+ s;")
    assert seconds.sub("", out).strip() == seconds.sub("", json_text(again))
    # the posterior and the empirical-Bayes national shares agree (the same model)
    nat, eb = d["poststratified"]["national"], api.poststratified.national
    assert abs(nat["estimate"] - eb.estimate) < eb.std_error
