"""The MRP form (hidden opinion by area) in a real browser: run on the bundled synthetic
regions, and with a population table a person uploaded, the numbers the page offers equal
``unspoken mrp ... --json``; the report shows the headline and the caterpillar plot; a
wrong cell-count column or a population table without a covariate is shown next to its
field in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_ui import (
    assert_plain_words,
    choose_analysis,
    choose_data,
    field,
    headline,
    pct,
    run,
    run_and_compare,
    run_form,
    set_field,
    upload,
)

from unspoken import datasets

TAB = "Hidden opinion by area (MRP)"
SURVEY = "synthetic_regions_survey"
CLI = [
    "mrp", SURVEY, "--formula", "`y` ~ C(age_group) + female", "--treat", "treat", "--J", "3",
    "--area", "region", "--area-formula", "~ protest", "--count", "count",
]  # fmt: skip


def _cli(population: str) -> list[str]:
    return [*CLI, "--population", population]


def test_mrp_defaults_match_the_command_line(page: Any, server: Any, tmp_path: Path) -> None:
    choose_data(page, server.url, SURVEY)
    choose_analysis(page, TAB)
    assert field(page, "population").input_value() == "synthetic_regions_population"
    web, _ = run_and_compare(page, tmp_path, _cli("synthetic_regions_population"))
    nat = web["poststratified"]["national"]
    shown = headline(page)
    for x in (nat["estimate"], nat["ci_low"], nat["ci_high"]):
        assert pct(x) in shown
    report = page.frame_locator('iframe[title="Report"]')
    assert report.locator("svg").count() >= 1  # the caterpillar plot
    assert "not surveyed" in report.locator("body").inner_text()


def _upload_population(page: Any, server: Any, path: Path, frame: Any) -> None:
    """Upload ``frame`` as ``path``, go back to the survey and its MRP form, and choose the
    upload as the population table."""
    frame.to_csv(path, index=False)
    assert upload(page, server.url, path).status == 200
    choose_data(page, server.url, SURVEY)
    choose_analysis(page, TAB)
    box = field(page, "population")
    box.select_option(label=f"Your file: {path.name}")


def test_uploaded_population_table(page: Any, server: Any, tmp_path: Path) -> None:
    population = datasets.load("synthetic_regions_population")
    path = tmp_path / "census cells.csv"
    _upload_population(page, server, path, population.rename(columns={"count": "people"}))
    set_field(page, "count", "people")
    cli = _cli(str(path))
    cli[cli.index("--count") + 1] = "people"
    run_and_compare(page, tmp_path, cli)


def _error_of(page: Any, name: str) -> str:
    """The message shown next to the field ``name`` (which is marked invalid)."""
    box = field(page, name)
    assert box.get_attribute("aria-invalid") == "true"
    message = page.locator(f"#{box.get_attribute('aria-describedby')}")
    f, e = box.bounding_box(), message.bounding_box()
    assert f and e
    assert max(f["y"] - e["y"] - e["height"], e["y"] - f["y"] - f["height"]) < 40  # adjacent
    assert page.locator('[aria-invalid="true"]').count() == 1
    return message.inner_text()


@pytest.mark.parametrize("what", ["count", "population"])
def test_population_mistakes_next_to_their_field(
    what: str, page: Any, server: Any, tmp_path: Path
) -> None:
    if what == "count":
        response = run_form(page, server.url, SURVEY, TAB, {"count": "n_people"})
        words = ("n_people", "count")
    else:
        population = datasets.load("synthetic_regions_population").drop(columns="female")
        _upload_population(page, server, tmp_path / "no sex.csv", population)
        response = run(page)
        words = ("female",)
    assert response.status == 400
    assert page.locator('iframe[title="Report"]').count() == 0  # nothing ran
    said = _error_of(page, what)
    for w in words:
        assert w in said, said
    assert_plain_words(page.locator("body").inner_text())
