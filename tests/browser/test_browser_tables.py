"""The published-table forms in a real browser: a person types a table, presses Run, and
the numbers offered for download equal ``unspoken table-... --json`` with the same table;
a mistake in the table is shown next to the field holding it."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
from browser_ui import (
    assert_plain_words,
    assert_same,
    field,
    headline,
    page_and_cli_json,
    pct,
    run_form,
)

CASES = {
    "table-list": (
        "List experiment from a published table",
        {"control": "8, 132, 222, 227", "treated": "19, 123, 229, 219, 34"},
        "table-list --control-counts 8,132,222,227 --treated-counts 19,123,229,219,34",
        lambda j: pct(j["dim"]["estimate"]),
    ),
    "table-direct": (
        "Direct poll from a published topline",
        {"shares": "definitely=43, rather=33", "rest": "other", "dk": "bounds",
         "dk_values": "other"},
        "table-direct --share definitely=43,rather=33 --rest other --n 1600 --units percent "
        "--support definitely,rather --dk bounds --dk-values other",
        lambda j: pct(j["support_upper"]["estimate"]),
    ),
    "table-gap": (
        "Gap from two published estimates",
        {"hidden": "60.5", "hidden_se": "", "hidden_ci": "54, 67", "same_respondents": True},
        "table-gap --hidden 60.5 --hidden-ci 54,67 --direct 76 --direct-se 1 --units percent "
        "--same-respondents",
        lambda j: f"{100 * j['gap']['estimate']:.1f} points",
    ),
}  # fmt: skip


@pytest.mark.parametrize("key", list(CASES))
def test_typed_table_matches_command_line(key: str, page: Any, server: Any, tmp_path: Path):
    tab, fields, command, shown = CASES[key]
    response = run_form(page, server.url, "race", tab, fields)
    assert response.status == 200, response.status
    assert_plain_words(page.locator("body").inner_text())
    web, cli = page_and_cli_json(page, tmp_path, shlex.split(command))
    assert assert_same(web, cli) > 0
    assert shown(cli) in headline(page)


def test_bad_count_shown_next_to_its_field(page: Any, server: Any) -> None:
    response = run_form(
        page,
        server.url,
        "race",
        "List experiment from a published table",
        {"treated": "19, 123, 229"},
    )
    assert response.status == 400, response.status
    box = field(page, "treated")
    assert box.get_attribute("aria-invalid") == "true"
    said = page.locator(f"#{box.get_attribute('aria-describedby')}").inner_text()
    assert "5 counts" in said
    assert_plain_words(said)
