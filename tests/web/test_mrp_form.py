"""The MRP form without a browser: its defaults give the numbers of ``unspoken.mrp`` with the
same inputs, its data-set fields offer the page's data sets and take the table the server
handed over, and a data set that is gone is an error on its field."""

from __future__ import annotations

import json

import pytest

import unspoken
from unspoken.results import json_text
from unspoken.web import pages
from unspoken.web.analyses import ANALYSES, FormError, defaults, run

SURVEY = "synthetic_regions_survey"


@pytest.fixture(scope="module")
def form():
    a = ANALYSES["mrp"]
    df = unspoken.datasets.load(SURVEY)
    values = defaults(a, [str(c) for c in df.columns], unspoken.datasets.info(SURVEY).design)
    return a, df, {**values, "covariates": "female"}


def _json(result) -> dict:
    return json.loads(json_text(result))


def test_defaults_equal_the_api(form):
    a, df, values = form
    web, _ = run(a, df, values)
    population = unspoken.datasets.load("synthetic_regions_population")
    api = unspoken.mrp(df, "y ~ female", "treat", J=3, area="region", area_formula="~ protest",
                       population=population, count="count")  # fmt: skip
    assert _json(web) == _json(api)


def test_data_set_fields_offer_the_page_data_sets(form):
    a, df, values = form
    offered = [("upload-abc", "Your file: census.csv"), ("race", "race — ...")]
    html = pages.analysis_form(SURVEY, a, {**values, "population": "upload-abc"},
                               list(df.columns), datasets=offered)  # fmt: skip
    start = html.index('id="f-population"')
    select = html[start : html.index("</select>", start)]
    assert '<option value="upload-abc" selected>Your file: census.csv</option>' in select
    assert '<option value="">— choose a data set —</option>' in select
    area = html[html.index('id="f-area_data"') :]
    assert '<option value="" selected>(none)</option>' in area[: area.index("</select>")]


def test_the_handed_over_table_is_used(form):
    a, df, values = form
    population = unspoken.datasets.load("synthetic_regions_population")
    doubled = population.assign(count=2 * population["count"])
    web, _ = run(a, df, {**values, "population": "upload-abc"}, {"upload-abc": doubled})
    assert web.poststratified.population == 2 * population["count"].sum()


@pytest.mark.parametrize(
    ("changes", "name", "words"),
    [
        ({"population": "upload-gone"}, "population", "upload the file again"),
        ({"population": ""}, "population", "choose a data set"),
        ({"count": "people"}, "count", "'people'"),
        ({"dk": "drop"}, "dk", "direct"),  # a don't-know rule without a direct question
    ],
)
def test_mistakes_name_their_field(form, changes, name, words):
    a, df, values = form
    with pytest.raises(FormError) as e:
        run(a, df, {**values, **changes})
    assert e.value.field == name and words in e.value.text


def test_sampler_fields_need_the_bayes_method(form):
    a, df, values = form
    with pytest.raises(FormError) as e:
        run(a, df, {**values, "chains": "2"})
    assert e.value.field == "chains" and "full Bayes" in e.value.text


@pytest.mark.slow  # two NUTS runs (1 chain x 200 iterations): 15-30 s on this machine
def test_bayes_from_the_form_equals_the_api(form):
    pytest.importorskip("numpyro")
    a, df, values = form
    sampler = {"draws": "100", "warmup": "100", "chains": "1"}
    web, _ = run(a, df, {**values, "method": "bayes", "seed": "7", **sampler})
    population = unspoken.datasets.load("synthetic_regions_population")
    api = unspoken.mrp(df, "y ~ female", "treat", J=3, area="region", area_formula="~ protest",
                       population=population, count="count", method="bayes", seed=7,
                       draws=100, warmup=100, chains=1)  # fmt: skip
    web_fit, api_fit = _json(web).pop("fit"), _json(api).pop("fit")
    assert web_fit.pop("notes")[1:] == api_fit.pop("notes")[1:]  # the first: the run's seconds
    assert web_fit == api_fit
    assert _json(web)["poststratified"] == _json(api)["poststratified"]
