"""Choosing the data: every bundled data set from the list, and uploads of a CSV, an SPSS
.sav with value labels and a user-missing "don't know" code, a Stata .dta and a Parquet file
(each made from bundled data), each then analysed and compared with the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest
from browser_ui import (
    assert_same,
    choose_analysis,
    choose_data,
    cli_json,
    field,
    headline,
    in_order,
    pct,
    prevalence_shown,
    run_and_compare,
    set_field,
    upload,
)

from unspoken import datasets


def _preview_line(name: str, nrows: int, ncols: int) -> str:
    return f"{name}: {nrows:,} rows, {ncols} columns."


def test_data_set_list_is_the_bundled_catalogue(page: Any, server: Any) -> None:
    page.goto(server.url)
    options = page.get_by_label("Data set", exact=True).locator("option")
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert values == list(datasets.names())


@pytest.mark.parametrize("name", list(datasets.names()))
def test_bundled_data_set_preview(name: str, page: Any, server: Any) -> None:
    df = datasets.load(name)
    response = choose_data(page, server.url, name)
    assert response.status == 200
    assert page.get_by_label("Data set", exact=True).input_value() == name
    assert _preview_line(name, len(df), df.shape[1]) in page.locator("p.meta").first.inner_text()
    table = page.locator("details table").first
    header = table.locator("thead tr").first.locator("th").all_inner_texts()
    assert header == [str(c) for c in df.columns]
    assert table.locator("tbody tr").count() == min(8, len(df))
    # the analysis forms are offered, starting on the list experiment
    assert page.get_by_role("navigation", name="Analyses").is_visible()
    assert page.get_by_role("button", name="Run", exact=True).is_visible()


# --------------------------------------------------------------------------- uploads


def _uploaded(page: Any, server: Any, path: Path, nrows: int, ncols: int) -> None:
    """Upload ``path``; the preview names the file and its size."""
    response = upload(page, server.url, path)
    assert response.status == 200, response.status
    assert "data=upload-" in page.url
    meta = page.locator("p.meta").first.inner_text()
    assert _preview_line(path.name, nrows, ncols) in meta
    assert "Uploaded" in meta


def _list_matches_cli(
    page: Any, tmp_path: Path, path: Path, fields: dict[str, str], rhs: str, method: str
) -> None:
    """The person picks the race data's columns (and ``fields``) on the uploaded file: the
    page's JSON equals ``unspoken list FILE``'s and the headline shows the prevalence."""
    for name, value in {"outcome": "y", "treat": "treat", "J": "3", **fields}.items():
        set_field(page, name, value)
    web, _ = run_and_compare(
        page,
        tmp_path,
        ["list", str(path), "--formula", f"`y` ~ {rhs}", "--treat", "treat", "--J", "3",
         "--method", method],
    )  # fmt: skip
    in_order(headline(page), prevalence_shown(web))


def test_upload_csv_list_experiment(page: Any, server: Any, tmp_path: Path) -> None:
    df = datasets.load("race")
    path = tmp_path / "race survey.csv"
    df.to_csv(path, index=False)
    _uploaded(page, server, path, len(df), df.shape[1])
    # an uploaded file has no documented design: the person chooses the columns
    assert field(page, "outcome").input_value() == ""
    _list_matches_cli(page, tmp_path, path, {}, rhs="1", method="dim")
    assert (
        "race survey.csv"
        in page.frame_locator('iframe[title="Report"]').locator("body").inner_text()
    )


_SUPPORT_CODES = {"definitely": 1, "rather": 2, "rather not": 3, "definitely not": 4}
_DONT_KNOW = 8  # the survey's code for "hard to say", declared user-missing


def _write_sav(path: Path) -> pd.DataFrame:
    """gap_placebo as an SPSS file: answers as labelled codes, "hard to say" as the
    user-missing code 8 labelled "Don't know", news as labelled codes."""
    df = datasets.load("gap_placebo")
    support = df["support"].astype(str).map({**_SUPPORT_CODES, "hard to say": _DONT_KNOW})
    assert support.notna().all()
    out = pd.DataFrame(
        {
            "count": df["count"].astype(float),
            "treat": df["treat"].astype(float),
            "placebo": df["placebo"].astype(float),
            "news": df["news"].map({"TV": 1, "internet": 2}).astype(float),
            "support": support.astype(float),
        }
    )
    labels = {v: k for k, v in _SUPPORT_CODES.items()} | {_DONT_KNOW: "Don't know"}
    pyreadstat.write_sav(
        out,
        str(path),
        variable_value_labels={"support": labels, "news": {1: "TV", 2: "internet"}},
        missing_ranges={"support": [_DONT_KNOW]},
    )
    return out


def test_upload_sav_labels_and_dont_know(page: Any, server: Any, tmp_path: Path) -> None:
    path = tmp_path / "placebo.sav"
    out = _write_sav(path)
    _uploaded(page, server, path, len(out), out.shape[1])
    # value labels are shown (not the codes), and the column is marked as labelled
    preview = page.locator("details table").first
    kinds = preview.locator("thead tr").nth(1).locator("td").all_inner_texts()
    assert kinds[list(out.columns).index("support")] == "(labels)"
    assert "definitely" in preview.locator("tbody").inner_text()
    choose_analysis(page, "Gap: said vs hidden")
    for name, value in {
        "outcome": "count",
        "treat": "treat",
        "J": "4",
        "direct": "support",
        "support": "definitely,rather",
        "dk": "bounds",
        "by": "news",
        "placebo_treat": "placebo",
        "placebo_prevalence": "0.5",
    }.items():
        set_field(page, name, value)
    args = ["--outcome", "count", "--treat", "treat", "--J", "4", "--direct", "support",
            "--support", "definitely,rather", "--dk", "bounds", "--by", "news",
            "--placebo-treat", "placebo", "--placebo-prevalence", "0.5"]  # fmt: skip
    web, _ = run_and_compare(page, tmp_path, ["gap", str(path), *args])
    # the user-missing code is read as the "don't know" answer, bounded both ways...
    assert web["dk_values"] == ["Don't know"]
    assert "Don't know" in page.frame_locator('iframe[title="Report"]').locator("body").inner_text()
    # ...and the numbers are those of the same survey stored as text
    bundled = cli_json(["gap", "gap_placebo", *args])
    assert bundled["dk_values"] == ["hard to say"]
    assert assert_same(web, bundled, ignore=frozenset({"dk_values"})) > 0
    o = web["overall"]
    in_order(headline(page), [pct(o["list"]["estimate"]), pct(o["direct"]["estimate"])])


def test_upload_stata_list_ml(page: Any, server: Any, tmp_path: Path) -> None:
    df = datasets.load("race")
    path = tmp_path / "race.dta"
    df.to_stata(path, write_index=False)
    _uploaded(page, server, path, len(df), df.shape[1])
    fields = {"method": "ml", "covariates": "age + south"}
    _list_matches_cli(page, tmp_path, path, fields, rhs="age + south", method="ml")


def test_upload_parquet_randomized_response(page: Any, server: Any, tmp_path: Path) -> None:
    df = datasets.load("nigeria")
    path = tmp_path / "nigeria.parquet"
    df.to_parquet(path, index=False)
    _uploaded(page, server, path, len(df), df.shape[1])
    choose_analysis(page, "Randomized response")
    # no documented design for an upload: the person types the design's probabilities
    for name, value in {
        "answer": "rr.q1",
        "design": "forced-known",
        "p": "2/3",
        "p0": "1/6",
        "p1": "1/6",
    }.items():
        set_field(page, name, value)
    web, _ = run_and_compare(
        page,
        tmp_path,
        ["rr", str(path), "--formula", "`rr.q1` ~ 1", "--design", "forced-known",
         "--p", "2/3", "--p0", "1/6", "--p1", "1/6"],
    )  # fmt: skip
    in_order(headline(page), prevalence_shown(web))
