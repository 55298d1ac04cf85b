"""A mistake in a form gives the form back with the message next to the field that caused it
(``aria-invalid`` on the field, ``aria-describedby`` naming the message, shown just above or
below it), a summary linking to the field, the values as typed, and no Python or
command-line syntax anywhere on the page."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest
from browser_ui import (
    assert_plain_words,
    body_text,
    field,
    reveal,
    run_form,
)


@dataclass(frozen=True)
class Mistake:
    data: str
    tab: str
    fields: dict[str, str]  # what the person types or picks
    wrong: dict[str, tuple[str, ...]]  # field -> words its message must contain
    keeps: dict[str, str] = dataclasses.field(default_factory=dict)  # field -> value still shown


MISTAKES = {
    "J-not-a-number": Mistake(
        "race", "List experiment", {"J": "three"}, {"J": ("whole number", "three")},
        {"J": "three"},
    ),
    "no-column-chosen": Mistake(
        "race", "List experiment", {"outcome": ""}, {"outcome": ("choose a column",)}
    ),
    "covariate-not-a-column": Mistake(
        "race",
        "List experiment",
        {"method": "ml", "covariates": "age + nosuchcolumn"},
        {"covariates": ("nosuchcolumn",)},
        {"covariates": "age + nosuchcolumn"},
    ),
    "control-value-absent": Mistake(
        "race", "List experiment", {"control": "7"}, {"control": ("7", "treat")}
    ),
    "probability-out-of-range": Mistake(
        "nigeria", "Randomized response", {"p": "1.5"}, {"p": ("between 0 and 1", "1.5")}
    ),
    "two-mistakes-at-once": Mistake(
        "race",
        "List experiment",
        {"J": "three", "treat": ""},
        {"J": ("whole number",), "treat": ("choose a column",)},
    ),
    "under-more-options": Mistake(
        "race", "List experiment", {"reps": "10"}, {"reps": ("between 50 and", "not 10")},
        {"reps": "10"},
    ),
    "joint-outcome-not-0-1": Mistake(
        "mexico", "Hidden trait as a predictor", {"response_model": "logistic"},
        {"response": ("0/1", "mex.epnapprove")},
    ),
    "known-shares-not-value-share": Mistake(
        "race", "List experiment",
        {"method": "nls", "covariates": "age + south", "aux_group": "south",
         "aux_shares": "0=0.10, 0.30"},
        {"aux_shares": ("value=share", "0.30")},
        {"aux_shares": "0=0.10, 0.30"},
    ),
    "power-share-not-a-number": Mistake(
        "race", "List experiment: power", {"prevalence": "a fifth"},
        {"prevalence": ("number", "a fifth")},
    ),
}  # fmt: skip


@pytest.mark.parametrize("key", list(MISTAKES))
def test_error_next_to_its_field(key: str, page: Any, server: Any) -> None:
    m = MISTAKES[key]
    response = run_form(page, server.url, m.data, m.tab, m.fields)
    assert response.status == 400, response.status
    assert page.locator('iframe[title="Report"]').count() == 0  # nothing ran
    text = body_text(page)
    assert_plain_words(text)

    for name, words in m.wrong.items():
        box = field(page, name)
        assert box.is_visible()  # "More options" is open when one of its fields is wrong
        assert box.get_attribute("aria-invalid") == "true"
        described = box.get_attribute("aria-describedby")
        assert described, f"field {name} names no message"
        message = page.locator(f"#{described}")
        assert message.count() == 1 and message.is_visible()
        said = message.inner_text()
        for w in words:
            assert w in said, f"{w!r} not in the message of {name}: {said!r}"
        assert_plain_words(said)
        # next to the field: right above or below it, in the same column
        f, e = box.bounding_box(), message.bounding_box()
        assert f and e
        gap = max(f["y"] - (e["y"] + e["height"]), e["y"] - (f["y"] + f["height"]))
        assert gap < 40, f"message of {name} is {gap:.0f} px from its field"
        assert e["x"] < f["x"] + f["width"] and f["x"] < e["x"] + e["width"]
        # the summary at the top of the form links to the field
        summary = page.get_by_role("alert").filter(has=page.locator(f'a[href="#f-{name}"]'))
        assert summary.count() == 1
    if len(m.wrong) > 1:
        assert f"{len(m.wrong)} things" in text
    for name, value in m.keeps.items():
        assert reveal(page, name).input_value() == value
    # fields without a mistake are not marked
    assert page.locator('[aria-invalid="true"]').count() == len(m.wrong)
