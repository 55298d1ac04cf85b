"""The web page's forms: every form renders with labelled inputs, starts from values that run
on its example data set, and passes each option to the public API exactly as a direct call
with the same arguments (the numbers of both are compared through their JSON)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pandas as pd
import pytest

from unspoken import datasets
from unspoken.results import json_text
from unspoken.web import pages
from unspoken.web.analyses import ANALYSES, Analysis, defaults, run


def _form(key: str, data: str | None = None, **changes: str) -> tuple[Analysis, pd.DataFrame, dict]:
    """An analysis, its data and its default form values with ``changes``."""
    a = ANALYSES[key]
    name = data or a.example or "race"
    df = datasets.load(name)
    values = defaults(a, [str(c) for c in df.columns], datasets.info(name).design)
    return a, df, {**values, **changes}


def _web(key: str, data: str | pd.DataFrame | None = None, **changes: str) -> Any:
    a, df, values = _form(key, data if isinstance(data, str) else None, **changes)
    if isinstance(data, pd.DataFrame):
        df = data
        values = {**defaults(a, [str(c) for c in df.columns]), **changes}
    result, _ = run(a, df, values)
    return result


def _numbers(result: Any, drop: tuple[str, ...] = ()) -> dict:
    out = json.loads(json_text(result))
    for k in drop:
        out.pop(k, None)
    return out


def _same(web: Any, api: Any, drop: tuple[str, ...] = ()) -> None:
    assert _numbers(web, drop) == _numbers(api, drop)


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("key", list(ANALYSES))
def test_every_form_renders_with_labelled_stable_inputs(key: str) -> None:
    a, df, values = _form(key)
    page = pages.analysis_form("d", a, values, [str(c) for c in df.columns], token="t")
    ids = re.findall(r'<(?:input|select)[^>]* id="(f-[^"]+)"', page)
    assert len(ids) == len(set(ids)) == len(a.fields)
    for f in a.fields:
        fid = f"f-{f.name}"
        assert f'<label for="{fid}">' in page
        assert re.search(rf'<(input|select)[^>]* id="{fid}" name="{re.escape(f.name)}"', page)
    more = [f for f in a.fields if f.advanced]
    assert ("<summary>More options</summary>" in page) == bool(more)
    basic = page.split("<details", 1)[0]
    for f in more:
        assert f'id="f-{f.name}"' not in basic
    assert len([f for f in a.fields if not f.advanced]) <= 14  # the first view stays short


def test_more_options_folded_unless_set() -> None:
    a, df, values = _form("list")
    cols = [str(c) for c in df.columns]
    assert '<details class="more"><summary>' in pages.analysis_form("d", a, values, cols)
    opened = pages.analysis_form("d", a, {**values, "robust": "yes"}, cols)
    assert '<details class="more" open>' in opened
    assert 'id="f-robust" name="robust" value="yes" checked' in opened
    # the double list's documented survey design fills advanced fields: shown open
    a2, df2, v2 = _form("list-double")
    assert v2["cluster"] == "psu" and v2["strata"] == "stratum" and v2["weights"] == "weight"
    assert '<details class="more" open>' in pages.analysis_form(
        "d", a2, v2, [str(c) for c in df2.columns]
    )


def test_choices_show_plain_words_and_keep_values() -> None:
    a, df, values = _form("list")
    page = pages.analysis_form("d", a, values, [str(c) for c in df.columns])
    assert '<option value="dim" selected>difference in means (dim)</option>' in page
    assert '<option value="" selected>the method&#x27;s usual one</option>' in page


def test_power_forms_need_no_data() -> None:
    for key in ("list-power", "rr-power"):
        a = ANALYSES[key]
        assert not a.uses_data
        page = pages.analysis_form("d", a, defaults(a, []), [])
        assert "uses no data" in page


# --------------------------------------------------------------------------- defaults run


@pytest.mark.parametrize("key", list(ANALYSES))
def test_defaults_run_on_the_example_data(key: str) -> None:
    a, df, values = _form(key)
    result, warned = run(a, df, values)
    assert result is not None
    assert all(isinstance(w, str) for w in warned)


@pytest.mark.parametrize("data", ["race", "putin_approval", "nigeria"])
def test_power_defaults_run_whatever_the_data(data: str) -> None:
    for key in ("list-power", "rr-power"):
        a, df, values = _form(key, data)
        run(a, df, values)


def test_list_defaults_equal_the_api() -> None:
    from unspoken.listexp.standard import list_experiment

    race = datasets.load("race")
    _same(_web("list"), list_experiment(race, "y ~ 1", "treat", J=3, method="dim"))


# --------------------------------------------------------------------------- options reach the API


def _race_design() -> pd.DataFrame:
    """race with made-up survey columns (weights 1-3, 20 clusters in 2 strata)."""
    df = datasets.load("race")
    i = pd.Series(range(len(df)))
    df["w"] = 1.0 + (i % 3)
    df["psu"] = i % 20
    df["stratum"] = (i % 20) // 10
    return df


def test_list_variance_and_survey_options() -> None:
    from unspoken.listexp.standard import list_experiment

    df = _race_design()
    web = _web(
        "list",
        df,
        outcome="y",
        treat="treat",
        J="3",
        method="ml",
        covariates="age + south",
        weights="w",
        cluster="psu",
        strata="stratum",
        vcov="survey",
        level="0.9",
    )
    api = list_experiment(
        df,
        "y ~ age + south",
        "treat",
        J=3,
        method="ml",
        weights="w",
        cluster="psu",
        strata="stratum",
        vcov="survey",
        level=0.9,
    )
    _same(web, api)
    assert _numbers(web)["vcov"] == "survey"
    web = _web("list", "race", vcov="bootstrap", reps="120", seed="7")
    api = list_experiment(
        datasets.load("race"),
        "y ~ 1",
        "treat",
        J=3,
        method="dim",
        vcov="bootstrap",
        bootstrap_reps=120,
        seed=7,
    )
    _same(web, api)
    other_seed = _web("list", "race", vcov="bootstrap", reps="120", seed="8")
    assert _numbers(other_seed)["prevalence"] != _numbers(api)["prevalence"]
    web = _web("list", "race", method="lm", vcov="hc1")
    _same(web, list_experiment(datasets.load("race"), "y ~ 1", J=3, method="lm", vcov="hc1"))


@pytest.mark.parametrize(
    ("changes", "api"),
    [
        (
            {
                "ceiling": "yes",
                "floor": "yes",
                "liar_fit": "bayesglm",
                "ceiling_covariates": "south",
            },
            {"ceiling": True, "floor": True, "liar_fit": "bayesglm", "ceiling_formula": "~ south"},
        ),
        ({"error": "topcoded"}, {"error": "topcoded"}),
        ({"error": "topcoded", "robust": "yes"}, {"error": "topcoded", "robust": True}),
        ({"robust": "yes"}, {"robust": True}),
        ({"overdispersed": "yes"}, {"overdispersed": True}),
        ({"unconstrained": "yes"}, {"constrained": False}),
    ],
)
def test_list_models_beyond_the_standard_design(changes: dict, api: dict) -> None:
    from unspoken.listexp.standard import list_experiment

    web = _web("list", "race", method="ml", covariates="age + south", **changes)
    _same(web, list_experiment(datasets.load("race"), "y ~ age + south", J=3, method="ml", **api))


def test_list_several_items_with_the_level_condition() -> None:
    from unspoken.listexp.standard import list_experiment

    web = _web(
        "list",
        "multi",
        method="ml",
        covariates="age + south",
        control="control",
        multi_condition="level",
    )
    api = list_experiment(
        datasets.load("multi"),
        "y ~ age + south",
        J=3,
        method="ml",
        control="control",
        multi_condition="level",
    )
    _same(web, api)


def test_list_double_options() -> None:
    from unspoken.listexp.double import double_list_experiment

    df = datasets.load("double_list")
    survey = dict(weights="weight", cluster="psu", strata="stratum")
    _same(_web("list-double"), double_list_experiment(df, "y1", "y2", "long1", **survey))
    web = _web(
        "list-double",
        method="average",
        covariates="age",
        controls1="female",
        vcov="bootstrap",
        reps="100",
        seed="3",
        level="0.99",
    )
    api = double_list_experiment(
        df,
        "y1",
        "y2",
        "long1",
        formula="~ age",
        method="average",
        controls1="~ female",
        vcov="bootstrap",
        bootstrap_reps=100,
        seed=3,
        level=0.99,
        **survey,
    )
    _same(web, api)


def test_design_test_options() -> None:
    from unspoken.listexp.design_test import design_test

    race = datasets.load("race")
    _same(_web("design-test"), design_test(race, "y", "treat", 3, seed=1))
    web = _web("design-test", alpha="0.01", no_gms="yes", seed="5", compat="list")
    _same(web, design_test(race, "y", "treat", 3, gms=False, alpha=0.01, seed=5, compat="list"))


def test_combined_options() -> None:
    from unspoken.listexp.combined import combined_list_direct

    mex = datasets.load("mexico")
    api = combined_list_direct(mex, "mex.y.all", "mex.t", "mex.direct", J=3)
    _same(_web("combined"), api)
    web = _web("combined", covariates="mex.male + mex.age", J="", level="0.9")
    api = combined_list_direct(
        mex, "mex.y.all", "mex.t", "mex.direct", "mex.male + mex.age", level=0.9
    )
    _same(web, api)


def _gap_design() -> pd.DataFrame:
    df = datasets.load("gap_placebo")
    df["psu"] = df["id"] % 60
    df["stratum"] = df["id"] % 3
    return df


def test_direct_options() -> None:
    from unspoken.direct import direct_poll

    df = _gap_design()
    web = _web(
        "direct",
        df,
        question="support",
        support="definitely,rather",
        dk="drop",
        by="news",
        cluster="psu",
        strata="stratum",
        dk_values="hard to say",
        order="definitely not,rather not,rather,definitely,hard to say",
        min_n="400",
        level="0.9",
    )
    api = direct_poll(
        df,
        "support",
        "definitely,rather",
        cluster="psu",
        strata="stratum",
        by=["news"],
        dk="drop",
        dk_values="hard to say",
        order="definitely not,rather not,rather,definitely,hard to say",
        min_n=400,
        level=0.9,
    )
    _same(web, api)
    web = _web("direct", df, question="support", support="definitely", variance="hc0")
    _same(web, direct_poll(df, "support", "definitely", vcov="hc0"))


def test_gap_options() -> None:
    from unspoken.falsification import gap

    df = _gap_design()
    args = ("count", "treat", 4, "support", "definitely,rather")
    _same(
        _web("gap"),
        gap(datasets.load("gap_placebo"), *args, placebo_treat="placebo", placebo_prevalence=0.5),
    )
    web = _web(
        "gap",
        df,
        outcome="count",
        treat="treat",
        J="4",
        direct="support",
        support="definitely,rather",
        placebo_treat="placebo",
        placebo_prevalence="0.5",
        by="news",
        cluster="psu",
        strata="stratum",
        min_n="200",
        level="0.99",
    )
    api = gap(
        df,
        *args,
        by=["news"],
        cluster="psu",
        strata="stratum",
        min_n=200,
        level=0.99,
        placebo_treat="placebo",
        placebo_prevalence=0.5,
    )
    _same(web, api)
    plain = df[df["placebo"] == 0]  # the regressions take no placebo list
    web = _web(
        "gap",
        plain,
        outcome="count",
        treat="treat",
        J="4",
        direct="support",
        support="definitely,rather",
        variance="hc0",
        method="ml",
        covariates="news",
        dk="drop",
    )
    _same(web, gap(plain, *args, vcov="hc0", method="ml", covariates="news", dk="drop"))


def test_rr_options() -> None:
    from unspoken.rr.regression import rr_regression

    df = datasets.load("nigeria")
    df["w"] = 1.0 + (df.index % 4)
    df["psu"] = df.index % 40
    design = dict(design="forced-known", p=2 / 3, p0=1 / 6, p1=1 / 6)
    _same(_web("rr"), rr_regression(datasets.load("nigeria"), "`rr.q1` ~ 1", **design))
    web = _web(
        "rr",
        df,
        answer="rr.q1",
        design="forced-known",
        p="2/3",
        p0="1/6",
        p1="1/6",
        covariates="cov.age",
        weights="w",
        cluster="psu",
        vcov="cluster",
        level="0.9",
    )
    api = rr_regression(
        df, "`rr.q1` ~ cov.age", **design, weights="w", cluster="psu", vcov="cluster", level=0.9
    )
    _same(web, api)
    web = _web("rr", "nigeria", vcov="bootstrap", reps="60", seed="11")
    api = rr_regression(
        datasets.load("nigeria"),
        "`rr.q1` ~ 1",
        **design,
        vcov="bootstrap",
        bootstrap_reps=60,
        seed=11,
    )
    _same(web, api)
    # model-based with weights: allowed for randomized response (frequency weights), as in the API
    web = _web("rr", df, answer="rr.q1", p="2/3", p0="1/6", p1="1/6", weights="w", vcov="model")
    _same(web, rr_regression(df, "`rr.q1` ~ 1", **design, weights="w", vcov="model"))
    _same(
        _web("rr", "nigeria", vcov="opg"),
        rr_regression(datasets.load("nigeria"), "`rr.q1` ~ 1", **design, vcov="opg"),
    )


def test_rr_power_options() -> None:
    from unspoken.rr.power import rr_power

    design = dict(p=2 / 3, p0=1 / 6, p1=1 / 6)
    _same(_web("rr-power"), rr_power("forced-known", **design, presp=0.2, power=0.8))
    web = _web(
        "rr-power",
        power="",
        n="300",
        presp_null="0.05",
        alpha="0.01",
        alternative="two.sided",
        n_rule="r",
    )
    api = rr_power(
        "forced-known",
        **design,
        n=300,
        presp=0.2,
        presp_null=0.05,
        alpha=0.01,
        alternative="two.sided",
        n_rule="r",
    )
    _same(web, api)
    web = _web("rr-power", type="two.sample", presp_t="0.3", presp_c="0.1")
    api = rr_power("forced-known", **design, type="two.sample", presp_t=0.3, presp_c=0.1, power=0.8)
    _same(web, api)


def test_list_power_options() -> None:
    from unspoken.power import gap_power, list_power

    _same(_web("list-power"), list_power(3, 0.2, 0.0, power=0.8))
    race = datasets.load("race")
    web = _web(
        "list-power",
        "race",
        J="3",
        outcome="y",
        treat="treat",
        power="",
        n="1200",
        alpha="0.01",
        alternative="one.sided",
        treated_share="optimal",
        rho="0.1",
    )
    api = list_power(
        3,
        0.2,
        0.0,
        data=race,
        outcome="y",
        treat="treat",
        n=1200,
        alpha=0.01,
        alternative="one.sided",
        treated_share="optimal",
        rho=0.1,
    )
    _same(web, api)
    web = _web(
        "list-power",
        J="4",
        gap="-0.1",
        direct_share="0.3",
        prevalence="",
        direct_link="0.5",
        control_mean="1.5",
        sensitive_cor="0.2",
    )
    api = gap_power(
        4,
        gap=-0.1,
        direct_share=0.3,
        direct_link=0.5,
        control_mean=1.5,
        sensitive_cor=0.2,
        power=0.8,
    )
    _same(web, api)


def test_polls_fill_a_default_sample_size_and_say_so() -> None:
    from unspoken.polls import fit_polls

    df = datasets.load("putin_approval")

    def weekly(default_n):
        return fit_polls(
            df,
            "approve",
            "pollster",
            date="date",
            default_n=default_n,
            dk_share="hard_to_say",
            period="week",
        )

    web = _web("polls")
    sizes = {"FOM": 1000.0, "Levada": 1000.0, "VCIOM": 1000.0}
    api = weekly(default_n=sizes)
    _same(web, api, drop=("elapsed_s", "notes"))
    note = web.notes[-1]
    assert "1333 poll(s) of FOM, Levada, VCIOM have no sample size" in note
    assert "1,000 respondents" in note
    # a pollster's own default wins; the rest get the form's size
    web = _web("polls", default_n="Levada=1600", unknown_n="1500")
    api = weekly(default_n={"Levada": 1600, "FOM": 1500, "VCIOM": 1500})
    _same(web, api, drop=("elapsed_s", "notes"))
    assert "of FOM, VCIOM have no sample size" in web.notes[-1]


def test_polls_with_sizes_in_the_data_add_no_note_and_take_anchors() -> None:
    from unspoken.polls import Anchor, fit_polls

    df = datasets.load("australia_polls_2004_2007")
    base = dict(start="startDate", end="endDate", n="sampleSize", period="week")
    web = _web("polls")  # putin: note; australia below: none
    web = _web("polls", "australia_polls_2004_2007")
    assert not any("no sample size" in n for n in web.notes)
    _same(web, fit_polls(df, "ALP", "org", **base), drop=("elapsed_s",))
    web = _web(
        "polls",
        "australia_polls_2004_2007",
        anchor1="2007-11-24: 43.38",
        fieldwork="midpoint",
        window="60",
        level="0.9",
    )
    api = fit_polls(
        df,
        "ALP",
        "org",
        **base,
        anchor=[Anchor("2007-11-24", 43.38, 0.0)],
        fieldwork="midpoint",
        window=60,
        level=0.9,
    )
    _same(web, api, drop=("elapsed_s",))
    web = _web(
        "polls",
        "australia_polls_2004_2007",
        anchor_pollster="Newspoll",
        no_extra_variance="yes",
        since="2005-01-01",
        until="2007-06-30",
    )
    api = fit_polls(
        df,
        "ALP",
        "org",
        **base,
        anchor="pollster:Newspoll",
        extra_variance=False,
        since="2005-01-01",
        until="2007-06-30",
    )
    _same(web, api, drop=("elapsed_s",))
    web = _web("polls", "australia_polls_2004_2007", sigma="0.5", period="day")
    api = fit_polls(df, "ALP", "org", **{**base, "period": "day"}, sigma=0.5)
    _same(web, api, drop=("elapsed_s",))


def test_polls_date_format() -> None:
    from unspoken.polls import fit_polls

    df = datasets.load("putin_approval_levada")
    df["Date"] = pd.to_datetime(df["Date"]).dt.strftime("%m/%d/%Y")
    web = _web(
        "polls",
        df,
        share="Approve",
        pollster="source",
        date="Date",
        date_format="%m/%d/%Y",
        unknown_n="1600",
    )
    api = fit_polls(
        df,
        "Approve",
        "source",
        date="Date",
        date_format="%m/%d/%Y",
        default_n={"Levada": 1600},
        period="week",
    )
    _same(web, api, drop=("elapsed_s", "notes"))


def test_a_missing_field_takes_its_default() -> None:
    """A form from an older page (or a link) without the new fields still runs."""
    a, df, values = _form("list")
    old = {
        k: values[k]
        for k in ("outcome", "treat", "J", "method", "covariates", "by", "weights", "control")
    }
    result, _ = run(a, df, old)
    assert _numbers(result) == _numbers(run(a, df, values)[0])


def test_query_values_are_escaped_in_every_field() -> None:
    a, df, values = _form("polls")
    evil = '"><script>x</script>'
    page = pages.analysis_form("d", a, {k: evil for k in values}, [str(c) for c in df.columns])
    assert "<script>x" not in page and html.escape(evil) in page
