"""The published-table forms: their defaults give the same numbers as the commands, and a
bad table is refused next to the field that holds it."""

from __future__ import annotations

import json

import pytest

from unspoken import datasets
from unspoken.results import json_text
from unspoken.web import pages
from unspoken.web.analyses import ANALYSES, FormError, defaults, run

KEYS = ("table-list", "table-direct", "table-gap")
CLI = {
    "table-list": ["table-list", "--control-counts", "8,132,222,227", "--treated-counts",
                   "19,123,229,219,34"],
    "table-direct": ["table-direct", "--share", "definitely=43,rather=33,other=24", "--n",
                     "1600", "--units", "percent", "--support", "definitely,rather"],
    "table-gap": ["table-gap", "--hidden", "60", "--hidden-se", "3", "--direct", "76",
                  "--direct-se", "1", "--units", "percent"],
}  # fmt: skip


def _run(key: str, **changes: str):
    a = ANALYSES[key]
    df = datasets.load("race")  # any data: the forms use none
    values = {**defaults(a, [str(c) for c in df.columns]), **changes}
    return run(a, df, values)[0]


@pytest.mark.parametrize("key", KEYS)
def test_form_defaults_equal_the_command(cli, key: str) -> None:
    assert not ANALYSES[key].uses_data
    page = pages.analysis_form("d", ANALYSES[key], defaults(ANALYSES[key], []), [])
    assert "Uses no data" in page
    web = json.loads(json_text(_run(key)))
    code, out, err = cli(*CLI[key], "--json")
    assert code == 0, err
    assert web == json.loads(out)


@pytest.mark.parametrize(
    ("key", "changes", "field"),
    [
        ("table-list", {"control": "8, -132, 222, 227"}, "control"),
        ("table-list", {"treated": "19, 123, 229"}, "treated"),
        ("table-direct", {"shares": "definitely=43, rather=33"}, "shares"),
        ("table-direct", {"support": "surely"}, "support"),
        ("table-gap", {"direct_se": "", "direct_ci": "74"}, "direct_ci"),
        ("table-gap", {"hidden": "sixty"}, "hidden"),
    ],
)
def test_bad_table_is_shown_next_to_its_field(key: str, changes: dict, field: str) -> None:
    with pytest.raises(FormError) as e:
        _run(key, **changes)
    assert e.value.field == field, (e.value.field, str(e.value))
    assert "Error" not in str(e.value) and "=<" not in str(e.value)


def test_list_form_takes_a_table_of_shares(cli) -> None:
    changes = {"control": "1, 22, 38, 39", "treated": "3, 20, 37, 35, 5", "n_control": "589",
               "n_treated": "624"}  # fmt: skip
    web = json.loads(json_text(_run("table-list", **changes)))
    code, out, err = cli("table-list", "--control-counts", "1,22,38,39", "--treated-counts",
                         "3,20,37,35,5", "--n-control", "589", "--n-treated", "624",
                         "--units", "percent", "--json")  # fmt: skip
    assert code == 0, err
    assert web == json.loads(out)
    assert web["rounding_dim"]["decimals"] == 0
