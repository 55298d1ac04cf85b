"""Errors on the web page: each one is placed next to the field it is about, summed up above
the form, and written in plain words: never Python or command-line syntax."""

from __future__ import annotations

import html
import pickle
import re

import pandas as pd
import pytest

from unspoken import datasets
from unspoken.errors import DataError, UnsupportedError
from unspoken.web import pages
from unspoken.web.analyses import ANALYSES, FormError, defaults, problems, run

# what a person must never see on the page
_SYNTAX = [
    r"=<",
    r"--",
    r"\bpass ",
    r"Traceback",
    r"\w*Error:",
    r"\w+='",
    r'\w+="',
    r"\w+=\.\.\.",
    r"command line",
    r"\bCLI\b",
    r"\bdefault_n\b|\bmulti_condition\b|\bpresp_t\b|\bmin_n\b",
]


def _values(key: str, data: str | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    a = ANALYSES[key]
    name = data or a.example or "race"
    df = datasets.load(name)
    return df, defaults(a, [str(c) for c in df.columns], datasets.info(name).design)


def _fail(key: str, data: str | pd.DataFrame | None, changes: dict) -> tuple[FormError, str]:
    """Run a bad submission: its FormError and the form page showing it."""
    a = ANALYSES[key]
    if isinstance(data, pd.DataFrame):
        df, values = data, defaults(a, [str(c) for c in data.columns])
    else:
        df, values = _values(key, data)
    form = {**values, **changes}
    with pytest.raises(FormError) as ei:
        run(a, df, form)
    page = pages.analysis_form("d", a, form, [str(c) for c in df.columns], ei.value)
    return ei.value, page


def _text(page: str) -> str:
    """What the page shows: tags dropped, entities decoded (option values and ids kept out)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _ab_treat() -> pd.DataFrame:
    df = datasets.load("race")
    df["treat"] = df["treat"].map({0: "A", 1: "B"})
    return df


def _slashed_dates() -> pd.DataFrame:
    df = datasets.load("putin_approval")
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%d/%m/%Y")
    return df


# (analysis, data, changed fields, field the error belongs to, words it must contain)
CATALOGUE = [
    ("list", None, {"outcome": "nope"}, "outcome", "no column 'nope'"),
    ("list", None, {"treat": ""}, "treat", "choose a column"),
    ("list", None, {"J": "three"}, "J", "whole number"),
    ("list", None, {"method": "eval"}, "method", "choose one of"),
    ("list", None, {"method": "ml", "covariates": "__import__('os')"}, "covariates", "not allowed"),
    ("list", None, {"covariates": "__import__('os')"}, "covariates", "not allowed"),
    ("list", None, {"method": "ml", "covariates": "agee"}, "covariates", "did you mean 'age'"),
    ("list", None, {"method": "ml", "covariates": "age +"}, "covariates", "formula"),
    ("list", None, {"covariates": "age"}, "covariates", "takes no covariates"),
    ("list", None, {"control": "7"}, "control", "'7' is not a value of the column 'treat'"),
    (
        "list",
        _ab_treat(),
        {"outcome": "y", "treat": "treat", "J": "3"},
        "control",
        "the list group 'treat' has the values A (589 rows) and B (624 rows); say which one is "
        "the control list",
    ),
    ("list", None, {"J": "1"}, "J", "exceed J = 1"),
    ("list", None, {"vcov": "hc3", "method": "ml"}, "vcov", "not available for maximum"),
    ("list", None, {"vcov": "cluster"}, "vcov", "needs the column of clusters"),
    (
        "list",
        None,
        {"method": "ml", "ceiling": "yes", "error": "topcoded"},
        "error",
        "cannot be combined",
    ),
    ("list", None, {"ceiling": "yes"}, "method", "maximum-likelihood model"),
    ("list", None, {"unconstrained": "yes"}, "unconstrained", "ticked applies to"),
    (
        "list",
        None,
        {"multi_condition": "level", "method": "ml"},
        "multi_condition",
        "several sensitive items",
    ),
    ("list", None, {"method": "ml", "ceiling": "yes", "by": "south"}, "by", "standard design"),
    ("list", None, {"method": "ml", "overdispersed": "yes", "vcov": "hc3"}, "vcov", "leverages"),
    ("list", None, {"ceiling_covariates": "age"}, "ceiling_covariates", "tick Ceiling liars"),
    ("list", None, {"liar_fit": "bayesglm"}, "liar_fit", "tick Ceiling liars"),
    ("list", None, {"method": "ml", "ceiling": "yes"}, "liar_fit", "bayesglm"),
    ("list", None, {"reps": "5"}, "reps", "between 50 and 100000"),
    ("list", None, {"seed": "-1"}, "seed", "whole number"),
    ("list", None, {"ceiling": "maybe"}, "ceiling", "tick the box"),
    ("design-test", None, {"compat": "R"}, "compat", "choose one of"),
    (
        "direct",
        None,
        {"dk": "drop", "support": ""},
        "support",
        "say which answers of 'support' count as support",
    ),
    ("direct", None, {"support": "perhaps"}, "support", "'perhaps' does not occur"),
    ("direct", None, {"variance": "hc0", "cluster": "news"}, "variance", "clusters or strata"),
    ("direct", None, {"min_n": "0"}, "min_n", "at least 1"),
    ("gap", None, {"support": ""}, "support", "count as support"),
    ("gap", None, {"covariates": "news"}, "covariates", "regression method"),
    ("gap", None, {"method": "ml"}, "method", "placebo list"),
    ("gap", None, {"placebo_prevalence": "half"}, "placebo_prevalence", "'half' is neither"),
    ("combined", None, {"J": "1"}, "J", "exceed"),
    ("rr", None, {"p": "1.5"}, "p", "between 0 and 1"),
    ("rr", None, {"q": "0.3"}, "q", "does not use"),
    ("rr", None, {"vcov": "cluster"}, "vcov", "needs the column of clusters"),
    ("list", None, {"vcov": "model", "weights": "age"}, "vcov", "survey weights"),
    ("list-double", None, {"vcov": "hc0"}, "vcov", "strata were given"),
    ("list-double", None, {"long1": "7"}, "long1", "'7' is not a value of the column 'long1'"),
    ("list-double", None, {"covariates": "age ~ female"}, "covariates", "more than one"),
    ("polls", None, {"default_n": "Levada"}, "default_n", "POLLSTER=N"),
    ("polls", None, {"default_n": "Nobody=1000"}, "default_n", "not in the data: Nobody"),
    ("polls", None, {"unknown_n": ""}, "default_n", "no sample size for 1333 poll(s)"),
    ("polls", None, {"scale": "decided", "dk_col": ""}, "dk_col", "'hard to say'"),
    ("polls", None, {"anchor2": "2010-01-01"}, "anchor2", "a colon and the value"),
    ("polls", None, {"anchor1": "yesterday: 50"}, "anchor1", "'yesterday' is not a date"),
    ("polls", None, {"anchor1": "2010-01-01: 500"}, "anchor1", "same units as the shares"),
    ("polls", None, {"anchor_pollster": "Gallup"}, "anchor_pollster", "'Gallup' is not in"),
    (
        "polls",
        None,
        {"anchor1": "2010-01-01: 50", "anchor_pollster": "FOM"},
        "anchor_pollster",
        "already fix the level",
    ),
    ("polls", None, {"start": "date"}, "date", "not both"),
    ("polls", None, {"date": ""}, "date", "choose the date column"),
    ("polls", None, {"since": "soon"}, "since", "not a date"),
    (
        "polls",
        _slashed_dates(),
        {"share": "approve", "pollster": "pollster", "date": "date"},
        "date_format",
        "(e.g. '15/08/1999') could be day/month or month/day",
    ),
    ("polls", None, {"units": "proportion"}, "units", "outside 0-1"),
    ("list-power", None, {"n": "500"}, "power", "not both"),
    ("list-power", None, {"prevalence": ""}, "prevalence", "share to detect"),
    ("list-power", None, {"outcome": "y"}, "treat", "choose both"),
    ("list-power", None, {"treated_share": "most"}, "treated_share", "optimal"),
    ("list-power", None, {"prevalence": "1.5"}, "prevalence", "between 0 and 1"),
    ("rr-power", None, {"type": "two.sample"}, "presp_t", "both prevalences"),
    ("rr-power", None, {"presp_c": "0.1"}, "presp_c", "for two groups"),
    ("rr-power", None, {"power": ""}, "power", "not both"),
    ("rr-power", None, {"r": "0.3"}, "r", "does not use it"),
    (
        "rr-power",
        None,
        {"design": "unrelated-unknown", "q": "0.3", "p": "0.5", "p0": "", "p1": ""},
        "p",
        "apart",
    ),
]


@pytest.mark.parametrize(
    ("key", "data", "changes", "field", "words"),
    CATALOGUE,
    ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CATALOGUE)],
)
def test_error_is_next_to_its_field_in_plain_words(key, data, changes, field, words) -> None:
    err, page = _fail(key, data, changes)
    assert err.field == field, str(err)
    label = ANALYSES[key].find(field).label
    assert str(err).startswith(f"{label}: ")
    assert words in err.text
    # next to the field: between its label and its input, which points at it
    fid = f"f-{field}"
    box = f'<p class="field-error" id="{fid}-error">{html.escape(err.text)}</p>'
    assert box in page
    lab = page.index(f'<label for="{fid}">')
    inp = re.search(rf'<(input|select)[^>]* id="{fid}"[^>]*>', page)
    if ANALYSES[key].find(field).kind == "check":  # box, then the tick box and its label
        assert page.index(box) < inp.start() < lab
    else:
        assert lab < page.index(box) < inp.start()
    assert 'aria-invalid="true"' in inp.group(0)
    assert f'aria-describedby="{fid}-error"' in inp.group(0)
    assert page.count('aria-invalid="true"') == 1
    # and summed up above the form, linking to it
    summary = re.search(r'<div class="error" role="alert">(.*?)</div>', page, re.S).group(1)
    assert f'<a href="#{fid}">{html.escape(label)}</a>: {html.escape(err.text)}' in summary
    assert page.index(summary) < page.index("<form")
    # an advanced field's error unfolds "More options"
    if ANALYSES[key].find(field).advanced:
        assert '<details class="more" open>' in page
    text = _text(page)
    for pattern in _SYNTAX:
        assert not re.search(pattern, text), (pattern, err.text)


def test_the_error_text_alone_finds_its_field_too() -> None:
    """A FormError that crossed a process boundary as text is still placed at its field."""
    err, _ = _fail("list", None, {"control": "7", "J": "x"})
    a = ANALYSES["list"]
    assert problems(a, str(err)) == problems(a, err) == [("J", a.find("J").label, err.text)]
    df, values = _values("list")
    page = pages.analysis_form("d", a, values, [str(c) for c in df.columns], str(err))
    assert 'id="f-J-error"' in page
    assert problems(a, "something else went wrong") == [(None, None, "something else went wrong")]


def test_every_bad_field_is_reported_at_once() -> None:
    err, page = _fail("list", None, {"J": "x", "outcome": "nope", "reps": "1"})
    assert [p[0] for p in err.problems] == ["outcome", "J", "reps"]
    assert page.count('aria-invalid="true"') == 3
    assert "Please check these 3 things" in page
    assert str(err).count("\n") == 2


def test_form_error_survives_pickling() -> None:
    err, _ = _fail("list", None, {"J": "x", "outcome": "nope"})
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, FormError)
    assert (back.field, back.label, back.text, back.problems) == (
        err.field,
        err.label,
        err.text,
        err.problems,
    )
    assert str(back) == str(err)


def test_errors_carry_the_argument_they_are_about() -> None:
    """``param`` at the raise sites the page relies on; the message text is unchanged."""
    from unspoken.listexp.standard import list_experiment
    from unspoken.rr.regression import rr_regression

    race = datasets.load("race")
    with pytest.raises(DataError) as ei:
        list_experiment(race, "y ~ 1", J=1, method="dim")
    assert ei.value.param == "J" and ei.value.column == "y"
    with pytest.raises(DataError) as ei:
        list_experiment(race, "y ~ 1", J=3, control=7)
    assert ei.value.param == "control"
    with pytest.raises(DataError) as ei:
        list_experiment(_ab_treat(), "y ~ 1", J=3)
    assert ei.value.param == "control"
    assert "pass control=<value> (on the command line --control VALUE)" in str(ei.value)
    with pytest.raises(UnsupportedError) as ei:
        list_experiment(race, "y ~ 1", J=3, method="ml", vcov="hc3")
    assert ei.value.param == "vcov"
    with pytest.raises(UnsupportedError) as ei:
        list_experiment(race, "y ~ age", J=3, method="dim")
    assert ei.value.param == "formula"
    with pytest.raises(UnsupportedError) as ei:
        rr_regression(datasets.load("nigeria"), "rr.q1 ~ 1", "forced-known", p=2 / 3, q=0.2)
    assert ei.value.param == "q"
    assert UnsupportedError("x").param is None and DataError("x").param is None
    back = pickle.loads(pickle.dumps(DataError("bad", column="c", rows=[3], param="J")))
    assert (back.param, back.column, back.rows, str(back)) == (
        "J",
        "c",
        [3],
        "bad (column 'c'; row 3)",
    )


def test_other_failures_say_the_analysis_could_not_run() -> None:
    """A ValueError that is not one of ours is still shown in words, for the whole form."""
    from unspoken.web.forms.fields import Analysis

    def broken(df, values):
        raise ValueError("math domain error")

    a = Analysis("x", "X", "", ANALYSES["list"].fields, broken)
    df, values = _values("list")
    with pytest.raises(FormError) as ei:
        run(a, df, values)
    assert ei.value.field is None
    assert str(ei.value) == "the analysis could not run: math domain error"


@pytest.mark.parametrize(
    ("message", "plain"),
    [
        (
            "cannot tell (values found: 0, 1); pass control=<value> (on the command line "
            "--control VALUE)",
            "cannot tell (values found: 0, 1); fill in “Control group value”",
        ),
        ("vcov='model' ignores weights; use 'hc0'", "“Variance” model ignores weights; use 'hc0'"),
        (
            "Is the treatment coded the other way round (control=...)?",
            "Is the treatment coded the other way round (see “Control group value”)?",
        ),
        (
            "constrained=False applies to method='ml' only",
            "“Unconstrained” ticked applies to “Method” ml only",
        ),
        (
            "J = 3 taken from the data (pass J= to set it)",
            "J = 3 taken from the data (fill in “Number of control items (J)” to set it)",
        ),
        ("\x1b[1;31mOperator\x1b[0m\n\n  misplaced", "Operator misplaced"),
        ("use --by COLUMN or hidden=... here", "use “Subgroups (optional)” or hidden here"),
    ],
)
def test_plain_rewrites(message: str, plain: str) -> None:
    from unspoken.web.forms.messages import plain as rewrite

    assert rewrite(ANALYSES["list"], message) == plain
