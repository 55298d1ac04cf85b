"""The web page's forms carry the small-cell setting (min_n) wherever the analysis has
subgroups, and pass it on exactly as the Python API takes it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from unspoken import datasets
from unspoken.results import json_text
from unspoken.web import pages
from unspoken.web.analyses import ANALYSES, defaults, run


def _by_fields(a) -> set[str]:
    # the MRP form's areas are its subgroups (raw area shares obey the small-cell rule)
    return {
        f.name for f in a.fields if f.name in ("by", "by2") or (a.key, f.name) == ("mrp", "area")
    }


@pytest.mark.parametrize("key", list(ANALYSES))
def test_min_n_field_exactly_where_there_are_subgroups(key):
    a = ANALYSES[key]
    f = a.find("min_n")
    assert (f is not None) == bool(_by_fields(a)), key
    if f is not None:
        assert f.kind == "int" and f.default == "30" and f.low == 1 and f.advanced
        assert "protect" in f.help and "1 shows every group" in f.help
        page = pages.analysis_form("d", a, defaults(a, ["x"]), ["x"], token="t")
        assert 'name="min_n"' in page


def _region(df, treat: str | None):
    n = len(df)
    out = np.where(np.arange(n) % 2 == 0, "a", "b").astype(object)
    if treat is None:
        out[:3] = "tiny"
    else:
        t = df[treat].to_numpy()
        out[np.flatnonzero(t == 1)[:2]] = "tiny"
        out[np.flatnonzero(t == 0)[:2]] = "tiny"
    df = df.copy()
    df["region"] = out
    return df


CASES = {
    "list": ("race", "treat", {"outcome": "y", "treat": "treat", "J": "3", "method": "ml",
                               "covariates": "south"}),
    "rr": ("nigeria", None, {"answer": "rr.q1", "covariates": "cov.age", "design": "forced-known",
                             "p": "2/3", "p0": "1/6", "p1": "1/6"}),
    "direct": ("mexico", None, {"question": "mex.direct", "support": "1"}),
    "gap": ("mexico", "mex.t", {"outcome": "mex.y.all", "treat": "mex.t", "J": "3",
                                "direct": "mex.direct", "support": "1", "placebo_treat": "",
                                "placebo_prevalence": ""}),
}  # fmt: skip


def _api(key, df, min_n):
    import unspoken

    if key == "list":
        return unspoken.list_experiment(df, "`y` ~ south", treat="treat", J=3, method="ml",
                                        by="region", min_n=min_n)  # fmt: skip
    if key == "rr":
        return unspoken.rr_regression(df, "`rr.q1` ~ cov.age", design="forced-known", p=2 / 3,
                                      p0=1 / 6, p1=1 / 6, by="region", min_n=min_n)  # fmt: skip
    if key == "direct":
        return unspoken.direct_poll(df, "mex.direct", "1", by=["region"], min_n=min_n)
    return unspoken.gap(df, "mex.y.all", "mex.t", 3, "mex.direct", "1", by=["region"],
                        min_n=min_n)  # fmt: skip


@pytest.mark.parametrize("key", list(CASES))
@pytest.mark.parametrize("min_n", ["30", "1"])
def test_form_passes_min_n_on(key, min_n):
    name, treat, changes = CASES[key]
    df = datasets.load(name)
    if name == "nigeria":
        df = df.dropna(subset=["rr.q1", "cov.age"]).reset_index(drop=True)
    df = _region(df, treat)
    a = ANALYSES[key]
    values = {**defaults(a, [str(c) for c in df.columns]), **changes, "by": "region",
              "min_n": min_n}  # fmt: skip
    result, _ = run(a, df, values)
    web = json.loads(json_text(result))
    assert web == json.loads(json_text(_api(key, df, int(min_n))))
    tiny = next(r for r in web["by"] if r["group"] == {"region": "tiny"})
    assert tiny["suppressed"] is (min_n == "30")
